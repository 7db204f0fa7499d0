//! People (admins; a sales manager sees their team, read-only): the users with their role, team and
//! state, and the teams with their manager and parent. Every change shows its effect on who sees what
//! before it is saved. Users and teams change through the relay's admin API (accounts live there), which
//! writes the directory document; this page then sees it through sync like everyone else.
//!
//! # Layout
//! - `people.rs`: the page, the user list it loads, the one-time password notice.
//! - `people/users.rs`: the users table, editing one user (role, team, disabled, password, sessions),
//!   adding one.
//! - `people/bulk.rs`: adding many at once from a pasted list.
//! - `people/teams.rs`: the teams table, editing and adding teams.
//! - `people/effect.rs`: the preview ("rep2 will see 14 more deals").

mod bulk;
pub mod effect;
mod teams;
mod users;

use leptos::prelude::*;
use serde::Deserialize;

use crate::domain::{Role, TeamId, UserId};
use crate::i18n::{I18n, K};
use crate::ui::api;
use crate::ui::components::ctx::Ctx;

/// A user as `GET /api/v1/users` lists them.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct UserRow {
    pub id: UserId,
    pub name: String,
    pub role: Role,
    pub team: Option<TeamId>,
    pub disabled: bool,
    pub sessions: usize,
    #[serde(default)]
    pub must_change_password: bool,
}

/// Shared state of the page (a `Copy` bundle passed to its sections).
#[derive(Clone, Copy)]
pub struct PeopleCtx {
    pub token: Signal<String>,
    pub is_admin: Signal<bool>,
    /// Bumped after each change, to reload the user list.
    pub reload: RwSignal<u32>,
    /// One-time passwords just made: (user id, name, password). Shown once, until dismissed.
    pub passwords: RwSignal<Vec<(UserId, String, String)>>,
}

#[component]
pub fn PeoplePage() -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let token =
        Signal::derive(move || ctx.store.session().with(|s| s.as_ref().map(|s| s.token.clone())).unwrap_or_default());
    let is_admin = Signal::derive(move || ctx.me().is_some_and(|m| m.role == Role::Admin));
    let pc = PeopleCtx { token, is_admin, reload: RwSignal::new(0), passwords: RwSignal::new(Vec::new()) };
    let users = LocalResource::new(move || {
        pc.reload.track();
        // The directory changes when someone else edits people: the list follows.
        ctx.directory().track();
        let token = token.get_untracked();
        async move { api::get::<Vec<UserRow>>(&token, "/api/v1/users").await }
    });
    let rows = Signal::derive(move || users.get().and_then(|r| r.ok()).unwrap_or_default());
    let error = move || users.get().and_then(|r| r.err()).map(|e| e.to_string());
    let may_see = move || ctx.me().is_some_and(|m| matches!(m.role, Role::Admin | Role::SalesManager));
    view! {
        <section class="people-page">
            <h1>{move || i18n.t(K::People)}</h1>
            <Show when=may_see fallback=move || view! { <p class="notice">{i18n.t(K::PeopleNotAllowed)}</p> }>
                <Show when=move || !is_admin.get()>
                    <p class="muted">{move || i18n.t(K::PeopleReadOnly)}</p>
                </Show>
                <OneTimePasswords pc=pc />
                {move || error().map(|e| view! { <p class="notice notice-error" role="alert">{e}</p> })}
                <users::UsersSection pc=pc rows=rows />
                <Show when=move || is_admin.get()>
                    <users::NewUserForm pc=pc />
                    <bulk::BulkForm pc=pc />
                </Show>
                <teams::TeamsSection pc=pc />
            </Show>
        </section>
    }
}

/// The one-time passwords just made, with the advice to hand them over now: they are not shown again.
#[component]
fn OneTimePasswords(pc: PeopleCtx) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let download = move |_| {
        let mut text = String::from("username,name,one_time_password\r\n");
        for (id, name, pw) in pc.passwords.get_untracked() {
            text.push_str(&format!("{id},\"{}\",{pw}\r\n", name.replace('"', "\"\"")));
        }
        if let Err(e) = api::save_file("one-time-passwords.csv", "text/csv", &text) {
            leptos::logging::warn!("{e}");
        }
    };
    view! {
        <Show when=move || pc.passwords.with(|p| !p.is_empty())>
            <section class="card one-time" role="alert" aria-label=move || i18n.t(K::OneTimePasswords)>
                <h2>{move || i18n.t(K::OneTimePasswords)}</h2>
                <p>{move || i18n.t(K::OneTimeShownOnce)}</p>
                <table class="data-table">
                    <thead>
                        <tr>
                            <th scope="col">{move || i18n.t(K::Username)}</th>
                            <th scope="col">{move || i18n.t(K::Name)}</th>
                            <th scope="col">{move || i18n.t(K::OneTimePassword)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || {
                            pc.passwords
                                .get()
                                .into_iter()
                                .map(|(id, name, pw)| {
                                    view! {
                                        <tr>
                                            <td>{id.to_string()}</td>
                                            <td>{name}</td>
                                            <td><code class="password">{pw}</code></td>
                                        </tr>
                                    }
                                })
                                .collect_view()
                        }}
                    </tbody>
                </table>
                <div class="actions">
                    <button type="button" on:click=download>{move || i18n.t(K::DownloadCsv)}</button>
                    <button type="button" on:click=move |_| pc.passwords.set(Vec::new())>{move || i18n.t(K::HandedOver)}</button>
                </div>
            </section>
        </Show>
    }
}
