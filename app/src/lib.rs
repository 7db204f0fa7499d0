//! Local-first CRM: shared domain and browser client.
//!
//! # Layout
//! - `domain/`: the pure CRM core (record schema, stage rules, conversions, visibility policy, analytics,
//!   Automerge document mapping). No I/O; compiled natively for the relay and into wasm for the browser.
//! - `protocol`: the automerge-repo sync protocol v1 messages (CBOR), shared by relay and client.
//! - `rest`: wire types of the REST API that relay and client both name.
//! - `ui/`, `store/`, `sync/` (feature `ui`): the Leptos client, its IndexedDB store and socket client.

pub mod domain;
#[cfg(feature = "ui")]
pub mod i18n;
pub mod protocol;
pub mod rest;
#[cfg(feature = "ui")]
pub mod session;
#[cfg(any(feature = "ui", test))]
pub mod store;
#[cfg(any(feature = "ui", test))]
pub mod sync;
#[cfg(feature = "ui")]
pub mod ui;
