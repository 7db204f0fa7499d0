//! Record structs, one file per kind. A record is a main document (its `base` fields, the struct named
//! after the kind) plus companion documents for restricted groups (`LeadPii`, `OpportunityMoney`,
//! `CustomerMoney`, `CustomerService`, `ContactPii`).
//!
//! Every main record carries `created_at`, `created_by`, `updated_at`, `owner` (for customers: the
//! maintainer; `None` = the lead pool), `team`, `notes` (Automerge Text) and `custom` (custom field values).
//! The document keys `kind` and `schema` are written by [`super::docs`], not held here.

/// The header accessors every main record struct has (fields `created_at`, `created_by`, `owner`, `team`, `custom`),
/// written once for the five `impl Record` blocks.
macro_rules! header_accessors {
    () => {
        fn created_at(&self) -> $crate::domain::Timestamp {
            self.created_at
        }
        fn created_by(&self) -> &$crate::domain::UserId {
            &self.created_by
        }
        fn updated_at(&self) -> $crate::domain::Timestamp {
            self.updated_at
        }
        fn owner(&self) -> Option<&$crate::domain::UserId> {
            self.owner.as_ref()
        }
        fn team(&self) -> Option<&$crate::domain::TeamId> {
            self.team.as_ref()
        }
        fn custom(&self) -> &std::collections::BTreeMap<$crate::domain::FieldId, $crate::domain::CustomValue> {
            &self.custom
        }
        fn archived(&self) -> Option<&$crate::domain::ops::Archived> {
            self.archived.as_ref()
        }
        fn set_archived(&mut self, archived: Option<$crate::domain::ops::Archived>) {
            self.archived = archived;
        }
    };
}

mod activity;
mod contact;
mod customer;
mod lead;
pub(crate) mod line;
mod opportunity;

pub use activity::{Activity, ActivityKind, CaseStatus};
pub use contact::{Contact, ContactPii};
pub use customer::{
    CooperationEntry, Customer, CustomerEvent, CustomerMoney, CustomerService, CustomerTier, EntryKind, ServiceEvent,
    ServiceEventKind,
};
pub use lead::{Lead, LeadPii, LeadSource, LeadStatus};
pub use opportunity::{FollowUp, Opportunity, OpportunityMoney, OpportunityStatus, Quote, StageEntry};

use autosurgeon::{Hydrate, Reconcile};
use serde::{de::DeserializeOwned, Serialize};
use std::collections::BTreeMap;
use std::fmt::Debug;

use super::{validate_custom, validate_custom_change, CustomValue, Directory, FieldId, RecordMeta};
use super::{DocId, DomainError, FieldGroup, RecordKind, TeamId, Timestamp, UserId};

/// The longest single-line value (names, titles, subjects).
pub const MAX_LINE: usize = 200;

/// A main record document's struct.
pub trait Record: Hydrate + Reconcile + Clone + Debug + PartialEq + Serialize + DeserializeOwned {
    const KIND: RecordKind;
    fn created_at(&self) -> Timestamp;
    fn created_by(&self) -> &UserId;
    /// When the record was last written (the writer's clock; its changes are stamped with it).
    fn updated_at(&self) -> Timestamp;
    fn owner(&self) -> Option<&UserId>;
    fn team(&self) -> Option<&TeamId>;
    /// The customer this record belongs to (opportunities, contacts, activities), whose maintainer
    /// counts as an owner for visibility.
    fn customer(&self) -> Option<&DocId> {
        None
    }
    /// The custom field values.
    fn custom(&self) -> &BTreeMap<FieldId, CustomValue>;
    /// When and by whom the record was archived (`None`: not archived).
    fn archived(&self) -> Option<&super::ops::Archived>;
    /// Sets or clears the archive mark; use [`super::ops::archive`] / [`super::ops::restore`].
    fn set_archived(&mut self, archived: Option<super::ops::Archived>);
    /// Checks every field but the custom ones; stage ids against the directory.
    fn validate_fields(&self, dir: &Directory) -> Result<(), DomainError>;
    /// Checks a whole new record: every field, and every custom value against its definition (required ones
    /// present).
    fn validate(&self, dir: &Directory) -> Result<(), DomainError> {
        self.validate_fields(dir)?;
        validate_custom(Self::KIND, &dir.custom_fields, self.custom())
    }
    /// Checks a change from `before`: every field, and the custom values the change set or altered. Values
    /// kept as they were stay valid after their field is removed, and a field made required after the record
    /// was created does not block other edits (but a required value may not be cleared).
    fn validate_change(&self, before: &Self, dir: &Directory) -> Result<(), DomainError> {
        self.validate_fields(dir)?;
        validate_custom_change(Self::KIND, &dir.custom_fields, before.custom(), self.custom())
    }

    /// The policy's view of this record, given the linked customer's maintainer (if any).
    fn meta(&self, customer_owner: Option<UserId>) -> RecordMeta {
        RecordMeta { kind: Self::KIND, owner: self.owner().cloned(), customer_owner, linked: Vec::new() }
    }
}

/// A companion document's struct (one restricted field group of one record kind).
pub trait Companion: Hydrate + Reconcile + Clone + Debug + Default + PartialEq + Serialize + DeserializeOwned {
    const KIND: RecordKind;
    const GROUP: FieldGroup;
    fn validate(&self) -> Result<(), DomainError>;
}

/// Shared checks of the fields every main record has.
pub(crate) fn validate_common(
    created_at: Timestamp,
    updated_at: Timestamp,
    created_by: &UserId,
) -> Result<(), DomainError> {
    if created_at.millis() < 0 {
        return Err(DomainError::invalid("created_at", "before 1970"));
    }
    if updated_at < created_at {
        return Err(DomainError::invalid("updated_at", "before created_at"));
    }
    if created_by.as_str().trim().is_empty() {
        return Err(DomainError::invalid("created_by", "must not be empty"));
    }
    Ok(())
}
