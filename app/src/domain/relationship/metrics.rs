//! Customer metrics for the dashboard and the `customers` report (one function, so the two agree):
//! tier breakdown, average satisfaction (from visits, `satisfaction`), average lifetime value (from the
//! cooperation history, `cooperation_history`), repurchase and churn rates over a period, and the
//! customers at risk with their reasons.
//!
//! - **Purchases** are the lines of a customer's cooperation history (won deals and hand-written orders),
//!   counted whether or not the reader sees their amounts.
//! - **Repurchase rate** over a period: of the customers who bought in it, the share who had bought
//!   before (earlier in the period or before it).
//! - **Churn rate** over a period: of the customers we had at its start (created by then and not already
//!   lapsed), the share that lapsed during it. A customer lapses `churn.inactive_days` after its last
//!   activity (or its creation, without any).
//! - Money: the average lifetime value is over the customers whose `money` group the reader has; it is
//!   empty for a reader who sees none (marketing), never zero.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

use super::{cooperation_history, history_value, satisfaction, ChurnItem};
use crate::domain::ops::churn_warnings;
use crate::domain::{
    Activity, CustomerTier, CustomerView, Directory, DocId, Money, OpportunityView, Timestamp, DAY_MS,
};

/// The customer base as one reader sees it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerMetrics {
    pub count: usize,
    /// Customers per tier (`key`, `normal`, `low_frequency`).
    pub tiers: BTreeMap<String, usize>,
    /// Mean of the rated customers' satisfaction (1-5).
    pub average_satisfaction: Option<f64>,
    pub rated: usize,
    /// Per currency, over the customers whose `money` group the reader has; empty without any.
    pub average_lifetime_value: Vec<Money>,
    pub repurchase_rate: Option<f64>,
    /// Customers who bought in the period, and how many of them had bought before.
    pub buyers: usize,
    pub repeat_buyers: usize,
    pub churn_rate: Option<f64>,
    /// Customers at the start of the period, and how many lapsed during it.
    pub base_at_start: usize,
    pub churned: usize,
    /// Customers with any churn warning, by name.
    pub at_risk: Vec<ChurnItem>,
}

fn ratio(n: usize, d: usize) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

/// The metrics of `customers` at `now` for the period from `start` (`None`: all time), from the reader's
/// deals and activities.
pub fn customer_metrics(
    customers: &[&CustomerView],
    deals: &[&OpportunityView],
    activities: &[&Activity],
    dir: &Directory,
    start: Option<Timestamp>,
    now: Timestamp,
) -> CustomerMetrics {
    let mut deals_of: HashMap<&DocId, Vec<&OpportunityView>> = HashMap::new();
    for &d in deals {
        if let Some(c) = &d.base.customer {
            deals_of.entry(c).or_default().push(d);
        }
    }
    let mut acts_of: HashMap<&DocId, Vec<&Activity>> = HashMap::new();
    for &a in activities {
        if let Some(c) = &a.customer {
            acts_of.entry(c).or_default().push(a);
        }
    }
    let mut m = CustomerMetrics {
        count: customers.len(),
        tiers: CustomerTier::ALL.iter().map(|t| (t.as_str().to_string(), 0)).collect(),
        ..Default::default()
    };
    let in_period = |t: Timestamp| start.is_none_or(|s| t >= s) && t <= now;
    let mut scores = Vec::new();
    let mut lifetime: Vec<Money> = Vec::new();
    let mut with_money = 0usize;
    for c in customers {
        *m.tiers.entry(c.base.tier.as_str().to_string()).or_default() += 1;
        let acts = acts_of.get(&c.id).map(Vec::as_slice).unwrap_or_default();
        let ds = deals_of.get(&c.id).map(Vec::as_slice).unwrap_or_default();
        let imported = c.service.as_ref().and_then(|s| s.satisfaction);
        if let Some(s) = satisfaction(&c.id, acts, imported, now) {
            scores.push(s.score);
        }
        let history = cooperation_history(&c.id, c.money.as_ref(), ds);
        if c.money.is_some() {
            with_money += 1;
            lifetime = crate::domain::totals_by_currency(lifetime.iter().chain(history_value(&history).iter()));
        }
        // Purchases, oldest first.
        let mut bought: Vec<Timestamp> = history.iter().map(|h| h.at).filter(|t| *t <= now).collect();
        bought.sort();
        if let Some(first_in) = bought.iter().position(|t| in_period(*t)) {
            m.buyers += 1;
            // Bought before: an earlier purchase, or a second one in the period.
            if first_in > 0 || bought[first_in + 1..].iter().any(|t| in_period(*t)) {
                m.repeat_buyers += 1;
            }
        }
        let last = acts.iter().map(|a| a.at).filter(|t| *t <= now).max().unwrap_or(c.base.created_at);
        let lapse = Timestamp(last.0.saturating_add(i64::from(dir.churn.inactive_days) * DAY_MS));
        let at_start = start.is_none_or(|s| c.base.created_at <= s && lapse >= s);
        if at_start {
            m.base_at_start += 1;
            if lapse <= now {
                m.churned += 1;
            }
        }
        let warnings = churn_warnings(c, acts, &dir.churn, now);
        if !warnings.is_empty() {
            m.at_risk.push(ChurnItem { customer: c.id.clone(), name: c.base.name.clone(), warnings });
        }
    }
    m.rated = scores.len();
    m.average_satisfaction = (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64);
    m.average_lifetime_value = lifetime
        .into_iter()
        .map(|t| Money { amount_minor: t.amount_minor / with_money.max(1) as i64, currency: t.currency })
        .collect();
    m.repurchase_rate = ratio(m.repeat_buyers, m.buyers);
    m.churn_rate = ratio(m.churned, m.base_at_start);
    m.at_risk.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.customer.cmp(&b.customer)));
    m
}

#[cfg(test)]
mod tests;
