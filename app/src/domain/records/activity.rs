//! Activity: a call, visit, meeting, e-mail, complaint or service contact.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::{line, validate_common, Record, MAX_LINE};
use crate::domain::time::lenient;
use crate::domain::vocab::{self, str_enum, LongText};
use crate::domain::{CustomValue, Directory, DocId, DomainError, FieldId, RecordKind, TeamId, Timestamp, UserId};

str_enum!(
    /// What kind of activity.
    ActivityKind("kind") {
        Call = "call",
        Visit = "visit",
        Meeting = "meeting",
        Email = "email",
        Complaint = "complaint",
        Service = "service",
    }
);

str_enum!(
    /// Where a complaint or service ticket stands: open → in progress → resolved.
    CaseStatus("status") {
        Open = "open",
        InProgress = "in_progress",
        Resolved = "resolved",
    }
);

impl ActivityKind {
    /// Complaints and service tickets are cases: they have a status, an assignee and a due date.
    pub fn is_case(self) -> bool {
        matches!(self, ActivityKind::Complaint | ActivityKind::Service)
    }
}

/// An activity's main document (activities have no companions). `owner` is who did it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct Activity {
    pub created_at: Timestamp,
    pub created_by: UserId,
    pub updated_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub owner: Option<UserId>,
    #[autosurgeon(missing = "Default::default")]
    pub team: Option<TeamId>,
    /// Stored under the key `activity_kind` (`kind` is the document's kind).
    #[autosurgeon(rename = "activity_kind")]
    #[serde(rename = "activity_kind")]
    pub kind: ActivityKind,
    #[autosurgeon(hydrate = "line::one")]
    pub subject: String,
    pub at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub customer: Option<DocId>,
    #[autosurgeon(missing = "Default::default")]
    pub opportunity: Option<DocId>,
    #[autosurgeon(hydrate = "line::one")]
    pub outcome: String,
    #[autosurgeon(hydrate = "line::one")]
    pub next_step: String,
    /// When the next step is due (a follow-up for the owner).
    #[autosurgeon(missing = "Default::default")]
    pub next_step_at: Option<Timestamp>,
    pub notes: LongText,
    #[autosurgeon(missing = "Default::default")]
    pub custom: BTreeMap<FieldId, CustomValue>,
    /// Set while the record is archived: hidden from lists and search, kept whole (see `ops::archive`).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<crate::domain::ops::Archived>,
    /// The contact it was with, if any.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub contact: Option<DocId>,
    /// The lead it was about, if any (before there is a customer).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub lead: Option<DocId>,
    /// Visits (回访): the customer's satisfaction, 1-5, if asked.
    #[autosurgeon(hydrate = "lenient::opt_u8", missing = "Default::default")]
    #[serde(default)]
    pub satisfaction: Option<u8>,
    /// Complaints and tickets: where the case stands (`None` for other kinds).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub status: Option<CaseStatus>,
    /// Complaints and tickets: who works on it.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub assignee: Option<UserId>,
    /// Complaints and tickets: when it must be resolved.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub due_at: Option<Timestamp>,
    /// Complaints and tickets: when it was resolved.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub resolved_at: Option<Timestamp>,
}

impl Activity {
    pub fn new(
        kind: ActivityKind,
        subject: &str,
        at: Timestamp,
        owner: &UserId,
        now: Timestamp,
    ) -> Result<Activity, DomainError> {
        vocab::required_text("subject", subject, MAX_LINE)?;
        Ok(Activity {
            created_at: now,
            created_by: owner.clone(),
            updated_at: now,
            owner: Some(owner.clone()),
            team: None,
            kind,
            subject: subject.trim().to_string(),
            at,
            customer: None,
            opportunity: None,
            outcome: String::new(),
            next_step: String::new(),
            next_step_at: None,
            notes: LongText::default(),
            custom: BTreeMap::new(),
            archived: None,
            contact: None,
            lead: None,
            satisfaction: None,
            status: kind.is_case().then_some(CaseStatus::Open),
            assignee: None,
            due_at: None,
            resolved_at: None,
        })
    }
}

impl Activity {
    /// Where a complaint or ticket stands (one logged before cases had a status counts as open);
    /// `None` for other kinds.
    pub fn case_status(&self) -> Option<CaseStatus> {
        self.kind.is_case().then(|| self.status.unwrap_or(CaseStatus::Open))
    }
}

impl Record for Activity {
    const KIND: RecordKind = RecordKind::Activity;
    header_accessors!();
    fn customer(&self) -> Option<&DocId> {
        self.customer.as_ref()
    }
    fn validate_fields(&self, _dir: &Directory) -> Result<(), DomainError> {
        validate_common(self.created_at, self.updated_at, &self.created_by)?;
        vocab::required_text("subject", &self.subject, MAX_LINE)?;
        vocab::max_text("outcome", &self.outcome, 2000)?;
        vocab::max_text("next_step", &self.next_step, 2000)?;
        if let Some(s) = self.satisfaction {
            if self.kind != ActivityKind::Visit {
                return Err(DomainError::invalid("satisfaction", "only a visit records satisfaction"));
            }
            if !(1..=5).contains(&s) {
                return Err(DomainError::invalid("satisfaction", format!("{s} is not within 1-5")));
            }
        }
        if !self.kind.is_case() && (self.status.is_some() || self.assignee.is_some() || self.due_at.is_some()) {
            return Err(DomainError::invalid("status", "only complaints and service tickets have a status"));
        }
        if (self.status == Some(CaseStatus::Resolved)) != self.resolved_at.is_some() {
            return Err(DomainError::invalid("resolved_at", "set exactly when the case is resolved"));
        }
        Ok(())
    }
}
