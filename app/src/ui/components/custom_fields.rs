//! Custom fields (admin-defined in the directory, values in each record's `custom` map): text for
//! people and back, and the editor shown on record pages when the directory defines fields for a kind.

use leptos::prelude::*;
use std::collections::BTreeMap;

use crate::domain::parse_amount;
use crate::domain::{
    Activity, Contact, CustomFieldDef, CustomFieldType, CustomValue, Customer, DocId, FieldId, Lead, Money,
    Opportunity, RecordKind, RecordView,
};
use crate::i18n::{Locale, K};
use crate::ui::components::ctx::Ctx;
use crate::ui::components::ctx::{access_of, save};
use crate::ui::components::fields::{SelectField, TextField};

/// The currency of custom money values entered here (the demo company trades in CNY).
const CURRENCY: &str = "CNY";

/// Parses what a person typed for `def`: `Ok(None)` for a blank optional field, `Err(message)` (in
/// `locale`) when it does not fit the field's type or a required field is blank.
pub fn parse_custom(def: &CustomFieldDef, raw: &str, locale: Locale) -> Result<Option<CustomValue>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return match def.required {
            true => Err(locale.t(K::ErrRequired).to_string()),
            false => Ok(None),
        };
    }
    let value = match &def.field_type {
        CustomFieldType::Text => CustomValue::Text(raw.to_string()),
        CustomFieldType::Number => {
            CustomValue::Number(raw.replace(',', "").parse::<f64>().map_err(|_| locale.t(K::ErrNumber).to_string())?)
        }
        CustomFieldType::Date => {
            chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| locale.t(K::ErrDate).to_string())?;
            CustomValue::Date(raw.to_string())
        }
        CustomFieldType::Choice { .. } => CustomValue::Choice(raw.to_string()),
        CustomFieldType::Money => {
            let minor = parse_amount(raw).ok_or_else(|| locale.t(K::ErrAmount).to_string())?;
            CustomValue::Money(Money::new(minor, CURRENCY).map_err(|_| locale.t(K::ErrAmount).to_string())?)
        }
    };
    def.validate(&value).map_err(|e| e.to_string())?;
    Ok(Some(value))
}

/// A value as it is typed (the inverse of [`parse_custom`]).
pub fn custom_text(v: &CustomValue) -> String {
    match v {
        CustomValue::Text(s) | CustomValue::Date(s) | CustomValue::Choice(s) => s.clone(),
        CustomValue::Number(n) => n.to_string(),
        CustomValue::Money(m) => format!("{}.{:02}", m.amount_minor / 100, m.amount_minor % 100),
    }
}

/// The input type for a field's editor.
pub fn input_type(t: &CustomFieldType) -> &'static str {
    match t {
        CustomFieldType::Date => "date",
        _ => "text",
    }
}

/// The choices of a choice field (a blank first unless required).
pub fn choices(def: &CustomFieldDef) -> Option<Vec<(String, String)>> {
    let CustomFieldType::Choice { options } = &def.field_type else { return None };
    let blank = (!def.required).then(|| (String::new(), "—".to_string()));
    Some(blank.into_iter().chain(options.iter().map(|o| (o.clone(), o.clone()))).collect())
}

/// The custom values of a record.
fn values_of(v: &RecordView) -> &BTreeMap<FieldId, CustomValue> {
    match v {
        RecordView::Lead(v) => &v.base.custom,
        RecordView::Opportunity(v) => &v.base.custom,
        RecordView::Customer(v) => &v.base.custom,
        RecordView::Contact(v) => &v.base.custom,
        RecordView::Activity(v) => &v.base.custom,
    }
}

/// Sets (or with `None` removes) one custom value of a record and saves it.
fn save_custom(ctx: Ctx, id: DocId, kind: RecordKind, field: FieldId, value: Option<CustomValue>, summary: String) {
    let apply = move |custom: &mut BTreeMap<FieldId, CustomValue>| match value {
        Some(v) => {
            custom.insert(field, v);
        }
        None => {
            custom.remove(&field);
        }
    };
    match kind {
        RecordKind::Lead => save::<Lead>(ctx, id, summary, move |r| {
            apply(&mut r.custom);
            Ok(())
        }),
        RecordKind::Opportunity => save::<Opportunity>(ctx, id, summary, move |r| {
            apply(&mut r.custom);
            Ok(())
        }),
        RecordKind::Customer => save::<Customer>(ctx, id, summary, move |r| {
            apply(&mut r.custom);
            Ok(())
        }),
        RecordKind::Contact => save::<Contact>(ctx, id, summary, move |r| {
            apply(&mut r.custom);
            Ok(())
        }),
        RecordKind::Activity => save::<Activity>(ctx, id, summary, move |r| {
            apply(&mut r.custom);
            Ok(())
        }),
    }
}

/// The directory's custom fields for the record's kind, each edited in place (saved at once) when the
/// user may write the record. Renders nothing when none are defined.
#[component]
pub fn CustomFields(id: DocId) -> impl IntoView {
    let ctx = Ctx::use_ctx();
    let i18n = crate::i18n::I18n::use_i18n();
    let rec = ctx.store.record(id.clone());
    let kind = Memo::new(move |_| rec.with(|r| r.as_ref().map(|v| v.kind())));
    let defs = Memo::new(move |_| {
        let Some(kind) = kind.get() else { return Vec::new() };
        ctx.directory()
            .with(|d| d.as_ref().map(|d| d.custom_fields.iter().filter(|f| f.kind == kind).cloned().collect()))
            .unwrap_or_default()
    });
    let acc = access_of(ctx, id.clone());
    let writable = Signal::derive(move || acc.get().base.can_write());
    move || {
        let defs = defs.get();
        if defs.is_empty() {
            return ().into_any();
        }
        let fields = defs
            .into_iter()
            .map(|def| {
                let key = def.id.clone();
                let value = Signal::derive(move || {
                    rec.with(|r| r.as_ref().and_then(|r| values_of(r).get(&key)).map(custom_text))
                        .unwrap_or_default()
                });
                let label = Signal::derive({
                    let l = def.label.clone();
                    let required = def.required;
                    move || if required { format!("{l} *") } else { l.clone() }
                });
                let id = id.clone();
                let d = def.clone();
                let commit = Callback::new(move |raw: String| {
                    let Some(kind) = kind.get_untracked() else { return };
                    match parse_custom(&d, &raw, i18n.locale()) {
                        Ok(v) => {
                            let summary = format!("{}: {raw}", d.label);
                            save_custom(ctx, id.clone(), kind, d.id.clone(), v, summary);
                        }
                        Err(msg) => ctx.report(format!("{}: {msg}", d.label)),
                    }
                });
                match choices(&def) {
                    Some(options) => view! {
                        <SelectField label=label value=value options=Signal::derive(move || options.clone()) editable=writable on_commit=commit />
                    }
                    .into_any(),
                    None => view! {
                        <TextField label=label value=value editable=writable on_commit=commit input_type=input_type(&def.field_type) />
                    }
                    .into_any(),
                }
            })
            .collect_view();
        view! {
            <section class="card">
                <h2>{move || i18n.t(K::CustomFields)}</h2>
                {fields}
            </section>
        }
        .into_any()
    }
}
