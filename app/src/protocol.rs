//! automerge-repo sync protocol v1 messages and their CBOR frames, shared by the relay and the browser client.
//!
//! One WebSocket binary frame carries one CBOR map with a `type` field. The wire format is the one of
//! `@automerge/automerge-repo` 2.x and its websocket adapter (cbor-x with `tagUint8Array: false`): field names
//! are camelCase, `data` is a CBOR byte string, ids are text. A stock automerge-repo peer therefore speaks to
//! our relay unchanged.
//!
//! # Layout
//! - `protocol.rs`: the [`Message`] enum, its variants' structs, [`encode`] and [`decode`].
//! - `protocol/bytes.rs`: serde helper that writes `Vec<u8>` as a CBOR byte string (not an array).
//!
//! Our one extension: an `error` message may carry `documentId` and `refused: {reason, path}` when the relay
//! refused a change; stock peers ignore the extra fields.

mod bytes;

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::domain::DocId;

/// The only protocol version we speak.
pub const PROTOCOL_V1: &str = "1";

/// A peer's id in the protocol. Not proof of identity: the session is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PeerId(pub String);

impl PeerId {
    pub fn new(s: impl Into<String>) -> Self {
        PeerId(s.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a peer says about itself on `join`/`peer` (automerge-repo `PeerMetadata`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_ephemeral: Option<bool>,
}

/// Client → server: the first frame on a socket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Join {
    pub sender_id: PeerId,
    #[serde(default)]
    pub supported_protocol_versions: Vec<String>,
    #[serde(default)]
    pub peer_metadata: PeerMetadata,
}

/// Server → client: the answer to `join`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Peer {
    pub sender_id: PeerId,
    pub target_id: PeerId,
    pub selected_protocol_version: String,
    #[serde(default)]
    pub peer_metadata: PeerMetadata,
}

/// `request` (the first sync message for a document) and `sync`: `data` is an Automerge sync message.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncData {
    pub document_id: DocId,
    pub sender_id: PeerId,
    pub target_id: PeerId,
    #[serde(with = "bytes")]
    pub data: Vec<u8>,
    /// automerge-repo 2.x sends no type; older peers may. Kept for round-tripping only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_type: Option<String>,
}

impl fmt::Debug for SyncData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncData")
            .field("document_id", &self.document_id)
            .field("sender_id", &self.sender_id)
            .field("target_id", &self.target_id)
            .field("data_len", &self.data.len())
            .finish()
    }
}

/// The document does not exist or may not be shared with this peer (the two are indistinguishable).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocUnavailable {
    pub document_id: DocId,
    pub sender_id: PeerId,
    pub target_id: PeerId,
}

/// Presence and other never-stored data about a document.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ephemeral {
    pub sender_id: PeerId,
    pub target_id: PeerId,
    pub document_id: DocId,
    pub session_id: String,
    pub count: u64,
    #[serde(with = "bytes")]
    pub data: Vec<u8>,
}

impl fmt::Debug for Ephemeral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ephemeral")
            .field("document_id", &self.document_id)
            .field("sender_id", &self.sender_id)
            .field("session_id", &self.session_id)
            .field("count", &self.count)
            .field("data_len", &self.data.len())
            .finish()
    }
}

/// Why a change was refused: `path` is the document path it touched (e.g. `owner`; may be empty), `reason`
/// is for people. The relay's write gate decides it and sends it as it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("refused at {path:?}: {reason}")]
pub struct Refused {
    pub reason: String,
    pub path: String,
}

impl Refused {
    pub fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Refused { path: path.into(), reason: reason.into() }
    }
}

impl From<crate::domain::DomainError> for Refused {
    fn from(e: crate::domain::DomainError) -> Self {
        use crate::domain::DomainError;
        match e {
            DomainError::Invalid { field, reason } => Refused::new(field.clone(), format!("{field}: {reason}")),
            DomainError::UnknownStage(s) => Refused::new("stage", format!("unknown stage {s:?}")),
            DomainError::NotAllowed(m) => Refused::new("", m),
            DomainError::Refused { path, reason } => Refused::new(path, reason),
        }
    }
}

/// An error. Stock peers log `message`; our client also reads `documentId` + `refused` to roll back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorMessage {
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_id: Option<PeerId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<PeerId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_id: Option<DocId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<Refused>,
}

/// One protocol frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    Join(Join),
    Peer(Peer),
    Request(SyncData),
    Sync(SyncData),
    DocUnavailable(DocUnavailable),
    Ephemeral(Ephemeral),
    Error(ErrorMessage),
}

impl Message {
    /// The wire `type` of this message.
    pub fn type_name(&self) -> &'static str {
        match self {
            Message::Join(_) => "join",
            Message::Peer(_) => "peer",
            Message::Request(_) => "request",
            Message::Sync(_) => "sync",
            Message::DocUnavailable(_) => "doc-unavailable",
            Message::Ephemeral(_) => "ephemeral",
            Message::Error(_) => "error",
        }
    }

    /// The document this message is about, if any.
    pub fn document_id(&self) -> Option<&DocId> {
        match self {
            Message::Request(m) | Message::Sync(m) => Some(&m.document_id),
            Message::DocUnavailable(m) => Some(&m.document_id),
            Message::Ephemeral(m) => Some(&m.document_id),
            Message::Error(m) => m.document_id.as_ref(),
            Message::Join(_) | Message::Peer(_) => None,
        }
    }
}

/// Why a frame could not be decoded. Decoding never panics, whatever the input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("frame is not valid CBOR: {0}")]
    Cbor(String),
    #[error("frame is not a CBOR map")]
    NotAMap,
    #[error("frame has no text field `type`")]
    MissingType,
    /// A well-formed message of a type we do not handle (e.g. `remote-heads-changed`): peers may ignore it.
    #[error("unsupported message type {0:?}")]
    UnknownType(String),
    #[error("bad {kind} message: {reason}")]
    Invalid { kind: String, reason: String },
}

/// Why a message could not be encoded (only for values CBOR cannot represent; not expected in practice).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot encode message: {0}")]
pub struct EncodeError(String);

/// Encodes one message as a CBOR map (the payload of one binary WebSocket frame), `type` first and with a
/// definite length, as cbor-x writes it.
pub fn encode(msg: &Message) -> Result<Vec<u8>, EncodeError> {
    fn go<T: Serialize>(kind: &'static str, body: &T) -> Result<Vec<u8>, EncodeError> {
        let err = |e: &dyn fmt::Display| EncodeError(e.to_string());
        let ciborium::Value::Map(fields) = ciborium::Value::serialized(body).map_err(|e| err(&e))? else {
            return Err(EncodeError(format!("{kind} body is not a map")));
        };
        let mut entries = Vec::with_capacity(fields.len() + 1);
        entries.push((ciborium::Value::Text("type".into()), ciborium::Value::Text(kind.into())));
        entries.extend(fields);
        let mut out = Vec::new();
        ciborium::into_writer(&ciborium::Value::Map(entries), &mut out).map_err(|e| err(&e))?;
        Ok(out)
    }
    let kind = msg.type_name();
    match msg {
        Message::Join(m) => go(kind, m),
        Message::Peer(m) => go(kind, m),
        Message::Request(m) | Message::Sync(m) => go(kind, m),
        Message::DocUnavailable(m) => go(kind, m),
        Message::Ephemeral(m) => go(kind, m),
        Message::Error(m) => go(kind, m),
    }
}

/// Decodes one frame. Unknown fields are ignored; unknown types give [`DecodeError::UnknownType`].
pub fn decode(frame: &[u8]) -> Result<Message, DecodeError> {
    let value: ciborium::Value = ciborium::from_reader(frame).map_err(|e| DecodeError::Cbor(e.to_string()))?;
    let ciborium::Value::Map(entries) = &value else { return Err(DecodeError::NotAMap) };
    let kind = entries
        .iter()
        .find_map(|(k, v)| match (k, v) {
            (ciborium::Value::Text(k), ciborium::Value::Text(v)) if k == "type" => Some(v.clone()),
            _ => None,
        })
        .ok_or(DecodeError::MissingType)?;
    fn body<T: serde::de::DeserializeOwned>(kind: &str, value: &ciborium::Value) -> Result<T, DecodeError> {
        value.deserialized().map_err(|e| DecodeError::Invalid { kind: kind.to_string(), reason: e.to_string() })
    }
    Ok(match kind.as_str() {
        "join" => Message::Join(body(&kind, &value)?),
        "peer" => Message::Peer(body(&kind, &value)?),
        "request" => Message::Request(body(&kind, &value)?),
        "sync" => Message::Sync(body(&kind, &value)?),
        "doc-unavailable" => Message::DocUnavailable(body(&kind, &value)?),
        "ephemeral" => Message::Ephemeral(body(&kind, &value)?),
        "error" => Message::Error(body(&kind, &value)?),
        _ => return Err(DecodeError::UnknownType(kind)),
    })
}

#[cfg(test)]
mod tests;
