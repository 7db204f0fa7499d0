//! Hand-computed expectations over a small book of deals (see the table in `book`).

use super::*;
use crate::domain::testkit::{company, u};
use crate::domain::{
    ActivityKind, CooperationEntry, Customer, CustomerMoney, CustomerService, OpportunityMoney, ServiceEvent,
    ServiceEventKind, StageEntry, TeamId, Timestamp,
};

const T0: Timestamp = Timestamp(1_767_225_600_000);

fn id(n: u8) -> DocId {
    DocId::from_bytes([n; 16])
}

fn cny(a: i64) -> Money {
    Money::new(a, "CNY").unwrap()
}

struct Deal {
    n: u8,
    owner: &'static str,
    team: Option<&'static str>,
    status: OpportunityStatus,
    history: &'static [&'static str],
    amount: Option<i64>,
    closed_days: Option<i64>,
    reason: Option<&'static str>,
    customer: Option<u8>,
}

fn view(d: &Deal) -> OpportunityView {
    let dir = company();
    let stage = StageId::new(*d.history.last().unwrap());
    let mut o =
        crate::domain::Opportunity::new("deal", "OPP-2026-0001", &stage, Some(u(d.owner)), &u(d.owner), T0, &dir)
            .unwrap();
    o.team = d.team.map(TeamId::new);
    o.status = d.status;
    o.stage_history =
        d.history.iter().map(|s| StageEntry { stage: StageId::new(*s), entered_at: T0, by: u(d.owner) }).collect();
    o.closed_at = d.closed_days.map(|n| T0.plus_days(n));
    o.lost_reason = d.reason.map(str::to_string);
    o.customer = d.customer.map(id);
    OpportunityView {
        id: id(d.n),
        base: o,
        money: d.amount.map(|a| OpportunityMoney { expected_amount: Some(cny(a)), win_probability: 0, quotes: vec![] }),
    }
}

/// | deal | owner/team   | status | furthest stage | amount | closed | reason   | customer |
/// | 1 A  | rep1/east    | active | needs (1)      | 100    |        |          | C1 north |
/// | 2 B  | rep1/east    | won    | won (4)        | 300    | +10d   |          | C1       |
/// | 3 C  | rep2/east-1  | lost   | proposal (2)   | 50     | +4d    | Price    | C2 south |
/// | 4 D  | rep3/west    | lost   | initial (0)    | hidden | +6d    | " price "| C2       |
/// | 5 E  | rep3/west    | won    | won (4)        | 200    | +20d   |          | C1       |
/// | 6 F  | rep2/none    | active | initial (0)    | hidden |        |          | none     |
/// | 7 G  | rep1/east    | lost   | needs (1)      | hidden | +8d    | Timing   | C3 ""    |
fn book() -> Vec<OpportunityView> {
    use OpportunityStatus::*;
    let d = |n, owner, team, status, history, amount, closed_days, reason, customer| Deal {
        n,
        owner,
        team,
        status,
        history,
        amount,
        closed_days,
        reason,
        customer,
    };
    [
        d(1, "rep1", Some("east"), Active, &["initial", "needs"][..], Some(100), None, None, Some(11)),
        d(
            2,
            "rep1",
            Some("east"),
            Won,
            &["initial", "needs", "proposal", "negotiation", "won"][..],
            Some(300),
            Some(10),
            None,
            Some(11),
        ),
        d(3, "rep2", Some("east-1"), Lost, &["initial", "proposal"][..], Some(50), Some(4), Some("Price"), Some(12)),
        d(4, "rep3", Some("west"), Lost, &["initial"][..], None, Some(6), Some(" price "), Some(12)),
        d(5, "rep3", Some("west"), Won, &["initial", "won"][..], Some(200), Some(20), None, Some(11)),
        d(6, "rep2", None, Active, &["initial"][..], None, None, None, None),
        d(7, "rep1", Some("east"), Lost, &["initial", "needs"][..], None, Some(8), Some("Timing"), Some(13)),
    ]
    .iter()
    .map(view)
    .collect()
}

fn customers() -> Vec<CustomerView> {
    let c = |n: u8, tier: CustomerTier, region: &str| {
        let mut b = Customer::new(&format!("C{n}"), "CUS-2026-0001", Some(u("rep1")), &u("rep1"), T0).unwrap();
        b.tier = tier;
        b.region = region.into();
        CustomerView { id: id(n), base: b, money: None, service: None, lifetime_value: None }
    };
    let entry = |amount, opportunity| CooperationEntry {
        title: "t".into(),
        amount: cny(amount),
        signed_at: T0,
        opportunity,
        entry_kind: Default::default(),
        product: String::new(),
        note: String::new(),
    };
    let mut c1 = c(11, CustomerTier::Key, "north");
    let mut m1 = CustomerMoney::default();
    m1.orders.insert(id(2).to_string(), entry(300, Some(id(2))));
    m1.orders.insert("manual-1".into(), entry(40, None));
    c1.money = Some(m1);
    c1.service = Some(CustomerService { satisfaction: Some(4), events: vec![] });
    let mut c2 = c(12, CustomerTier::Normal, "south");
    let mut m2 = CustomerMoney::default();
    m2.orders.insert("manual-2".into(), entry(10, None));
    c2.money = Some(m2);
    c2.service = Some(CustomerService {
        satisfaction: Some(2),
        events: vec![ServiceEvent {
            id: "s".into(),
            kind: ServiceEventKind::Complaint,
            at: T0,
            title: "x".into(),
            open: true,
            resolved_at: None,
        }],
    });
    let c3 = c(13, CustomerTier::LowFrequency, "");
    vec![c1, c2, c3]
}

fn refs<T>(v: &[T]) -> Vec<&T> {
    v.iter().collect()
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[test]
fn counts_and_amounts_per_stage() {
    let b = book();
    let s = per_stage(&refs(&b), &company());
    let got: Vec<(&str, usize, Vec<Money>)> = s.iter().map(|s| (s.stage.as_str(), s.count, s.amount.clone())).collect();
    assert_eq!(
        got,
        vec![
            ("initial", 1, vec![]),
            ("needs", 1, vec![cny(100)]),
            ("proposal", 0, vec![]),
            ("negotiation", 0, vec![]),
            ("won", 0, vec![]),
        ]
    );
}

#[test]
fn conversion_from_each_stage_to_the_next() {
    let b = book();
    let c = stage_conversion(&refs(&b), &company());
    let got: Vec<(usize, usize)> = c.iter().map(|c| (c.reached_from, c.reached_to)).collect();
    assert_eq!(got, vec![(7, 5), (5, 3), (3, 2), (2, 2)]);
    assert!(
        close(c[0].rate, 5.0 / 7.0) && close(c[1].rate, 0.6) && close(c[2].rate, 2.0 / 3.0) && close(c[3].rate, 1.0)
    );
    assert_eq!((c[0].from.as_str(), c[0].to.as_str()), ("initial", "needs"));
}

#[test]
fn win_rate_cycles_and_lost_reasons() {
    let b = book();
    let r = refs(&b);
    assert!(close(win_rate(&r), 0.4));
    assert_eq!(win_rate(&[]), None);
    let won = sales_cycle(&r, OpportunityStatus::Won);
    assert_eq!(won.count, 2);
    assert!(close(won.average_days, 15.0) && close(won.median_days, 15.0));
    let lost = sales_cycle(&r, OpportunityStatus::Lost);
    assert!(close(lost.average_days, 6.0) && close(lost.median_days, 6.0));
    // Even count: median of 4 and 8 is 6, of 4, 6, 8, 20 is 7.
    let mut extra = b.clone();
    extra[1].base.status = OpportunityStatus::Lost;
    extra[1].base.lost_reason = Some("timing".into());
    let lost = sales_cycle(&refs(&extra), OpportunityStatus::Lost);
    assert!(close(lost.median_days, 7.0) && close(lost.average_days, 7.0));
    assert_eq!(
        lost_reasons(&r),
        vec![LostReason { reason: "Price".into(), count: 2 }, LostReason { reason: "Timing".into(), count: 1 }]
    );
}

#[test]
fn summaries_per_owner_team_and_region() {
    let b = book();
    let cs = customers();
    let r = refs(&b);
    let all = summary(&r);
    assert_eq!((all.count, all.active, all.won, all.lost, all.closed), (7, 2, 2, 3, 0));
    assert_eq!((all.open_amount.clone(), all.won_amount.clone()), (vec![cny(100)], vec![cny(500)]));

    let by_owner = summary_by(&r, GroupBy::Owner, &refs(&cs));
    let counts: Vec<(&str, usize, Option<f64>)> =
        by_owner.iter().map(|(k, s)| (k.as_str(), s.count, s.win_rate)).collect();
    assert_eq!(counts, vec![("rep1", 3, Some(0.5)), ("rep2", 2, Some(0.0)), ("rep3", 2, Some(0.5))]);

    let by_team = summary_by(&r, GroupBy::Team, &refs(&cs));
    let counts: Vec<(&str, usize)> = by_team.iter().map(|(k, s)| (k.as_str(), s.count)).collect();
    assert_eq!(counts, vec![("(none)", 1), ("east", 3), ("east-1", 1), ("west", 2)]);

    let by_region = summary_by(&r, GroupBy::Region, &refs(&cs));
    let counts: Vec<(&str, usize, usize)> = by_region.iter().map(|(k, s)| (k.as_str(), s.count, s.won)).collect();
    assert_eq!(counts, vec![("(none)", 2, 0), ("north", 3, 2), ("south", 2, 0)]);
    assert_eq!(by_region["north"].won_amount, vec![cny(500)]);
}

#[test]
fn customer_base_numbers() {
    let b = book();
    let cs = customers();
    let now = T0.plus_days(200);
    let a1 = {
        let mut a = Activity::new(ActivityKind::Visit, "v", now.plus_days(-5), &u("rep1"), T0).unwrap();
        a.customer = Some(id(11));
        a
    };
    let a2 = {
        let mut a = Activity::new(ActivityKind::Call, "c", now.plus_days(-100), &u("rep1"), T0).unwrap();
        a.customer = Some(id(12));
        a
    };
    let s = customer_stats(&refs(&cs), &refs(&b), &[&a1, &a2], &company(), now);
    assert_eq!(s.count, 3);
    assert_eq!(s.tiers.values().copied().collect::<Vec<_>>(), vec![1, 1, 1]);
    assert!(close(s.churn_rate, 2.0 / 3.0), "C2 silent 100 days, C3 never active");
    assert_eq!(s.at_risk, 2);
    // C1: deals 2 and 5 plus a manual order = 3 purchases; C2: one manual order; C3: none.
    assert!(close(s.repurchase_rate, 0.5));
    assert!(close(s.average_satisfaction, 3.0));
    assert_eq!(s.lifetime_value, vec![cny(350)]);
    assert_eq!(s.average_lifetime_value, vec![cny(175)]);
    let empty = customer_stats(&[], &[], &[], &company(), now);
    assert_eq!((empty.churn_rate, empty.repurchase_rate, empty.average_satisfaction), (None, None, None));
}

#[test]
fn a_period_keeps_open_deals_and_those_closed_in_it() {
    let b = book();
    let all = refs(&b);
    let start = T0.plus_days(7);
    let kept: Vec<u8> = in_period(&all, Some(start)).iter().map(|o| o.id.bytes()[0]).collect();
    // Open: 1, 6. Closed on or after day 7: 2 (+10), 5 (+20), 7 (+8). Not 3 (+4) or 4 (+6).
    assert_eq!(kept, vec![1, 2, 5, 6, 7]);
    assert!(close(win_rate(&in_period(&all, Some(start))), 2.0 / 3.0));
    assert_eq!(in_period(&all, None).len(), all.len());
    // After every close: only the open deals remain, and no win rate.
    let late = in_period(&all, Some(T0.plus_days(30)));
    assert_eq!(late.len(), 2);
    assert_eq!(win_rate(&late), None);
}
