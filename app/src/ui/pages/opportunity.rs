//! The opportunity page: inline fields, stage (with the domain's rules), amount when the role sees money,
//! stage history, follow-up timeline, and "log an activity and set the next follow-up".

use leptos::prelude::*;
use leptos_router::components::A;

use super::board::move_opportunity;
use super::record::{access_of, save};
use crate::domain::ops::{lose, reopen};
use crate::domain::{
    Activity, ActivityKind, DocId, FollowUp, Money, Opportunity, OpportunityMoney, OpportunityStatus, OpportunityView,
    RecordKind, RecordView, StageId,
};
use crate::i18n::{I18n, K};
use crate::store::{new_doc_id, StoreError};
use crate::ui::components::ctx::{date_input_value, now, parse_date_input, Ctx};
use crate::ui::components::fields::{ReadField, SelectField, TextField};
use crate::ui::components::notes::LiveNotes;

/// Parses an amount typed by a person ("12,345.50", "12345") into minor units.
pub fn parse_amount(s: &str) -> Option<i64> {
    let clean: String = s.chars().filter(|c| !matches!(c, ',' | ' ' | '¥' | '￥' | '_')).collect();
    if clean.is_empty() {
        return None;
    }
    let (whole, frac) = clean.split_once('.').unwrap_or((&clean, ""));
    if frac.len() > 2 || !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(frac)
}

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
                    value=get(|o| o.base.stage.to_string())
                    options=stages
                    editable=edit_w
                    on_commit=Callback::new(move |v: String| {
                        if let Some(view) = o.get_untracked() {
                            move_opportunity(ctx, view, StageId::new(v));
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
                                .map(|c| {
                                    let name = ctx.customer_name(&c).unwrap_or_else(|| c.to_string());
                                    view! { <A href=format!("/r/{c}")>{name}</A> }.into_any()
                                })
                                .unwrap_or_else(|| view! { <span class="muted">"—"</span> }.into_any())
                        }}
                    </span>
                </div>
                <ReadField
                    label=label(K::Owner)
                    value=Signal::derive(move || {
                        o.with(|o| o.as_ref().and_then(|o| o.base.owner.clone()))
                            .map(|u| ctx.user_name(&u))
                            .unwrap_or_else(|| i18n.t(K::Unassigned).to_string())
                    })
                />
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
            <section class="card">
                <LiveNotes id=id.clone() label=label(K::Notes) editable=base_w />
            </section>
            <section class="card">
                <h2>{move || i18n.t(K::StageHistory)}</h2>
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
                <Show when=move || edit_w.get()>
                    <LogActivity id=id.clone() opp=o />
                </Show>
            </section>
        </div>
    }
}

#[component]
fn FollowUpTimeline(id: DocId, opp: Memo<Option<OpportunityView>>) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let activities = ctx.store.records(RecordKind::Activity);
    let items = move || {
        let mut out: Vec<(i64, String, String, Option<DocId>)> = opp
            .with(|o| o.as_ref().map(|o| o.base.follow_ups.clone()))
            .unwrap_or_default()
            .into_iter()
            .map(|f| (f.at.millis(), f.note, ctx.user_name(&f.by), None))
            .collect();
        activities.with(|vs| {
            for v in vs {
                if let RecordView::Activity(a) = v {
                    if a.base.opportunity.as_ref() == Some(&id) {
                        let who = a.base.owner.as_ref().map(|u| ctx.user_name(u)).unwrap_or_default();
                        out.push((
                            a.base.at.millis(),
                            format!("{} · {}", a.base.kind, a.base.subject),
                            who,
                            Some(a.id.clone()),
                        ));
                    }
                }
            }
        });
        out.sort_by_key(|e| std::cmp::Reverse(e.0));
        out
    };
    view! {
        <ol class="timeline">
            {move || {
                items()
                    .into_iter()
                    .map(|(at, text, who, link)| {
                        let when = i18n.date(crate::domain::Timestamp::from_millis(at));
                        view! {
                            <li>
                                {match link {
                                    Some(id) => view! { <A href=format!("/r/{id}")>{text}</A> }.into_any(),
                                    None => view! { <span>{text}</span> }.into_any(),
                                }}
                                <span class="muted">" · "{when}" · "{who}</span>
                            </li>
                        }
                    })
                    .collect_view()
            }}
        </ol>
    }
}

/// Logs an activity on the deal and sets its next follow-up in one go.
#[component]
fn LogActivity(id: DocId, opp: Memo<Option<OpportunityView>>) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let kind = RwSignal::new(ActivityKind::Call);
    let subject = RwSignal::new(String::new());
    let next = RwSignal::new(String::new());
    let submit = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let (Some(me), Some(o)) = (ctx.me_id(), opp.get_untracked()) else { return };
        let text = subject.get_untracked().trim().to_string();
        if text.is_empty() {
            return;
        }
        let next_at = parse_date_input(&next.get_untracked());
        let (k, store, id) = (kind.get_untracked(), ctx.store, id.clone());
        subject.set(String::new());
        next.set(String::new());
        ctx.run(async move {
            let t = now();
            let mut a = Activity::new(k, &text, t, &me, t)?;
            a.customer = o.base.customer.clone();
            a.opportunity = Some(id.clone());
            a.team = o.base.team.clone();
            a.next_step_at = next_at;
            store.create_record(a).await?;
            let fid = new_doc_id()?.to_string();
            store
                .update_record::<Opportunity>(id, format!("{}: {text}", i18n.t(K::LogActivity)), move |o| {
                    o.follow_ups.push(FollowUp { id: fid, at: t, by: me, note: format!("{k}: {text}") });
                    if next_at.is_some() {
                        o.next_follow_up = next_at;
                    }
                    o.updated_at = t.max(o.updated_at);
                    Ok(())
                })
                .await?;
            Ok::<_, StoreError>(())
        });
    };
    view! {
        <form class="log-activity" on:submit=submit aria-label=move || i18n.t(K::LogActivity)>
            <h3>{move || i18n.t(K::LogActivity)}</h3>
            <label class="field-label">
                <span>{move || i18n.t(K::ActivityKind)}</span>
                <select class="field-input" on:change=move |e| {
                    if let Ok(k) = ActivityKind::parse(&event_target_value(&e)) {
                        kind.set(k);
                    }
                }>
                    {ActivityKind::ALL
                        .iter()
                        .map(|k| view! { <option value=k.as_str()>{super::list::status_text(i18n, k.as_str())}</option> })
                        .collect_view()}
                </select>
            </label>
            <label class="field-label">
                <span>{move || i18n.t(K::Subject)}</span>
                <input class="field-input" required=true prop:value=move || subject.get() on:input=move |e| subject.set(event_target_value(&e)) />
            </label>
            <label class="field-label">
                <span>{move || i18n.t(K::NextFollowUp)}</span>
                <input class="field-input" type="date" prop:value=move || next.get() on:input=move |e| next.set(event_target_value(&e)) />
            </label>
            <button type="submit" class="primary">{move || i18n.t(K::Save)}</button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::parse_amount;

    #[test]
    fn amounts_parse_to_minor_units() {
        assert_eq!(parse_amount("12,345.5"), Some(1_234_550));
        assert_eq!(parse_amount("¥100"), Some(10_000));
        assert_eq!(parse_amount("0.07"), Some(7));
        assert_eq!(parse_amount("1.234"), None);
        assert_eq!(parse_amount("-5"), None);
        assert_eq!(parse_amount(""), None);
    }
}
