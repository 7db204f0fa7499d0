//! What the UI shows about sync: the connection state, refused changes, who else is here.

use serde::{Deserialize, Serialize};

use crate::domain::{DocId, UserId};

/// The sync state shown in the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncStatus {
    /// No socket (no network, relay down, or signed out). Edits are kept locally and queued.
    Offline,
    /// Socket opening / handshake.
    Connecting,
    /// Connected; `pending` documents are not yet known to be identical on the relay.
    Syncing { pending: usize },
    /// Connected and every tracked document matches the relay.
    UpToDate,
}

/// A change the relay refused. The local copy was reset to the relay's; this keeps what was lost visible.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// Local number, for dismissing.
    pub id: u64,
    /// The refused document (main or companion).
    pub doc: DocId,
    /// The record it belongs to.
    pub record: DocId,
    /// Why, for people ("you may not change the owner").
    pub reason: String,
    /// The document path the change touched (e.g. `owner`).
    pub path: String,
    /// Summaries of the local edits that were rolled back, oldest first.
    pub edits: Vec<String>,
    /// When it was refused (ms since the epoch).
    pub at_ms: i64,
}

/// Another client on a record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    /// The other client's sync peer id (one person may have two tabs).
    pub peer: String,
    pub user: UserId,
    pub name: String,
    /// The field they are editing, if any.
    pub field: Option<String>,
    /// When we last heard from them (ms since the epoch); entries expire after [`PRESENCE_TTL_MS`].
    pub seen_ms: i64,
}

/// How long a presence entry lives without a heartbeat.
pub const PRESENCE_TTL_MS: i64 = 30_000;
