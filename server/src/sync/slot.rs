//! One document's place in the hub: the loaded Automerge document (or not: it can be evicted while peers
//! still have it open) and one sync state per connection that has it open.

use std::collections::{HashMap, HashSet};

use automerge::{sync, Automerge, ChangeHash};

use super::ConnId;

/// A connection's view of one document.
pub struct PeerDoc {
    pub state: sync::State,
    /// Changes of this peer the gate refused; any message that brings them again is refused unread.
    pub refused: HashSet<ChangeHash>,
    /// Commits of this peer's changes not yet durable. While any is, the peer is sent no sync message:
    /// one would carry the new heads, i.e. acknowledge the change.
    pub unacked: u32,
}

impl PeerDoc {
    pub fn new() -> Self {
        PeerDoc { state: sync::State::new(), refused: HashSet::new(), unacked: 0 }
    }
}

/// A document slot. Locked (async) for the handling of one message, so changes to one document are applied,
/// queued for the store and fanned out in order; the wait for the commit happens outside the lock.
#[derive(Default)]
pub struct Slot {
    /// `None` until loaded, and again after eviction.
    pub doc: Option<Automerge>,
    pub peers: HashMap<ConnId, PeerDoc>,
    /// Chunks stored since the last snapshot.
    pub chunks: usize,
    /// Sequence number of the last stored chunk.
    pub last_seq: u64,
    /// A compaction is running in the background.
    pub compacting: bool,
    /// Commits queued and not yet durable (the document's memory is ahead of the store).
    pub inflight: usize,
    /// Commits that failed and are being retried: no sync message goes out for this document meanwhile.
    pub failing: usize,
}

impl Slot {
    /// Nobody has it open and nothing about it is pending: it may leave memory.
    pub fn unused(&self) -> bool {
        self.peers.is_empty() && !self.compacting && self.inflight == 0
    }
}
