//! The dashboard over the records this user may see (the relay sends nothing else): headline figures,
//! the stage funnel with conversion to the next stage, the open pipeline per stage, lost reasons, the
//! customer metrics (`dashboard/customers.rs`), and a per-salesperson table for anyone who sees other people's
//! deals. Amounts appear only when the user's role sees money: a hidden amount is never shown as 0.

mod customers;

use leptos::prelude::*;
use leptos_router::components::A;

use crate::domain::analytics::{
    in_period, lost_reasons, per_stage, sales_cycle, stage_conversion, summary, summary_by, GroupBy, Period,
    PipelineSummary, UNASSIGNED,
};
use crate::domain::{
    Activity, CustomerView, Directory, Money, OpportunityStatus, OpportunityView, RecordKind, RecordView, UserId,
};
use crate::i18n::{I18n, K};
use crate::ui::components::chart::{Bar, BarChart, FunnelChart, FunnelStep, Kpi};
use crate::ui::components::ctx::{now, utc_offset_minutes, Ctx};

#[component]
pub fn DashboardPage() -> impl IntoView {
    let i18n = I18n::use_i18n();
    let ctx = Ctx::use_ctx();
    let period = RwSignal::new(Period::All);
    let opps = ctx.store.records(RecordKind::Opportunity);
    let customers = ctx.store.records(RecordKind::Customer);
    let activities = ctx.store.records(RecordKind::Activity);
    let all = Memo::new(move |_| {
        opps.with(|vs| {
            vs.iter()
                .filter_map(|v| if let RecordView::Opportunity(o) = v { Some(o.clone()) } else { None })
                .collect::<Vec<OpportunityView>>()
        })
    });
    let period_label = move |p: Period| match p {
        Period::Quarter => i18n.t(K::ThisQuarter),
        Period::Year => i18n.t(K::ThisYear),
        Period::All => i18n.t(K::AllTime),
    };
    view! {
        <section class="dashboard">
            <header class="page-header">
                <h1>{move || i18n.t(K::Dashboard)}</h1>
                <select
                    class="period"
                    aria-label=move || i18n.t(K::Period)
                    on:change=move |ev| {
                        if let Some(p) = Period::parse(&event_target_value(&ev)) {
                            period.set(p);
                        }
                    }
                >
                    {Period::ALL
                        .into_iter()
                        .map(|p| {
                            view! {
                                <option value=p.as_str() selected=move || period.get() == p>
                                    {move || period_label(p)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                <A href="/exports" attr:class="header-link">
                    {move || i18n.t(K::Exports)}
                </A>
            </header>
            {move || {
                let dir = ctx.directory().get().unwrap_or_default();
                let start = period.get().start(now(), utc_offset_minutes());
                let me = ctx.me_id();
                let sees_activities = ctx.sees_kind(RecordKind::Activity);
                let sees_customers = ctx.sees_kind(RecordKind::Customer);
                all.with(|all| {
                    let refs: Vec<&OpportunityView> = all.iter().collect();
                    let deals = in_period(&refs, start);
                    // Money is a per-record group: the role sees amounts when any visible deal carries one.
                    let sees_money = all.iter().any(|o| o.money.is_some());
                    let customers = customers.with(|cs| {
                        cs.iter()
                            .filter_map(|v| if let RecordView::Customer(c) = v { Some(c.clone()) } else { None })
                            .collect::<Vec<CustomerView>>()
                    });
                    let acts = activities.with(|vs| {
                        vs.iter()
                            .filter_map(|v| if let RecordView::Activity(a) = v { Some(a.base.clone()) } else { None })
                            .collect::<Vec<Activity>>()
                    });
                    view! {
                        {headline(i18n, &deals, sees_money)}
                        <div class="dash-grid">
                            {funnel_card(i18n, &refs, &dir)}
                            {stage_card(i18n, &refs, &dir, sees_money)}
                            {lost_card(i18n, &deals)}
                            {sees_customers
                                .then(|| customers::customer_card(i18n, &customers, &refs, &acts, &dir, start, sees_activities))}
                        </div>
                        {people_table(i18n, ctx, &deals, me, sees_money)}
                    }
                })
            }}
        </section>
    }
}

/// Amounts per currency, in short form, joined (`CN¥2.5M · US$120K`); "—" when there are none.
fn compact(i18n: I18n, ms: &[Money]) -> String {
    if ms.is_empty() {
        return i18n.t(K::None).to_string();
    }
    ms.iter().map(|m| i18n.money_compact(m)).collect::<Vec<_>>().join(" · ")
}

/// The exact amounts, for tooltips.
fn exact(i18n: I18n, ms: &[Money]) -> String {
    ms.iter().map(|m| i18n.money(m)).collect::<Vec<_>>().join(" · ")
}

fn rate(i18n: I18n, r: Option<f64>) -> String {
    r.map(|r| i18n.percent(r)).unwrap_or_else(|| i18n.t(K::None).to_string())
}

fn won_lost(i18n: I18n, s: &PipelineSummary) -> String {
    i18n.t(K::DealsWonLost).replace("{won}", &i18n.number(s.won as f64)).replace("{lost}", &i18n.number(s.lost as f64))
}

fn headline(i18n: I18n, deals: &[&OpportunityView], sees_money: bool) -> impl IntoView {
    let s = summary(deals);
    let cycle = sales_cycle(deals, OpportunityStatus::Won);
    let days = cycle
        .average_days
        .map(|d| format!("{} {}", i18n.number(d.round()), i18n.t(K::Days)))
        .unwrap_or_else(|| i18n.t(K::None).to_string());
    view! {
        <div class="stats">
            <Kpi label=i18n.t(K::WinRate) value=rate(i18n, s.win_rate) note=won_lost(i18n, &s) />
            <Kpi label=i18n.t(K::SalesCycle) value=days />
            <Kpi label=i18n.t(K::OpenDeals) value=i18n.number(s.active as f64) />
            {sees_money
                .then(|| {
                    view! {
                        <Kpi
                            label=i18n.t(K::OpenPipeline)
                            value=compact(i18n, &s.open_amount)
                            title=exact(i18n, &s.open_amount)
                        />
                        <Kpi
                            label=i18n.t(K::WonAmount)
                            value=compact(i18n, &s.won_amount)
                            title=exact(i18n, &s.won_amount)
                        />
                    }
                })}
        </div>
    }
}

/// Of the deals that reached each stage, how many reached the next (all deals: conversion is history).
fn funnel_card(i18n: I18n, deals: &[&OpportunityView], dir: &Directory) -> impl IntoView {
    let conv = stage_conversion(deals, dir);
    let name =
        |id: &crate::domain::StageId| dir.stage(id).map(|s| i18n.stage_name(s)).unwrap_or_else(|| id.to_string());
    let mut steps: Vec<FunnelStep> = conv
        .iter()
        .map(|c| FunnelStep {
            label: name(&c.from),
            count: c.reached_from,
            to_next: Some(format!("{} {}", rate(i18n, c.rate), i18n.t(K::Conversion))),
        })
        .collect();
    if let Some(last) = conv.last() {
        steps.push(FunnelStep { label: name(&last.to), count: last.reached_to, to_next: None });
    }
    view! {
        <section class="card">
            <h2>{i18n.t(K::Funnel)}</h2>
            <FunnelChart steps=steps label=i18n.t(K::Funnel) />
        </section>
    }
}

/// Open deals per stage now (a snapshot: no period), with their amounts when the role sees money.
fn stage_card(i18n: I18n, deals: &[&OpportunityView], dir: &Directory, sees_money: bool) -> impl IntoView {
    let bars = per_stage(deals, dir)
        .into_iter()
        .filter(|s| dir.stage(&s.stage).is_none_or(|d| !d.won))
        .map(|s| {
            let label = dir.stage(&s.stage).map(|d| i18n.stage_name(d)).unwrap_or_else(|| s.stage.to_string());
            let text = if sees_money && !s.amount.is_empty() {
                format!("{} · {}", s.count, compact(i18n, &s.amount))
            } else {
                s.count.to_string()
            };
            Bar { label, value: s.count as f64, text }
        })
        .collect();
    view! {
        <section class="card">
            <h2>{i18n.t(K::OpenByStage)}</h2>
            <BarChart bars=bars label=i18n.t(K::OpenByStage) />
        </section>
    }
}

fn lost_card(i18n: I18n, deals: &[&OpportunityView]) -> impl IntoView {
    let bars: Vec<Bar> = lost_reasons(deals)
        .into_iter()
        .map(|r| Bar {
            label: if r.reason.is_empty() { i18n.t(K::None).to_string() } else { r.reason },
            value: r.count as f64,
            text: r.count.to_string(),
        })
        .collect();
    let empty = bars.is_empty();
    view! {
        <section class="card">
            <h2>{i18n.t(K::LostReasons)}</h2>
            {if empty {
                view! { <p class="muted">{i18n.t(K::NoDataYet)}</p> }.into_any()
            } else {
                view! { <BarChart bars=bars label=i18n.t(K::LostReasons) /> }.into_any()
            }}
        </section>
    }
}

/// Deals per owner, for anyone who sees deals of people other than themselves.
fn people_table(
    i18n: I18n,
    ctx: Ctx,
    deals: &[&OpportunityView],
    me: Option<UserId>,
    sees_money: bool,
) -> impl IntoView {
    let groups = summary_by(deals, GroupBy::Owner, &[]);
    let me = me.map(|m| m.to_string()).unwrap_or_default();
    let others = groups.keys().any(|k| k != &me && k != UNASSIGNED);
    let mut rows: Vec<(String, PipelineSummary)> = groups
        .into_iter()
        .map(|(k, s)| {
            let name = if k == UNASSIGNED { i18n.t(K::Unassigned).to_string() } else { ctx.user_name(&UserId::new(k)) };
            (name, s)
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    others.then(|| {
        view! {
            <section class="card people">
                <h2 id="by-salesperson">{i18n.t(K::BySalesperson)}</h2>
                <div class="table-scroll">
                    <table class="people-table" aria-labelledby="by-salesperson">
                        <thead>
                            <tr>
                                <th scope="col">{i18n.t(K::Salesperson)}</th>
                                <th scope="col" class="num">{i18n.t(K::OpenDeals)}</th>
                                <th scope="col" class="num">{i18n.t(K::WonStatus)}</th>
                                <th scope="col" class="num">{i18n.t(K::LostStatus)}</th>
                                {sees_money.then(|| view! { <th scope="col" class="num">{i18n.t(K::OpenPipeline)}</th> })}
                                <th scope="col" class="num">{i18n.t(K::WinRate)}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {rows
                                .into_iter()
                                .map(|(name, s)| {
                                    view! {
                                        <tr>
                                            <th scope="row">{name}</th>
                                            <td class="num">{s.active}</td>
                                            <td class="num">{s.won}</td>
                                            <td class="num">{s.lost}</td>
                                            {sees_money
                                                .then(|| {
                                                    view! {
                                                        <td class="num" title=exact(i18n, &s.open_amount)>
                                                            {compact(i18n, &s.open_amount)}
                                                        </td>
                                                    }
                                                })}
                                            <td class="num">{rate(i18n, s.win_rate)}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
            </section>
        }
    })
}
