//! Lead (线索): a possible customer, before qualification.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::{line, validate_common, Companion, Record, MAX_LINE};
use crate::domain::time::lenient;
use crate::domain::vocab::{self, str_enum, LongText};
use crate::domain::{
    CustomValue, Directory, DocId, DomainError, FieldGroup, FieldId, RecordKind, TeamId, Timestamp, UserId,
};

str_enum!(
    /// Where a lead (or an opportunity) came from.
    LeadSource("source") {
        Exhibition = "exhibition",
        Website = "website",
        Referral = "referral",
        Ads = "ads",
        ColdCall = "cold_call",
        Other = "other",
    }
);

str_enum!(
    /// A lead's progress.
    LeadStatus("status") {
        New = "new",
        Contacted = "contacted",
        Qualified = "qualified",
        Disqualified = "disqualified",
        Converted = "converted",
    }
);

/// A lead's main document (`base` group).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct Lead {
    pub created_at: Timestamp,
    pub created_by: UserId,
    pub updated_at: Timestamp,
    /// `None` = in the unassigned pool, which reps may claim.
    #[autosurgeon(missing = "Default::default")]
    pub owner: Option<UserId>,
    #[autosurgeon(missing = "Default::default")]
    pub team: Option<TeamId>,
    #[autosurgeon(hydrate = "line::one")]
    pub name: String,
    #[autosurgeon(hydrate = "line::one")]
    pub company: String,
    #[autosurgeon(hydrate = "line::one")]
    pub contact_name: String,
    pub source: LeadSource,
    pub status: LeadStatus,
    /// 0-100.
    #[autosurgeon(hydrate = "lenient::u8")]
    pub score: u8,
    /// The opportunity this lead was converted into.
    #[autosurgeon(missing = "Default::default")]
    pub opportunity: Option<DocId>,
    pub notes: LongText,
    #[autosurgeon(missing = "Default::default")]
    pub custom: BTreeMap<FieldId, CustomValue>,
    /// Set while the record is archived: hidden from lists and search, kept whole (see `ops::archive`).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<crate::domain::ops::Archived>,
    /// Set once an admin erased the `pii` companion; never changes after (see `ops::erase`).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pii_erased: Option<crate::domain::ops::PiiErased>,
}

/// A lead's `pii` companion: how to reach the person.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct LeadPii {
    #[autosurgeon(hydrate = "line::one")]
    pub phone: String,
    #[autosurgeon(hydrate = "line::one")]
    pub email: String,
}

impl Lead {
    /// A new lead (status `new`, score 0) created by `by` at `now`.
    pub fn new(name: &str, owner: Option<UserId>, by: &UserId, now: Timestamp) -> Result<Lead, DomainError> {
        vocab::required_text("name", name, MAX_LINE)?;
        Ok(Lead {
            created_at: now,
            created_by: by.clone(),
            updated_at: now,
            owner,
            team: None,
            name: name.trim().to_string(),
            company: String::new(),
            contact_name: String::new(),
            source: LeadSource::Other,
            status: LeadStatus::New,
            score: 0,
            opportunity: None,
            notes: LongText::default(),
            custom: BTreeMap::new(),
            archived: None,
            pii_erased: None,
        })
    }
}

impl Record for Lead {
    const KIND: RecordKind = RecordKind::Lead;
    header_accessors!();
    fn validate_fields(&self, _dir: &Directory) -> Result<(), DomainError> {
        validate_common(self.created_at, self.updated_at, &self.created_by)?;
        vocab::required_text("name", &self.name, MAX_LINE)?;
        vocab::max_text("company", &self.company, MAX_LINE)?;
        vocab::max_text("contact_name", &self.contact_name, MAX_LINE)?;
        if self.score > 100 {
            return Err(DomainError::invalid("score", format!("{} is not within 0-100", self.score)));
        }
        if self.status == LeadStatus::Converted && self.opportunity.is_none() {
            return Err(DomainError::invalid("opportunity", "a converted lead names its opportunity"));
        }
        Ok(())
    }
}

impl Companion for LeadPii {
    const KIND: RecordKind = RecordKind::Lead;
    const GROUP: FieldGroup = FieldGroup::Pii;
    fn validate(&self) -> Result<(), DomainError> {
        vocab::phone("phone", &self.phone)?;
        vocab::email("email", &self.email)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructor_and_validation_name_the_field() {
        let u = UserId::new("rep1");
        assert_eq!(Lead::new("  ", None, &u, Timestamp(0)).unwrap_err().to_string(), "name: must not be empty");
        let mut l = Lead::new("Acme", None, &u, Timestamp(5)).unwrap();
        let dir = Directory::new();
        l.validate(&dir).unwrap();
        l.score = 101;
        assert_eq!(l.validate(&dir).unwrap_err().to_string(), "score: 101 is not within 0-100");
        l.score = 50;
        l.updated_at = Timestamp(1);
        assert!(l.validate(&dir).unwrap_err().to_string().starts_with("updated_at:"));
        let pii = LeadPii { phone: "x".into(), email: String::new() };
        assert!(pii.validate().unwrap_err().to_string().starts_with("phone:"));
    }

    #[test]
    fn enums_are_snake_case_strings() {
        assert_eq!(LeadSource::parse("cold_call").unwrap(), LeadSource::ColdCall);
        assert_eq!(serde_json::to_value(LeadStatus::Disqualified).unwrap(), "disqualified");
        assert!(LeadSource::parse("tv").unwrap_err().to_string().starts_with("source:"));
    }
}
