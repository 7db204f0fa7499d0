//! `POST /api/v1/{leads|contacts}/{id}/erase`: an admin erases a person's data (a privacy-law request).
//!
//! The erasure mark (`app::domain::ops::erase`) is written as a change for the admin through the same write
//! gate as sync, then the hub removes the record's `pii` companion from the store, memory and every index
//! (`sync/erase.rs`); devices delete it at their next sync. The audit entry names the record and the admin,
//! never the values. Idempotent: erasing again answers the record with its first mark and finishes a removal
//! a stopped relay left undone. 404 for a record the caller cannot see (or a kind without personal data),
//! 403 for anyone but an admin.

use automerge::Automerge;
use axum::{
    extract::{Path, State},
    routing::post,
    Json, Router,
};
use serde_json::{json, Value};

use app::domain::ops::{self, Erasable};
use app::domain::{may_erase_pii, Contact, DocId, FieldGroup, Lead, RecordKind, Timestamp, UserId};

use super::write::{answer, execute, fields, now, visible_record, Write, WriteError};
use crate::audit::{AuditAction, AuditEvent};
use crate::auth::{AuthUser, ClientAddr};
use crate::error::ApiError;
use crate::AppState;

/// The marked main document, or `None` when the record carries the mark already.
fn marked<R: Erasable>(id: &DocId, doc: &Automerge, by: &UserId, at: Timestamp) -> Result<Option<Write>, WriteError> {
    let mut rec: R = fields::read(doc)?;
    if rec.pii_erased().is_some() {
        return Ok(None);
    }
    ops::mark_pii_erased(&mut rec, by, at).map_err(WriteError::domain)?;
    Ok(Some(Write { id: id.clone(), doc: fields::main_doc(Some(doc), &rec)?, new: false }))
}

async fn erase(
    user: AuthUser,
    ClientAddr(addr): ClientAddr,
    State(state): State<AppState>,
    Path((plural, id)): Path<(String, String)>,
) -> Result<Json<Value>, WriteError> {
    let kind = super::records::parse_kind(&plural)?;
    user.profile(&state)?;
    let me = user.user.clone();
    if !matches!(kind, RecordKind::Lead | RecordKind::Contact) {
        return Err(ApiError::not_found(format!("a {} holds no personal data to erase", kind.as_str())).into());
    }
    let (id, _) = visible_record(&state, &me, kind, &id)?;
    if !may_erase_pii(&me, &state.hub.directory(), kind) {
        return Err(WriteError::forbidden("pii_erased", "only an admin may erase personal data"));
    }
    let doc = state.hub.load(&id).await?.ok_or_else(|| ApiError::not_found("the record is gone"))?;
    let write = match kind {
        RecordKind::Lead => marked::<Lead>(&id, &doc, &me, now())?,
        _ => marked::<Contact>(&id, &doc, &me, now())?,
    };
    let companion = id.companion(FieldGroup::Pii);
    let stored = state.hub.exists(&companion);
    let newly = write.is_some();
    if let Some(w) = write {
        execute(&state, &me, vec![w]).await?;
    }
    // The hub removes the data when it accepts the mark; this also finishes an erasure left half done.
    state.hub.drop_erased_pii(&id).await?;
    let removed = stored && !state.hub.exists(&companion);
    if newly || removed {
        let event = AuditEvent::new(AuditAction::ErasePii, Some(&me))
            .target(&id)
            .detail(json!({
                "kind": kind.as_str(),
                "companion": companion.as_str(),
                "stored_data_removed": removed,
            }))
            .address(addr);
        state.audit.append(event).await;
    }
    Ok(Json(answer(&state, &me, &id).await?))
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/{kind}/{id}/erase", post(erase))
}
