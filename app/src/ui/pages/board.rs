//! The pipeline board: active deals as cards in stage columns, with drag-and-drop and a "Move to…"
//! select per card (keyboard and touch), filters by owner, team and close month, and column totals.

use leptos::prelude::*;
use leptos_router::components::A;

use super::new_record::NewButton;
use crate::domain::{
    totals_by_currency, Directory, DocId, OpportunityStatus, OpportunityView, RecordKind, RecordView, StageId, UserId,
};
use crate::i18n::{I18n, K};
use crate::ui::components::ctx::{date_input_value, now, Ctx};

/// Cards drawn per column before "show more" (a column of thousands would only slow the board down).
const COLUMN_PAGE: usize = 60;

/// Moves a deal to `to` with the domain's rules (the store's operation also sets the stage's win
/// probability); reaching a won stage wins the deal, which also records it in the customer's history.
pub fn move_opportunity(ctx: Ctx, view: OpportunityView, to: StageId) {
    let Some(dir) = ctx.directory().get_untracked() else { return };
    let won = dir.stage(&to).is_some_and(|s| s.won);
    let store = ctx.store;
    ctx.run(async move {
        if won {
            store.win(view.id).await
        } else {
            store.move_stage(view.id, to).await
        }
    });
}

#[derive(Clone, Default, PartialEq)]
struct Filters {
    owner: String,
    team: String,
    month: String,
}

fn passes(o: &OpportunityView, f: &Filters, dir: &Directory) -> bool {
    if !f.owner.is_empty() && o.base.owner.as_ref().map(UserId::as_str) != Some(f.owner.as_str()) {
        return false;
    }
    if !f.team.is_empty() {
        let team = o.base.team.clone().or_else(|| o.base.owner.as_ref().and_then(|u| dir.user(u)?.team.clone()));
        if team.as_ref().map(|t| t.as_str()) != Some(f.team.as_str()) {
            return false;
        }
    }
    if !f.month.is_empty() {
        let Some(close) = o.base.expected_close else { return false };
        if !date_input_value(close).starts_with(&f.month) {
            return false;
        }
    }
    true
}

#[component]
pub fn BoardPage() -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let opps = ctx.store.records(RecordKind::Opportunity);
    let filters = RwSignal::new(Filters::default());
    let dragging = RwSignal::new(None::<DocId>);

    // Stage id → the filtered deals in it (active ones, plus won deals in the won column).
    let columns = Memo::new(move |_| {
        let dir = ctx.directory().get().unwrap_or_default();
        let f = filters.get();
        let mut cols: Vec<(StageId, Vec<OpportunityView>)> =
            dir.stages.iter().map(|s| (s.id.clone(), Vec::new())).collect();
        opps.with(|vs| {
            for v in vs {
                let RecordView::Opportunity(o) = v else { continue };
                let shown = matches!(o.base.status, OpportunityStatus::Active | OpportunityStatus::Won)
                    && o.base.archived.is_none();
                if !shown || !passes(o, &f, &dir) {
                    continue;
                }
                if let Some((_, col)) = cols.iter_mut().find(|(s, _)| *s == o.base.stage) {
                    col.push(o.clone());
                }
            }
        });
        for (_, col) in &mut cols {
            col.sort_by_key(|o| (o.base.expected_close.map_or(i64::MAX, |t| t.millis()), o.base.name.clone()));
        }
        cols
    });

    let owners = Memo::new(move |_| {
        let dir = ctx.directory().get().unwrap_or_default();
        let mut ids: Vec<UserId> = opps.with(|vs| vs.iter().filter_map(|v| v.owner().cloned()).collect());
        ids.sort();
        ids.dedup();
        ids.into_iter()
            .map(|id| {
                let name = dir.user(&id).map(|u| u.name.clone()).unwrap_or_else(|| id.to_string());
                (id.to_string(), name)
            })
            .collect::<Vec<_>>()
    });
    // The close months that occur, as `YYYY-MM` (local calendar), oldest first.
    let months = Memo::new(move |_| {
        let mut ms: Vec<String> = opps.with(|vs| {
            vs.iter()
                .filter_map(|v| match v {
                    RecordView::Opportunity(o) => o.base.expected_close.map(|t| date_input_value(t)[..7].to_string()),
                    _ => None,
                })
                .collect()
        });
        ms.sort();
        ms.dedup();
        ms
    });
    let teams = Memo::new(move |_| {
        ctx.directory()
            .get()
            .map(|d| d.teams.iter().map(|t| (t.id.to_string(), t.name.clone())).collect::<Vec<_>>())
            .unwrap_or_default()
    });

    view! {
        <section class="board-page">
            <header class="page-header">
                <h1>{move || i18n.t(K::Pipeline)}</h1>
                <NewButton kind=RecordKind::Opportunity />
                <div class="filters" role="group" aria-label=move || i18n.t(K::Filter)>
                    <select
                        aria-label=move || i18n.t(K::Owner)
                        on:change=move |e| filters.update(|f| f.owner = event_target_value(&e))
                    >
                        <option value="">{move || i18n.t(K::AllOwners)}</option>
                        {move || {
                            owners.get().into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()
                        }}
                    </select>
                    <Show when=move || teams.with(|t| t.len() > 1)>
                        <select
                            aria-label=move || i18n.t(K::Team)
                            on:change=move |e| filters.update(|f| f.team = event_target_value(&e))
                        >
                            <option value="">{move || i18n.t(K::AllTeams)}</option>
                            {move || {
                                teams.get().into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()
                            }}
                        </select>
                    </Show>
                    <select
                        aria-label=move || i18n.t(K::CloseMonth)
                        on:change=move |e| filters.update(|f| f.month = event_target_value(&e))
                    >
                        <option value="">{move || i18n.t(K::AllCloseMonths)}</option>
                        {move || {
                            months
                                .get()
                                .into_iter()
                                .map(|m| {
                                    let text = i18n.month(&m);
                                    view! { <option value=m>{text}</option> }
                                })
                                .collect_view()
                        }}
                    </select>
                </div>
            </header>
            <div class="board">
                {move || {
                    let dir = ctx.directory().get().unwrap_or_default();
                    dir.stages
                        .iter()
                        .map(|stage| {
                            let stage_id = stage.id.clone();
                            let name = i18n.stage_name(stage);
                            let sid = stage_id.clone();
                            let deals = Memo::new(move |_| {
                                columns.with(|c| c.iter().find(|(s, _)| *s == sid).map(|(_, d)| d.clone()).unwrap_or_default())
                            });
                            let drop_to = stage_id.clone();
                            view! {
                                <Column
                                    stage=stage_id
                                    name=name.clone()
                                    deals=deals
                                    dragging=dragging
                                    on_drop=Callback::new(move |id: DocId| {
                                        let found = opps.with_untracked(|vs| {
                                            vs.iter().find_map(|v| match v {
                                                RecordView::Opportunity(o) if o.id == id => Some(o.clone()),
                                                _ => None,
                                            })
                                        });
                                        if let Some(o) = found {
                                            if o.base.stage != drop_to {
                                                move_opportunity(ctx, o, drop_to.clone());
                                            }
                                        }
                                    })
                                />
                            }
                        })
                        .collect_view()
                }}
            </div>
        </section>
    }
}

#[component]
fn Column(
    stage: StageId,
    name: String,
    deals: Memo<Vec<OpportunityView>>,
    dragging: RwSignal<Option<DocId>>,
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
                if let Some(id) = id {
                    on_drop.run(id);
                }
            }
        >
            <header class="column-header">
                <h2 id=heading_id>{name}</h2>
                <p class="column-meta">
                    <span class="count">{move || deals.with(|d| d.len())}" "{move || i18n.t(K::Deals)}</span>
                    <span class="total" aria-label=move || i18n.t(K::Total)>{totals}</span>
                </p>
            </header>
            <ul class="cards">
                {move || {
                    deals
                        .get()
                        .into_iter()
                        .take(shown.get())
                        .map(|o| view! { <Card deal=o dragging=dragging /> })
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
fn Card(deal: OpportunityView, dragging: RwSignal<Option<DocId>>) -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    // A card is rebuilt when its deal changes; what it reads here need not be tracked.
    let access = untrack(|| ctx.access(&RecordView::Opportunity(deal.clone())));
    let movable = access.base.can_write() && deal.base.status == OpportunityStatus::Active;
    let t = now();
    let days = deal.base.stage_entered_at().days_until(t).max(0);
    let overdue = deal.base.status == OpportunityStatus::Active && deal.base.next_follow_up.is_some_and(|d| d < t);
    let customer = untrack(|| deal.base.customer.as_ref().and_then(|c| ctx.customer_name(c)));
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
            draggable=movable.then_some("true")
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
            {customer.map(|c| view! { <p class="card-customer">{c}</p> })}
            <p class="card-line">
                {amount.map(|m| view! { <span class="amount">{move || i18n.money(&m)}</span> })}
                {deal.base.expected_close.map(|d| view! { <span class="date">{move || i18n.date(d)}</span> })}
            </p>
            <p class="card-line muted">
                <span>{owner.unwrap_or_else(|| i18n.t(K::Unassigned).to_string())}</span>
                <span>{move || format!("{days} {}", i18n.t(K::DaysInStage))}</span>
            </p>
            {overdue.then(|| view! { <span class="badge badge-overdue">{move || i18n.t(K::FollowUpOverdue)}</span> })}
            {movable
                .then(|| {
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
                                move_opportunity(ctx, deal.clone(), StageId::new(v));
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
                })}
        </li>
    }
}
