//! The CRM relay: sign-in, role-gated Automerge sync, storage, REST API.
//!
//! # Layout
//! - `config`: the clap `Config` (flags and environment variables).
//! - `error`: `ApiError`, the HTTP API's one error type (JSON `{error, message}`).
//! - `accounts/`: accounts, sessions, audit entries, export requests (`AccountStore`: memory, SQLite).
//! - `auth/`: login/logout/me, the `AuthUser` extractor, argon2id, session tokens, login rate limiting.
//! - `audit`: the append-only audit log (its route, `GET /api/v1/audit`, is in `api/audit.rs`).
//! - `api/`: REST reads of records (`/api/v1/{kind}`), admin endpoints, export requests.
//! - `backup`: `crm-server backup` / `restore` (a consistent copy of the SQLite store).
//! - `demo`: the `--demo` company and the first-run admin.
//! - `docstore/`: Automerge documents as chunks (memory, SQLite).
//! - `security/`: the request context (client address, HTTPS, trusted proxies), the Origin check for
//!   cookie sessions, and the security headers (CSP, HSTS, nosniff, referrer, framing).
//! - `tls`: HTTPS (rustls, ring) and the plain-HTTP redirect listener. `cert`: `crm-server cert`.
//! - `sync/`: the sync hub (`/sync`: automerge-repo protocol v1, read and write gates, index documents).
//! - `testing`: a native sync client for integration tests and the benchmark.
//! - `lib.rs`: `run(config, listener, shutdown)` builds the `AppState` and merges each area's router.

pub mod accounts;
pub mod api;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod cert;
pub mod config;
pub mod demo;
pub mod docstore;
pub mod error;
pub mod security;
pub mod sync;
pub mod testing;
pub mod tls;

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
use auth::{LoginLimiter, LoginPolicy, SessionEvents};

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
        let limiter = LoginLimiter::new(LoginPolicy {
            free_failures: config.login_free_failures,
            max_per_address: config.login_max_failures_per_address,
            account_alert: config.login_account_alert_failures,
            first_delay: Duration::from_secs(config.login_first_delay_secs),
            max_delay: Duration::from_secs(config.login_max_delay_secs),
            window: Duration::from_secs(config.login_window_secs),
        });
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
        // Outermost: every answer (files, API, refusals, 404s) gets the security headers.
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::guard))
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

/// How the relay is reached: plain HTTP (the default), or HTTPS with an optional listener that redirects
/// plain HTTP to it.
#[derive(Default)]
pub struct Transport {
    pub tls: Option<axum_server::tls_rustls::RustlsConfig>,
    /// Plain-HTTP listener answering every request with a redirect to HTTPS (only with `tls`).
    pub redirect: Option<TcpListener>,
}

impl Transport {
    /// From `--tls-cert/--tls-key` (the redirect listener is bound by the caller, who prints its address).
    pub fn from_config(config: &Config) -> anyhow::Result<Transport> {
        let tls = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => Some(tls::load(cert, key)?),
            (None, None) => None,
            _ => anyhow::bail!("--tls-cert and --tls-key go together"),
        };
        Ok(Transport { tls, redirect: None })
    }
}

/// Opens storage, seeds the demo company (`--demo`) or the first-run admin, and serves plain HTTP until
/// `shutdown` resolves; then closes the sync sockets (flushing what they sent) and drains HTTP requests.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve(config, listener, Transport::default(), shutdown).await
}

/// [`run`] over the given transport (HTTPS when `transport.tls` is set).
pub async fn serve(
    config: Config,
    listener: TcpListener,
    transport: Transport,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = AppState::open(config).await?;
    if state.config.demo {
        demo::seed_if_empty(&state).await?;
    } else if let Some(password) = demo::first_run_admin(&state).await? {
        println!("First run: created the administrator account.");
        println!("  username: admin");
        println!("  one-time setup password: {password}");
        let scheme = if transport.tls.is_some() { "https" } else { "http" };
        // A wildcard address is where the relay listens, not an address a browser can open.
        let url = match listener.local_addr() {
            Ok(a) if a.ip().is_unspecified() => format!("{scheme}://<this machine's name or address>:{}", a.port()),
            Ok(a) => format!("{scheme}://{a}"),
            Err(_) => "the relay".into(),
        };
        println!("  Open {url} in a browser, sign in as admin with this password, and choose your own.");
    }
    spawn_session_sweeper(state.accounts.clone());
    let hub = state.hub.clone();
    let app = router(state);
    // One shutdown signal for the main listener and the redirect listener.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let redirect = match (transport.redirect, &transport.tls) {
        (Some(l), Some(_)) => Some(tokio::spawn(tls::serve_redirect(l, listener.local_addr()?.port(), stopped()))),
        _ => None,
    };
    let main_stopped = {
        let stopped = stopped();
        async move {
            stopped.await;
            tracing::info!("shutting down: closing sync sockets");
            hub.shutdown().await;
        }
    };
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    match transport.tls {
        Some(tls) => tls::serve(listener, tls, app, main_stopped).await?,
        None => {
            axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(main_stopped)
                .await?
        }
    }
    if let Some(r) = redirect {
        r.await??;
    }
    Ok(())
}
