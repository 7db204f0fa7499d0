//! Export requests: ask to export one collection with a reason, follow one's requests, decide the
//! requests one may decide (the requester's sales manager or an admin; never one's own), and download an
//! approved export as CSV. All of it talks to the relay (`/api/v1/exports`): offline, the page says so
//! and its buttons wait for the connection.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;
use serde_json::Value;

use crate::domain::RecordKind;
use crate::i18n::{I18n, K};
use crate::rest::{ExportRequest, ExportStatus};
use crate::sync::SyncStatus;
use crate::ui::api::{self, ApiError};
use crate::ui::components::ctx::Ctx;

#[derive(Deserialize)]
struct ExportFile {
    records: Vec<Value>,
}

const KINDS: [RecordKind; 5] =
    [RecordKind::Customer, RecordKind::Opportunity, RecordKind::Lead, RecordKind::Contact, RecordKind::Activity];

fn kind_label(kind: &str) -> K {
    match kind {
        "leads" => K::Leads,
        "opportunities" => K::Opportunities,
        "customers" => K::Customers,
        "contacts" => K::Contacts,
        _ => K::Activities,
    }
}

fn status_label(status: ExportStatus) -> K {
    match status {
        ExportStatus::Approved => K::ExportApproved,
        ExportStatus::Rejected => K::ExportRejected,
        ExportStatus::Pending => K::ExportPending,
    }
}

#[component]
pub fn ExportsPage() -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let status = ctx.store.sync_status();
    let offline = Memo::new(move |_| status.get() == SyncStatus::Offline);
    let token = move || ctx.store.session().with_untracked(|s| s.as_ref().map(|s| s.token.clone())).unwrap_or_default();
    let requests: RwSignal<Vec<ExportRequest>> = RwSignal::new(Vec::new());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let notice: RwSignal<Option<K>> = RwSignal::new(None);
    let loading = RwSignal::new(false);

    let reload = move || {
        let token = token();
        loading.set(true);
        spawn_local(async move {
            match api::get::<Vec<ExportRequest>>(&token, "/api/v1/exports").await {
                Ok(mut list) => {
                    list.sort_by_key(|r| std::cmp::Reverse(r.id));
                    requests.set(list);
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
            loading.set(false);
        });
    };
    // Load now and again whenever the connection comes back.
    Effect::new(move |_| {
        if !offline.get() {
            reload();
        }
    });

    let kinds: Vec<RecordKind> = KINDS.into_iter().filter(|k| ctx.sees_kind(*k)).collect();
    let kind = RwSignal::new(kinds.first().map(|k| k.plural().to_string()).unwrap_or_default());
    let reason = RwSignal::new(String::new());
    let reason_error = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = reason.get_untracked().trim().to_string();
        if text.is_empty() || text.chars().count() > 500 {
            reason_error.set(true);
            return;
        }
        reason_error.set(false);
        let token = token();
        let body = serde_json::json!({ "kind": kind.get_untracked(), "reason": text });
        spawn_local(async move {
            match api::post::<ExportRequest>(&token, "/api/v1/exports", Some(body)).await {
                Ok(_) => {
                    reason.set(String::new());
                    notice.set(Some(K::ExportSent));
                    reload();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let decide = move |id: i64, approve: bool| {
        let token = token();
        let path = format!("/api/v1/exports/{id}/{}", if approve { "approve" } else { "reject" });
        spawn_local(async move {
            match api::post::<ExportRequest>(&token, &path, None).await {
                Ok(_) => reload(),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let download = move |r: ExportRequest| {
        let token = token();
        spawn_local(async move {
            let result = async {
                let file: ExportFile = api::get(&token, &format!("/api/v1/exports/{}/download", r.id)).await?;
                // A byte-order mark so spreadsheet programs read the UTF-8 (Chinese names) correctly.
                let csv = format!("\u{feff}{}", to_csv(&file.records));
                api::save_file(&format!("{}-export-{}.csv", r.kind, r.id), "text/csv;charset=utf-8", &csv)
            };
            if let Err(e) = result.await {
                error.set(Some(e));
            }
        });
    };

    let me = ctx.me_id();
    let me2 = me.clone();
    let mine = Memo::new(move |_| {
        requests.with(|rs| rs.iter().filter(|r| Some(&r.requested_by) == me.as_ref()).cloned().collect::<Vec<_>>())
    });
    let others = Memo::new(move |_| {
        // Waiting decisions first, then the decided ones as history (the relay lists newest first).
        let mut rs = requests
            .with(|rs| rs.iter().filter(|r| Some(&r.requested_by) != me2.as_ref()).cloned().collect::<Vec<_>>());
        rs.sort_by_key(|r| r.status != ExportStatus::Pending);
        rs
    });
    let disabled = move || offline.get();
    let when =
        move |t: chrono::DateTime<chrono::Utc>| i18n.date(crate::domain::Timestamp::from_millis(t.timestamp_millis()));

    view! {
           <section class="exports">
               <header class="page-header">
                   <h1>{move || i18n.t(K::Exports)}</h1>
                   <button class="secondary" on:click=move |_| reload() disabled=move || disabled() || loading.get()>
                       {move || i18n.t(K::Refresh)}
                   </button>
               </header>
               <Show when=move || offline.get()>
                   <div class="notice notice-error" role="alert">{move || i18n.t(K::ExportsOffline)}</div>
               </Show>
               <Show when=move || error.with(|e| e.is_some()) && !offline.get()>
                   <div class="notice notice-error" role="alert">
                       <span>
                           {move || match error.get() {
                               Some(ApiError::Offline(_)) => i18n.t(K::ExportsOffline).to_string(),
                               Some(e) => e.to_string(),
                               None => String::new(),
                           }}
                       </span>
                       <button class="icon-button" aria-label=move || i18n.t(K::Dismiss) on:click=move |_| error.set(None)>
                           "×"
                       </button>
                   </div>
               </Show>
               <div class="dash-grid">
                   <section class="card">
                       <h2>{move || i18n.t(K::RequestExport)}</h2>
                       <p class="muted small">{move || i18n.t(K::ExportHint)}</p>
                       <form class="export-form" on:submit=submit>
                           <label class="field-label">
                               <span>{move || i18n.t(K::Collection)}</span>
                               <select class="field-input" on:change=move |ev| kind.set(event_target_value(&ev))>
                                   {kinds
                                       .iter()
                                       .map(|k| {
                                           let v = k.plural();
                                           view! {
                                               <option value=v selected=move || kind.get() == v>
                                                   {move || i18n.t(kind_label(v))}
                                               </option>
                                           }
                                       })
                                       .collect_view()}
                               </select>
                           </label>
                           <label class="field-label">
                               <span>{move || i18n.t(K::Reason)}</span>
                               <textarea
                                   class="field-input"
                                   rows="2"
                                   maxlength="500"
                                   prop:value=move || reason.get()
                                   on:input=move |ev| {
                                       reason.set(event_target_value(&ev));
                                       notice.set(None);
                                   }
                                   aria-invalid=move || reason_error.get().then_some("true")
                               ></textarea>
                           </label>
                           <Show when=move || reason_error.get()>
                               <p class="form-error" role="alert">{move || i18n.t(K::ErrReason)}</p>
                           </Show>
                           <button type="submit" class="primary" disabled=disabled>
                               {move || i18n.t(K::SendRequest)}
                           </button>
                           <Show when=move || notice.get().is_some()>
                               <p class="muted" role="status">{move || notice.get().map(|k| i18n.t(k)).unwrap_or_default()}</p>
                           </Show>
                       </form>
                   </section>
                   <section class="card">
                       <h2 id="my-exports">{move || i18n.t(K::MyRequests)}</h2>
                       <ul class="export-list" aria-labelledby="my-exports">
                           <For each=move || mine.get() key=|r| (r.id, r.status) let:r>
                               <li class="export-item">
                                   <div class="export-main">
                                       <strong>{
    let k = kind_label(&r.kind);
    move || i18n.t(k)
    }</strong>
                                       <span class=format!("badge export-{}", r.status.as_str())>{
    let s = status_label(r.status);
    move || i18n.t(s)
    }</span>
                                       <span class="muted">{when(r.created_at)}</span>
                                   </div>
                                   <p class="export-reason">{r.reason.clone()}</p>
                                   {(r.status == ExportStatus::Approved).then(|| {
                                       let r = r.clone();
                                       view! {
                                           <button class="primary" disabled=disabled on:click=move |_| download(r.clone())>
                                               {move || i18n.t(K::DownloadCsv)}
                                           </button>
                                       }
                                   })}
                                   {r.decided_by.clone().map(|d| view! {
                                       <span class="muted small">{move || i18n.t(K::DecidedBy)}": "{move || ctx.user_name(&d)}</span>
                                   })}
                               </li>
                           </For>
                       </ul>
                       <Show when=move || mine.with(|m| m.is_empty())>
                           <p class="muted">{move || i18n.t(K::NoRequests)}</p>
                       </Show>
                   </section>
                   <Show when=move || others.with(|o| !o.is_empty())>
                       <section class="card">
                           <h2 id="team-exports">{move || i18n.t(K::ToDecide)}</h2>
                           <ul class="export-list" aria-labelledby="team-exports">
                               <For each=move || others.get() key=|r| (r.id, r.status) let:r>
                                   <li class="export-item">
                                       <div class="export-main">
                                           <strong>{
    // Tracked: right after signing in the directory may not be read yet (the id would stay).
    let who = r.requested_by.clone();
    move || ctx.user_name(&who)
    }</strong>
                                           <span>{
    let k = kind_label(&r.kind);
    move || i18n.t(k)
    }</span>
                                           <span class=format!("badge export-{}", r.status.as_str())>{
    let s = status_label(r.status);
    move || i18n.t(s)
    }</span>
                                           <span class="muted">{when(r.created_at)}</span>
                                       </div>
                                       <p class="export-reason">{r.reason.clone()}</p>
                                       {(r.status == ExportStatus::Pending).then(|| {
                                           let id = r.id;
                                           view! {
                                               <div class="actions">
                                                   <button class="primary" disabled=disabled on:click=move |_| decide(id, true)>
                                                       {move || i18n.t(K::Approve)}
                                                   </button>
                                                   <button class="danger" disabled=disabled on:click=move |_| decide(id, false)>
                                                       {move || i18n.t(K::Reject)}
                                                   </button>
                                               </div>
                                           }
                                       })}
                                   </li>
                               </For>
                           </ul>
                       </section>
                   </Show>
               </div>
           </section>
       }
}

/// Records as CSV: one row per record, one column per field (nested groups flattened with dotted names,
/// e.g. `money.expected_amount.amount_minor`; lists as JSON), columns in first-seen order.
fn to_csv(records: &[Value]) -> String {
    let mut columns: Vec<String> = Vec::new();
    let rows: Vec<Vec<(String, String)>> = records
        .iter()
        .map(|r| {
            let mut cells = Vec::new();
            flatten("", r, &mut cells);
            for (k, _) in &cells {
                if !columns.contains(k) {
                    columns.push(k.clone());
                }
            }
            cells
        })
        .collect();
    let mut out = columns.iter().map(|c| cell(c)).collect::<Vec<_>>().join(",");
    out.push_str("\r\n");
    for row in rows {
        let line = columns
            .iter()
            .map(|c| row.iter().find(|(k, _)| k == c).map(|(_, v)| cell(v)).unwrap_or_default())
            .collect::<Vec<_>>()
            .join(",");
        out.push_str(&line);
        out.push_str("\r\n");
    }
    out
}

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, v, out);
            }
        }
        Value::Null => out.push((prefix.to_string(), String::new())),
        // A text that a spreadsheet would run as a formula is quoted as text (CSV injection).
        Value::String(s) if s.starts_with(['=', '+', '-', '@', '\t', '\r']) => {
            out.push((prefix.to_string(), format!("'{s}")))
        }
        Value::String(s) => out.push((prefix.to_string(), s.clone())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

fn cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
