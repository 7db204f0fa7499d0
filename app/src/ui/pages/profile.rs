//! The profile page (every user): who I am (name, role, team), change my password, and sign out my other
//! devices.

mod password;

pub use password::PasswordForm;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use serde::Deserialize;

use crate::domain::Role;
use crate::i18n::{I18n, K};
use crate::ui::api;
use crate::ui::components::ctx::Ctx;

/// One of my sessions as `GET /api/me/sessions` lists it.
#[derive(Clone, Debug, Deserialize)]
struct MySession {
    current: bool,
}

/// A role's name in the UI language.
pub fn role_label(role: Role) -> K {
    use Role::*;
    match role {
        Admin => K::RoleAdmin,
        SalesManager => K::RoleSalesManager,
        SalesRep => K::RoleSalesRep,
        AccountManager => K::RoleAccountManager,
        Marketing => K::RoleMarketing,
        AfterSales => K::RoleAfterSales,
        Analyst => K::RoleAnalyst,
    }
}

#[component]
pub fn ProfilePage() -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let token =
        Signal::derive(move || ctx.store.session().with(|s| s.as_ref().map(|s| s.token.clone())).unwrap_or_default());
    let team_name = move || {
        let me = ctx.me()?;
        let team = me.team?;
        Some(ctx.directory().with(|d| {
            d.as_ref().and_then(|d| d.team(&team)).map(|t| t.name.clone()).unwrap_or_else(|| team.to_string())
        }))
    };
    let refresh = RwSignal::new(0u32);
    let sessions = LocalResource::new(move || {
        refresh.track();
        let token = token.get_untracked();
        async move { api::get::<Vec<MySession>>(&token, "/api/me/sessions").await }
    });
    let others = move || sessions.get().and_then(|r| r.ok()).map(|l| l.iter().filter(|s| !s.current).count());
    let message = RwSignal::new(None::<String>);
    let sign_out_others = move |_| {
        let token = token.get_untracked();
        spawn_local(async move {
            match api::delete::<serde_json::Value>(&token, "/api/me/sessions").await {
                Ok(v) => {
                    let n = v["revoked"].as_u64().unwrap_or(0);
                    message.set(Some(i18n.t(K::SignedOutOthers).replace("{n}", &n.to_string())));
                    refresh.update(|x| *x += 1);
                }
                Err(e) => ctx.report(e),
            }
        });
    };
    view! {
        <section class="profile-page">
            <h1>{move || i18n.t(K::Profile)}</h1>
            <dl class="card profile-facts">
                <dt>{move || i18n.t(K::Name)}</dt>
                <dd>{move || ctx.me().map(|m| m.name).unwrap_or_default()}</dd>
                <dt>{move || i18n.t(K::Username)}</dt>
                <dd>{move || ctx.me_id().map(|m| m.to_string()).unwrap_or_default()}</dd>
                <dt>{move || i18n.t(K::Role)}</dt>
                <dd>{move || ctx.me().map(|m| i18n.t(role_label(m.role))).unwrap_or_default()}</dd>
                <dt>{move || i18n.t(K::Team)}</dt>
                <dd>{move || team_name().unwrap_or_else(|| i18n.t(K::NoTeam).to_string())}</dd>
            </dl>
            <h2>{move || i18n.t(K::ChangePassword)}</h2>
            <PasswordForm token=token on_done=Callback::new(move |_| refresh.update(|x| *x += 1)) />
            <h2>{move || i18n.t(K::OtherDevices)}</h2>
            <div class="card">
                <p>
                    {move || match others() {
                        Some(n) => i18n.t(K::OtherDevicesCount).replace("{n}", &n.to_string()),
                        None => String::new(),
                    }}
                </p>
                <button type="button" on:click=sign_out_others disabled=move || others() == Some(0)>
                    {move || i18n.t(K::SignOutOthers)}
                </button>
                <Show when=move || message.with(|m| m.is_some())>
                    <p role="status">{move || message.get().unwrap_or_default()}</p>
                </Show>
            </div>
            // On a phone the sidebar's admin entries are not shown: they are reachable from here.
            <Show when=move || ctx.me().is_some_and(|m| matches!(m.role, Role::Admin | Role::SalesManager))>
                <h2>{move || i18n.t(K::Administration)}</h2>
                <ul class="card admin-links">
                    <li><A href="/people">{move || i18n.t(K::People)}</A></li>
                    <Show when=move || ctx.me().is_some_and(|m| m.role == Role::Admin)>
                        <li><A href="/audit">{move || i18n.t(K::AuditLog)}</A></li>
                    </Show>
                </ul>
            </Show>
        </section>
    }
}
