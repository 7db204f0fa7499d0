//! Identifier newtypes. A record's id is its main Automerge document's id in automerge-repo's
//! `DocumentId` form: bs58check over 16 random bytes.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

use super::DomainError;

/// An Automerge document id (automerge-repo `DocumentId`: bs58check of 16 bytes).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DocId {
    bytes: [u8; 16],
    text: String,
}

impl DocId {
    /// Builds an id from 16 bytes (random ones come from the caller: the domain does no I/O).
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        let text = bs58::encode(bytes).with_check().into_string();
        DocId { bytes, text }
    }

    /// Parses the bs58check text form, rejecting anything that is not exactly 16 bytes with a valid checksum.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let bad = |why: &str| DomainError::invalid("id", format!("{text:?} is not a document id: {why}"));
        let raw = bs58::decode(text).with_check(None).into_vec().map_err(|e| bad(&e.to_string()))?;
        let bytes: [u8; 16] = raw.try_into().map_err(|_| bad("not 16 bytes"))?;
        // Base58 text and bytes map one to one, so the text is kept as given (no second encode + checksum:
        // ids are parsed by the ten thousand at a cold start).
        Ok(DocId { bytes, text: text.to_string() })
    }

    pub fn bytes(&self) -> &[u8; 16] {
        &self.bytes
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The id of this record's companion document for `group`: the first 16 bytes of SHA-256 over the
    /// record's id bytes and the group name. Anyone who knows a record knows where its companions would be;
    /// the relay still decides whether they may have them.
    pub fn companion(&self, group: super::FieldGroup) -> DocId {
        let mut h = Sha256::new();
        h.update(self.bytes);
        h.update(group.as_str().as_bytes());
        let digest = h.finalize();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        DocId::from_bytes(bytes)
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocId({})", self.text)
    }
}

impl TryFrom<String> for DocId {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        DocId::parse(&s)
    }
}

impl From<DocId> for String {
    fn from(id: DocId) -> String {
        id.text
    }
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            autosurgeon::Reconcile,
        )]
        #[serde(transparent)]
        pub struct $name(pub String);

        // By hand rather than derived: the derived newtype impl does not implement `hydrate_string`,
        // so `Option<$name>` (which dispatches on the scalar) failed to hydrate.
        impl autosurgeon::Hydrate for $name {
            fn hydrate_string(s: &str) -> Result<Self, autosurgeon::HydrateError> {
                Ok($name(s.to_string()))
            }
            // A stock automerge-js client writes plain strings as Text (see `records::line`).
            fn hydrate_text<D: autosurgeon::ReadDoc>(
                doc: &D,
                obj: &automerge::ObjId,
            ) -> Result<Self, autosurgeon::HydrateError> {
                Ok($name(crate::domain::records::line::text_value(doc, obj)?))
            }
        }

        impl $name {
            pub fn new(s: impl Into<String>) -> Self {
                $name(s.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    /// A user's stable id (their login name in the demo company).
    UserId
);
string_id!(
    /// A team's id.
    TeamId
);
string_id!(
    /// A stage's id (stages are data: admins rename and reorder them).
    StageId
);
string_id!(
    /// A custom field definition's id.
    FieldId
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::FieldGroup;

    #[test]
    fn doc_id_round_trips_through_text() {
        let id = DocId::from_bytes([7; 16]);
        assert_eq!(DocId::parse(id.as_str()).unwrap(), id);
        // The parsed text is kept as given: it must be the canonical encoding, leading zero bytes included.
        for bytes in [[0u8; 16], [255; 16], [0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], *b"0123456789abcdef"]
        {
            let id = DocId::from_bytes(bytes);
            let back = DocId::parse(id.as_str()).unwrap();
            assert_eq!((back.bytes(), back.as_str()), (id.bytes(), id.as_str()));
        }
    }

    #[test]
    fn doc_id_rejects_bad_checksum_and_length() {
        let id = DocId::from_bytes([7; 16]);
        let mut s = id.as_str().to_string();
        let last = s.pop().unwrap();
        s.push(if last == '2' { '3' } else { '2' });
        assert!(DocId::parse(&s).is_err());
        let short = bs58::encode([1u8; 8]).with_check().into_string();
        assert!(DocId::parse(&short).is_err());
        assert!(DocId::parse("").is_err());
        assert!(DocId::parse("not base58 0OIl").is_err());
    }

    #[test]
    fn companions_are_distinct_and_deterministic() {
        let id = DocId::from_bytes([1; 16]);
        let m = id.companion(FieldGroup::Money);
        assert_eq!(m, id.companion(FieldGroup::Money));
        assert_ne!(m, id.companion(FieldGroup::Pii));
        assert_ne!(m, id);
    }
}
