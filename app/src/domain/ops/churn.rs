//! Churn warnings: customers drifting away.

use serde::{Deserialize, Serialize};

use crate::domain::relationship::satisfaction;
use crate::domain::{Activity, ActivityKind, CaseStatus, ChurnRules, CustomerView, Timestamp};

/// Why a customer may be about to churn.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum ChurnWarning {
    /// No activity for `days` days (counted from the last activity, or from creation if none).
    Inactive { days: i64, last_activity: Option<Timestamp> },
    /// Satisfaction at or below the threshold.
    LowSatisfaction { satisfaction: u8 },
    /// Complaints still open in the service history.
    OpenComplaints { count: usize },
}

/// The churn warnings for `customer`, given the activities the caller knows about (those about other
/// customers are ignored) and the directory's thresholds. Satisfaction follows the scored visits
/// (`relationship::satisfaction`, or the imported number in the `service` group); open complaints are
/// complaint activities not yet resolved plus open complaints imported into the `service` group.
pub fn churn_warnings(
    customer: &CustomerView,
    activities: &[&Activity],
    rules: &ChurnRules,
    now: Timestamp,
) -> Vec<ChurnWarning> {
    let mut out = Vec::new();
    let last = activities.iter().filter(|a| a.customer.as_ref() == Some(&customer.id)).map(|a| a.at).max();
    let since = last.unwrap_or(customer.base.created_at);
    let days = since.days_until(now);
    if days >= i64::from(rules.inactive_days) {
        out.push(ChurnWarning::Inactive { days, last_activity: last });
    }
    let imported = customer.service.as_ref().and_then(|s| s.satisfaction);
    if let Some(s) = satisfaction(&customer.id, activities, imported, now) {
        if s.rounded() <= rules.max_satisfaction {
            out.push(ChurnWarning::LowSatisfaction { satisfaction: s.rounded() });
        }
    }
    let open_activities = activities
        .iter()
        .filter(|a| a.kind == ActivityKind::Complaint && a.customer.as_ref() == Some(&customer.id))
        .filter(|a| a.case_status() != Some(CaseStatus::Resolved))
        .count();
    let count = customer.service.as_ref().map_or(0, |s| s.open_complaints().count()) + open_activities;
    if count > 0 {
        out.push(ChurnWarning::OpenComplaints { count });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testkit::u;
    use crate::domain::{ActivityKind, Customer, CustomerService, DocId, ServiceEvent, ServiceEventKind};

    const T0: Timestamp = Timestamp(1_767_225_600_000);

    fn customer(service: Option<CustomerService>) -> CustomerView {
        let base = Customer::new("Acme", "CUS-2026-0001", Some(u("rep1")), &u("rep1"), T0).unwrap();
        CustomerView { id: DocId::from_bytes([1; 16]), base, money: None, service, lifetime_value: None }
    }

    fn activity(customer: u8, at: Timestamp) -> Activity {
        let mut a = Activity::new(ActivityKind::Visit, "visit", at, &u("rep1"), at).unwrap();
        a.customer = Some(DocId::from_bytes([customer; 16]));
        a
    }

    #[test]
    fn warns_about_inactivity_from_last_activity_or_creation() {
        let rules = ChurnRules { inactive_days: 30, max_satisfaction: 2 };
        let c = customer(None);
        assert!(churn_warnings(&c, &[], &rules, T0.plus_days(29)).is_empty());
        assert_eq!(
            churn_warnings(&c, &[], &rules, T0.plus_days(30)),
            vec![ChurnWarning::Inactive { days: 30, last_activity: None }]
        );
        let recent = activity(1, T0.plus_days(20));
        let other_customer = activity(2, T0.plus_days(45));
        assert!(churn_warnings(&c, &[&recent, &other_customer], &rules, T0.plus_days(49)).is_empty());
        assert_eq!(
            churn_warnings(&c, &[&recent, &other_customer], &rules, T0.plus_days(50)),
            vec![ChurnWarning::Inactive { days: 30, last_activity: Some(T0.plus_days(20)) }]
        );
    }

    #[test]
    fn warns_about_satisfaction_and_open_complaints() {
        let rules = ChurnRules { inactive_days: 60, max_satisfaction: 2 };
        let ev = |id: &str, open: bool, kind| ServiceEvent {
            id: id.into(),
            kind,
            at: T0,
            title: "x".into(),
            open,
            resolved_at: None,
        };
        let service = CustomerService {
            satisfaction: Some(2),
            events: vec![
                ev("a", true, ServiceEventKind::Complaint),
                ev("b", false, ServiceEventKind::Complaint),
                ev("c", true, ServiceEventKind::Ticket),
            ],
        };
        let w = churn_warnings(&customer(Some(service.clone())), &[], &rules, T0.plus_days(1));
        assert_eq!(
            w,
            vec![ChurnWarning::LowSatisfaction { satisfaction: 2 }, ChurnWarning::OpenComplaints { count: 1 }]
        );
        let strict = ChurnRules { inactive_days: 60, max_satisfaction: 1 };
        let w = churn_warnings(&customer(Some(service.clone())), &[], &strict, T0.plus_days(1));
        assert_eq!(w, vec![ChurnWarning::OpenComplaints { count: 1 }]);
        // Scored visits outrank the imported number; complaint activities count until resolved.
        let mut visit = activity(1, T0.plus_days(1));
        visit.satisfaction = Some(5);
        let mut complaint = Activity::new(ActivityKind::Complaint, "late", T0, &u("aftersales"), T0).unwrap();
        complaint.customer = Some(DocId::from_bytes([1; 16]));
        let w2 = churn_warnings(&customer(Some(service.clone())), &[&visit, &complaint], &rules, T0.plus_days(2));
        assert_eq!(w2, vec![ChurnWarning::OpenComplaints { count: 2 }]);
        complaint.status = Some(CaseStatus::Resolved);
        complaint.resolved_at = Some(T0.plus_days(1));
        visit.satisfaction = Some(1);
        let w2 = churn_warnings(&customer(None), &[&visit, &complaint], &rules, T0.plus_days(2));
        assert_eq!(w2, vec![ChurnWarning::LowSatisfaction { satisfaction: 1 }]);
        let json = serde_json::to_value(&w[0]).unwrap();
        assert_eq!(json, serde_json::json!({"reason": "open_complaints", "count": 1}));
    }
}
