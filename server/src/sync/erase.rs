//! Erasure of personal data: once a lead or contact carries the erasure mark (`pii_erased`, set by an admin:
//! `app::domain::ops::erase`), its `pii` companion leaves the store, the catalog, memory and every user's
//! index, and connections that had it open are told it is unavailable. Devices delete it when it leaves
//! their index; the write gate refuses it from then on, so no device can sync it back.
//!
//! The mark goes first and the data second: while the mark stands, no write to the companion is accepted,
//! so there is nothing to race with. The hub removes the data whenever it sees the mark with a stored
//! companion: after the change that set it (whoever sent it), and at start (a relay that stopped between
//! the two steps).

use std::time::Duration;

use app::domain::{DocId, DocKind, FieldGroup};

use super::{blocking, lock, ConnId, Hub, SyncError};

impl Hub {
    /// Is the record's personal data erased (from metadata; no document is loaded)?
    pub fn is_pii_erased(&self, record: &DocId) -> bool {
        self.cat().metas.get(record).is_some_and(|m| m.pii_erased)
    }

    /// Removes the `pii` companion of `record` if the record carries the erasure mark. Returns whether a
    /// stored companion was removed (false: no mark, or nothing left to remove).
    pub async fn drop_erased_pii(&self, record: &DocId) -> Result<bool, SyncError> {
        if !self.is_pii_erased(record) {
            return Ok(false);
        }
        let id = record.companion(FieldGroup::Pii);
        // Commits queued before the mark, and a compaction, write this document's chunks: let them land first,
        // so the deletion (queued after them) removes everything. Nothing new can be queued: the gate refuses.
        let mut slot = loop {
            let slot = self.lock_slot(&id).await;
            if slot.inflight == 0 && !slot.compacting {
                break slot;
            }
            drop(slot);
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let stored = self.cat().exists(&id);
        if stored {
            let store = self.inner.store.clone();
            let did = id.clone();
            blocking(move || store.delete(&did)).await??;
            self.cat_mut().remove(&id);
        }
        if slot.doc.take().is_some() {
            self.loaded_dec();
        }
        let peers: Vec<ConnId> = slot.peers.drain().map(|(c, _)| c).collect();
        for conn in peers {
            self.send_unavailable(conn, &id);
        }
        lock(&self.inner.slots).remove(&id);
        drop(slot);
        // Gone from the catalog, so readable by nobody: every index that lists it drops it.
        self.update_indexes(std::slice::from_ref(&id)).await?;
        if stored {
            tracing::info!(record = %record, "personal data erased from the store");
        }
        Ok(stored)
    }

    /// At start: finishes erasures the relay did not finish before it stopped.
    pub(crate) async fn finish_erasures(&self) -> Result<(), SyncError> {
        let pending: Vec<DocId> = {
            let cat = self.cat();
            cat.metas
                .iter()
                .filter(|(id, m)| {
                    m.pii_erased
                        && matches!(m.kind, Some(DocKind::Record(_)))
                        && cat.exists(&id.companion(FieldGroup::Pii))
                })
                .map(|(id, _)| id.clone())
                .collect()
        };
        for record in pending {
            self.drop_erased_pii(&record).await?;
        }
        Ok(())
    }
}
