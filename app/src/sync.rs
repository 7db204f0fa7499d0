//! The sync client: one WebSocket to the relay speaking automerge-repo protocol v1.
//!
//! # Layout
//! - `backoff`: reconnect delays (exponential, jittered).
//! - `engine`: [`SyncSession`], the protocol logic per socket (handshake, per-document sync states, resuming
//!   from stored shared heads, greeting unloaded documents cheaply). Pure; unit-tested natively.
//! - `window`: [`RequestWindow`], documents queued to be greeted and the cap on unanswered greetings.
//! - `presence`: the presence payload carried in `ephemeral` frames.
//! - `status`: [`SyncStatus`], [`Refusal`], [`Presence`]: what the UI shows about sync.
//! - `socket` (feature `ui`): the browser driver: WebSocket, reconnect loop, routing frames to the store.

mod backoff;
mod engine;
mod presence;
#[cfg(feature = "ui")]
pub(crate) mod socket;
mod status;
mod window;

pub use backoff::Backoff;
pub use engine::{SyncError, SyncSession, Unloaded, MAX_IN_FLIGHT};
pub use presence::PresencePayload;
pub use status::{Presence, Refusal, SyncStatus, PRESENCE_TTL_MS};
pub use window::{Greeting, RequestWindow};
