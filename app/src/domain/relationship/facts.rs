//! Per-customer facts for sorting and filtering the customer list: last contact, satisfaction, lifetime
//! value (as far as the reader may see them).

use std::cmp::Ordering;
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

/// The relationship orders of the customer list.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FactSort {
    /// Longest without contact first (never contacted first of all).
    LastContact,
    /// Least satisfied first.
    Satisfaction,
    /// Most valuable first.
    Lifetime,
}

/// The lifetime value that orders customers: the amount in `currency` (the tier rules' currency).
fn value_in(f: &CustomerFacts, currency: &str) -> Option<i64> {
    f.lifetime_value.iter().find(|m| m.currency == currency).map(|m| m.amount_minor)
}

/// Orders two customers' facts by `sort`; a customer without the fact (not visible, never rated) comes
/// after those with it, except that never-contacted customers lead the last-contact order.
pub fn compare_facts(sort: FactSort, a: Option<&CustomerFacts>, b: Option<&CustomerFacts>, currency: &str) -> Ordering {
    match sort {
        FactSort::LastContact => {
            let t = |f: Option<&CustomerFacts>| f.and_then(|f| f.last_contact).map_or(i64::MIN, |t| t.millis());
            t(a).cmp(&t(b))
        }
        FactSort::Satisfaction => {
            let s = |f: Option<&CustomerFacts>| f.and_then(|f| f.satisfaction).unwrap_or(f64::INFINITY);
            s(a).total_cmp(&s(b))
        }
        FactSort::Lifetime => {
            let v = |f: Option<&CustomerFacts>| f.and_then(|f| value_in(f, currency)).unwrap_or(-1);
            v(b).cmp(&v(a))
        }
    }
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

    fn f(last: Option<i64>, sat: Option<f64>, cny: Option<i64>) -> CustomerFacts {
        CustomerFacts {
            last_contact: last.map(Timestamp::from_millis),
            satisfaction: sat,
            lifetime_value: cny.map(|a| Money::new(a, "CNY").unwrap()).into_iter().collect(),
        }
    }

    #[test]
    fn orders_by_each_fact_with_the_unknown_where_a_person_expects_it() {
        let (a, b, none) = (f(Some(10), Some(4.5), Some(500)), f(Some(5), Some(2.0), Some(900)), f(None, None, None));
        let sorted = |sort: FactSort| {
            let mut v = vec![("a", &a), ("b", &b), ("none", &none)];
            v.sort_by(|x, y| compare_facts(sort, Some(x.1), Some(y.1), "CNY"));
            v.into_iter().map(|(n, _)| n).collect::<Vec<_>>()
        };
        assert_eq!(sorted(FactSort::LastContact), ["none", "b", "a"], "never contacted first, then the longest ago");
        assert_eq!(sorted(FactSort::Satisfaction), ["b", "a", "none"], "least satisfied first, unrated last");
        assert_eq!(sorted(FactSort::Lifetime), ["b", "a", "none"], "most valuable first, unknown last");
        assert_eq!(compare_facts(FactSort::Lifetime, Some(&a), None, "CNY"), Ordering::Less);
        assert_eq!(compare_facts(FactSort::Lifetime, Some(&a), Some(&b), "USD"), Ordering::Equal, "other currencies");
    }
}
