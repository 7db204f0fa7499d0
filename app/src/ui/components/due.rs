//! What is due for the signed-in user: follow-ups due today and overdue (`ops::follow_ups`) and the
//! relationship reminders (`relationship::reminders`: visits due, complaints and tickets past due, churn
//! warnings). Computed once per change of the records or the directory, and shared by the Today page and
//! the navigation's count, so the two can never disagree.

use leptos::prelude::*;

use super::ctx::{now, utc_offset_minutes, Ctx};
use crate::domain::ops::{follow_ups, FollowUps};
use crate::domain::relationship::{reminders, Reminders};
use crate::domain::{Activity, CustomerView, DocId, RecordKind, RecordView};

/// The user's follow-ups and reminders.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Due {
    pub follow_ups: FollowUps,
    pub reminders: Reminders,
}

impl Due {
    /// What the navigation counts: follow-ups due today and overdue, visits due and cases past due
    /// (churn warnings are standing conditions, not tasks: listed on Today, not counted).
    pub fn count(&self) -> usize {
        self.follow_ups.today.len() + self.follow_ups.overdue.len() + self.reminders.due_count()
    }
}

/// The shared memo (a context newtype, provided by the shell).
#[derive(Clone, Copy)]
pub struct DueNow(pub Memo<Due>);

impl DueNow {
    pub fn provide(ctx: Ctx) -> DueNow {
        let opps = ctx.store.records(RecordKind::Opportunity);
        let acts = ctx.store.records(RecordKind::Activity);
        let customers = ctx.store.records(RecordKind::Customer);
        let dir = ctx.directory();
        // The clock moves on its own: recompute each minute too (an item falls due without any edit).
        let tick = RwSignal::new(0u64);
        if let Ok(handle) =
            set_interval_with_handle(move || tick.update(|t| *t += 1), std::time::Duration::from_secs(60))
        {
            on_cleanup(move || handle.clear());
        }
        let memo = Memo::new(move |_| {
            tick.track();
            let Some(me) = ctx.me_id() else { return Due::default() };
            let t = now();
            // Read in place: cloning every view on each flush slows a first sync of thousands of records.
            let follow_ups =
                opps.with(|o| acts.with(|a| follow_ups(&me, o.iter().chain(a.iter()), t, utc_offset_minutes())));
            let reminders = dir.with(|d| {
                let Some(d) = d.as_ref() else { return Reminders::default() };
                customers.with(|cs| {
                    acts.with(|as_| {
                        let cs: Vec<&CustomerView> = cs
                            .iter()
                            .filter(|v| v.archived().is_none())
                            .filter_map(|v| if let RecordView::Customer(c) = v { Some(c) } else { None })
                            .collect();
                        let activities: Vec<(&DocId, &Activity)> = as_
                            .iter()
                            .filter(|v| v.archived().is_none())
                            .filter_map(|v| if let RecordView::Activity(a) = v { Some((&a.id, &a.base)) } else { None })
                            .collect();
                        reminders(&me, &cs, &activities, d, t)
                    })
                })
            });
            Due { follow_ups, reminders }
        });
        let due = DueNow(memo);
        provide_context(due);
        due
    }

    pub fn use_due() -> Memo<Due> {
        expect_context::<DueNow>().0
    }
}

/// The navigation's count of what is due (nothing when nothing is): the number is shown, and read out
/// as "5 due" inside the Today link's name.
#[component]
pub fn DueBadge() -> impl IntoView {
    let i18n = crate::i18n::I18n::use_i18n();
    let due = DueNow::use_due();
    let count = Memo::new(move |_| due.with(Due::count));
    view! {
        <Show when=move || { count.get() > 0 }>
            <span class="nav-count">
                <span aria-hidden="true">{move || if count.get() > 99 { "99+".to_string() } else { count.get().to_string() }}</span>
                <span class="visually-hidden">
                    {move || format!(" ({})", i18n.t(crate::i18n::RK::DueCount).replace("{n}", &count.get().to_string()))}
                </span>
            </span>
        </Show>
    }
}
