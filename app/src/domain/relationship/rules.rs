//! The admin's relationship settings, stored in the directory document like the policy: how often each
//! tier is visited, and which data suggests which tier.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::domain::{ChurnRules, CustomerTier, DomainError};

/// Days between visits (回访) per tier: a customer is due for a visit this long after the last one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct VisitIntervals {
    pub key: u32,
    pub normal: u32,
    pub low_frequency: u32,
}

impl VisitIntervals {
    pub fn days(&self, tier: CustomerTier) -> u32 {
        match tier {
            CustomerTier::Key => self.key,
            CustomerTier::Normal => self.normal,
            CustomerTier::LowFrequency => self.low_frequency,
        }
    }
}

/// Thresholds for the suggested tier, in minor units of `currency` (other currencies are not compared).
/// Key: lifetime value ≥ `key_lifetime` or the last 12 months ≥ `key_last_year`. Low-frequency: the last
/// 12 months below `low_last_year`. Everyone else: normal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct TierRules {
    pub currency: String,
    pub key_lifetime: i64,
    pub key_last_year: i64,
    pub low_last_year: i64,
}

/// Everything an admin sets for the relationship (`directory.relationship`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct RelationshipRules {
    pub visits: VisitIntervals,
    pub tiers: TierRules,
}

impl Default for RelationshipRules {
    fn default() -> Self {
        RelationshipRules {
            visits: VisitIntervals { key: 30, normal: 90, low_frequency: 180 },
            tiers: TierRules {
                currency: "CNY".into(),
                key_lifetime: 100_000_000,
                key_last_year: 30_000_000,
                low_last_year: 1,
            },
        }
    }
}

impl RelationshipRules {
    /// Intervals of 1-3650 days; thresholds not negative, key ones above the low one; a currency code.
    pub fn validate(&self) -> Result<(), DomainError> {
        for (tier, d) in
            [("key", self.visits.key), ("normal", self.visits.normal), ("low_frequency", self.visits.low_frequency)]
        {
            if !(1..=3650).contains(&d) {
                return Err(DomainError::invalid(format!("relationship.visits.{tier}"), "between 1 and 3650 days"));
            }
        }
        let t = &self.tiers;
        if t.currency.len() != 3 || !t.currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(DomainError::invalid("relationship.tiers.currency", "a three-letter currency code"));
        }
        for (field, v) in
            [("key_lifetime", t.key_lifetime), ("key_last_year", t.key_last_year), ("low_last_year", t.low_last_year)]
        {
            if v < 0 {
                return Err(DomainError::invalid(format!("relationship.tiers.{field}"), "must not be negative"));
            }
        }
        if t.key_last_year < t.low_last_year {
            return Err(DomainError::invalid(
                "relationship.tiers.key_last_year",
                "a key customer's yearly revenue is at least the low-frequency threshold",
            ));
        }
        Ok(())
    }
}

impl ChurnRules {
    /// Inactivity of 1-3650 days; a satisfaction threshold within 1-5.
    pub fn validate(&self) -> Result<(), DomainError> {
        if !(1..=3650).contains(&self.inactive_days) {
            return Err(DomainError::invalid("churn.inactive_days", "between 1 and 3650 days"));
        }
        if !(1..=5).contains(&self.max_satisfaction) {
            return Err(DomainError::invalid("churn.max_satisfaction", "between 1 and 5"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_name_the_field_that_is_out_of_range() {
        RelationshipRules::default().validate().unwrap();
        ChurnRules::default().validate().unwrap();
        let err = |r: RelationshipRules| r.validate().unwrap_err().to_string();
        let mut r = RelationshipRules::default();
        r.visits.normal = 0;
        assert_eq!(err(r), "relationship.visits.normal: between 1 and 3650 days");
        let mut r = RelationshipRules::default();
        r.tiers.currency = "cny".into();
        assert_eq!(err(r), "relationship.tiers.currency: a three-letter currency code");
        let mut r = RelationshipRules::default();
        r.tiers.key_lifetime = -1;
        assert_eq!(err(r), "relationship.tiers.key_lifetime: must not be negative");
        let mut r = RelationshipRules::default();
        r.tiers.low_last_year = r.tiers.key_last_year + 1;
        assert!(err(r).starts_with("relationship.tiers.key_last_year:"));
        let c = ChurnRules { inactive_days: 0, max_satisfaction: 2 };
        assert_eq!(c.validate().unwrap_err().to_string(), "churn.inactive_days: between 1 and 3650 days");
        let c = ChurnRules { inactive_days: 30, max_satisfaction: 6 };
        assert_eq!(c.validate().unwrap_err().to_string(), "churn.max_satisfaction: between 1 and 5");
    }
}
