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
    /// Change chunks this peer sent that build on a change the relay does not have yet (it had sent only
    /// that change's hash: a Bloom-filter false positive). A stock Automerge document keeps such changes
    /// queued; the gate works on a fork, so they are kept here and loaded into the next fork. Without this
    /// the relay asks for them forever while the peer, having sent them, never sends them again.
    pub parked: Vec<Vec<u8>>,
}

/// At most this many bytes of parked chunks per peer and document (beyond it they are dropped and the
/// peer's next full sync brings them again).
pub const MAX_PARKED_BYTES: usize = 16 << 20;

impl PeerDoc {
    pub fn new() -> Self {
        PeerDoc { state: sync::State::new(), refused: HashSet::new(), unacked: 0, parked: Vec::new() }
    }

    /// Keeps `chunks` (added to what is parked) if the fork they went into still waits for a dependency.
    pub fn park(&mut self, waiting: bool, chunks: Vec<Vec<u8>>) {
        if !waiting {
            self.parked.clear();
            return;
        }
        self.parked.extend(chunks);
        if self.parked.iter().map(Vec::len).sum::<usize>() > MAX_PARKED_BYTES {
            tracing::warn!("a peer's changes waiting for their dependencies exceed {MAX_PARKED_BYTES} bytes: dropped");
            self.parked.clear();
        }
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
