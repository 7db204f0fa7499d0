//! The write gate: may this user turn document `before` into `after`? Pure: the hub applies an incoming
//! sync message to a scratch fork and asks here before anything is stored or forwarded.
//!
//! Who may write what, and what a valid document is, is the domain's (`app::domain::gate`). This file
//! supplies what only the relay knows: the document's role, its record's current metadata, and which
//! record numbers were issued to whom and are in use.

use app::domain::gate::DocRole;
use app::domain::{DocId, DocKind, UserId};
use automerge::Automerge;

use super::catalog::Catalog;
use crate::docstore::DocMeta;

pub use app::protocol::Refused;

/// Checks a write by `user` to document `id`. `before` is the relay's copy (empty if the document does not
/// exist yet: `exists == false`); `after` is `before` plus the incoming changes. The rules are the domain's
/// (`app::domain::gate::check_write`); this adds what only the relay knows: which role the document plays,
/// whether a companion's record is here, whether a linked customer exists for this user.
/// Returns the metadata of `after` when the change may be stored.
pub fn check_write(
    cat: &Catalog,
    directory_id: &DocId,
    user: &UserId,
    id: &DocId,
    before: &Automerge,
    exists: bool,
    after: &Automerge,
) -> Result<DocMeta, Refused> {
    let meta = DocMeta::read(after);
    let kind = if exists { cat.metas.get(id).and_then(|m| m.kind) } else { meta.kind };
    let Some(kind) = kind else {
        return Err(Refused::new("kind", "a document needs a known kind"));
    };
    if (kind == DocKind::Directory) != (id == directory_id) {
        return Err(Refused::new("kind", "there is exactly one directory document"));
    }
    let role = match kind {
        DocKind::Index => DocRole::Index,
        DocKind::Directory => DocRole::Directory { deals_per_stage: cat.deals_per_stage() },
        DocKind::Record(_) => {
            let link = if exists { cat.metas.get(id).and_then(|m| m.customer.clone()) } else { meta.customer.clone() };
            let customer_owner = link.as_ref().and_then(|c| cat.metas.get(c)).and_then(|m| m.owner.clone());
            DocRole::Main { customer_owner }
        }
        DocKind::Companion(_) => {
            let record = if exists { cat.metas.get(id).and_then(|m| m.record.clone()) } else { meta.record.clone() };
            let Some(record) = record else {
                return Err(Refused::new("record", "a companion names its record"));
            };
            let Some(rec_meta) = cat.record_meta(&record) else {
                return Err(Refused::new("record", "the record is not on the relay yet: sync it first"));
            };
            let pii_erased = cat.metas.get(&record).is_some_and(|m| m.pii_erased);
            DocRole::Companion { record, meta: rec_meta, pii_erased }
        }
    };
    let before = exists.then_some(before);
    app::domain::gate::check_write(user, &cat.directory, id, &role, before, after)?;
    // A record number must be unique in the company: a new one was issued to this writer and is unused.
    if let Some(number) = &meta.number {
        let old = if exists { cat.metas.get(id).and_then(|m| m.number.as_deref()) } else { None };
        app::domain::ops::check_number(number, old, user, &cat.issued, cat.number_taken(number, id))?;
    }
    // A customer link must name a customer this user can see (else it would leak or dangle).
    if matches!(kind, DocKind::Record(_)) {
        if let Some(c) = &meta.customer {
            let changed = !exists || cat.metas.get(id).is_none_or(|m| m.customer.as_ref() != Some(c));
            let is_customer = matches!(
                cat.metas.get(c).and_then(|m| m.kind),
                Some(DocKind::Record(app::domain::RecordKind::Customer))
            );
            if changed && !(is_customer && cat.readable(user, c)) {
                return Err(Refused::new("customer", "no such customer"));
            }
        }
    }
    Ok(meta)
}
