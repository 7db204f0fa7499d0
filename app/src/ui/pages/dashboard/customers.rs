//! The dashboard's customer card (`relationship::customer_metrics`, the same function as the REST
//! `customers` report): customers per tier, average satisfaction, average lifetime value, repurchase and
//! churn rates over the chosen period, and the customers at risk with their reasons. Each figure appears
//! only when the role sees what it is computed from: lifetime value and repurchase need the cooperation
//! histories (the customers' `money` group), churn and the at-risk list need the activities. Without
//! them (marketing) a figure would be wrong (satisfaction needs visits or the `service` group), not just incomplete, so it is left out; money is never shown
//! as 0.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::domain::ops::ChurnWarning;
use crate::domain::relationship::customer_metrics;
use crate::domain::{Activity, CustomerTier, CustomerView, Directory, OpportunityView, Timestamp};
use crate::i18n::{I18n, K, RK};
use crate::ui::components::chart::{Bar, BarChart, Kpi};
use crate::ui::components::ctx::now;

/// At most this many at-risk customers are listed (the count says how many there are).
const AT_RISK_SHOWN: usize = 20;

fn tier_label(t: &str) -> K {
    match CustomerTier::parse(t) {
        Ok(CustomerTier::Key) => K::TierKey,
        Ok(CustomerTier::LowFrequency) => K::TierLow,
        _ => K::TierNormal,
    }
}

pub fn warning_text(i18n: I18n, w: &ChurnWarning) -> String {
    match w {
        ChurnWarning::Inactive { days, .. } => i18n.t(K::InactiveDays).replace("{n}", &days.to_string()),
        ChurnWarning::LowSatisfaction { satisfaction } => {
            i18n.t(K::LowSatisfaction).replace("{n}", &satisfaction.to_string())
        }
        ChurnWarning::OpenComplaints { count } => {
            i18n.plural(*count, K::OpenComplaint, K::OpenComplaints).replace("{n}", &count.to_string())
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub fn customer_card(
    i18n: I18n,
    customers: &[CustomerView],
    deals: &[&OpportunityView],
    activities: &[Activity],
    dir: &Directory,
    start: Option<Timestamp>,
    sees_activities: bool,
) -> impl IntoView {
    let cs: Vec<&CustomerView> = customers.iter().collect();
    let acts: Vec<&Activity> = activities.iter().collect();
    let m = customer_metrics(&cs, deals, &acts, dir, start, now());
    let sees_history = customers.iter().any(|c| c.money.is_some());
    // Satisfaction comes from visit scores (activities) or the imported number (the `service` group).
    let sees_service = customers.iter().any(|c| c.service.is_some());
    let rate = |r: Option<f64>| r.map(|r| i18n.percent(r)).unwrap_or_else(|| i18n.t(K::None).to_string());
    let tiers: Vec<Bar> = CustomerTier::ALL
        .iter()
        .map(|t| {
            let n = m.tiers.get(t.as_str()).copied().unwrap_or(0);
            Bar { label: i18n.t(tier_label(t.as_str())).to_string(), value: n as f64, text: i18n.number(n as f64) }
        })
        .collect();
    let satisfaction = m
        .average_satisfaction
        .map(|s| i18n.number((s * 10.0).round() / 10.0))
        .unwrap_or_else(|| i18n.t(K::None).to_string());
    let ltv = if m.average_lifetime_value.is_empty() {
        i18n.t(K::None).to_string()
    } else {
        m.average_lifetime_value.iter().map(|x| i18n.money_compact(x)).collect::<Vec<_>>().join(" · ")
    };
    let ltv_exact = m.average_lifetime_value.iter().map(|x| i18n.money(x)).collect::<Vec<_>>().join(" · ");
    let repeat_note = format!("{} / {}", i18n.number(m.repeat_buyers as f64), i18n.number(m.buyers as f64));
    let churn_note = format!("{} / {}", i18n.number(m.churned as f64), i18n.number(m.base_at_start as f64));
    let at_risk_count = m.at_risk.len();
    let at_risk: Vec<_> = m.at_risk.into_iter().take(AT_RISK_SHOWN).collect();
    view! {
        <section class="card customer-metrics" aria-labelledby="h-customer-metrics">
            <h2 id="h-customer-metrics">
                {i18n.t(RK::CustomerMetrics)}" "<span class="muted">{i18n.number(m.count as f64)}</span>
            </h2>
            <div class="stats inner" class:hidden=!(sees_service || sees_activities || sees_history)>
                {(sees_service || sees_activities).then(|| view! { <Kpi label=i18n.t(RK::AverageSatisfaction) value=satisfaction /> })}
                {sees_history
                    .then(|| {
                        view! {
                            <Kpi label=i18n.t(RK::AverageLifetimeValue) value=ltv title=ltv_exact />
                            <Kpi label=i18n.t(K::RepurchaseRate) value=rate(m.repurchase_rate) note=repeat_note />
                        }
                    })}
                {sees_activities.then(|| view! { <Kpi label=i18n.t(K::ChurnRate) value=rate(m.churn_rate) note=churn_note /> })}
            </div>
            <h3>{i18n.t(RK::TierBreakdown)}</h3>
            <BarChart bars=tiers label=i18n.t(RK::TierBreakdown) />
            {sees_activities
                .then(|| {
                    view! {
                        <h3 id="h-at-risk">{i18n.t(RK::AtRisk)}" "<span class="badge">{at_risk_count}</span></h3>
                        {(at_risk_count == 0).then(|| view! { <p class="muted">{i18n.t(RK::NoneAtRisk)}</p> })}
                        <ul class="links" aria-label=i18n.t(RK::AtRisk)>
                            {at_risk
                                .into_iter()
                                .map(|c| {
                                    let why = c.warnings.iter().map(|w| warning_text(i18n, w)).collect::<Vec<_>>().join(" · ");
                                    view! {
                                        <li>
                                            <A href=format!("/r/{}", c.customer)>{c.name}</A>
                                            <span class="muted">" · "{why}</span>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                })}
        </section>
    }
}
