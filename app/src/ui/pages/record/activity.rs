//! An activity's page: what it was, with whom and about what (customer, deal, contact, lead), its outcome
//! and next step; a visit's satisfaction score; a complaint's or ticket's status (open → in progress →
//! resolved), assignee and due date, changed here by whoever may write the activity.

use leptos::prelude::*;

use super::{access_of, save, RecordLink};
use crate::domain::relationship::{assign_case, set_case_status};
use crate::domain::{Activity, ActivityView, CaseStatus, DocId, DomainError, RecordView, UserId};
use crate::i18n::{I18n, K};
use crate::ui::components::ctx::{date_input_value, now, parse_date_input, Ctx};
use crate::ui::components::custom_fields::CustomFields;
use crate::ui::components::fields::{ReadField, SelectField, TextField};
use crate::ui::components::log_relationship::{case_status_text, kind_text};
use crate::ui::components::notes::LiveNotes;

#[component]
pub fn ActivityDetail(id: DocId) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let rec = ctx.store.record(id.clone());
    let a = Memo::new(move |_| match rec.get() {
        Some(RecordView::Activity(a)) => Some(a),
        _ => None,
    });
    let acc = access_of(ctx, id.clone());
    let base_w = Signal::derive(move || acc.get().base.can_write());
    let label = move |k: K| Signal::derive(move || i18n.t(k).to_string());
    let get =
        move |f: fn(&ActivityView) -> String| Signal::derive(move || a.with(|a| a.as_ref().map(f).unwrap_or_default()));
    let link = move |f: fn(&ActivityView) -> Option<DocId>| Signal::derive(move || a.with(|a| a.as_ref().and_then(f)));
    let is_case = move || a.with(|a| a.as_ref().is_some_and(|a| a.base.kind.is_case()));
    let is_visit = move || a.with(|a| a.as_ref().is_some_and(|a| a.base.kind == crate::domain::ActivityKind::Visit));
    let (i1, i2, i3) = (id.clone(), id.clone(), id.clone());
    let (i_status, i_assignee, i_due, i_score) = (
        StoredValue::new(id.clone()),
        StoredValue::new(id.clone()),
        StoredValue::new(id.clone()),
        StoredValue::new(id.clone()),
    );

    let statuses = Signal::derive(move || {
        CaseStatus::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), i18n.t(case_status_text(*s)).to_string()))
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
    let scores = Signal::derive(move || {
        std::iter::once((String::new(), i18n.t(K::NotAsked).to_string()))
            .chain((1..=5).map(|n| (n.to_string(), format!("{n} {}", "★".repeat(n)))))
            .collect::<Vec<_>>()
    });
    // Hands the case over (or moves its due date): the domain checks the assignee is an active user.
    let reassign = move |id: DocId, who: Option<UserId>, due: Option<crate::domain::Timestamp>, summary: String| {
        let Some(dir) = ctx.directory().get_untracked() else { return ctx.report(i18n.t(K::NoDirectory)) };
        save::<Activity>(ctx, id, summary, move |a| {
            let who = who
                .or_else(|| a.assignee.clone())
                .ok_or_else(|| DomainError::invalid("assignee", "who works on it?"))?;
            let due = due.or(a.due_at).ok_or_else(|| DomainError::invalid("due_at", "by when must it be resolved?"))?;
            assign_case(a, who, due, &dir, now())
        })
    };

    view! {
        <div class="record-grid">
            <section class="card">
                <ReadField label=label(K::ActivityKind) value=Signal::derive(move || a.with(|a| a.as_ref().map(|a| i18n.t(kind_text(a.base.kind)).to_string())).unwrap_or_default()) />
                <ReadField label=label(K::When) value=Signal::derive(move || a.with(|a| a.as_ref().map(|a| i18n.date(a.base.at))).unwrap_or_default()) />
                <RecordLink label=K::Customer target=link(|a| a.base.customer.clone()) />
                <RecordLink label=K::KindOpportunity target=link(|a| a.base.opportunity.clone()) />
                <RecordLink label=K::KindContact target=link(|a| a.base.contact.clone()) />
                <RecordLink label=K::KindLead target=link(|a| a.base.lead.clone()) />
                <ReadField label=label(K::Owner) value=Signal::derive(move || a.with(|a| a.as_ref().and_then(|a| a.base.owner.clone())).map(|u| ctx.user_name(&u)).unwrap_or_default()) />
                <Show when=is_visit>
                    <SelectField label=label(K::VisitScore) value=get(|a| a.base.satisfaction.map(|s| s.to_string()).unwrap_or_default()) options=scores editable=base_w
                        on_commit=Callback::new(move |v: String| {
                            let s = v.parse::<u8>().ok();
                            save::<Activity>(ctx, i_score.get_value(), format!("{}: {v}", i18n.t(K::VisitScore)), move |a| { a.satisfaction = s; a.updated_at = now().max(a.updated_at); Ok(()) })
                        }) />
                </Show>
                <Show when=is_case>
                    <SelectField label=label(K::Status) value=get(|a| a.base.case_status().map(|s| s.as_str().to_string()).unwrap_or_default()) options=statuses editable=base_w
                        on_commit=Callback::new(move |v: String| {
                            if let Ok(s) = CaseStatus::parse(&v) {
                                save::<Activity>(ctx, i_status.get_value(), format!("{}: {}", i18n.t(K::Status), i18n.t(case_status_text(s))), move |a| set_case_status(a, s, now()))
                            }
                        }) />
                    <SelectField label=label(K::Assignee) value=get(|a| a.base.assignee.as_ref().map(|u| u.to_string()).unwrap_or_default()) options=people editable=base_w
                        on_commit=Callback::new(move |v: String| reassign(i_assignee.get_value(), Some(UserId::new(v.clone())), None, format!("{}: {v}", i18n.t(K::Assignee)))) />
                    <TextField label=label(K::ResolveBy) input_type="date" value=get(|a| a.base.due_at.map(date_input_value).unwrap_or_default()) editable=base_w
                        on_commit=Callback::new(move |v: String| match parse_date_input(&v) {
                            Some(t) => reassign(i_due.get_value(), None, Some(t), format!("{}: {v}", i18n.t(K::ResolveBy))),
                            None => ctx.report(format!("{}: {}", i18n.t(K::ResolveBy), i18n.t(K::ErrDue))),
                        }) />
                    <Show when=move || a.with(|a| a.as_ref().is_some_and(|a| a.base.resolved_at.is_some()))>
                        <ReadField label=label(K::ResolvedOn) value=Signal::derive(move || a.with(|a| a.as_ref().and_then(|a| a.base.resolved_at)).map(|t| i18n.date(t)).unwrap_or_default()) />
                    </Show>
                </Show>
                <TextField label=label(K::Outcome) value=get(|a| a.base.outcome.clone()) editable=base_w
                    on_commit=Callback::new(move |v: String| save::<Activity>(ctx, i1.clone(), format!("{}: {v}", i18n.t(K::Outcome)), move |a| { a.outcome = v.trim().to_string(); Ok(()) })) />
                <TextField label=label(K::NextStep) value=get(|a| a.base.next_step.clone()) editable=base_w
                    on_commit=Callback::new(move |v: String| save::<Activity>(ctx, i2.clone(), format!("{}: {v}", i18n.t(K::NextStep)), move |a| { a.next_step = v.trim().to_string(); Ok(()) })) />
                <TextField label=label(K::NextStepDue) input_type="date" value=get(|a| a.base.next_step_at.map(date_input_value).unwrap_or_default()) editable=base_w
                    on_commit=Callback::new(move |v: String| {
                        let t = parse_date_input(&v);
                        save::<Activity>(ctx, i3.clone(), format!("{}: {v}", i18n.t(K::NextStepDue)), move |a| { a.next_step_at = t; Ok(()) })
                    }) />
            </section>
            <CustomFields id=id.clone() />
            <section class="card">
                <LiveNotes id=id.clone() label=label(K::Notes) editable=base_w />
            </section>
        </div>
    }
}
