//! What the hub sends: frames into a connection's bounded outbox, and the fan-out of a document's new state
//! to the connections that have it open.

use app::domain::{DocId, UserId};
use app::protocol::{self, DocUnavailable, ErrorMessage, Message, PeerId, SyncData};
use automerge::sync::SyncDoc;
use tokio::sync::mpsc;

use super::slot::Slot;
use super::{lock, ConnId, Hub, Outgoing, Refused};

impl Hub {
    pub(super) fn send(&self, conn: ConnId, make: impl FnOnce(&PeerId, &PeerId) -> Message) {
        let conns = lock(&self.inner.conns);
        let Some(h) = conns.get(&conn) else { return };
        let msg = make(&self.inner.peer_id, &h.peer);
        let frame = match protocol::encode(&msg) {
            Ok(f) => f,
            Err(e) => {
                tracing::error!(error = %e, "cannot encode a message");
                return;
            }
        };
        if let Err(mpsc::error::TrySendError::Full(_)) = h.tx.try_send(Outgoing::Frame(frame)) {
            tracing::warn!(user = %h.user, conn, "outbox full: disconnecting a slow client");
            let _ = h.kill.send(Some((1008, "too slow: outbox full".into())));
        }
    }

    pub(super) fn send_unavailable(&self, conn: ConnId, id: &DocId) {
        self.send(conn, |me, them| {
            Message::DocUnavailable(DocUnavailable {
                document_id: id.clone(),
                sender_id: me.clone(),
                target_id: them.clone(),
            })
        });
    }

    pub(crate) fn send_error(&self, conn: ConnId, message: String, doc: Option<&DocId>, refused: Option<Refused>) {
        self.send(conn, |me, them| {
            Message::Error(ErrorMessage {
                message,
                sender_id: Some(me.clone()),
                target_id: Some(them.clone()),
                document_id: doc.cloned(),
                refused,
            })
        });
    }

    pub(super) fn send_sync(&self, conn: ConnId, id: &DocId, data: Vec<u8>) {
        self.send(conn, |me, them| {
            Message::Sync(SyncData {
                document_id: id.clone(),
                sender_id: me.clone(),
                target_id: them.clone(),
                data,
                doc_type: None,
            })
        });
    }

    pub(super) fn user_of(&self, conn: ConnId) -> Option<UserId> {
        lock(&self.inner.conns).get(&conn).map(|h| h.user.clone())
    }

    /// Sends the slot's new state to every connection that has it open (except `except`) and may still
    /// read it; connections that may no longer read it are dropped from the slot and told it is unavailable.
    ///
    /// A connection whose own changes are not durable yet (or any connection while a commit of this document
    /// is failing) gets nothing now: every sync message carries the document's heads, and heads that include
    /// its change would acknowledge it. Its sync state does not move, so the next fan-out (after the commit,
    /// see `commit.rs`) sends everything it missed.
    pub(super) fn fan_out(&self, id: &DocId, slot: &mut Slot, except: Option<ConnId>) {
        let Slot { doc, peers, failing, .. } = slot;
        let Some(doc) = doc.as_ref() else { return };
        let mut lost = Vec::new();
        for (conn, peer) in peers.iter_mut() {
            if Some(*conn) == except {
                continue;
            }
            let may = self.user_of(*conn).is_some_and(|u| self.cat().readable(&u, id));
            if !may {
                lost.push(*conn);
                continue;
            }
            if peer.unacked > 0 || *failing > 0 {
                continue;
            }
            if let Some(m) = doc.generate_sync_message(&mut peer.state) {
                self.send_sync(*conn, id, m.encode());
            }
        }
        for conn in lost {
            peers.remove(&conn);
            self.send_unavailable(conn, id);
        }
    }
}
