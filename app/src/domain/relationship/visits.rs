//! Visits due (回访提醒): each tier has a visit interval; a customer is due that many days after its last
//! visit (or after it became a customer, if never visited).

use serde::{Deserialize, Serialize};

use crate::domain::relationship::VisitIntervals;
use crate::domain::{Activity, ActivityKind, CustomerTier, CustomerView, DocId, Timestamp};

/// A customer due (or overdue) for a visit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitDue {
    pub customer: DocId,
    pub name: String,
    pub tier: CustomerTier,
    pub last_visit: Option<Timestamp>,
    pub due: Timestamp,
}

/// The customers among `customers` due for a visit by `now`, most overdue first. Visits are the
/// `visit` activities among `activities` (others ignored) that have happened by `now`.
pub fn visits_due(
    customers: &[&CustomerView],
    activities: &[&Activity],
    intervals: &VisitIntervals,
    now: Timestamp,
) -> Vec<VisitDue> {
    let mut last: std::collections::HashMap<&DocId, Timestamp> = std::collections::HashMap::new();
    for a in activities.iter().copied().filter(|a| a.kind == ActivityKind::Visit && a.at <= now) {
        if let Some(c) = &a.customer {
            let e = last.entry(c).or_insert(a.at);
            *e = (*e).max(a.at);
        }
    }
    let mut out: Vec<VisitDue> = customers
        .iter()
        .filter_map(|c| {
            let last_visit = last.get(&c.id).copied();
            let due = last_visit.unwrap_or(c.base.created_at).plus_days(i64::from(intervals.days(c.base.tier)));
            (due <= now).then(|| VisitDue {
                customer: c.id.clone(),
                name: c.base.name.clone(),
                tier: c.base.tier,
                last_visit,
                due,
            })
        })
        .collect();
    out.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.name.cmp(&b.name)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::relationship::RelationshipRules;
    use crate::domain::testkit::u;
    use crate::domain::Customer;

    const T0: Timestamp = Timestamp(1_767_225_600_000);

    fn customer(n: u8, tier: CustomerTier) -> CustomerView {
        let mut base =
            Customer::new(&format!("C{n}"), "CUS-2026-0001", Some(u("accountmgr")), &u("admin"), T0).unwrap();
        base.tier = tier;
        CustomerView { id: DocId::from_bytes([n; 16]), base, money: None, service: None, lifetime_value: None }
    }

    fn act(kind: ActivityKind, customer: u8, day: i64) -> Activity {
        let at = T0.plus_days(day);
        let mut a = Activity::new(kind, "x", at, &u("accountmgr"), at).unwrap();
        a.customer = Some(DocId::from_bytes([customer; 16]));
        a
    }

    #[test]
    fn each_tier_is_due_after_its_interval_from_the_last_visit() {
        let rules = RelationshipRules::default().visits; // key 30, normal 90, low 180
        let (key, normal, low) = (
            customer(1, CustomerTier::Key),
            customer(2, CustomerTier::Normal),
            customer(3, CustomerTier::LowFrequency),
        );
        let cs = [&key, &normal, &low];
        let names = |v: Vec<VisitDue>| v.into_iter().map(|d| d.name).collect::<Vec<_>>();
        assert!(visits_due(&cs, &[], &rules, T0.plus_days(29)).is_empty());
        assert_eq!(names(visits_due(&cs, &[], &rules, T0.plus_days(30))), ["C1"]);
        // A visit on day 20 moves the key customer to day 50; a call is no visit; a planned visit
        // (in the future) does not count yet.
        let visit = act(ActivityKind::Visit, 1, 20);
        let call = act(ActivityKind::Call, 2, 80);
        let planned = act(ActivityKind::Visit, 2, 200);
        let acts = [&visit, &call, &planned];
        assert!(visits_due(&cs, &acts, &rules, T0.plus_days(49)).is_empty());
        let due = visits_due(&cs, &acts, &rules, T0.plus_days(180));
        assert_eq!(names(due.clone()), ["C1", "C2", "C3"], "most overdue first");
        assert_eq!((due[0].last_visit, due[0].due), (Some(T0.plus_days(20)), T0.plus_days(50)));
        assert_eq!(due[1].due, T0.plus_days(90));
    }
}
