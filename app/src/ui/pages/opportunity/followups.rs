//! The deal's follow-up timeline (follow-ups and linked activities) and "log an activity and set the next
//! follow-up".

use leptos::prelude::*;
use leptos_router::components::A;

use crate::domain::ops::{deal_timeline, log_activity};
use crate::domain::{Activity, ActivityKind, DocId, Opportunity, OpportunityView, RecordKind, RecordView};
use crate::i18n::{I18n, K};
use crate::store::StoreError;
use crate::ui::components::ctx::{now, parse_date_input, Ctx};
use crate::ui::pages::list::status_text;

#[component]
pub fn FollowUpTimeline(id: DocId, opp: Memo<Option<OpportunityView>>) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let activities = ctx.store.records(RecordKind::Activity);
    // One entry per logged activity (domain::ops::deal_timeline), kinds through the string table.
    let items = Signal::derive(move || {
        let follow_ups = opp.with(|o| o.as_ref().map(|o| o.base.follow_ups.clone())).unwrap_or_default();
        activities.with(|vs| {
            let linked = vs.iter().filter_map(|v| match v {
                RecordView::Activity(a) if a.base.opportunity.as_ref() == Some(&id) => Some(a),
                _ => None,
            });
            deal_timeline(&follow_ups, linked)
        })
    });
    view! {
        <Show when=move || items.with(|i| i.is_empty())>
            <p class="muted empty-note">{move || i18n.t(K::NothingLogged)}</p>
        </Show>
        <ol class="timeline">
            {move || {
                items
                    .get()
                    .into_iter()
                    .map(|e| {
                        let when = i18n.date(e.at);
                        let who = e.by.as_ref().map(|u| ctx.user_name(u)).unwrap_or_default();
                        let text = match e.kind {
                            Some(k) => format!("{} · {}", status_text(i18n, k.as_str()), e.text),
                            None => e.text.clone(),
                        };
                        view! {
                            <li>
                                {match e.activity {
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
pub fn LogActivity(id: DocId, opp: Memo<Option<OpportunityView>>) -> impl IntoView {
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
            let activity = a.clone();
            let aid = store.create_record(a).await?;
            store
                .update_record::<Opportunity>(id, format!("{}: {text}", i18n.t(K::LogActivity)), move |o| {
                    log_activity(o, &aid, &activity)
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
                        .map(|k| view! { <option value=k.as_str()>{status_text(i18n, k.as_str())}</option> })
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
