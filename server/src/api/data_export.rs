//! "Your data, in open formats": `GET /api/v1/exports/{id}/archive` answers an approved export request
//! (the same request, approval and audit as `GET /api/v1/exports/{id}/download`) with one zip file:
//!
//! - `records.json`: the records as the REST reads show them (hidden groups absent);
//! - `documents/<id>.automerge`: each record's Automerge document, and `documents/<id>-<group>.automerge`
//!   for each companion group the requester may read, loadable by any Automerge implementation;
//! - `README.txt`: what the files are.
//!
//! An export request of kind `all` covers every kind.

use std::io::Write as _;

use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use zip::{write::SimpleFileOptions, CompressionMethod, ZipWriter};

use app::domain::{access, companion_groups, RecordKind, RecordView};

use crate::{
    accounts::ExportStatus,
    audit::{AuditAction, AuditEvent},
    auth::{AuthUser, ClientAddr},
    error::ApiError,
    AppState,
};

/// The kinds an export request covers: one, or every kind for `all`.
pub fn kinds(kind: &str) -> Result<Vec<RecordKind>, ApiError> {
    if kind == "all" {
        return Ok(RecordKind::ALL.to_vec());
    }
    Ok(vec![RecordKind::parse(kind)?])
}

const README: &str = "CRM export\n\nrecords.json: the records you may see, as JSON (the same shape as the REST API).\n\
documents/: each record's Automerge document (<id>.automerge) and the companion documents of the field\n\
groups you may read (<id>-money.automerge, -pii, -service). Load them with any Automerge library\n\
(Automerge.load in JavaScript, automerge::Automerge::load in Rust).\n";

async fn archive(
    user: AuthUser,
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    user.profile(&state)?;
    let id: i64 = id.parse().map_err(|_| ApiError::not_found(format!("no export request {id:?}")))?;
    let found = state.accounts.run(move |s| s.export(id)).await?;
    let Some(r) = found.filter(|r| r.requested_by == user.user) else {
        return Err(ApiError::not_found(format!("no export request {id}")));
    };
    if r.status != ExportStatus::Approved {
        return Err(ApiError::forbidden(format!("export request {id} is {}, not approved", r.status.as_str())));
    }
    let dir = state.hub.directory();
    let mut records: Vec<RecordView> = Vec::new();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for kind in kinds(&r.kind)? {
        for view in super::records::visible(&state, &user.user, kind).await? {
            let rid = view.id().clone();
            let Some(meta) = state.hub.record_meta(&rid) else { continue };
            let acc = access(&user.user, &dir, &meta);
            if let Some(doc) = state.hub.load(&rid).await? {
                files.push((format!("documents/{rid}.automerge"), doc.save()));
            }
            for g in companion_groups(kind).iter().filter(|g| acc.group(**g).can_read()) {
                if let Some(doc) = state.hub.load(&rid.companion(*g)).await? {
                    files.push((format!("documents/{rid}-{}.automerge", g.as_str()), doc.save()));
                }
            }
            records.push(view);
        }
    }
    let json = serde_json::to_vec_pretty(&records).map_err(|e| ApiError::Internal(e.into()))?;
    let zip = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, zip::result::ZipError> {
        let mut w = ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        w.start_file("README.txt", opts)?;
        w.write_all(README.as_bytes())?;
        w.start_file("records.json", opts)?;
        w.write_all(&json)?;
        for (name, bytes) in files {
            w.start_file(name, opts)?;
            w.write_all(&bytes)?;
        }
        Ok(w.finish()?.into_inner())
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))?
    .map_err(|e| ApiError::Internal(e.into()))?;
    let ids: Vec<&str> = records.iter().map(|v| v.id().as_str()).collect();
    state
        .audit
        .append(
            AuditEvent::new(AuditAction::ExportDownloaded, Some(&user.user))
                .target(format!("export:{id}"))
                .detail(serde_json::json!({ "kind": r.kind, "format": "zip", "count": ids.len(), "ids": ids }))
                .address(addr),
        )
        .await;
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"crm-export-{id}.zip\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok((h, zip).into_response())
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/exports/{id}/archive", get(archive))
}
