//! Contact (联系人): a person at a customer.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::{line, validate_common, Companion, Record, MAX_LINE};
use crate::domain::vocab::{self, LongText};
use crate::domain::{
    CustomValue, Directory, DocId, DomainError, FieldGroup, FieldId, RecordKind, TeamId, Timestamp, UserId,
};

/// A contact's main document (`base` group).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct Contact {
    pub created_at: Timestamp,
    pub created_by: UserId,
    pub updated_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub owner: Option<UserId>,
    #[autosurgeon(missing = "Default::default")]
    pub team: Option<TeamId>,
    #[autosurgeon(hydrate = "line::one")]
    pub name: String,
    /// Title or position.
    #[autosurgeon(hydrate = "line::one")]
    pub title: String,
    #[autosurgeon(missing = "Default::default")]
    pub customer: Option<DocId>,
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

/// A contact's `pii` companion.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct ContactPii {
    #[autosurgeon(hydrate = "line::one")]
    pub phone: String,
    #[autosurgeon(hydrate = "line::one")]
    pub email: String,
}

impl Contact {
    pub fn new(
        name: &str,
        customer: Option<DocId>,
        owner: Option<UserId>,
        by: &UserId,
        now: Timestamp,
    ) -> Result<Contact, DomainError> {
        vocab::required_text("name", name, MAX_LINE)?;
        Ok(Contact {
            created_at: now,
            created_by: by.clone(),
            updated_at: now,
            owner,
            team: None,
            name: name.trim().to_string(),
            title: String::new(),
            customer,
            notes: LongText::default(),
            custom: BTreeMap::new(),
            archived: None,
            pii_erased: None,
        })
    }
}

impl Record for Contact {
    const KIND: RecordKind = RecordKind::Contact;
    header_accessors!();
    fn customer(&self) -> Option<&DocId> {
        self.customer.as_ref()
    }
    fn validate_fields(&self, _dir: &Directory) -> Result<(), DomainError> {
        validate_common(self.created_at, self.updated_at, &self.created_by)?;
        vocab::required_text("name", &self.name, MAX_LINE)?;
        vocab::max_text("title", &self.title, MAX_LINE)?;
        Ok(())
    }
}

impl Companion for ContactPii {
    const KIND: RecordKind = RecordKind::Contact;
    const GROUP: FieldGroup = FieldGroup::Pii;
    fn validate(&self) -> Result<(), DomainError> {
        vocab::phone("phone", &self.phone)?;
        vocab::email("email", &self.email)
    }
}
