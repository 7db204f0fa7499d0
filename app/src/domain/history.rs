//! A record's history, read from its documents: per change, per field, who changed it, when, from what to
//! what; the record as it was at a time; and undo (ARCHITECTURE.md §11).
//!
//! # Layout
//! - `history.rs`: [`Provenance`] (who sent a change to the relay, when it arrived), [`HistoryEntry`] and
//!   [`history`], which walks a record's main document and companions and joins the provenance.
//! - `history/json.rs`: a document's values as plain JSON (what an entry shows).
//! - `history/text.rs`: a compact character diff of long text (notes).
//! - `history/as_of.rs`: [`as_of`]: the record view at a time (on the relay's clock).
//! - `history/board.rs`: [`board_as_of`]: every deal's main document at a time (the board then).
//! - `history/fields.rs`: [`main_fields`]: the fields a record page shows as of a time.
//! - `history/undo.rs`: [`undo`] and [`restore`]: new changes that put fields back.
//!
//! An Automerge actor id is chosen by the client and proves nothing, so authorship comes only from the
//! relay's provenance map: a change the relay has not confirmed yet has no author (`None`), never a name
//! guessed from its actor. `made_at` is the change's own timestamp (the device's clock when it was made).

mod as_of;
mod board;
mod fields;
mod json;
mod text;
mod undo;

pub use as_of::as_of;
pub use board::board_as_of;
pub use fields::main_fields;
pub use text::{TextEdit, TextOp};
pub use undo::{restore, undo, Skipped, UndoOutcome};

use std::collections::{BTreeSet, HashMap};

use automerge::{legacy, Automerge, ChangeHash, ExpandedChange};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Access, Directory, DocId, DomainError, FieldGroup, Timestamp, UserId};

/// Who sent a change to the relay.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Author {
    /// The signed-in user whose session (socket or REST call) delivered it.
    User(UserId),
    /// The relay itself (index and directory documents, demo data).
    Relay,
}

impl Author {
    pub fn user(&self) -> Option<&UserId> {
        match self {
            Author::User(u) => Some(u),
            Author::Relay => None,
        }
    }
}

/// What the relay recorded when it accepted a change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub author: Author,
    /// The relay's clock when the change was accepted (for an offline edit, later than `made_at`).
    pub received_at: Timestamp,
}

/// Provenance per change hash (of any of a record's documents: hashes do not collide).
pub type ProvenanceMap = HashMap<ChangeHash, Provenance>;

/// One provenance row as the relay serves it (`GET /api/v1/{kind}/{id}/provenance`), for a client's cache.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvenanceEntry {
    /// The change hash, hex.
    pub change: String,
    #[serde(flatten)]
    pub provenance: Provenance,
}

/// One document's provenance as the relay serves it (`GET /api/v1/{kind}/{id}/provenance`: one per document
/// of the record the caller may read).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocProvenance {
    pub id: DocId,
    pub group: FieldGroup,
    pub changes: Vec<ProvenanceEntry>,
}

/// Rows back into a map; rows whose hash does not parse are skipped.
pub fn provenance_map(rows: &[ProvenanceEntry]) -> ProvenanceMap {
    rows.iter().filter_map(|r| Some((r.change.parse().ok()?, r.provenance.clone()))).collect()
}

/// One change of a record: what it did to each field of one group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The change hash, hex (what [`undo`] takes).
    pub change: String,
    pub group: FieldGroup,
    /// The change's own timestamp: the writer's clock when it was made (whole seconds); `None` when the
    /// writer did not stamp it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_at: Option<Timestamp>,
    /// Who the relay says sent it; `None` while the relay has not confirmed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<Author>,
    /// The author's display name from the directory ([`name_authors`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_name: Option<String>,
    /// When the relay accepted it; `None` while unconfirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<Timestamp>,
    /// The change that created the record (the first change of its main document).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub created: bool,
    pub fields: Vec<FieldChange>,
}

/// One field changed by one change. `field` is a top-level key of the group's document, or `custom.<id>`
/// for a custom field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    #[serde(flatten)]
    pub diff: FieldDiff,
}

/// How a field changed. JSON: `{"type": "value", "old": .., "new": ..}` or `{"type": "text", "edits": [..]}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldDiff {
    /// A value replaced (`null`: absent). Values are the document's plain JSON (ids and stages as strings,
    /// times as milliseconds, money as `{amount_minor, currency}`).
    Value { old: Value, new: Value },
    /// Long text (notes): what was kept, inserted and deleted, long kept runs shortened.
    Text { edits: Vec<TextEdit> },
}

/// Keys that are bookkeeping, not fields a person changes: the header and `updated_at` (which every write
/// touches).
const NOT_FIELDS: [&str; 7] = ["kind", "schema", "created_at", "created_by", "record", "record_kind", "updated_at"];

/// The history of a record: every change of its main document (`Base`) and of the companions passed, oldest
/// first (by `received_at`, else `made_at`; within a document, the order changes were applied), each with the fields it
/// changed. Groups `access` may not read are absent whatever is passed (a reader without `money` never sees
/// a money entry, not even that one exists); a change that touched no field of interest (only
/// `updated_at`, or a companion's shared genesis) has no entry.
///
/// A change's old and new values are its document's state at the change's dependencies and just after it:
/// what its author saw and what they made of it. Two concurrent edits of one field therefore both show the
/// same old value; which one won is the record's current value.
pub fn history(
    docs: &[(FieldGroup, &Automerge)],
    provenance: &ProvenanceMap,
    access: &Access,
) -> Result<Vec<HistoryEntry>, DomainError> {
    let mut out = Vec::new();
    for (group, doc) in docs {
        if access.group(*group).can_read() {
            doc_history(*group, doc, provenance, &mut out)?;
        }
    }
    // In the order the relay accepted them (its clock is one clock, to the millisecond, and follows causal
    // order, as `as_of` does); changes it has not confirmed by when they were made, and those with neither
    // time last. Stable, so within one document the causal order stays on ties.
    out.sort_by_key(|e| e.received_at.or(e.made_at).map_or(i64::MAX, Timestamp::millis));
    Ok(out)
}

fn doc_history(
    group: FieldGroup,
    doc: &Automerge,
    provenance: &ProvenanceMap,
    out: &mut Vec<HistoryEntry>,
) -> Result<(), DomainError> {
    // The top-level key each object lives under, filled as the changes creating objects go by (causal order:
    // an object is made before anything is put in it).
    let mut top_of: HashMap<legacy::OpId, String> = HashMap::new();
    // Per key, a change at which its value is known, and that value: reading at heads costs (a long note
    // ~0.4 ms), and on a straight run of changes a key's old value is the new value of the last change that
    // touched it.
    let mut known: HashMap<String, (ChangeHash, Value)> = HashMap::new();
    for (i, change) in doc.get_changes(&[]).into_iter().enumerate() {
        let hash = change.hash();
        let made_at = made_at(change.timestamp());
        let genesis = group != FieldGroup::Base && change.deps().is_empty() && made_at.is_none();
        let touched = touched_keys(&change.decode(), &mut top_of);
        let single_dep = match change.deps() {
            [d] => Some(*d),
            _ => None,
        };
        // Keys this change did not touch keep their value if it builds on exactly the change they are known at.
        known.retain(|k, (at, _)| touched.contains(k) || Some(*at) == single_dep);
        for (k, (at, _)) in known.iter_mut() {
            if !touched.contains(k) {
                *at = hash;
            }
        }
        let mut fields = Vec::new();
        for key in touched.iter().filter(|k| !NOT_FIELDS.contains(&k.as_str())) {
            let old = match known.remove(key) {
                Some((at, v)) if Some(at) == single_dep => v,
                _ => json::at_root(doc, key, change.deps()).0,
            };
            let (new, text) = json::at_root(doc, key, &[hash]);
            if !genesis {
                diff_field(key, &old, &new, text, &mut fields);
            }
            known.insert(key.clone(), (hash, new));
        }
        if fields.is_empty() {
            continue;
        }
        let prov = provenance.get(&hash);
        out.push(HistoryEntry {
            change: hash.to_string(),
            group,
            made_at,
            author: prov.map(|p| p.author.clone()),
            author_name: None,
            received_at: prov.map(|p| p.received_at),
            created: group == FieldGroup::Base && i == 0,
            fields,
        });
    }
    Ok(())
}

/// A change's time as an instant: Automerge stamps whole seconds (automerge-js, [`super::docs::commit_at`]);
/// a value too large for seconds is taken as milliseconds; 0 means not stamped.
pub(crate) fn made_at(time: i64) -> Option<Timestamp> {
    match time {
        t if t <= 0 => None,
        t if t > 100_000_000_000 => Some(Timestamp::from_millis(t)),
        t => Some(Timestamp::from_millis(t.saturating_mul(1000))),
    }
}

/// The top-level keys a change's operations touch, read from the decoded change (cheap: no document is
/// replayed). `top_of` learns the objects the change makes.
///
/// `automerge::legacy` (the decoded form of a change) is a hidden module of automerge 0.12; it is the only
/// way to see a change's operations without applying them, which costs a replay (measured: ~0.4 ms per change
/// on a 750-change record, against ~2 µs to decode).
fn touched_keys(change: &ExpandedChange, top_of: &mut HashMap<legacy::OpId, String>) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for (i, op) in change.operations.iter().enumerate() {
        let top = match (&op.obj, &op.key) {
            (legacy::ObjectId::Root, legacy::Key::Map(k)) => Some(k.to_string()),
            (legacy::ObjectId::Id(obj), _) => top_of.get(obj).cloned(),
            _ => None,
        };
        let Some(top) = top else { continue };
        if matches!(op.action, legacy::OpType::Make(_)) {
            let id = legacy::OpId(change.start_op.get() + i as u64, change.actor_id.clone());
            top_of.insert(id, top.clone());
        }
        keys.insert(top);
    }
    keys
}

/// Adds the change of one top-level key (custom fields one by one) if its value differs.
fn diff_field(key: &str, old: &Value, new: &Value, text: bool, fields: &mut Vec<FieldChange>) {
    if old == new {
        return;
    }
    if key == "custom" {
        let empty = serde_json::Map::new();
        let (o, n) = (old.as_object().unwrap_or(&empty), new.as_object().unwrap_or(&empty));
        let ids: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
        for id in ids {
            let (ov, nv) = (o.get(id).unwrap_or(&Value::Null), n.get(id).unwrap_or(&Value::Null));
            if ov != nv {
                let diff = FieldDiff::Value { old: ov.clone(), new: nv.clone() };
                fields.push(FieldChange { field: format!("custom.{id}"), diff });
            }
        }
        return;
    }
    let diff = match (text, old, new) {
        (true, Value::String(_) | Value::Null, Value::String(n)) => {
            FieldDiff::Text { edits: text::diff(old.as_str().unwrap_or(""), n) }
        }
        _ => FieldDiff::Value { old: old.clone(), new: new.clone() },
    };
    fields.push(FieldChange { field: key.to_string(), diff });
}

/// Keeps the entries (and, within them, the fields) that match: `field` a field name (`stage`,
/// `custom.budget`), `user` the author.
pub fn filter(entries: Vec<HistoryEntry>, field: Option<&str>, user: Option<&UserId>) -> Vec<HistoryEntry> {
    entries
        .into_iter()
        .filter(|e| user.is_none_or(|u| e.author.as_ref().and_then(Author::user) == Some(u)))
        .filter_map(|mut e| {
            if let Some(f) = field {
                e.fields.retain(|c| c.field == f);
            }
            (!e.fields.is_empty()).then_some(e)
        })
        .collect()
}

/// Fills `author_name` from the directory (a user no longer listed keeps only their id; the relay is "relay").
pub fn name_authors(entries: &mut [HistoryEntry], dir: &Directory) {
    for e in entries {
        e.author_name = match &e.author {
            Some(Author::User(u)) => dir.users.iter().find(|x| &x.id == u).map(|x| x.name.clone()),
            Some(Author::Relay) => Some("relay".to_string()),
            None => None,
        };
    }
}

#[cfg(test)]
mod tests;
