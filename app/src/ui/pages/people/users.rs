//! The users table and its editor (role, team, enabled; reset password; sign out everywhere), and the
//! form to add one person. Role and team changes preview their effect before saving.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::effect::EffectPreview;
use super::{PeopleCtx, UserRow};
use crate::domain::{people::valid_id, Directory, Role, TeamId, User, UserId};
use crate::i18n::{I18n, K};
use crate::ui::api;
use crate::ui::components::ctx::Ctx;
use crate::ui::components::form::{FormInput, FormSelect};
use crate::ui::pages::profile::role_label;

/// Role choices for a select: (value, label).
pub fn role_options(i18n: I18n) -> Vec<(String, String)> {
    Role::ALL.iter().map(|r| (r.as_str().to_string(), i18n.t(role_label(*r)).to_string())).collect()
}

/// Team choices for a select, "no team" first.
pub fn team_options(i18n: I18n, dir: Option<&Directory>) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), i18n.t(K::NoTeam).to_string())];
    if let Some(d) = dir {
        out.extend(d.teams.iter().map(|t| (t.id.to_string(), t.name.clone())));
    }
    out
}

fn team_name(dir: Option<&Directory>, team: &Option<TeamId>) -> Option<String> {
    let t = team.as_ref()?;
    Some(dir.and_then(|d| d.team(t)).map(|t| t.name.clone()).unwrap_or_else(|| t.to_string()))
}

#[component]
pub fn UsersSection(pc: PeopleCtx, rows: Signal<Vec<UserRow>>) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let editing = RwSignal::new(None::<UserId>);
    let row_view = move |u: UserRow| {
        let id = u.id.clone();
        let label = format!("{} {}", i18n.t(K::Edit), u.name);
        let status = if u.disabled {
            K::Disabled
        } else if u.must_change_password {
            K::AwaitsPassword
        } else {
            K::Active
        };
        view! {
            <tr>
                <td>{u.name.clone()}<div class="muted">{u.id.to_string()}</div></td>
                <td>{i18n.t(role_label(u.role))}</td>
                <td>{move || ctx.directory().with(|d| team_name(d.as_ref(), &u.team)).unwrap_or_default()}</td>
                <td>{i18n.t(status)}</td>
                <td class="num">{u.sessions}</td>
                <td>
                    <Show when=move || pc.is_admin.get()>
                        <button type="button" aria-label=label.clone() on:click={
                            let id = id.clone();
                            move |_| editing.set(Some(id.clone()))
                        }>
                            {i18n.t(K::Edit)}
                        </button>
                    </Show>
                </td>
            </tr>
        }
    };
    view! {
        <section class="card" aria-label=move || i18n.t(K::Users)>
            <h2>{move || i18n.t(K::Users)}</h2>
            <div class="table-scroll">
                <table class="data-table">
                    <thead>
                        <tr>
                            <th scope="col">{move || i18n.t(K::Name)}</th>
                            <th scope="col">{move || i18n.t(K::Role)}</th>
                            <th scope="col">{move || i18n.t(K::Team)}</th>
                            <th scope="col">{move || i18n.t(K::State)}</th>
                            <th scope="col">{move || i18n.t(K::Sessions)}</th>
                            <th scope="col"><span class="visually-hidden">{move || i18n.t(K::Actions)}</span></th>
                        </tr>
                    </thead>
                    <tbody>{move || rows.get().into_iter().map(row_view).collect_view()}</tbody>
                </table>
            </div>
            {move || {
                let id = editing.get()?;
                let row = rows.with(|r| r.iter().find(|u| u.id == id).cloned())?;
                Some(view! { <UserEditor pc=pc row=row on_close=Callback::new(move |_| editing.set(None)) /> })
            }}
        </section>
    }
}

/// Editing one user: the change is previewed, then saved with `PATCH /api/v1/users/{id}`.
#[component]
fn UserEditor(pc: PeopleCtx, row: UserRow, on_close: Callback<()>) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let role = RwSignal::new(row.role.as_str().to_string());
    let team = RwSignal::new(row.team.as_ref().map(|t| t.to_string()).unwrap_or_default());
    let enabled = RwSignal::new(!row.disabled);
    let error = RwSignal::new(None::<String>);
    let id = row.id.clone();
    let target = id.clone();
    let after = Signal::derive(move || {
        let mut d = ctx.directory().get()?;
        let u = d.users.iter_mut().find(|u| u.id == target)?;
        u.role = Role::parse(&role.get()).ok()?;
        u.team = Some(team.get()).filter(|t| !t.is_empty()).map(TeamId::new);
        u.disabled = !enabled.get();
        Some(d)
    });
    let run = move |fut: std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), api::ApiError>>>>| {
        error.set(None);
        spawn_local(async move {
            match fut.await {
                Ok(()) => pc.reload.update(|x| *x += 1),
                Err(e) => error.set(Some(e.to_string())),
            }
        })
    };
    let path = format!("/api/v1/users/{id}");
    let save = {
        let path = path.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let body = serde_json::json!({
                "role": role.get_untracked(),
                "team": Some(team.get_untracked()).filter(|t| !t.is_empty()),
                "disabled": !enabled.get_untracked(),
            });
            let (token, path) = (pc.token.get_untracked(), path.clone());
            run(Box::pin(async move {
                api::patch::<serde_json::Value>(&token, &path, body).await?;
                on_close.run(());
                Ok::<(), api::ApiError>(())
            }))
        }
    };
    let reset = {
        let (path, id, name) = (path.clone(), id.clone(), row.name.clone());
        move |_| {
            let (token, path, id, name) =
                (pc.token.get_untracked(), format!("{path}/password"), id.clone(), name.clone());
            run(Box::pin(async move {
                let v: serde_json::Value = api::post(&token, &path, None).await?;
                let pw = v["one_time_password"].as_str().unwrap_or_default().to_string();
                pc.passwords.update(|p| p.push((id, name, pw)));
                Ok::<(), api::ApiError>(())
            }))
        }
    };
    let revoke = move |_| {
        let (token, path) = (pc.token.get_untracked(), format!("{path}/sessions"));
        run(Box::pin(async move { api::delete::<serde_json::Value>(&token, &path).await.map(|_| ()) }))
    };
    let heading = format!("{} {}", i18n.t(K::Edit), row.name);
    view! {
        <form class="editor" on:submit=save aria-label=heading.clone()>
            <h3>{heading.clone()}</h3>
            <FormSelect name="edit-role" label=Signal::derive(move || i18n.t(K::Role).to_string()) value=role
                options=Signal::derive(move || role_options(i18n)) error=Signal::derive(|| None::<String>) />
            <FormSelect name="edit-team" label=Signal::derive(move || i18n.t(K::Team).to_string()) value=team
                options=Signal::derive(move || ctx.directory().with(|d| team_options(i18n, d.as_ref())))
                error=Signal::derive(|| None::<String>) />
            <label class="check">
                <input type="checkbox" prop:checked=move || enabled.get()
                    on:change=move |e| enabled.set(event_target_checked(&e)) />
                {move || i18n.t(K::AccountEnabled)}
            </label>
            <EffectPreview after=after />
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <div class="actions">
                <button type="submit" class="primary">{move || i18n.t(K::SaveChanges)}</button>
                <button type="button" on:click=move |_| on_close.run(())>{move || i18n.t(K::Cancel)}</button>
                <button type="button" on:click=reset>{move || i18n.t(K::ResetPassword)}</button>
                <button type="button" on:click=revoke>{move || i18n.t(K::SignOutEverywhere)}</button>
            </div>
        </form>
    }
}

/// Adding one person: a one-time password is made by the relay and shown once.
#[component]
pub fn NewUserForm(pc: PeopleCtx) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let (id, name) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let role = RwSignal::new(Role::SalesRep.as_str().to_string());
    let team = RwSignal::new(String::new());
    let (id_err, name_err) = (RwSignal::new(None::<String>), RwSignal::new(None::<String>));
    let error = RwSignal::new(None::<String>);
    let after = Signal::derive(move || {
        let mut d = ctx.directory().get()?;
        let uid = id.get().trim().to_lowercase();
        if !valid_id(&uid) || d.user(&UserId::new(uid.clone())).is_some() {
            return None;
        }
        d.users.push(User {
            id: UserId::new(uid),
            name: name.get().trim().to_string(),
            role: Role::parse(&role.get()).ok()?,
            team: Some(team.get()).filter(|t| !t.is_empty()).map(TeamId::new),
            disabled: false,
        });
        Some(d)
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let uid = id.get_untracked().trim().to_lowercase();
        let n = name.get_untracked().trim().to_string();
        id_err.set((!valid_id(&uid)).then(|| i18n.t(K::ErrUserId).to_string()));
        name_err.set(n.is_empty().then(|| i18n.t(K::ErrName).to_string()));
        if id_err.with_untracked(|e| e.is_some()) || name_err.with_untracked(|e| e.is_some()) {
            return;
        }
        let body = serde_json::json!({
            "id": uid, "name": n, "role": role.get_untracked(),
            "team": Some(team.get_untracked()).filter(|t| !t.is_empty()),
        });
        let token = pc.token.get_untracked();
        error.set(None);
        spawn_local(async move {
            match api::post::<serde_json::Value>(&token, "/api/v1/users", Some(body)).await {
                Ok(v) => {
                    let pw = v["one_time_password"].as_str().unwrap_or_default().to_string();
                    pc.passwords.update(|p| p.push((UserId::new(uid), n, pw)));
                    id.set(String::new());
                    name.set(String::new());
                    pc.reload.update(|x| *x += 1);
                }
                Err(api::ApiError::Http { status: 409, .. }) => id_err.set(Some(i18n.t(K::ErrUserTaken).to_string())),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <section class="card" aria-label=move || i18n.t(K::AddPerson)>
            <h2>{move || i18n.t(K::AddPerson)}</h2>
            <form class="editor" on:submit=submit novalidate=true>
                <FormInput name="new-user-id" label=Signal::derive(move || i18n.t(K::Username).to_string()) value=id
                    error=id_err required=true autocomplete="off" />
                <FormInput name="new-user-name" label=Signal::derive(move || i18n.t(K::Name).to_string()) value=name
                    error=name_err required=true />
                <FormSelect name="new-user-role" label=Signal::derive(move || i18n.t(K::Role).to_string()) value=role
                    options=Signal::derive(move || role_options(i18n)) error=Signal::derive(|| None::<String>) />
                <FormSelect name="new-user-team" label=Signal::derive(move || i18n.t(K::Team).to_string()) value=team
                    options=Signal::derive(move || ctx.directory().with(|d| team_options(i18n, d.as_ref())))
                    error=Signal::derive(|| None::<String>) />
                <EffectPreview after=after />
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <button type="submit" class="primary">{move || i18n.t(K::AddPerson)}</button>
            </form>
        </section>
    }
}
