//! Command-line and environment configuration.

use std::{
    net::{IpAddr, SocketAddr},
    path::PathBuf,
};

/// The relay's configuration: every flag is also an environment variable.
#[derive(Clone, Debug, clap::Args)]
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
    /// Failed logins of one account from one address that cost nothing; after them each further attempt of
    /// that pair waits twice as long as the one before (1 s, 2 s, 4 s … up to `login_max_delay_secs`).
    /// Other addresses are not slowed by it, so an attacker cannot keep the account's owner out.
    #[arg(long, env = "CRM_LOGIN_FREE_FAILURES", default_value_t = 3)]
    pub login_free_failures: u32,
    /// Failed logins from one address, over all accounts (password spraying), before that address is slowed
    /// down the same way for every account.
    #[arg(long, env = "CRM_LOGIN_MAX_FAILURES_PER_ADDRESS", default_value_t = 20)]
    pub login_max_failures_per_address: u32,
    /// Failed logins of one account, over all addresses, that mark it as under attack: from then on an
    /// address gets one free failure for it instead of `login_free_failures`. An address that has not failed
    /// for the account is never refused because of it.
    #[arg(long, env = "CRM_LOGIN_ACCOUNT_ALERT_FAILURES", default_value_t = 10)]
    pub login_account_alert_failures: u32,
    /// The first wait (seconds) after the free failures; it doubles with each further failure.
    #[arg(long, env = "CRM_LOGIN_FIRST_DELAY_SECS", default_value_t = 1)]
    pub login_first_delay_secs: u64,
    /// Longest wait (seconds) a throttled pair or address is asked for.
    #[arg(long, env = "CRM_LOGIN_MAX_DELAY_SECS", default_value_t = 15 * 60)]
    pub login_max_delay_secs: u64,
    /// Failures are forgotten after this many seconds without a new one.
    #[arg(long, env = "CRM_LOGIN_WINDOW_SECS", default_value_t = 15 * 60)]
    pub login_window_secs: u64,
    /// Serve HTTPS with this certificate chain (PEM; e.g. `relay.pem` from `crm-server cert`). Needs `--tls-key`.
    #[arg(long, env = "CRM_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of `--tls-cert`.
    #[arg(long, env = "CRM_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// With TLS: also listen here for plain HTTP and redirect every request to HTTPS (e.g. `0.0.0.0:80`).
    #[arg(long, env = "CRM_HTTP_REDIRECT_LISTEN", requires = "tls_cert")]
    pub http_redirect_listen: Option<SocketAddr>,
    /// Origins besides the relay's own that may use cookie sessions and open `/sync` with them
    /// (comma-separated, e.g. `https://crm.example.com`). Bearer-token clients are not checked.
    #[arg(long, env = "CRM_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,
    /// Addresses of reverse proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` / `X-Forwarded-Host` are
    /// believed (comma-separated, e.g. `127.0.0.1`). From any other peer these headers are ignored.
    #[arg(long, env = "CRM_TRUST_PROXY", value_delimiter = ',')]
    pub trust_proxy: Vec<IpAddr>,
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
            login_free_failures: 3,
            login_max_failures_per_address: 20,
            login_account_alert_failures: 10,
            login_first_delay_secs: 1,
            login_max_delay_secs: 15 * 60,
            login_window_secs: 15 * 60,
            tls_cert: None,
            tls_key: None,
            http_redirect_listen: None,
            allowed_origins: Vec::new(),
            trust_proxy: Vec::new(),
        }
    }

    /// The SQLite file under the data folder.
    pub fn sqlite_path(&self) -> PathBuf {
        self.data.join("crm.sqlite3")
    }
}
