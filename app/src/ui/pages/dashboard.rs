//! A small dashboard over the deals this user may see: funnel per stage, win rate, sales cycle, lost
//! reasons. Amounts appear only when the user's role sees money.

use leptos::prelude::*;

use crate::domain::analytics::{lost_reasons, per_stage, sales_cycle, summary, win_rate};
use crate::domain::{OpportunityStatus, OpportunityView, RecordKind, RecordView};
use crate::i18n::{I18n, K};
use crate::ui::components::ctx::Ctx;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let opps = ctx.store.records(RecordKind::Opportunity);
    let all = Memo::new(move |_| {
        opps.with(|vs| {
            vs.iter()
                .filter_map(|v| if let RecordView::Opportunity(o) = v { Some(o.clone()) } else { None })
                .collect::<Vec<OpportunityView>>()
        })
    });
    let money_line =
        move |ms: &[crate::domain::Money]| ms.iter().map(|m| i18n.money(m)).collect::<Vec<_>>().join(" · ");
    view! {
        <section class="dashboard">
            <header class="page-header">
                <h1>{move || i18n.t(K::Dashboard)}</h1>
            </header>
            {move || {
                let dir = ctx.directory().get().unwrap_or_default();
                all.with(|all| {
                    let refs: Vec<&OpportunityView> = all.iter().collect();
                    let s = summary(&refs);
                    let stages = per_stage(&refs, &dir);
                    let max = stages.iter().map(|s| s.count).max().unwrap_or(0).max(1);
                    let rate = win_rate(&refs);
                    let cycle = sales_cycle(&refs, OpportunityStatus::Won);
                    let reasons = lost_reasons(&refs);
                    let sees_money = all.iter().any(|o| o.money.is_some());
                    view! {
                        <div class="stats">
                            <div class="stat card">
                                <span class="stat-label">{i18n.t(K::WinRate)}</span>
                                <span class="stat-value">{rate.map(|r| i18n.percent(r)).unwrap_or_else(|| "—".into())}</span>
                            </div>
                            <div class="stat card">
                                <span class="stat-label">{i18n.t(K::SalesCycle)}</span>
                                <span class="stat-value">
                                    {cycle.average_days.map(|d| format!("{} {}", i18n.number(d.round()), i18n.t(K::Days))).unwrap_or_else(|| "—".into())}
                                </span>
                            </div>
                            <div class="stat card">
                                <span class="stat-label">{i18n.t(K::Active)}</span>
                                <span class="stat-value">{i18n.number(s.active as f64)}</span>
                            </div>
                            {sees_money.then(|| view! {
                                <div class="stat card">
                                    <span class="stat-label">{i18n.t(K::OpenPipeline)}</span>
                                    <span class="stat-value small">{money_line(&s.open_amount)}</span>
                                </div>
                                <div class="stat card">
                                    <span class="stat-label">{i18n.t(K::WonAmount)}</span>
                                    <span class="stat-value small">{money_line(&s.won_amount)}</span>
                                </div>
                            })}
                        </div>
                        <div class="record-grid">
                            <section class="card">
                                <h2>{i18n.t(K::Funnel)}</h2>
                                <ul class="funnel">
                                    {stages.iter().map(|st| {
                                        let name = dir.stage(&st.stage).map(|s| i18n.stage_name(s)).unwrap_or_else(|| st.stage.to_string());
                                        let pct = st.count as f64 * 100.0 / max as f64;
                                        let amount = if sees_money { money_line(&st.amount) } else { String::new() };
                                        view! {
                                            <li>
                                                <span class="funnel-label">{name}</span>
                                                <span class="funnel-bar" style:width=format!("{pct:.0}%")></span>
                                                <span class="funnel-count">{st.count}" "<span class="muted">{amount}</span></span>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            </section>
                            <section class="card">
                                <h2>{i18n.t(K::LostReasons)}</h2>
                                <ul class="links">
                                    {reasons.into_iter().map(|r| view! { <li>{r.reason}<span class="muted">" · "{r.count}</span></li> }).collect_view()}
                                </ul>
                            </section>
                        </div>
                    }
                })
            }}
        </section>
    }
}
