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
    /// With `--demo`: also seed N customers and 2N opportunities (with their money documents) owned by
    /// `rep1`, for benchmarks. 0 (default) adds nothing.
    #[arg(long, env = "CRM_DEMO_SCALE", default_value_t = 0)]
    pub demo_scale: usize,
    /// Folder of the built client (index.html, wasm, service worker) served at `/`.
    #[arg(long, env = "CRM_STATIC", default_value = "./dist")]
    pub static_dir: PathBuf,
    /// How long a session (cookie or bearer token) lives, in seconds. Default: 7 days.
    #[arg(long, env = "CRM_SESSION_TTL_SECS", default_value_t = 7 * 24 * 3600)]
    pub session_ttl_secs: u64,
    /// Failed logins allowed per account within `login_window_secs` before further attempts are refused.
    #[arg(long, env = "CRM_LOGIN_MAX_FAILURES_PER_ACCOUNT", default_value_t = 5)]
    pub login_max_failures_per_account: u32,
    /// Failed logins allowed per client address within `login_window_secs`.
    #[arg(long, env = "CRM_LOGIN_MAX_FAILURES_PER_ADDRESS", default_value_t = 20)]
    pub login_max_failures_per_address: u32,
    /// The window (seconds) over which failed logins are counted.
    #[arg(long, env = "CRM_LOGIN_WINDOW_SECS", default_value_t = 15 * 60)]
    pub login_window_secs: u64,
}

impl Config {
    /// A configuration for tests: port 0, the given data folder, everything else default.
    pub fn for_tests(data: impl Into<PathBuf>) -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data: data.into(),
            demo: false,
            demo_scale: 0,
            static_dir: PathBuf::from("./dist"),
            session_ttl_secs: 7 * 24 * 3600,
            login_max_failures_per_account: 5,
            login_max_failures_per_address: 20,
            login_window_secs: 15 * 60,
        }
    }

    /// The SQLite file under the data folder.
    pub fn sqlite_path(&self) -> PathBuf {
        self.data.join("crm.sqlite3")
    }
}
