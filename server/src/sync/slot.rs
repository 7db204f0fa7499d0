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
}

impl PeerDoc {
    pub fn new() -> Self {
        PeerDoc { state: sync::State::new(), refused: HashSet::new() }
    }
}

/// A document slot. Locked (async) for the whole handling of one message, so changes to one document are
/// applied, stored and fanned out in order.
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
}
