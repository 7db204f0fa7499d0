//! The app shell: header (title, search, sync state with the count of changes waiting, language,
//! sign-out), navigation (a bottom tab bar on phones with "More" for exports and settings, a sidebar on
//! desktop), refused-change notices, the confirmation dialog for risky changes, and the page.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

use super::confirm::{Confirm, ConfirmDialog};
use super::ctx::Ctx;
use super::search::SearchPalette;
use crate::domain::RecordKind;
use crate::i18n::{I18n, Locale, K};
use crate::sync::SyncStatus;

#[component]
pub fn Shell(children: Children) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    Confirm::provide();
    super::due::DueNow::provide(ctx);
    let search_open = RwSignal::new(false);
    view! {
        <div class="shell">
            <header class="topbar">
                <span class="brand">{move || i18n.t(K::AppName)}</span>
                <button
                    class="search-button"
                    aria-label=move || format!("{} (/)", i18n.t(K::SearchEverything))
                    aria-keyshortcuts="/ Control+K"
                    on:click=move |_| search_open.set(true)
                >
                    <Icon name="search" />
                    <span class="search-button-text">{move || i18n.t(K::Search)}</span>
                    <kbd class="desktop-only">"Ctrl K"</kbd>
                </button>
                <SyncBadge />
                <LanguageSwitch />
                <A
                    href="/profile"
                    attr:class="me me-link"
                    attr:title=move || ctx.me().map(|m| m.name).unwrap_or_default()
                    attr:aria-label=move || {
                        format!("{}: {}", i18n.t(K::Profile), ctx.me().map(|m| m.name).unwrap_or_default())
                    }
                >
                    {move || ctx.me().map(|m| super::ctx::initials(&m.name)).unwrap_or_default()}
                </A>
                <button
                    class="icon-button"
                    aria-label=move || i18n.t(K::SignOut)
                    title=move || i18n.t(K::SignOut)
                    on:click=move |_| {
                        let store = ctx.store;
                        spawn_local(async move { store.logout().await })
                    }
                >
                    <Icon name="logout" />
                </button>
            </header>
            <Nav />
            <main class="page" id="main">
                <Refusals />
                <ErrorToast />
                {children()}
            </main>
            <SearchPalette open=search_open />
            <ConfirmDialog />
        </div>
    }
}

/// Who is offered a navigation entry.
#[derive(Clone, Copy)]
enum Gate {
    All,
    Sees(RecordKind),
    /// Those who may change the directory (admins).
    Admin,
    /// Admins, and sales managers (who read their team).
    People,
    /// Whoever may create records of some kind (`domain::import::preview::may_import`).
    Import,
}

/// (address, label, icon, who, in the phone tab bar). The sidebar shows them all in this order; a phone's
/// tab bar has room for the first four it may see and "More" for the rest.
const ENTRIES: [(&str, K, &str, Gate, bool); 12] = [
    ("/", K::Today, "today", Gate::All, true),
    ("/board", K::Pipeline, "board", Gate::Sees(RecordKind::Opportunity), true),
    ("/leads", K::Leads, "lead", Gate::Sees(RecordKind::Lead), false),
    ("/opportunities", K::Opportunities, "deal", Gate::Sees(RecordKind::Opportunity), true),
    ("/customers", K::Customers, "customer", Gate::Sees(RecordKind::Customer), true),
    ("/contacts", K::Contacts, "contact", Gate::Sees(RecordKind::Contact), false),
    ("/dashboard", K::Dashboard, "chart", Gate::Sees(RecordKind::Opportunity), false),
    ("/exports", K::Exports, "export", Gate::All, false),
    ("/import", K::Import, "import", Gate::Import, false),
    ("/settings/fields", K::Settings, "settings", Gate::Admin, false),
    ("/people", K::People, "people", Gate::People, false),
    ("/audit", K::AuditLog, "audit", Gate::Admin, false),
];

/// Is `path` the page of (or under) the entry at `href`?
fn under(href: &str, path: &str) -> bool {
    match href {
        "/" => path == "/",
        "/settings/fields" => path.starts_with("/settings"),
        _ => path.starts_with(href),
    }
}

#[component]
fn Nav() -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let location = use_location();
    let may_admin = move || {
        let Some(me) = ctx.me_id() else { return false };
        ctx.directory().with(|d| d.as_ref().is_some_and(|d| crate::domain::may_write_directory(&me, d)))
    };
    let may_see_people = move || {
        ctx.me().is_some_and(|m| matches!(m.role, crate::domain::Role::Admin | crate::domain::Role::SalesManager))
    };
    let may_import = move || {
        let Some(me) = ctx.me_id() else { return false };
        ctx.directory().with(|d| {
            d.as_ref().is_some_and(|d| {
                crate::domain::import::preview::IMPORT_KINDS
                    .into_iter()
                    .any(|k| crate::domain::import::preview::may_import(&me, d, k))
            })
        })
    };
    let offered = move |gate: Gate| match gate {
        Gate::All => true,
        Gate::Sees(k) => ctx.sees_kind(k),
        Gate::Admin => may_admin(),
        Gate::People => may_see_people(),
        Gate::Import => may_import(),
    };
    // Phones: the entries outside the tab bar live behind "More"; closed on every navigation.
    let more_open = RwSignal::new(false);
    Effect::new(move |_| {
        location.pathname.track();
        more_open.set(false);
    });
    let secondary_current = move || {
        let p = location.pathname.get();
        ENTRIES.iter().any(|(href, _, _, _, bar)| !bar && under(href, &p))
    };
    let current = move |href: &'static str| move || under(href, &location.pathname.get()).then_some("page");
    view! {
        <nav
            class="nav"
            aria-label=move || i18n.t(K::Navigation)
            on:keydown=move |e| {
                if e.key() == "Escape" && more_open.get_untracked() {
                    more_open.set(false);
                }
            }
        >
            {ENTRIES
                .into_iter()
                .map(|(href, label, icon, gate, bar)| {
                    view! {
                        <Show when=move || offered(gate)>
                            <A
                                href=href
                                attr:class=if bar { "nav-item" } else { "nav-item nav-secondary" }
                                attr:aria-current=current(href)
                            >
                                <Icon name=icon />
                                <span class="nav-label">{move || i18n.t(label)}</span>
                                {(href == "/").then(|| view! { <super::due::DueBadge /> })}
                            </A>
                        </Show>
                    }
                })
                .collect_view()}
            <button
                class="nav-item nav-more"
                class:nav-more-current=secondary_current
                aria-expanded=move || more_open.get().to_string()
                aria-controls="nav-more-menu"
                on:click=move |_| more_open.update(|o| *o = !*o)
            >
                <Icon name="more" />
                <span class="nav-label">{move || i18n.t(K::More)}</span>
            </button>
            <Show when=move || more_open.get()>
                <ul id="nav-more-menu" class="nav-more-menu card">
                    {ENTRIES
                        .into_iter()
                        .filter(|e| !e.4)
                        .map(|(href, label, icon, gate, _)| {
                            view! {
                                <Show when=move || offered(gate)>
                                    <li>
                                        <A href=href attr:class="nav-more-item" attr:aria-current=current(href)>
                                            <Icon name=icon />
                                            <span>{move || i18n.t(label)}</span>
                                        </A>
                                    </li>
                                </Show>
                            }
                        })
                        .collect_view()}
                </ul>
            </Show>
        </nav>
    }
}

/// "Offline · 3 changes waiting" / "Syncing N" / "Up to date", announced politely to screen readers. The
/// count is the store's unacknowledged local edits (kept across reloads), so nobody closes the laptop
/// believing everything reached the team.
#[component]
fn SyncBadge() -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let status = ctx.store.sync_status();
    let waiting = ctx.store.pending_changes();
    let text = move || {
        let state = match status.get() {
            SyncStatus::Offline => i18n.t(K::Offline).to_string(),
            SyncStatus::Connecting => i18n.t(K::Connecting).to_string(),
            SyncStatus::Syncing { pending } => format!("{} {pending}", i18n.t(K::Syncing)),
            SyncStatus::UpToDate => return i18n.t(K::UpToDate).to_string(),
        };
        match waiting.get() {
            0 => state,
            n => {
                let count = i18n.plural(n, K::ChangeWaiting, K::ChangesWaiting).replace("{n}", &i18n.number(n as f64));
                format!("{state} · {count}")
            }
        }
    };
    let class = move || match status.get() {
        SyncStatus::Offline => "sync sync-offline",
        SyncStatus::Connecting | SyncStatus::Syncing { .. } => "sync sync-busy",
        SyncStatus::UpToDate => "sync sync-ok",
    };
    view! {
        <span class=class role="status" aria-live="polite" aria-label=move || i18n.t(K::SyncState) title=text>
            <span class="sync-dot" aria-hidden="true"></span>
            <span class="sync-text">{text}</span>
        </span>
    }
}

#[component]
fn LanguageSwitch() -> impl IntoView {
    let i18n = I18n::use_i18n();
    view! {
        <select
            class="lang"
            aria-label=move || i18n.t(K::Language)
            on:change=move |ev| {
                let v = event_target_value(&ev);
                if let Some(l) = Locale::ALL.into_iter().find(|l| l.tag() == v) {
                    i18n.set(l);
                }
            }
        >
            {Locale::ALL
                .into_iter()
                .map(|l| {
                    view! {
                        <option value=l.tag() selected=move || i18n.locale() == l>
                            {l.native_name()}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    }
}

/// Changes the relay refused: what was lost and why, until dismissed. Never silent.
#[component]
fn Refusals() -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let refusals = ctx.store.refusals();
    view! {
        <div class="notices" aria-live="assertive">
            <For each=move || refusals.get() key=|r| r.id let:r>
                <div class="notice notice-refused" role="alert">
                    <div>
                        <strong>{move || i18n.t(K::NotSaved)}": "</strong>
                        {r.reason.clone()}
                        <span class="muted">" ("{r.path.clone()}")"</span>
                        <ul class="refused-edits">
                            {r.edits.iter().map(|e| view! { <li>{e.clone()}</li> }).collect_view()}
                        </ul>
                    </div>
                    <button
                        class="icon-button"
                        aria-label=move || i18n.t(K::Dismiss)
                        on:click=move |_| ctx.store.dismiss_refusal(r.id)
                    >
                        "×"
                    </button>
                </div>
            </For>
        </div>
    }
}

#[component]
fn ErrorToast() -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let store_err = ctx.store.last_error();
    let err = Signal::derive(move || ctx.error.get().or_else(|| store_err.get()));
    view! {
        <Show when=move || err.with(|e| e.is_some())>
            <div class="notice notice-error" role="alert">
                <span>{move || err.get().unwrap_or_default()}</span>
                <button class="icon-button" aria-label=move || i18n.t(K::Dismiss) on:click=move |_| {
                    ctx.error.set(None);
                    ctx.store.clear_error();
                }>
                    "×"
                </button>
            </div>
        </Show>
    }
}

/// A small inline SVG icon (decorative: the control around it carries the name).
#[component]
pub fn Icon(name: &'static str) -> impl IntoView {
    let d = match name {
        "search" => "M10.5 3a7.5 7.5 0 0 1 5.9 12.1l4.3 4.3-1.4 1.4-4.3-4.3A7.5 7.5 0 1 1 10.5 3zm0 2a5.5 5.5 0 1 0 0 11 5.5 5.5 0 0 0 0-11z",
        "logout" => "M10 3h-5v18h5v-2H7V5h3zm6.6 4.6L15.2 9l2 2H9v2h8.2l-2 2 1.4 1.4L21 12z",
        "today" => "M7 2v2H4v18h16V4h-3V2h-2v2H9V2zM6 9h12v11H6zm2 2v3h3v-3z",
        "board" => "M3 4h5v16H3zm6.5 0h5v11h-5zM16 4h5v7h-5z",
        "lead" => "M12 2 3 7l9 5 9-5zm-9 9 9 5 9-5v3l-9 5-9-5z",
        "deal" => "M3 6h18v12H3zm2 2v8h14V8zm7 1.5a2.5 2.5 0 1 1 0 5 2.5 2.5 0 0 1 0-5z",
        "customer" => "M4 21V7l8-4 8 4v14h-6v-6h-4v6zm4-10h2V9H8zm6 0h2V9h-2z",
        "contact" => "M12 4a4 4 0 1 1 0 8 4 4 0 0 1 0-8zm0 10c4.4 0 8 2 8 4.5V21H4v-2.5C4 16 7.6 14 12 14z",
        "chart" => "M4 20V10h3v10zm6.5 0V4h3v16zM17 20v-7h3v7z",
        "export" => "M11 3h2v9.2l3.3-3.3 1.4 1.4L12 16l-5.7-5.7 1.4-1.4 3.3 3.3zM4 18h16v2H4z",
        "import" => "M11 16h2V6.8l3.3 3.3 1.4-1.4L12 3 6.3 8.7l1.4 1.4L11 6.8zM4 18h16v2H4z",
        "more" => "M5 10a2 2 0 1 1 0 4 2 2 0 0 1 0-4zm7 0a2 2 0 1 1 0 4 2 2 0 0 1 0-4zm7 0a2 2 0 1 1 0 4 2 2 0 0 1 0-4z",
        "settings" => "M10 2h4l.6 2.6 1.8.8 2.3-1.4 2.8 2.8-1.4 2.3.8 1.8L22 10v4l-2.6.6-.8 1.8 1.4 2.3-2.8 2.8-2.3-1.4-1.8.8L14 22h-4l-.6-2.6-1.8-.8-2.3 1.4-2.8-2.8 1.4-2.3-.8-1.8L2 14v-4l2.6-.6.8-1.8-1.4-2.3 2.8-2.8 2.3 1.4 1.8-.8zm2 6.5a3.5 3.5 0 1 0 0 7 3.5 3.5 0 0 0 0-7z",
        "people" => "M9 4a3.5 3.5 0 1 1 0 7 3.5 3.5 0 0 1 0-7zm7.5 1a3 3 0 1 1 0 6 3 3 0 0 1 0-6zM9 13c3.9 0 7 1.8 7 4v3H2v-3c0-2.2 3.1-4 7-4zm8.5.2c2.6.3 4.5 1.6 4.5 3.3V20h-4v-3c0-1.5-.2-2.7-.5-3.8z",
        "audit" => "M6 2h9l5 5v15H6zm8 1.5V8h4.5zM8.5 12v2h9v-2zm0 4v2h9v-2zm0-8v2h4V8z",
        _ => "",
    };
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <path d=d fill="currentColor"></path>
        </svg>
    }
}
