//! Undo a change, or restore one field's earlier value, as a new change.
//!
//! Semantics (ARCHITECTURE.md §11): undoing change C looks at each field C changed (its value just before
//! C, at C's dependencies, and just after, at C itself). A field whose current value is still what C set is
//! put back to its value before C; a field changed since (by anyone, including a concurrent edit already
//! merged) is left alone and reported as skipped with the reason: an undo never overwrites a later edit. The
//! undo is an ordinary change of the caller's, so it merges with concurrent edits like any other, passes
//! the write gate as the caller's write, and is itself in the history. [`restore`] sets one field to the
//! value it had just after a given change, whatever it is now (an explicit choice, so no staleness check).

use automerge::{AutoCommit, ChangeHash};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::docs::{
    read_companion, read_companion_link, read_head, read_record, write_companion_at, write_record, DocKind,
};
use crate::domain::records::{Companion, Record};
use crate::domain::{
    Activity, Contact, ContactPii, Customer, CustomerMoney, CustomerService, DomainError, FieldGroup, Lead, LeadPii,
    Opportunity, OpportunityMoney, RecordKind, Timestamp,
};

use super::NOT_FIELDS;

/// What an undo or restore did. When `restored` is empty no change was made.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoOutcome {
    /// Fields put back (`custom.<id>` for custom fields).
    pub restored: Vec<String>,
    pub skipped: Vec<Skipped>,
}

/// A field an undo left alone, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub field: String,
    pub reason: String,
}

fn am(e: automerge::AutomergeError) -> DomainError {
    DomainError::invalid("change", e.to_string())
}

/// Undoes `change` on `doc` (the document holding it) as one new change by `doc`'s actor. `now` becomes
/// the record's `updated_at` when a main document changes.
pub fn undo(doc: &mut AutoCommit, change: &ChangeHash, now: Timestamp) -> Result<UndoOutcome, DomainError> {
    let c = doc.get_change_by_hash(change).ok_or_else(|| DomainError::invalid("change", "not in this document"))?;
    let deps = c.deps().to_vec();
    let before = if deps.is_empty() { Map::new() } else { state(&doc.fork_at(&deps).map_err(am)?)? };
    let after = state(&doc.fork_at(&[*change]).map_err(am)?)?;
    let mut current = state(doc)?;
    let mut out = UndoOutcome::default();
    for field in changed_fields(&before, &after) {
        let (was, set) = (get(&before, &field), get(&after, &field));
        if get(&current, &field) == set {
            put(&mut current, &field, was);
            out.restored.push(field);
        } else {
            let reason = "changed again since; undo left the newer value".to_string();
            out.skipped.push(Skipped { field, reason });
        }
    }
    if !out.restored.is_empty() {
        write(doc, current, now)?;
    }
    Ok(out)
}

/// Sets `field` of `doc` to its value just after `to_change`, as one new change (nothing when it already
/// has that value).
pub fn restore(
    doc: &mut AutoCommit,
    field: &str,
    to_change: &ChangeHash,
    now: Timestamp,
) -> Result<UndoOutcome, DomainError> {
    if NOT_FIELDS.contains(&field) {
        return Err(DomainError::invalid("field", format!("{field} is not a field that can be restored")));
    }
    doc.get_change_by_hash(to_change).ok_or_else(|| DomainError::invalid("to_change", "not in this document"))?;
    let then = state(&doc.fork_at(&[*to_change]).map_err(am)?)?;
    let mut current = state(doc)?;
    let top = field.split('.').next().unwrap_or(field);
    if !current.contains_key(top) {
        return Err(DomainError::invalid("field", format!("no field {field:?}")));
    }
    let value = get(&then, field);
    let mut out = UndoOutcome::default();
    if get(&current, field) == value {
        out.skipped.push(Skipped { field: field.to_string(), reason: "already has that value".into() });
        return Ok(out);
    }
    put(&mut current, field, value);
    write(doc, current, now)?;
    out.restored.push(field.to_string());
    Ok(out)
}

/// The fields that differ between two states: top-level keys but bookkeeping, custom fields one by one.
fn changed_fields(a: &Map<String, Value>, b: &Map<String, Value>) -> Vec<String> {
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).filter(|k| !NOT_FIELDS.contains(&k.as_str())).collect();
    keys.sort();
    keys.dedup();
    let mut out = Vec::new();
    for k in keys {
        if k == "custom" {
            let empty = Map::new();
            let (x, y) = (a.get(k).and_then(Value::as_object), b.get(k).and_then(Value::as_object));
            let (x, y) = (x.unwrap_or(&empty), y.unwrap_or(&empty));
            let mut ids: Vec<&String> = x.keys().chain(y.keys()).collect();
            ids.sort();
            ids.dedup();
            out.extend(ids.into_iter().filter(|id| x.get(*id) != y.get(*id)).map(|id| format!("custom.{id}")));
        } else if a.get(k) != b.get(k) {
            out.push(k.clone());
        }
    }
    out
}

/// A field's value (`custom.<id>` reaches into `custom`); `null` when absent.
fn get(state: &Map<String, Value>, field: &str) -> Value {
    match field.split_once('.') {
        Some((top, sub)) => state.get(top).and_then(|v| v.get(sub)).cloned(),
        None => state.get(field).cloned(),
    }
    .unwrap_or(Value::Null)
}

fn put(state: &mut Map<String, Value>, field: &str, value: Value) {
    match field.split_once('.') {
        Some((top, sub)) => {
            let entry = state.entry(top.to_string()).or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(m) = entry {
                if value.is_null() {
                    m.remove(sub);
                } else {
                    m.insert(sub.to_string(), value);
                }
            }
        }
        None => {
            state.insert(field.to_string(), value);
        }
    }
}

/// A document's record or companion struct as its serde JSON (the REST shape).
fn state<D: autosurgeon::ReadDoc>(doc: &D) -> Result<Map<String, Value>, DomainError> {
    fn json<T: Serialize>(t: T) -> Result<Map<String, Value>, DomainError> {
        match serde_json::to_value(t) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(DomainError::invalid("document", "does not read as an object")),
        }
    }
    match read_head(doc)?.kind {
        DocKind::Record(RecordKind::Lead) => json(read_record::<Lead, _>(doc)?),
        DocKind::Record(RecordKind::Opportunity) => json(read_record::<Opportunity, _>(doc)?),
        DocKind::Record(RecordKind::Customer) => json(read_record::<Customer, _>(doc)?),
        DocKind::Record(RecordKind::Contact) => json(read_record::<Contact, _>(doc)?),
        DocKind::Record(RecordKind::Activity) => json(read_record::<Activity, _>(doc)?),
        DocKind::Companion(_) => match companion_of(doc)? {
            (RecordKind::Lead, FieldGroup::Pii) => json(read_companion::<LeadPii, _>(doc)?),
            (RecordKind::Opportunity, FieldGroup::Money) => json(read_companion::<OpportunityMoney, _>(doc)?),
            (RecordKind::Customer, FieldGroup::Money) => json(read_companion::<CustomerMoney, _>(doc)?),
            (RecordKind::Customer, FieldGroup::Service) => json(read_companion::<CustomerService, _>(doc)?),
            (RecordKind::Contact, FieldGroup::Pii) => json(read_companion::<ContactPii, _>(doc)?),
            (k, g) => Err(DomainError::invalid("group", format!("a {} has no {} group", k.as_str(), g.as_str()))),
        },
        k => Err(DomainError::invalid("kind", format!("{:?} documents have no history to undo", k.as_str()))),
    }
}

fn companion_of<D: autosurgeon::ReadDoc>(doc: &D) -> Result<(RecordKind, FieldGroup), DomainError> {
    let link = read_companion_link(doc)?;
    Ok((link.record_kind, link.group))
}

/// Writes `state` back through the record or companion struct (only what differs becomes operations; notes
/// as a text diff), as one change.
fn write(doc: &mut AutoCommit, mut state: Map<String, Value>, now: Timestamp) -> Result<(), DomainError> {
    fn de<T: DeserializeOwned>(state: Map<String, Value>) -> Result<T, DomainError> {
        serde_json::from_value(Value::Object(state)).map_err(|e| DomainError::invalid("value", e.to_string()))
    }
    fn rec<R: Record>(doc: &mut AutoCommit, state: Map<String, Value>) -> Result<(), DomainError> {
        write_record(doc, &de::<R>(state)?)
    }
    fn comp<C: Companion>(doc: &mut AutoCommit, state: Map<String, Value>, now: Timestamp) -> Result<(), DomainError> {
        write_companion_at(doc, &de::<C>(state)?, now)
    }
    let kind = read_head(doc)?.kind;
    if matches!(kind, DocKind::Record(_)) {
        state.insert("updated_at".into(), Value::from(now.millis()));
    }
    match kind {
        DocKind::Record(RecordKind::Lead) => rec::<Lead>(doc, state),
        DocKind::Record(RecordKind::Opportunity) => rec::<Opportunity>(doc, state),
        DocKind::Record(RecordKind::Customer) => rec::<Customer>(doc, state),
        DocKind::Record(RecordKind::Contact) => rec::<Contact>(doc, state),
        DocKind::Record(RecordKind::Activity) => rec::<Activity>(doc, state),
        DocKind::Companion(_) => match companion_of(doc)? {
            (RecordKind::Lead, FieldGroup::Pii) => comp::<LeadPii>(doc, state, now),
            (RecordKind::Opportunity, FieldGroup::Money) => comp::<OpportunityMoney>(doc, state, now),
            (RecordKind::Customer, FieldGroup::Money) => comp::<CustomerMoney>(doc, state, now),
            (RecordKind::Customer, FieldGroup::Service) => comp::<CustomerService>(doc, state, now),
            (RecordKind::Contact, FieldGroup::Pii) => comp::<ContactPii>(doc, state, now),
            (k, g) => Err(DomainError::invalid("group", format!("a {} has no {} group", k.as_str(), g.as_str()))),
        },
        k => Err(DomainError::invalid("kind", format!("{:?} documents cannot be undone", k.as_str()))),
    }
}
