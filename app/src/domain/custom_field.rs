//! Custom fields: admins define extra fields per record kind; records carry values that follow them.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::{FieldId, RecordKind};

/// The type of a custom field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub enum CustomFieldType {
    Text,
    Number,
    Date,
    /// One of the listed options.
    Choice { options: Vec<String> },
    Money,
}

/// An admin-defined extra field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct CustomFieldDef {
    #[key]
    pub id: FieldId,
    pub kind: RecordKind,
    pub label: String,
    pub field_type: CustomFieldType,
    pub required: bool,
}
