//! The domain's error type: every variant names the field and the reason.

use thiserror::Error;

/// An error from a domain constructor or operation. Nothing in the domain panics on user input.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DomainError {
    /// A value failed validation (`field` names where, `reason` says why).
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// A stage id that the directory does not define.
    #[error("stage: unknown stage {0:?}")]
    UnknownStage(String),
    /// An operation that the record's current state does not allow (e.g. winning a lost deal).
    #[error("{0}")]
    NotAllowed(String),
    /// The user may not make this change (`path` is the document path, `reason` is for people).
    #[error("refused at {path}: {reason}")]
    Refused { path: String, reason: String },
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        DomainError::Invalid { field: field.into(), reason: reason.into() }
    }

    pub fn refused(path: impl Into<String>, reason: impl Into<String>) -> Self {
        DomainError::Refused { path: path.into(), reason: reason.into() }
    }
}
