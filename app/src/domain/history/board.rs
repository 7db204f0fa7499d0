//! The pipeline board as it stood at a time: each deal as its main document said then.
//!
//! Only the main documents are read (stage, status, name, owner, close date live there; the money companion
//! would double the work for amounts the board at a past time does not need), so what comes back is the
//! base group only: no redaction is needed beyond the caller's choice of deals (those the reader sees).

use automerge::Automerge;

use super::as_of::doc_at;
use super::ProvenanceMap;
use crate::domain::{DocId, OpportunityView, RecordView, Timestamp};

/// Each deal at `at` (its main document at the last change accepted by then, on the relay's clock, falling
/// back to a change's own time without provenance), in the order given. A deal with no change by then did
/// not exist yet and is left out, as is a document that is not a deal or cannot be read (one damaged
/// document must not blank the board).
pub fn board_as_of(deals: &[(DocId, &Automerge)], provenance: &ProvenanceMap, at: Timestamp) -> Vec<OpportunityView> {
    deals
        .iter()
        .filter_map(|(id, main)| {
            let then = doc_at(main, provenance, at).ok()??;
            match RecordView::from_docs(id, then.as_ref(), &[]) {
                Ok(RecordView::Opportunity(o)) => Some(o),
                _ => None,
            }
        })
        .collect()
}
