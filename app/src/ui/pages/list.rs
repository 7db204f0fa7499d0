//! Lists of leads, opportunities, customers and contacts: search, sort, filter by owner and status (a
//! customer's tier), customers also sorted by last contact, satisfaction and lifetime value
//! (`list/customer_facts.rs`), and windowed rendering (only the rows on screen are in the DOM).

mod customer_facts;

use leptos::prelude::*;
use leptos_router::components::A;
use std::cmp::Ordering;
use std::sync::Arc;

use crate::domain::search::{matches, query_words, search_text};
use crate::domain::{DocId, OpportunityStatus, RecordKind, RecordView};
use crate::i18n::{I18n, K, RK};
use crate::ui::components::ctx::Ctx;
use crate::ui::components::search::kind_label;
use crate::ui::components::virtual_list::VirtualList;
use crate::ui::pages::new_record::NewButton;
use customer_facts::{compare, facts_memo, facts_text, FactSort};

const ROW_HEIGHT: f64 = 60.0;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Sort {
    Name,
    Updated,
    Close,
    Amount,
    Fact(FactSort),
}

impl Sort {
    fn parse(s: &str) -> Sort {
        match s {
            "updated" => Sort::Updated,
            "close" => Sort::Close,
            "amount" => Sort::Amount,
            "last_contact" => Sort::Fact(FactSort::LastContact),
            "satisfaction" => Sort::Fact(FactSort::Satisfaction),
            "lifetime" => Sort::Fact(FactSort::Lifetime),
            _ => Sort::Name,
        }
    }
}

/// The status word used for filtering (lead status, deal status, customer tier).
fn status_of(v: &RecordView) -> Option<&'static str> {
    match v {
        RecordView::Lead(l) => Some(l.base.status.as_str()),
        RecordView::Opportunity(o) => Some(o.base.status.as_str()),
        RecordView::Customer(c) => Some(c.base.tier.as_str()),
        _ => None,
    }
}

fn statuses(kind: RecordKind) -> Vec<&'static str> {
    use crate::domain::{CustomerTier, LeadStatus, OpportunityStatus};
    match kind {
        RecordKind::Lead => LeadStatus::ALL.iter().map(|s| s.as_str()).collect(),
        RecordKind::Opportunity => OpportunityStatus::ALL.iter().map(|s| s.as_str()).collect(),
        RecordKind::Customer => CustomerTier::ALL.iter().map(|s| s.as_str()).collect(),
        _ => Vec::new(),
    }
}

fn amount_minor(v: &RecordView) -> i64 {
    match v {
        RecordView::Opportunity(o) => {
            o.money.as_ref().and_then(|m| m.expected_amount.as_ref()).map_or(-1, |m| m.amount_minor)
        }
        _ => -1,
    }
}

fn close_ms(v: &RecordView) -> i64 {
    match v {
        RecordView::Opportunity(o) => o.base.expected_close.map_or(i64::MAX, |t| t.millis()),
        _ => i64::MAX,
    }
}

/// The words a row is found by (title, numbers, customer names; Chinese also by pinyin and initials).
fn matches_query(v: &RecordView, words: &[String], ctx: &Ctx) -> bool {
    if words.is_empty() {
        return true;
    }
    let customer = |c: Option<&DocId>| c.and_then(|c| ctx.customer_name(c)).unwrap_or_default();
    let text = match v {
        RecordView::Lead(l) => search_text([v.title(), l.base.company.as_str(), l.base.contact_name.as_str()]),
        RecordView::Opportunity(o) => {
            search_text([v.title(), o.base.number.as_str(), customer(o.base.customer.as_ref()).as_str()])
        }
        RecordView::Customer(c) => search_text(
            [v.title(), c.base.number.as_str(), c.base.industry.as_str(), c.base.region.as_str()]
                .into_iter()
                .chain(c.base.tags.iter().map(String::as_str)),
        ),
        RecordView::Contact(c) => {
            search_text([v.title(), c.base.title.as_str(), customer(c.base.customer.as_ref()).as_str()])
        }
        RecordView::Activity(a) => search_text([v.title(), a.base.outcome.as_str()]),
    };
    matches(&text, words)
}

#[component]
pub fn ListPage(kind: RecordKind) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let records = ctx.store.records(kind);
    let query = RwSignal::new(String::new());
    let sort = RwSignal::new(Sort::Name);
    let owner = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    // Archived records are left out; the "archived only" filter finds them.
    let archived = RwSignal::new(false);
    let facts = facts_memo(ctx, kind);

    // While thousands of records stream in (first sync), re-filter at most every 300 ms, not per record; but
    // while the list shows nothing yet (a cold start's first views), show them at once.
    let version = RwSignal::new(0u64);
    let scheduled = StoredValue::new(false);
    let shown_len = StoredValue::new(0usize);
    Effect::new(move |_| {
        records.track();
        if scheduled.get_value() {
            return;
        }
        scheduled.set_value(true);
        set_timeout(
            move || {
                scheduled.set_value(false);
                shown_len.set_value(records.with_untracked(Vec::len));
                version.update(|v| *v += 1);
            },
            std::time::Duration::from_millis(if shown_len.get_value() == 0 { 0 } else { 300 }),
        );
    });

    // Indices into `records`, filtered and sorted: no row is cloned until it is on screen.
    let order = Memo::new(move |_| {
        let v = version.get();
        let words = query_words(&query.get());
        let (owner, status, sort, archived) = (owner.get(), status.get(), sort.get(), archived.get());
        let me = ctx.me_id();
        let currency = ctx.directory().with(|d| d.as_ref().map(|d| d.relationship.tiers.currency.clone()));
        let currency = currency.unwrap_or_default();
        if matches!(sort, Sort::Fact(_)) {
            facts.track();
        }
        records.with_untracked(|vs| {
            let mut idx: Vec<usize> = (0..vs.len())
                .filter(|&i| {
                    let v = &vs[i];
                    let owner_ok = match owner.as_str() {
                        "" => true,
                        "me" => v.owner().is_some() && v.owner() == me.as_ref(),
                        "none" => v.owner().is_none(),
                        _ => true,
                    };
                    owner_ok
                        && v.archived().is_some() == archived
                        && (status.is_empty() || status_of(v) == Some(status.as_str()))
                        && matches_query(v, &words, &ctx)
                })
                .collect();
            let by_name = |a: &usize, b: &usize| vs[*a].title().to_lowercase().cmp(&vs[*b].title().to_lowercase());
            idx.sort_by(|a, b| {
                let o = match sort {
                    Sort::Name => Ordering::Equal,
                    Sort::Updated => vs[*b].updated_at().cmp(&vs[*a].updated_at()),
                    Sort::Close => close_ms(&vs[*a]).cmp(&close_ms(&vs[*b])),
                    Sort::Amount => amount_minor(&vs[*b]).cmp(&amount_minor(&vs[*a])),
                    Sort::Fact(f) => {
                        facts.with_untracked(|m| compare(f, m.get(vs[*a].id()), m.get(vs[*b].id()), &currency))
                    }
                };
                o.then_with(|| by_name(a, b))
            });
            (v, idx)
        })
    });
    let count = Signal::derive(move || order.with(|(_, o)| o.len()));
    let row: Arc<dyn Fn(usize) -> AnyView + Send + Sync> = Arc::new(move |i: usize| {
        // Rows show user, stage and customer names: redraw them when those arrive or change.
        ctx.track_names();
        // `order` holds indices into the records as of its last run: read them together, untracked.
        let Some(v) =
            order.with(|(_, o)| o.get(i).copied()).and_then(|ix| records.with_untracked(|vs| vs.get(ix).cloned()))
        else {
            return ().into_any();
        };
        let facts = (kind == RecordKind::Customer).then(|| facts.with(|m| m.get(v.id()).cloned())).flatten();
        view! { <Row view=v facts=facts /> }.into_any()
    });
    view! {
        <section class="list-page">
            <header class="page-header">
                <h1>{move || i18n.t(kind_label(kind))}</h1>
                <NewButton kind=kind />
                <div class="filters" role="group" aria-label=move || i18n.t(K::Filter)>
                    <input
                        type="search"
                        class="list-search"
                        aria-label=move || format!("{} {}", i18n.t(K::Search), i18n.t(kind_label(kind)))
                        placeholder=move || i18n.t(K::Search)
                        on:input=move |e| query.set(event_target_value(&e))
                    />
                    <select aria-label=move || i18n.t(K::SortBy) on:change=move |e| sort.set(Sort::parse(&event_target_value(&e)))>
                        <option value="name">{move || i18n.t(K::Name)}</option>
                        <option value="updated">{move || i18n.t(K::Updated)}</option>
                        {(kind == RecordKind::Opportunity)
                            .then(|| {
                                view! {
                                    <option value="close">{move || i18n.t(K::ExpectedClose)}</option>
                                    <option value="amount">{move || i18n.t(K::Amount)}</option>
                                }
                            })}
                        {(kind == RecordKind::Customer)
                            .then(|| {
                                view! {
                                    <option value="last_contact">{move || i18n.t(RK::SortLastContact)}</option>
                                    <option value="satisfaction">{move || i18n.t(RK::SortSatisfaction)}</option>
                                    <option value="lifetime">{move || i18n.t(RK::SortLifetime)}</option>
                                }
                            })}
                    </select>
                    <select aria-label=move || i18n.t(K::Owner) on:change=move |e| owner.set(event_target_value(&e))>
                        <option value="">{move || i18n.t(K::AllOwners)}</option>
                        <option value="me">{move || i18n.t(K::Me)}</option>
                        <option value="none">{move || i18n.t(K::Unassigned)}</option>
                    </select>
                    {(!statuses(kind).is_empty())
                        .then(|| {
                            view! {
                                <select
                                    aria-label=move || i18n.t(if kind == RecordKind::Customer { K::Tier } else { K::Status })
                                    on:change=move |e| status.set(event_target_value(&e))
                                >
                                    <option value="">{move || i18n.t(K::All)}</option>
                                    {statuses(kind).into_iter().map(|s| view! { <option value=s>{status_text(i18n, s)}</option> }).collect_view()}
                                </select>
                            }
                        })}
                    <label class="archived-filter">
                        <input type="checkbox" on:change=move |e| archived.set(event_target_checked(&e)) />
                        {move || i18n.t(K::ShowArchived)}
                    </label>
                </div>
                <p class="muted count" aria-live="polite">
                    {move || {
                        let n = count.get();
                        format!("{} {}", i18n.number(n as f64), i18n.plural(n, K::Row, K::Rows))
                    }}
                </p>
            </header>
            <VirtualList
                count=count
                row_height=ROW_HEIGHT
                label=Signal::derive(move || i18n.t(kind_label(kind)).to_string())
                row=row
            />
        </section>
    }
}

/// A status, tier or stage word for people.
pub fn status_text(i18n: I18n, s: &str) -> String {
    let k = match s {
        "active" => Some(K::Active),
        "won" => Some(K::WonStatus),
        "lost" => Some(K::LostStatus),
        "closed" => Some(K::ClosedStatus),
        "converted" => Some(K::Converted),
        "new" => Some(K::StatusNew),
        "contacted" => Some(K::StatusContacted),
        "qualified" => Some(K::StatusQualified),
        "disqualified" => Some(K::StatusDisqualified),
        "key" => Some(K::TierKey),
        "normal" => Some(K::TierNormal),
        "low_frequency" => Some(K::TierLow),
        "call" => Some(K::KindCall),
        "visit" => Some(K::KindVisit),
        "meeting" => Some(K::KindMeeting),
        "email" => Some(K::KindEmail),
        "complaint" => Some(K::KindComplaint),
        "service" => Some(K::KindService),
        "ticket" => Some(K::KindTicket),
        "feedback" => Some(K::KindFeedback),
        "exhibition" => Some(K::SrcExhibition),
        "website" => Some(K::SrcWebsite),
        "referral" => Some(K::SrcReferral),
        "ads" => Some(K::SrcAds),
        "cold_call" => Some(K::SrcColdCall),
        "other" => Some(K::SrcOther),
        _ => None,
    };
    match k {
        Some(k) => i18n.t(k).to_string(),
        None => s.replace('_', " "),
    }
}

#[component]
fn Row(view: RecordView, facts: Option<crate::domain::relationship::CustomerFacts>) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let href = format!("/r/{}", view.id());
    let title = view.title().to_string();
    let owner = view.owner().map(|o| ctx.user_name(o)).unwrap_or_else(|| i18n.t(K::Unassigned).to_string());
    // A decided deal says so at a glance (a lost deal is not "· Negotiation" like an active one).
    let closed = match &view {
        RecordView::Opportunity(o) if o.base.status != OpportunityStatus::Active => Some(o.base.status),
        _ => None,
    };
    let row_class = if closed.is_some() { "row row-closed" } else { "row" };
    let (sub, right): (String, String) = match &view {
        RecordView::Lead(l) => (l.base.company.clone(), status_text(i18n, l.base.status.as_str())),
        RecordView::Opportunity(o) => {
            let customer = o.base.customer.as_ref().and_then(|c| ctx.customer_name(c)).unwrap_or_default();
            let stage = ctx
                .directory()
                .with(|d| d.as_ref().and_then(|d| d.stage(&o.base.stage)).map(|s| i18n.stage_name(s)))
                .unwrap_or_else(|| o.base.stage.to_string());
            let amount = o.money.as_ref().and_then(|m| m.expected_amount.as_ref()).map(|m| i18n.money(m));
            let sub = if customer.is_empty() { stage } else { format!("{customer} · {stage}") };
            (sub, amount.unwrap_or_default())
        }
        RecordView::Customer(c) => {
            let facts = facts.map(|f| format!(" · {}", facts_text(i18n, &f))).unwrap_or_default();
            (format!("{} · {}{facts}", c.base.number, c.base.region), status_text(i18n, c.base.tier.as_str()))
        }
        RecordView::Contact(c) => {
            let customer = c.base.customer.as_ref().and_then(|id| ctx.customer_name(id)).unwrap_or_default();
            (format!("{} · {customer}", c.base.title), c.pii.as_ref().map(|p| p.phone.clone()).unwrap_or_default())
        }
        RecordView::Activity(a) => (a.base.outcome.clone(), i18n.date(a.base.at)),
    };
    view! {
        <A href=href attr:class=row_class>
            <span class="row-main">
                <span class="row-title">
                    {closed.map(|s| {
                        let class = format!("badge badge-{}", s.as_str());
                        view! { <span class=class>{status_text(i18n, s.as_str())}</span> }
                    })}
                    {title}
                </span>
                <span class="row-sub muted">{sub}</span>
            </span>
            <span class="row-side">
                <span class="row-right">{right}</span>
                <span class="row-owner muted">{owner}</span>
            </span>
        </A>
    }
}
