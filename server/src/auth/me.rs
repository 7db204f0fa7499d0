//! The signed-in user's own account: `GET /api/me`, `POST /api/me/password` (also the way out of a one-time
//! password), `GET /api/me/sessions` and `DELETE /api/me/sessions` (sign out every other device).

use axum::{
    extract::{rejection::JsonRejection, State},
    routing::{get, post},
    Json, Router,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{password, session_body, AuthUser, ClientAddr, EndReason, SessionBody, SessionEnded, MAX_PASSWORD};
use crate::{
    audit::{AuditAction, AuditEvent},
    error::{json_rejection, ApiError},
    AppState,
};

/// Shortest accepted new password, in characters (shown to people on the profile page too).
pub const MIN_PASSWORD_CHARS: usize = 8;

async fn me(user: AuthUser, State(state): State<AppState>) -> Result<Json<SessionBody>, ApiError> {
    let profile = user.profile(&state)?;
    Ok(Json(session_body(&state, None, &profile, user.expires_at, user.must_change_password)))
}

#[derive(Deserialize)]
struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// Changing one's password ends every other session of the user and clears a one-time flag.
async fn change_password(
    user: AuthUser,
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    body: Result<Json<PasswordChange>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(req) = body.map_err(json_rejection)?;
    validate_new_password(&req.new_password)?;
    if req.new_password == req.current_password {
        return Err(ApiError::bad_request("new_password: must differ from the current password"));
    }
    let id = user.user.clone();
    let account = state.accounts.run(move |s| s.account(&id)).await?;
    if !password::verify_async(req.current_password, account.map(|a| a.password_hash)).await {
        return Err(ApiError::unauthorized("invalid_credentials", "current_password: wrong password"));
    }
    let hash = password::hash_async(req.new_password).await?;
    let (id, keep) = (user.user.clone(), user.session.clone());
    let ended = state
        .accounts
        .run(move |s| {
            s.set_password_hash(&id, &hash, false)?;
            let others: Vec<_> = s.sessions_of(&id)?.into_iter().filter(|x| x.id != keep).collect();
            for x in &others {
                s.delete_session(&x.id)?;
            }
            Ok(others)
        })
        .await?;
    for s in ended {
        state.sessions.publish(SessionEnded { user: s.user, session: Some(s.id), reason: EndReason::Revoked });
    }
    state.audit.append(AuditEvent::new(AuditAction::PasswordChanged, Some(&user.user)).address(addr)).await;
    Ok(Json(serde_json::json!({ "ok": true })))
}

/// The rule for new passwords (admin-set and self-set).
pub fn validate_new_password(pw: &str) -> Result<(), ApiError> {
    if pw.chars().count() < MIN_PASSWORD_CHARS || pw.len() > MAX_PASSWORD {
        return Err(ApiError::bad_request(format!(
            "new_password: must be {MIN_PASSWORD_CHARS} characters to {MAX_PASSWORD} bytes"
        )));
    }
    Ok(())
}

/// One of the user's sessions, as the profile page lists them (never the token).
#[derive(Serialize)]
struct MySession {
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    address: Option<String>,
    /// The session this request came with.
    current: bool,
}

async fn my_sessions(user: AuthUser, State(state): State<AppState>) -> Result<Json<Vec<MySession>>, ApiError> {
    let id = user.user.clone();
    let now = Utc::now();
    let mut list = state.accounts.run(move |s| s.sessions_of(&id)).await?;
    list.retain(|s| s.expires_at > now);
    list.sort_by_key(|s| std::cmp::Reverse(s.created_at));
    Ok(Json(
        list.into_iter()
            .map(|s| MySession {
                created_at: s.created_at,
                expires_at: s.expires_at,
                address: s.address,
                current: s.id == user.session,
            })
            .collect(),
    ))
}

/// Signs out every other device of the user (their sockets close at once); this one stays signed in.
async fn sign_out_others(
    user: AuthUser,
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (id, keep) = (user.user.clone(), user.session.clone());
    let ended = state
        .accounts
        .run(move |s| {
            let others: Vec<_> = s.sessions_of(&id)?.into_iter().filter(|x| x.id != keep).collect();
            for x in &others {
                s.delete_session(&x.id)?;
            }
            Ok(others)
        })
        .await?;
    let n = ended.len();
    for s in ended {
        state.sessions.publish(SessionEnded { user: s.user, session: Some(s.id), reason: EndReason::Revoked });
    }
    state
        .audit
        .append(
            AuditEvent::new(AuditAction::SessionRevoked, Some(&user.user))
                .target(&user.user)
                .detail(serde_json::json!({ "sessions": n, "own_other_devices": true }))
                .address(addr),
        )
        .await;
    Ok(Json(serde_json::json!({ "revoked": n })))
}

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/me", get(me))
        .route("/api/me/password", post(change_password))
        .route("/api/me/sessions", get(my_sessions).delete(sign_out_others))
}
