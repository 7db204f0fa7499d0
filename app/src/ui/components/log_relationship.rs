//! Logging the relationship from where people are: one form for the customer, contact, lead and deal
//! pages (a call, visit with its satisfaction score, meeting, e-mail, complaint or service ticket with
//! its assignee and due date, and the next follow-up), and the list of what was logged.
//!
//! Who sees the form is `relationship::may_log`, the question the relay's write gate asks of the new
//! activity. The activity is saved on this device first (offline too) and synced after; what was typed
//! stays in the form until it is saved, and a wrong field says what is wrong with it.

use leptos::prelude::*;
use leptos_router::components::A;
use std::collections::HashMap;

use crate::domain::ops::log_activity as follow_up_on_deal;
use crate::domain::relationship::{log_activity, may_log, LogEntry};
use crate::domain::{
    ActivityKind, ActivityView, CaseStatus, DocId, Opportunity, OpportunityStatus, RecordView, Role, Timestamp,
};
use crate::i18n::{I18n, K};
use crate::store::StoreError;
use crate::ui::components::ctx::{date_input_value, now, parse_date_input, Ctx};
use crate::ui::components::form::{form_error_summary, FormInput, FormSelect};

/// The text of an activity kind.
pub fn kind_text(kind: ActivityKind) -> K {
    match kind {
        ActivityKind::Call => K::KindCall,
        ActivityKind::Visit => K::KindVisit,
        ActivityKind::Meeting => K::KindMeeting,
        ActivityKind::Email => K::KindEmail,
        ActivityKind::Complaint => K::KindComplaint,
        ActivityKind::Service => K::KindService,
    }
}

/// The text of a case status.
pub fn case_status_text(status: CaseStatus) -> K {
    match status {
        CaseStatus::Open => K::CaseOpen,
        CaseStatus::InProgress => K::CaseInProgress,
        CaseStatus::Resolved => K::CaseResolved,
    }
}

/// What a new person of this role most often logs.
fn usual_kind(role: Option<Role>) -> ActivityKind {
    match role {
        Some(Role::AfterSales) => ActivityKind::Service,
        Some(Role::AccountManager) => ActivityKind::Visit,
        _ => ActivityKind::Call,
    }
}

/// The form's fields, as typed (strings until saved, so nothing typed is lost to a wrong field).
#[derive(Clone, Copy)]
struct Fields {
    kind: RwSignal<String>,
    subject: RwSignal<String>,
    when: RwSignal<String>,
    when_bad: RwSignal<bool>,
    outcome: RwSignal<String>,
    score: RwSignal<String>,
    assignee: RwSignal<String>,
    due: RwSignal<String>,
    due_bad: RwSignal<bool>,
    next: RwSignal<String>,
    next_bad: RwSignal<bool>,
}

impl Fields {
    fn new(kind: ActivityKind, me: String) -> Fields {
        Fields {
            kind: RwSignal::new(kind.as_str().to_string()),
            subject: RwSignal::new(String::new()),
            when: RwSignal::new(date_input_value(now())),
            when_bad: RwSignal::new(false),
            outcome: RwSignal::new(String::new()),
            score: RwSignal::new(String::new()),
            assignee: RwSignal::new(me),
            due: RwSignal::new(date_input_value(now().plus_days(3))),
            due_bad: RwSignal::new(false),
            next: RwSignal::new(String::new()),
            next_bad: RwSignal::new(false),
        }
    }

    fn kind(&self) -> ActivityKind {
        ActivityKind::parse(&self.kind.get()).unwrap_or(ActivityKind::Call)
    }

    /// After a save: a clean form for the next entry, keeping the kind and the assignee.
    fn clear(&self) {
        self.subject.set(String::new());
        self.outcome.set(String::new());
        self.score.set(String::new());
        self.next.set(String::new());
        self.when.set(date_input_value(now()));
        self.due.set(date_input_value(now().plus_days(3)));
    }
}

/// A date typed into `<input type=date>`: `None` when empty, `Err` when the browser rejected it.
fn typed_date(s: &str, bad: bool) -> Result<Option<Timestamp>, ()> {
    if bad {
        return Err(());
    }
    if s.trim().is_empty() {
        return Ok(None);
    }
    parse_date_input(s).map(Some).ok_or(())
}

/// Logs an activity on a customer (and the contact, lead or deal the page is about). On a deal the user may
/// write, the activity joins the deal's follow-ups and its date becomes the deal's next follow-up.
#[component]
pub fn LogRelationship(
    /// The customer it is logged on (the page's customer, or the contact's or deal's).
    #[prop(into)]
    customer: Signal<Option<DocId>>,
    #[prop(optional)] opportunity: Option<DocId>,
    #[prop(optional)] contact: Option<DocId>,
    #[prop(optional)] lead: Option<DocId>,
) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let me = ctx.me();
    let f = Fields::new(usual_kind(me.as_ref().map(|m| m.role)), me.map(|m| m.id.to_string()).unwrap_or_default());
    let errors = RwSignal::new(HashMap::<&'static str, String>::new());
    let general = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let saving = RwSignal::new(false);
    let may = Memo::new(move |_| {
        let Some(me) = ctx.me_id() else { return false };
        let owner = customer.with(|c| c.as_ref().and_then(|c| ctx.customer_owner(c)));
        ctx.directory().with(|d| d.as_ref().is_some_and(|d| may_log(&me, d, owner.as_ref())))
    });
    // On a deal the user may write and that is still open, the activity is also its follow-up.
    let deal = opportunity.clone().map(|id| ctx.store.record(id));
    let follows_deal = Memo::new(move |_| {
        deal.is_some_and(|d| {
            d.with(|view| match view {
                Some(v @ RecordView::Opportunity(o)) => {
                    o.base.status == OpportunityStatus::Active && ctx.access(v).base.can_write()
                }
                _ => false,
            })
        })
    });
    let is_case = move || f.kind().is_case();
    let is_visit = move || f.kind() == ActivityKind::Visit;
    let err = move |k: &'static str| Signal::derive(move || errors.with(|e| e.get(k).cloned()));
    let label = move |k: K| Signal::derive(move || i18n.t(k).to_string());

    let kinds = Signal::derive(move || {
        ActivityKind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), i18n.t(kind_text(*k)).to_string()))
            .collect::<Vec<_>>()
    });
    let scores = Signal::derive(move || {
        std::iter::once((String::new(), i18n.t(K::NotAsked).to_string()))
            .chain((1..=5).map(|n| (n.to_string(), format!("{n} {}", "★".repeat(n)))))
            .collect::<Vec<_>>()
    });
    let people = Signal::derive(move || {
        ctx.directory().with(|d| {
            let mut v: Vec<(String, String)> = d
                .iter()
                .flat_map(|d| d.users.iter())
                .filter(|u| !u.disabled)
                .map(|u| (u.id.to_string(), u.name.clone()))
                .collect();
            v.sort_by(|a, b| a.1.cmp(&b.1));
            v
        })
    });

    let submit = Callback::new(move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() {
            return;
        }
        saved.set(false);
        general.set(None);
        let (Some(me), Some(dir)) = (ctx.me_id(), ctx.directory().get_untracked()) else {
            general.set(Some(i18n.t(K::NoDirectory).to_string()));
            return;
        };
        let t = now();
        let kind = ActivityKind::parse(&f.kind.get_untracked()).unwrap_or(ActivityKind::Call);
        let mut errs = HashMap::new();
        let subject = f.subject.get_untracked();
        if subject.trim().is_empty() {
            errs.insert("subject", i18n.t(K::ErrSubject).to_string());
        }
        // Today (or nothing) is "now"; an earlier day is noon of that day; a later day has not happened.
        let at = match typed_date(&f.when.get_untracked(), f.when_bad.get_untracked()) {
            Ok(None) => t,
            Ok(Some(_)) if f.when.get_untracked() == date_input_value(t) => t,
            Ok(Some(d)) if d > t => {
                errs.insert("when", i18n.t(K::ErrFutureDate).to_string());
                t
            }
            Ok(Some(d)) => d,
            Err(()) => {
                errs.insert("when", i18n.t(K::ErrDate).to_string());
                t
            }
        };
        let due = match typed_date(&f.due.get_untracked(), f.due_bad.get_untracked()) {
            Ok(d) => d,
            Err(()) => {
                errs.insert("due", i18n.t(K::ErrDate).to_string());
                None
            }
        };
        let assignee = Some(f.assignee.get_untracked()).filter(|a| !a.is_empty()).map(crate::domain::UserId::new);
        if kind.is_case() {
            if due.is_none() && !errs.contains_key("due") {
                errs.insert("due", i18n.t(K::ErrDue).to_string());
            }
            if assignee.is_none() {
                errs.insert("assignee", i18n.t(K::ErrAssignee).to_string());
            }
        }
        let next = typed_date(&f.next.get_untracked(), f.next_bad.get_untracked()).unwrap_or_else(|()| {
            errs.insert("next", i18n.t(K::ErrDate).to_string());
            None
        });
        if !errs.is_empty() {
            errors.set(errs);
            return;
        }
        errors.set(HashMap::new());
        let entry = LogEntry {
            kind,
            subject: subject.clone(),
            at,
            customer: customer.get_untracked(),
            opportunity: opportunity.clone(),
            contact: contact.clone(),
            lead: lead.clone(),
            outcome: f.outcome.get_untracked(),
            satisfaction: if kind == ActivityKind::Visit { f.score.get_untracked().parse().ok() } else { None },
            assignee: kind.is_case().then_some(assignee).flatten(),
            due_at: kind.is_case().then_some(due).flatten(),
        };
        let mut a = match log_activity(entry, &me, t, &dir) {
            Ok(a) => a,
            Err(e) => return general.set(Some(e.to_string())),
        };
        a.team = dir.user(&me).and_then(|u| u.team.clone());
        a.next_step_at = next;
        let (store, deal_id, on_deal) = (ctx.store, opportunity.clone(), follows_deal.get_untracked());
        saving.set(true);
        leptos::task::spawn_local(async move {
            let r = async {
                let activity = a.clone();
                let aid = store.create_record(a).await?;
                if let (Some(id), true) = (deal_id, on_deal) {
                    let summary = format!("{}: {}", i18n.t(K::LogActivity), activity.subject);
                    store
                        .update_record::<Opportunity>(id, summary, move |o| follow_up_on_deal(o, &aid, &activity))
                        .await?;
                }
                Ok::<_, StoreError>(())
            }
            .await;
            saving.set(false);
            match r {
                Ok(()) => {
                    f.clear();
                    saved.set(true);
                }
                Err(e) => general.set(Some(e.to_string())),
            }
        });
    });

    view! {
        <Show when=move || may.get()>
            <form class="log-activity" novalidate=true on:submit=move |ev| submit.run(ev) aria-label=move || i18n.t(K::LogActivity)>
                <h3>{move || i18n.t(K::LogActivity)}</h3>
                {move || (errors.with(|e| !e.is_empty()) || general.with(Option::is_some))
                    .then(|| form_error_summary(i18n, general.get()))}
                <FormSelect name="log-kind" label=label(K::ActivityKind) value=f.kind options=kinds error=err("kind") />
                <FormInput name="log-subject" label=label(K::Subject) value=f.subject error=err("subject") required=true />
                <FormInput name="log-when" label=label(K::When) value=f.when error=err("when") input_type="date" bad=f.when_bad />
                <Show when=is_visit>
                    <FormSelect name="log-score" label=label(K::VisitScore) value=f.score options=scores error=err("score") />
                </Show>
                <Show when=is_case>
                    <FormSelect name="log-assignee" label=label(K::Assignee) value=f.assignee options=people error=err("assignee") required=true />
                    <FormInput name="log-due" label=label(K::ResolveBy) value=f.due error=err("due") input_type="date" bad=f.due_bad required=true />
                </Show>
                <FormInput name="log-outcome" label=label(K::Outcome) value=f.outcome error=err("outcome") />
                <FormInput name="log-next" label=label(K::NextFollowUp) value=f.next error=err("next") input_type="date" bad=f.next_bad />
                <div class="log-actions">
                    <button type="submit" class="primary" disabled=move || saving.get()>{move || i18n.t(K::Save)}</button>
                    <Show when=move || saved.get()>
                        <span role="status" class="muted">{move || i18n.t(K::Logged)}</span>
                    </Show>
                </div>
            </form>
        </Show>
    }
}

/// The details after an activity's kind and subject: "score 4/5", "In progress · assigned to …".
pub fn activity_details(i18n: I18n, ctx: Ctx, a: &ActivityView) -> String {
    let mut parts = Vec::new();
    if let Some(s) = a.base.satisfaction {
        parts.push(i18n.t(K::ScoreOf).replace("{n}", &s.to_string()));
    }
    if let Some(status) = a.base.case_status() {
        parts.push(i18n.t(case_status_text(status)).to_string());
        if let Some(u) = &a.base.assignee {
            parts.push(i18n.t(K::AssignedTo).replace("{name}", &ctx.user_name(u)));
        }
        if let (Some(d), true) = (a.base.due_at, status != CaseStatus::Resolved) {
            parts.push(i18n.t(K::DueOn).replace("{date}", &i18n.date(d)));
        }
    }
    parts.join(" · ")
}

/// The activities `keep` selects, newest first, each a link to its page with its details.
#[component]
pub fn ActivityList(keep: fn(&ActivityView, &DocId) -> bool, of: DocId) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let all = ctx.store.records(crate::domain::RecordKind::Activity);
    let mine = Memo::new(move |_| {
        let mut v: Vec<ActivityView> = all.with(|vs| {
            vs.iter()
                .filter_map(|v| match v {
                    RecordView::Activity(a) if keep(a, &of) => Some(a.clone()),
                    _ => None,
                })
                .collect()
        });
        v.sort_by_key(|a| std::cmp::Reverse(a.base.at));
        v
    });
    view! {
        <Show when=move || mine.with(Vec::is_empty)>
            <p class="muted empty-note">{move || i18n.t(K::NoActivities)}</p>
        </Show>
        <ol class="timeline">
            {move || mine.get().into_iter().map(|a| {
                let text = format!("{} · {}", i18n.t(kind_text(a.base.kind)), a.base.subject);
                let details = activity_details(i18n, ctx, &a);
                let who = a.base.owner.as_ref().map(|u| ctx.user_name(u)).unwrap_or_default();
                view! {
                    <li>
                        <A href=format!("/r/{}", a.id)>{text}</A>
                        {(!details.is_empty()).then(|| view! { <span>" · "{details}</span> })}
                        <span class="muted">" · "{i18n.date(a.base.at)}" · "{who}</span>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}
