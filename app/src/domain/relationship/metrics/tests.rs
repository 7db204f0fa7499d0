use super::*;
use crate::domain::ops::ChurnWarning;
use crate::domain::testkit::{company, u};
use crate::domain::{
    ActivityKind, CooperationEntry, Customer, CustomerMoney, CustomerService, EntryKind, Opportunity, OpportunityMoney,
    OpportunityStatus, StageId,
};

const T0: Timestamp = Timestamp(1_767_225_600_000);

fn customer(n: u8, tier: CustomerTier, created_day: i64, money: Option<&[(i64, i64)]>) -> CustomerView {
    let mut base =
        Customer::new(&format!("C{n}"), "CUS-2026-0001", Some(u("accountmgr")), &u("admin"), T0.plus_days(created_day))
            .unwrap();
    base.tier = tier;
    let money = money.map(|orders| {
        let mut m = CustomerMoney::default();
        for (i, (day, amount)) in orders.iter().enumerate() {
            m.orders.insert(
                format!("o{i}"),
                CooperationEntry {
                    title: "order".into(),
                    amount: Money::new(*amount, "CNY").unwrap(),
                    signed_at: T0.plus_days(*day),
                    opportunity: None,
                    entry_kind: EntryKind::Order,
                    product: String::new(),
                    note: String::new(),
                },
            );
        }
        m
    });
    CustomerView {
        id: DocId::from_bytes([n; 16]),
        base,
        money,
        service: Some(CustomerService { satisfaction: Some(4), events: vec![] }),
        lifetime_value: None,
    }
}

fn won_deal(n: u8, customer: u8, day: i64, amount: Option<i64>) -> OpportunityView {
    let mut base =
        Opportunity::new("d", "OPP-2026-0001", &StageId::new("initial"), Some(u("rep1")), &u("rep1"), T0, &company())
            .unwrap();
    base.customer = Some(DocId::from_bytes([customer; 16]));
    base.status = OpportunityStatus::Won;
    base.closed_at = Some(T0.plus_days(day));
    let money =
        amount.map(|a| OpportunityMoney { expected_amount: Some(Money::new(a, "CNY").unwrap()), ..Default::default() });
    OpportunityView { id: DocId::from_bytes([n; 16]), base, money }
}

fn visit(customer: u8, day: i64, score: Option<u8>) -> Activity {
    let at = T0.plus_days(day);
    let mut a = Activity::new(ActivityKind::Visit, "回访", at, &u("accountmgr"), at).unwrap();
    a.customer = Some(DocId::from_bytes([customer; 16]));
    a.satisfaction = score;
    a
}

#[test]
fn tiers_satisfaction_and_lifetime_value_follow_visits_and_history() {
    let dir = company(); // churn after 60 days
    let c1 = customer(1, CustomerTier::Key, 0, Some(&[(10, 1_000)]));
    let c2 = customer(2, CustomerTier::Normal, 0, Some(&[]));
    let c3 = customer(3, CustomerTier::Normal, 0, None); // money not visible to this reader
    let deal = won_deal(9, 2, 20, Some(3_000));
    let (v1, v2) = (visit(1, 50, Some(2)), visit(3, 50, None));
    let m = customer_metrics(&[&c1, &c2, &c3], &[&deal], &[&v1, &v2], &dir, None, T0.plus_days(60));
    assert_eq!(m.count, 3);
    assert_eq!(m.tiers.get("key"), Some(&1));
    assert_eq!(m.tiers.get("normal"), Some(&2));
    assert_eq!(m.tiers.get("low_frequency"), Some(&0));
    // C1 from its scored visit (2), C2 and C3 from the imported 4.
    assert_eq!((m.rated, m.average_satisfaction), (3, Some(10.0 / 3.0)));
    // (1,000 + 3,000) over the two customers whose money group is visible.
    assert_eq!(m.average_lifetime_value, vec![Money::new(2_000, "CNY").unwrap()]);
    // C2 has had no activity since it was created on day 0: lapsed on day 60.
    assert_eq!(m.at_risk.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["C1", "C2"]);
    assert_eq!(m.at_risk[0].warnings, vec![ChurnWarning::LowSatisfaction { satisfaction: 2 }]);
    assert!(matches!(m.at_risk[1].warnings[0], ChurnWarning::Inactive { days: 60, .. }));
}

#[test]
fn repurchase_and_churn_rates_are_over_the_period() {
    let dir = company();
    // C1 bought on days 10 and 100; C2 only on day 100; C3 on day 10 only.
    let c1 = customer(1, CustomerTier::Key, 0, Some(&[(10, 100), (100, 100)]));
    let c2 = customer(2, CustomerTier::Normal, 0, Some(&[(100, 100)]));
    let c3 = customer(3, CustomerTier::Normal, 0, Some(&[(10, 100)]));
    // Activity keeps C1 (day 95) and C2 (day 110) alive at day 120; C3's last was on day 30 (lapsed day 90).
    let acts = [visit(1, 95, None), visit(2, 110, None), visit(3, 30, None)];
    let acts: Vec<&Activity> = acts.iter().collect();
    let all = customer_metrics(&[&c1, &c2, &c3], &[], &acts, &dir, None, T0.plus_days(120));
    assert_eq!((all.buyers, all.repeat_buyers, all.repurchase_rate), (3, 1, Some(1.0 / 3.0)));
    assert_eq!((all.base_at_start, all.churned), (3, 1));
    // From day 50: C1 and C2 bought in it, C1 had bought before. All three were customers on day 50
    // (C3 lapses on day 90, within the period).
    let p = customer_metrics(&[&c1, &c2, &c3], &[], &acts, &dir, Some(T0.plus_days(50)), T0.plus_days(120));
    assert_eq!((p.buyers, p.repeat_buyers), (2, 1));
    assert_eq!((p.base_at_start, p.churned, p.churn_rate), (3, 1, Some(1.0 / 3.0)));
    // From day 100: C3 had lapsed before the period began, so it is not counted at all.
    let late = customer_metrics(&[&c1, &c2, &c3], &[], &acts, &dir, Some(T0.plus_days(100)), T0.plus_days(120));
    assert_eq!((late.base_at_start, late.churned, late.churn_rate), (2, 0, Some(0.0)));
    // A won deal the reader sees without its amount still counts as a purchase; no money, no average.
    let mut blind = customer(4, CustomerTier::Normal, 0, None);
    blind.service = None;
    let d1 = won_deal(8, 4, 60, None);
    let d2 = won_deal(9, 4, 110, None);
    let m = customer_metrics(&[&blind], &[&d1, &d2], &[], &dir, Some(T0.plus_days(100)), T0.plus_days(120));
    assert_eq!((m.buyers, m.repeat_buyers), (1, 1));
    assert!(m.average_lifetime_value.is_empty());
    assert_eq!((m.rated, m.average_satisfaction), (0, None));
    assert_eq!(customer_metrics(&[], &[], &[], &dir, None, T0).repurchase_rate, None);
}
