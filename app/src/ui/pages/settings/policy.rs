//! Settings → Who sees what (admins): the role policy table (role × record kind × field group), each cell a
//! scope (nothing, own, own + unassigned, their teams', of their customers, all) and whether it may change
//! them, with the effect previewed before saving ("李娜 Li Na will no longer see 12 deals' amounts", by
//! `domain::people::access_effect`, the relay's own `access`). The policy lives in the directory document, so
//! the relay enforces the saved table exactly as it enforces the default one, and revokes at once what a
//! role no longer sees. The admin row is not editable: admins always see and change everything.

use leptos::prelude::*;

use super::pipeline::SettingsTabs;
use crate::domain::{may_write_directory, Directory, Policy, Role, RoleRules, Rule, Scope};
use crate::i18n::{I18n, K};
use crate::ui::components::ctx::Ctx;
use crate::ui::pages::people::effect::EffectPreview;
use crate::ui::pages::profile::role_label;

/// The columns of the table: what each rule covers.
const COLUMNS: [K; 8] =
    [K::Leads, K::Opportunities, K::GroupMoney, K::Customers, K::Contacts, K::GroupPii, K::Activities, K::GroupService];

/// The rule in column `i` of a role's row.
fn cell(r: &mut RoleRules, i: usize) -> &mut Rule {
    match i {
        0 => &mut r.leads,
        1 => &mut r.opportunities,
        2 => &mut r.money,
        3 => &mut r.customers,
        4 => &mut r.contacts,
        5 => &mut r.pii,
        6 => &mut r.activities,
        _ => &mut r.service,
    }
}

const SCOPES: [(Scope, &str, K); 6] = [
    (Scope::Nothing, "nothing", K::ScopeNothing),
    (Scope::Own, "own", K::ScopeOwn),
    (Scope::OwnOrPool, "own_or_pool", K::ScopeOwnOrPool),
    (Scope::Team, "team", K::ScopeTeam),
    (Scope::OwnCustomers, "own_customers", K::ScopeOwnCustomers),
    (Scope::All, "all", K::ScopeAll),
];

fn scope_value(s: Scope) -> &'static str {
    SCOPES.iter().find(|(x, _, _)| *x == s).map_or("nothing", |(_, v, _)| v)
}

#[component]
pub fn SettingsPolicyPage() -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let allowed = move || {
        let Some(me) = ctx.me_id() else { return false };
        ctx.directory().with(|d| d.as_ref().is_some_and(|d| may_write_directory(&me, d)))
    };
    let loaded = Memo::new(move |_| ctx.directory().with(|d| d.as_ref().map(|d| d.policy.clone())));
    let draft = RwSignal::new(None::<Policy>);
    Effect::new(move |_| draft.set(loaded.get()));
    let saved = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let after = Signal::derive(move || {
        let mut d: Directory = ctx.directory().get()?;
        d.policy = draft.get()?;
        Some(d)
    });
    let roles = Memo::new(move |_| {
        draft.with(|p| p.as_ref().map(|p| p.roles.iter().map(|r| r.role).collect::<Vec<_>>())).unwrap_or_default()
    });
    let changed = move || draft.with(|d| d.is_some()) && draft.get() != loaded.get();
    let set = move |role: Role, i: usize, f: Box<dyn FnOnce(&mut Rule)>| {
        draft.update(|p| {
            if let Some(r) = p.as_mut().and_then(|p| p.roles.iter_mut().find(|r| r.role == role)) {
                f(cell(r, i));
            }
        });
        saved.set(false);
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(policy) = draft.get_untracked() else { return };
        error.set(None);
        let store = ctx.store;
        leptos::task::spawn_local(async move {
            let r = store
                .update_directory("change the role policy".into(), move |d| {
                    d.policy = policy;
                    Ok(())
                })
                .await;
            match r {
                Ok(()) => saved.set(true),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    let role_section = move |role: Role| {
        let rows = (0..COLUMNS.len())
            .map(|i| {
                let current = move || {
                    draft.with(|p| {
                        let mut r = p.as_ref()?.rules(role)?.clone();
                        Some(*cell(&mut r, i))
                    })
                };
                let scope_label = move || format!("{}: {}", i18n.t(role_label(role)), i18n.t(COLUMNS[i]));
                let write_label = move || format!("{} ({})", i18n.t(K::MayChange), scope_label());
                view! {
                    <div class="policy-cell">
                        <span class="policy-what">{move || i18n.t(COLUMNS[i])}</span>
                        <select
                            class="field-input"
                            aria-label=scope_label
                            on:change=move |e| {
                                let v = event_target_value(&e);
                                if let Some((s, _, _)) = SCOPES.iter().find(|(_, x, _)| *x == v) {
                                    let s = *s;
                                    set(role, i, Box::new(move |r| r.scope = s));
                                }
                            }
                        >
                            {SCOPES
                                .iter()
                                .map(|(s, v, k)| {
                                    let s = *s;
                                    view! {
                                        <option value=*v selected=move || current().is_some_and(|c| scope_value(c.scope) == scope_value(s))>
                                            {move || i18n.t(*k)}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                        <label class="check">
                            <input
                                type="checkbox"
                                aria-label=write_label
                                prop:checked=move || current().is_some_and(|c| c.write)
                                on:change=move |e| {
                                    let w = event_target_checked(&e);
                                    set(role, i, Box::new(move |r| r.write = w));
                                }
                            />
                            <span aria-hidden="true">{move || i18n.t(K::MayChange)}</span>
                        </label>
                    </div>
                }
            })
            .collect_view();
        view! {
            <fieldset class="card policy-role">
                <legend>{move || i18n.t(role_label(role))}</legend>
                <div class="policy-grid">{rows}</div>
            </fieldset>
        }
    };
    let refused = move || view! { <p class="notice">{i18n.t(K::SettingsNotAllowed)}</p> };
    view! {
        <section class="settings-page policy-settings">
            <header class="page-header">
                <h1>{move || i18n.t(K::PolicyTitle)}</h1>
            </header>
            <SettingsTabs />
            <Show when=allowed fallback=refused>
                <p class="notice settings-hint">{move || i18n.t(K::PolicyHint)}</p>
                <form class="policy-form" on:submit=save novalidate=true aria-label=move || i18n.t(K::PolicyTitle)>
                    // Re-rendered only when roles come or go, not on every cell change (focus stays put).
                    {move || roles.get().into_iter().filter(|r| *r != Role::Admin).map(role_section).collect_view()}
                    <div class="card policy-save">
                        <EffectPreview after=after />
                        {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                        <div class="actions">
                            <button type="submit" class="primary" disabled=move || !changed()>{move || i18n.t(K::SaveChanges)}</button>
                            <button type="button" disabled=move || !changed() on:click=move |_| draft.set(loaded.get_untracked())>
                                {move || i18n.t(K::UndoChanges)}
                            </button>
                            <button type="button" on:click=move |_| { draft.set(Some(Policy::default())); saved.set(false); }>
                                {move || i18n.t(K::PolicyDefault)}
                            </button>
                        </div>
                        <Show when=move || saved.get()>
                            <p role="status" class="notice">{move || i18n.t(K::PolicySaved)}</p>
                        </Show>
                    </div>
                </form>
            </Show>
        </section>
    }
}
