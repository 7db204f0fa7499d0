//! Tiers from data: the tier a customer's cooperation history suggests, beside the one chosen by hand.

use crate::domain::relationship::{HistoryEntry, TierRules};
use crate::domain::{CustomerTier, Timestamp};

/// The history's value in the rules' currency: (lifetime, last 12 months before `now`). `None` when the
/// reader sees no amount at all (no `money` group): then no tier is suggested.
pub fn revenue(history: &[HistoryEntry], rules: &TierRules, now: Timestamp) -> Option<(i64, i64)> {
    let priced: Vec<(&HistoryEntry, i64)> = history
        .iter()
        .filter_map(|h| h.amount.as_ref().map(|m| (h, m)))
        .filter(|(_, m)| m.currency == rules.currency)
        .map(|(h, m)| (h, m.amount_minor))
        .collect();
    if priced.is_empty() && history.iter().any(|h| h.amount.is_none()) {
        return None;
    }
    let lifetime = priced.iter().map(|(_, a)| a).sum();
    let year = priced.iter().filter(|(h, _)| h.at <= now && h.at.days_until(now) < 365).map(|(_, a)| a).sum();
    Some((lifetime, year))
}

/// The suggested tier (see [`TierRules`]), or `None` when the reader cannot see the amounts.
pub fn suggested_tier(history: &[HistoryEntry], rules: &TierRules, now: Timestamp) -> Option<CustomerTier> {
    let (lifetime, year) = revenue(history, rules, now)?;
    Some(if lifetime >= rules.key_lifetime || year >= rules.key_last_year {
        CustomerTier::Key
    } else if year < rules.low_last_year {
        CustomerTier::LowFrequency
    } else {
        CustomerTier::Normal
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::relationship::{HistorySource, RelationshipRules};
    use crate::domain::{EntryKind, Money};

    const NOW: Timestamp = Timestamp(1_767_225_600_000);

    fn line(days_ago: i64, amount: Option<(i64, &str)>) -> HistoryEntry {
        HistoryEntry {
            key: format!("k{days_ago}"),
            source: HistorySource::Entry { kind: EntryKind::Order, opportunity: None },
            title: "order".into(),
            at: NOW.plus_days(-days_ago),
            amount: amount.map(|(a, c)| Money::new(a, c).unwrap()),
            product: String::new(),
            note: String::new(),
        }
    }

    #[test]
    fn suggests_key_normal_or_low_frequency_from_revenue() {
        let rules = RelationshipRules::default().tiers;
        let tier = |h: &[HistoryEntry]| suggested_tier(h, &rules, NOW);
        // Nothing bought in a year (or ever): low frequency.
        assert_eq!(tier(&[]), Some(CustomerTier::LowFrequency));
        assert_eq!(tier(&[line(400, Some((50_000_00, "CNY")))]), Some(CustomerTier::LowFrequency));
        assert_eq!(tier(&[line(10, Some((50_000_00, "CNY")))]), Some(CustomerTier::Normal));
        // Last 12 months at the key threshold, or a large lifetime value.
        assert_eq!(tier(&[line(10, Some((300_000_00, "CNY")))]), Some(CustomerTier::Key));
        let long =
            [line(800, Some((900_000_00, "CNY"))), line(500, Some((100_000_00, "CNY"))), line(5, Some((10, "CNY")))];
        assert_eq!(revenue(&long, &rules, NOW), Some((1_000_000_10, 10)));
        assert_eq!(tier(&long), Some(CustomerTier::Key));
        // Other currencies are not compared; amounts the reader cannot see suggest nothing.
        assert_eq!(tier(&[line(10, Some((900_000_00, "USD")))]), Some(CustomerTier::LowFrequency));
        assert_eq!(tier(&[line(10, None)]), None);
    }
}
