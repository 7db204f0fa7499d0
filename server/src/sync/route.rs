//! `GET /sync`: the socket is authenticated when it opens (cookie, bearer or `?token=`, by `AuthUser`, which
//! answers 401 before any upgrade), then served by [`super::serve_socket`] until the session ends.

use axum::extract::{State, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::audit::AuditEvent;
use crate::auth::AuthUser;
use crate::AppState;

/// The sync route, merged into the relay's router.
pub fn router() -> Router<AppState> {
    Router::new().route("/sync", get(sync))
}

async fn sync(user: AuthUser, ws: WebSocketUpgrade, State(state): State<AppState>) -> Response {
    let hub = state.hub.clone();
    let audit = state.audit.clone();
    hub.on_refusal(move || {
        Box::new(move |user, doc, refusal| {
            let event = AuditEvent::refused_change(user, doc, &refusal.path, &refusal.reason);
            let audit = audit.clone();
            tokio::spawn(async move { audit.append(event).await });
        })
    });
    let watch = user.watch(&state);
    // Frames up to twice the cap reach the handler, which answers with a clear error and closes (1009);
    // anything larger is cut off by the websocket layer itself.
    let limit = hub.config().max_frame_bytes.saturating_mul(2);
    // Small socket buffers: a thousand idle sockets must not cost a thousand times 256 KiB.
    ws.max_message_size(limit)
        .max_frame_size(limit)
        .read_buffer_size(16 * 1024)
        .write_buffer_size(16 * 1024)
        .on_upgrade(move |socket| {
            super::serve_socket(hub, socket, user.user, async move {
                let reason = watch.ended().await;
                tracing::info!(?reason, "session ended: closing its socket");
            })
        })
}
