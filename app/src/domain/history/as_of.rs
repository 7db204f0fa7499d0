//! The record as it was at a time.
//!
//! The axis is the relay's clock (`received_at`), falling back to the change's own `made_at` only for a
//! change the relay has not confirmed (this device's unsent edits). "As of Monday" then means what the
//! record said on Monday to anyone who looked: an edit made offline on Sunday and synced on Tuesday was not
//! part of the record on Monday. The relay's clock is also one clock, which only moves forward in causal
//! order (a change reaches it after the changes it builds on), whereas device clocks disagree and can be
//! wrong; `made_at` as the axis would let a device with a fast clock or a long offline spell rewrite the past.

use std::borrow::Cow;
use std::collections::HashSet;

use automerge::{Automerge, ChangeHash};

use super::ProvenanceMap;
use crate::domain::{Access, DocId, DomainError, FieldGroup, RecordView, Timestamp};

/// The record view at `at`: each document at the last of its changes accepted by then (and everything they
/// build on), redacted for `access` like any view. `None` when the record did not exist yet. A companion
/// with no change by then is absent from the view.
pub fn as_of(
    id: &DocId,
    main: &Automerge,
    companions: &[(FieldGroup, &Automerge)],
    provenance: &ProvenanceMap,
    access: &Access,
    at: Timestamp,
) -> Result<Option<RecordView>, DomainError> {
    if !access.visible() {
        return Ok(None);
    }
    let Some(main_then) = doc_at(main, provenance, at)? else { return Ok(None) };
    let mut then = Vec::new();
    for (g, doc) in companions {
        if access.group(*g).can_read() {
            if let Some(d) = doc_at(doc, provenance, at)? {
                then.push((*g, d));
            }
        }
    }
    let refs: Vec<(FieldGroup, &Automerge)> = then.iter().map(|(g, d)| (*g, d.as_ref())).collect();
    let mut view = RecordView::from_docs(id, main_then.as_ref(), &refs)?;
    view.redact(access);
    Ok(Some(view))
}

/// The document at `at`, or `None` if none of its changes had arrived by then; the document itself (no
/// copy) when all of them had (the common case for a board of deals most of which did not move since).
pub(super) fn doc_at<'a>(
    doc: &'a Automerge,
    provenance: &ProvenanceMap,
    at: Timestamp,
) -> Result<Option<Cow<'a, Automerge>>, DomainError> {
    let mut included: HashSet<ChangeHash> = HashSet::new();
    let mut deps_of_included: HashSet<ChangeHash> = HashSet::new();
    let mut all = true;
    // Causal order: a change is included only when everything it builds on is.
    for c in doc.get_changes_meta(&[]) {
        // Unconfirmed and unstamped (older stores): there from the start.
        let when =
            provenance.get(&c.hash).map(|p| p.received_at).or_else(|| super::made_at(c.timestamp)).unwrap_or_default();
        if when <= at && c.deps.iter().all(|d| included.contains(d)) {
            included.insert(c.hash);
            deps_of_included.extend(c.deps.iter().copied());
        } else {
            all = false;
        }
    }
    if included.is_empty() {
        return Ok(None);
    }
    if all {
        return Ok(Some(Cow::Borrowed(doc)));
    }
    let mut heads: Vec<ChangeHash> = included.difference(&deps_of_included).copied().collect();
    heads.sort();
    doc.fork_at(&heads).map(|d| Some(Cow::Owned(d))).map_err(|e| DomainError::invalid("document", e.to_string()))
}
