//! `GET /api/v1/{leads,opportunities,customers,contacts,activities}` and `/{kind}/{id}`: the materialized
//! records the signed-in user may read, filtered by exactly the policy sync uses (`app::domain::access`):
//! a hidden record is absent (a single one answers 404, as a missing one does), a hidden field group is
//! absent from the JSON, not null. Lists leave archived records out (`?archived=true` lists only them).
//! `/{kind}/{id}?as_of=<RFC 3339 | ms>` answers the record as it was then (`app::domain::history::as_of`,
//! on the relay's clock), redacted the same way; 404 if it did not exist yet. Every read is audited.

use automerge::Automerge;
use axum::{
    extract::{rejection::QueryRejection, Path, Query, State},
    http::{HeaderMap, HeaderValue},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde::Deserialize;

use app::domain::{access, companion_groups, Directory, DocId, FieldGroup, RecordKind, RecordMeta, RecordView, UserId};

use crate::{
    audit::{AuditAction, AuditEvent},
    auth::{AuthUser, ClientAddr},
    error::ApiError,
    AppState,
};

/// Largest page of a list, and the page size when none is asked for (`x-total-count` tells the total).
const MAX_LIMIT: usize = 5000;
const DEFAULT_LIMIT: usize = 1000;

pub(crate) fn parse_kind(plural: &str) -> Result<RecordKind, ApiError> {
    RecordKind::ALL.into_iter().find(|k| k.plural() == plural).ok_or_else(|| {
        let known: Vec<_> = RecordKind::ALL.iter().map(|k| k.plural()).collect();
        ApiError::not_found(format!("no collection {plural:?}; there are {}", known.join(", ")))
    })
}

/// The record's view as `user` may see it, or `None` if they may not see it (or it is gone).
pub async fn materialize(
    state: &AppState,
    dir: &Directory,
    user: &UserId,
    id: &DocId,
    meta: &RecordMeta,
) -> Result<Option<RecordView>, ApiError> {
    let acc = access(user, dir, meta);
    if !acc.visible() {
        return Ok(None);
    }
    let Some(main) = state.hub.load(id).await? else { return Ok(None) };
    let mut companions: Vec<(FieldGroup, Automerge)> = Vec::new();
    for g in companion_groups(meta.kind) {
        if acc.group(*g).can_read() {
            if let Some(doc) = state.hub.load(&id.companion(*g)).await? {
                companions.push((*g, doc));
            }
        }
    }
    let refs: Vec<(FieldGroup, &Automerge)> = companions.iter().map(|(g, d)| (*g, d)).collect();
    let mut view = RecordView::from_docs(id, &main, &refs)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("document {id} does not read as a record: {e}")))?;
    // The companions passed were already filtered; redacting again keeps this true whatever changes above.
    view.redact(&acc);
    Ok(Some(view))
}

/// The records among `metas` that `user` may see (order kept). Cheap: no document is loaded.
fn visible_ids(dir: &Directory, user: &UserId, metas: Vec<(DocId, RecordMeta)>) -> Vec<(DocId, RecordMeta)> {
    metas.into_iter().filter(|(_, meta)| access(user, dir, meta).visible()).collect()
}

/// Materializes the given records for `user`. One unreadable document must not take a whole list down: it
/// is logged and skipped.
async fn materialize_all(
    state: &AppState,
    dir: &Directory,
    user: &UserId,
    ids: &[(DocId, RecordMeta)],
) -> Result<Vec<RecordView>, ApiError> {
    let mut out = Vec::with_capacity(ids.len());
    for (id, meta) in ids {
        match materialize(state, dir, user, id, meta).await {
            Ok(Some(v)) => out.push(v),
            Ok(None) => {}
            Err(ApiError::Internal(e)) => tracing::error!(error = ?e, "skipping a record in a list"),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Every record of `kind` that `user` may see, in id order (exports).
pub async fn visible(state: &AppState, user: &UserId, kind: RecordKind) -> Result<Vec<RecordView>, ApiError> {
    let dir = state.hub.directory();
    let ids = visible_ids(&dir, user, state.hub.list(kind).await?);
    materialize_all(state, &dir, user, &ids).await
}

#[derive(Deserialize)]
struct ListParams {
    limit: Option<usize>,
    offset: Option<usize>,
    /// `true`: only archived records (the "archived" filter); default: only records not archived.
    archived: Option<bool>,
}

async fn list(
    user: AuthUser,
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(plural): Path<String>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let kind = parse_kind(&plural)?;
    let Query(p) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let limit = p.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::bad_request(format!("limit: {limit} is not between 1 and {MAX_LIMIT}")));
    }
    user.profile(&state)?;
    // Only the page is loaded and materialized; the policy filter runs on metadata.
    let dir = state.hub.directory();
    let archived = p.archived.unwrap_or(false);
    let mut ids = visible_ids(&dir, &user.user, state.hub.list(kind).await?);
    ids.retain(|(id, _)| state.hub.is_archived(id) == archived);
    let total = ids.len();
    let window: Vec<(DocId, RecordMeta)> = ids.into_iter().skip(p.offset.unwrap_or(0)).take(limit).collect();
    let page = materialize_all(&state, &dir, &user.user, &window).await?;
    let ids: Vec<&str> = page.iter().map(|v| v.id().as_str()).collect();
    state
        .audit
        .append(
            AuditEvent::new(AuditAction::RecordRead, Some(&user.user))
                .target(kind.plural())
                .detail(serde_json::json!({ "count": ids.len(), "ids": ids }))
                .address(addr),
        )
        .await;
    let mut headers = HeaderMap::new();
    headers.insert("x-total-count", HeaderValue::from(total));
    Ok((headers, Json(page)).into_response())
}

#[derive(Deserialize)]
struct OneParams {
    /// The record as it was at this time (RFC 3339 or ms).
    as_of: Option<String>,
}

async fn one(
    user: AuthUser,
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path((plural, id)): Path<(String, String)>,
    params: Result<Query<OneParams>, QueryRejection>,
) -> Result<Json<RecordView>, ApiError> {
    let kind = parse_kind(&plural)?;
    let Query(p) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let as_of = p.as_of.as_deref().map(|s| super::history::parse_time("as_of", s)).transpose()?;
    user.profile(&state)?;
    let missing = || ApiError::not_found(format!("no {} with id {id:?}", kind.as_str()));
    let doc_id = DocId::parse(&id).map_err(|_| missing())?;
    let meta = state.hub.list(kind).await?.into_iter().find(|(d, _)| d == &doc_id).map(|(_, m)| m);
    let Some(meta) = meta else { return Err(missing()) };
    let dir = state.hub.directory();
    let view = match as_of {
        None => materialize(&state, &dir, &user.user, &doc_id, &meta).await?.ok_or_else(missing)?,
        Some(at) => {
            let loaded = super::history::load(&state, &user.user, &doc_id, &meta).await?.ok_or_else(missing)?;
            let docs = loaded.refs();
            let (main, companions) = docs.split_first().ok_or_else(missing)?;
            app::domain::history::as_of(&doc_id, main.1, companions, &loaded.provenance, &loaded.access, at)
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("document {doc_id} as of {at}: {e}")))?
                .ok_or_else(|| ApiError::not_found(format!("the {} did not exist at {at}", kind.as_str())))?
        }
    };
    state
        .audit
        .append(
            AuditEvent::new(AuditAction::RecordRead, Some(&user.user))
                .target(&doc_id)
                .detail(serde_json::json!({
                    "kind": kind.as_str(),
                    "groups": view.groups(),
                    "as_of": as_of.map(|t| t.millis()),
                }))
                .address(addr),
        )
        .await;
    Ok(Json(view))
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/{kind}", get(list)).route("/api/v1/{kind}/{id}", get(one))
}
