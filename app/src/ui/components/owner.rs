//! A record's owner (a customer's maintainer): a select listing the people the signed-in user may hand
//! the record to (`domain::may_assign`, the rule the relay enforces), or the name, read-only, for
//! everyone else. Reassigning also moves the record to the new owner's team.

use leptos::prelude::*;

use crate::domain::{
    may_assign, Activity, Contact, Customer, Directory, DocId, Lead, Opportunity, RecordKind, TeamId, UserId,
};
use crate::i18n::{I18n, K};
use crate::ui::components::confirm::{Ask, Confirm};
use crate::ui::components::ctx::save;
use crate::ui::components::ctx::{now, Ctx};
use crate::ui::components::fields::{ReadField, SelectField};
use std::sync::Arc;

/// The owners `me` may give a record of `kind` owned by `from` (not `from` itself), as (value, name);
/// the value "" is the unassigned lead pool. `creating`: for a new record (`from` is then `None`).
pub fn owner_choices(
    me: &UserId,
    dir: &Directory,
    kind: RecordKind,
    from: Option<&UserId>,
    creating: bool,
    unassigned: &str,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = dir
        .users
        .iter()
        .filter(|u| !u.disabled && (creating || Some(&u.id) != from))
        .filter(|u| may_assign(me, dir, kind, from, Some(&u.id), creating))
        .map(|u| (u.id.to_string(), u.name.clone()))
        .collect();
    // Me first, then by name.
    out.sort_by(|a, b| (a.0 != me.as_str(), &a.1).cmp(&(b.0 != me.as_str(), &b.1)));
    if kind == RecordKind::Lead && (creating || from.is_some()) && may_assign(me, dir, kind, from, None, creating) {
        out.push((String::new(), unassigned.to_string()));
    }
    out
}

/// The team a record follows when `owner` owns it.
pub fn team_of(dir: &Directory, owner: Option<&UserId>) -> Option<TeamId> {
    owner.and_then(|o| dir.user(o)).and_then(|u| u.team.clone())
}

/// Saves a new owner (and team) on a record of any kind.
fn reassign(ctx: Ctx, id: DocId, kind: RecordKind, to: Option<UserId>, team: Option<TeamId>, summary: String) {
    let t = now();
    macro_rules! set {
        ($r:ty) => {
            save::<$r>(ctx, id, summary, move |r| {
                r.owner = to;
                r.team = team;
                r.updated_at = t.max(r.updated_at);
                Ok(())
            })
        };
    }
    match kind {
        RecordKind::Lead => set!(Lead),
        RecordKind::Opportunity => set!(Opportunity),
        RecordKind::Customer => set!(Customer),
        RecordKind::Contact => set!(Contact),
        RecordKind::Activity => set!(Activity),
    }
}

/// The owner field of a record page.
#[component]
pub fn OwnerField(id: DocId) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let rec = ctx.store.record(id.clone());
    let kind = Memo::new(move |_| rec.with(|r| r.as_ref().map(|v| v.kind())));
    let owner = Memo::new(move |_| rec.with(|r| r.as_ref().and_then(|v| v.owner().cloned())));
    let label = Signal::derive(move || {
        i18n.t(if kind.get() == Some(RecordKind::Customer) { K::Maintainer } else { K::Owner }).to_string()
    });
    let owner_name = Signal::derive(move || {
        owner.get().map(|u| ctx.user_name(&u)).unwrap_or_else(|| i18n.t(K::Unassigned).to_string())
    });
    // Whom the user may hand it to; empty = read-only.
    let choices = Memo::new(move |_| {
        let (Some(me), Some(kind)) = (ctx.me_id(), kind.get()) else { return Vec::new() };
        let from = owner.get();
        ctx.directory()
            .with(|d| d.as_ref().map(|d| owner_choices(&me, d, kind, from.as_ref(), false, i18n.t(K::Unassigned))))
            .unwrap_or_default()
    });
    let options = Signal::derive(move || {
        let current = (owner.get().map(|u| u.to_string()).unwrap_or_default(), owner_name.get());
        std::iter::once(current).chain(choices.get()).collect::<Vec<_>>()
    });
    // Bumped when a reassignment is cancelled: the select redraws with the current owner.
    let shown = RwSignal::new(0u32);
    let value = Signal::derive(move || {
        shown.track();
        owner.get().map(|u| u.to_string()).unwrap_or_default()
    });
    let confirm = Confirm::use_confirm();
    let commit = Callback::new(move |v: String| {
        let (Some(kind), Some(dir)) = (kind.get_untracked(), ctx.directory().get_untracked()) else { return };
        let to = (!v.is_empty()).then(|| UserId::new(v));
        if to == owner.get_untracked() {
            return;
        }
        let team = team_of(&dir, to.as_ref());
        let name = to.as_ref().map(|u| ctx.user_name(u)).unwrap_or_else(|| i18n.t(K::Unassigned).to_string());
        let summary = format!("{} → {name}", label.get_untracked());
        let title = rec.with_untracked(|r| r.as_ref().map(|v| v.title().to_string())).unwrap_or_default();
        // Handing a record over is risky (the new owner's team may hide it from us): ask first.
        let id = id.clone();
        confirm.ask(Ask {
            title: i18n.t(K::ConfirmReassign).replace("{record}", &title).replace("{name}", &name),
            detail: i18n.t(K::ConfirmReassignHint).to_string(),
            on_confirm: Arc::new(move || reassign(ctx, id.clone(), kind, to.clone(), team.clone(), summary.clone())),
            on_cancel: Some(Arc::new(move || shown.update(|n| *n += 1))),
        });
    });
    move || {
        if choices.with(|c| c.is_empty()) {
            view! { <ReadField label=label value=owner_name /> }.into_any()
        } else {
            view! { <SelectField label=label value=value options=options editable=true on_commit=commit /> }.into_any()
        }
    }
}
