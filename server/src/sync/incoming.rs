//! Incoming `request`/`sync` and `ephemeral` messages: the read gate, the write gate on a scratch fork,
//! then (for an accepted change) apply, queue the commit, forward at once; the acknowledgement waits for
//! the commit (`commit.rs`).

use std::time::{Duration, Instant};

use app::domain::{DocId, UserId};
use app::protocol::{Ephemeral, Message, SyncData};
use automerge::sync::SyncDoc;
use automerge::Automerge;

use super::slot::{PeerDoc, Slot};
use super::{gate, ConnId, Hub, Refused};
use crate::docstore::{DocMeta, Origin};
use app::domain::history::Author;

/// Handling one message for longer than this is logged on target `crm_stall`.
pub(super) const STALL: Duration = Duration::from_millis(10);

pub(super) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// What applying one sync message did.
enum Applied {
    /// Nothing new was stored (answered, held back, or refused with an error).
    Nothing,
    /// The gate passed: the change is in memory; it must be queued for the store and forwarded.
    Accepted { chunk: Vec<u8>, meta: Box<DocMeta>, meta_changed: bool, changes: Vec<automerge::ChangeHash> },
}

impl Hub {
    /// Handles `request`/`sync` from `conn`. Returns whether the connection now has the document open.
    pub(crate) async fn handle_sync(&self, conn: ConnId, user: &UserId, msg: SyncData, request: bool) -> bool {
        let id = msg.document_id;
        let (exists, readable) = {
            let cat = self.cat();
            (cat.exists(&id), cat.readable(user, &id))
        };
        if exists && !readable {
            let mut slot = self.lock_slot(&id).await;
            slot.peers.remove(&conn);
            drop(slot);
            self.send_unavailable(conn, &id);
            return false;
        }
        let sync_msg = match automerge::sync::Message::decode(&msg.data) {
            Ok(m) => m,
            Err(e) => {
                self.send_error(conn, format!("malformed sync message for document {id}: {e}"), Some(&id), None);
                return false;
            }
        };
        if !exists && request && sync_msg.changes.is_empty() {
            self.send_unavailable(conn, &id);
            return false;
        }
        let t0 = Instant::now();
        let mut slot = self.lock_slot(&id).await;
        let t_lock = t0.elapsed();
        if let Err(e) = self.ensure_loaded(&id, &mut slot).await {
            tracing::error!(doc = %id, error = %e, "cannot load document");
            self.send_error(conn, format!("document {id} cannot be read right now"), Some(&id), None);
            return false;
        }
        // Re-read under the slot lock: another connection may have just created it, or access may have gone.
        let (exists, readable) = {
            let cat = self.cat();
            (cat.exists(&id), cat.readable(user, &id))
        };
        if exists && !readable {
            slot.peers.remove(&conn);
            self.send_unavailable(conn, &id);
            return false;
        }
        if slot.doc.is_none() {
            slot.doc = Some(Automerge::new());
            self.loaded_inc();
        }
        let t_load = t0.elapsed();
        let applied = self.apply(conn, user, &id, exists, &mut slot, sync_msg, request);
        let t_apply = t0.elapsed();
        if let Applied::Accepted { chunk, meta, meta_changed, changes } = applied {
            // The session's user, never the actor id in the changes (which the client chose).
            let origin = Origin::now(Author::User(user.clone()), changes);
            // Queue first (the disk starts at once), then forward: neither waits for the other.
            let commit = self.queue_commit(&id, &mut slot, conn, chunk, *meta, origin, meta_changed);
            self.fan_out(&id, &mut slot, Some(conn));
            drop(slot);
            let hub = self.clone();
            let doc = id.clone();
            tokio::spawn(async move { hub.finish_commit(doc, commit).await });
        } else {
            drop(slot);
        }
        let total = t0.elapsed();
        if total >= STALL {
            // `RUST_LOG=crm_stall=info` shows where a slow message spent its time (see the README).
            tracing::info!(
                target: "crm_stall",
                doc = %id,
                lock_wait_ms = ms(t_lock),
                load_ms = ms(t_load - t_lock),
                gate_apply_ms = ms(t_apply - t_load),
                queue_fan_out_ms = ms(total - t_apply),
                "slow sync message"
            );
        }
        true
    }

    /// Applies one sync message to the slot under its lock: gate, then apply; answers `conn` unless it has
    /// commits pending (its answer would acknowledge them).
    #[allow(clippy::too_many_arguments)]
    fn apply(
        &self,
        conn: ConnId,
        user: &UserId,
        id: &DocId,
        exists: bool,
        slot: &mut Slot,
        sync_msg: automerge::sync::Message,
        request: bool,
    ) -> Applied {
        let Slot { doc, peers, failing, .. } = slot;
        let Some(doc) = doc.as_mut() else { return Applied::Nothing };
        let peer = peers.entry(conn).or_insert_with(PeerDoc::new);
        if request {
            peer.state = automerge::sync::State::new();
        }
        if sync_msg.changes.is_empty() {
            if let Err(e) = doc.receive_sync_message(&mut peer.state, sync_msg) {
                self.send_error(conn, format!("bad sync message for document {id}: {e}"), Some(id), None);
                return Applied::Nothing;
            }
        } else {
            let before = doc.get_heads();
            let mut fork = doc.fork();
            // Changes of this peer still waiting for a dependency go into the fork first (`PeerDoc::parked`).
            for chunk in &peer.parked {
                let _ = fork.load_incremental(chunk);
            }
            let chunks: Vec<Vec<u8>> = sync_msg.changes.iter().map(<[u8]>::to_vec).collect();
            let mut state = peer.state.clone();
            if let Err(e) = fork.receive_sync_message(&mut state, sync_msg) {
                self.send_error(conn, format!("bad changes for document {id}: {e}"), Some(id), None);
                return Applied::Nothing;
            }
            let new = fork.get_changes(&before);
            let waiting = !automerge::ReadDoc::get_missing_deps(&fork, &[]).is_empty();
            let blocked = new.is_empty()
                && automerge::ReadDoc::get_missing_deps(&fork, &[]).iter().any(|h| peer.refused.contains(h));
            if blocked || new.iter().any(|c| peer.refused.contains(&c.hash())) {
                // Refused changes again, or ones built on them (changes are hash-chained): refused unread.
                peer.refused.extend(new.iter().map(|c| c.hash()));
                peer.parked.clear();
                let refusal = Refused::new("", "builds on a change that was refused: reload the document");
                self.send_error(conn, format!("change to {id} refused: {}", refusal.reason), Some(id), Some(refusal));
                return Applied::Nothing;
            } else if new.is_empty() {
                peer.state = state;
                peer.park(waiting, chunks);
            } else {
                // Judged as this user's write, whoever authored the changes: actor ids are not authenticated,
                // so a re-upload of someone else's change passes only if this user may make it too.
                // Bound first: the catalog's read guard must be gone before the write lock below.
                let verdict = gate::check_write(&self.cat(), &self.inner.directory_id, user, id, doc, exists, &fork);
                match verdict {
                    Err(refusal) => {
                        peer.refused.extend(new.iter().map(|c| c.hash()));
                        peer.parked.clear();
                        tracing::info!(user = %user, doc = %id, path = %refusal.path, reason = %refusal.reason, "refused change");
                        if let Some(hook) = self.inner.refusal_hook.get() {
                            hook(user, id, &refusal);
                        }
                        let message = format!("change to {id} refused: {}", refusal.reason);
                        self.send_error(conn, message, Some(id), Some(refusal));
                        return Applied::Nothing;
                    }
                    Ok(meta) => {
                        let chunk = if exists { fork.save_after(&before) } else { fork.save() };
                        *doc = fork;
                        peer.state = state;
                        peer.park(waiting, chunks);
                        let mut cat = self.cat_mut();
                        let meta_changed = cat.metas.get(id) != Some(&meta);
                        cat.set_meta(id, meta.clone());
                        drop(cat);
                        // The caller queues the commit, which holds this connection's answer back.
                        let changes = new.iter().map(|c| c.hash()).collect();
                        return Applied::Accepted { chunk, meta: Box::new(meta), meta_changed, changes };
                    }
                }
            }
        }
        if peer.unacked == 0 && *failing == 0 {
            if let Some(m) = doc.generate_sync_message(&mut peer.state) {
                self.send_sync(conn, id, m.encode());
            }
        }
        Applied::Nothing
    }

    /// Relays presence to the other connections that have the document open and may read it.
    pub(crate) async fn handle_ephemeral(&self, conn: ConnId, user: &UserId, msg: Ephemeral) {
        if !self.cat().readable(user, &msg.document_id) {
            return;
        }
        let slot = super::lock(&self.inner.slots).get(&msg.document_id).cloned();
        let Some(slot) = slot else { return };
        let others: Vec<ConnId> = slot.lock().await.peers.keys().copied().filter(|c| *c != conn).collect();
        for other in others {
            if self.user_of(other).is_some_and(|u| self.cat().readable(&u, &msg.document_id)) {
                let m = msg.clone();
                self.send(other, |_, them| Message::Ephemeral(Ephemeral { target_id: them.clone(), ..m }));
            }
        }
    }
}
