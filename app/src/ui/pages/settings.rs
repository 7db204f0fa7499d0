//! Settings → custom fields (admins only): the fields defined per record kind, a form to add one, and a
//! button to remove one. Changes go to the directory document through the store like any local edit;
//! the relay refuses directory changes from anyone but an admin.

pub mod pipeline;
pub mod policy;
mod relationship;

use leptos::prelude::*;
use std::collections::BTreeMap;

use crate::domain::{may_write_directory, CustomFieldDef, CustomFieldType, Directory, FieldId, RecordKind};
use crate::i18n::{I18n, Locale, K};
use crate::ui::components::ctx::Ctx;
use crate::ui::components::form::{form_error_summary, FormInput, FormSelect};

/// Longest key and label accepted.
const MAX_KEY: usize = 40;
const MAX_LABEL: usize = 80;

/// Messages per form control (`""`: the whole form).
type Errors = BTreeMap<&'static str, String>;

/// The type names offered, as the type select's values.
const TYPES: [(&str, K); 5] = [
    ("text", K::TypeText),
    ("number", K::TypeNumber),
    ("date", K::TypeDate),
    ("choice", K::TypeChoice),
    ("money", K::TypeMoney),
];

fn kind_label(kind: RecordKind) -> K {
    match kind {
        RecordKind::Lead => K::Leads,
        RecordKind::Opportunity => K::Opportunities,
        RecordKind::Customer => K::Customers,
        RecordKind::Contact => K::Contacts,
        RecordKind::Activity => K::Activities,
    }
}

fn type_label(t: &CustomFieldType) -> K {
    match t {
        CustomFieldType::Text => K::TypeText,
        CustomFieldType::Number => K::TypeNumber,
        CustomFieldType::Date => K::TypeDate,
        CustomFieldType::Choice { .. } => K::TypeChoice,
        CustomFieldType::Money => K::TypeMoney,
    }
}

/// Is `key` a valid field key: a lowercase letter, then lowercase letters, digits or `_`?
fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    key.len() <= MAX_KEY
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// What the admin typed in the form.
struct Draft {
    kind: String,
    key: String,
    label: String,
    field_type: String,
    required: bool,
    options: String,
}

impl Draft {
    /// Builds the definition, or says what is wrong with each control (in `locale`). Keys are unique over
    /// all kinds: the relay keeps one list of ids for the whole directory.
    fn build(&self, existing: &[CustomFieldDef], locale: Locale) -> Result<CustomFieldDef, Errors> {
        let mut errs = Errors::new();
        let kind = RecordKind::parse(&self.kind).ok();
        if kind.is_none() {
            errs.insert("kind", locale.t(K::ErrRequired).to_string());
        }
        let key = self.key.trim();
        if !valid_key(key) {
            errs.insert("key", locale.t(K::ErrKey).to_string());
        } else if existing.iter().any(|f| f.id.as_str() == key) {
            errs.insert("key", locale.t(K::ErrKeyTaken).to_string());
        }
        let label = self.label.trim();
        if label.is_empty() || label.chars().count() > MAX_LABEL {
            errs.insert("label", locale.t(K::ErrLabel).to_string());
        }
        let field_type = match self.field_type.as_str() {
            "text" => Some(CustomFieldType::Text),
            "number" => Some(CustomFieldType::Number),
            "date" => Some(CustomFieldType::Date),
            "money" => Some(CustomFieldType::Money),
            "choice" => {
                let options: Vec<String> = self
                    .options
                    .split([',', '，'])
                    .map(str::trim)
                    .filter(|o| !o.is_empty())
                    .map(String::from)
                    .collect();
                let unique = options.iter().collect::<std::collections::BTreeSet<_>>().len() == options.len();
                if options.is_empty() || !unique {
                    errs.insert("options", locale.t(K::ErrOptions).to_string());
                }
                Some(CustomFieldType::Choice { options })
            }
            _ => {
                errs.insert("type", locale.t(K::ErrRequired).to_string());
                None
            }
        };
        match (kind, field_type) {
            (Some(kind), Some(field_type)) if errs.is_empty() => Ok(CustomFieldDef {
                id: FieldId::new(key),
                kind,
                label: label.to_string(),
                field_type,
                required: self.required,
            }),
            _ => Err(errs),
        }
    }
}

/// `/settings/fields`: the page, or "not allowed" for anyone who may not write the directory.
#[component]
pub fn SettingsFieldsPage() -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let dir = ctx.directory();
    let allowed = move || {
        let Some(me) = ctx.me_id() else { return false };
        dir.with(|d| d.as_ref().is_some_and(|d| may_write_directory(&me, d)))
    };
    let refused = move || {
        let k = if dir.with(|d| d.is_none()) { K::NoDirectory } else { K::SettingsNotAllowed };
        view! { <p class="empty card" role="alert">{move || i18n.t(k)}</p> }
    };
    view! {
        <section class="settings-page">
            <header class="page-header">
                <h1>{move || i18n.t(K::CustomFieldsTitle)}</h1>
            </header>
            <pipeline::SettingsTabs />
            <Show when=allowed fallback=refused>
                <p class="notice settings-hint">{move || i18n.t(K::RemoveHint)}</p>
                <NewFieldForm />
                <FieldList />
                <relationship::RelationshipRulesForm />
            </Show>
        </section>
    }
}

/// The defined fields, one section per record kind, each with a remove button.
#[component]
fn FieldList() -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let dir = ctx.directory();
    let fields_of = move |kind: RecordKind| -> Vec<CustomFieldDef> {
        dir.with(|d| d.as_ref().map(|d| d.custom_fields.iter().filter(|f| f.kind == kind).cloned().collect()))
            .unwrap_or_default()
    };
    RecordKind::ALL
        .into_iter()
        .map(|kind| {
            let heading = format!("fields-{}", kind.as_str());
            let labelled_by = heading.clone();
            view! {
                <section class="card settings-kind" aria-labelledby=labelled_by>
                    <h2 id=heading>{move || i18n.t(kind_label(kind))}</h2>
                    {move || {
                        let fields = fields_of(kind);
                        if fields.is_empty() {
                            return view! { <p class="muted">{i18n.t(K::NoFields)}</p> }.into_any();
                        }
                        view! {
                            <ul class="settings-fields">
                                {fields.into_iter().map(|f| view! { <FieldRow def=f /> }).collect_view()}
                            </ul>
                        }
                        .into_any()
                    }}
                </section>
            }
        })
        .collect_view()
}

#[component]
fn FieldRow(def: CustomFieldDef) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let options = match &def.field_type {
        CustomFieldType::Choice { options } => format!(": {}", options.join(", ")),
        _ => String::new(),
    };
    let t = type_label(&def.field_type);
    let id = def.id.clone();
    let label = def.label.clone();
    let remove = move |_| {
        let id = id.clone();
        let summary = format!("remove custom field {id}");
        ctx.run(ctx.store.update_directory(summary, move |d: &mut Directory| {
            d.custom_fields.retain(|f| f.id != id);
            Ok(())
        }));
    };
    view! {
        <li class="settings-field">
            <div class="settings-field-text">
                <strong>{def.label.clone()}</strong>
                <code>{def.id.to_string()}</code>
                <span class="muted">
                    {move || i18n.t(t)}
                    {options.clone()}
                    {def.required.then(|| view! { " · " {move || i18n.t(K::RequiredMark)} })}
                </span>
            </div>
            <button
                type="button"
                class="secondary"
                aria-label=move || format!("{} {}", i18n.t(K::RemoveField), label)
                on:click=remove
            >
                {move || i18n.t(K::RemoveField)}
            </button>
        </li>
    }
}

#[component]
fn NewFieldForm() -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let kind = RwSignal::new(RecordKind::Opportunity.as_str().to_string());
    let key = RwSignal::new(String::new());
    let label_in = RwSignal::new(String::new());
    let field_type = RwSignal::new("text".to_string());
    let required = RwSignal::new(false);
    let options = RwSignal::new(String::new());
    let errors = RwSignal::new(Errors::new());
    let saving = RwSignal::new(false);
    let added = RwSignal::new(false);
    let err = move |k: &'static str| Signal::derive(move || errors.with(|e| e.get(k).cloned()));
    let label = move |k: K| Signal::derive(move || i18n.t(k).to_string());
    let kinds = Signal::derive(move || {
        RecordKind::ALL.iter().map(|k| (k.as_str().to_string(), i18n.t(kind_label(*k)).to_string())).collect::<Vec<_>>()
    });
    let types =
        Signal::derive(move || TYPES.iter().map(|(v, k)| (v.to_string(), i18n.t(*k).to_string())).collect::<Vec<_>>());

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() {
            return;
        }
        added.set(false);
        let draft = Draft {
            kind: kind.get_untracked(),
            key: key.get_untracked(),
            label: label_in.get_untracked(),
            field_type: field_type.get_untracked(),
            required: required.get_untracked(),
            options: options.get_untracked(),
        };
        let Some(existing) = ctx.directory().with_untracked(|d| d.as_ref().map(|d| d.custom_fields.clone())) else {
            errors.set(Errors::from([("", i18n.t(K::NoDirectory).to_string())]));
            return;
        };
        let def = match draft.build(&existing, i18n.locale()) {
            Ok(def) => def,
            Err(e) => {
                errors.set(e);
                return;
            }
        };
        errors.set(Errors::new());
        saving.set(true);
        let store = ctx.store;
        leptos::task::spawn_local(async move {
            let summary = format!("add custom field {}", def.id);
            let r = store
                .update_directory(summary, move |d| {
                    if d.custom_fields.iter().any(|f| f.id == def.id) {
                        return Err(crate::domain::DomainError::invalid("custom_fields", "the key is already used"));
                    }
                    d.custom_fields.push(def);
                    Ok(())
                })
                .await;
            saving.set(false);
            match r {
                Ok(()) => {
                    key.set(String::new());
                    label_in.set(String::new());
                    options.set(String::new());
                    required.set(false);
                    added.set(true);
                }
                Err(e) => errors.set(Errors::from([("", e.to_string())])),
            }
        });
    };
    let form_message = move || errors.with(|e| (!e.is_empty()).then(|| form_error_summary(i18n, e.get("").cloned())));

    view! {
        <form class="card settings-form" novalidate=true aria-label=move || i18n.t(K::NewField) on:submit=submit>
            <h2>{move || i18n.t(K::NewField)}</h2>
            {form_message}
            <FormSelect name="kind" label=label(K::RecordKindLabel) value=kind options=kinds error=err("kind") required=true />
            <FormInput name="key" label=label(K::FieldKey) value=key error=err("key") required=true />
            <FormInput name="label" label=label(K::FieldLabel) value=label_in error=err("label") required=true />
            <FormSelect name="type" label=label(K::FieldType) value=field_type options=types error=err("type") required=true />
            <Show when=move || field_type.with(|t| t == "choice")>
                <FormInput name="options" label=label(K::FieldOptions) value=options error=err("options") required=true />
            </Show>
            <label class="field-check">
                <input
                    type="checkbox"
                    prop:checked=move || required.get()
                    on:change=move |e| required.set(event_target_checked(&e))
                />
                <span>{move || i18n.t(K::FieldRequired)}</span>
            </label>
            <div class="form-actions">
                <button type="submit" class="primary" disabled=move || saving.get()>
                    {move || i18n.t(if saving.get() { K::Saving } else { K::AddField })}
                </button>
            </div>
            <Show when=move || added.get()>
                <p role="status" class="muted">{move || i18n.t(K::FieldAdded)}</p>
            </Show>
        </form>
    }
}
