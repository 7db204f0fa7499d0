//! Native test tools for the integration tests and `crm-bench`; the relay itself never uses them.
//!
//! # Layout
//! - `testing/client.rs`: [`SyncClient`], an automerge-repo protocol client built on `automerge::sync`. It
//!   joins, requests documents, answers every `sync`, and remembers what the relay said (`doc-unavailable`,
//!   `error`, refusals); every received frame can be kept raw, so tests can check no hidden byte was sent.
//! - `testing/process.rs`: [`RelayProcess`], the `crm-server` binary started on port 0 (and killed).
//! - `testing/demo.rs`: [`TestRelay`], a `--demo` relay on a fresh folder, and index-document helpers.
//! - `testing/http.rs`: a minimal HTTP/1.1 client for `POST /api/login` and JSON `GET`s.

mod client;
mod demo;
pub mod http;
mod process;

pub use client::{ClientDoc, ClientError, Fetched, SyncClient};
pub use demo::{index_items, read_index, temp_dir, IndexItem, TestRelay};
pub use http::{get_json, login, post_json, HttpError, Login};
pub use process::RelayProcess;
