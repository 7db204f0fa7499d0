//! The kinds of record the CRM keeps.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::DomainError;

/// A kind of record. Each record is one main Automerge document plus its companions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Hydrate, Reconcile)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Lead,
    Opportunity,
    Customer,
    Contact,
    Activity,
}

impl RecordKind {
    pub const ALL: [RecordKind; 5] =
        [RecordKind::Lead, RecordKind::Opportunity, RecordKind::Customer, RecordKind::Contact, RecordKind::Activity];

    /// The `kind` value stored in a main document, and the REST path segment's singular.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Lead => "lead",
            RecordKind::Opportunity => "opportunity",
            RecordKind::Customer => "customer",
            RecordKind::Contact => "contact",
            RecordKind::Activity => "activity",
        }
    }

    /// The REST collection name (`/api/v1/{plural}`).
    pub fn plural(self) -> &'static str {
        match self {
            RecordKind::Lead => "leads",
            RecordKind::Opportunity => "opportunities",
            RecordKind::Customer => "customers",
            RecordKind::Contact => "contacts",
            RecordKind::Activity => "activities",
        }
    }

    pub fn parse(s: &str) -> Result<RecordKind, DomainError> {
        RecordKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.plural() == s)
            .ok_or_else(|| DomainError::invalid("kind", format!("unknown record kind {s:?}")))
    }
}
