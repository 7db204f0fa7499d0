//! Adding many people at once: paste a list (from a spreadsheet: tabs, or commas), see every bad line
//! before anything is created, then one request creates them all and shows each one-time password once.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::PeopleCtx;
use crate::domain::people::{parse_roster, RosterError, RosterProblem};
use crate::domain::UserId;
use crate::i18n::{I18n, K};
use crate::ui::api;
use crate::ui::components::ctx::Ctx;

fn describe(i18n: I18n, e: &RosterError) -> String {
    let (key, value) = match &e.problem {
        RosterProblem::Columns(n) => (K::RosterColumns, n.to_string()),
        RosterProblem::BadId(v) => (K::RosterBadId, v.clone()),
        RosterProblem::IdTaken(v) => (K::RosterIdTaken, v.clone()),
        RosterProblem::IdTwice(v) => (K::RosterIdTwice, v.clone()),
        RosterProblem::BadName => (K::ErrName, String::new()),
        RosterProblem::UnknownRole(v) => (K::RosterUnknownRole, v.clone()),
        RosterProblem::UnknownTeam(v) => (K::RosterUnknownTeam, v.clone()),
    };
    let line = i18n.t(K::RosterLine).replace("{n}", &e.line.to_string());
    format!("{line}: {}", i18n.t(key).replace("{v}", &value))
}

#[component]
pub fn BulkForm(pc: PeopleCtx) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let text = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let parsed = Memo::new(move |_| {
        let t = text.get();
        if t.trim().is_empty() {
            return None;
        }
        ctx.directory().with(|d| d.as_ref().map(|d| parse_roster(&t, d)))
    });
    let ready = move || {
        parsed.with(|p| match p {
            Some(Ok(people)) => people.len(),
            _ => 0,
        })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if ready() == 0 || busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let (token, roster) = (pc.token.get_untracked(), text.get_untracked());
        spawn_local(async move {
            let r = api::post::<serde_json::Value>(
                &token,
                "/api/v1/users/bulk",
                Some(serde_json::json!({ "roster": roster })),
            )
            .await;
            busy.set(false);
            match r {
                Ok(v) => {
                    let made: Vec<_> = v["created"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|c| {
                            let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
                            (UserId::new(s("id")), s("name"), s("one_time_password"))
                        })
                        .collect();
                    pc.passwords.update(|p| p.extend(made));
                    text.set(String::new());
                    pc.reload.update(|x| *x += 1);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <section class="card" aria-label=move || i18n.t(K::AddMany)>
            <h2>{move || i18n.t(K::AddMany)}</h2>
            <form class="editor" on:submit=submit>
                <label class="field-label">
                    <span>{move || i18n.t(K::RosterLabel)}</span>
                    <textarea
                        class="field-input roster"
                        rows="8"
                        placeholder="rep10, 李雷 Li Lei, sales_rep, east\nrep11, Han Meimei, sales_rep, west"
                        aria-describedby="roster-help"
                        prop:value=move || text.get()
                        on:input=move |e| text.set(event_target_value(&e))
                    ></textarea>
                </label>
                <p class="muted" id="roster-help">{move || i18n.t(K::RosterHelp)}</p>
                {move || parsed.get().map(|p| match p {
                    Ok(people) => view! {
                        <p role="status">{i18n.t(K::RosterReady).replace("{n}", &people.len().to_string())}</p>
                    }.into_any(),
                    Err(errors) => view! {
                        <ul class="form-error roster-errors" role="alert">
                            {errors.iter().map(|e| view! { <li>{describe(i18n, e)}</li> }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <button type="submit" class="primary" disabled=move || ready() == 0 || busy.get()>
                    {move || i18n.t(K::CreatePeople).replace("{n}", &ready().to_string())}
                </button>
            </form>
        </section>
    }
}
