//! Export requests: anyone signed in asks to export one collection with a reason; the sales manager of
//! their team (or an admin) approves or rejects; once approved, the requester downloads it. The download
//! holds exactly what the requester may read at that moment (the same filter as the REST reads), and
//! request, decision and download are all audited.
//!
//! - `POST /api/v1/exports` `{kind, reason}`, `GET /api/v1/exports` (own; managers also their team's;
//!   admins all), `POST /api/v1/exports/{id}/approve`, `POST /api/v1/exports/{id}/reject`,
//!   `GET /api/v1/exports/{id}/download`.

use axum::{
    extract::{rejection::JsonRejection, Path, State},
    http::StatusCode,
    routing::{get, post},
    Json, Router,
};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use app::domain::{Directory, RecordView, Role, UserId};

use crate::{
    accounts::{ExportRequest, ExportStatus},
    audit::{AuditAction, AuditEvent},
    auth::{AuthUser, ClientAddr},
    error::{json_rejection, ApiError},
    AppState,
};

#[derive(Deserialize)]
struct NewExport {
    kind: String,
    reason: String,
}

/// May `decider` approve or reject `requester`'s export? Admins always; sales managers for the people
/// they manage; nobody for their own request.
fn may_decide(dir: &Directory, decider: &UserId, requester: &UserId) -> bool {
    if decider == requester {
        return false;
    }
    match dir.user(decider).filter(|u| !u.disabled).map(|u| u.role) {
        Some(Role::Admin) => true,
        Some(Role::SalesManager) => dir.manages(decider, requester),
        _ => false,
    }
}

fn may_see(dir: &Directory, viewer: &UserId, r: &ExportRequest) -> bool {
    &r.requested_by == viewer || may_decide(dir, viewer, &r.requested_by)
}

fn parse_id(id: &str) -> Result<i64, ApiError> {
    id.parse().map_err(|_| ApiError::not_found(format!("no export request {id:?}")))
}

async fn create(
    user: AuthUser,
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    body: Result<Json<NewExport>, JsonRejection>,
) -> Result<(StatusCode, Json<ExportRequest>), ApiError> {
    user.profile(&state)?;
    let Json(req) = body.map_err(json_rejection)?;
    // `all`: every kind at once (the zip archive of `api/data_export.rs` is made for it).
    let kind = super::data_export::kinds(&req.kind)?;
    let kind = if kind.len() == 1 { kind[0].plural() } else { "all" };
    let reason = req.reason.trim().to_string();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::bad_request("reason: must be 1 to 500 characters"));
    }
    let by = user.user.clone();
    let r = state.accounts.run(move |s| s.insert_export(&by, kind, &reason, Utc::now())).await?;
    state
        .audit
        .append(
            AuditEvent::new(AuditAction::ExportRequested, Some(&user.user))
                .target(format!("export:{}", r.id))
                .detail(serde_json::json!({ "kind": r.kind, "reason": r.reason }))
                .address(addr),
        )
        .await;
    Ok((StatusCode::CREATED, Json(r)))
}

async fn list(user: AuthUser, State(state): State<AppState>) -> Result<Json<Vec<ExportRequest>>, ApiError> {
    user.profile(&state)?;
    let dir = state.hub.directory();
    let all = state.accounts.run(|s| s.exports()).await?;
    Ok(Json(all.into_iter().filter(|r| may_see(&dir, &user.user, r)).collect()))
}

async fn decide(
    state: &AppState,
    user: &AuthUser,
    addr: Option<std::net::IpAddr>,
    id: &str,
    status: ExportStatus,
) -> Result<Json<ExportRequest>, ApiError> {
    user.profile(state)?;
    let id = parse_id(id)?;
    let dir = state.hub.directory();
    let found = state.accounts.run(move |s| s.export(id)).await?;
    let Some(r) = found.filter(|r| may_see(&dir, &user.user, r)) else {
        return Err(ApiError::not_found(format!("no export request {id}")));
    };
    if !may_decide(&dir, &user.user, &r.requested_by) {
        return Err(ApiError::forbidden("only the requester's sales manager or an admin decides this request"));
    }
    let by = user.user.clone();
    let r = state.accounts.run(move |s| s.decide_export(id, status, &by, Utc::now())).await.map_err(|e| match e {
        crate::accounts::StoreError::Duplicate(_) => {
            ApiError::conflict(format!("export request {id} was decided already"))
        }
        e => e.into(),
    })?;
    state
        .audit
        .append(
            AuditEvent::new(AuditAction::ExportDecided, Some(&user.user))
                .target(format!("export:{id}"))
                .detail(serde_json::json!({ "status": status, "requested_by": r.requested_by }))
                .address(addr),
        )
        .await;
    Ok(Json(r))
}

async fn approve(
    user: AuthUser,
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(id): Path<String>,
) -> Result<Json<ExportRequest>, ApiError> {
    decide(&state, &user, addr, &id, ExportStatus::Approved).await
}

async fn reject(
    user: AuthUser,
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(id): Path<String>,
) -> Result<Json<ExportRequest>, ApiError> {
    decide(&state, &user, addr, &id, ExportStatus::Rejected).await
}

#[derive(Serialize)]
struct ExportFile {
    request: ExportRequest,
    records: Vec<RecordView>,
}

async fn download(
    user: AuthUser,
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(id): Path<String>,
) -> Result<Json<ExportFile>, ApiError> {
    user.profile(&state)?;
    let id = parse_id(&id)?;
    let found = state.accounts.run(move |s| s.export(id)).await?;
    let Some(r) = found.filter(|r| r.requested_by == user.user) else {
        return Err(ApiError::not_found(format!("no export request {id}")));
    };
    if r.status != ExportStatus::Approved {
        return Err(ApiError::forbidden(format!("export request {id} is {}, not approved", r.status.as_str())));
    }
    let mut records = Vec::new();
    for kind in super::data_export::kinds(&r.kind)? {
        records.extend(super::records::visible(&state, &user.user, kind).await?);
    }
    let ids: Vec<&str> = records.iter().map(|v| v.id().as_str()).collect();
    state
        .audit
        .append(
            AuditEvent::new(AuditAction::ExportDownloaded, Some(&user.user))
                .target(format!("export:{id}"))
                .detail(serde_json::json!({ "kind": r.kind, "count": ids.len(), "ids": ids }))
                .address(addr),
        )
        .await;
    Ok(Json(ExportFile { request: r, records }))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/exports", get(list).post(create))
        .route("/api/v1/exports/{id}/approve", post(approve))
        .route("/api/v1/exports/{id}/reject", post(reject))
        .route("/api/v1/exports/{id}/download", get(download))
}
