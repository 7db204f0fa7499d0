//! Command-line and environment configuration.

use std::{net::SocketAddr, path::PathBuf};

/// The relay's configuration: every flag is also an environment variable.
#[derive(Clone, Debug, clap::Parser)]
#[command(name = "crm-server", about = "Local-first CRM relay: role-gated Automerge sync, storage, REST API")]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "CRM_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Folder of the embedded store (SQLite file `crm.sqlite3`, WAL mode). Created if missing.
    #[arg(long, env = "CRM_DATA", default_value = "./data")]
    pub data: PathBuf,
    /// Seed a demo company (one user per role, password `demo`) if the store is empty.
    #[arg(long, env = "CRM_DEMO", default_value_t = false)]
    pub demo: bool,
    /// Folder of the built client (index.html, wasm, service worker) served at `/`.
    #[arg(long, env = "CRM_STATIC", default_value = "./dist")]
    pub static_dir: PathBuf,
}
