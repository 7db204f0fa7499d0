//! Writes made on the relay for a signed-in user (the REST API): the same path as a change arriving over
//! sync (write gate, store, index update, fan-out to open sockets), without a socket.
//!
//! The caller builds the new state as changes on a copy of the document ([`Hub::load`] or a fresh
//! document) and hands the copy back; the hub merges those changes into its current copy under the slot
//! lock, so a sync change that arrived in between is kept (the CRDT merges both), and then asks the
//! same gate a sync change goes through.

use app::domain::{DocId, UserId};
use automerge::Automerge;

use super::{gate, Hub, Refused, SyncError};
use crate::docstore::{DocMeta, Origin};
use app::domain::history::Author;

/// Why a user's write was not stored.
#[derive(Debug, thiserror::Error)]
pub enum LocalWriteError {
    /// The write gate said no (the same answer a sync client would get).
    #[error(transparent)]
    Refused(#[from] Refused),
    /// A new document was asked for and one with that id exists already.
    #[error("document exists already")]
    Exists,
    #[error(transparent)]
    Sync(#[from] SyncError),
}

impl Hub {
    /// Is the record `id` archived (from metadata; no document is loaded)?
    pub fn is_archived(&self, id: &DocId) -> bool {
        self.cat().metas.get(id).is_some_and(|m| m.archived)
    }

    /// What the policy needs to know about the record `id` (`None`: no such record).
    pub fn record_meta(&self, id: &DocId) -> Option<app::domain::RecordMeta> {
        self.cat().record_meta(id)
    }

    /// Does a document with this id exist?
    pub fn exists(&self, id: &DocId) -> bool {
        self.cat().exists(id)
    }

    /// Asks the write gate, without storing anything, whether `user` may turn document `id` into `after`
    /// (the hub's current copy merged with `after`'s changes). Lets a caller that writes several
    /// documents (a deal and its money) check them all before storing the first.
    pub async fn check_as(&self, user: &UserId, id: &DocId, after: &Automerge) -> Result<(), LocalWriteError> {
        let current = self.load(id).await?;
        let exists = current.is_some();
        let before = current.unwrap_or_else(Automerge::new);
        let mut merged = before.fork();
        merged
            .merge(&mut after.fork())
            .map_err(|e| SyncError::Invalid { id: id.to_string(), reason: e.to_string() })?;
        gate::check_write(&self.cat(), &self.inner.directory_id, user, id, &before, exists, &merged)?;
        Ok(())
    }

    /// Stores `user`'s write of document `id`: `after`'s changes merged into the current copy, judged by the
    /// write gate exactly as a sync change, stored before it is forwarded, then sent to every open socket
    /// that may read it, and the indexes updated. `new`: the document must not exist yet
    /// ([`LocalWriteError::Exists`] otherwise; retried creates rely on it).
    pub async fn write_as(
        &self,
        user: &UserId,
        id: &DocId,
        mut after: Automerge,
        new: bool,
    ) -> Result<(), LocalWriteError> {
        let mut slot = self.lock_slot(id).await;
        self.ensure_loaded(id, &mut slot).await?;
        let exists = self.cat().exists(id);
        if new && exists {
            return Err(LocalWriteError::Exists);
        }
        let was_loaded = slot.doc.is_some();
        let current = slot.doc.get_or_insert_with(Automerge::new);
        let before = current.get_heads();
        let mut fork = current.fork();
        fork.merge(&mut after).map_err(|e| SyncError::Invalid { id: id.to_string(), reason: e.to_string() })?;
        if fork.get_heads() == before {
            if !was_loaded {
                slot.doc = None;
            }
            return Ok(());
        }
        let verdict = gate::check_write(&self.cat(), &self.inner.directory_id, user, id, current, exists, &fork);
        let meta: DocMeta = match verdict {
            Ok(meta) => meta,
            Err(refusal) => {
                if !was_loaded {
                    slot.doc = None;
                }
                if let Some(hook) = self.inner.refusal_hook.get() {
                    hook(user, id, &refusal);
                }
                return Err(refusal.into());
            }
        };
        let chunk = if exists { fork.save_after(&before) } else { fork.save() };
        // Recorded for the signed-in user: whichever actor the merged changes carry.
        let origin =
            Origin::now(Author::User(user.clone()), fork.get_changes_meta(&before).iter().map(|c| c.hash).collect());
        let seq = match self.append(id, chunk, meta.clone(), origin).await {
            Ok(seq) => seq,
            Err(e) => {
                // Memory must not run ahead of the store.
                slot.doc = None;
                if was_loaded {
                    self.loaded_dec();
                }
                return Err(e.into());
            }
        };
        if !was_loaded {
            self.loaded_inc();
        }
        slot.doc = Some(fork);
        slot.last_seq = seq;
        slot.chunks += 1;
        let meta_changed = {
            let mut cat = self.cat_mut();
            let changed = cat.metas.get(id) != Some(&meta);
            cat.set_meta(id, meta);
            changed
        };
        self.forward(id, &mut slot);
        self.maybe_compact(id, &mut slot);
        self.release_if_idle(&mut slot);
        drop(slot);
        if meta_changed {
            self.after_meta_change(id).await?;
        }
        Ok(())
    }

    /// Sends a stored change to the open sockets, like a change that came in over sync. The one call into
    /// the hub's forwarding, so a rework of fan-out needs one line changed here.
    fn forward(&self, id: &DocId, slot: &mut super::Slot) {
        self.fan_out(id, slot, None);
    }
}
