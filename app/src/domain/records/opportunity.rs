//! Opportunity (商机): a deal moving through the pipeline stages.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::{line, validate_common, Companion, LeadSource, Record, MAX_LINE};
use crate::domain::time::lenient;
use crate::domain::vocab::{self, str_enum, LongText};
use crate::domain::{
    CustomValue, Directory, DocId, DomainError, FieldGroup, FieldId, Money, RecordKind, StageId, TeamId, Timestamp,
    UserId,
};

str_enum!(
    /// Where a deal stands overall (the stage says where in the pipeline).
    OpportunityStatus("status") {
        Active = "active",
        Won = "won",
        Lost = "lost",
        /// Closed without a win or a loss (cancelled, merged, duplicate).
        Closed = "closed",
    }
);

/// One entry of the stage history: which stage, since when, moved by whom.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct StageEntry {
    pub stage: StageId,
    pub entered_at: Timestamp,
    pub by: UserId,
}

/// One follow-up (call, visit, message) recorded on a deal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct FollowUp {
    #[key]
    #[autosurgeon(hydrate = "line::one")]
    pub id: String,
    pub at: Timestamp,
    pub by: UserId,
    #[autosurgeon(hydrate = "line::one")]
    pub note: String,
}

/// An opportunity's main document (`base` group).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct Opportunity {
    pub created_at: Timestamp,
    pub created_by: UserId,
    pub updated_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub owner: Option<UserId>,
    #[autosurgeon(missing = "Default::default")]
    pub team: Option<TeamId>,
    /// Human-readable number, e.g. `OPP-2026-0042` (see [`crate::domain::ops::number`]).
    #[autosurgeon(hydrate = "line::one")]
    pub number: String,
    #[autosurgeon(hydrate = "line::one")]
    pub name: String,
    #[autosurgeon(missing = "Default::default")]
    pub customer: Option<DocId>,
    /// Primary contact.
    #[autosurgeon(missing = "Default::default")]
    pub contact: Option<DocId>,
    /// The lead it was converted from.
    #[autosurgeon(missing = "Default::default")]
    pub lead: Option<DocId>,
    pub source: LeadSource,
    pub stage: StageId,
    #[autosurgeon(missing = "Default::default")]
    pub expected_close: Option<Timestamp>,
    #[autosurgeon(missing = "Default::default")]
    pub next_follow_up: Option<Timestamp>,
    pub status: OpportunityStatus,
    #[autosurgeon(missing = "Default::default", hydrate = "line::opt")]
    pub lost_reason: Option<String>,
    /// When it was won, lost or closed.
    #[autosurgeon(missing = "Default::default")]
    pub closed_at: Option<Timestamp>,
    #[autosurgeon(missing = "Default::default")]
    pub follow_ups: Vec<FollowUp>,
    #[autosurgeon(missing = "Default::default")]
    pub stage_history: Vec<StageEntry>,
    pub notes: LongText,
    #[autosurgeon(missing = "Default::default")]
    pub custom: BTreeMap<FieldId, CustomValue>,
    /// Set while the record is archived: hidden from lists and search, kept whole (see `ops::archive`).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<crate::domain::ops::Archived>,
}

/// A quote sent to the customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct Quote {
    #[key]
    #[autosurgeon(hydrate = "line::one")]
    pub id: String,
    #[autosurgeon(hydrate = "line::one")]
    pub title: String,
    pub amount: Money,
    pub at: Timestamp,
}

/// An opportunity's `money` companion.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct OpportunityMoney {
    #[autosurgeon(missing = "Default::default")]
    pub expected_amount: Option<Money>,
    /// Percent, 0-100.
    #[autosurgeon(hydrate = "lenient::u8")]
    pub win_probability: u8,
    #[autosurgeon(missing = "Default::default")]
    pub quotes: Vec<Quote>,
}

impl Opportunity {
    /// A new active opportunity in `stage` (which must exist in `dir`), with its first stage-history entry.
    pub fn new(
        name: &str,
        number: &str,
        stage: &StageId,
        owner: Option<UserId>,
        by: &UserId,
        now: Timestamp,
        dir: &Directory,
    ) -> Result<Opportunity, DomainError> {
        vocab::required_text("name", name, MAX_LINE)?;
        vocab::required_text("number", number, 40)?;
        if dir.stage(stage).is_none() {
            return Err(DomainError::UnknownStage(stage.to_string()));
        }
        Ok(Opportunity {
            created_at: now,
            created_by: by.clone(),
            updated_at: now,
            owner,
            team: None,
            number: number.to_string(),
            name: name.trim().to_string(),
            customer: None,
            contact: None,
            lead: None,
            source: LeadSource::Other,
            stage: stage.clone(),
            expected_close: None,
            next_follow_up: None,
            status: OpportunityStatus::Active,
            lost_reason: None,
            closed_at: None,
            follow_ups: Vec::new(),
            stage_history: vec![StageEntry { stage: stage.clone(), entered_at: now, by: by.clone() }],
            notes: LongText::default(),
            custom: BTreeMap::new(),
            archived: None,
        })
    }

    /// When the current stage was entered (the last history entry for it), else the creation time.
    pub fn stage_entered_at(&self) -> Timestamp {
        self.stage_history.iter().rev().find(|e| e.stage == self.stage).map_or(self.created_at, |e| e.entered_at)
    }
}

impl Record for Opportunity {
    const KIND: RecordKind = RecordKind::Opportunity;
    header_accessors!();
    fn customer(&self) -> Option<&DocId> {
        self.customer.as_ref()
    }
    fn validate_fields(&self, dir: &Directory) -> Result<(), DomainError> {
        validate_common(self.created_at, self.updated_at, &self.created_by)?;
        vocab::required_text("name", &self.name, MAX_LINE)?;
        vocab::required_text("number", &self.number, 40)?;
        let stage = dir.stage(&self.stage).ok_or_else(|| DomainError::UnknownStage(self.stage.to_string()))?;
        for (i, e) in self.stage_history.iter().enumerate() {
            if dir.stage(&e.stage).is_none() {
                return Err(DomainError::invalid(
                    format!("stage_history[{i}].stage"),
                    format!("unknown stage {:?}", e.stage.as_str()),
                ));
            }
        }
        if let Some(close) = self.expected_close {
            if close.date() < self.created_at.date() {
                return Err(DomainError::invalid("expected_close", "before the opportunity was created"));
            }
        }
        match self.status {
            OpportunityStatus::Lost if self.lost_reason.as_deref().is_none_or(|r| r.trim().is_empty()) => {
                return Err(DomainError::invalid("lost_reason", "a lost deal needs a reason"));
            }
            OpportunityStatus::Won if !stage.won => {
                return Err(DomainError::invalid("stage", "a won deal is in the won stage"));
            }
            OpportunityStatus::Won if self.expected_close.is_none() => {
                return Err(DomainError::invalid("expected_close", "a won deal needs a close date"));
            }
            OpportunityStatus::Active if stage.won => {
                return Err(DomainError::invalid("status", "a deal in the won stage is won"));
            }
            _ => {}
        }
        if let Some(r) = &self.lost_reason {
            vocab::max_text("lost_reason", r, 500)?;
        }
        if self.status != OpportunityStatus::Active && self.closed_at.is_none() {
            return Err(DomainError::invalid("closed_at", "a closed deal has a closing time"));
        }
        if let Some(c) = self.closed_at {
            if c < self.created_at {
                return Err(DomainError::invalid("closed_at", "before the opportunity was created"));
            }
        }
        for (i, f) in self.follow_ups.iter().enumerate() {
            vocab::max_text(&format!("follow_ups[{i}].note"), &f.note, 2000)?;
        }
        Ok(())
    }
}

impl Companion for OpportunityMoney {
    const KIND: RecordKind = RecordKind::Opportunity;
    const GROUP: FieldGroup = FieldGroup::Money;
    fn validate(&self) -> Result<(), DomainError> {
        if let Some(m) = &self.expected_amount {
            m.validate("expected_amount")?;
        }
        if self.win_probability > 100 {
            return Err(DomainError::invalid(
                "win_probability",
                format!("{} is not within 0-100", self.win_probability),
            ));
        }
        for (i, q) in self.quotes.iter().enumerate() {
            q.amount.validate(&format!("quotes[{i}].amount"))?;
            vocab::max_text(&format!("quotes[{i}].title"), &q.title, MAX_LINE)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opp() -> (Opportunity, Directory) {
        let dir = Directory::new();
        let o = Opportunity::new(
            "Big deal",
            "OPP-2026-0001",
            &StageId::new("initial"),
            None,
            &UserId::new("rep1"),
            Timestamp(1000),
            &dir,
        )
        .unwrap();
        (o, dir)
    }

    #[test]
    fn new_validates_stage_and_records_history() {
        let dir = Directory::new();
        let e = Opportunity::new("x", "OPP-1", &StageId::new("nope"), None, &UserId::new("a"), Timestamp(0), &dir);
        assert_eq!(e.unwrap_err(), DomainError::UnknownStage("nope".into()));
        let (o, dir) = opp();
        o.validate(&dir).unwrap();
        assert_eq!(o.stage_history.len(), 1);
        assert_eq!(o.stage_entered_at(), Timestamp(1000));
    }

    #[test]
    fn validation_refuses_inconsistent_states() {
        let (mut o, dir) = opp();
        o.expected_close = Some(Timestamp(1000).plus_days(-2));
        assert!(o.validate(&dir).unwrap_err().to_string().starts_with("expected_close:"));
        o.expected_close = None;
        o.status = OpportunityStatus::Lost;
        o.closed_at = Some(Timestamp(2000));
        assert!(o.validate(&dir).unwrap_err().to_string().starts_with("lost_reason:"));
        o.lost_reason = Some("price".into());
        o.validate(&dir).unwrap();
        o.status = OpportunityStatus::Won;
        assert!(o.validate(&dir).unwrap_err().to_string().starts_with("stage:"));
        o.stage = StageId::new("won");
        assert_eq!(o.validate(&dir).unwrap_err().to_string(), "expected_close: a won deal needs a close date");
        o.expected_close = Some(Timestamp(5000));
        o.validate(&dir).unwrap();
        o.status = OpportunityStatus::Active;
        assert!(o.validate(&dir).unwrap_err().to_string().starts_with("status:"));
        o.stage = StageId::new("gone");
        assert_eq!(o.validate(&dir).unwrap_err(), DomainError::UnknownStage("gone".into()));
    }

    #[test]
    fn money_refuses_negative_amounts_and_bad_probability() {
        let mut m = OpportunityMoney {
            expected_amount: Some(Money { amount_minor: -1, currency: "CNY".into() }),
            ..Default::default()
        };
        assert_eq!(m.validate().unwrap_err().to_string(), "expected_amount.amount_minor: must not be negative");
        m.expected_amount = None;
        m.win_probability = 120;
        assert!(m.validate().unwrap_err().to_string().starts_with("win_probability:"));
    }
}
