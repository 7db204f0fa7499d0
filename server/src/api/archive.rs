//! `POST /api/v1/{kind}/{id}/archive` and `/restore`: the domain's archive operations
//! (`app::domain::ops::archive`) written as a change for the signed-in user, through the same write gate
//! as sync (who may archive: whoever may write the record; restore: the owner's sales manager or an
//! admin). An archived record leaves lists (`GET /api/v1/{kind}` shows it only with `?archived=true`)
//! and the browser's lists and search; reading it by id still works, and nothing of it is removed.

use automerge::Automerge;
use axum::{
    extract::{Path, State},
    routing::post,
    Json, Router,
};
use serde_json::Value;

use app::domain::records::Record;
use app::domain::{ops, Activity, Contact, Customer, DocId, Lead, Opportunity, RecordKind, Timestamp, UserId};

use super::write::{answer, execute, fields, now, visible_record, Write, WriteError};
use crate::{auth::AuthUser, AppState};

fn marked<R: Record>(
    id: &DocId,
    doc: &Automerge,
    by: &UserId,
    at: Timestamp,
    archive: bool,
) -> Result<Write, WriteError> {
    let mut rec: R = fields::read(doc)?;
    if archive { ops::archive(&mut rec, by, at) } else { ops::restore(&mut rec) }.map_err(WriteError::domain)?;
    Ok(Write { id: id.clone(), doc: fields::main_doc(Some(doc), &rec)?, new: false })
}

async fn set_mark(
    state: AppState,
    user: AuthUser,
    plural: String,
    id: String,
    archive: bool,
) -> Result<Json<Value>, WriteError> {
    let kind = super::records::parse_kind(&plural)?;
    user.profile(&state)?;
    let me = user.user.clone();
    let (id, _) = visible_record(&state, &me, kind, &id)?;
    let doc = state.hub.load(&id).await?.ok_or_else(|| crate::error::ApiError::not_found("the record is gone"))?;
    let at = now();
    let write = match kind {
        RecordKind::Lead => marked::<Lead>(&id, &doc, &me, at, archive)?,
        RecordKind::Opportunity => marked::<Opportunity>(&id, &doc, &me, at, archive)?,
        RecordKind::Customer => marked::<Customer>(&id, &doc, &me, at, archive)?,
        RecordKind::Contact => marked::<Contact>(&id, &doc, &me, at, archive)?,
        RecordKind::Activity => marked::<Activity>(&id, &doc, &me, at, archive)?,
    };
    execute(&state, &me, vec![write]).await?;
    Ok(Json(answer(&state, &me, &id).await?))
}

async fn archive(
    user: AuthUser,
    State(state): State<AppState>,
    Path((plural, id)): Path<(String, String)>,
) -> Result<Json<Value>, WriteError> {
    set_mark(state, user, plural, id, true).await
}

async fn restore(
    user: AuthUser,
    State(state): State<AppState>,
    Path((plural, id)): Path<(String, String)>,
) -> Result<Json<Value>, WriteError> {
    set_mark(state, user, plural, id, false).await
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/{kind}/{id}/archive", post(archive))
        .route("/api/v1/{kind}/{id}/restore", post(restore))
}
