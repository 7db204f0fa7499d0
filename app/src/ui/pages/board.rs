//! The pipeline board: active deals as cards in stage columns (won deals in the won column), with
//! drag-and-drop and a "Move to…" select per card (keyboard and touch), filters by owner, team and close
//! month, column totals, and a "lost and closed" column on demand, so the board accounts for every deal the
//! list shows. Risky moves (winning, skipping stages) ask first.

use leptos::prelude::*;

mod as_of;
mod column;

use self::as_of::{deals_then, AsOfBanner, AsOfPicker};
use self::column::Column;
use super::new_record::NewButton;
use crate::domain::ops::{move_risk, MoveRisk};
use crate::domain::{
    Directory, DocId, OpportunityStatus, OpportunityView, RecordKind, RecordView, StageId, Timestamp, UserId,
};
use crate::i18n::{I18n, K};
use crate::ui::components::confirm::{Action, Ask, Confirm};
use crate::ui::components::ctx::{date_input_value, Ctx};
use std::sync::Arc;

/// The id of the board's extra column of lost and closed deals (not a pipeline stage).
const CLOSED_COLUMN: &str = "closed";

/// Moves a deal to `to` with the domain's rules, asking first when the move is risky
/// (`domain::ops::move_risk`: winning, skipping stages); `on_cancel` puts the control back.
pub fn move_opportunity(
    ctx: Ctx,
    confirm: Confirm,
    i18n: I18n,
    view: OpportunityView,
    to: StageId,
    on_cancel: Option<Action>,
) {
    let Some(dir) = ctx.directory().get_untracked() else { return };
    let Some(risk) = move_risk(&dir, &view.base.stage, &to) else {
        return move_now(ctx, view, to);
    };
    let stage = dir.stage(&to).map(|s| i18n.stage_name(s)).unwrap_or_else(|| to.to_string());
    let title = i18n.t(K::ConfirmMove).replace("{deal}", &view.base.name).replace("{stage}", &stage);
    let detail = match risk {
        MoveRisk::Wins => i18n.t(K::ConfirmWon),
        MoveRisk::Skips(_) => i18n.t(K::ConfirmSkip),
    };
    confirm.ask(Ask {
        title,
        detail: detail.to_string(),
        on_confirm: Arc::new(move || move_now(ctx, view.clone(), to.clone())),
        on_cancel,
    });
}

/// Moves a deal to `to` (the store's operation also sets the stage's win probability); reaching a won stage
/// wins the deal, which also records it in the customer's history.
fn move_now(ctx: Ctx, view: OpportunityView, to: StageId) {
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
    let confirm = Confirm::use_confirm();
    let filters = RwSignal::new(Filters::default());
    let show_closed = RwSignal::new(false);
    let dragging = RwSignal::new(None::<DocId>);
    // The time the board shows (`None`: now) and its deals then, worked out on the device.
    let at = RwSignal::new(None::<Timestamp>);
    let then = deals_then(ctx, at);
    let frozen = Signal::derive(move || at.get().is_some());
    let working = Signal::derive(move || at.get().is_some() && then.with(Option::is_none));

    // Stage id → the filtered deals in it (active ones, plus won deals in the won column); lost and closed
    // deals go to the extra closed column (shown on demand).
    let columns = Memo::new(move |_| {
        let dir = ctx.directory().get().unwrap_or_default();
        let f = filters.get();
        let mut cols: Vec<(StageId, Vec<OpportunityView>)> = dir
            .stages
            .iter()
            .map(|s| s.id.clone())
            .chain([StageId::new(CLOSED_COLUMN)])
            .map(|s| (s, Vec::new()))
            .collect();
        let mut place = |o: &OpportunityView| {
            if o.base.archived.is_some() || !passes(o, &f, &dir) {
                return;
            }
            let column = match o.base.status {
                OpportunityStatus::Active | OpportunityStatus::Won => o.base.stage.clone(),
                OpportunityStatus::Lost | OpportunityStatus::Closed => StageId::new(CLOSED_COLUMN),
            };
            if let Some((_, col)) = cols.iter_mut().find(|(s, _)| *s == column) {
                col.push(o.clone());
            }
        };
        // As of a time: the deals then (none while they are worked out); else the deals now.
        if at.get().is_some() {
            then.with(|t| t.iter().flatten().for_each(&mut place));
        } else {
            opps.with(|vs| {
                vs.iter().for_each(|v| {
                    if let RecordView::Opportunity(o) = v {
                        place(o)
                    }
                })
            });
        }
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
                    <label class="field-check filter-check">
                        <input type="checkbox" prop:checked=move || show_closed.get() on:change=move |e| show_closed.set(event_target_checked(&e)) />
                        <span>{move || i18n.t(K::ShowClosed)}</span>
                    </label>
                    <AsOfPicker at=at />
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
            <AsOfBanner at=at working=working />
            <div class="board" tabindex="0" role="region" aria-label=move || i18n.t(K::Pipeline)>
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
                                    frozen=frozen
                                    on_drop=Callback::new(move |id: DocId| {
                                        let found = opps.with_untracked(|vs| {
                                            vs.iter().find_map(|v| match v {
                                                RecordView::Opportunity(o) if o.id == id => Some(o.clone()),
                                                _ => None,
                                            })
                                        });
                                        if let Some(o) = found {
                                            if o.base.stage != drop_to && o.base.status == OpportunityStatus::Active {
                                                move_opportunity(ctx, confirm, i18n, o, drop_to.clone(), None);
                                            }
                                        }
                                    })
                                />
                            }
                        })
                        .collect_view()
                }}
                <Show when=move || show_closed.get()>
                    <Column
                        stage=StageId::new(CLOSED_COLUMN)
                        name=i18n.t(K::ClosedColumn).to_string()
                        deals=Memo::new(move |_| {
                            columns.with(|c| c.iter().find(|(s, _)| s.as_str() == CLOSED_COLUMN).map(|(_, d)| d.clone()).unwrap_or_default())
                        })
                        dragging=dragging
                        frozen=frozen
                        on_drop=Callback::new(|_: DocId| {})
                    />
                </Show>
            </div>
        </section>
    }
}
