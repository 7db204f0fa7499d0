//! Getting changes to disk without making live edits wait for it.
//!
//! An accepted change is queued for the store under the document's lock (so chunks are stored in the order
//! they were applied; the SQLite writer is FIFO) and forwarded to readers at once; [`Hub::finish_commit`]
//! waits for durability outside the lock and only then lets the writer's acknowledgement go (the sync
//! message carrying the new heads, held back by `fan_out` while the writer has `unacked` commits).
//!
//! A reader that received a change which the relay then lost (killed before the commit) holds it and offers
//! it again after reconnecting; the writer, never acknowledged, offers it too. A re-upload is judged as a
//! write of whoever sends it (`incoming.rs`), because who authored a change (its actor id) is not
//! authenticated and a reader could forge one.
//!
//! Known edge: if a commit fails and the relay dies before its retry succeeds, a later (acknowledged) change
//! that builds on it is stored but stays queued, invisible, until the missing change is uploaded again.

use std::sync::atomic::Ordering;
use std::time::Duration;

use app::domain::{Directory, DocId};

use super::slot::Slot;
use super::{blocking, ConnId, Hub, SyncError};
use crate::docstore::{DocMeta, Origin, Pending, StoreError};

/// A change queued for the store, waiting to become durable.
pub(super) struct Commit {
    pending: Pending,
    conn: ConnId,
    chunk: Vec<u8>,
    meta: DocMeta,
    /// Who sent its changes (stored with them; kept for a retry).
    origin: Origin,
    /// Its metadata differs from what was stored before: indexes need updating once it is durable.
    meta_changed: bool,
}

impl Hub {
    /// Appends a chunk and waits until it is durable (relay-made documents; not the live-edit path).
    pub(super) async fn append(
        &self,
        id: &DocId,
        chunk: Vec<u8>,
        meta: DocMeta,
        origin: Origin,
    ) -> Result<u64, SyncError> {
        let store = self.inner.store.clone();
        let id = id.clone();
        Ok(blocking(move || store.append(&id, &chunk, &meta, &origin)).await??)
    }

    /// Queues `conn`'s accepted change for the store (never waits on the disk) and marks the connection as
    /// not acknowledged until [`Hub::finish_commit`] has seen it durable.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn queue_commit(
        &self,
        id: &DocId,
        slot: &mut Slot,
        conn: ConnId,
        chunk: Vec<u8>,
        meta: DocMeta,
        origin: Origin,
        meta_changed: bool,
    ) -> Commit {
        if let Some(p) = slot.peers.get_mut(&conn) {
            p.unacked += 1;
        }
        slot.inflight += 1;
        self.inner.commits.fetch_add(1, Ordering::Relaxed);
        let pending = self.inner.store.submit_append(id.clone(), chunk.clone(), meta.clone(), origin.clone());
        Commit { pending, conn, chunk, meta, origin, meta_changed }
    }

    /// Waits until the change is durable (retrying a failed commit with back-off until it succeeds or the
    /// relay shuts down), then acknowledges the writer and brings indexes up to date.
    pub(super) async fn finish_commit(&self, id: DocId, mut c: Commit) {
        let t0 = std::time::Instant::now();
        let mut backoff = Duration::from_millis(100);
        let mut failed = false;
        let stored = loop {
            match std::mem::replace(&mut c.pending, Pending::Done(Err(StoreError::Closed))).durable().await {
                Ok(seq) => break Some(seq),
                Err(e) => {
                    tracing::error!(doc = %id, error = %e, "cannot store a change: not acknowledged, retrying");
                    if !failed {
                        failed = true;
                        self.lock_slot(&id).await.failing += 1;
                    }
                    if *self.inner.shutdown.borrow() {
                        break None;
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    // The newest metadata: an older one must not overwrite what later commits stored.
                    if let Some(m) = self.cat().metas.get(&id) {
                        c.meta = m.clone();
                    }
                    c.pending =
                        self.inner.store.submit_append(id.clone(), c.chunk.clone(), c.meta.clone(), c.origin.clone());
                }
            }
        };
        let durable = t0.elapsed();
        let mut slot = self.lock_slot(&id).await;
        if t0.elapsed() >= super::incoming::STALL {
            let (commit_ms, lock_wait_ms) = (super::incoming::ms(durable), super::incoming::ms(t0.elapsed() - durable));
            tracing::info!(target: "crm_stall", doc = %id, commit_ms, lock_wait_ms, "slow commit (the writer's ack waits; readers do not)");
        }
        slot.inflight -= 1;
        self.inner.commits.fetch_sub(1, Ordering::Relaxed);
        if failed {
            slot.failing -= 1;
        }
        if let Some(p) = slot.peers.get_mut(&c.conn) {
            p.unacked -= 1;
        }
        let Some(seq) = stored else { return };
        slot.last_seq = slot.last_seq.max(seq);
        slot.chunks += 1;
        // The writer's acknowledgement (and anything held back while a commit was failing).
        self.fan_out(&id, &mut slot, None);
        self.maybe_compact(&id, &mut slot);
        let directory = if id == self.inner.directory_id {
            slot.doc.as_ref().and_then(|d| autosurgeon::hydrate::<_, Directory>(d).ok())
        } else {
            None
        };
        self.forget_if_unused(&id, &mut slot);
        drop(slot);
        let r = match directory {
            Some(dir) => self.directory_changed(dir).await,
            None if c.meta_changed => self.after_meta_change(&id).await,
            None => Ok(()),
        };
        if let Err(e) = r {
            tracing::error!(doc = %id, error = %e, "index update failed");
        }
    }

    /// Compacts the document's stored chunks into one snapshot in the background once there are enough.
    /// The snapshot is built from the store on a blocking thread, never from the slot under its lock: a
    /// full save of a large document would stall every edit of it meanwhile.
    pub(super) fn maybe_compact(&self, id: &DocId, slot: &mut Slot) {
        if slot.chunks < self.inner.cfg.compact_after || slot.compacting {
            return;
        }
        slot.compacting = true;
        slot.chunks = 1;
        let hub = self.clone();
        let id = id.clone();
        tokio::spawn(async move {
            let store = hub.inner.store.clone();
            let did = id.clone();
            let t0 = std::time::Instant::now();
            let r = blocking(move || -> Result<(), StoreError> {
                let Some(chunks) = store.load(&did)? else { return Ok(()) };
                let snapshot = chunks.load(&did)?.save();
                // Chunks committed after the load keep their higher sequence numbers and stay.
                store.compact(&did, &snapshot, chunks.last_seq)
            })
            .await;
            tracing::debug!(target: "crm_stall", doc = %id, ms = super::incoming::ms(t0.elapsed()), "compaction (off the document's lock)");
            if let Err(e) | Ok(Err(e)) = r.map(|r| r.map_err(SyncError::from)) {
                tracing::warn!(doc = %id, error = %e, "compaction failed");
            }
            let mut slot = hub.lock_slot(&id).await;
            slot.compacting = false;
            hub.forget_if_unused(&id, &mut slot);
        });
    }

    /// Drops a slot nobody has open and nothing is pending for from memory and from the map.
    pub(super) fn forget_if_unused(&self, id: &DocId, slot: &mut Slot) {
        if slot.unused() {
            if slot.doc.take().is_some() {
                self.loaded_dec();
            }
            super::lock(&self.inner.slots).remove(id);
        }
    }
}
