//! The CRM relay.
//!
//! # Layout
//! - `config`: the clap `Config` (flags and environment variables).
//! - `lib.rs`: `run(config, listener, shutdown)` builds the `AppState` and merges each area's router.

pub mod config;

use axum::{routing::get, Json, Router};
use std::future::Future;
use tokio::net::TcpListener;
use tower_http::services::{ServeDir, ServeFile};

pub use config::Config;

/// Shared state handed to every handler.
#[derive(Clone)]
pub struct AppState {
    pub config: Config,
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let index = state.config.static_dir.join("index.html");
    let static_files = ServeDir::new(&state.config.static_dir).fallback(ServeFile::new(index));
    Router::new().route("/api/health", get(health)).fallback_service(static_files).with_state(state)
}

/// Serves until `shutdown` resolves.
pub async fn run(config: Config, listener: TcpListener, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    let state = AppState { config };
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await?;
    Ok(())
}
