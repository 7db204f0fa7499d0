//! Logging the relationship from wherever people are: a call, visit (回访), meeting, e-mail, complaint or
//! service ticket becomes an activity record linked to the customer (and the contact, lead or deal it
//! came from). Who may log it is the policy's `activities` rule, checked by the relay like any write.

use crate::domain::vocab;
use crate::domain::{
    access, may_assign, Activity, ActivityKind, CaseStatus, Directory, DocId, DomainError, Record, RecordKind,
    RecordMeta, Timestamp, UserId,
};

/// May `user` log an activity on a customer maintained by `customer_owner` (`None`: a lead, or a customer
/// without a maintainer)? The same question the relay's write gate asks of the new activity (owned by its
/// writer, linked to that customer): after-sales on any customer, account managers on theirs, reps on
/// their own, managers in their team; marketing and analysts never.
pub fn may_log(user: &UserId, dir: &Directory, customer_owner: Option<&UserId>) -> bool {
    let meta = RecordMeta {
        kind: RecordKind::Activity,
        owner: Some(user.clone()),
        customer_owner: customer_owner.cloned(),
        linked: Vec::new(),
    };
    access(user, dir, &meta).base.can_write() && may_assign(user, dir, RecordKind::Activity, None, Some(user), true)
}

/// What the person filled in.
#[derive(Clone, Debug, PartialEq)]
pub struct LogEntry {
    pub kind: ActivityKind,
    pub subject: String,
    pub at: Timestamp,
    pub customer: Option<DocId>,
    pub opportunity: Option<DocId>,
    pub contact: Option<DocId>,
    pub lead: Option<DocId>,
    pub outcome: String,
    /// Visits only: 1-5.
    pub satisfaction: Option<u8>,
    /// Complaints and tickets: who works on it and by when (both required).
    pub assignee: Option<UserId>,
    pub due_at: Option<Timestamp>,
}

/// The activity `by` logs at `now` (owned by `by`). Complaints and tickets start open and need an active
/// assignee and a due date; only visits take a satisfaction score.
pub fn log_activity(entry: LogEntry, by: &UserId, now: Timestamp, dir: &Directory) -> Result<Activity, DomainError> {
    let mut a = Activity::new(entry.kind, &entry.subject, entry.at, by, now)?;
    if entry.customer.is_none() && entry.lead.is_none() {
        return Err(DomainError::invalid("customer", "log it on a customer or a lead"));
    }
    a.customer = entry.customer;
    a.opportunity = entry.opportunity;
    a.contact = entry.contact;
    a.lead = entry.lead;
    vocab::max_text("outcome", &entry.outcome, 2000)?;
    a.outcome = entry.outcome.trim().to_string();
    a.satisfaction = entry.satisfaction;
    if entry.kind.is_case() {
        let assignee = entry.assignee.ok_or_else(|| DomainError::invalid("assignee", "who works on it?"))?;
        if dir.user(&assignee).is_none_or(|u| u.disabled) {
            return Err(DomainError::invalid("assignee", format!("{assignee} is not an active user")));
        }
        let due = entry.due_at.ok_or_else(|| DomainError::invalid("due_at", "by when must it be resolved?"))?;
        a.assignee = Some(assignee);
        a.due_at = Some(due);
    }
    a.validate_fields(dir)?;
    Ok(a)
}

/// Moves a complaint or ticket to `status` (open → in progress → resolved; a resolved case may be
/// reopened). Resolving stamps `resolved_at`; reopening clears it.
pub fn set_case_status(a: &mut Activity, status: CaseStatus, now: Timestamp) -> Result<(), DomainError> {
    let Some(current) = a.case_status() else {
        return Err(DomainError::invalid("status", "only complaints and service tickets have a status"));
    };
    if current == status {
        return Ok(());
    }
    a.status = Some(status);
    a.resolved_at = (status == CaseStatus::Resolved).then_some(now.max(a.created_at));
    a.updated_at = now.max(a.updated_at);
    Ok(())
}

/// Hands a complaint or ticket to `assignee` (an active user) and sets when it must be resolved.
pub fn assign_case(
    a: &mut Activity,
    assignee: UserId,
    due_at: Timestamp,
    dir: &Directory,
    now: Timestamp,
) -> Result<(), DomainError> {
    if a.case_status().is_none() {
        return Err(DomainError::invalid("assignee", "only complaints and service tickets are assigned"));
    }
    if dir.user(&assignee).is_none_or(|u| u.disabled) {
        return Err(DomainError::invalid("assignee", format!("{assignee} is not an active user")));
    }
    a.assignee = Some(assignee);
    a.due_at = Some(due_at);
    a.updated_at = now.max(a.updated_at);
    Ok(())
}

/// Is this case still open (not resolved) and past its due date at `now`?
pub fn overdue_case(a: &Activity, now: Timestamp) -> bool {
    a.case_status().is_some_and(|s| s != CaseStatus::Resolved) && a.due_at.is_some_and(|d| d < now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testkit::{company, u};

    const T0: Timestamp = Timestamp(1_767_225_600_000);

    fn entry(kind: ActivityKind) -> LogEntry {
        LogEntry {
            kind,
            subject: "发票错误".into(),
            at: T0,
            customer: Some(DocId::from_bytes([1; 16])),
            opportunity: None,
            contact: None,
            lead: None,
            outcome: String::new(),
            satisfaction: None,
            assignee: Some(u("aftersales")),
            due_at: Some(T0.plus_days(3)),
        }
    }

    #[test]
    fn cases_need_an_assignee_and_a_due_date_and_move_through_their_statuses() {
        let dir = company();
        let mut c = log_activity(entry(ActivityKind::Complaint), &u("aftersales"), T0, &dir).unwrap();
        assert_eq!((c.case_status(), c.assignee.clone()), (Some(CaseStatus::Open), Some(u("aftersales"))));
        let no_due = LogEntry { due_at: None, ..entry(ActivityKind::Service) };
        assert_eq!(
            log_activity(no_due, &u("aftersales"), T0, &dir).unwrap_err().to_string(),
            "due_at: by when must it be resolved?"
        );
        let gone = LogEntry { assignee: Some(u("gone")), ..entry(ActivityKind::Complaint) };
        assert!(log_activity(gone, &u("aftersales"), T0, &dir).unwrap_err().to_string().starts_with("assignee:"));
        assert!(!overdue_case(&c, T0.plus_days(3)));
        assert!(overdue_case(&c, T0.plus_days(4)));
        set_case_status(&mut c, CaseStatus::InProgress, T0.plus_days(1)).unwrap();
        assert!(overdue_case(&c, T0.plus_days(4)));
        set_case_status(&mut c, CaseStatus::Resolved, T0.plus_days(5)).unwrap();
        assert_eq!(c.resolved_at, Some(T0.plus_days(5)));
        assert!(!overdue_case(&c, T0.plus_days(9)));
        c.validate_fields(&dir).unwrap();
        set_case_status(&mut c, CaseStatus::Open, T0.plus_days(6)).unwrap();
        assert_eq!(c.resolved_at, None);
        let mut call = log_activity(entry(ActivityKind::Call), &u("rep1"), T0, &dir).unwrap();
        assert_eq!((call.status, call.assignee.clone(), call.due_at), (None, None, None), "a call is no case");
        assert!(set_case_status(&mut call, CaseStatus::Resolved, T0).is_err());
    }

    #[test]
    fn who_may_log_follows_the_policy_for_each_role() {
        let dir = company();
        let mine = Some(u("accountmgr"));
        let reps = Some(u("rep1"));
        // After-sales: on any customer; account managers: on theirs; reps: their own (they own what they log).
        assert!(may_log(&u("aftersales"), &dir, mine.as_ref()));
        assert!(may_log(&u("aftersales"), &dir, reps.as_ref()));
        assert!(may_log(&u("accountmgr"), &dir, mine.as_ref()));
        assert!(may_log(&u("rep1"), &dir, reps.as_ref()));
        assert!(may_log(&u("rep1"), &dir, None), "on their lead");
        assert!(may_log(&u("manager"), &dir, reps.as_ref()));
        assert!(may_log(&u("admin"), &dir, mine.as_ref()));
        for nobody in ["marketing", "analyst", "gone", "stranger"] {
            assert!(!may_log(&u(nobody), &dir, mine.as_ref()), "{nobody}");
        }
    }

    #[test]
    fn a_case_is_handed_to_an_active_user_with_a_new_due_date() {
        let dir = company();
        let mut c = log_activity(entry(ActivityKind::Service), &u("aftersales"), T0, &dir).unwrap();
        assign_case(&mut c, u("accountmgr"), T0.plus_days(9), &dir, T0.plus_days(1)).unwrap();
        assert_eq!(
            (c.assignee.clone(), c.due_at, c.updated_at),
            (Some(u("accountmgr")), Some(T0.plus_days(9)), T0.plus_days(1))
        );
        c.validate_fields(&dir).unwrap();
        let before = c.clone();
        assert!(assign_case(&mut c, u("gone"), T0, &dir, T0.plus_days(2)).is_err());
        assert_eq!(c, before, "a refused hand-over changes nothing");
        let mut call = log_activity(entry(ActivityKind::Call), &u("rep1"), T0, &dir).unwrap();
        assert!(assign_case(&mut call, u("rep1"), T0, &dir, T0).is_err());
    }

    #[test]
    fn only_visits_take_a_score_within_one_to_five() {
        let dir = company();
        let visit = LogEntry { satisfaction: Some(4), ..entry(ActivityKind::Visit) };
        assert_eq!(log_activity(visit.clone(), &u("accountmgr"), T0, &dir).unwrap().satisfaction, Some(4));
        let six = LogEntry { satisfaction: Some(6), ..visit.clone() };
        assert_eq!(
            log_activity(six, &u("accountmgr"), T0, &dir).unwrap_err().to_string(),
            "satisfaction: 6 is not within 1-5"
        );
        let call = LogEntry { satisfaction: Some(4), ..entry(ActivityKind::Call) };
        assert!(log_activity(call, &u("rep1"), T0, &dir).is_err());
        let nowhere = LogEntry { customer: None, ..entry(ActivityKind::Call) };
        assert!(log_activity(nowhere, &u("rep1"), T0, &dir).is_err());
    }
}
