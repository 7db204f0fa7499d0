//! The audit log (admins): filter by person, action, record and dates (the relay filters, newest first,
//! a page at a time), open the record an entry is about, download what the filters select as CSV.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use serde::Deserialize;

use crate::domain::{DocId, Role};
use crate::i18n::{I18n, K};
use crate::ui::api::{self, query_value};
use crate::ui::components::ctx::Ctx;

/// Entries per page.
const PAGE: u32 = 50;

#[derive(Clone, Debug, PartialEq, Deserialize)]
struct Entry {
    id: i64,
    at: String,
    actor: Option<String>,
    action: String,
    target: Option<String>,
    #[serde(default)]
    detail: serde_json::Value,
}

#[derive(Deserialize)]
struct Page {
    entries: Vec<Entry>,
    next_before: Option<i64>,
}

/// The actions the relay logs, with their names (an action this list lacks shows as its code).
const ACTIONS: [(&str, K); 22] = [
    ("login_ok", K::AuditLoginOk),
    ("login_failed", K::AuditLoginFailed),
    ("login_rate_limited", K::AuditLoginRateLimited),
    ("logout", K::AuditLogout),
    ("session_revoked", K::AuditSessionRevoked),
    ("password_changed", K::AuditPasswordChanged),
    ("password_reset", K::AuditPasswordReset),
    ("record_read", K::AuditRecordRead),
    ("refused_change", K::AuditRefusedChange),
    ("user_created", K::AuditUserCreated),
    ("role_changed", K::AuditRoleChanged),
    ("team_changed", K::AuditTeamChanged),
    ("manager_changed", K::AuditManagerChanged),
    ("user_disabled", K::AuditUserDisabled),
    ("user_enabled", K::AuditUserEnabled),
    ("team_created", K::AuditTeamCreated),
    ("export_requested", K::AuditExportRequested),
    ("export_decided", K::AuditExportDecided),
    ("export_downloaded", K::AuditExportDownloaded),
    ("setup_admin_created", K::AuditSetupAdmin),
    ("import", K::AuditImport),
    ("erase_pii", K::AuditErasePii),
];

fn action_name(i18n: I18n, code: &str) -> String {
    ACTIONS.iter().find(|(c, _)| *c == code).map(|(_, k)| i18n.t(*k).to_string()).unwrap_or_else(|| code.to_string())
}

/// A local calendar day (`YYYY-MM-DD`, as a date input gives it) as the RFC 3339 instant of its start,
/// `days` later: the filter means the person's days, not UTC ones.
fn local_day_start(day: &str, days: u32) -> Option<String> {
    let mut parts = day.split('-').map(|p| p.parse::<u32>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    let date = js_sys::Date::new_with_year_month_day(y, m as i32 - 1, (d + days) as i32);
    date.to_iso_string().as_string()
}

/// A time in the UI's locale, to the minute.
fn when(i18n: I18n, at: &str) -> String {
    let d = js_sys::Date::new(&at.into());
    let opts = js_sys::Object::new();
    for (k, v) in [("dateStyle", "medium"), ("timeStyle", "short")] {
        let _ = js_sys::Reflect::set(&opts, &k.into(), &v.into());
    }
    d.to_locale_string(i18n.locale().tag(), &opts).as_string().unwrap_or_else(|| at.to_string())
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let token = move || ctx.store.session().with_untracked(|s| s.as_ref().map(|s| s.token.clone())).unwrap_or_default();
    let (actor, action, target) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let (since, until) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let entries = RwSignal::new(Vec::<Entry>::new());
    let next = RwSignal::new(None::<i64>);
    let error = RwSignal::new(None::<String>);
    let loading = RwSignal::new(false);
    let query = move || {
        let mut q = Vec::new();
        for (k, v) in [
            ("actor", actor.get_untracked()),
            ("action", action.get_untracked()),
            ("target", target.get_untracked().trim().to_string()),
        ] {
            if !v.is_empty() {
                q.push(format!("{k}={}", query_value(&v)));
            }
        }
        for (k, v, days) in [("since", since.get_untracked(), 0), ("until", until.get_untracked(), 1)] {
            if let Some(t) = local_day_start(&v, days) {
                q.push(format!("{k}={}", query_value(&t)));
            }
        }
        q.join("&")
    };
    let load = move |more: bool| {
        let mut path = format!("/api/v1/audit?limit={PAGE}&{}", query());
        if let (true, Some(b)) = (more, next.get_untracked()) {
            path.push_str(&format!("&before={b}"));
        }
        let token = token();
        loading.set(true);
        error.set(None);
        spawn_local(async move {
            let r = api::get::<Page>(&token, &path).await;
            loading.set(false);
            match r {
                Ok(p) => {
                    if more {
                        entries.update(|e| e.extend(p.entries));
                    } else {
                        entries.set(p.entries);
                    }
                    next.set(p.next_before);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    let is_admin = move || ctx.me().is_some_and(|m| m.role == Role::Admin);
    Effect::new(move |_| {
        if is_admin() {
            load(false)
        }
    });
    let download = move |_| {
        let (token, path) = (token(), format!("/api/v1/audit?format=csv&{}", query()));
        spawn_local(async move {
            match api::get_text(&token, &path).await.and_then(|csv| api::save_file("audit.csv", "text/csv", &csv)) {
                Ok(()) => {}
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    let user_options = move || {
        let mut out = vec![(String::new(), i18n.t(K::AnyPerson).to_string())];
        ctx.directory().with(|d| {
            if let Some(d) = d {
                out.extend(d.users.iter().map(|u| (u.id.to_string(), format!("{} ({})", u.name, u.id))));
            }
        });
        out
    };
    let action_options = move || {
        let mut out: Vec<(String, String)> = vec![(String::new(), i18n.t(K::AnyAction).to_string())];
        out.extend(ACTIONS.iter().map(|(c, k)| (c.to_string(), i18n.t(*k).to_string())));
        out
    };
    let target_view = move |t: Option<String>| {
        let t = t?;
        if let Ok(id) = DocId::parse(&t) {
            if let Some(v) = ctx.store.record(id.clone()).get_untracked() {
                return Some(view! { <A href=format!("/r/{id}")>{v.title().to_string()}</A> }.into_any());
            }
        }
        let name = ctx.directory().with_untracked(|d| {
            d.as_ref().and_then(|d| d.user(&crate::domain::UserId::new(t.clone())).map(|u| u.name.clone()))
        });
        Some(view! { <span>{name.map(|n| format!("{n} ({t})")).unwrap_or(t)}</span> }.into_any())
    };
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        load(false);
    };
    view! {
        <section class="audit-page">
            <h1>{move || i18n.t(K::AuditLog)}</h1>
            <Show when=is_admin fallback=move || view! { <p class="notice">{i18n.t(K::AuditNotAllowed)}</p> }>
                <form class="card audit-filters" on:submit=apply aria-label=move || i18n.t(K::Filters)>
                    <crate::ui::components::form::FormSelect name="audit-actor" label=Signal::derive(move || i18n.t(K::Person).to_string())
                        value=actor options=Signal::derive(user_options) error=Signal::derive(|| None::<String>) />
                    <crate::ui::components::form::FormSelect name="audit-action" label=Signal::derive(move || i18n.t(K::Action).to_string())
                        value=action options=Signal::derive(action_options) error=Signal::derive(|| None::<String>) />
                    <crate::ui::components::form::FormInput name="audit-target" label=Signal::derive(move || i18n.t(K::RecordOrPerson).to_string())
                        value=target error=Signal::derive(|| None::<String>) />
                    <crate::ui::components::form::FormInput name="audit-since" label=Signal::derive(move || i18n.t(K::FromDate).to_string())
                        value=since error=Signal::derive(|| None::<String>) input_type="date" />
                    <crate::ui::components::form::FormInput name="audit-until" label=Signal::derive(move || i18n.t(K::ToDate).to_string())
                        value=until error=Signal::derive(|| None::<String>) input_type="date" />
                    <div class="actions">
                        <button type="submit" class="primary">{move || i18n.t(K::ApplyFilters)}</button>
                        <button type="button" on:click=download>{move || i18n.t(K::DownloadCsv)}</button>
                    </div>
                </form>
                {move || error.get().map(|e| view! { <p class="notice notice-error" role="alert">{e}</p> })}
                <div class="table-scroll card">
                    <table class="data-table" aria-label=move || i18n.t(K::AuditLog)>
                        <thead>
                            <tr>
                                <th scope="col">{move || i18n.t(K::When)}</th>
                                <th scope="col">{move || i18n.t(K::Person)}</th>
                                <th scope="col">{move || i18n.t(K::Action)}</th>
                                <th scope="col">{move || i18n.t(K::RecordOrPerson)}</th>
                                <th scope="col">{move || i18n.t(K::Details)}</th>
                            </tr>
                        </thead>
                        <tbody>
                            <For each=move || entries.get() key=|e| e.id let:e>
                                <tr>
                                    <td>{when(i18n, &e.at)}</td>
                                    <td>{e.actor.clone().map(|a| ctx.user_name(&crate::domain::UserId::new(a))).unwrap_or_default()}</td>
                                    <td>{action_name(i18n, &e.action)}</td>
                                    <td>{target_view(e.target.clone())}</td>
                                    <td class="muted detail">{if e.detail.is_null() { String::new() } else { e.detail.to_string() }}</td>
                                </tr>
                            </For>
                        </tbody>
                    </table>
                    <Show when=move || entries.with(|e| e.is_empty()) && !loading.get()>
                        <p class="muted">{move || i18n.t(K::NoAuditEntries)}</p>
                    </Show>
                </div>
                <Show when=move || next.get().is_some()>
                    <button type="button" on:click=move |_| load(true) disabled=move || loading.get()>{move || i18n.t(K::OlderEntries)}</button>
                </Show>
            </Show>
        </section>
    }
}
