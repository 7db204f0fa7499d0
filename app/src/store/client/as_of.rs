//! Records and the board as they were at a time, computed on this device from its own documents
//! (`domain::history::as_of`, `board_as_of`; ARCHITECTURE.md §11): no relay needed, only the provenance the
//! caller has cached (without it a change counts at its own time).

use automerge::Automerge;
use futures::future::join_all;

use super::ClientStore;
use crate::domain::history::{self, ProvenanceMap};
use crate::domain::{companion_groups, Access, DocId, FieldGroup, OpportunityView, RecordView, Timestamp};
use crate::store::{Storage as _, StoreError};

/// Documents read from storage at once for the board (IndexedDB answers concurrent requests faster than one
/// after the other; a bound keeps memory flat).
const BATCH: usize = 200;

impl ClientStore {
    /// The record `id` as it was at `at`, redacted for `access`; `None` when it did not exist then (or this
    /// device does not hold it).
    pub async fn record_as_of(
        self,
        id: DocId,
        provenance: &ProvenanceMap,
        access: &Access,
        at: Timestamp,
    ) -> Result<Option<RecordView>, StoreError> {
        let rep = self.core().replica()?;
        let docs = rep.docs();
        let Some(kind) = rep.kind_of(&id) else { return Ok(None) };
        if !docs.load(&id).await? {
            return Ok(None);
        }
        // Companions are small; copied out so the main document can be read in place (`AutoCommit` hands
        // out its `Automerge` only mutably: it commits what is pending first).
        let mut companions: Vec<(FieldGroup, Automerge)> = Vec::new();
        for &g in companion_groups(kind) {
            let cid = id.companion(g);
            if access.group(g).can_read() && docs.load(&cid).await? {
                companions.extend(docs.write(&cid, |d| (g, d.document().clone())));
            }
        }
        let comps: Vec<(FieldGroup, &Automerge)> = companions.iter().map(|(g, d)| (*g, d)).collect();
        let got = docs.write(&id, |main| history::as_of(&id, main.document(), &comps, provenance, access, at));
        match got {
            Some(Ok(v)) => Ok(v),
            Some(Err(e)) => Err(StoreError::corrupt(&id, e)),
            None => Ok(None),
        }
    }

    /// The deals `ids` as they were at `at` (main documents only: stage, status, name, owner, close date),
    /// in the order given, those that did not exist then left out. A document already loaded is read where
    /// it is; the others are read from storage without joining the loaded set (a board of thousands would
    /// push out the documents of the records open now).
    pub async fn deals_as_of(
        self,
        ids: &[DocId],
        provenance: &ProvenanceMap,
        at: Timestamp,
    ) -> Result<Vec<OpportunityView>, StoreError> {
        let rep = self.core().replica()?;
        let docs = rep.docs();
        let mut out = Vec::with_capacity(ids.len());
        let one = |id: &DocId, d: &Automerge| history::board_as_of(&[(id.clone(), d)], provenance, at).pop();
        for batch in ids.chunks(BATCH) {
            // Per deal of the batch: `Some(then)` once known (`Some(None)`: not a deal then).
            let mut then: Vec<Option<Option<OpportunityView>>> =
                batch.iter().map(|id| docs.write(id, |d| one(id, d.document()))).collect();
            let to_read: Vec<&DocId> = batch
                .iter()
                .zip(&then)
                .filter(|(id, t)| t.is_none() && docs.maybe_stored(id))
                .map(|(id, _)| id)
                .collect();
            let read = join_all(to_read.iter().map(|id| rep.storage().chunks(id))).await;
            for (id, chunks) in to_read.into_iter().zip(read) {
                let chunks = chunks?;
                // A damaged document is left off the board rather than failing it.
                let Ok(d) = Automerge::load(&chunks.concat()) else { continue };
                if let Some(slot) = batch.iter().position(|b| b == id) {
                    then[slot] = Some(one(id, &d));
                }
            }
            out.extend(then.into_iter().flatten().flatten());
        }
        Ok(out)
    }
}
