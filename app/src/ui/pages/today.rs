//! Today: what the signed-in user has to do, each item a link to its record: follow-ups overdue and due
//! today, visits due on the customers they maintain (each tier has its visit interval), complaints and
//! tickets past due that they work on, and churn warnings on their customers with the reason. The
//! lists come from `components::due` (the navigation's count is the same computation).

use leptos::prelude::*;
use leptos_router::components::A;

use crate::domain::ops::{ChurnWarning, FollowUpDue};
use crate::domain::relationship::{CaseDue, ChurnItem, VisitDue};
use crate::domain::{ActivityKind, CustomerTier};
use crate::i18n::{I18n, K, RK};
use crate::ui::components::ctx::{now, Ctx};
use crate::ui::components::due::DueNow;

/// At most this many items per list are drawn (the badge counts them all): a rep with thousands of overdue
/// follow-ups gets a usable page, not thousands of DOM nodes.
const SHOWN: usize = 100;

pub(crate) fn tier_label(t: CustomerTier) -> K {
    match t {
        CustomerTier::Key => K::TierKey,
        CustomerTier::Normal => K::TierNormal,
        CustomerTier::LowFrequency => K::TierLow,
    }
}

fn case_label(k: ActivityKind) -> K {
    match k {
        ActivityKind::Complaint => K::KindComplaint,
        ActivityKind::Service => K::KindTicket,
        ActivityKind::Call => K::KindCall,
        ActivityKind::Visit => K::KindVisit,
        ActivityKind::Meeting => K::KindMeeting,
        ActivityKind::Email => K::KindEmail,
    }
}

/// One card: a heading with its count, the first [`SHOWN`] items, and a line when there are none.
#[component]
fn DueCard(id: &'static str, title: RK, count: Signal<usize>, empty: RK, children: ChildrenFn) -> impl IntoView {
    let i18n = I18n::use_i18n();
    view! {
        <section class="card today-card" aria-labelledby=id>
            <h2 id=id>
                {move || i18n.t(title)}
                <span class="badge" class:badge-overdue=move || { id != "h-today" && count.get() > 0 }>
                    {move || count.get()}
                </span>
            </h2>
            <ul class="links today-list" aria-label=move || i18n.t(title)>{children()}</ul>
            <Show when=move || { count.get() > SHOWN }>
                <p class="muted">
                    {move || i18n.t(RK::MoreNotShown).replace("{n}", &(count.get() - SHOWN).to_string())}
                </p>
            </Show>
            <Show when=move || count.get() == 0>
                <p class="muted">{move || i18n.t(empty)}</p>
            </Show>
        </section>
    }
}

#[component]
pub fn TodayPage() -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let due = DueNow::use_due();
    let follow_up = move |f: FollowUpDue| {
        view! {
            <li>
                <A href=format!("/r/{}", f.record)>{f.title.clone()}</A>
                <span class="muted">" · "{i18n.t(RK::DueOn).replace("{date}", &i18n.date(f.due))}</span>
            </li>
        }
    };
    let visit = move |v: VisitDue| {
        let last = match v.last_visit {
            Some(t) => i18n.t(RK::LastVisitOn).replace("{date}", &i18n.date(t)),
            None => i18n.t(RK::NeverVisited).to_string(),
        };
        view! {
            <li>
                <A href=format!("/r/{}", v.customer)>{v.name.clone()}</A>
                <span class="muted">
                    " · "{i18n.t(tier_label(v.tier))}" · "{last}" · "
                    {i18n.t(RK::DueOn).replace("{date}", &i18n.date(v.due))}
                </span>
            </li>
        }
    };
    let case = move |c: CaseDue| {
        let customer = c.customer.as_ref().and_then(|id| ctx.customer_name(id));
        view! {
            <li>
                <A href=format!("/r/{}", c.activity)>{c.subject.clone()}</A>
                <span class="muted">
                    " · "{i18n.t(case_label(c.kind))}
                    {customer.map(|n| format!(" · {n}"))}" · "
                    {i18n.t(RK::DueOn).replace("{date}", &i18n.date(c.due))}
                </span>
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
    let churn = move |c: ChurnItem| {
        let text = c.warnings.iter().map(warning_text).collect::<Vec<_>>().join(" · ");
        view! {
            <li>
                <A href=format!("/r/{}", c.customer)>{c.name.clone()}</A>
                <span class="muted">" · "{text}</span>
            </li>
        }
    };
    let n = |f: fn(&crate::ui::components::due::Due) -> usize| Signal::derive(move || due.with(f));
    view! {
        <section class="today">
            <header class="page-header">
                <h1>{move || i18n.t(K::Today)}</h1>
                <p class="muted">{move || i18n.date(now())}</p>
            </header>
            <div class="record-grid">
                <DueCard id="h-overdue" title=RK::FollowUpsOverdue count=n(|d| d.follow_ups.overdue.len()) empty=RK::NoFollowUps>
                    {move || due.get().follow_ups.overdue.into_iter().take(SHOWN).map(follow_up).collect_view()}
                </DueCard>
                <DueCard id="h-today" title=RK::FollowUpsToday count=n(|d| d.follow_ups.today.len()) empty=RK::NoFollowUps>
                    {move || due.get().follow_ups.today.into_iter().take(SHOWN).map(follow_up).collect_view()}
                </DueCard>
                <DueCard id="h-visits" title=RK::VisitsDue count=n(|d| d.reminders.visits.len()) empty=RK::NoVisitsDue>
                    {move || due.get().reminders.visits.into_iter().take(SHOWN).map(visit).collect_view()}
                </DueCard>
                <DueCard id="h-cases" title=RK::CasesOverdue count=n(|d| d.reminders.cases.len()) empty=RK::NoCasesOverdue>
                    {move || due.get().reminders.cases.into_iter().take(SHOWN).map(case).collect_view()}
                </DueCard>
                <section class="card today-card" aria-labelledby="h-churn">
                    <h2 id="h-churn">
                        {move || i18n.t(K::ChurnWarnings)}
                        <span class="badge">{move || due.with(|d| d.reminders.churn.len())}</span>
                    </h2>
                    <ul class="links today-list" aria-label=move || i18n.t(K::ChurnWarnings)>
                        {move || due.get().reminders.churn.into_iter().take(SHOWN).map(churn).collect_view()}
                    </ul>
                    <Show when=move || due.with(|d| d.reminders.churn.is_empty())>
                        <p class="muted">{move || i18n.t(K::NoChurn)}</p>
                    </Show>
                </section>
            </div>
        </section>
    }
}
