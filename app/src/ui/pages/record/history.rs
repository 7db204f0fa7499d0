//! The record page's History card (issue 13, ARCHITECTURE.md §11): who changed what and when, newest first,
//! as the relay computes it (`GET /api/v1/{kind}/{id}/history`, only the groups this reader may read), with
//! an Undo per change for whoever may write that change's group (`POST .../undo`; the relay's write gate
//! judges again and its refusal is shown as it says it). Needs the relay: offline the card says so.

use leptos::prelude::*;
use serde_json::{json, Value};

use super::values::{collection, date_time, label, show};
use crate::domain::history::{self, Author, FieldChange, FieldDiff, HistoryEntry, TextOp};
use crate::domain::{DocId, UserId};
use crate::i18n::{I18n, K};
use crate::store::SyncStatus;
use crate::ui::api::{self, ApiError};
use crate::ui::components::ctx::{access_of, Ctx};

/// Changes that far apart (ms) show the relay's time beside the writer's: an edit made offline.
const LATE_MS: i64 = 60_000;

fn author_text(i18n: I18n, e: &HistoryEntry) -> String {
    match (&e.author, &e.author_name) {
        (None, _) => i18n.t(K::HistoryUnconfirmed).to_string(),
        // The relay's own changes (demo data, imports' bookkeeping), in the reader's language.
        (Some(Author::Relay), _) => i18n.t(K::HistoryRelay).to_string(),
        (Some(Author::User(_)), Some(name)) => name.clone(),
        (Some(Author::User(u)), None) => u.to_string(),
    }
}

/// What the list is showing.
#[derive(Clone, Debug, PartialEq)]
enum Load {
    Idle,
    Loading,
    Loaded(Vec<HistoryEntry>),
    Failed(ApiError),
}

#[component]
pub fn RecordHistory(id: DocId) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let rec = ctx.store.record(id.clone());
    let acc = access_of(ctx, id.clone());
    let status = ctx.store.sync_status();
    let offline = Memo::new(move |_| status.get() == SyncStatus::Offline);
    let open = RwSignal::new(false);
    let state = RwSignal::new(Load::Idle);
    let field = RwSignal::new(String::new());
    let person = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<(bool, String)>);
    let token = move || ctx.store.session().with_untracked(|s| s.as_ref().map(|s| s.token.clone())).unwrap_or_default();
    let path = StoredValue::new(String::new());
    {
        let id = id.clone();
        Effect::new(move |_| {
            if let Some(k) = rec.with(|r| r.as_ref().map(|v| v.kind())) {
                path.set_value(format!("/api/v1/{}/{id}", collection(k)));
            }
        });
    }
    let fetch = move || {
        let (token, path) = (token(), path.get_value());
        if path.is_empty() {
            return;
        }
        if !matches!(state.get_untracked(), Load::Loaded(_)) {
            state.set(Load::Loading);
        }
        leptos::task::spawn_local(async move {
            let got = api::get::<Vec<HistoryEntry>>(&token, &format!("{path}/history")).await;
            state.set(match got {
                Ok(mut entries) => {
                    entries.reverse();
                    Load::Loaded(entries)
                }
                Err(e) => Load::Failed(e),
            });
        });
    };
    // Fetch on opening, and again when the connection comes back while open.
    Effect::new(move |_| {
        if open.get() && !offline.get() {
            fetch();
        }
    });
    let undo = move |change: String| {
        let (token, path) = (token(), path.get_value());
        notice.set(None);
        leptos::task::spawn_local(async move {
            let got = api::post::<Value>(&token, &format!("{path}/undo"), Some(json!({ "change": change }))).await;
            match got {
                Ok(v) => {
                    let skipped: Vec<String> = v["skipped"]
                        .as_array()
                        .map(|s| {
                            s.iter()
                                .filter_map(|s| Some(format!("{}: {}", s["field"].as_str()?, s["reason"].as_str()?)))
                                .collect()
                        })
                        .unwrap_or_default();
                    let msg = if skipped.is_empty() {
                        i18n.t(K::HistoryUndone).to_string()
                    } else {
                        format!("{} {}", i18n.t(K::HistoryUndonePartly), skipped.join("; "))
                    };
                    notice.set(Some((false, msg)));
                }
                Err(ApiError::Offline(_)) => notice.set(Some((true, i18n.t(K::HistoryOffline).to_string()))),
                Err(ApiError::Http { message, .. }) => {
                    notice.set(Some((true, format!("{} {message}", i18n.t(K::HistoryUndoRefused)))))
                }
                Err(e) => notice.set(Some((true, e.to_string()))),
            }
            fetch();
        });
    };
    let entries = Memo::new(move |_| match state.get() {
        Load::Loaded(es) => es,
        _ => Vec::new(),
    });
    // Filter choices from what the list holds: (field, label) and (user, name).
    let fields = Memo::new(move |_| {
        let mut fs: Vec<String> =
            entries.with(|es| es.iter().flat_map(|e| e.fields.iter().map(|f| f.field.clone())).collect());
        fs.sort();
        fs.dedup();
        fs
    });
    let people = Memo::new(move |_| {
        let mut ps: Vec<(String, String)> = entries.with(|es| {
            es.iter()
                .filter_map(|e| match &e.author {
                    Some(Author::User(u)) => {
                        Some((u.to_string(), e.author_name.clone().unwrap_or_else(|| u.to_string())))
                    }
                    _ => None,
                })
                .collect()
        });
        ps.sort();
        ps.dedup();
        ps
    });
    let shown = Memo::new(move |_| {
        let f = field.get();
        let p = person.get();
        let by = (!p.is_empty()).then(|| UserId::new(p));
        history::filter(entries.get(), (!f.is_empty()).then_some(f.as_str()), by.as_ref())
    });
    let may_undo = move |e: &HistoryEntry| !e.created && acc.with(|a| a.group(e.group).can_write());

    view! {
        <section class="card history" aria-labelledby="history-heading">
            <h2 id="history-heading">
                <button
                    type="button"
                    class="history-toggle"
                    aria-expanded=move || open.get().to_string()
                    aria-controls="history-body"
                    on:click=move |_| open.update(|o| *o = !*o)
                >
                    <span aria-hidden="true">{move || if open.get() { "▾ " } else { "▸ " }}</span>
                    {move || i18n.t(K::History)}
                </button>
            </h2>
            <Show when=move || open.get()>
                <div id="history-body" class="history-body">
                    {move || match (offline.get(), state.get()) {
                        (true, _) | (_, Load::Failed(ApiError::Offline(_))) => {
                            view! { <p class="notice">{i18n.t(K::HistoryOffline)}</p> }.into_any()
                        }
                        (_, Load::Failed(e)) => {
                            view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any()
                        }
                        (_, Load::Idle | Load::Loading) => {
                            view! { <p class="muted" role="status">{i18n.t(K::HistoryLoading)}</p> }.into_any()
                        }
                        (_, Load::Loaded(_)) => ().into_any(),
                    }}
                    {move || {
                        notice.get().map(|(err, msg)| {
                            if err {
                                view! { <p class="notice notice-error" role="alert">{msg}</p> }.into_any()
                            } else {
                                view! { <p class="notice" role="status">{msg}</p> }.into_any()
                            }
                        })
                    }}
                    <Show when=move || matches!(state.get(), Load::Loaded(_)) && !offline.get()>
                        <div class="history-filters">
                            <label class="field-label">
                                <span>{move || i18n.t(K::HistoryField)}</span>
                                <select on:change=move |ev| field.set(event_target_value(&ev)) prop:value=move || field.get()>
                                    <option value="">{move || i18n.t(K::HistoryAllFields)}</option>
                                    {move || {
                                        fields
                                            .get()
                                            .into_iter()
                                            .map(|f| {
                                                let l = label(ctx, i18n, &f);
                                                view! { <option value=f>{l}</option> }
                                            })
                                            .collect_view()
                                    }}
                                </select>
                            </label>
                            <label class="field-label">
                                <span>{move || i18n.t(K::HistoryPerson)}</span>
                                <select on:change=move |ev| person.set(event_target_value(&ev)) prop:value=move || person.get()>
                                    <option value="">{move || i18n.t(K::HistoryEveryone)}</option>
                                    {move || {
                                        people
                                            .get()
                                            .into_iter()
                                            .map(|(u, n)| view! { <option value=u>{n}</option> })
                                            .collect_view()
                                    }}
                                </select>
                            </label>
                        </div>
                        <Show
                            when=move || shown.with(|s| !s.is_empty())
                            fallback=move || view! { <p class="muted">{i18n.t(K::HistoryEmpty)}</p> }
                        >
                            <ol class="history-list">
                                {move || {
                                    shown
                                        .get()
                                        .into_iter()
                                        .map(|e| {
                                            let undoable = may_undo(&e);
                                            view! { <HistoryItem entry=e undoable=undoable on_undo=Callback::new(undo) /> }
                                        })
                                        .collect_view()
                                }}
                            </ol>
                        </Show>
                    </Show>
                </div>
            </Show>
        </section>
    }
}

#[component]
fn HistoryItem(entry: HistoryEntry, undoable: bool, on_undo: Callback<String>) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let who = author_text(i18n, &entry);
    let when = entry.made_at.or(entry.received_at).map(|t| date_time(i18n, t)).unwrap_or_default();
    let late = match (entry.made_at, entry.received_at) {
        (Some(m), Some(r)) if (r.millis() - m.millis()).abs() > LATE_MS => {
            Some(format!("{} {}", i18n.t(K::HistoryReached), date_time(i18n, r)))
        }
        _ => None,
    };
    let created = entry.created.then(|| i18n.t(K::HistoryCreated));
    let change = entry.change.clone();
    let fields = entry.fields.into_iter().map(|f| view! { <FieldLine ctx=ctx change=f /> }).collect_view();
    view! {
        <li class="history-entry">
            <div class="history-head">
                <strong class="history-who">{who}</strong>
                <span class="muted history-when">
                    <span>{when}</span>
                    {late.map(|l| view! { <span class="history-late">{l}</span> })}
                </span>
            </div>
            {created.map(|c| view! { <p class="history-created">{c}</p> })}
            <ul class="history-fields">{fields}</ul>
            {undoable
                .then(|| {
                    view! {
                        <button type="button" class="secondary history-undo" on:click=move |_| on_undo.run(change.clone())>
                            {move || i18n.t(K::HistoryUndo)}
                        </button>
                    }
                })}
        </li>
    }
}

#[component]
fn FieldLine(ctx: Ctx, change: FieldChange) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let name = label(ctx, i18n, &change.field);
    let body = match change.diff {
        FieldDiff::Value { old, new } => {
            let (old, new) = (show(ctx, i18n, &change.field, &old), show(ctx, i18n, &change.field, &new));
            view! {
                <span class="history-old">{old}</span>
                " → "
                <span class="history-new">{new}</span>
            }
            .into_any()
        }
        FieldDiff::Text { edits } => edits
            .into_iter()
            .map(|e| match e.op {
                TextOp::Keep => view! { <span class="history-kept">{e.text}</span> }.into_any(),
                TextOp::Insert => view! { <ins>{e.text}</ins> }.into_any(),
                TextOp::Delete => view! { <del>{e.text}</del> }.into_any(),
            })
            .collect_view()
            .into_any(),
    };
    view! {
        <li class="history-field">
            <span class="history-label">{name}": "</span>
            {body}
        </li>
    }
}
