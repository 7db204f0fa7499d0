//! The opportunity page: inline fields, stage (with the domain's rules), amount when the role sees money,
//! stage history, follow-up timeline, and "log an activity and set the next follow-up".

mod followups;

use leptos::prelude::*;
use leptos_router::components::A;

use self::followups::FollowUpTimeline;

use super::board::move_opportunity;
use super::record::{access_of, save};
use crate::domain::ops::{lose, reopen};
use crate::domain::parse_amount;
use crate::domain::{
    DocId, Money, Opportunity, OpportunityMoney, OpportunityStatus, OpportunityView, RecordView, StageId,
};
use crate::i18n::{I18n, K};
use crate::ui::components::confirm::{Action, Confirm};
use crate::ui::components::ctx::{date_input_value, now, parse_date_input, Ctx};
use crate::ui::components::custom_fields::CustomFields;
use crate::ui::components::fields::{ReadField, SelectField, TextField};
use crate::ui::components::log_relationship::LogRelationship;
use crate::ui::components::notes::LiveNotes;
use crate::ui::components::owner::OwnerField;
use std::sync::Arc;

#[component]
pub fn OpportunityDetail(id: DocId) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let rec = ctx.store.record(id.clone());
    let o = Memo::new(move |_| match rec.get() {
        Some(RecordView::Opportunity(o)) => Some(o),
        _ => None,
    });
    let acc = access_of(ctx, id.clone());
    let confirm = Confirm::use_confirm();
    // Bumped when a risky stage change is cancelled: the stage select redraws with the current stage.
    let stage_shown = RwSignal::new(0u32);
    let active = move || o.with(|o| o.as_ref().is_some_and(|o| o.base.status == OpportunityStatus::Active));
    let base_w = Signal::derive(move || acc.get().base.can_write());
    let edit_w = Signal::derive(move || acc.get().base.can_write() && active());
    let money_w = Signal::derive(move || acc.get().money.can_write());
    let label = move |k: K| Signal::derive(move || i18n.t(k).to_string());
    let get = move |f: fn(&OpportunityView) -> String| {
        Signal::derive(move || o.with(|o| o.as_ref().map(f).unwrap_or_default()))
    };

    let stages = Signal::derive(move || {
        ctx.directory()
            .get()
            .map(|d| d.stages.iter().map(|s| (s.id.to_string(), i18n.stage_name(s))).collect())
            .unwrap_or_default()
    });
    let (i_name, i_close, i_next, i_amount, i_prob) = (id.clone(), id.clone(), id.clone(), id.clone(), id.clone());
    let lost_reason = RwSignal::new(String::new());
    let (i_lose, i_reopen) = (id.clone(), id.clone());

    view! {
        <div class="record-grid">
            <section class="card">
                <h2>{move || i18n.t(K::Details)}</h2>
                <TextField
                    label=label(K::Name)
                    value=get(|o| o.base.name.clone())
                    editable=base_w
                    on_commit=Callback::new(move |v: String| {
                        save::<Opportunity>(ctx, i_name.clone(), format!("{}: {v}", i18n.t(K::Name)), move |o| {
                            o.name = v.trim().to_string();
                            Ok(())
                        })
                    })
                />
                <SelectField
                    label=label(K::Stage)
                    value=Signal::derive(move || {
                        stage_shown.track();
                        o.with(|o| o.as_ref().map(|o| o.base.stage.to_string()).unwrap_or_default())
                    })
                    options=stages
                    editable=edit_w
                    on_commit=Callback::new(move |v: String| {
                        if let Some(view) = o.get_untracked() {
                            let revert: Action = Arc::new(move || stage_shown.update(|n| *n += 1));
                            move_opportunity(ctx, confirm, i18n, view, StageId::new(v), Some(revert));
                        }
                    })
                />
                <ReadField
                    label=label(K::Status)
                    value=Signal::derive(move || {
                        o.with(|o| o.as_ref().map(|o| super::list::status_text(i18n, o.base.status.as_str()))).unwrap_or_default()
                    })
                />
                <div class="field">
                    <span class="field-label">
                        <span>{move || i18n.t(K::Customer)}</span>
                        {move || {
                            o.with(|o| o.as_ref().and_then(|o| o.base.customer.clone()))
                                .map(|c| match ctx.customer_name(&c) {
                                    Some(name) => view! { <A href=format!("/r/{c}")>{name}</A> }.into_any(),
                                    // Readers of a deal read its customer (implicit read); until it has
                                    // synced, a placeholder, never the bare document id.
                                    None => view! { <span class="muted">"…"</span> }.into_any(),
                                })
                                .unwrap_or_else(|| view! { <span class="muted">"—"</span> }.into_any())
                        }}
                    </span>
                </div>
                <OwnerField id=id.clone() />
                <TextField
                    label=label(K::ExpectedClose)
                    input_type="date"
                    value=get(|o| o.base.expected_close.map(date_input_value).unwrap_or_default())
                    editable=edit_w
                    on_commit=Callback::new(move |v: String| {
                        let t = parse_date_input(&v);
                        save::<Opportunity>(ctx, i_close.clone(), format!("{}: {v}", i18n.t(K::ExpectedClose)), move |o| {
                            o.expected_close = t;
                            o.updated_at = now().max(o.updated_at);
                            Ok(())
                        })
                    })
                />
                <TextField
                    label=label(K::NextFollowUp)
                    input_type="date"
                    value=get(|o| o.base.next_follow_up.map(date_input_value).unwrap_or_default())
                    editable=edit_w
                    on_commit=Callback::new(move |v: String| {
                        let t = parse_date_input(&v);
                        save::<Opportunity>(ctx, i_next.clone(), format!("{}: {v}", i18n.t(K::NextFollowUp)), move |o| {
                            o.next_follow_up = t;
                            Ok(())
                        })
                    })
                />
                <Show when=move || o.with(|o| o.as_ref().is_some_and(|o| o.money.is_some()))>
                    <TextField
                        label=Signal::derive(move || {
                            let cur = o.with(|o| o.as_ref().and_then(|o| o.money.as_ref()?.expected_amount.as_ref().map(|m| m.currency.clone())));
                            format!("{} ({})", i18n.t(K::Amount), cur.unwrap_or_else(|| "CNY".into()))
                        })
                        value=get(|o| {
                            o.money
                                .as_ref()
                                .and_then(|m| m.expected_amount.as_ref())
                                .map(|m| format!("{}.{:02}", m.amount_minor / 100, m.amount_minor % 100))
                                .unwrap_or_default()
                        })
                        editable=money_w
                        on_commit={
                            let id = i_amount.clone();
                            Callback::new(move |v: String| {
                                let Some(minor) = parse_amount(&v) else {
                                    ctx.report(format!("{}: {v:?}", i18n.t(K::Amount)));
                                    return;
                                };
                                let store = ctx.store;
                                let id = id.clone();
                                ctx.run(async move {
                                    store.update_companion::<OpportunityMoney>(id, format!("amount: {v}"), move |m| {
                                        let currency = m.expected_amount.as_ref().map_or_else(|| "CNY".to_string(), |a| a.currency.clone());
                                        m.expected_amount = Some(Money::new(minor, &currency)?);
                                        Ok(())
                                    }).await
                                });
                            })
                        }
                    />
                    <TextField
                        label=label(K::WinProbability)
                        input_type="number"
                        value=get(|o| o.money.as_ref().map(|m| m.win_probability.to_string()).unwrap_or_default())
                        editable=money_w
                        on_commit={
                            let id = i_prob.clone();
                            Callback::new(move |v: String| {
                                let Ok(p) = v.trim().parse::<u8>() else {
                                    ctx.report(format!("{}: {v:?}", i18n.t(K::WinProbability)));
                                    return;
                                };
                                let store = ctx.store;
                                let id = id.clone();
                                ctx.run(async move {
                                    store.update_companion::<OpportunityMoney>(id, format!("win probability: {p}"), move |m| {
                                        m.win_probability = p.min(100);
                                        Ok(())
                                    }).await
                                });
                            })
                        }
                    />
                </Show>
                <Show when=move || edit_w.get()>
                    <div class="actions">
                        <label class="field-label inline">
                            <span>{move || i18n.t(K::LostReason)}</span>
                            <input class="field-input" prop:value=move || lost_reason.get() on:input=move |e| lost_reason.set(event_target_value(&e)) />
                        </label>
                        <button
                            class="secondary danger"
                            disabled=move || lost_reason.with(|r| r.trim().is_empty())
                            on:click={
                                let id = i_lose.clone();
                                move |_| {
                                    let reason = lost_reason.get_untracked();
                                    let store = ctx.store;
                                    let id = id.clone();
                                    ctx.run(async move {
                                        store.update_record::<Opportunity>(id, format!("lost: {reason}"), move |o| lose(o, None, &reason, now())).await
                                    });
                                }
                            }
                        >
                            {move || i18n.t(K::Lose)}
                        </button>
                    </div>
                </Show>
                <Show when=move || base_w.get() && o.with(|o| o.as_ref().is_some_and(|o| matches!(o.base.status, OpportunityStatus::Lost | OpportunityStatus::Closed)))>
                    <button
                        class="secondary"
                        on:click={
                            let id = i_reopen.clone();
                            move |_| {
                                let Some(dir) = ctx.directory().get_untracked() else { return };
                                save::<Opportunity>(ctx, id.clone(), i18n.t(K::Reopen).to_string(), move |o| reopen(o, None, now(), &dir))
                            }
                        }
                    >
                        {move || i18n.t(K::Reopen)}
                    </button>
                </Show>
            </section>
            <CustomFields id=id.clone() />
            <section class="card">
                <LiveNotes id=id.clone() label=label(K::Notes) editable=base_w />
            </section>
            <section class="card">
                <h2>{move || i18n.t(K::StageHistory)}</h2>
                <Show when=move || o.with(|o| o.as_ref().is_none_or(|o| o.base.stage_history.is_empty()))>
                    <p class="muted empty-note">{move || i18n.t(K::NoStageHistory)}</p>
                </Show>
                <ol class="timeline">
                    {move || {
                        let dir = ctx.directory().get().unwrap_or_default();
                        o.get()
                            .map(|o| o.base.stage_history.clone())
                            .unwrap_or_default()
                            .into_iter()
                            .rev()
                            .map(|e| {
                                let name = dir.stage(&e.stage).map(|s| i18n.stage_name(s)).unwrap_or_else(|| e.stage.to_string());
                                view! {
                                    <li>
                                        <strong>{name}</strong>
                                        <span class="muted">" · "{i18n.date(e.entered_at)}" · "{ctx.user_name(&e.by)}</span>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ol>
            </section>
            <section class="card">
                <h2>{move || i18n.t(K::FollowUpTimeline)}</h2>
                <FollowUpTimeline id=id.clone() opp=o />
                <LogRelationship
                    customer=Signal::derive(move || o.with(|o| o.as_ref().and_then(|o| o.base.customer.clone())))
                    opportunity=id.clone()
                />
            </section>
        </div>
    }
}
