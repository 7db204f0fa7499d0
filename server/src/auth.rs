//! Sign-in and sessions: `POST /api/login`, `POST /api/logout`, `GET /api/me`, `POST /api/me/password`, and
//! the [`AuthUser`] extractor every protected handler (REST and `/sync`) takes.
//!
//! # Layout
//! - `auth/password.rs`: argon2id hashing (on the blocking pool).
//! - `auth/token.rs`: session tokens, the cookie, finding a request's token.
//! - `auth/rate_limit.rs`: login throttling per (account, address), per address and per account.
//! - `auth/session.rs`: announcing ended sessions and watching for the end of one (open sockets).
//! - `auth/me.rs`: `GET /api/me`, changing one's password, signing out one's other devices.
//!
//! A one-time password (first-run setup, set by an admin) signs in, but until its user sets their own the
//! [`AuthUser`] extractor refuses every route except those in [`ONE_TIME_ALLOWED`] (403
//! `password_change_required`), the sync socket included.
//!
//! A session ends when it expires, on logout, when an admin revokes it, or when its user is disabled;
//! [`SessionWatch`] lets a long-lived connection (a sync socket) end at that very moment.

mod me;
pub mod password;
pub mod rate_limit;
mod session;
pub mod token;

use axum::{
    extract::{rejection::JsonRejection, ConnectInfo, FromRequestParts, State},
    http::{header, request::Parts, HeaderMap, HeaderValue},
    response::{IntoResponse, Response},
    routing::post,
    Json, Router,
};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use std::{net::IpAddr, net::SocketAddr, time::Instant};

use app::domain::{Role, User, UserId};

use crate::{
    accounts::{Session, SessionId},
    audit::{AuditAction, AuditEvent},
    error::{json_rejection, ApiError},
    security::{Https, RequestContext},
    AppState,
};

pub use me::validate_new_password;
pub use rate_limit::{LoginLimiter, LoginPolicy};
pub use session::{EndReason, SessionEnded, SessionEvents, SessionWatch};

/// Longest accepted username and password (argon2 over megabytes would be a cheap denial of service).
const MAX_USERNAME: usize = 64;
const MAX_PASSWORD: usize = 1024;

/// What a session with a one-time password may reach: who am I, set my password, sign out.
pub const ONE_TIME_ALLOWED: &[&str] = &["/api/me", "/api/me/password", "/api/logout"];

/// A signed-in user, from the `crm_session` cookie, an `Authorization: Bearer` header or `?token=`.
/// What the user may see is decided by `app::domain::access` against the directory, never here.
#[derive(Clone, Debug)]
pub struct AuthUser {
    pub user: UserId,
    pub session: SessionId,
    pub expires_at: DateTime<Utc>,
    /// The password is one-time (only [`ONE_TIME_ALLOWED`] routes let such a session through).
    pub must_change_password: bool,
}

impl AuthUser {
    /// The user's directory entry (name, role, team), or 401 if they left the directory or were disabled.
    pub fn profile(&self, state: &AppState) -> Result<User, ApiError> {
        state
            .hub
            .directory()
            .user(&self.user)
            .filter(|u| !u.disabled)
            .cloned()
            .ok_or_else(|| ApiError::unauthorized("account_disabled", "this account is disabled"))
    }

    /// The user's profile if their role is one of `roles`, else 403.
    pub fn require_role(&self, state: &AppState, roles: &[Role]) -> Result<User, ApiError> {
        let u = self.profile(state)?;
        if roles.contains(&u.role) {
            Ok(u)
        } else {
            Err(ApiError::forbidden(format!("this needs one of the roles: {}", role_list(roles))))
        }
    }

    /// Subscribes now to the end of this session. Take it when a socket opens, then await
    /// [`SessionWatch::ended`] beside the socket's work.
    pub fn watch(&self, state: &AppState) -> SessionWatch {
        SessionWatch {
            rx: state.sessions.subscribe(),
            accounts: state.accounts.clone(),
            user: self.user.clone(),
            session: self.session.clone(),
            expires_at: self.expires_at,
        }
    }
}

fn role_list(roles: &[Role]) -> String {
    roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
}

/// The client's IP address, for rate limiting and the audit log: the connection's peer, or what a
/// `--trust-proxy` proxy forwarded (see [`crate::security::RequestContext`]).
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ctx = parts.extensions.get::<RequestContext>().map(|c| c.client);
        Ok(ClientAddr(ctx.unwrap_or_else(|| parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()))))
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(token) = token::from_parts(parts) else {
            return Err(ApiError::unauthorized("unauthenticated", "sign in first (no session token)"));
        };
        let id = token::session_id(&token);
        let now = Utc::now();
        let (session, account) = state
            .accounts
            .run(move |s| {
                let Some(session) = s.session(&id)? else { return Ok((None, None)) };
                if session.expires_at <= now {
                    s.delete_session(&id)?;
                    return Ok((Some(session), None));
                }
                let account = s.account(&session.user)?;
                Ok((Some(session), account))
            })
            .await?;
        let Some(session) = session else {
            return Err(ApiError::unauthorized("invalid_session", "this session token is not valid; sign in again"));
        };
        if session.expires_at <= now {
            return Err(ApiError::unauthorized("session_expired", "this session has expired; sign in again"));
        }
        let in_directory = state.hub.directory().user(&session.user).is_some_and(|u| !u.disabled);
        let Some(account) = account.filter(|a| !a.disabled && in_directory) else {
            return Err(ApiError::unauthorized("account_disabled", "this account is disabled"));
        };
        if account.must_change_password && !ONE_TIME_ALLOWED.contains(&parts.uri.path()) {
            return Err(ApiError::PasswordChangeRequired);
        }
        Ok(AuthUser {
            user: session.user,
            session: session.id,
            expires_at: session.expires_at,
            must_change_password: account.must_change_password,
        })
    }
}

#[derive(Deserialize)]
struct LoginRequest {
    username: String,
    password: String,
}

pub use app::rest::{SessionBody, SessionUser as UserView};

fn session_body(
    state: &AppState,
    token: Option<String>,
    user: &User,
    expires_at: DateTime<Utc>,
    must_change_password: bool,
) -> SessionBody {
    SessionBody {
        token,
        user: user.into(),
        index_doc: state.hub.index_doc_id(&user.id),
        directory_doc: state.hub.directory_doc_id(),
        expires_at,
        must_change_password,
    }
}

async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Https(https): Https,
    body: Result<Json<LoginRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(req) = body.map_err(json_rejection)?;
    let username = req.username.trim().to_string();
    if username.is_empty() || username.len() > MAX_USERNAME {
        return Err(ApiError::bad_request(format!("username: must be 1 to {MAX_USERNAME} characters")));
    }
    if req.password.is_empty() || req.password.len() > MAX_PASSWORD {
        return Err(ApiError::bad_request(format!("password: must be 1 to {MAX_PASSWORD} bytes")));
    }
    let user_id = UserId::new(username.clone());
    // Throttled before the password is even checked, so a throttled guess learns nothing.
    if let Err(refusal) = state.limiter.check(&username, addr, Instant::now()) {
        state
            .audit
            .append(
                AuditEvent::new(AuditAction::LoginRateLimited, None)
                    .target(&username)
                    .detail(serde_json::json!({
                        "retry_after_secs": refusal.retry_after_secs,
                        "throttled_by": refusal.by.as_str(),
                    }))
                    .address(addr),
            )
            .await;
        return Err(ApiError::TooManyRequests { retry_after_secs: refusal.retry_after_secs });
    }
    let account = {
        let id = user_id.clone();
        state.accounts.run(move |s| s.account(&id)).await?
    };
    let ok = password::verify_async(req.password, account.as_ref().map(|a| a.password_hash.clone())).await;
    let failed = |detail: serde_json::Value| {
        AuditEvent::new(AuditAction::LoginFailed, None).target(&username).detail(detail).address(addr)
    };
    if !ok {
        let n = state.limiter.record_failure(&username, addr, Instant::now());
        let reason = if account.is_some() { "wrong_password" } else { "unknown_user" };
        // The counts let admins see repeated failures (and from how many places) in the audit log.
        state
            .audit
            .append(failed(serde_json::json!({
                "reason": reason,
                "failures_from_address_for_account": n.pair,
                "failures_from_address": n.address,
                "failures_for_account": n.account,
                "account_under_attack": n.account_under_attack,
            })))
            .await;
        return Err(ApiError::unauthorized("invalid_credentials", "wrong username or password"));
    }
    let profile = state.hub.directory().user(&user_id).cloned();
    let Some(profile) = profile.filter(|u| !u.disabled && account.as_ref().is_some_and(|a| !a.disabled)) else {
        state.audit.append(failed(serde_json::json!({ "reason": "disabled" }))).await;
        return Err(ApiError::forbidden("this account is disabled"));
    };
    state.limiter.record_success(&username, addr);

    let (token, id) = token::new_token();
    let now = Utc::now();
    let ttl = state.config.session_ttl_secs;
    let expires_at = now + Duration::seconds(i64::try_from(ttl).unwrap_or(i64::MAX / 1000).min(100 * 365 * 86400));
    let session =
        Session { id, user: user_id.clone(), created_at: now, expires_at, address: addr.map(|a| a.to_string()) };
    state.accounts.run(move |s| s.insert_session(&session)).await?;
    state.audit.append(AuditEvent::new(AuditAction::LoginOk, Some(&user_id)).address(addr)).await;

    let must_change = account.is_some_and(|a| a.must_change_password);
    let body = session_body(&state, Some(token.clone()), &profile, expires_at, must_change);
    let mut headers = HeaderMap::new();
    let cookie = HeaderValue::from_str(&token::set_cookie(&token, ttl, https)).map_err(anyhow::Error::new)?;
    headers.insert(header::SET_COOKIE, cookie);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok((headers, Json(body)).into_response())
}

async fn logout(
    user: AuthUser,
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Https(https): Https,
) -> Result<Response, ApiError> {
    let id = user.session.clone();
    state.accounts.run(move |s| s.delete_session(&id)).await?;
    state.sessions.publish(SessionEnded {
        user: user.user.clone(),
        session: Some(user.session.clone()),
        reason: EndReason::LoggedOut,
    });
    state.audit.append(AuditEvent::new(AuditAction::Logout, Some(&user.user)).address(addr)).await;
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, HeaderValue::from_str(&token::clear_cookie(https)).map_err(anyhow::Error::new)?);
    Ok((headers, Json(serde_json::json!({ "ok": true }))).into_response())
}

/// Sign-in routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/login", post(login)).route("/api/logout", post(logout)).merge(me::router())
}
