//! Sales analytics, pure over slices of materialized views (what the dashboard and reports read).
//!
//! Amounts come only from views whose `money` group the reader has; deals without it still count in
//! the counts. Amounts are never summed across currencies (each total is a list, one per currency).
//! Rates are `None` when their denominator is zero.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

use super::ops::{churn_warnings, ChurnWarning};
use super::{
    totals_by_currency, Activity, CustomerTier, CustomerView, Directory, DocId, Money, OpportunityStatus,
    OpportunityView, StageId,
};

mod period;
pub use period::{in_period, Period};

/// Active deals currently in one stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageStat {
    pub stage: StageId,
    pub count: usize,
    /// Expected amounts of the deals whose money the reader sees, per currency.
    pub amount: Vec<Money>,
}

/// How many deals that reached `from` went on to reach `to` (the next stage).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageConversion {
    pub from: StageId,
    pub to: StageId,
    pub reached_from: usize,
    pub reached_to: usize,
    pub rate: Option<f64>,
}

/// Days from creation to closing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CycleStats {
    pub count: usize,
    pub average_days: Option<f64>,
    pub median_days: Option<f64>,
}

/// A lost reason and how often it was given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LostReason {
    pub reason: String,
    pub count: usize,
}

/// The headline numbers of a set of deals.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PipelineSummary {
    pub count: usize,
    pub active: usize,
    pub won: usize,
    pub lost: usize,
    pub closed: usize,
    /// won / (won + lost).
    pub win_rate: Option<f64>,
    /// Expected amounts of active deals.
    pub open_amount: Vec<Money>,
    /// Amounts of won deals.
    pub won_amount: Vec<Money>,
    pub cycle_won: CycleStats,
    pub cycle_lost: CycleStats,
}

/// How to group deals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Owner,
    Team,
    /// The region of the deal's customer.
    Region,
}

/// Label used for deals without an owner, team or region.
pub const UNASSIGNED: &str = "(none)";

/// Active deals per stage, in the directory's stage order.
pub fn per_stage(opps: &[&OpportunityView], dir: &Directory) -> Vec<StageStat> {
    dir.stages
        .iter()
        .map(|s| {
            let here: Vec<_> =
                opps.iter().filter(|o| o.base.status == OpportunityStatus::Active && o.base.stage == s.id).collect();
            StageStat {
                stage: s.id.clone(),
                count: here.len(),
                amount: totals_by_currency(here.iter().filter_map(|o| o.money.as_ref()?.expected_amount.as_ref())),
            }
        })
        .collect()
}

/// The furthest stage (index into `dir.stages`) a deal has entered, from its history and current stage.
fn furthest_stage(o: &OpportunityView, dir: &Directory) -> Option<usize> {
    let index = |id: &StageId| dir.stages.iter().position(|s| &s.id == id);
    o.base.stage_history.iter().map(|e| &e.stage).chain(std::iter::once(&o.base.stage)).filter_map(index).max()
}

/// Conversion from each stage to the next: of the deals that reached stage *i* (entered it or a later
/// one), the share that reached stage *i+1*.
pub fn stage_conversion(opps: &[&OpportunityView], dir: &Directory) -> Vec<StageConversion> {
    let furthest: Vec<usize> = opps.iter().filter_map(|o| furthest_stage(o, dir)).collect();
    let reached = |i: usize| furthest.iter().filter(|f| **f >= i).count();
    dir.stages
        .windows(2)
        .enumerate()
        .map(|(i, w)| {
            let (a, b) = (reached(i), reached(i + 1));
            StageConversion {
                from: w[0].id.clone(),
                to: w[1].id.clone(),
                reached_from: a,
                reached_to: b,
                rate: ratio(b, a),
            }
        })
        .collect()
}

fn ratio(num: usize, den: usize) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// won / (won + lost).
pub fn win_rate(opps: &[&OpportunityView]) -> Option<f64> {
    let won = opps.iter().filter(|o| o.base.status == OpportunityStatus::Won).count();
    let lost = opps.iter().filter(|o| o.base.status == OpportunityStatus::Lost).count();
    ratio(won, won + lost)
}

/// Sales cycle (created → closed, in days) of the deals with `status`.
pub fn sales_cycle(opps: &[&OpportunityView], status: OpportunityStatus) -> CycleStats {
    let mut days: Vec<f64> = opps
        .iter()
        .filter(|o| o.base.status == status)
        .filter_map(|o| o.base.closed_at.map(|c| (c.0 - o.base.created_at.0) as f64 / super::DAY_MS as f64))
        .collect();
    days.sort_by(f64::total_cmp);
    let n = days.len();
    CycleStats {
        count: n,
        average_days: (n > 0).then(|| days.iter().sum::<f64>() / n as f64),
        median_days: (n > 0).then(|| if n % 2 == 1 { days[n / 2] } else { (days[n / 2 - 1] + days[n / 2]) / 2.0 }),
    }
}

/// Lost reasons, most frequent first (ties by name). Reasons differing only in case or surrounding
/// spaces count as one, shown as first seen.
pub fn lost_reasons(opps: &[&OpportunityView]) -> Vec<LostReason> {
    let mut counts: Vec<LostReason> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for o in opps.iter().filter(|o| o.base.status == OpportunityStatus::Lost) {
        let reason = o.base.lost_reason.as_deref().unwrap_or("").trim();
        let key = reason.to_lowercase();
        match index.get(&key) {
            Some(&i) => counts[i].count += 1,
            None => {
                index.insert(key, counts.len());
                counts.push(LostReason { reason: reason.to_string(), count: 1 });
            }
        }
    }
    counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.reason.cmp(&b.reason)));
    counts
}

/// The headline numbers of a set of deals.
pub fn summary(opps: &[&OpportunityView]) -> PipelineSummary {
    let with = |s: OpportunityStatus| opps.iter().filter(move |o| o.base.status == s);
    let amounts =
        |s: OpportunityStatus| totals_by_currency(with(s).filter_map(|o| o.money.as_ref()?.expected_amount.as_ref()));
    PipelineSummary {
        count: opps.len(),
        active: with(OpportunityStatus::Active).count(),
        won: with(OpportunityStatus::Won).count(),
        lost: with(OpportunityStatus::Lost).count(),
        closed: with(OpportunityStatus::Closed).count(),
        win_rate: win_rate(opps),
        open_amount: amounts(OpportunityStatus::Active),
        won_amount: amounts(OpportunityStatus::Won),
        cycle_won: sales_cycle(opps, OpportunityStatus::Won),
        cycle_lost: sales_cycle(opps, OpportunityStatus::Lost),
    }
}

/// [`summary`] per owner, team or customer region. `customers` supplies regions (deals whose customer
/// is unknown fall under [`UNASSIGNED`]).
pub fn summary_by(
    opps: &[&OpportunityView],
    by: GroupBy,
    customers: &[&CustomerView],
) -> BTreeMap<String, PipelineSummary> {
    let regions: HashMap<&DocId, &str> = customers.iter().map(|c| (&c.id, c.base.region.as_str())).collect();
    let mut groups: BTreeMap<String, Vec<&OpportunityView>> = BTreeMap::new();
    for o in opps {
        let key = match by {
            GroupBy::Owner => o.base.owner.as_ref().map(|u| u.to_string()),
            GroupBy::Team => o.base.team.as_ref().map(|t| t.to_string()),
            GroupBy::Region => o.base.customer.as_ref().and_then(|c| regions.get(c)).map(|r| r.to_string()),
        };
        let key = key.filter(|k| !k.trim().is_empty()).unwrap_or_else(|| UNASSIGNED.to_string());
        groups.entry(key).or_default().push(o);
    }
    groups.into_iter().map(|(k, v)| (k, summary(&v))).collect()
}

/// Customer-base numbers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerStats {
    pub count: usize,
    /// Customers per tier (`key`, `normal`, `low_frequency`).
    pub tiers: BTreeMap<String, usize>,
    /// Share of customers with no activity for the directory's `churn.inactive_days`.
    pub churn_rate: Option<f64>,
    /// Customers with any churn warning (inactive, low satisfaction, open complaint).
    pub at_risk: usize,
    /// Of the customers with at least one won deal, the share with two or more.
    pub repurchase_rate: Option<f64>,
    /// Mean satisfaction over rated customers whose service group the reader sees.
    pub average_satisfaction: Option<f64>,
    /// Sum of all cooperation histories the reader sees, per currency.
    pub lifetime_value: Vec<Money>,
    /// `lifetime_value` divided by the number of customers whose money group the reader sees.
    pub average_lifetime_value: Vec<Money>,
}

/// Customer-base numbers at `now`. Won deals are counted from `opps` (by their `customer`) and from the
/// cooperation histories the reader sees, without double counting.
pub fn customer_stats(
    customers: &[&CustomerView],
    opps: &[&OpportunityView],
    activities: &[&Activity],
    dir: &Directory,
    now: super::Timestamp,
) -> CustomerStats {
    let n = customers.len();
    let mut tiers: BTreeMap<String, usize> = CustomerTier::ALL.iter().map(|t| (t.as_str().to_string(), 0)).collect();
    for c in customers {
        *tiers.entry(c.base.tier.as_str().to_string()).or_default() += 1;
    }
    let mut churned = 0;
    let mut at_risk = 0;
    for c in customers {
        let w = churn_warnings(c, activities, &dir.churn, now);
        if w.iter().any(|w| matches!(w, ChurnWarning::Inactive { .. })) {
            churned += 1;
        }
        if !w.is_empty() {
            at_risk += 1;
        }
    }
    // Won deals per customer: union of won opportunities and history entries from opportunities.
    let mut won: HashMap<&DocId, HashSet<DocId>> = HashMap::new();
    for o in opps.iter().filter(|o| o.base.status == OpportunityStatus::Won) {
        if let Some(c) = &o.base.customer {
            won.entry(c).or_default().insert(o.id.clone());
        }
    }
    for c in customers {
        if let Some(m) = &c.money {
            for (key, e) in &m.orders {
                let deal = e.opportunity.clone().or_else(|| DocId::parse(key).ok());
                match deal {
                    Some(d) => won.entry(&c.id).or_default().insert(d),
                    // A history entry not tied to a deal still counts as a purchase.
                    None => won.entry(&c.id).or_default().insert(DocId::from_bytes(hash16(&c.id, key))),
                };
            }
        }
    }
    let buyers: Vec<usize> =
        customers.iter().filter_map(|c| won.get(&c.id).map(HashSet::len)).filter(|n| *n > 0).collect();
    let repeat = buyers.iter().filter(|n| **n >= 2).count();
    let rated: Vec<f64> = customers.iter().filter_map(|c| c.service.as_ref()?.satisfaction).map(f64::from).collect();
    let with_money: Vec<&CustomerView> = customers.iter().copied().filter(|c| c.money.is_some()).collect();
    let ltv = totals_by_currency(
        with_money.iter().flat_map(|c| c.money.iter().flat_map(|m| m.orders.values().map(|o| &o.amount))),
    );
    let average_lifetime_value = ltv
        .iter()
        .map(|m| Money { amount_minor: m.amount_minor / with_money.len().max(1) as i64, currency: m.currency.clone() })
        .collect();
    CustomerStats {
        count: n,
        tiers,
        churn_rate: ratio(churned, n),
        at_risk,
        repurchase_rate: ratio(repeat, buyers.len()),
        average_satisfaction: (!rated.is_empty()).then(|| rated.iter().sum::<f64>() / rated.len() as f64),
        lifetime_value: ltv,
        average_lifetime_value,
    }
}

/// A stable pseudo-id for a history entry that names no deal (so it counts once per customer).
fn hash16(customer: &DocId, key: &str) -> [u8; 16] {
    use sha2::{Digest, Sha256};
    let d = Sha256::new().chain_update(customer.bytes()).chain_update(key.as_bytes()).finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    out
}

#[cfg(test)]
mod tests;
