//! JSON bodies onto record structs: every key must be a field the caller may set, and every value must
//! read as that field's type; either failure names the field. The structs' own serde shape is the
//! schema (the same one `GET` answers with), so a field added to a record is writable without a change
//! here.

use automerge::{ActorId, AutoCommit, Automerge};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::{Map, Value};

use app::domain::records::{Companion, Record};
use app::domain::{docs, DocId, DomainError, Timestamp, UserId};

use super::WriteError;

/// Keys of a main record a client never sets directly: the header the relay keeps, the history the
/// pipeline operations write, the archive mark (`/archive`, `/restore`) and the erasure mark (`/erase`).
pub const FIXED: [&str; 8] =
    ["created_at", "created_by", "updated_at", "stage_history", "closed_at", "archived", "pii_erased", "kind"];

/// `value` with the fields of `patch` set. `fixed` keys are refused (never writable, so 422 rather than
/// 403); `prefix` goes before field names in errors (`money.expected_amount`).
pub fn overlay<T: Serialize + DeserializeOwned>(
    value: &T,
    patch: &Map<String, Value>,
    fixed: &[&str],
    prefix: &str,
) -> Result<T, WriteError> {
    let Value::Object(mut current) = serde_json::to_value(value).map_err(internal)? else {
        return Err(internal("a record does not serialize as an object"));
    };
    for (key, v) in patch {
        let field = format!("{prefix}{key}");
        if fixed.contains(&key.as_str()) {
            return Err(WriteError::invalid(&field, "is set by the relay, not by a write"));
        }
        if !current.contains_key(key) {
            return Err(WriteError::invalid(&field, "unknown field"));
        }
        current.insert(key.clone(), v.clone());
    }
    serde_path_to_error::deserialize(Value::Object(current)).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { prefix.trim_end_matches('.').to_string() } else { format!("{prefix}{path}") };
        WriteError::invalid(&field, &e.into_inner().to_string())
    })
}

/// The JSON object under `key` of a body (`money`, `pii`, `service`), if present.
pub fn group_patch<'a>(body: &'a Map<String, Value>, key: &str) -> Result<Option<&'a Map<String, Value>>, WriteError> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(WriteError::invalid(key, "must be an object of that group's fields")),
    }
}

/// A string field of the body that must be present (a new record's name).
pub fn required_str<'a>(body: &'a Map<String, Value>, key: &str) -> Result<&'a str, WriteError> {
    match body.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(Value::String(_)) | None => Err(WriteError::invalid(key, "is required")),
        Some(_) => Err(WriteError::invalid(key, "must be a string")),
    }
}

fn internal(e: impl std::fmt::Display) -> WriteError {
    WriteError::Api(crate::error::ApiError::Internal(anyhow::anyhow!("{e}")))
}

/// A document to write changes into: a copy of `current`, or a new one, with a fresh actor (one per write,
/// so two writes of the same user never reuse a sequence number).
fn edit(current: Option<&Automerge>) -> Result<AutoCommit, WriteError> {
    let actor = ActorId::from(rand::random::<[u8; 16]>().to_vec());
    let doc = match current {
        Some(d) => AutoCommit::load(&d.save()).map_err(internal)?,
        None => AutoCommit::new(),
    };
    Ok(doc.with_actor(actor))
}

/// The main document after writing `rec` into `current` (or into a new document).
pub fn main_doc<R: Record>(current: Option<&Automerge>, rec: &R) -> Result<Automerge, WriteError> {
    let mut doc = edit(current)?;
    match current {
        Some(_) => docs::write_record(&mut doc, rec),
        None => docs::init_record(&mut doc, rec),
    }
    .map_err(WriteError::domain)?;
    Ok(doc.document().clone())
}

/// A companion document after writing `value` (a new companion names its record and writer).
pub fn companion_doc<C: Companion>(
    record: &DocId,
    current: Option<&Automerge>,
    value: &C,
    by: &UserId,
    now: Timestamp,
) -> Result<Automerge, WriteError> {
    let mut doc = edit(current)?;
    match current {
        Some(_) => docs::write_companion_at(&mut doc, value, now),
        None => docs::init_companion(&mut doc, record, now, by, value),
    }
    .map_err(WriteError::domain)?;
    Ok(doc.document().clone())
}

/// Reads a record's struct from its main document.
pub fn read<R: Record>(doc: &Automerge) -> Result<R, WriteError> {
    docs::read_record(doc).map_err(|e: DomainError| internal(format!("a stored record does not read: {e}")))
}

/// Reads a companion, or its default when the document does not exist yet.
pub fn read_companion<C: Companion + Default>(doc: Option<&Automerge>) -> Result<C, WriteError> {
    match doc {
        Some(d) => docs::read_companion(d).map_err(|e| internal(format!("a stored companion does not read: {e}"))),
        None => Ok(C::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::{LeadPii, Money, OpportunityMoney};
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn overlay_sets_known_fields_and_names_bad_ones() {
        let pii = overlay(&LeadPii::default(), &obj(json!({"phone": "+86 10 1234"})), &[], "pii.").unwrap();
        assert_eq!(pii.phone, "+86 10 1234");
        let e = overlay(&LeadPii::default(), &obj(json!({"fax": "1"})), &[], "pii.").unwrap_err();
        assert_eq!(e.field(), Some("pii.fax"));
        let e = overlay(&LeadPii::default(), &obj(json!({"phone": 5})), &[], "pii.").unwrap_err();
        assert_eq!(e.field(), Some("pii.phone"));
        let m = overlay(
            &OpportunityMoney::default(),
            &obj(json!({"expected_amount": {"amount_minor": 100, "currency": "CNY"}})),
            &[],
            "money.",
        )
        .unwrap();
        assert_eq!(m.expected_amount, Some(Money::new(100, "CNY").unwrap()));
        let e =
            overlay(&OpportunityMoney::default(), &obj(json!({"win_probability": "high"})), &[], "money.").unwrap_err();
        assert_eq!(e.field(), Some("money.win_probability"));
        let e = overlay(&LeadPii::default(), &obj(json!({"created_by": "x"})), &FIXED, "").unwrap_err();
        assert_eq!(e.field(), Some("created_by"));
    }
}
