//! Presence ("who has this record open, who is typing where") as the CBOR payload of `ephemeral` frames.
//! Never stored.

use serde::{Deserialize, Serialize};

/// What one client says about itself on one document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresencePayload {
    pub user: String,
    pub name: String,
    /// The field being edited, if any.
    #[serde(default)]
    pub field: Option<String>,
    /// False when the client closes the record.
    pub open: bool,
}

impl PresencePayload {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        // Writing plain strings and bools into a Vec cannot fail.
        let _ = ciborium::into_writer(self, &mut out);
        out
    }

    /// Decodes a payload; `None` for anything else (other clients may send other ephemeral data).
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        ciborium::from_reader(bytes).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let p =
            PresencePayload { user: "rep1".into(), name: "Rep One".into(), field: Some("notes".into()), open: true };
        assert_eq!(PresencePayload::decode(&p.encode()), Some(p));
        assert_eq!(PresencePayload::decode(b"\xff\x00"), None);
    }
}
