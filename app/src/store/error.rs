//! The store's error type.

use crate::domain::{DocId, DomainError};

/// Everything that can go wrong in the local store, the session or the sync client.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    /// IndexedDB (or the in-memory storage) failed.
    #[error("local storage failed: {0}")]
    Storage(String),
    /// A stored or received document could not be read.
    #[error("document {doc} is damaged: {message}")]
    Corrupt { doc: DocId, message: String },
    /// The document or record is not on this device.
    #[error("{0} is not on this device")]
    NotFound(DocId),
    /// The domain refused the operation (bad input, invalid transition).
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The relay refused the sign-in.
    #[error("sign-in failed ({status}): {message}")]
    Login { status: u16, code: String, message: String },
    /// The network is unreachable.
    #[error("offline: {0}")]
    Offline(String),
    /// Nobody is signed in.
    #[error("not signed in")]
    NotSignedIn,
}

impl StoreError {
    pub(crate) fn storage(e: impl std::fmt::Display) -> Self {
        StoreError::Storage(e.to_string())
    }

    pub(crate) fn corrupt(doc: &DocId, e: impl std::fmt::Display) -> Self {
        StoreError::Corrupt { doc: doc.clone(), message: e.to_string() }
    }
}
