//! What the Today page lists beyond follow-ups, for one user: visits due on the customers they maintain,
//! complaints and tickets past due that are theirs, and churn warnings on their customers with the
//! reason. The nav's count is [`Reminders::count`] plus the follow-ups.

use serde::{Deserialize, Serialize};

use crate::domain::ops::{churn_warnings, ChurnWarning};
use crate::domain::relationship::{overdue_case, visits_due, VisitDue};
use crate::domain::{Activity, ActivityKind, CustomerView, Directory, DocId, Timestamp, UserId};

/// A complaint or ticket past its due date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseDue {
    pub activity: DocId,
    pub kind: ActivityKind,
    pub subject: String,
    pub customer: Option<DocId>,
    pub due: Timestamp,
}

/// A customer with churn warnings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChurnItem {
    pub customer: DocId,
    pub name: String,
    pub warnings: Vec<ChurnWarning>,
}

/// One user's relationship reminders.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminders {
    pub visits: Vec<VisitDue>,
    pub cases: Vec<CaseDue>,
    pub churn: Vec<ChurnItem>,
}

impl Reminders {
    /// What is due: visits and overdue cases (churn warnings are standing conditions, not tasks).
    pub fn due_count(&self) -> usize {
        self.visits.len() + self.cases.len()
    }
}

/// `user`'s reminders at `now` from the views they hold. Their customers are the ones they maintain;
/// their cases are the ones assigned to them (or, unassigned, logged by them).
pub fn reminders(
    user: &UserId,
    customers: &[&CustomerView],
    activities: &[(&DocId, &Activity)],
    dir: &Directory,
    now: Timestamp,
) -> Reminders {
    let mine: Vec<&CustomerView> = customers.iter().copied().filter(|c| c.base.owner.as_ref() == Some(user)).collect();
    let acts: Vec<&Activity> = activities.iter().map(|(_, a)| *a).collect();
    let visits = visits_due(&mine, &acts, &dir.relationship.visits, now);
    let mut cases: Vec<CaseDue> = activities
        .iter()
        .filter(|(_, a)| a.assignee.as_ref().or(a.owner.as_ref()) == Some(user) && overdue_case(a, now))
        .map(|(id, a)| CaseDue {
            activity: (*id).clone(),
            kind: a.kind,
            subject: a.subject.clone(),
            customer: a.customer.clone(),
            due: a.due_at.unwrap_or(a.at),
        })
        .collect();
    cases.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.subject.cmp(&b.subject)));
    // Each customer is judged on its own activities (grouped once: a large book times every activity
    // would be too slow to recompute on each change).
    let mut by_customer: std::collections::HashMap<&DocId, Vec<&Activity>> = std::collections::HashMap::new();
    for &a in &acts {
        if let Some(c) = &a.customer {
            by_customer.entry(c).or_default().push(a);
        }
    }
    let churn = mine
        .iter()
        .filter_map(|c| {
            let own = by_customer.get(&c.id).map(Vec::as_slice).unwrap_or_default();
            let warnings = churn_warnings(c, own, &dir.churn, now);
            (!warnings.is_empty()).then(|| ChurnItem { customer: c.id.clone(), name: c.base.name.clone(), warnings })
        })
        .collect();
    Reminders { visits, cases, churn }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testkit::{company, u};
    use crate::domain::{CaseStatus, Customer, CustomerTier};

    const T0: Timestamp = Timestamp(1_767_225_600_000);

    fn customer(n: u8, owner: &str, tier: CustomerTier) -> CustomerView {
        let mut base = Customer::new(&format!("C{n}"), "CUS-2026-0001", Some(u(owner)), &u("admin"), T0).unwrap();
        base.tier = tier;
        CustomerView { id: DocId::from_bytes([n; 16]), base, money: None, service: None, lifetime_value: None }
    }

    fn case(customer: u8, by: &str, assignee: &str, due_day: i64) -> Activity {
        let mut a = Activity::new(ActivityKind::Complaint, "发票错误", T0, &u(by), T0).unwrap();
        a.customer = Some(DocId::from_bytes([customer; 16]));
        a.assignee = Some(u(assignee));
        a.due_at = Some(T0.plus_days(due_day));
        a
    }

    #[test]
    fn lists_my_visits_due_my_overdue_cases_and_churn_with_reasons() {
        let mut dir = company();
        dir.churn.inactive_days = 60;
        let key = customer(1, "accountmgr", CustomerTier::Key);
        let normal = customer(2, "accountmgr", CustomerTier::Normal);
        let others = customer(3, "rep1", CustomerTier::Key);
        let mut visit = Activity::new(ActivityKind::Visit, "回访", T0.plus_days(25), &u("accountmgr"), T0).unwrap();
        visit.customer = Some(key.id.clone());
        let mine = case(2, "aftersales", "accountmgr", 5);
        let theirs = case(1, "aftersales", "aftersales", 5);
        let mut resolved = case(2, "aftersales", "accountmgr", 5);
        resolved.status = Some(CaseStatus::Resolved);
        resolved.resolved_at = Some(T0.plus_days(4));
        let ids: Vec<DocId> = (10..14).map(|n| DocId::from_bytes([n; 16])).collect();
        let acts = [(&ids[0], &visit), (&ids[1], &mine), (&ids[2], &theirs), (&ids[3], &resolved)];
        let r = reminders(&u("accountmgr"), &[&key, &normal, &others], &acts, &dir, T0.plus_days(56));
        // Key: last visit day 25 + 30 = due day 55. Normal (90 days) not due yet; rep1's customer not mine.
        assert_eq!(r.visits.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(), ["C1"]);
        assert_eq!(r.cases.len(), 1);
        assert_eq!((r.cases[0].activity.clone(), r.cases[0].due), (ids[1].clone(), T0.plus_days(5)));
        // C1 and C2 each have one open complaint (whoever works it; the resolved one does not count);
        // nobody is inactive yet; rep1's customer is not listed.
        assert_eq!(r.churn.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["C1", "C2"]);
        assert!(r.churn.iter().all(|c| c.warnings == vec![ChurnWarning::OpenComplaints { count: 1 }]));
        assert_eq!(r.due_count(), 2);
        // After-sales sees the case assigned to them.
        let r = reminders(&u("aftersales"), &[&key, &normal, &others], &acts, &dir, T0.plus_days(56));
        assert_eq!((r.visits.len(), r.cases.len(), r.churn.len()), (0, 1, 0), "after-sales maintains no customer");
    }
}
