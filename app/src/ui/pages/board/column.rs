//! A board column (a stage, or the lost and closed deals) and its deal cards.

use leptos::prelude::*;
use leptos_router::components::A;

use super::move_opportunity;
use crate::domain::{totals_by_currency, DocId, OpportunityStatus, OpportunityView, RecordView, StageId};
use crate::i18n::{I18n, K};
use crate::ui::components::confirm::Confirm;
use crate::ui::components::ctx::{now, Ctx};
use crate::ui::pages::list::status_text;

/// Cards drawn per column before "show more" (a column of thousands would only slow the board down).
const COLUMN_PAGE: usize = 60;

#[component]
pub(super) fn Column(
    stage: StageId,
    name: String,
    deals: Memo<Vec<OpportunityView>>,
    dragging: RwSignal<Option<DocId>>,
    /// The board shows a past time: nothing moves.
    frozen: Signal<bool>,
    on_drop: Callback<DocId>,
) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let shown = RwSignal::new(COLUMN_PAGE);
    let over = RwSignal::new(false);
    let totals = move || {
        deals.with(|d| {
            let t = totals_by_currency(d.iter().filter_map(|o| o.money.as_ref()?.expected_amount.as_ref()));
            t.iter().map(|m| i18n.money(m)).collect::<Vec<_>>().join(" · ")
        })
    };
    let heading_id = format!("col-{}", stage.as_str());
    let labelled_by = heading_id.clone();
    view! {
        <section
            class="column"
            class:drop-target=move || over.get()
            aria-labelledby=labelled_by
            on:dragover=move |e| {
                if frozen.get_untracked() {
                    return;
                }
                e.prevent_default();
                over.set(true);
            }
            on:dragleave=move |_| over.set(false)
            on:drop=move |e| {
                e.prevent_default();
                over.set(false);
                let id = e
                    .data_transfer()
                    .and_then(|dt| dt.get_data("text/plain").ok())
                    .and_then(|s| DocId::parse(&s).ok())
                    .or_else(|| dragging.get_untracked());
                dragging.set(None);
                if let Some(id) = id.filter(|_| !frozen.get_untracked()) {
                    on_drop.run(id);
                }
            }
        >
            <header class="column-header">
                <h2 id=heading_id>{name}</h2>
                <p class="column-meta">
                    <span class="count">
                        {move || {
                            let n = deals.with(|d| d.len());
                            format!("{n} {}", i18n.plural(n, K::Deal, K::Deals))
                        }}
                    </span>
                    // A name on a plain span is not announced (axe: aria-prohibited-attr): say it in text.
                    <span class="total">
                        <span class="visually-hidden">{move || format!("{}: ", i18n.t(K::Total))}</span>
                        {totals}
                    </span>
                </p>
            </header>
            <ul class="cards">
                {move || {
                    deals
                        .get()
                        .into_iter()
                        .take(shown.get())
                        .map(|o| view! { <Card deal=o dragging=dragging frozen=frozen /> })
                        .collect_view()
                }}
            </ul>
            <Show when=move || deals.with(|d| d.len() > shown.get())>
                <button class="secondary more" on:click=move |_| shown.update(|s| *s += COLUMN_PAGE)>
                    {move || format!("+{}", deals.with(|d| d.len()) - shown.get().min(deals.with(|d| d.len())))}
                </button>
            </Show>
        </section>
    }
}

#[component]
fn Card(deal: OpportunityView, dragging: RwSignal<Option<DocId>>, frozen: Signal<bool>) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    // A card is rebuilt when its deal changes; what it reads here need not be tracked.
    let access = untrack(|| ctx.access(&RecordView::Opportunity(deal.clone())));
    let confirm = Confirm::use_confirm();
    let movable = access.base.can_write() && deal.base.status == OpportunityStatus::Active;
    let decided = (deal.base.status != OpportunityStatus::Active).then_some(deal.base.status);
    let t = now();
    let days = deal.base.stage_entered_at().days_until(t).max(0);
    let overdue = deal.base.status == OpportunityStatus::Active && deal.base.next_follow_up.is_some_and(|d| d < t);
    // Tracked, unlike the rest of the card: at a cold start the deals paint before the customers are read
    // (the board's kind first), and a card is not rebuilt when names arrive.
    let customer_id = deal.base.customer.clone();
    let customer = move || {
        let name = customer_id.as_ref().and_then(|c| ctx.customer_name(c))?;
        Some(view! { <p class="card-customer">{name}</p> })
    };
    let owner = untrack(|| deal.base.owner.as_ref().map(|o| ctx.user_name(o)));
    let amount = deal.money.as_ref().and_then(|m| m.expected_amount.clone());
    let href = format!("/r/{}", deal.id);
    let id = deal.id.clone();
    let name = deal.base.name.clone();
    let move_label = name.clone();
    let current = deal.base.stage.clone();
    let deal_for_move = deal.clone();
    view! {
        <li
            class="card deal"
            draggable=move || (movable && !frozen.get()).then_some("true")
            on:dragstart=move |e| {
                if let Some(dt) = e.data_transfer() {
                    let _ = dt.set_data("text/plain", id.as_str());
                    dt.set_effect_allowed("move");
                }
                dragging.set(Some(id.clone()));
            }
            on:dragend=move |_| dragging.set(None)
        >
            <A href=href attr:class="card-title">{name.clone()}</A>
            {customer}
            <p class="card-line">
                {amount.map(|m| view! { <span class="amount">{move || i18n.money(&m)}</span> })}
                {deal.base.expected_close.map(|d| view! { <span class="date">{move || i18n.date(d)}</span> })}
            </p>
            <p class="card-line muted">
                <span>{owner.unwrap_or_else(|| i18n.t(K::Unassigned).to_string())}</span>
                // Counted from now: not shown on the board as of a past time.
                {move || (deal.base.status == OpportunityStatus::Active && !frozen.get())
                    .then(|| view! { <span>{move || format!("{days} {}", i18n.plural(days as usize, K::DayInStage, K::DaysInStage))}</span> })}
            </p>
            {decided.map(|s| {
                let class = format!("badge badge-{}", s.as_str());
                view! { <span class=class>{status_text(i18n, s.as_str())}</span> }
            })}
            {move || (overdue && !frozen.get()).then(|| view! { <span class="badge badge-overdue">{move || i18n.t(K::FollowUpOverdue)}</span> })}
            {move || {
                (movable && !frozen.get()).then(|| {
                    let name = move_label.clone();
                    let deal = deal_for_move.clone();
                    let current = current.clone();
                    view! {
                        <select
                            class="move-select"
                            aria-label=move || format!("{} {}", i18n.t(K::MoveTo), name)
                            on:change=move |e| {
                                let v = event_target_value(&e);
                                if v.is_empty() {
                                    return;
                                }
                                // Back to "Move to…": the card moves column once the move is made.
                                if let Some(sel) = e.target().and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlSelectElement>(t).ok()) {
                                    sel.set_value("");
                                }
                                move_opportunity(ctx, confirm, i18n, deal.clone(), StageId::new(v), None);
                            }
                        >
                            <option value="" selected=true>{move || i18n.t(K::MoveTo)}</option>
                            {move || {
                                ctx.directory()
                                    .get()
                                    .map(|d| d.stages.clone())
                                    .unwrap_or_default()
                                    .into_iter()
                                    .filter(|s| s.id != current)
                                    .map(|s| view! { <option value=s.id.to_string()>{i18n.stage_name(&s)}</option> })
                                    .collect_view()
                            }}
                        </select>
                    }
                })
            }}
        </li>
    }
}
