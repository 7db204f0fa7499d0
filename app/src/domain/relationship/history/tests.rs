use super::*;
use crate::domain::ops::{lose, reopen, win};
use crate::domain::testkit::{company, u};
use crate::domain::{CooperationEntry, Opportunity, OpportunityMoney, StageId};

const T0: Timestamp = Timestamp(1_767_225_600_000);

fn cust() -> DocId {
    DocId::from_bytes([1; 16])
}

fn deal(n: u8, amount: i64) -> OpportunityView {
    let dir = company();
    let mut base =
        Opportunity::new("ERP", "OPP-2026-0001", &StageId::new("initial"), Some(u("rep1")), &u("rep1"), T0, &dir)
            .unwrap();
    base.name = format!("deal {n}");
    base.customer = Some(cust());
    base.expected_close = Some(T0.plus_days(30));
    let money = OpportunityMoney { expected_amount: Some(Money::new(amount, "CNY").unwrap()), ..Default::default() };
    OpportunityView { id: DocId::from_bytes([n; 16]), base, money: Some(money) }
}

fn won(mut d: OpportunityView, at: Timestamp) -> OpportunityView {
    let m = d.money.as_mut().unwrap();
    win(&d.id.clone(), &mut d.base, m, None, &u("rep1"), at, &company()).unwrap();
    d
}

fn entry(title: &str, amount: i64, at: Timestamp, opportunity: Option<DocId>) -> CooperationEntry {
    CooperationEntry {
        title: title.into(),
        amount: Money::new(amount, "CNY").unwrap(),
        signed_at: at,
        opportunity,
        entry_kind: EntryKind::Contract,
        product: "ERP licence".into(),
        note: String::new(),
    }
}

#[test]
fn won_deals_are_listed_exactly_once_with_the_amount_only_for_money_readers() {
    let a = won(deal(2, 500_00), T0.plus_days(3));
    let open = deal(3, 900_00);
    let mut other_customer = won(deal(4, 7_00), T0.plus_days(4));
    other_customer.base.customer = Some(DocId::from_bytes([9; 16]));
    // The same deal twice in the reader's views (e.g. two sources) is still one line.
    let h = cooperation_history(&cust(), None, &[&a, &open, &other_customer, &a]);
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].title, "deal 2");
    assert_eq!(h[0].amount, Some(Money::new(500_00, "CNY").unwrap()));
    assert_eq!(h[0].at, T0.plus_days(3));
    assert_eq!(history_value(&h), vec![Money::new(500_00, "CNY").unwrap()]);
    // A reader without the deal's money group (marketing) sees the line without its amount.
    let mut hidden = a.clone();
    hidden.money = None;
    let h = cooperation_history(&cust(), None, &[&hidden]);
    assert_eq!((h.len(), h[0].amount.clone()), (1, None));
    assert!(history_value(&h).is_empty());
}

#[test]
fn a_lost_deal_reopened_and_won_is_listed_once_and_winning_again_adds_nothing() {
    let mut d = deal(2, 100_00);
    lose(&mut d.base, d.money.as_mut(), "price", T0.plus_days(1)).unwrap();
    assert!(cooperation_history(&cust(), None, &[&d]).is_empty(), "a lost deal is no cooperation");
    reopen(&mut d.base, d.money.as_mut(), T0.plus_days(2), &company()).unwrap();
    assert!(cooperation_history(&cust(), None, &[&d]).is_empty());
    let d = won(d, T0.plus_days(5));
    // Winning it again (a second device, a retry) changes nothing: still one line.
    let d = won(d, T0.plus_days(6));
    let h = cooperation_history(&cust(), None, &[&d]);
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].at, T0.plus_days(5));
}

#[test]
fn hand_written_and_imported_entries_join_the_won_deals() {
    let d = won(deal(2, 100_00), T0.plus_days(10));
    let mut money = CustomerMoney::default();
    money.orders.insert("renewal-1".into(), entry("Renewal 2026", 30_00, T0.plus_days(20), None));
    // An imported entry for a deal the reader sees yields to the deal (no double counting) ...
    money.orders.insert(d.id.to_string(), entry("imported copy", 100_00, T0, Some(d.id.clone())));
    // ... one for a deal the reader cannot see stays.
    let unseen = DocId::from_bytes([7; 16]);
    money.orders.insert(unseen.to_string(), entry("old system deal", 5_00, T0, Some(unseen.clone())));
    let h = cooperation_history(&cust(), Some(&money), &[&d]);
    let titles: Vec<&str> = h.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(titles, ["Renewal 2026", "deal 2", "old system deal"], "newest first");
    assert_eq!(h[0].product, "ERP licence");
    assert_eq!(h[0].source, HistorySource::Entry { kind: EntryKind::Contract, opportunity: None });
    assert_eq!(history_value(&h), vec![Money::new(135_00, "CNY").unwrap()]);
}
