//! A record's history, provenance, past state and undo (issue 13, ARCHITECTURE.md §11):
//!
//! - `GET /api/v1/{kind}/{id}/history[?field=stage][&user=rep1]`: `app::domain::history::history` over the
//!   record's main document and the companions the caller may read, joined with the relay's provenance and
//!   the directory's names: `[{change, group, made_at?, author?, author_name?, received_at?, created?,
//!   fields: [{field, type: "value", old, new} | {field, type: "text", edits}]}]`, oldest first.
//! - `GET /api/v1/{kind}/{id}/provenance[?since=ms]`: who sent each change and when it arrived, per document
//!   the caller may read, for a client that holds the documents and shows names offline:
//!   `[{id, group, changes: [{change, author: {"user": id} | "relay", received_at}]}]`. `since` answers only
//!   rows that arrived after it, so a client can keep a cache and ask for what is new.
//! - `GET /api/v1/{kind}/{id}?as_of=<RFC 3339 | ms>` is in `records.rs` and uses [`load`] here.
//! - `POST /api/v1/{kind}/{id}/undo` with `{"change": hash}` (undo that change) or `{"field": f,
//!   "to_change": hash}` (set `f` back to its value just after that change): a new change made for the
//!   caller through the same write gate as every write (`write::execute`). Answers `{restored, skipped,
//!   record}`; 403 when the gate says no (a rep undoing a manager's reassignment), 422 when nothing could be
//!   undone (`skipped` says why), 404 for a change not in a document the caller may read.
//!
//! Who may read what is `access()` exactly as for `GET /api/v1/{kind}/{id}`: a record the caller may not
//! read is 404, a group they may not read is absent (its documents are never loaded).

use automerge::{ActorId, AutoCommit, Automerge, ChangeHash, ReadDoc as _};
use axum::{
    extract::{rejection::JsonRejection, rejection::QueryRejection, Path, Query, State},
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};

use app::domain::history::{self, DocProvenance, HistoryEntry, ProvenanceEntry, ProvenanceMap};
use app::domain::{access, companion_groups, Access, DocId, FieldGroup, RecordMeta, Timestamp, UserId};

use super::write::{answer, execute, now, visible_record, Write, WriteError};
use crate::{
    audit::{AuditAction, AuditEvent},
    auth::{AuthUser, ClientAddr},
    error::{json_rejection, ApiError},
    AppState,
};

/// A record's documents the caller may read (main first), with the provenance of all of them.
pub(crate) struct Loaded {
    pub access: Access,
    pub docs: Vec<(FieldGroup, DocId, Automerge)>,
    pub provenance: ProvenanceMap,
}

impl Loaded {
    pub fn refs(&self) -> Vec<(FieldGroup, &Automerge)> {
        self.docs.iter().map(|(g, _, d)| (*g, d)).collect()
    }
}

/// Loads the record's main document and the companions `user` may read, and their provenance; `None`
/// when the record is gone.
pub(crate) async fn load(
    state: &AppState,
    user: &UserId,
    id: &DocId,
    meta: &RecordMeta,
) -> Result<Option<Loaded>, ApiError> {
    let acc = access(user, &state.hub.directory(), meta);
    if !acc.visible() {
        return Ok(None);
    }
    let mut docs = Vec::new();
    let Some(main) = state.hub.load(id).await? else { return Ok(None) };
    docs.push((FieldGroup::Base, id.clone(), main));
    for g in companion_groups(meta.kind) {
        if acc.group(*g).can_read() {
            let cid = id.companion(*g);
            if let Some(doc) = state.hub.load(&cid).await? {
                docs.push((*g, cid, doc));
            }
        }
    }
    let mut provenance = ProvenanceMap::new();
    for (_, did, _) in &docs {
        provenance.extend(state.hub.provenance(did).await?);
    }
    Ok(Some(Loaded { access: acc, docs, provenance }))
}

/// Parses `as_of` and `since` values: RFC 3339 (`2026-03-01T09:00:00Z`) or milliseconds since the epoch.
pub(crate) fn parse_time(name: &str, s: &str) -> Result<Timestamp, ApiError> {
    if let Ok(ms) = s.trim().parse::<i64>() {
        return Ok(Timestamp::from_millis(ms));
    }
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .map(|t| Timestamp::from_datetime(t.with_timezone(&chrono::Utc)))
        .map_err(|_| ApiError::bad_request(format!("{name}: {s:?} is neither RFC 3339 nor milliseconds")))
}

fn gone() -> ApiError {
    ApiError::not_found("the record is gone")
}

#[derive(Deserialize)]
struct HistoryParams {
    field: Option<String>,
    user: Option<String>,
}

async fn get_history(
    user: AuthUser,
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path((plural, id)): Path<(String, String)>,
    params: Result<Query<HistoryParams>, QueryRejection>,
) -> Result<Json<Vec<HistoryEntry>>, WriteError> {
    let kind = super::records::parse_kind(&plural)?;
    let Query(p) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    user.profile(&state)?;
    let me = user.user.clone();
    let (id, meta) = visible_record(&state, &me, kind, &id)?;
    let loaded = load(&state, &me, &id, &meta).await?.ok_or_else(gone)?;
    let entries = history::history(&loaded.refs(), &loaded.provenance, &loaded.access)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("history of {id}: {e}")))?;
    let by = p.user.map(UserId::new);
    let mut entries = history::filter(entries, p.field.as_deref(), by.as_ref());
    history::name_authors(&mut entries, &state.hub.directory());
    let groups: Vec<FieldGroup> = loaded.docs.iter().map(|(g, _, _)| *g).collect();
    state
        .audit
        .append(
            AuditEvent::new(AuditAction::RecordRead, Some(&me))
                .target(&id)
                .detail(json!({ "kind": kind.as_str(), "history": true, "groups": groups }))
                .address(addr),
        )
        .await;
    Ok(Json(entries))
}

#[derive(Deserialize)]
struct ProvenanceParams {
    since: Option<String>,
}

async fn get_provenance(
    user: AuthUser,
    State(state): State<AppState>,
    Path((plural, id)): Path<(String, String)>,
    params: Result<Query<ProvenanceParams>, QueryRejection>,
) -> Result<Json<Vec<DocProvenance>>, WriteError> {
    let kind = super::records::parse_kind(&plural)?;
    let Query(p) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let since = p.since.as_deref().map(|s| parse_time("since", s)).transpose()?;
    user.profile(&state)?;
    let me = user.user.clone();
    let (id, meta) = visible_record(&state, &me, kind, &id)?;
    let acc = access(&me, &state.hub.directory(), &meta);
    let mut out = Vec::new();
    let groups = std::iter::once(FieldGroup::Base).chain(companion_groups(kind).iter().copied());
    for g in groups.filter(|g| acc.group(*g).can_read()) {
        let did = if g == FieldGroup::Base { id.clone() } else { id.companion(g) };
        let mut changes: Vec<ProvenanceEntry> = state
            .hub
            .provenance(&did)
            .await?
            .into_iter()
            .filter(|(_, p)| since.is_none_or(|s| p.received_at > s))
            .map(|(h, provenance)| ProvenanceEntry { change: h.to_string(), provenance })
            .collect();
        changes.sort_by(|a, b| (a.provenance.received_at, &a.change).cmp(&(b.provenance.received_at, &b.change)));
        out.push(DocProvenance { id: did, group: g, changes });
    }
    Ok(Json(out))
}

/// `{"change": hash}` or `{"field": name, "to_change": hash}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UndoBody {
    change: Option<String>,
    field: Option<String>,
    to_change: Option<String>,
}

fn hash(field: &str, s: &str) -> Result<ChangeHash, WriteError> {
    s.parse().map_err(|_| WriteError::invalid(field, "not a change hash (64 hex digits)"))
}

async fn post_undo(
    user: AuthUser,
    State(state): State<AppState>,
    Path((plural, id)): Path<(String, String)>,
    body: Result<Json<UndoBody>, JsonRejection>,
) -> Result<Json<Value>, WriteError> {
    let kind = super::records::parse_kind(&plural)?;
    let Json(body) = body.map_err(json_rejection)?;
    user.profile(&state)?;
    let me = user.user.clone();
    let (id, meta) = visible_record(&state, &me, kind, &id)?;
    let (target, field) = match (&body.change, &body.field, &body.to_change) {
        (Some(c), None, None) => (hash("change", c)?, None),
        (None, Some(f), Some(c)) => (hash("to_change", c)?, Some(f.clone())),
        _ => return Err(WriteError::invalid("", "send {\"change\": hash} or {\"field\": name, \"to_change\": hash}")),
    };
    let loaded = load(&state, &me, &id, &meta).await?.ok_or_else(gone)?;
    // The document holding the change, among those the caller may read.
    let Some((_, doc_id, doc)) = loaded.docs.into_iter().find(|(_, _, d)| d.get_change_by_hash(&target).is_some())
    else {
        return Err(ApiError::not_found(format!("no change {target} in this record")).into());
    };
    let internal = |e: automerge::AutomergeError| WriteError::Api(ApiError::Internal(e.into()));
    // A fresh actor per write, as every REST write (`write::fields`).
    let mut edit =
        AutoCommit::load(&doc.save()).map_err(internal)?.with_actor(ActorId::from(rand::random::<[u8; 16]>().to_vec()));
    let at = now();
    let outcome = match &field {
        None => history::undo(&mut edit, &target, at),
        Some(f) => history::restore(&mut edit, f, &target, at),
    }
    .map_err(WriteError::domain)?;
    if outcome.restored.is_empty() {
        let why: Vec<String> = outcome.skipped.iter().map(|s| format!("{}: {}", s.field, s.reason)).collect();
        let field = outcome.skipped.first().map(|s| s.field.as_str()).unwrap_or("change");
        let reason = if why.is_empty() { "the change set no field".to_string() } else { why.join("; ") };
        return Err(WriteError::Invalid { field: field.to_string(), message: format!("nothing to undo: {reason}") });
    }
    execute(&state, &me, vec![Write { id: doc_id, doc: edit.document().clone(), new: false }]).await?;
    Ok(Json(json!({
        "restored": outcome.restored,
        "skipped": outcome.skipped,
        "record": answer(&state, &me, &id).await?,
    })))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/{kind}/{id}/history", get(get_history))
        .route("/api/v1/{kind}/{id}/provenance", get(get_provenance))
        .route("/api/v1/{kind}/{id}/undo", post(post_undo))
}
