//! Admin endpoints for users. A user lives in two places that must agree: the account (password
//! hash, disabled flag, sessions) in the account store, and the directory entry (name, role, team) in the
//! directory document that the sync hub serves. These handlers change both, the directory through the hub
//! (so clients see it live and index documents follow), and audit every change.
//!
//! - `GET /api/v1/users` (admins; a sales manager gets their team's people), `POST /api/v1/users`,
//!   `PATCH /api/v1/users/{id}`, `DELETE /api/v1/users/{id}/sessions` (revoke every session);
//! - `api/admin/people.rs`: `POST /api/v1/users/bulk` (a roster at once) and
//!   `POST /api/v1/users/{id}/password` (reset to a one-time password).
//!
//! A password someone else sets is one-time (the user must choose their own at next sign-in); a created
//! user without a password gets a generated one, answered once as `one_time_password`. Scripts may pass
//! `"one_time": false` with a password they hand over themselves.
//!
//! Teams are in `api/teams.rs`.

mod people;

use axum::{
    extract::{rejection::JsonRejection, Path, State},
    http::StatusCode,
    routing::{delete, get, patch},
    Json, Router,
};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use app::domain::{gate::validate_directory, Directory, Role, TeamId, User, UserId};

use crate::{
    accounts::Account,
    audit::{directory_changes, AuditAction, AuditEvent},
    auth::{password, validate_new_password, AuthUser, ClientAddr, EndReason, SessionEnded},
    error::{json_rejection, ApiError},
    AppState,
};

use super::double_option;

/// A user as admins see them: directory entry plus account state.
#[derive(Serialize)]
struct UserAdminView {
    id: UserId,
    name: String,
    role: Role,
    team: Option<TeamId>,
    /// The manager of the user's team, if any.
    manager: Option<UserId>,
    disabled: bool,
    has_account: bool,
    sessions: usize,
    /// Their password is one-time (not yet changed since it was set for them).
    must_change_password: bool,
}

pub(super) fn valid_id(field: &str, id: &str) -> Result<(), ApiError> {
    if app::domain::people::valid_id(id) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "{field}: {id:?} must be 1-64 characters of a-z, 0-9, '.', '_', '-', starting with a letter or digit"
        )))
    }
}

pub(super) fn valid_name(field: &str, name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::bad_request(format!("{field}: must be 1 to 100 characters")));
    }
    Ok(name.to_string())
}

/// At least one enabled admin must remain, or nobody could administer the company again.
fn keeps_an_admin(dir: &Directory) -> Result<(), ApiError> {
    if dir.users.iter().any(|u| u.role == Role::Admin && !u.disabled) {
        Ok(())
    } else {
        Err(ApiError::conflict("the last enabled admin cannot be demoted or disabled"))
    }
}

/// Checks a directory change on a snapshot, applies it through the hub, and audits what changed.
pub(super) async fn change_directory<F>(
    state: &AppState,
    actor: &UserId,
    addr: Option<std::net::IpAddr>,
    f: F,
) -> Result<(), ApiError>
where
    F: Fn(&mut Directory) + Send + 'static,
{
    let before = state.hub.directory();
    let mut after = before.clone();
    f(&mut after);
    keeps_an_admin(&after)?;
    validate_directory(&after)?;
    state.hub.update_directory(f).await?;
    let events =
        directory_changes(Some(actor), &before, &state.hub.directory()).into_iter().map(|e| e.address(addr)).collect();
    state.audit.append_all(events).await;
    Ok(())
}

async fn list_users(user: AuthUser, State(state): State<AppState>) -> Result<Json<Vec<UserAdminView>>, ApiError> {
    let me = user.require_role(&state, &[Role::Admin, Role::SalesManager])?;
    let dir = state.hub.directory();
    // A manager sees the people of their teams (nested ones included), read-only.
    let team = (me.role == Role::SalesManager).then(|| dir.team_members(&me.id));
    let (accounts, sessions) = state
        .accounts
        .run(|s| {
            let accounts = s.accounts()?;
            let mut sessions = BTreeMap::new();
            let now = Utc::now();
            for a in &accounts {
                let n = s.sessions_of(&a.user)?.iter().filter(|x| x.expires_at > now).count();
                sessions.insert(a.user.clone(), n);
            }
            Ok((accounts, sessions))
        })
        .await?;
    let out = dir
        .users
        .iter()
        .filter(|u| team.as_ref().is_none_or(|t| t.contains(&u.id)))
        .map(|u| {
            let account = accounts.iter().find(|a| a.user == u.id);
            UserAdminView {
                id: u.id.clone(),
                name: u.name.clone(),
                role: u.role,
                team: u.team.clone(),
                manager: u.team.as_ref().and_then(|t| dir.team(t)).and_then(|t| t.manager.clone()),
                disabled: u.disabled || account.is_some_and(|a| a.disabled),
                has_account: account.is_some(),
                sessions: sessions.get(&u.id).copied().unwrap_or(0),
                must_change_password: account.is_some_and(|a| a.must_change_password),
            }
        })
        .collect();
    Ok(Json(out))
}

#[derive(Deserialize)]
struct NewUser {
    id: String,
    name: String,
    role: Role,
    #[serde(default)]
    team: Option<TeamId>,
    /// Absent: a one-time password is generated and answered once.
    #[serde(default)]
    password: Option<String>,
    /// A given password is one-time unless this is `false`.
    #[serde(default)]
    one_time: Option<bool>,
}

/// A created user, with the generated one-time password (the only time it is shown).
#[derive(Serialize)]
struct CreatedUser {
    #[serde(flatten)]
    user: User,
    #[serde(skip_serializing_if = "Option::is_none")]
    one_time_password: Option<String>,
}

async fn create_user(
    admin: AuthUser,
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    body: Result<Json<NewUser>, JsonRejection>,
) -> Result<(StatusCode, Json<CreatedUser>), ApiError> {
    admin.require_role(&state, &[Role::Admin])?;
    let Json(req) = body.map_err(json_rejection)?;
    valid_id("id", &req.id)?;
    let name = valid_name("name", &req.name)?;
    if let Some(pw) = &req.password {
        validate_new_password(pw)?;
    }
    let dir = state.hub.directory();
    if let Some(t) = &req.team {
        if dir.team(t).is_none() {
            return Err(ApiError::bad_request(format!("team: unknown team {t:?}")));
        }
    }
    let id = UserId::new(req.id.clone());
    if dir.user(&id).is_some() {
        return Err(ApiError::conflict(format!("user {id} already exists")));
    }
    let generated = req.password.is_none().then(password::random_password);
    let one_time = generated.is_some() || req.one_time.unwrap_or(true);
    let hash = password::hash_async(req.password.or_else(|| generated.clone()).unwrap_or_default()).await?;
    let account = Account {
        user: id.clone(),
        password_hash: hash,
        disabled: false,
        created_at: Utc::now(),
        must_change_password: one_time,
    };
    state.accounts.run(move |s| s.insert_account(&account)).await?;
    let user = User { id: id.clone(), name, role: req.role, team: req.team, disabled: false };
    let new = user.clone();
    change_directory(&state, &admin.user, addr, move |d| {
        if d.user(&new.id).is_none() {
            d.users.push(new.clone());
        }
    })
    .await?;
    Ok((StatusCode::CREATED, Json(CreatedUser { user, one_time_password: generated })))
}

#[derive(Deserialize)]
struct UserPatch {
    name: Option<String>,
    role: Option<Role>,
    #[serde(default, deserialize_with = "double_option")]
    team: Option<Option<TeamId>>,
    disabled: Option<bool>,
    password: Option<String>,
    /// With `password`: one-time unless `false`.
    one_time: Option<bool>,
}

async fn ended_sessions(state: &AppState, user: &UserId, reason: EndReason) -> Result<u64, ApiError> {
    let id = user.clone();
    let n = state.accounts.run(move |s| s.delete_sessions_of(&id)).await?;
    state.sessions.publish(SessionEnded { user: user.clone(), session: None, reason });
    Ok(n)
}

async fn update_user(
    admin: AuthUser,
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(id): Path<String>,
    body: Result<Json<UserPatch>, JsonRejection>,
) -> Result<Json<User>, ApiError> {
    admin.require_role(&state, &[Role::Admin])?;
    let Json(p) = body.map_err(json_rejection)?;
    let id = UserId::new(id);
    let dir = state.hub.directory();
    if dir.user(&id).is_none() {
        return Err(ApiError::not_found(format!("no user {id}")));
    }
    let name = p.name.as_deref().map(|n| valid_name("name", n)).transpose()?;
    if let Some(Some(t)) = &p.team {
        if dir.team(t).is_none() {
            return Err(ApiError::bad_request(format!("team: unknown team {t:?}")));
        }
    }
    if p.disabled == Some(true) && id == admin.user {
        return Err(ApiError::conflict("you cannot disable your own account"));
    }
    if let Some(pw) = &p.password {
        validate_new_password(pw)?;
    }

    // The directory first: it refuses what would leave the company without an admin.
    let (role, team, disabled) = (p.role, p.team.clone(), p.disabled);
    let target = id.clone();
    change_directory(&state, &admin.user, addr, move |d| {
        if let Some(u) = d.users.iter_mut().find(|u| u.id == target) {
            if let Some(n) = &name {
                u.name = n.clone();
            }
            if let Some(r) = role {
                u.role = r;
            }
            if let Some(t) = &team {
                u.team = t.clone();
            }
            if let Some(x) = disabled {
                u.disabled = x;
            }
        }
    })
    .await?;

    if let Some(x) = p.disabled {
        let target = id.clone();
        let has_account = state.accounts.run(move |s| s.account(&target)).await?.is_some();
        if has_account {
            let target = id.clone();
            state.accounts.run(move |s| s.set_disabled(&target, x)).await?;
        }
        if x {
            // Disabling ends every session and every open socket of the user at once.
            let n = ended_sessions(&state, &id, EndReason::UserDisabled).await?;
            state.hub.disconnect_user(&id);
            tracing::info!(user = %id, sessions = n, "user disabled");
        }
    }
    if let Some(pw) = p.password {
        set_password(&state, &admin.user, addr, &id, pw, p.one_time.unwrap_or(true)).await?;
    }
    let user = state.hub.directory().user(&id).cloned().ok_or_else(|| ApiError::not_found(format!("no user {id}")))?;
    Ok(Json(user))
}

/// Sets `id`'s password as an admin (creating the account if the directory entry had none), ends their
/// sessions and audits it.
async fn set_password(
    state: &AppState,
    admin: &UserId,
    addr: Option<std::net::IpAddr>,
    id: &UserId,
    pw: String,
    one_time: bool,
) -> Result<(), ApiError> {
    let hash = password::hash_async(pw).await?;
    let target = id.clone();
    state
        .accounts
        .run(move |s| match s.account(&target)? {
            Some(_) => s.set_password_hash(&target, &hash, one_time),
            None => s.insert_account(&Account {
                user: target.clone(),
                password_hash: hash,
                disabled: false,
                created_at: Utc::now(),
                must_change_password: one_time,
            }),
        })
        .await?;
    ended_sessions(state, id, EndReason::Revoked).await?;
    state.hub.disconnect_user(id);
    state
        .audit
        .append(
            AuditEvent::new(AuditAction::PasswordReset, Some(admin))
                .target(id)
                .detail(serde_json::json!({ "one_time": one_time }))
                .address(addr),
        )
        .await;
    Ok(())
}

/// The user named in a path, or 404 if the directory has no such user.
pub(super) fn known_user(state: &AppState, id: String) -> Result<UserId, ApiError> {
    let id = UserId::new(id);
    if state.hub.directory().user(&id).is_none() {
        return Err(ApiError::not_found(format!("no user {id}")));
    }
    Ok(id)
}

async fn revoke_sessions(
    admin: AuthUser,
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    admin.require_role(&state, &[Role::Admin])?;
    let id = known_user(&state, id)?;
    let n = ended_sessions(&state, &id, EndReason::Revoked).await?;
    state
        .audit
        .append(
            AuditEvent::new(AuditAction::SessionRevoked, Some(&admin.user))
                .target(&id)
                .detail(serde_json::json!({ "sessions": n }))
                .address(addr),
        )
        .await;
    Ok(Json(serde_json::json!({ "revoked": n })))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{id}", patch(update_user))
        .route("/api/v1/users/{id}/sessions", delete(revoke_sessions))
        .merge(people::router())
}
