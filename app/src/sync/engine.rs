//! The sync client's protocol logic, free of sockets and storage: which frame to send for which document,
//! and what a received frame means. The socket driver feeds it frames and loaded documents.
//!
//! What must stay true:
//! - A reconnect resumes from the stored sync state (shared heads), so only what changed since is sent.
//! - A document whose stored heads equal its stored shared heads is greeted without loading it
//!   ([`SyncSession::begin_unloaded`]); it is loaded only if the relay answers with something new.

use std::collections::HashMap;

use automerge::sync::{self, Have, MessageFlags, MessageVersion, SyncDoc};
use automerge::{AutoCommit, ChangeHash};

use super::window::RequestWindow;
use crate::domain::DocId;
use crate::protocol::{Ephemeral, Join, Message, Peer, PeerId, PeerMetadata, SyncData, PROTOCOL_V1};

/// What went wrong speaking the protocol.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SyncError {
    #[error("the relay chose protocol version {0:?}; we speak \"1\"")]
    Version(String),
    #[error("sync message for {doc} could not be read: {message}")]
    BadMessage { doc: DocId, message: String },
    #[error("no handshake yet")]
    NotJoined,
}

struct DocSync {
    state: sync::State,
    /// Greeted without loading: the document must be loaded before anything else is done with it.
    unloaded: bool,
    unavailable: bool,
}

/// How many greeted documents may wait for their first answer at once (see [`RequestWindow`]).
pub const MAX_IN_FLIGHT: usize = 1024;

/// One socket's worth of sync state.
pub struct SyncSession {
    me: PeerId,
    relay: Option<PeerId>,
    docs: HashMap<DocId, DocSync>,
    /// Documents waiting to be greeted, and the greetings not yet answered.
    window: RequestWindow,
    ephemeral_session: String,
    ephemeral_count: u64,
}

/// A received `sync`/`request` for a document greeted without loading it.
#[derive(Debug, PartialEq, Eq)]
pub enum Unloaded {
    /// The relay has nothing new: the document is in sync and stays unloaded.
    InSync,
    /// Load the document and pass the frame to [`SyncSession::receive`].
    Load,
}

impl SyncSession {
    pub fn new(me: PeerId, ephemeral_session: String) -> Self {
        SyncSession {
            me,
            relay: None,
            docs: HashMap::new(),
            window: RequestWindow::new(MAX_IN_FLIGHT),
            ephemeral_session,
            ephemeral_count: 0,
        }
    }

    /// The documents waiting to be greeted on this socket. Every received frame about a document frees its
    /// slot ([`SyncSession::receive`], [`SyncSession::receive_unloaded`], [`SyncSession::mark_unavailable`],
    /// [`SyncSession::answered`]).
    pub fn window(&mut self) -> &mut RequestWindow {
        &mut self.window
    }

    /// A frame about `id` arrived that this session does not otherwise see (an `error`).
    pub fn answered(&mut self, id: &DocId) {
        self.window.answered(id);
    }

    pub fn me(&self) -> &PeerId {
        &self.me
    }

    /// The first frame on a socket.
    pub fn join(&self) -> Message {
        Message::Join(Join {
            sender_id: self.me.clone(),
            supported_protocol_versions: vec![PROTOCOL_V1.to_string()],
            peer_metadata: PeerMetadata { storage_id: None, is_ephemeral: Some(false) },
        })
    }

    /// The relay's answer to `join`.
    pub fn on_peer(&mut self, peer: &Peer) -> Result<(), SyncError> {
        if peer.selected_protocol_version != PROTOCOL_V1 {
            return Err(SyncError::Version(peer.selected_protocol_version.clone()));
        }
        self.relay = Some(peer.sender_id.clone());
        Ok(())
    }

    pub fn is_joined(&self) -> bool {
        self.relay.is_some()
    }

    pub fn is_tracked(&self, id: &DocId) -> bool {
        self.docs.contains_key(id)
    }

    pub fn is_unloaded(&self, id: &DocId) -> bool {
        self.docs.get(id).is_some_and(|d| d.unloaded)
    }

    pub fn tracked(&self) -> impl Iterator<Item = &DocId> {
        self.docs.keys()
    }

    fn frame(&self, id: &DocId, data: Vec<u8>, request: bool) -> Option<Message> {
        let relay = self.relay.clone()?;
        let body =
            SyncData { document_id: id.clone(), sender_id: self.me.clone(), target_id: relay, data, doc_type: None };
        Some(if request { Message::Request(body) } else { Message::Sync(body) })
    }

    /// Starts syncing a loaded document, resuming from `stored` (an encoded `sync::State`). The first
    /// frame is a `request` when we have nothing of the document, else a `sync`.
    pub fn begin_loaded(&mut self, id: &DocId, doc: &mut AutoCommit, stored: Option<&[u8]>) -> Option<Message> {
        let state = stored.and_then(|b| sync::State::decode(b).ok()).unwrap_or_default();
        self.docs.insert(id.clone(), DocSync { state, unloaded: false, unavailable: false });
        let empty = doc.get_heads().is_empty();
        let msg = self.generate(id, doc)?;
        let Message::Sync(body) = msg else { return Some(msg) };
        self.frame(id, body.data, empty)
    }

    /// Starts syncing a document that is stored but not loaded, whose stored heads are `heads` and equal
    /// its stored shared heads: says "I have exactly `heads`" as `generate_sync_message` would.
    pub fn begin_unloaded(&mut self, id: &DocId, heads: Vec<ChangeHash>) -> Option<Message> {
        let mut flags = MessageFlags::new();
        flags.set(MessageFlags::SUPPORTS_SYNC_RESET);
        let msg = sync::Message {
            heads: heads.clone(),
            need: Vec::new(),
            have: vec![Have { last_sync: heads.clone(), bloom: Default::default() }],
            changes: Vec::<Vec<u8>>::new().into(),
            flags: Some(flags),
            version: MessageVersion::V1,
        };
        let mut state = settled_state(heads.clone(), heads, None);
        state.in_flight = true;
        self.docs.insert(id.clone(), DocSync { state, unloaded: true, unavailable: false });
        self.frame(id, msg.encode(), false)
    }

    /// Looks at a frame for a document greeted unloaded.
    pub fn receive_unloaded(&mut self, id: &DocId, data: &[u8]) -> Result<Unloaded, SyncError> {
        self.window.answered(id);
        let msg = sync::Message::decode(data)
            .map_err(|e| SyncError::BadMessage { doc: id.clone(), message: e.to_string() })?;
        let Some(d) = self.docs.get_mut(id) else { return Ok(Unloaded::Load) };
        if d.unloaded && msg.heads == d.state.last_sent_heads && msg.changes.is_empty() && msg.need.is_empty() {
            d.state.their_heads = Some(msg.heads.clone());
            d.state.in_flight = false;
            return Ok(Unloaded::InSync);
        }
        Ok(Unloaded::Load)
    }

    /// Applies a received sync message to the (now loaded) document and returns the answer, if any.
    pub fn receive(&mut self, id: &DocId, doc: &mut AutoCommit, data: &[u8]) -> Result<Option<Message>, SyncError> {
        self.window.answered(id);
        let bad = |e: &dyn std::fmt::Display| SyncError::BadMessage { doc: id.clone(), message: e.to_string() };
        let msg = sync::Message::decode(data).map_err(|e| bad(&e))?;
        let d = self.docs.entry(id.clone()).or_insert_with(|| DocSync {
            state: sync::State::new(),
            unloaded: false,
            unavailable: false,
        });
        d.unloaded = false;
        d.unavailable = false;
        doc.sync().receive_sync_message(&mut d.state, msg).map_err(|e| bad(&e))?;
        Ok(self.generate(id, doc))
    }

    /// The frame that carries a local change of a tracked document, now loaded (None if nothing to send).
    /// A document greeted unloaded or settled sends its change at once: its state says the relay has
    /// everything up to the shared heads.
    pub fn local_change(&mut self, id: &DocId, doc: &mut AutoCommit) -> Option<Message> {
        self.docs.get_mut(id)?.unloaded = false;
        self.generate(id, doc)
    }

    /// `id` is in sync and stored: keep only what the next exchange needs (the shared heads), not the
    /// bloom filters and sent hashes of the last one, and let the document be unloaded. A first sync of
    /// tens of thousands of documents would otherwise keep all of those for the whole session.
    pub fn settle(&mut self, id: &DocId) {
        let Some(d) = self.docs.get_mut(id) else { return };
        let s = &d.state;
        if d.unavailable {
            return;
        }
        let Some(theirs) = s.their_heads.clone() else { return };
        if !same(&theirs, &s.shared_heads) {
            return;
        }
        d.state = settled_state(s.shared_heads.clone(), s.last_sent_heads.clone(), s.their_capabilities.clone());
        d.state.their_heads = Some(theirs);
        d.unloaded = true;
    }

    fn generate(&mut self, id: &DocId, doc: &mut AutoCommit) -> Option<Message> {
        let d = self.docs.get_mut(id)?;
        let msg = doc.sync().generate_sync_message(&mut d.state)?;
        self.frame(id, msg.encode(), false)
    }

    /// The encoded sync state to store (only the shared heads survive).
    pub fn state_bytes(&self, id: &DocId) -> Option<Vec<u8>> {
        self.docs.get(id).map(|d| d.state.encode())
    }

    /// The heads both sides are known to have.
    pub fn shared_heads(&self, id: &DocId) -> Option<&[ChangeHash]> {
        self.docs.get(id).map(|d| d.state.shared_heads.as_slice())
    }

    /// True when the relay is known to have exactly `our_heads`.
    pub fn in_sync(&self, id: &DocId, our_heads: &[ChangeHash]) -> bool {
        self.docs
            .get(id)
            .is_some_and(|d| d.unavailable || d.state.their_heads.as_deref().is_some_and(|t| same(t, our_heads)))
    }

    /// The relay answered `doc-unavailable`.
    pub fn mark_unavailable(&mut self, id: &DocId) {
        self.window.answered(id);
        if let Some(d) = self.docs.get_mut(id) {
            d.unavailable = true;
            d.state.in_flight = false;
        }
    }

    /// Stops tracking a document (deleted, or being reset to the relay's copy).
    pub fn forget(&mut self, id: &DocId) {
        self.window.remove(id);
        self.docs.remove(id);
    }

    /// An `ephemeral` frame (presence) about `id`.
    pub fn ephemeral(&mut self, id: &DocId, data: Vec<u8>) -> Option<Message> {
        let relay = self.relay.clone()?;
        self.ephemeral_count += 1;
        Some(Message::Ephemeral(Ephemeral {
            sender_id: self.me.clone(),
            target_id: relay,
            document_id: id.clone(),
            session_id: self.ephemeral_session.clone(),
            count: self.ephemeral_count,
            data,
        }))
    }
}

/// A sync state for a document both sides have up to `shared`: what we last said was `sent`, and the relay
/// is taken to have everything up to `shared` (so a local change goes out in the next message; if the relay
/// turns out to lack something it says so and the protocol repairs it).
fn settled_state(shared: Vec<ChangeHash>, sent: Vec<ChangeHash>, caps: Option<Vec<sync::Capability>>) -> sync::State {
    sync::State {
        their_have: Some(vec![Have { last_sync: shared.clone(), bloom: Default::default() }]),
        their_need: Some(Vec::new()),
        shared_heads: shared,
        last_sent_heads: sent,
        have_responded: true,
        their_capabilities: caps,
        ..Default::default()
    }
}

fn same(a: &[ChangeHash], b: &[ChangeHash]) -> bool {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort();
    b.sort();
    a == b
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::{transaction::Transactable, ReadDoc, ROOT};

    fn relay_peer() -> Peer {
        Peer {
            sender_id: PeerId::new("relay"),
            target_id: PeerId::new("me"),
            selected_protocol_version: "1".into(),
            peer_metadata: PeerMetadata::default(),
        }
    }

    fn data(msg: Option<Message>) -> Option<(bool, Vec<u8>)> {
        match msg? {
            Message::Request(d) => Some((true, d.data)),
            Message::Sync(d) => Some((false, d.data)),
            other => panic!("unexpected {other:?}"),
        }
    }

    /// Runs the relay side with plain automerge until neither side has anything to say.
    fn converge(
        s: &mut SyncSession,
        id: &DocId,
        ours: &mut AutoCommit,
        first: Option<Message>,
        theirs: &mut AutoCommit,
        theirs_state: &mut sync::State,
    ) -> usize {
        let mut to_relay = data(first);
        let mut rounds = 0;
        loop {
            rounds += 1;
            assert!(rounds < 20, "no convergence");
            if let Some((_, bytes)) = to_relay.take() {
                theirs.sync().receive_sync_message(theirs_state, sync::Message::decode(&bytes).unwrap()).unwrap();
            }
            let Some(reply) = theirs.sync().generate_sync_message(theirs_state) else { return rounds };
            let bytes = reply.encode();
            if s.is_unloaded(id) && s.receive_unloaded(id, &bytes).unwrap() == Unloaded::InSync {
                continue;
            }
            to_relay = data(s.receive(id, ours, &bytes).unwrap());
            if to_relay.is_none() && theirs.sync().generate_sync_message(theirs_state).is_none() {
                return rounds;
            }
        }
    }

    fn id() -> DocId {
        DocId::from_bytes([4; 16])
    }

    #[test]
    fn handshake_checks_the_version() {
        let mut s = SyncSession::new(PeerId::new("me"), "e".into());
        assert!(matches!(s.join(), Message::Join(j) if j.supported_protocol_versions == vec!["1".to_string()]));
        let mut p = relay_peer();
        p.selected_protocol_version = "2".into();
        assert!(s.on_peer(&p).is_err());
        s.on_peer(&relay_peer()).unwrap();
        assert!(s.is_joined());
    }

    #[test]
    fn an_empty_document_is_requested_and_received() {
        let mut s = SyncSession::new(PeerId::new("me"), "e".into());
        s.on_peer(&relay_peer()).unwrap();
        let mut relay = AutoCommit::new();
        relay.put(ROOT, "kind", "lead").unwrap();
        relay.commit();
        let mut ours = AutoCommit::new();
        let first = s.begin_loaded(&id(), &mut ours, None);
        assert!(matches!(first, Some(Message::Request(_))));
        converge(&mut s, &id(), &mut ours, first, &mut relay, &mut sync::State::new());
        assert_eq!(ours.get(ROOT, "kind").unwrap().unwrap().0.as_str(), Some("lead"));
        assert!(s.in_sync(&id(), &ours.get_heads()));
    }

    #[test]
    fn a_reconnect_resumes_from_stored_state_and_sends_only_new_changes() {
        let mut relay = AutoCommit::new();
        let mut relay_state = sync::State::new();
        let mut ours = AutoCommit::new();
        for i in 0..50 {
            ours.put(ROOT, format!("k{i}"), i).unwrap();
            ours.commit();
        }
        let mut s = SyncSession::new(PeerId::new("me"), "e".into());
        s.on_peer(&relay_peer()).unwrap();
        let first = s.begin_loaded(&id(), &mut ours, None);
        converge(&mut s, &id(), &mut ours, first, &mut relay, &mut relay_state);
        let stored = s.state_bytes(&id()).unwrap();

        // Offline edit, then a new socket: the relay keeps its persisted state too.
        ours.put(ROOT, "offline", true).unwrap();
        ours.commit();
        let mut s2 = SyncSession::new(PeerId::new("me"), "e".into());
        s2.on_peer(&relay_peer()).unwrap();
        let mut relay_state2 = sync::State::decode(&relay_state.encode()).unwrap();
        let (_, hello) = data(s2.begin_loaded(&id(), &mut ours, Some(&stored))).unwrap();
        let hello_msg = sync::Message::decode(&hello).unwrap();
        assert_eq!(hello_msg.have[0].last_sync, s.shared_heads(&id()).unwrap(), "resumes from shared heads");
        relay.sync().receive_sync_message(&mut relay_state2, hello_msg).unwrap();
        let reply = relay.sync().generate_sync_message(&mut relay_state2).unwrap().encode();
        let (_, ours_changes) = data(s2.receive(&id(), &mut ours, &reply).unwrap()).unwrap();
        let changes = sync::Message::decode(&ours_changes).unwrap().changes;
        assert_eq!(changes.len(), 1, "only the offline change is sent");
        relay.sync().receive_sync_message(&mut relay_state2, sync::Message::decode(&ours_changes).unwrap()).unwrap();
        assert_eq!(relay.get(ROOT, "offline").unwrap().unwrap().0.as_bool(), Some(true));
    }

    #[test]
    fn an_unloaded_document_in_sync_stays_unloaded_and_a_changed_one_asks_to_load() {
        let mut relay = AutoCommit::new();
        relay.put(ROOT, "n", 1).unwrap();
        relay.commit();
        let mut ours = relay.fork();
        let heads = ours.get_heads();
        // The relay's state as persisted from an earlier session.
        let mut relay_state = sync::State { shared_heads: heads.clone(), ..Default::default() };

        let mut s = SyncSession::new(PeerId::new("me"), "e".into());
        s.on_peer(&relay_peer()).unwrap();
        let (_, hello) = data(s.begin_unloaded(&id(), heads.clone())).unwrap();
        relay.sync().receive_sync_message(&mut relay_state, sync::Message::decode(&hello).unwrap()).unwrap();
        let reply = relay.sync().generate_sync_message(&mut relay_state).unwrap().encode();
        assert_eq!(s.receive_unloaded(&id(), &reply).unwrap(), Unloaded::InSync);
        assert!(s.in_sync(&id(), &heads));

        // Now the relay has a newer change: the client must load and apply.
        let mut s = SyncSession::new(PeerId::new("me"), "e".into());
        s.on_peer(&relay_peer()).unwrap();
        relay.put(ROOT, "n", 2).unwrap();
        relay.commit();
        let mut relay_state = sync::State { shared_heads: heads.clone(), ..Default::default() };
        let (_, hello) = data(s.begin_unloaded(&id(), heads)).unwrap();
        relay.sync().receive_sync_message(&mut relay_state, sync::Message::decode(&hello).unwrap()).unwrap();
        let reply = relay.sync().generate_sync_message(&mut relay_state).unwrap().encode();
        assert_eq!(s.receive_unloaded(&id(), &reply).unwrap(), Unloaded::Load);
        let answer = s.receive(&id(), &mut ours, &reply).unwrap();
        converge(&mut s, &id(), &mut ours, answer, &mut relay, &mut relay_state);
        assert_eq!(ours.get(ROOT, "n").unwrap().unwrap().0.as_i64(), Some(2));
        assert!(s.in_sync(&id(), &ours.get_heads()));
    }

    #[test]
    fn a_settled_document_sends_its_next_local_change_at_once() {
        let mut relay = AutoCommit::new();
        relay.put(ROOT, "n", 1).unwrap();
        relay.commit();
        let mut relay_state = sync::State::new();
        let mut s = SyncSession::new(PeerId::new("me"), "e".into());
        s.on_peer(&relay_peer()).unwrap();
        let mut ours = AutoCommit::new();
        let first = s.begin_loaded(&id(), &mut ours, None);
        converge(&mut s, &id(), &mut ours, first, &mut relay, &mut relay_state);
        assert!(s.in_sync(&id(), &ours.get_heads()));
        s.settle(&id());
        assert!(s.is_unloaded(&id()) && s.in_sync(&id(), &ours.get_heads()), "settled: still in sync");

        ours.put(ROOT, "n", 2).unwrap();
        ours.commit();
        let (_, bytes) = data(s.local_change(&id(), &mut ours)).unwrap();
        let msg = sync::Message::decode(&bytes).unwrap();
        assert_eq!(msg.changes.len(), 1, "the change travels in the first message");
        relay.sync().receive_sync_message(&mut relay_state, msg).unwrap();
        assert_eq!(relay.get(ROOT, "n").unwrap().unwrap().0.as_i64(), Some(2));
        // And the relay's answer settles it again.
        let reply = relay.sync().generate_sync_message(&mut relay_state).map(|m| m.encode());
        if let Some(reply) = reply {
            assert!(s.receive(&id(), &mut ours, &reply).unwrap().is_none());
        }
        assert!(s.in_sync(&id(), &ours.get_heads()));

        // A document greeted unloaded also sends a local change at once once loaded.
        let mut s2 = SyncSession::new(PeerId::new("me"), "e".into());
        s2.on_peer(&relay_peer()).unwrap();
        s2.begin_unloaded(&id(), ours.get_heads());
        ours.put(ROOT, "n", 3).unwrap();
        ours.commit();
        let (_, bytes) = data(s2.local_change(&id(), &mut ours)).unwrap();
        assert_eq!(sync::Message::decode(&bytes).unwrap().changes.len(), 1);
    }

    #[test]
    fn received_frames_free_the_request_window() {
        use crate::sync::Greeting;
        let mut s = SyncSession::new(PeerId::new("me"), "e".into());
        s.on_peer(&relay_peer()).unwrap();
        let ids: Vec<DocId> = (0..(MAX_IN_FLIGHT + 2) as u16)
            .map(|n| {
                let mut b = [7u8; 16];
                b[..2].copy_from_slice(&n.to_be_bytes());
                DocId::from_bytes(b)
            })
            .collect();
        for d in &ids {
            assert!(s.window().push(d.clone(), Greeting::Fresh));
        }
        let mut greeted = Vec::new();
        while let Some((d, _)) = s.window().take_next() {
            let mut empty = AutoCommit::new();
            assert!(matches!(s.begin_loaded(&d, &mut empty, None), Some(Message::Request(_))));
            greeted.push(d);
        }
        assert_eq!(greeted.len(), MAX_IN_FLIGHT);
        // The relay's answers: a document, an unavailable one, and an undecodable frame all free slots.
        let mut relay = AutoCommit::new();
        relay.put(ROOT, "kind", "lead").unwrap();
        relay.commit();
        let reply = relay.sync().generate_sync_message(&mut sync::State::new()).unwrap().encode();
        let mut doc = AutoCommit::new();
        s.receive(&greeted[0], &mut doc, &reply).unwrap();
        s.mark_unavailable(&greeted[1]);
        assert!(s.receive(&greeted[2], &mut AutoCommit::new(), b"junk").is_err());
        let next: Vec<DocId> = std::iter::from_fn(|| s.window().take_next().map(|(d, _)| d)).collect();
        assert_eq!(next, ids[MAX_IN_FLIGHT..].to_vec(), "two slots freed, two queued documents go");
        s.forget(&greeted[3]);
        assert_eq!(s.window().in_flight(), MAX_IN_FLIGHT - 2);
    }

    #[test]
    fn garbage_is_a_typed_error() {
        let mut s = SyncSession::new(PeerId::new("me"), "e".into());
        s.on_peer(&relay_peer()).unwrap();
        let mut doc = AutoCommit::new();
        assert!(matches!(s.receive(&id(), &mut doc, b"\x00garbage"), Err(SyncError::BadMessage { .. })));
        assert!(s.receive_unloaded(&id(), b"").is_err());
    }
}
