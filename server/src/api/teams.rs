//! Teams (admins write; everyone signed in reads): `GET /api/v1/teams`, `POST /api/v1/teams`,
//! `PATCH /api/v1/teams/{id}` (name, manager, parent). A team's manager sees the records of its members and of
//! every team nested below it, so changes go through the hub (index documents follow) and are audited.

use axum::{
    extract::{rejection::JsonRejection, Path, State},
    http::StatusCode,
    routing::{get, patch},
    Json, Router,
};
use serde::Deserialize;

use app::domain::{Directory, Role, Team, TeamId, UserId};

use crate::{
    auth::{AuthUser, ClientAddr},
    error::{json_rejection, ApiError},
    AppState,
};

use super::{
    admin::{change_directory, valid_id, valid_name},
    double_option,
};

async fn list_teams(user: AuthUser, State(state): State<AppState>) -> Result<Json<Vec<Team>>, ApiError> {
    user.profile(&state)?;
    Ok(Json(state.hub.directory().teams))
}

#[derive(Deserialize)]
struct NewTeam {
    id: String,
    name: String,
    #[serde(default)]
    manager: Option<UserId>,
    #[serde(default)]
    parent: Option<TeamId>,
}

fn check_manager(dir: &Directory, manager: &Option<UserId>) -> Result<(), ApiError> {
    if let Some(m) = manager {
        match dir.user(m) {
            Some(u) if u.role == Role::SalesManager || u.role == Role::Admin => {}
            Some(_) => return Err(ApiError::bad_request(format!("manager: {m} is not a sales manager"))),
            None => return Err(ApiError::bad_request(format!("manager: unknown user {m:?}"))),
        }
    }
    Ok(())
}

async fn create_team(
    admin: AuthUser,
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    body: Result<Json<NewTeam>, JsonRejection>,
) -> Result<(StatusCode, Json<Team>), ApiError> {
    admin.require_role(&state, &[Role::Admin])?;
    let Json(req) = body.map_err(json_rejection)?;
    valid_id("id", &req.id)?;
    let name = valid_name("name", &req.name)?;
    let dir = state.hub.directory();
    let id = TeamId::new(req.id);
    if dir.team(&id).is_some() {
        return Err(ApiError::conflict(format!("team {id} already exists")));
    }
    check_manager(&dir, &req.manager)?;
    let team = Team { id, name, manager: req.manager, parent: req.parent };
    let new = team.clone();
    change_directory(&state, &admin.user, addr, move |d| {
        if d.team(&new.id).is_none() {
            d.teams.push(new.clone());
        }
    })
    .await?;
    Ok((StatusCode::CREATED, Json(team)))
}

#[derive(Deserialize)]
struct TeamPatch {
    name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    manager: Option<Option<UserId>>,
    #[serde(default, deserialize_with = "double_option")]
    parent: Option<Option<TeamId>>,
}

async fn update_team(
    admin: AuthUser,
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(id): Path<String>,
    body: Result<Json<TeamPatch>, JsonRejection>,
) -> Result<Json<Team>, ApiError> {
    admin.require_role(&state, &[Role::Admin])?;
    let Json(p) = body.map_err(json_rejection)?;
    let id = TeamId::new(id);
    let dir = state.hub.directory();
    if dir.team(&id).is_none() {
        return Err(ApiError::not_found(format!("no team {id}")));
    }
    let name = p.name.as_deref().map(|n| valid_name("name", n)).transpose()?;
    if let Some(m) = &p.manager {
        check_manager(&dir, m)?;
    }
    if p.parent.as_ref().is_some_and(|x| x.as_ref() == Some(&id)) {
        return Err(ApiError::bad_request("parent: a team cannot be its own parent"));
    }
    let target = id.clone();
    let (manager, parent) = (p.manager, p.parent);
    change_directory(&state, &admin.user, addr, move |d| {
        if let Some(t) = d.teams.iter_mut().find(|t| t.id == target) {
            if let Some(n) = &name {
                t.name = n.clone();
            }
            if let Some(m) = &manager {
                t.manager = m.clone();
            }
            if let Some(x) = &parent {
                t.parent = x.clone();
            }
        }
    })
    .await?;
    let team = state.hub.directory().team(&id).cloned().ok_or_else(|| ApiError::not_found(format!("no team {id}")))?;
    Ok(Json(team))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/teams", get(list_teams).post(create_team))
        .route("/api/v1/teams/{id}", patch(update_team))
}
