//! The sync client: join, request, answer sync messages, record what the relay said.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use app::domain::DocId;
use app::protocol::{self, ErrorMessage, Join, Message, PeerId, PeerMetadata, SyncData, PROTOCOL_V1};
use automerge::sync::{State, SyncDoc};
use automerge::transaction::Transaction;
use automerge::Automerge;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest, Message as WsMessage};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// What went wrong on the client side.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("websocket: {0}")]
    Ws(#[from] tungstenite::Error),
    #[error("protocol: {0}")]
    Protocol(String),
    #[error("timed out waiting for {0}")]
    Timeout(String),
    #[error("connection closed{0}")]
    Closed(String),
}

/// One document as the client holds it.
pub struct ClientDoc {
    pub doc: Automerge,
    pub state: State,
}

/// The result of fetching a document.
#[derive(Debug, PartialEq, Eq)]
pub enum Fetched {
    Doc,
    Unavailable,
}

/// A connected client.
pub struct SyncClient {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub peer: PeerId,
    pub docs: HashMap<DocId, ClientDoc>,
    pub unavailable: HashSet<DocId>,
    pub errors: Vec<ErrorMessage>,
    pub ephemeral: Vec<protocol::Ephemeral>,
    /// Raw frames received, if `keep_frames`.
    pub frames: Vec<Vec<u8>>,
    pub keep_frames: bool,
    /// When each document last received a sync message (for latency measurements).
    pub last_sync_at: HashMap<DocId, Instant>,
    /// Sync messages received per document.
    pub syncs_received: HashMap<DocId, u64>,
    pub closed: Option<String>,
}

impl SyncClient {
    /// Connects to `url` (`ws://host:port/sync?token=...`) and completes the `join`/`peer` handshake.
    pub async fn connect(url: &str) -> Result<SyncClient, ClientError> {
        Self::connect_request(url.into_client_request()?).await
    }

    /// Connects with a prepared request (for `Authorization` or `Cookie` headers).
    pub async fn connect_request(req: tungstenite::handshake::client::Request) -> Result<SyncClient, ClientError> {
        let (ws, _) = tokio_tungstenite::connect_async(req).await?;
        let peer = PeerId::new(format!("test-{}", rand::random::<u64>()));
        let mut c = SyncClient {
            ws,
            peer: peer.clone(),
            docs: HashMap::new(),
            unavailable: HashSet::new(),
            errors: Vec::new(),
            ephemeral: Vec::new(),
            frames: Vec::new(),
            keep_frames: false,
            last_sync_at: HashMap::new(),
            syncs_received: HashMap::new(),
            closed: None,
        };
        c.send(&Message::Join(Join {
            sender_id: peer,
            supported_protocol_versions: vec![PROTOCOL_V1.into()],
            peer_metadata: PeerMetadata { storage_id: None, is_ephemeral: Some(true) },
        }))
        .await?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let msg = c.next_message(deadline).await?;
            match msg {
                Some(Message::Peer(p)) if p.selected_protocol_version == PROTOCOL_V1 => return Ok(c),
                Some(Message::Error(e)) => return Err(ClientError::Protocol(e.message)),
                Some(other) => return Err(ClientError::Protocol(format!("expected peer, got {}", other.type_name()))),
                None => continue,
            }
        }
    }

    /// Sends a protocol message.
    pub async fn send(&mut self, msg: &Message) -> Result<(), ClientError> {
        let frame = protocol::encode(msg).map_err(|e| ClientError::Protocol(e.to_string()))?;
        self.send_raw(frame).await
    }

    /// Sends raw bytes as one binary frame (for bad-input tests).
    pub async fn send_raw(&mut self, frame: Vec<u8>) -> Result<(), ClientError> {
        self.ws.send(WsMessage::Binary(frame.into())).await?;
        Ok(())
    }

    pub fn sync_data(&self, id: &DocId, data: Vec<u8>) -> SyncData {
        SyncData {
            document_id: id.clone(),
            sender_id: self.peer.clone(),
            target_id: PeerId::new("crm-relay"),
            data,
            doc_type: None,
        }
    }

    /// Asks for a document we do not have (an empty local copy, fresh sync state).
    pub async fn request(&mut self, id: &DocId) -> Result<(), ClientError> {
        let mut cd = ClientDoc { doc: Automerge::new(), state: State::new() };
        let msg = cd.doc.generate_sync_message(&mut cd.state).map(|m| m.encode()).unwrap_or_default();
        self.docs.insert(id.clone(), cd);
        self.unavailable.remove(id);
        let data = self.sync_data(id, msg);
        self.send(&Message::Request(data)).await
    }

    /// Offers a local document (new or changed) to the relay with a `sync` message, if there is anything
    /// to say.
    pub async fn sync_doc(&mut self, id: &DocId) -> Result<(), ClientError> {
        let Some(cd) = self.docs.get_mut(id) else { return Ok(()) };
        if let Some(m) = cd.doc.generate_sync_message(&mut cd.state) {
            let data = self.sync_data(id, m.encode());
            self.send(&Message::Sync(data)).await?;
        }
        Ok(())
    }

    /// Adds a locally made document (e.g. a new record) and offers it.
    pub async fn create(&mut self, id: &DocId, doc: Automerge) -> Result<(), ClientError> {
        self.docs.insert(id.clone(), ClientDoc { doc, state: State::new() });
        self.sync_doc(id).await
    }

    /// Makes one local change to a document we hold and sends it.
    pub async fn change(
        &mut self,
        id: &DocId,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<(), automerge::AutomergeError>,
    ) -> Result<(), ClientError> {
        let cd = self.docs.get_mut(id).ok_or_else(|| ClientError::Protocol(format!("no local doc {id}")))?;
        let mut tx = cd.doc.transaction();
        f(&mut tx).map_err(|e| ClientError::Protocol(e.to_string()))?;
        tx.commit();
        self.sync_doc(id).await
    }

    /// Reads the next message (cancel-safe: nothing is lost if the future is dropped before it resolves).
    /// `Ok(None)` for non-binary frames.
    pub async fn next_message(&mut self, deadline: Instant) -> Result<Option<Message>, ClientError> {
        let left = deadline.saturating_duration_since(Instant::now());
        let frame = match tokio::time::timeout(left, self.ws.next()).await {
            Err(_) => return Err(ClientError::Timeout("a frame".into())),
            Ok(None) => {
                self.closed.get_or_insert_with(String::new);
                return Err(ClientError::Closed(String::new()));
            }
            Ok(Some(Err(e))) => {
                self.closed = Some(e.to_string());
                return Err(ClientError::Ws(e));
            }
            Ok(Some(Ok(WsMessage::Binary(b)))) => b.to_vec(),
            Ok(Some(Ok(WsMessage::Close(c)))) => {
                let why = c.map(|c| format!(" ({} {})", u16::from(c.code), c.reason)).unwrap_or_default();
                self.closed = Some(why.clone());
                return Err(ClientError::Closed(why));
            }
            Ok(Some(Ok(_))) => return Ok(None),
        };
        if self.keep_frames {
            self.frames.push(frame.clone());
        }
        protocol::decode(&frame).map(Some).map_err(|e| ClientError::Protocol(e.to_string()))
    }

    /// Reads and handles one message (answering sync messages). `Ok(false)` on timeout.
    pub async fn pump_once(&mut self, deadline: Instant) -> Result<bool, ClientError> {
        let msg = match self.next_message(deadline).await {
            Ok(Some(m)) => m,
            Ok(None) => return Ok(true),
            Err(ClientError::Timeout(_)) => return Ok(false),
            Err(e) => return Err(e),
        };
        self.handle(msg).await?;
        Ok(true)
    }

    /// Handles one received message: applies and answers sync messages, records the rest.
    pub async fn handle(&mut self, msg: Message) -> Result<(), ClientError> {
        match msg {
            Message::Sync(s) | Message::Request(s) => {
                let id = s.document_id.clone();
                let cd = self
                    .docs
                    .entry(id.clone())
                    .or_insert_with(|| ClientDoc { doc: Automerge::new(), state: State::new() });
                let m = automerge::sync::Message::decode(&s.data).map_err(|e| ClientError::Protocol(e.to_string()))?;
                cd.doc.receive_sync_message(&mut cd.state, m).map_err(|e| ClientError::Protocol(e.to_string()))?;
                self.last_sync_at.insert(id.clone(), Instant::now());
                *self.syncs_received.entry(id.clone()).or_default() += 1;
                self.sync_doc(&id).await?;
            }
            Message::DocUnavailable(u) => {
                self.unavailable.insert(u.document_id);
            }
            Message::Error(e) => self.errors.push(e),
            Message::Ephemeral(e) => self.ephemeral.push(e),
            Message::Join(_) | Message::Peer(_) => {}
        }
        Ok(())
    }

    /// Handles messages until `done` holds, or fails after `timeout`.
    pub async fn pump_until(
        &mut self,
        timeout: Duration,
        what: &str,
        mut done: impl FnMut(&SyncClient) -> bool,
    ) -> Result<(), ClientError> {
        let deadline = Instant::now() + timeout;
        while !done(self) {
            if !self.pump_once(deadline).await? {
                return Err(ClientError::Timeout(what.to_string()));
            }
        }
        Ok(())
    }

    /// Like [`SyncClient::pump_until`], while also answering `other` (the writer whose change `self` waits
    /// for). A writer must keep answering: when the relay's Bloom filter gives a false positive for a new
    /// change (about 1 in 100), the writer first sends only its heads, and the change goes once asked for.
    pub async fn pump_until_with(
        &mut self,
        other: &mut SyncClient,
        timeout: Duration,
        what: &str,
        mut done: impl FnMut(&SyncClient) -> bool,
    ) -> Result<(), ClientError> {
        let deadline = Instant::now() + timeout;
        while !done(self) {
            // Only the reads race (`next_message` is cancel-safe); a message is handled outside the race.
            let (mine, msg) = tokio::select! {
                m = self.next_message(deadline) => (true, m),
                m = other.next_message(deadline) => (false, m),
            };
            match msg {
                Ok(Some(m)) if mine => self.handle(m).await?,
                Ok(Some(m)) => other.handle(m).await?,
                Ok(None) => {}
                Err(ClientError::Timeout(_)) => return Err(ClientError::Timeout(what.to_string())),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Handles whatever arrives for `quiet` (until nothing arrived for that long).
    pub async fn pump_for(&mut self, quiet: Duration) -> Result<(), ClientError> {
        while self.pump_once(Instant::now() + quiet).await? {}
        Ok(())
    }

    /// Requests a document and waits until it arrived (non-empty) or the relay said it is unavailable.
    pub async fn fetch(&mut self, id: &DocId, timeout: Duration) -> Result<Fetched, ClientError> {
        self.request(id).await?;
        let want = id.clone();
        self.pump_until(timeout, &format!("document {id}"), |c| {
            c.unavailable.contains(&want) || c.docs.get(&want).is_some_and(|d| !d.doc.get_heads().is_empty())
        })
        .await?;
        Ok(if self.unavailable.contains(id) { Fetched::Unavailable } else { Fetched::Doc })
    }

    /// Requests many documents at once (pipelined) and waits until each arrived or is unavailable.
    pub async fn fetch_many(&mut self, ids: &[DocId], timeout: Duration) -> Result<(), ClientError> {
        for (i, id) in ids.iter().enumerate() {
            self.request(id).await?;
            // Read what has arrived now and then, so neither side blocks on a full socket buffer.
            if i % 64 == 63 {
                while self.pump_once(Instant::now() + Duration::from_millis(1)).await? {}
            }
        }
        let mut pending: HashSet<DocId> = ids.iter().cloned().collect();
        let deadline = Instant::now() + timeout;
        while !pending.is_empty() {
            pending.retain(|id| {
                !self.unavailable.contains(id) && self.docs.get(id).is_none_or(|d| d.doc.get_heads().is_empty())
            });
            if pending.is_empty() {
                break;
            }
            if !self.pump_once(deadline).await? {
                return Err(ClientError::Timeout(format!("{} documents", pending.len())));
            }
        }
        Ok(())
    }

    pub fn doc(&self, id: &DocId) -> Option<&Automerge> {
        self.docs.get(id).map(|d| &d.doc)
    }

    /// The last refusal the relay sent for `id`, if any.
    pub fn refusal(&self, id: &DocId) -> Option<&ErrorMessage> {
        self.errors.iter().rev().find(|e| e.document_id.as_ref() == Some(id) && e.refused.is_some())
    }

    /// Closes the socket politely.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}
