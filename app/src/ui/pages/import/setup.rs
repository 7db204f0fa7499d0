//! Choosing the file and how to read it: kind and format (detected from the header where it tells), the
//! field each column goes to (generic layout; suggested from the column names, custom fields included) and
//! the user each owner name goes to (suggested by name).

use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{file, ImportCtx, Loaded, OwnerRow};
use crate::domain::import::preview::{self, owner_names, suggest_owner};
use crate::domain::import::Format;
use crate::domain::{Directory, RecordKind};
use crate::i18n::{I18n, K};
use crate::ui::components::ctx::Ctx;
use crate::ui::components::form::FormSelect;

fn kind_label(kind: RecordKind) -> K {
    match kind {
        RecordKind::Lead => K::Leads,
        RecordKind::Opportunity => K::Opportunities,
        RecordKind::Customer => K::Customers,
        RecordKind::Contact => K::Contacts,
        RecordKind::Activity => K::Activities,
    }
}

fn format_label(format: Format) -> K {
    match format {
        Format::Maven => K::FormatMaven,
        Format::Datablist => K::FormatDatablist,
        Format::Generic => K::FormatGeneric,
    }
}

/// A field's name for people: ours translated, a custom field's label, else the column id.
pub fn field_label(i18n: I18n, field: &str, dir: Option<&Directory>) -> String {
    let k = match field {
        "name" => Some(K::Name),
        "owner" => Some(K::Owner),
        "notes" => Some(K::Notes),
        "created_at" => Some(K::FieldCreatedAt),
        "company" => Some(K::Company),
        "contact_name" => Some(K::ContactName),
        "phone" => Some(K::Phone),
        "email" => Some(K::Email),
        "source" => Some(K::Source),
        "status" => Some(K::Status),
        "score" => Some(K::Score),
        "number" => Some(K::Number),
        "customer" => Some(K::Customer),
        "stage" => Some(K::Stage),
        "expected_amount" => Some(K::Amount),
        "currency" => Some(K::FieldCurrency),
        "expected_close" => Some(K::ExpectedClose),
        "win_probability" => Some(K::WinProbability),
        "lost_reason" => Some(K::LostReason),
        "closed_at" => Some(K::FieldClosedAt),
        "industry" => Some(K::Industry),
        "region" => Some(K::Region),
        "tier" => Some(K::Tier),
        "tags" => Some(K::Tags),
        "title" => Some(K::Title),
        "subject" => Some(K::Subject),
        "outcome" => Some(K::Outcome),
        "at" => Some(K::When),
        "next_step" => Some(K::NextStep),
        "next_step_at" => Some(K::NextStepDue),
        _ => None,
    };
    if let Some(k) = k {
        return i18n.t(k).to_string();
    }
    dir.and_then(|d| d.custom_fields.iter().find(|c| c.id.as_str() == field))
        .map(|c| c.label.clone())
        .unwrap_or_else(|| field.to_string())
}

/// Keeps the column suggestions and the owner names in step with the file, kind and mapping.
pub fn follow_mapping(ic: ImportCtx) {
    let ctx = Ctx::use_ctx();
    // A new file or kind, or the directory arriving after the file was read: fresh suggestions for every
    // column (not on every later directory change, which would undo the person's choices).
    let has_dir = Memo::new(move |_| ctx.directory().with(|d| d.is_some()));
    Effect::new(move |_| {
        has_dir.track();
        ic.file.track();
        ic.kind.track();
        // Without a directory there is nothing to suggest from: what is there stays.
        ctx.directory().with_untracked(|d| d.as_ref().map(|d| ic.suggest(d)));
    });
    // The owner names of the file as it will be sent; choices already made are kept.
    Effect::new(move |_| {
        let Some(out) = ctx.directory().with(|d| d.as_ref().and_then(|d| ic.outgoing(d))) else {
            return ic.owners.set(Vec::new());
        };
        let names = out.ok().and_then(|csv| owner_names(csv.as_bytes(), ic.format()).ok()).unwrap_or_default();
        let before = ic.owners.get_untracked();
        let rows = names
            .into_iter()
            .map(|(name, rows)| {
                let kept = before.iter().find(|o| o.name == name).map(|o| o.user.get_untracked());
                let suggested = ctx.directory().with_untracked(|d| d.as_ref().and_then(|d| suggest_owner(d, &name)));
                let user = kept.unwrap_or_else(|| suggested.map(|u| u.to_string()).unwrap_or_default());
                OwnerRow { name, rows, user: ic.keep(user) }
            })
            .collect();
        ic.owners.set(rows);
    });
}

#[component]
pub fn SetupForm(ic: ImportCtx, kinds: Memo<Vec<RecordKind>>, on_check: Callback<()>) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let reading = RwSignal::new(false);
    let on_file = move |ev: leptos::ev::Event| {
        ic.error.set(None);
        reading.set(true);
        spawn_local(async move {
            let read = file::read_first(&ev).await;
            reading.set(false);
            let (name, text) = match read {
                Ok(x) => x,
                Err(file::FileError::None) => return,
                Err(e) => return ic.error.set(Some(e.to_string())),
            };
            match preview::preview(text.as_bytes()) {
                Ok(p) => {
                    if let Some((format, kind)) = p.detected {
                        ic.format.set(format.as_str().to_string());
                        // Set even before the directory tells what this person may import: the page's
                        // effect replaces a kind they may not import.
                        ic.kind.set(kind.as_str().to_string());
                    } else {
                        ic.format.set(Format::Generic.as_str().to_string());
                    }
                    ic.file.set(Some(Arc::new(Loaded { name, text, preview: p })));
                    // At once, not only from the effect (which follows too).
                    ctx.directory().with_untracked(|d| d.as_ref().map(|d| ic.suggest(d)));
                }
                Err(e) => {
                    ic.file.set(None);
                    ic.error.set(Some(format!("{name}: {e}")));
                }
            }
        });
    };
    let kind_options = Signal::derive(move || -> Vec<(String, String)> {
        kinds.get().into_iter().map(|k| (k.as_str().to_string(), i18n.t(kind_label(k)).to_string())).collect()
    });
    let format_options = Signal::derive(move || -> Vec<(String, String)> {
        let kind = ic.kind();
        Format::ALL
            .into_iter()
            .filter(|f| f.kinds().contains(&kind))
            .map(|f| (f.as_str().to_string(), i18n.t(format_label(f)).to_string()))
            .collect()
    });
    let unknown_options = Signal::derive(move || {
        let mut o = vec![
            ("reject".to_string(), i18n.t(K::UnknownOwnerReject).to_string()),
            ("importer".to_string(), i18n.t(K::UnknownOwnerMe).to_string()),
        ];
        if ic.kind() == RecordKind::Lead {
            o.push(("pool".to_string(), i18n.t(K::UnknownOwnerPool).to_string()));
        }
        o
    });
    let facts = move || {
        let f = ic.file.get()?;
        let line = i18n
            .t(K::ImportFileFacts)
            .replace("{file}", &f.name)
            .replace("{rows}", &i18n.number(f.preview.rows as f64))
            .replace("{columns}", &f.preview.headers.len().to_string());
        let detected = match f.preview.detected {
            Some((format, kind)) => i18n
                .t(K::ImportDetected)
                .replace("{format}", i18n.t(format_label(format)))
                .replace("{kind}", i18n.t(kind_label(kind))),
            None => i18n.t(K::ImportNotDetected).to_string(),
        };
        Some(view! { <p role="status" class="import-facts">{line}" "{detected}</p> })
    };
    let no_error = Signal::derive(|| None::<String>);
    let generic = move || ic.file.with(|f| f.is_some()) && ic.format() == Format::Generic;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        on_check.run(());
    };
    view! {
        <form class="card import-setup" on:submit=submit aria-label=move || i18n.t(K::ImportTitle)>
            <div class="field">
                <label class="field-label">
                    <span>{move || i18n.t(K::CsvFile)}</span>
                    <input type="file" class="field-input" accept=".csv,text/csv" on:change=on_file />
                </label>
            </div>
            <Show when=move || reading.get()>
                <p role="status">{move || i18n.t(K::Loading)}</p>
            </Show>
            {facts}
            <div class="import-choices">
                <FormSelect name="import-kind" label=Signal::derive(move || i18n.t(K::RecordKindLabel).to_string())
                    value=ic.kind options=kind_options error=no_error />
                <FormSelect name="import-format" label=Signal::derive(move || i18n.t(K::FileLayout).to_string())
                    value=ic.format options=format_options error=no_error />
            </div>
            <Show when=generic>
                <ColumnMapping ic=ic />
            </Show>
            <Show when=move || ic.file.with(|f| f.is_some())>
                <OwnerMapping ic=ic />
                <FormSelect name="import-unknown" label=Signal::derive(move || i18n.t(K::UnknownOwners).to_string())
                    value=ic.unknown options=unknown_options error=no_error />
                <button type="submit" class="primary" disabled=move || ctx.directory().with(|d| d.is_none())>
                    {move || i18n.t(K::CheckFile)}
                </button>
            </Show>
        </form>
    }
}

/// Column → field, with the first row's value as an example.
#[component]
fn ColumnMapping(ic: ImportCtx) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    // The file's first data row, read once per file (not once per column).
    let first_row = Memo::new(move |_| {
        ic.file.with(|f| {
            let f = f.as_ref()?;
            let mut r = csv::ReaderBuilder::new().from_reader(f.text.as_bytes());
            let rec = r.records().next()?.ok()?;
            Some(rec.iter().map(|v| v.chars().take(40).collect::<String>()).collect::<Vec<_>>())
        })
    });
    let example = move |i: usize| first_row.with(|r| r.as_ref().and_then(|r| r.get(i).cloned()));
    let options = Signal::derive(move || {
        let dir = ctx.directory().get();
        let mut o = vec![(String::new(), i18n.t(K::NotImported).to_string())];
        if let Some(d) = dir.as_ref() {
            o.extend(preview::targets(ic.kind(), d).into_iter().map(|t| {
                let label = field_label(i18n, &t, Some(d));
                (t, label)
            }));
        }
        o
    });
    view! {
        <section class="import-columns" aria-label=move || i18n.t(K::ColumnsToFields)>
            <h2>{move || i18n.t(K::ColumnsToFields)}</h2>
            <p class="muted">{move || i18n.t(K::ColumnsHelp)}</p>
            <div class="table-scroll">
                <table class="data-table">
                    <thead>
                        <tr>
                            <th scope="col">{move || i18n.t(K::ColumnInFile)}</th>
                            <th scope="col">{move || i18n.t(K::Example)}</th>
                            <th scope="col">{move || i18n.t(K::Field)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || {
                            let headers = ic.file.with(|f| f.as_ref().map(|f| f.preview.headers.clone())).unwrap_or_default();
                            let cols = ic.columns.get();
                            headers
                                .into_iter()
                                .zip(cols)
                                .enumerate()
                                .map(|(i, (h, value))| {
                                    let label = format!("{}: {h}", i18n.t(K::Field));
                                    view! {
                                        <tr>
                                            <th scope="row">{h.clone()}</th>
                                            <td class="muted">{example(i)}</td>
                                            <td>
                                                <MappingSelect label=label value=value options=options />
                                            </td>
                                        </tr>
                                    }
                                })
                                .collect_view()
                        }}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// One row's choice in a mapping table (a column's field, an owner name's user), named by `label`.
#[component]
fn MappingSelect(label: String, value: RwSignal<String>, options: Signal<Vec<(String, String)>>) -> impl IntoView {
    view! {
        <select class="field-input" aria-label=label on:change=move |e| value.set(event_target_value(&e))>
            {move || {
                options
                    .get()
                    .into_iter()
                    .map(|(v, t)| {
                        let selected = value.get() == v;
                        view! { <option value=v selected=selected>{t}</option> }
                    })
                    .collect_view()
            }}
        </select>
    }
}

/// Owner names in the file → users.
#[component]
fn OwnerMapping(ic: ImportCtx) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let users = Signal::derive(move || {
        let mut o = vec![(String::new(), i18n.t(K::NotMapped).to_string())];
        ctx.directory().with(|d| {
            if let Some(d) = d {
                o.extend(
                    d.users
                        .iter()
                        .filter(|u| !u.disabled)
                        .map(|u| (u.id.to_string(), format!("{} ({})", u.name, u.id))),
                );
            }
        });
        o
    });
    view! {
        <section class="import-owners" aria-label=move || i18n.t(K::OwnersToUsers)>
            <h2>{move || i18n.t(K::OwnersToUsers)}</h2>
            <Show
                when=move || ic.owners.with(|o| !o.is_empty())
                fallback=move || view! { <p class="muted">{i18n.t(K::NoOwnerNames)}</p> }
            >
                <div class="table-scroll">
                    <table class="data-table">
                        <thead>
                            <tr>
                                <th scope="col">{move || i18n.t(K::NameInFile)}</th>
                                <th scope="col" class="num">{move || i18n.t(K::RowCount)}</th>
                                <th scope="col">{move || i18n.t(K::User)}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {move || {
                                ic.owners
                                    .get()
                                    .into_iter()
                                    .map(|o| {
                                        let label = format!("{}: {}", i18n.t(K::User), o.name);
                                        let value = o.user;
                                        view! {
                                            <tr>
                                                <th scope="row">{o.name.clone()}</th>
                                                <td class="num">{i18n.number(o.rows as f64)}</td>
                                                <td>
                                                    <MappingSelect label=label value=value options=users />
                                                </td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()
                            }}
                        </tbody>
                    </table>
                </div>
            </Show>
        </section>
    }
}
