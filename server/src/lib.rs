//! The CRM relay: sign-in, role-gated Automerge sync, storage, REST API.
//!
//! # Layout
//! - `config`: the clap `Config` (flags and environment variables).
//! - `error`: `ApiError`, the HTTP API's one error type (JSON `{error, message}`).
//! - `accounts/`: accounts, sessions, audit entries, export requests (`AccountStore`: memory, SQLite).
//! - `auth/`: login/logout/me, the `AuthUser` extractor, argon2id, session tokens, login rate limiting.
//! - `audit`: the append-only audit log (its route, `GET /api/v1/audit`, is in `api/audit.rs`).
//! - `api/`: REST reads of records (`/api/v1/{kind}`), admin endpoints, export requests.
//! - `demo`: the `--demo` company and the first-run admin.
//! - `docstore/`: Automerge documents as chunks (memory, SQLite).
//! - `sync/`: the sync hub (`/sync`: automerge-repo protocol v1, read and write gates, index documents).
//! - `testing`: a native sync client for integration tests and the benchmark.
//! - `lib.rs`: `run(config, listener, shutdown)` builds the `AppState` and merges each area's router.

pub mod accounts;
pub mod api;
pub mod audit;
pub mod auth;
pub mod config;
pub mod demo;
pub mod docstore;
pub mod error;
pub mod sync;
pub mod testing;

use axum::{
    http::Uri,
    routing::{any, get},
    Json, Router,
};
use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};
use tokio::net::TcpListener;
use tower_http::services::{ServeDir, ServeFile};

pub use config::Config;

use accounts::{Accounts, SqliteAccounts};
use audit::Audit;
use auth::{LoginLimiter, SessionEvents};

/// Shared state handed to every handler. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Config,
    /// Accounts, sessions, audit entries, export requests (never in a document).
    pub accounts: Accounts,
    pub audit: Audit,
    /// Announces ended sessions so open sockets close at once.
    pub sessions: SessionEvents,
    pub limiter: Arc<LoginLimiter>,
    /// The documents: directory, records, index docs, live sync.
    pub hub: sync::Hub,
}

impl AppState {
    /// Assembles the state from its parts (tests may pass memory stores).
    pub fn new(config: Config, accounts: Accounts, hub: sync::Hub) -> AppState {
        let limiter = LoginLimiter::new(
            config.login_max_failures_per_account,
            config.login_max_failures_per_address,
            Duration::from_secs(config.login_window_secs),
        );
        AppState {
            audit: Audit::new(accounts.clone()),
            accounts,
            sessions: SessionEvents::default(),
            limiter: Arc::new(limiter),
            hub,
            config,
        }
    }

    /// Opens the stores under `config.data` (created if missing; SQLite `crm.sqlite3`, migrations run).
    pub async fn open(config: Config) -> anyhow::Result<AppState> {
        std::fs::create_dir_all(&config.data)
            .map_err(|e| anyhow::anyhow!("cannot create data folder {}: {e}", config.data.display()))?;
        let path = config.sqlite_path();
        let store = tokio::task::spawn_blocking(move || SqliteAccounts::open(&path)).await??;
        let hub = sync::Hub::open_sqlite(&config.data).await?;
        Ok(AppState::new(config, Accounts::new(store), hub))
    }
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

async fn api_not_found(uri: Uri) -> error::ApiError {
    error::ApiError::not_found(format!("no API endpoint at {}", uri.path()))
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let index = state.config.static_dir.join("index.html");
    // The client's files are served precompressed when the build left `.br`/`.gz` beside them (brotli 11:
    // the wasm shrinks 3.5x), else gzip-compressed on the fly; only the static files, so WebSocket upgrades
    // and API responses pass untouched.
    let static_files = tower_http::compression::Compression::new(
        ServeDir::new(&state.config.static_dir)
            .precompressed_br()
            .precompressed_gzip()
            .fallback(ServeFile::new(index).precompressed_br().precompressed_gzip()),
    );
    Router::new()
        .route("/api/health", get(health))
        .merge(auth::router())
        .merge(api::router())
        .merge(sync::router())
        // Unknown API paths answer JSON, not the client's index.html.
        .route("/api/{*rest}", any(api_not_found))
        .fallback_service(static_files)
        .with_state(state)
}

/// Removes expired sessions now and then (they are refused on use anyway).
fn spawn_session_sweeper(accounts: Accounts) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            match accounts.run(|s| s.delete_expired_sessions(chrono::Utc::now())).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "expired sessions removed"),
                Err(e) => tracing::warn!(error = %e, "could not remove expired sessions"),
            }
        }
    });
}

/// Opens storage, seeds the demo company (`--demo`) or the first-run admin, and serves until `shutdown`
/// resolves; then closes the sync sockets (flushing what they sent) and drains HTTP requests.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = AppState::open(config).await?;
    if state.config.demo {
        demo::seed_if_empty(&state).await?;
    } else if let Some(password) = demo::first_run_admin(&state).await? {
        println!("First run: created the administrator account.");
        println!("  username: admin");
        println!("  one-time setup password: {password}");
        let url = listener.local_addr().map(|a| format!("http://{a}")).unwrap_or_else(|_| "the relay".into());
        println!("  Open {url} in a browser, sign in as admin with this password, and choose your own.");
    }
    spawn_session_sweeper(state.accounts.clone());
    let hub = state.hub.clone();
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down: closing sync sockets");
            hub.shutdown().await;
        })
        .await?;
    Ok(())
}
