//! Today: my follow-ups due today and overdue, and churn warnings for the customers I maintain.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::domain::ops::{churn_warnings, follow_ups, ChurnWarning, FollowUpDue};
use crate::domain::{Activity, RecordKind, RecordView};
use crate::i18n::{I18n, K};
use crate::ui::components::ctx::{now, utc_offset_minutes, Ctx};

/// At most this many items per list are drawn (the badge counts them all): a rep with thousands of overdue
/// follow-ups gets a usable page, not thousands of DOM nodes.
const SHOWN: usize = 100;

#[component]
pub fn TodayPage() -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let opps = ctx.store.records(RecordKind::Opportunity);
    let acts = ctx.store.records(RecordKind::Activity);
    let customers = ctx.store.records(RecordKind::Customer);
    let due = Memo::new(move |_| {
        let Some(me) = ctx.me_id() else { return Default::default() };
        // Read in place: cloning every view here on each flush slowed a first sync of thousands of records.
        opps.with(|o| acts.with(|a| follow_ups(&me, o.iter().chain(a.iter()), now(), utc_offset_minutes())))
    });
    let churn = Memo::new(move |_| {
        let Some(me) = ctx.me_id() else { return Vec::new() };
        let rules = ctx.directory().with(|d| d.as_ref().map(|d| d.churn.clone())).unwrap_or_default();
        let activities: Vec<Activity> = acts.with(|vs| {
            vs.iter()
                .filter_map(|v| if let RecordView::Activity(a) = v { Some(a.base.clone()) } else { None })
                .collect()
        });
        let refs: Vec<&Activity> = activities.iter().collect();
        let t = now();
        customers.with(|vs| {
            vs.iter()
                .filter_map(|v| match v {
                    RecordView::Customer(c) if c.base.owner.as_ref() == Some(&me) => {
                        let w = churn_warnings(c, &refs, &rules, t);
                        (!w.is_empty()).then(|| (c.id.clone(), c.base.name.clone(), w))
                    }
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
    });
    let item = move |f: FollowUpDue| {
        view! {
            <li>
                <A href=format!("/r/{}", f.record)>{f.title.clone()}</A>
                <span class="muted">" · "{i18n.date(f.due)}</span>
            </li>
        }
    };
    let warning_text = move |w: &ChurnWarning| match w {
        ChurnWarning::Inactive { days, .. } => i18n.t(K::InactiveDays).replace("{n}", &days.to_string()),
        ChurnWarning::LowSatisfaction { satisfaction } => {
            i18n.t(K::LowSatisfaction).replace("{n}", &satisfaction.to_string())
        }
        ChurnWarning::OpenComplaints { count } => {
            i18n.plural(*count, K::OpenComplaint, K::OpenComplaints).replace("{n}", &count.to_string())
        }
    };
    view! {
        <section class="today">
            <header class="page-header">
                <h1>{move || i18n.t(K::Today)}</h1>
                <p class="muted">{move || i18n.date(now())}</p>
            </header>
            <div class="record-grid">
                <section class="card" aria-labelledby="h-overdue">
                    <h2 id="h-overdue">
                        {move || i18n.t(K::Overdue)}
                        <span class="badge badge-overdue">{move || due.with(|d| d.overdue.len())}</span>
                    </h2>
                    <ul class="links">{move || due.get().overdue.into_iter().take(SHOWN).map(item).collect_view()}</ul>
                </section>
                <section class="card" aria-labelledby="h-due">
                    <h2 id="h-due">
                        {move || i18n.t(K::DueToday)}
                        <span class="badge">{move || due.with(|d| d.today.len())}</span>
                    </h2>
                    <ul class="links">{move || due.get().today.into_iter().take(SHOWN).map(item).collect_view()}</ul>
                    <Show when=move || due.with(|d| d.today.is_empty() && d.overdue.is_empty())>
                        <p class="muted">{move || i18n.t(K::NothingDue)}</p>
                    </Show>
                </section>
                <section class="card" aria-labelledby="h-churn">
                    <h2 id="h-churn">{move || i18n.t(K::ChurnWarnings)}</h2>
                    <ul class="links">
                        {move || {
                            churn
                                .get()
                                .into_iter()
                                .map(|(id, name, ws)| {
                                    let text = ws.iter().map(warning_text).collect::<Vec<_>>().join(" · ");
                                    view! {
                                        <li>
                                            <A href=format!("/r/{id}")>{name}</A>
                                            <span class="muted">" · "{text}</span>
                                        </li>
                                    }
                                })
                                .collect_view()
                        }}
                    </ul>
                    <Show when=move || churn.with(|c| c.is_empty())>
                        <p class="muted">{move || i18n.t(K::NoChurn)}</p>
                    </Show>
                </section>
            </div>
        </section>
    }
}
