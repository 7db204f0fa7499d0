//! Setting a company up in one go and getting people back in:
//! - `POST /api/v1/users/bulk` `{"roster": "id, name, role, team\n..."}` (or `{"people": [...]}`): creates
//!   every person of a roster, or none (every bad line is named, 400 with `lines`), each with a generated
//!   one-time password answered once. One directory change for all, so clients see the company at once.
//! - `POST /api/v1/users/{id}/password`: resets a password to a generated one-time one, answered once; the
//!   user's sessions and sockets end.

use axum::{
    extract::{rejection::JsonRejection, Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
    Json, Router,
};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use app::domain::{
    people::{parse_roster, RosterEntry, RosterError},
    Role, User, UserId,
};

use super::{change_directory, known_user, set_password};
use crate::{
    accounts::Account,
    auth::{password, AuthUser, ClientAddr},
    error::{json_rejection, ApiError},
    AppState,
};

/// Most people created in one request (argon2 for each runs on the blocking pool).
const MAX_BULK: usize = 500;

#[derive(Deserialize)]
struct BulkRequest {
    /// Pasted text, one person per line (see `app::domain::people::parse_roster`).
    roster: Option<String>,
    /// Or the people as JSON.
    people: Option<Vec<RosterEntry>>,
}

#[derive(Serialize)]
struct Created {
    id: UserId,
    name: String,
    one_time_password: String,
}

async fn bulk_create(
    admin: AuthUser,
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    body: Result<Json<BulkRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    admin.require_role(&state, &[Role::Admin])?;
    let Json(req) = body.map_err(json_rejection)?;
    let dir = state.hub.directory();
    // JSON people are checked by the same rules as a pasted roster, by turning them into one.
    let text = match (req.roster, req.people) {
        (Some(text), None) => text,
        (None, Some(people)) => people
            .iter()
            .map(|p| {
                let team = p.team.as_ref().map(|t| t.as_str()).unwrap_or("");
                format!("{}\t{}\t{}\t{team}", p.id, p.name, p.role.as_str())
            })
            .collect::<Vec<_>>()
            .join("\n"),
        _ => return Err(ApiError::bad_request("give either roster (text) or people (a list)")),
    };
    let people = match parse_roster(&text, &dir) {
        Ok(p) if p.is_empty() => return Err(ApiError::bad_request("roster: nobody in it")),
        Ok(p) if p.len() > MAX_BULK => {
            return Err(ApiError::bad_request(format!("roster: at most {MAX_BULK} people at once")))
        }
        Ok(p) => p,
        Err(lines) => return Ok(roster_refused(lines)),
    };
    let mut accounts = Vec::with_capacity(people.len());
    let mut created = Vec::with_capacity(people.len());
    for p in &people {
        let pw = password::random_password();
        let hash = password::hash_async(pw.clone()).await?;
        accounts.push(Account {
            user: p.id.clone(),
            password_hash: hash,
            disabled: false,
            created_at: Utc::now(),
            must_change_password: true,
        });
        created.push(Created { id: p.id.clone(), name: p.name.clone(), one_time_password: pw });
    }
    state
        .accounts
        .run(move |s| {
            for a in &accounts {
                s.insert_account(a)?;
            }
            Ok(())
        })
        .await?;
    let users: Vec<User> = people
        .into_iter()
        .map(|p| User { id: p.id, name: p.name, role: p.role, team: p.team, disabled: false })
        .collect();
    change_directory(&state, &admin.user, addr, move |d| {
        for u in &users {
            if d.user(&u.id).is_none() {
                d.users.push(u.clone());
            }
        }
    })
    .await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "created": created }))).into_response())
}

/// 400 naming every bad line, in the API's error shape plus the lines.
fn roster_refused(lines: Vec<RosterError>) -> Response {
    let message = lines.iter().map(|l| l.to_string()).collect::<Vec<_>>().join("; ");
    let body = serde_json::json!({ "error": "bad_request", "message": message, "lines": lines });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

async fn reset_password(
    admin: AuthUser,
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    admin.require_role(&state, &[Role::Admin])?;
    let id = known_user(&state, id)?;
    if id == admin.user {
        return Err(ApiError::conflict("change your own password on your profile page"));
    }
    let pw = password::random_password();
    set_password(&state, &admin.user, addr, &id, pw.clone(), true).await?;
    Ok(Json(serde_json::json!({ "id": id, "one_time_password": pw })))
}

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users/bulk", post(bulk_create))
        .route("/api/v1/users/{id}/password", post(reset_password))
}
