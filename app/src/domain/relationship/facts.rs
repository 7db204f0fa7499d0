//! Per-customer facts for sorting and filtering the customer list: last contact, satisfaction, lifetime
//! value (as far as the reader may see them).

use std::collections::HashMap;

use crate::domain::relationship::{cooperation_history, history_value, satisfaction};
use crate::domain::{Activity, CustomerView, DocId, Money, OpportunityView, Timestamp};

/// What the customer list sorts by.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CustomerFacts {
    /// The latest activity with the customer that has happened.
    pub last_contact: Option<Timestamp>,
    pub satisfaction: Option<f64>,
    /// Per currency; empty when the reader sees no amount.
    pub lifetime_value: Vec<Money>,
}

/// Facts for every customer in `customers`, from the reader's deals and activities.
pub fn customer_facts(
    customers: &[&CustomerView],
    deals: &[&OpportunityView],
    activities: &[&Activity],
    now: Timestamp,
) -> HashMap<DocId, CustomerFacts> {
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
    customers
        .iter()
        .map(|c| {
            let acts = acts_of.get(&c.id).map(Vec::as_slice).unwrap_or_default();
            let ds = deals_of.get(&c.id).map(Vec::as_slice).unwrap_or_default();
            let imported = c.service.as_ref().and_then(|s| s.satisfaction);
            let facts = CustomerFacts {
                last_contact: acts.iter().map(|a| a.at).filter(|t| *t <= now).max(),
                satisfaction: satisfaction(&c.id, acts, imported, now).map(|s| s.score),
                lifetime_value: history_value(&cooperation_history(&c.id, c.money.as_ref(), ds)),
            };
            (c.id.clone(), facts)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testkit::u;
    use crate::domain::{ActivityKind, CooperationEntry, Customer, CustomerMoney, EntryKind};

    const T0: Timestamp = Timestamp(1_767_225_600_000);

    #[test]
    fn gathers_last_contact_satisfaction_and_lifetime_value() {
        let base = Customer::new("Acme", "CUS-2026-0001", Some(u("accountmgr")), &u("admin"), T0).unwrap();
        let mut money = CustomerMoney::default();
        money.orders.insert(
            "o1".into(),
            CooperationEntry {
                title: "order".into(),
                amount: Money::new(500, "CNY").unwrap(),
                signed_at: T0,
                opportunity: None,
                entry_kind: EntryKind::Order,
                product: String::new(),
                note: String::new(),
            },
        );
        let c = CustomerView {
            id: DocId::from_bytes([1; 16]),
            base,
            money: Some(money),
            service: None,
            lifetime_value: None,
        };
        let act = |day: i64, score: Option<u8>| {
            let mut a = Activity::new(ActivityKind::Visit, "v", T0.plus_days(day), &u("accountmgr"), T0).unwrap();
            a.customer = Some(c.id.clone());
            a.satisfaction = score;
            a
        };
        let (a, b, planned) = (act(1, Some(4)), act(3, Some(2)), act(30, None));
        let f = customer_facts(&[&c], &[], &[&a, &b, &planned], T0.plus_days(10));
        let f = &f[&c.id];
        assert_eq!(f.last_contact, Some(T0.plus_days(3)), "a planned visit is no contact yet");
        assert_eq!(f.satisfaction, Some(3.0));
        assert_eq!(f.lifetime_value, vec![Money::new(500, "CNY").unwrap()]);
    }
}
