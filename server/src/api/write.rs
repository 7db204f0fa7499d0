//! Writes over REST: `POST /api/v1/{kind}` creates a record, `PATCH /api/v1/{kind}/{id}` changes fields
//! (a deal's `stage` and `status` go through the domain's pipeline operations: stage history, win with
//! its line in the customer's cooperation history, lose with a reason, close, reopen).
//!
//! Each write becomes Automerge changes made for the signed-in user and goes through the hub exactly as a
//! sync change does (`Hub::write_as`: the same write gate, stored before it is forwarded, sent live to
//! open browsers). The body is the record's JSON as `GET` answers it: base fields at the top, restricted
//! groups as objects (`"money": {...}`, `"pii": {...}`, `"service": {...}`), each written into its
//! companion document and only where the caller may write that group.
//!
//! Refusals answer JSON `{error, message, field}`: 403 when the policy says no (the field is the group,
//! `owner` or `archived`), 422 for a value that is wrong (unknown field or stage, wrong type, a rule of
//! the record). `Idempotency-Key: K` on a create makes the record's id a function of the user and K, so a
//! retried create finds the record it made and answers it again (the store is the memory).

pub(crate) mod fields;
mod kinds;
mod pipeline;

use axum::{
    extract::{rejection::JsonRejection, Path, State},
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{patch, post},
    Json, Router,
};
use serde_json::{json, Map, Value};

use app::domain::{access, DocId, DomainError, RecordKind, Timestamp, UserId};

use crate::{
    auth::AuthUser,
    error::{json_rejection, ApiError},
    sync::{LocalWriteError, Refused, SyncError},
    AppState,
};
pub(crate) use kinds::{Ctx, Write};

/// Paths of a gate refusal that mean "not allowed" (403) rather than "not valid" (422): the whole record,
/// its owner, its archive or erasure mark, a restricted group, or the writer named in a new document.
const PERMISSION_PATHS: [&str; 8] = ["", "owner", "archived", "pii_erased", "money", "pii", "service", "created_by"];

/// Why a write was not made.
#[derive(Debug)]
pub enum WriteError {
    /// 422: a value is wrong (`field` names it; empty when the record as a whole is).
    Invalid {
        field: String,
        message: String,
    },
    /// 403: the policy does not allow it.
    Forbidden {
        field: String,
        message: String,
    },
    Api(ApiError),
}

impl WriteError {
    pub fn invalid(field: &str, reason: &str) -> Self {
        let message = if field.is_empty() { reason.to_string() } else { format!("{field}: {reason}") };
        WriteError::Invalid { field: field.to_string(), message }
    }

    pub fn forbidden(field: &str, message: impl Into<String>) -> Self {
        WriteError::Forbidden { field: field.to_string(), message: message.into() }
    }

    /// A domain rule broken before anything reached the gate (e.g. a won deal needs an amount).
    pub fn domain(e: DomainError) -> Self {
        match e {
            DomainError::Invalid { field, reason } => WriteError::invalid(&field, &reason),
            DomainError::UnknownStage(s) => WriteError::invalid("stage", &format!("unknown stage {s:?}")),
            DomainError::NotAllowed(m) => WriteError::invalid("", &m),
            DomainError::Refused { path, reason } => WriteError::refusal(Refused::new(path, reason)),
        }
    }

    /// The write gate's answer, as a sync client would get it.
    pub fn refusal(r: Refused) -> Self {
        let message = if r.reason.starts_with(&format!("{}:", r.path)) || r.path.is_empty() {
            r.reason.clone()
        } else {
            format!("{}: {}", r.path, r.reason)
        };
        if PERMISSION_PATHS.contains(&r.path.as_str()) {
            WriteError::Forbidden { field: r.path, message }
        } else {
            WriteError::Invalid { field: r.path, message }
        }
    }

    /// The field named, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            WriteError::Invalid { field, .. } | WriteError::Forbidden { field, .. } if !field.is_empty() => Some(field),
            _ => None,
        }
    }
}

impl From<ApiError> for WriteError {
    fn from(e: ApiError) -> Self {
        WriteError::Api(e)
    }
}

impl From<SyncError> for WriteError {
    fn from(e: SyncError) -> Self {
        WriteError::Api(e.into())
    }
}

impl From<LocalWriteError> for WriteError {
    fn from(e: LocalWriteError) -> Self {
        match e {
            LocalWriteError::Refused(r) => WriteError::refusal(r),
            LocalWriteError::Exists => WriteError::Api(ApiError::conflict("the record exists already")),
            LocalWriteError::Sync(e) => e.into(),
        }
    }
}

impl IntoResponse for WriteError {
    fn into_response(self) -> Response {
        let field = self.field().map(str::to_string);
        let (status, code, message) = match self {
            WriteError::Invalid { message, .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid", message),
            WriteError::Forbidden { message, .. } => (StatusCode::FORBIDDEN, "forbidden", message),
            WriteError::Api(e) => return e.into_response(),
        };
        (status, Json(json!({ "error": code, "message": message, "field": field }))).into_response()
    }
}

pub(crate) fn now() -> Timestamp {
    Timestamp::from_datetime(chrono::Utc::now())
}

fn object(body: Result<Json<Value>, JsonRejection>) -> Result<Map<String, Value>, WriteError> {
    match body.map_err(json_rejection)? {
        Json(Value::Object(m)) => Ok(m),
        _ => Err(WriteError::invalid("", "the body must be a JSON object of the record's fields")),
    }
}

/// The record's id for a create: random, or derived from the user and their `Idempotency-Key`.
fn new_id(user: &UserId, headers: &HeaderMap) -> Result<(DocId, bool), WriteError> {
    let Some(key) = headers.get("idempotency-key") else { return Ok((DocId::from_bytes(rand::random()), false)) };
    let key =
        key.to_str().ok().filter(|k| !k.is_empty() && k.len() <= 200).ok_or_else(|| {
            WriteError::Api(ApiError::bad_request("Idempotency-Key: 1 to 200 visible ASCII characters"))
        })?;
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("crm-rest-create:{user}:{key}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Ok((DocId::from_bytes(bytes), true))
}

/// Stores the writes in order, after asking the gate about every one whose record exists (so a refused
/// companion does not leave half a change behind).
pub(crate) async fn execute(state: &AppState, user: &UserId, writes: Vec<Write>) -> Result<(), WriteError> {
    for w in &writes {
        if !w.new {
            state.hub.check_as(user, &w.id, &w.doc).await?;
        }
    }
    for w in writes {
        state.hub.write_as(user, &w.id, w.doc, w.new).await?;
    }
    Ok(())
}

/// The record as the writer now sees it.
pub(crate) async fn answer(state: &AppState, user: &UserId, id: &DocId) -> Result<Value, WriteError> {
    let meta = state.hub.record_meta(id).ok_or_else(|| ApiError::not_found("the record is gone"))?;
    let dir = state.hub.directory();
    let view = super::records::materialize(state, &dir, user, id, &meta)
        .await?
        .ok_or_else(|| ApiError::not_found("the record is no longer visible to you"))?;
    Ok(serde_json::to_value(view).map_err(|e| ApiError::Internal(e.into()))?)
}

async fn create(
    user: AuthUser,
    State(state): State<AppState>,
    Path(plural): Path<String>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, WriteError> {
    let kind = super::records::parse_kind(&plural)?;
    user.profile(&state)?;
    let body = object(body)?;
    let me = user.user.clone();
    let (id, keyed) = new_id(&me, &headers)?;
    let replay = |view: Value| {
        let mut h = HeaderMap::new();
        h.insert("idempotent-replay", HeaderValue::from_static("true"));
        (StatusCode::CREATED, h, Json(view)).into_response()
    };
    if keyed && state.hub.exists(&id) {
        return match state.hub.record_meta(&id) {
            Some(m) if m.kind == kind => Ok(replay(answer(&state, &me, &id).await?)),
            _ => Err(ApiError::conflict("Idempotency-Key was used for a different request").into()),
        };
    }
    let dir = state.hub.directory();
    let ctx = Ctx { state: &state, user: &me, dir: &dir, now: now() };
    let writes = kinds::create(&ctx, kind, &id, &body).await?;
    match execute(&state, &me, writes).await {
        Err(WriteError::Api(ApiError::Conflict(_))) if keyed => Ok(replay(answer(&state, &me, &id).await?)),
        Err(e) => Err(e),
        Ok(()) => Ok((StatusCode::CREATED, Json(answer(&state, &me, &id).await?)).into_response()),
    }
}

/// The record `id` of `kind` if `user` may see it; 404 otherwise (existence is not revealed).
pub(crate) fn visible_record(
    state: &AppState,
    user: &UserId,
    kind: RecordKind,
    id: &str,
) -> Result<(DocId, app::domain::RecordMeta), WriteError> {
    let missing = || WriteError::Api(ApiError::not_found(format!("no {} with id {id:?}", kind.as_str())));
    let doc_id = DocId::parse(id).map_err(|_| missing())?;
    let meta = state.hub.record_meta(&doc_id).filter(|m| m.kind == kind).ok_or_else(missing)?;
    if !access(user, &state.hub.directory(), &meta).visible() {
        return Err(missing());
    }
    Ok((doc_id, meta))
}

async fn change(
    user: AuthUser,
    State(state): State<AppState>,
    Path((plural, id)): Path<(String, String)>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Value>, WriteError> {
    let kind = super::records::parse_kind(&plural)?;
    user.profile(&state)?;
    let body = object(body)?;
    let me = user.user.clone();
    let (id, meta) = visible_record(&state, &me, kind, &id)?;
    let dir = state.hub.directory();
    let ctx = Ctx { state: &state, user: &me, dir: &dir, now: now() };
    let writes = kinds::patch(&ctx, &id, &meta, &body).await?;
    execute(&state, &me, writes).await?;
    Ok(Json(answer(&state, &me, &id).await?))
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/{kind}", post(create)).route("/api/v1/{kind}/{id}", patch(change))
}
