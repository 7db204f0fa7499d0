//! The fields a person looks at first, per kind, as plain JSON (what the record page shows as of a time).

use serde_json::Value;

use crate::domain::{RecordKind, RecordView};

/// The main fields of each kind, in the order shown. `money.` and `pii.` are the companions' (absent when
/// the reader may not read them: the view is already redacted).
fn main_keys(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Opportunity => {
            &["name", "stage", "status", "money.expected_amount", "owner", "expected_close", "customer"]
        }
        RecordKind::Lead => &["name", "company", "contact_name", "status", "source", "score", "owner"],
        RecordKind::Customer => &["name", "number", "industry", "region", "tier", "owner"],
        RecordKind::Contact => &["name", "title", "customer", "pii.email", "pii.phone", "owner"],
        RecordKind::Activity => &["subject", "at", "customer", "outcome", "next_step", "status", "owner"],
    }
}

/// The view's main fields as `(field, value)`, the field named as the history names it (`expected_amount`,
/// not `money.expected_amount`). A companion field the view lacks (not readable, or the companion did not
/// exist yet) is left out; a base field that is empty is kept as `null` (it was empty then).
pub fn main_fields(view: &RecordView) -> Vec<(&'static str, Value)> {
    let json = serde_json::to_value(view).unwrap_or(Value::Null);
    main_keys(view.kind())
        .iter()
        .filter_map(|key| match key.split_once('.') {
            Some((group, field)) => Some((field, json.get(group)?.get(field)?.clone())),
            None => Some((*key, json.get(key).cloned().unwrap_or(Value::Null))),
        })
        .collect()
}
