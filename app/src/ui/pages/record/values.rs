//! How a record's values read to a person: field names and the document's plain JSON values (the History
//! card and the record as of a time show the same values the same way).

use leptos::prelude::*;
use serde_json::Value;

use crate::domain::{DocId, Money, RecordKind, StageId, Timestamp, UserId};
use crate::i18n::{I18n, K};
use crate::ui::components::ctx::Ctx;
use crate::ui::pages::import::setup::field_label;
use crate::ui::pages::list::status_text;

/// The REST collection of a kind (`/api/v1/{collection}/{id}`).
pub(crate) fn collection(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Lead => "leads",
        RecordKind::Opportunity => "opportunities",
        RecordKind::Customer => "customers",
        RecordKind::Contact => "contacts",
        RecordKind::Activity => "activities",
    }
}

/// A time in the UI's locale, to the minute.
pub(crate) fn date_time(i18n: I18n, t: Timestamp) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(t.millis() as f64));
    let opts = js_sys::Object::new();
    for (k, v) in [("dateStyle", "medium"), ("timeStyle", "short")] {
        let _ = js_sys::Reflect::set(&opts, &k.into(), &v.into());
    }
    d.to_locale_string(i18n.locale().tag(), &opts).as_string().unwrap_or_else(|| t.millis().to_string())
}

/// A field's name for people (custom fields by their label).
pub(crate) fn label(ctx: Ctx, i18n: I18n, field: &str) -> String {
    match field {
        "archived" => i18n.t(K::ArchivedChip).to_string(),
        f => ctx.directory().with(|d| field_label(i18n, f.strip_prefix("custom.").unwrap_or(f), d.as_ref())),
    }
}

/// Whether a number in `field` is a time (the documents keep times as milliseconds).
fn is_time(field: &str) -> bool {
    field.ends_with("_at") || field.ends_with("_close") || field.contains("date") || field == "due" || field == "at"
}

/// A value of the document's plain JSON, as a person reads it.
pub(crate) fn show(ctx: Ctx, i18n: I18n, field: &str, v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::String(s) if s.is_empty() => "—".into(),
        Value::String(s) => match field {
            "stage" => ctx
                .directory()
                .with(|d| d.as_ref().and_then(|d| d.stage(&StageId::new(s.clone())).map(|st| i18n.stage_name(st))))
                .unwrap_or_else(|| s.clone()),
            "owner" => ctx.user_name(&UserId::new(s.clone())),
            "customer" => DocId::parse(s).ok().and_then(|id| ctx.customer_name(&id)).unwrap_or_else(|| s.clone()),
            "status" | "tier" | "source" => status_text(i18n, s),
            _ => s.clone(),
        },
        Value::Number(n) => match n.as_i64() {
            Some(ms) if is_time(field) => i18n.date(Timestamp::from_millis(ms)),
            _ => n.as_f64().map(|f| i18n.number(f)).unwrap_or_else(|| n.to_string()),
        },
        Value::Bool(b) => if *b { "✓" } else { "✗" }.into(),
        Value::Array(items) => items.iter().map(|i| show(ctx, i18n, field, i)).collect::<Vec<_>>().join(", "),
        Value::Object(o) => {
            match (o.get("amount_minor").and_then(Value::as_i64), o.get("currency").and_then(Value::as_str)) {
                (Some(amount_minor), Some(currency)) => {
                    i18n.money(&Money { amount_minor, currency: currency.to_string() })
                }
                _ => v.to_string(),
            }
        }
    }
}
