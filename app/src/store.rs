//! The client's local store: Automerge documents persisted in IndexedDB, a cache of loaded documents, and the
//! materialized record views the lists and boards read.
//!
//! # Layout
//! - `error`: [`StoreError`], the store's one error type.
//! - `storage`: the [`Storage`] trait (chunks, per-doc metadata, views, key-value) and [`DocMeta`].
//! - `memory`: an in-memory [`Storage`] for tests.
//! - `docs`: [`DocStore`], loaded documents over a [`Storage`]: load on demand, write every change as a chunk
//!   before reporting it saved, compact chunks into a snapshot, drop documents nobody holds.
//! - `replica`: [`Replica`], the device's slice: documents, materialized views (rebuilt on every change,
//!   stored beside the documents) and the user's index (a document leaving it is deleted).
//! - `notes`: live notes editing against Automerge cursors (what a notes box shows, where its edits land).
//! - `pace`: [`ViewPace`], when views changed by sync are published (at once, or spaced under load).
//! - `view_list`: the UI's sorted view lists, and merging a burst of changes into one in one pass.
//! - `ops`: domain operations (stage moves, win/lose, lead conversion) run on the replica's documents.
//! - `idb` (feature `ui`): the IndexedDB [`Storage`].
//! - `client` (feature `ui`): [`ClientStore`], the Leptos context the UI reads and acts through.

#[cfg(feature = "ui")]
mod client;
mod docs;
mod error;
#[cfg(feature = "ui")]
mod idb;
mod memory;
pub mod notes;
mod ops;
mod pace;
mod replica;
mod storage;
mod view_list;

#[cfg(feature = "ui")]
pub use client::{new_doc_id, view_notes, ClientStore};
#[cfg(feature = "ui")]
pub(crate) use client::{Core, REPACK_WHEN_SYNCED};
pub use docs::{heads_from_hex, heads_hex, DocStore, COMPACT_AFTER_CHUNKS};
pub use error::StoreError;
#[cfg(feature = "ui")]
pub use idb::IdbStorage;
pub use memory::MemoryStorage;
pub use ops::{ConvertInput, Converted, CustomerPick, Known, NewIds, NewNumbers, Touched};
pub use pace::{PaceAction, ViewPace};
pub use replica::{entry_group, read_index, IndexDiff, IndexEntry, Replica};
pub use storage::{ChunkWrite, DocMeta, Storage, ViewKinds, WriteBatch};
pub use view_list::{apply_changes, position};

// What the UI needs next to `ClientStore`, in one place.
pub use crate::domain::RecordView;
#[cfg(feature = "ui")]
pub use crate::session::{Session, SessionUser};
pub use crate::sync::{Presence, Refusal, SyncStatus};
