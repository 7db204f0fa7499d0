//! Teams: name, manager and parent team; editing one or adding one previews the effect (a new manager
//! sees the team's records, a team moved under another is seen by that team's manager).

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::effect::EffectPreview;
use super::PeopleCtx;
use crate::domain::{Directory, Role, Team, TeamId, UserId};
use crate::i18n::{I18n, K};
use crate::ui::api;
use crate::ui::components::ctx::Ctx;
use crate::ui::components::form::{FormInput, FormSelect};

/// Who may manage a team: sales managers and admins ("none" first).
fn manager_options(i18n: I18n, dir: Option<&Directory>) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), i18n.t(K::NoManager).to_string())];
    if let Some(d) = dir {
        out.extend(
            d.users
                .iter()
                .filter(|u| matches!(u.role, Role::SalesManager | Role::Admin) && !u.disabled)
                .map(|u| (u.id.to_string(), u.name.clone())),
        );
    }
    out
}

fn parent_options(i18n: I18n, dir: Option<&Directory>, except: Option<&TeamId>) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), i18n.t(K::NoParentTeam).to_string())];
    if let Some(d) = dir {
        out.extend(d.teams.iter().filter(|t| Some(&t.id) != except).map(|t| (t.id.to_string(), t.name.clone())));
    }
    out
}

/// A team id from its name: lowercase ASCII letters and digits joined by `-`; `team-N` when the name has
/// none (a Chinese name).
fn team_id_for(name: &str, dir: &Directory) -> TeamId {
    let slug: String = name
        .to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let free = |id: &str| dir.team(&TeamId::new(id)).is_none();
    if !slug.is_empty() && free(&slug) {
        return TeamId::new(slug);
    }
    let base = if slug.is_empty() { "team".to_string() } else { slug };
    let id = (1..).map(|n| format!("{base}-{n}")).find(|id| free(id)).unwrap_or(base);
    TeamId::new(id)
}

fn opt<T>(s: String, f: impl Fn(String) -> T) -> Option<T> {
    Some(s).filter(|s| !s.is_empty()).map(f)
}

#[component]
pub fn TeamsSection(pc: PeopleCtx) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    // `None`: closed; `Some(None)`: a new team; `Some(Some(id))`: editing that team.
    let editing = RwSignal::new(None::<Option<TeamId>>);
    let teams =
        Signal::derive(move || ctx.directory().with(|d| d.as_ref().map(|d| d.teams.clone()).unwrap_or_default()));
    let name_of = move |id: &Option<UserId>| id.as_ref().map(|u| ctx.user_name(u)).unwrap_or_default();
    let team_of = move |id: &Option<TeamId>| {
        id.as_ref()
            .map(|t| {
                ctx.directory().with(|d| d.as_ref().and_then(|d| d.team(t)).map(|t| t.name.clone())).unwrap_or_default()
            })
            .unwrap_or_default()
    };
    view! {
        <section class="card" aria-label=move || i18n.t(K::Teams)>
            <h2>{move || i18n.t(K::Teams)}</h2>
            <div class="table-scroll">
                <table class="data-table">
                    <thead>
                        <tr>
                            <th scope="col">{move || i18n.t(K::Team)}</th>
                            <th scope="col">{move || i18n.t(K::Manager)}</th>
                            <th scope="col">{move || i18n.t(K::ParentTeam)}</th>
                            <th scope="col"><span class="visually-hidden">{move || i18n.t(K::Actions)}</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || teams.get().into_iter().map(|t: Team| {
                            let label = format!("{} {}", i18n.t(K::Edit), t.name);
                            let id = t.id.clone();
                            view! {
                                <tr>
                                    <td>{t.name.clone()}</td>
                                    <td>{name_of(&t.manager)}</td>
                                    <td>{team_of(&t.parent)}</td>
                                    <td>
                                        <Show when=move || pc.is_admin.get()>
                                            <button type="button" aria-label=label.clone() on:click={
                                                let id = id.clone();
                                                move |_| editing.set(Some(Some(id.clone())))
                                            }>{i18n.t(K::Edit)}</button>
                                        </Show>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <Show when=move || pc.is_admin.get() && editing.with(|e| e.is_none())>
                <button type="button" on:click=move |_| editing.set(Some(None))>{move || i18n.t(K::AddTeam)}</button>
            </Show>
            {move || editing.get().map(|t| view! { <TeamEditor pc=pc team=t on_close=Callback::new(move |_| editing.set(None)) /> })}
        </section>
    }
}

#[component]
fn TeamEditor(pc: PeopleCtx, team: Option<TeamId>, on_close: Callback<()>) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let existing =
        team.as_ref().and_then(|t| ctx.directory().with_untracked(|d| d.as_ref().and_then(|d| d.team(t)).cloned()));
    let name = RwSignal::new(existing.as_ref().map(|t| t.name.clone()).unwrap_or_default());
    let manager =
        RwSignal::new(existing.as_ref().and_then(|t| t.manager.as_ref()).map(|m| m.to_string()).unwrap_or_default());
    let parent =
        RwSignal::new(existing.as_ref().and_then(|t| t.parent.as_ref()).map(|p| p.to_string()).unwrap_or_default());
    let name_err = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let id = StoredValue::new(team.clone());
    let after = Signal::derive(move || {
        let mut d = ctx.directory().get()?;
        let t = Team {
            id: id.get_value().unwrap_or_else(|| team_id_for(&name.get(), &d)),
            name: name.get().trim().to_string(),
            manager: opt(manager.get(), UserId::new),
            parent: opt(parent.get(), TeamId::new),
        };
        match d.teams.iter_mut().find(|x| x.id == t.id) {
            Some(x) => *x = t,
            None => d.teams.push(t),
        }
        Some(d)
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let n = name.get_untracked().trim().to_string();
        name_err.set(n.is_empty().then(|| i18n.t(K::ErrName).to_string()));
        if n.is_empty() {
            return;
        }
        let (m, p) = (opt(manager.get_untracked(), |s| s), opt(parent.get_untracked(), |s| s));
        let token = pc.token.get_untracked();
        let req = match id.get_value() {
            Some(t) => {
                ("PATCH", format!("/api/v1/teams/{t}"), serde_json::json!({ "name": n, "manager": m, "parent": p }))
            }
            None => {
                let t = ctx.directory().with_untracked(|d| d.as_ref().map(|d| team_id_for(&n, d)));
                let t = t.unwrap_or_else(|| TeamId::new("team"));
                ("POST", "/api/v1/teams".into(), serde_json::json!({ "id": t, "name": n, "manager": m, "parent": p }))
            }
        };
        error.set(None);
        spawn_local(async move {
            let r = match req.0 {
                "PATCH" => api::patch::<serde_json::Value>(&token, &req.1, req.2).await,
                _ => api::post::<serde_json::Value>(&token, &req.1, Some(req.2)).await,
            };
            match r {
                Ok(_) => {
                    pc.reload.update(|x| *x += 1);
                    on_close.run(());
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    let heading = move || match &existing {
        Some(t) => format!("{} {}", i18n.t(K::Edit), t.name),
        None => i18n.t(K::AddTeam).to_string(),
    };
    let except = team.clone();
    view! {
        <form class="editor" on:submit=submit novalidate=true>
            <h3>{heading}</h3>
            <FormInput name="team-name" label=Signal::derive(move || i18n.t(K::TeamName).to_string()) value=name
                error=name_err required=true />
            <FormSelect name="team-manager" label=Signal::derive(move || i18n.t(K::Manager).to_string()) value=manager
                options=Signal::derive(move || ctx.directory().with(|d| manager_options(i18n, d.as_ref())))
                error=Signal::derive(|| None::<String>) />
            <FormSelect name="team-parent" label=Signal::derive(move || i18n.t(K::ParentTeam).to_string()) value=parent
                options=Signal::derive(move || ctx.directory().with(|d| parent_options(i18n, d.as_ref(), except.as_ref())))
                error=Signal::derive(|| None::<String>) />
            <EffectPreview after=after />
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <div class="actions">
                <button type="submit" class="primary">{move || i18n.t(K::SaveChanges)}</button>
                <button type="button" on:click=move |_| on_close.run(())>{move || i18n.t(K::Cancel)}</button>
            </div>
        </form>
    }
}
