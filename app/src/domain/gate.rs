//! The write gate: may this user's incoming change to this document be stored and forwarded?
//!
//! Pure: the relay applies the incoming change to a scratch copy of the document and passes the state
//! before (`None` for a document it has never seen) and after. Every document is one field group of one
//! record (or the directory, or an index), so "which paths did the change touch" reduces to "which
//! document, and did its owner or immutable keys change".
//!
//! Rules, in order: index documents are never writable by clients; the directory only by admins; a
//! record document needs write permission on its group (`policy::access`), judged on the state before
//! the change (after, for a new document); the owner changes only through `policy::may_assign`;
//! `kind`, `schema`, `created_at`, `created_by`, `record`, `record_kind` never change; a new document
//! sets them (schema [`SCHEMA`], `created_by` = the writer, except on companions, whose header is their
//! record's) and, for a record, an owner the writer may
//! assign; a companion names its record, and its id is `record.companion(group)`; the state after must
//! pass the schema (stages known to the directory, no negative amounts, custom fields valid, ...); a directory
//! change may not strand deals in a stage it removes or whose winning it flips; the erasure mark
//! (`pii_erased`) is set only by an admin naming themself and never changes, and the `pii` companion of a
//! marked record is never written again (`ops::erase`).

use automerge::{ScalarValue, Value, ROOT};
use autosurgeon::ReadDoc;

use super::docs::{
    read_head, read_kind, read_meta, validate_companion_doc, validate_record_change, DocKind, IMMUTABLE_KEYS, SCHEMA,
};
use super::{
    access, companion_groups, may_assign, may_write_directory, Directory, DocId, DomainError, RecordMeta, Role, UserId,
};

/// What the document being written is, as the relay knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DocRole {
    /// A main record document (new or existing). `customer_owner` is the maintainer of the customer it
    /// links to, as the relay knows it before the change.
    Main { customer_owner: Option<UserId> },
    /// A companion document of the record `record`, whose current policy metadata is `meta`. `pii_erased`:
    /// the record carries the erasure mark (`ops::erase`), so its `pii` companion may never be written again.
    Companion { record: DocId, meta: RecordMeta, pii_erased: bool },
    /// The team directory, with how many deals each stage has now (a change may not strand them:
    /// `stage::pipeline::check_pipeline`).
    Directory { deals_per_stage: super::pipeline::StagesInUse },
    /// A per-user index document.
    Index,
}

/// Turns a validation error into a refusal naming the path.
pub fn refusal(e: DomainError) -> DomainError {
    match e {
        DomainError::Invalid { field, reason } => DomainError::Refused { path: field, reason },
        DomainError::UnknownStage(s) => DomainError::refused("stage", format!("unknown stage {s:?}")),
        DomainError::NotAllowed(reason) => DomainError::refused("", reason),
        r @ DomainError::Refused { .. } => r,
    }
}

/// Decides whether `user` may turn the document `doc_id` from `before` into `after`.
pub fn check_write<D: ReadDoc>(
    user: &UserId,
    dir: &Directory,
    doc_id: &DocId,
    role: &DocRole,
    before: Option<&D>,
    after: &D,
) -> Result<(), DomainError> {
    // An empty document (created by a request, never written) counts as new.
    let before = match before {
        Some(b) if read_kind(b).map_err(refusal)?.is_some() || !b.get_heads().is_empty() => Some(b),
        _ => None,
    };
    if let Some(b) = before {
        if b.get_heads() == after.get_heads() {
            return Ok(());
        }
    }
    if dir.user(user).is_none_or(|u| u.disabled) {
        return Err(DomainError::refused("", "unknown or disabled user"));
    }
    match role {
        DocRole::Index => Err(DomainError::refused("", "index documents are written only by the relay")),
        DocRole::Directory { deals_per_stage } => check_directory(user, dir, deals_per_stage, before, after),
        DocRole::Main { customer_owner } => check_main(user, dir, customer_owner.as_ref(), before, after),
        DocRole::Companion { record, meta, pii_erased } => {
            check_companion(user, dir, doc_id, (record, meta, *pii_erased), before, after)
        }
    }
}

fn scalar<D: ReadDoc>(doc: &D, key: &str) -> Result<Option<ScalarValue>, DomainError> {
    let err = |e: automerge::AutomergeError| DomainError::refused(key, e.to_string());
    match doc.get(&ROOT, key).map_err(err)? {
        None => Ok(None),
        Some((Value::Scalar(s), _)) => Ok(Some(s.into_owned())),
        // A stock automerge-js client's plain string: compared by its value, like every other reader.
        Some((Value::Object(automerge::ObjType::Text), id)) => {
            Ok(Some(ScalarValue::Str(doc.text(&id).map_err(err)?.into())))
        }
        Some(_) => Err(DomainError::refused(key, "must be a plain value")),
    }
}

fn immutable_unchanged<D: ReadDoc>(before: &D, after: &D) -> Result<(), DomainError> {
    // `before` was accepted, so its `kind` exists; keys it lacks (e.g. `record` on a main document)
    // must stay absent.
    for key in IMMUTABLE_KEYS {
        if scalar(before, key)? != scalar(after, key)? {
            return Err(DomainError::refused(key, format!("{key} may not change")));
        }
    }
    Ok(())
}

fn check_new_head<D: ReadDoc>(user: &UserId, after: &D) -> Result<DocKind, DomainError> {
    let head = read_head(after).map_err(refusal)?;
    if head.schema != SCHEMA {
        return Err(DomainError::refused("schema", format!("unsupported schema version {}", head.schema)));
    }
    // A companion's header copies its record's creation (see `docs::init_companion`: every writer of the
    // group makes the same genesis change), so its `created_by` need not be the writer; the audit log
    // still names who wrote it.
    if &head.created_by != user && !matches!(head.kind, DocKind::Companion(_)) {
        return Err(DomainError::refused("created_by", "a new document names its writer as created_by"));
    }
    Ok(head.kind)
}

fn check_main<D: ReadDoc>(
    user: &UserId,
    dir: &Directory,
    customer_owner: Option<&UserId>,
    before: Option<&D>,
    after: &D,
) -> Result<(), DomainError> {
    let with_customer = |mut m: RecordMeta| {
        m.customer_owner = customer_owner.cloned();
        m
    };
    match before {
        Some(before) => {
            immutable_unchanged(before, after)?;
            let old = with_customer(read_meta(before).map_err(refusal)?);
            let kind = old.kind;
            if !access(user, dir, &old).base.can_write() {
                return Err(DomainError::refused("", format!("you may not change this {}", kind.as_str())));
            }
            let new = read_meta(after).map_err(refusal)?;
            if new.owner != old.owner && !may_assign(user, dir, kind, old.owner.as_ref(), new.owner.as_ref(), false) {
                return Err(DomainError::refused("owner", "you may not change the owner"));
            }
            // Archive and restore: the one rule for sync and REST alike (`ops::archive`).
            super::ops::check_archive_change(
                user,
                dir,
                &old,
                read_mark::<super::ops::Archived, _>(before, "archived")?.as_ref(),
                read_mark::<super::ops::Archived, _>(after, "archived")?.as_ref(),
            )?;
            check_erased_mark(user, dir, kind, Some(before), after)?;
        }
        None => {
            let DocKind::Record(kind) = check_new_head(user, after)? else {
                return Err(DomainError::refused("kind", "not a record kind for a record document"));
            };
            let new = with_customer(read_meta(after).map_err(refusal)?);
            if !may_assign(user, dir, kind, None, new.owner.as_ref(), true) {
                return Err(DomainError::refused("owner", "a new record needs an owner you may assign"));
            }
            check_erased_mark(user, dir, kind, None, after)?;
        }
    }
    validate_record_change(before, after, dir).map_err(refusal)?;
    Ok(())
}

/// A main record document's mark under `key` (`archived`, `pii_erased`; absent or null: not set).
fn read_mark<T: autosurgeon::Hydrate, D: ReadDoc>(doc: &D, key: &str) -> Result<Option<T>, DomainError> {
    match doc.get(&ROOT, key).map_err(|e| DomainError::refused(key, e.to_string()))? {
        None => Ok(None),
        Some((Value::Scalar(s), _)) if matches!(s.as_ref(), ScalarValue::Null) => Ok(None),
        Some(_) => autosurgeon::hydrate_prop(doc, &ROOT, key)
            .map_err(|e| DomainError::refused(key, format!("not a {key} mark: {e}"))),
    }
}

/// The erasure mark's rule (`ops::erase`): set only by an admin naming themself, then never changed.
fn check_erased_mark<D: ReadDoc>(
    user: &UserId,
    dir: &Directory,
    kind: super::RecordKind,
    before: Option<&D>,
    after: &D,
) -> Result<(), DomainError> {
    let old = before.map(|b| read_mark::<super::ops::PiiErased, _>(b, "pii_erased")).transpose()?.flatten();
    let new = read_mark::<super::ops::PiiErased, _>(after, "pii_erased")?;
    super::ops::check_pii_erased_change(user, dir, kind, old.as_ref(), new.as_ref())
}

fn check_companion<D: ReadDoc>(
    user: &UserId,
    dir: &Directory,
    doc_id: &DocId,
    (record, meta, pii_erased): (&DocId, &RecordMeta, bool),
    before: Option<&D>,
    after: &D,
) -> Result<(), DomainError> {
    // Before anything else: an erased record's personal data never comes back, new or replayed.
    if pii_erased && doc_id == &record.companion(super::FieldGroup::Pii) {
        return Err(DomainError::refused(
            "pii",
            format!("the personal data of this {} was erased and may not be written again", meta.kind.as_str()),
        ));
    }
    match before {
        Some(before) => immutable_unchanged(before, after)?,
        None => {
            if !matches!(check_new_head(user, after)?, DocKind::Companion(_)) {
                return Err(DomainError::refused("kind", "not a group kind for a companion document"));
            }
        }
    }
    let link = super::docs::read_companion_link(after).map_err(refusal)?;
    if &link.record != record || &record.companion(link.group) != doc_id {
        return Err(DomainError::refused("record", "the companion does not belong to this record and group"));
    }
    if link.record_kind != meta.kind || !companion_groups(meta.kind).contains(&link.group) {
        return Err(DomainError::refused(
            "record_kind",
            format!("a {} has no {} group", meta.kind.as_str(), link.group.as_str()),
        ));
    }
    if !access(user, dir, meta).group(link.group).can_write() {
        return Err(DomainError::refused(
            link.group.as_str(),
            format!("you may not change the {} of this {}", link.group.as_str(), meta.kind.as_str()),
        ));
    }
    validate_companion_doc(after).map_err(refusal)?;
    Ok(())
}

fn check_directory<D: ReadDoc>(
    user: &UserId,
    dir: &Directory,
    deals_per_stage: &super::pipeline::StagesInUse,
    before: Option<&D>,
    after: &D,
) -> Result<(), DomainError> {
    if !may_write_directory(user, dir) {
        return Err(DomainError::refused("", "only admins may change the directory"));
    }
    if let Some(before) = before {
        immutable_unchanged(before, after)?;
    }
    if read_kind(after).map_err(refusal)? != Some(DocKind::Directory) {
        return Err(DomainError::refused("kind", "the directory document has kind \"directory\""));
    }
    let new: Directory = autosurgeon::hydrate(after).map_err(|e| DomainError::refused("directory", e.to_string()))?;
    validate_directory(&new).map_err(refusal)?;
    if let Some(before) = before {
        let old: Directory =
            autosurgeon::hydrate(before).map_err(|e| DomainError::refused("directory", e.to_string()))?;
        if let Some(e) = super::pipeline::check_pipeline(&old.stages, &new.stages, deals_per_stage).into_iter().next() {
            return Err(DomainError::refused("stages", e.to_string()));
        }
    }
    Ok(())
}

/// Checks a directory for consistency: unique ids, known teams, at least one stage and one won stage,
/// probabilities within 0-100, at least one active admin (nobody can lock the company out).
pub fn validate_directory(dir: &Directory) -> Result<(), DomainError> {
    use std::collections::BTreeSet;
    fn unique<'a>(field: &str, ids: impl Iterator<Item = &'a str>) -> Result<(), DomainError> {
        let mut seen = BTreeSet::new();
        for id in ids {
            if id.trim().is_empty() {
                return Err(DomainError::invalid(field, "an id is empty"));
            }
            if !seen.insert(id) {
                return Err(DomainError::invalid(field, format!("{id:?} appears twice")));
            }
        }
        Ok(())
    }
    unique("users", dir.users.iter().map(|u| u.id.as_str()))?;
    unique("teams", dir.teams.iter().map(|t| t.id.as_str()))?;
    unique("stages", dir.stages.iter().map(|s| s.id.as_str()))?;
    unique("custom_fields", dir.custom_fields.iter().map(|f| f.id.as_str()))?;
    for u in &dir.users {
        if let Some(t) = &u.team {
            if dir.team(t).is_none() {
                return Err(DomainError::invalid(format!("users.{}.team", u.id), format!("unknown team {t:?}")));
            }
        }
    }
    for t in &dir.teams {
        if let Some(p) = &t.parent {
            if dir.team(p).is_none() {
                return Err(DomainError::invalid(format!("teams.{}.parent", t.id), format!("unknown team {p:?}")));
            }
        }
        if let Some(m) = &t.manager {
            if dir.user(m).is_none() {
                return Err(DomainError::invalid(format!("teams.{}.manager", t.id), format!("unknown user {m:?}")));
            }
        }
    }
    if dir.stages.is_empty() {
        return Err(DomainError::invalid("stages", "at least one stage"));
    }
    if !dir.stages.iter().any(|s| s.won) {
        return Err(DomainError::invalid("stages", "one stage must win the deal"));
    }
    for s in &dir.stages {
        if s.probability > 100 {
            return Err(DomainError::invalid(format!("stages.{}.probability", s.id), "not within 0-100"));
        }
    }
    for f in &dir.custom_fields {
        if let super::CustomFieldType::Choice { options } = &f.field_type {
            if options.is_empty() {
                return Err(DomainError::invalid(format!("custom_fields.{}", f.id), "a choice needs options"));
            }
        }
    }
    dir.churn.validate()?;
    dir.relationship.validate()?;
    if !dir.users.iter().any(|u| u.role == Role::Admin && !u.disabled) {
        return Err(DomainError::invalid("users", "at least one active admin"));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
