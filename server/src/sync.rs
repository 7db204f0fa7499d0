//! The sync hub: role-gated automerge-repo sync over WebSocket at `/sync`.
//!
//! # Layout
//! - `sync.rs`: [`Hub`] (documents, connections, fan-out) and its API for the rest of the relay.
//! - `sync/catalog.rs`: every document's metadata and the directory; the read gate (`readable`).
//! - `sync/gate.rs`: the write gate (`check_write`): may this user turn `before` into `after`?
//! - `sync/slot.rs`: one document in memory with a sync state per connection that has it open.
//! - `sync/index.rs`: the per-user index documents and the directory document, written by the relay.
//! - `sync/conn.rs`: one WebSocket connection: handshake, frame limits, bounded outbox.
//! - `sync/local.rs`: writes made on the relay for a user (REST): the same gate, store and fan-out.
//! - `sync/route.rs`: `GET /sync`: authenticate (`AuthUser`), upgrade, serve.
//!
//! What must stay true: nothing is sent to a connection that its user may not read at that moment;
//! a change is stored before it is acknowledged or forwarded; a refused change is neither.

mod catalog;
mod conn;
mod gate;
mod index;
mod local;
mod route;
mod slot;

pub use catalog::IndexEntry;
pub use conn::serve_socket;
pub use gate::Refusal;
pub use local::LocalWriteError;
pub use route::router;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use app::domain::{Directory, DocId, DocKind, RecordKind, RecordMeta, UserId};
use app::protocol::{self, DocUnavailable, Ephemeral, ErrorMessage, Message, PeerId, SyncData};
use automerge::sync::SyncDoc;
use automerge::Automerge;
use tokio::sync::{mpsc, watch, OwnedMutexGuard};

use crate::docstore::{DocMeta, DocStore, StoreError};
use catalog::Catalog;
use slot::{PeerDoc, Slot};

/// A connection's id inside the hub.
pub type ConnId = u64;

/// Limits that keep one client from taking the relay down.
#[derive(Clone, Debug)]
pub struct HubConfig {
    /// Largest incoming frame (bytes); larger ones close the socket (1009).
    pub max_frame_bytes: usize,
    /// Documents one connection may have open.
    pub max_docs_per_conn: usize,
    /// Open sockets per user.
    pub max_conns_per_user: usize,
    /// Frames queued for one connection; a client that falls further behind is disconnected.
    pub outbox_frames: usize,
    /// Stored chunks after which a document is compacted into a snapshot (in the background).
    pub compact_after: usize,
    /// Loaded documents kept in memory before idle ones are evicted.
    pub max_loaded_docs: usize,
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            max_frame_bytes: 8 * 1024 * 1024,
            max_docs_per_conn: 100_000,
            max_conns_per_user: 16,
            outbox_frames: 4096,
            compact_after: 32,
            max_loaded_docs: 2_000,
        }
    }
}

/// An error of the hub's API (never of user input: that is answered on the socket).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("document {id}: {reason}")]
    Invalid { id: String, reason: String },
    #[error("background task failed: {0}")]
    Task(String),
}

/// A frame for a connection, or the order to close it.
pub(crate) enum Outgoing {
    Frame(Vec<u8>),
}

/// Tells a connection to close with a code and a reason.
pub(crate) type KillSignal = watch::Receiver<Option<(u16, String)>>;

struct ConnHandle {
    user: UserId,
    peer: PeerId,
    tx: mpsc::Sender<Outgoing>,
    kill: watch::Sender<Option<(u16, String)>>,
}

struct Inner {
    store: Arc<dyn DocStore>,
    cfg: HubConfig,
    peer_id: PeerId,
    directory_id: DocId,
    cat: RwLock<Catalog>,
    slots: Mutex<HashMap<DocId, Arc<tokio::sync::Mutex<Slot>>>>,
    loaded: AtomicUsize,
    conns: Mutex<HashMap<ConnId, ConnHandle>>,
    next_conn: AtomicU64,
    shutdown: watch::Sender<bool>,
    /// Serialises index updates so two changes never compute diffs against the same stale index.
    index_lock: tokio::sync::Mutex<()>,
    /// Told about every refused change (the audit log).
    refusal_hook: OnceLock<RefusalHook>,
}

/// Called with every refused change: who, which document, why.
pub type RefusalHook = Box<dyn Fn(&UserId, &DocId, &Refusal) + Send + Sync>;

/// The sync hub. Cheap to clone.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A fixed document id derived from a name (the directory, each user's index).
fn named_id(name: &str) -> DocId {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("crm-relay:{name}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    DocId::from_bytes(bytes)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, SyncError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| SyncError::Task(e.to_string()))
}

impl Hub {
    /// Opens the hub over `store`: reads every document's metadata, creates the directory document if the
    /// store has none, and brings every user's index document up to date.
    pub async fn open(store: Arc<dyn DocStore>, cfg: HubConfig) -> Result<Hub, SyncError> {
        let s = store.clone();
        let metas = blocking(move || s.list()).await??;
        let mut cat = Catalog::default();
        for (id, meta) in metas {
            cat.set_meta(&id, meta);
        }
        let hub = Hub {
            inner: Arc::new(Inner {
                store,
                cfg,
                peer_id: PeerId::new("crm-relay"),
                directory_id: named_id("directory"),
                cat: RwLock::new(cat),
                slots: Mutex::new(HashMap::new()),
                loaded: AtomicUsize::new(0),
                conns: Mutex::new(HashMap::new()),
                next_conn: AtomicU64::new(1),
                shutdown: watch::channel(false).0,
                index_lock: tokio::sync::Mutex::new(()),
                refusal_hook: OnceLock::new(),
            }),
        };
        hub.init_directory().await?;
        hub.recompute_indexes().await?;
        Ok(hub)
    }

    /// Opens a hub over the SQLite store in `data_dir` with default limits.
    pub async fn open_sqlite(data_dir: &std::path::Path) -> Result<Hub, SyncError> {
        let store = crate::docstore::open_sqlite(data_dir)?;
        Hub::open(Arc::new(store), HubConfig::default()).await
    }

    pub fn config(&self) -> &HubConfig {
        &self.inner.cfg
    }

    fn cat(&self) -> std::sync::RwLockReadGuard<'_, Catalog> {
        self.inner.cat.read().unwrap_or_else(|e| e.into_inner())
    }

    fn cat_mut(&self) -> std::sync::RwLockWriteGuard<'_, Catalog> {
        self.inner.cat.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The current directory (a snapshot).
    pub fn directory(&self) -> Directory {
        (*self.cat().directory).clone()
    }

    /// The directory document's id (the same on every relay).
    pub fn directory_doc_id(&self) -> DocId {
        self.inner.directory_id.clone()
    }

    /// The id of `user`'s index document (derived from the user id; the relay keeps it current).
    pub fn index_doc_id(&self, user: &UserId) -> DocId {
        Hub::index_doc_id_for(user)
    }

    /// [`Hub::index_doc_id`] without a hub (the id depends only on the user).
    pub fn index_doc_id_for(user: &UserId) -> DocId {
        named_id(&format!("index:{user}"))
    }

    /// Is there no record document yet (demo seeding runs only then)?
    pub async fn is_empty(&self) -> Result<bool, SyncError> {
        Ok(!self.cat().metas.values().any(|m| matches!(m.kind, Some(DocKind::Record(_)))))
    }

    /// Every main record document of `kind`, with what the policy needs to know about it.
    pub async fn list(&self, kind: RecordKind) -> Result<Vec<(DocId, RecordMeta)>, SyncError> {
        let cat = self.cat();
        let mut out: Vec<(DocId, RecordMeta)> = cat
            .metas
            .iter()
            .filter(|(_, m)| m.kind == Some(DocKind::Record(kind)))
            .filter_map(|(id, _)| Some((id.clone(), cat.record_meta(id)?)))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Every stored document with its metadata.
    pub fn list_all(&self) -> Vec<(DocId, DocMeta)> {
        self.cat().metas.iter().map(|(id, m)| (id.clone(), m.clone())).collect()
    }

    /// A copy of a document (for REST materialisation), or `None` if it does not exist.
    pub async fn load(&self, id: &DocId) -> Result<Option<Automerge>, SyncError> {
        if !self.cat().exists(id) {
            return Ok(None);
        }
        let mut slot = self.lock_slot(id).await;
        let was_loaded = slot.doc.is_some();
        self.ensure_loaded(id, &mut slot).await?;
        let copy = slot.doc.as_ref().map(|d| d.fork());
        if !was_loaded {
            self.release_if_idle(&mut slot);
        }
        Ok(copy)
    }

    /// Drops a document nobody has open from memory (it is stored; the next use loads it again).
    fn release_if_idle(&self, slot: &mut Slot) {
        if slot.peers.is_empty() && !slot.compacting && slot.doc.take().is_some() {
            self.loaded_dec();
        }
    }

    /// Stores documents made on the server (demo seeding, import): new ids are created (in bulk), existing
    /// ones merged. Indexes are updated and connected readers receive the changes.
    pub async fn create_docs(&self, docs: Vec<(DocId, Automerge)>) -> Result<(), SyncError> {
        let mut touched = Vec::new();
        let mut fresh = Vec::new();
        for (id, mut incoming) in docs {
            let meta = DocMeta::read(&incoming);
            if meta.kind.is_none() {
                return Err(SyncError::Invalid { id: id.to_string(), reason: "no known kind".into() });
            }
            if !self.cat().exists(&id) && !fresh.iter().any(|(f, _, _)| f == &id) {
                fresh.push((id, incoming.save(), meta));
                continue;
            }
            let mut slot = self.lock_slot(&id).await;
            self.ensure_loaded(&id, &mut slot).await?;
            let doc = slot.doc.get_or_insert_with(Automerge::new);
            let before = doc.get_heads();
            let mut merged = doc.fork();
            merged
                .merge(&mut incoming)
                .map_err(|e| SyncError::Invalid { id: id.to_string(), reason: e.to_string() })?;
            if merged.get_heads() == before {
                continue;
            }
            let meta = DocMeta::read(&merged);
            let seq = self.append(&id, merged.save_after(&before), meta.clone()).await?;
            slot.last_seq = seq;
            slot.chunks += 1;
            slot.doc = Some(merged);
            self.cat_mut().set_meta(&id, meta);
            self.fan_out(&id, &mut slot, None);
            touched.push(id);
        }
        if !fresh.is_empty() {
            let store = self.inner.store.clone();
            let items = fresh;
            let items = blocking(move || store.append_batch(&items).map(|_| items)).await??;
            let mut cat = self.cat_mut();
            for (id, _, meta) in items {
                cat.set_meta(&id, meta);
                touched.push(id);
            }
            drop(cat);
        }
        if touched.len() > 64 {
            self.recompute_indexes().await?;
        } else {
            for id in touched {
                self.after_meta_change(&id).await?;
            }
        }
        Ok(())
    }

    /// Installs the refusal hook (the first call wins; later calls do nothing).
    pub fn on_refusal(&self, hook: impl FnOnce() -> RefusalHook) {
        if self.inner.refusal_hook.get().is_none() {
            let _ = self.inner.refusal_hook.set(hook());
        }
    }

    /// Ends every open socket of `user` at once (e.g. the account was disabled).
    pub fn disconnect_user(&self, user: &UserId) {
        for h in lock(&self.inner.conns).values().filter(|h| &h.user == user) {
            let _ = h.kill.send(Some((1008, "signed out".into())));
        }
    }

    /// How many sockets are open (for tests and the health page).
    pub fn connections(&self) -> usize {
        lock(&self.inner.conns).len()
    }

    /// Asks every connection to close (flushing what is queued) and waits until they have, up to 10 s.
    pub async fn shutdown(&self) {
        let _ = self.inner.shutdown.send(true);
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        while self.connections() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    // ---- slots ----

    /// Locks `id`'s slot, creating it if needed. The slot returned is the one in the map.
    async fn lock_slot(&self, id: &DocId) -> OwnedMutexGuard<Slot> {
        loop {
            let slot = lock(&self.inner.slots).entry(id.clone()).or_default().clone();
            let guard = slot.clone().lock_owned().await;
            if lock(&self.inner.slots).get(id).is_some_and(|s| Arc::ptr_eq(s, &slot)) {
                return guard;
            }
        }
    }

    /// Loads the document into its slot if it is stored and not loaded; a document that does not exist
    /// stays `None`.
    async fn ensure_loaded(&self, id: &DocId, slot: &mut Slot) -> Result<(), SyncError> {
        if slot.doc.is_some() || !self.cat().exists(id) {
            return Ok(());
        }
        let store = self.inner.store.clone();
        let did = id.clone();
        let (doc, n, last_seq) = blocking(move || -> Result<_, StoreError> {
            match store.load(&did)? {
                Some(chunks) => Ok((chunks.load(&did)?, chunks.chunks.len(), chunks.last_seq)),
                None => Ok((Automerge::new(), 0, 0)),
            }
        })
        .await??;
        slot.doc = Some(doc);
        slot.chunks = n;
        slot.last_seq = last_seq;
        let loaded = self.inner.loaded.fetch_add(1, Ordering::Relaxed) + 1;
        if loaded > self.inner.cfg.max_loaded_docs {
            self.evict();
        }
        Ok(())
    }

    fn loaded_inc(&self) {
        self.inner.loaded.fetch_add(1, Ordering::Relaxed);
    }

    fn loaded_dec(&self) {
        let _ = self.inner.loaded.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| Some(v.saturating_sub(1)));
    }

    /// Drops idle documents from memory (their sync states stay) and forgets slots nobody has open.
    fn evict(&self) {
        let target = self.inner.cfg.max_loaded_docs * 3 / 4;
        let mut slots = lock(&self.inner.slots);
        // Recount first: the counter is a cheap hint, this is the truth.
        let actual = slots.values().filter(|s| s.try_lock().map_or(true, |s| s.doc.is_some())).count();
        self.inner.loaded.store(actual, Ordering::Relaxed);
        let mut remove = Vec::new();
        for (id, slot) in slots.iter() {
            if self.inner.loaded.load(Ordering::Relaxed) <= target {
                break;
            }
            let Ok(mut s) = slot.try_lock() else { continue };
            if s.compacting {
                continue;
            }
            if s.doc.take().is_some() {
                self.loaded_dec();
            }
            if s.peers.is_empty() {
                remove.push(id.clone());
            }
        }
        for id in remove {
            slots.remove(&id);
        }
    }

    async fn append(&self, id: &DocId, chunk: Vec<u8>, meta: DocMeta) -> Result<u64, SyncError> {
        let store = self.inner.store.clone();
        let id = id.clone();
        Ok(blocking(move || store.append(&id, &chunk, &meta)).await??)
    }

    /// Compacts the slot's chunks into a snapshot in the background once there are enough of them.
    fn maybe_compact(&self, id: &DocId, slot: &mut OwnedMutexGuard<Slot>) {
        if slot.chunks < self.inner.cfg.compact_after || slot.compacting {
            return;
        }
        let Some(doc) = slot.doc.as_ref() else { return };
        let snapshot = doc.save();
        let upto = slot.last_seq;
        slot.compacting = true;
        slot.chunks = 1;
        let hub = self.clone();
        let id = id.clone();
        tokio::spawn(async move {
            let store = hub.inner.store.clone();
            let did = id.clone();
            let r = blocking(move || store.compact(&did, &snapshot, upto)).await;
            if let Err(e) | Ok(Err(e)) = r.map(|r| r.map_err(SyncError::from)) {
                tracing::warn!(doc = %id, error = %e, "compaction failed");
            }
            hub.lock_slot(&id).await.compacting = false;
        });
    }

    // ---- sending ----

    fn send(&self, conn: ConnId, make: impl FnOnce(&PeerId, &PeerId) -> Message) {
        let conns = lock(&self.inner.conns);
        let Some(h) = conns.get(&conn) else { return };
        let msg = make(&self.inner.peer_id, &h.peer);
        let frame = match protocol::encode(&msg) {
            Ok(f) => f,
            Err(e) => {
                tracing::error!(error = %e, "cannot encode a message");
                return;
            }
        };
        if let Err(mpsc::error::TrySendError::Full(_)) = h.tx.try_send(Outgoing::Frame(frame)) {
            tracing::warn!(user = %h.user, conn, "outbox full: disconnecting a slow client");
            let _ = h.kill.send(Some((1008, "too slow: outbox full".into())));
        }
    }

    fn send_unavailable(&self, conn: ConnId, id: &DocId) {
        self.send(conn, |me, them| {
            Message::DocUnavailable(DocUnavailable {
                document_id: id.clone(),
                sender_id: me.clone(),
                target_id: them.clone(),
            })
        });
    }

    pub(crate) fn send_error(&self, conn: ConnId, message: String, doc: Option<&DocId>, refused: Option<Refusal>) {
        self.send(conn, |me, them| {
            Message::Error(ErrorMessage {
                message,
                sender_id: Some(me.clone()),
                target_id: Some(them.clone()),
                document_id: doc.cloned(),
                refused: refused.map(|r| protocol::Refused { reason: r.reason, path: r.path }),
            })
        });
    }

    fn send_sync(&self, conn: ConnId, id: &DocId, data: Vec<u8>) {
        self.send(conn, |me, them| {
            Message::Sync(SyncData {
                document_id: id.clone(),
                sender_id: me.clone(),
                target_id: them.clone(),
                data,
                doc_type: None,
            })
        });
    }

    fn user_of(&self, conn: ConnId) -> Option<UserId> {
        lock(&self.inner.conns).get(&conn).map(|h| h.user.clone())
    }

    /// Sends the slot's new state to every connection that has it open (except `except`) and may still
    /// read it; connections that may no longer read it are dropped from the slot and told it is unavailable.
    fn fan_out(&self, id: &DocId, slot: &mut Slot, except: Option<ConnId>) {
        let Slot { doc, peers, .. } = slot;
        let Some(doc) = doc.as_ref() else { return };
        let mut lost = Vec::new();
        for (conn, peer) in peers.iter_mut() {
            if Some(*conn) == except {
                continue;
            }
            let may = self.user_of(*conn).is_some_and(|u| self.cat().readable(&u, id));
            if !may {
                lost.push(*conn);
                continue;
            }
            if let Some(m) = doc.generate_sync_message(&mut peer.state) {
                self.send_sync(*conn, id, m.encode());
            }
        }
        for conn in lost {
            peers.remove(&conn);
            self.send_unavailable(conn, id);
        }
    }

    // ---- connections ----

    /// Registers a connection for `user`, or `None` if they have too many open.
    pub(crate) fn register(&self, user: &UserId) -> Option<(ConnId, mpsc::Receiver<Outgoing>, KillSignal)> {
        let mut conns = lock(&self.inner.conns);
        if conns.values().filter(|h| &h.user == user).count() >= self.inner.cfg.max_conns_per_user {
            return None;
        }
        let id = self.inner.next_conn.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(self.inner.cfg.outbox_frames);
        let (kill, kill_rx) = watch::channel(None);
        conns.insert(id, ConnHandle { user: user.clone(), peer: PeerId::new(""), tx, kill });
        Some((id, rx, kill_rx))
    }

    pub(crate) fn set_peer(&self, conn: ConnId, peer: PeerId) {
        if let Some(h) = lock(&self.inner.conns).get_mut(&conn) {
            h.peer = peer;
        }
    }

    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.inner.shutdown.subscribe()
    }

    pub(crate) fn peer_id(&self) -> &PeerId {
        &self.inner.peer_id
    }

    /// Forgets a closed connection and its sync states.
    pub(crate) async fn unregister(&self, conn: ConnId, open: impl IntoIterator<Item = DocId>) {
        lock(&self.inner.conns).remove(&conn);
        for id in open {
            let mut slot = self.lock_slot(&id).await;
            slot.peers.remove(&conn);
            if slot.peers.is_empty() && !slot.compacting {
                if slot.doc.take().is_some() {
                    self.loaded_dec();
                }
                lock(&self.inner.slots).remove(&id);
            }
        }
    }

    // ---- incoming messages ----

    /// Handles `request`/`sync` from `conn`. Returns whether the connection now has the document open.
    pub(crate) async fn handle_sync(&self, conn: ConnId, user: &UserId, msg: SyncData, request: bool) -> bool {
        let id = msg.document_id;
        let (exists, readable) = {
            let cat = self.cat();
            (cat.exists(&id), cat.readable(user, &id))
        };
        if exists && !readable {
            let mut slot = self.lock_slot(&id).await;
            slot.peers.remove(&conn);
            drop(slot);
            self.send_unavailable(conn, &id);
            return false;
        }
        let sync_msg = match automerge::sync::Message::decode(&msg.data) {
            Ok(m) => m,
            Err(e) => {
                self.send_error(conn, format!("malformed sync message for document {id}: {e}"), Some(&id), None);
                return false;
            }
        };
        if !exists && request && sync_msg.changes.is_empty() {
            self.send_unavailable(conn, &id);
            return false;
        }
        let mut slot = self.lock_slot(&id).await;
        if let Err(e) = self.ensure_loaded(&id, &mut slot).await {
            tracing::error!(doc = %id, error = %e, "cannot load document");
            self.send_error(conn, format!("document {id} cannot be read right now"), Some(&id), None);
            return false;
        }
        // Re-read under the slot lock: another connection may have just created it, or access may have gone.
        let (exists, readable) = {
            let cat = self.cat();
            (cat.exists(&id), cat.readable(user, &id))
        };
        if exists && !readable {
            slot.peers.remove(&conn);
            self.send_unavailable(conn, &id);
            return false;
        }
        let mut accepted = false;
        let mut meta_changed = false;
        let mut last_seq = None;
        if slot.doc.is_none() {
            slot.doc = Some(Automerge::new());
            self.loaded_inc();
        }
        {
            let Slot { doc, peers, .. } = &mut *slot;
            let Some(doc) = doc.as_mut() else { return false };
            let peer = peers.entry(conn).or_insert_with(PeerDoc::new);
            if request {
                peer.state = automerge::sync::State::new();
            }
            if sync_msg.changes.is_empty() {
                if let Err(e) = doc.receive_sync_message(&mut peer.state, sync_msg) {
                    self.send_error(conn, format!("bad sync message for document {id}: {e}"), Some(&id), None);
                    return true;
                }
            } else {
                let before = doc.get_heads();
                let mut fork = doc.fork();
                let mut state = peer.state.clone();
                if let Err(e) = fork.receive_sync_message(&mut state, sync_msg) {
                    self.send_error(conn, format!("bad changes for document {id}: {e}"), Some(&id), None);
                    return true;
                }
                let new = fork.get_changes(&before);
                let blocked = new.is_empty()
                    && automerge::ReadDoc::get_missing_deps(&fork, &[]).iter().any(|h| peer.refused.contains(h));
                if blocked || new.iter().any(|c| peer.refused.contains(&c.hash())) {
                    // Refused changes again, or ones built on them (changes are hash-chained): refused unread.
                    peer.refused.extend(new.iter().map(|c| c.hash()));
                    let refusal = Refusal::new("", "builds on a change that was refused: reload the document");
                    self.send_error(
                        conn,
                        format!("change to {id} refused: {}", refusal.reason),
                        Some(&id),
                        Some(refusal),
                    );
                    return true;
                } else if new.is_empty() {
                    peer.state = state;
                } else {
                    let verdict =
                        gate::check_write(&self.cat(), &self.inner.directory_id, user, &id, doc, exists, &fork);
                    match verdict {
                        Err(refusal) => {
                            peer.refused.extend(new.iter().map(|c| c.hash()));
                            tracing::info!(user = %user, doc = %id, path = %refusal.path, reason = %refusal.reason, "refused change");
                            if let Some(hook) = self.inner.refusal_hook.get() {
                                hook(user, &id, &refusal);
                            }
                            let message = format!("change to {id} refused: {}", refusal.reason);
                            self.send_error(conn, message, Some(&id), Some(refusal));
                            return true;
                        }
                        Ok(meta) => {
                            let chunk = if exists { fork.save_after(&before) } else { fork.save() };
                            let stored = self.append(&id, chunk, meta.clone()).await;
                            match stored {
                                Ok(seq) => last_seq = Some(seq),
                                Err(e) => {
                                    tracing::error!(doc = %id, error = %e, "cannot store change");
                                    self.send_error(
                                        conn,
                                        format!("change to {id} not stored: try again"),
                                        Some(&id),
                                        None,
                                    );
                                    return true;
                                }
                            }
                            *doc = fork;
                            peer.state = state;
                            let mut cat = self.cat_mut();
                            meta_changed = cat.metas.get(&id) != Some(&meta);
                            cat.set_meta(&id, meta);
                            drop(cat);
                            accepted = true;
                        }
                    }
                }
            }
            if let Some(m) = doc.generate_sync_message(&mut peer.state) {
                self.send_sync(conn, &id, m.encode());
            }
        }
        if accepted {
            slot.chunks += 1;
            if let Some(seq) = last_seq {
                slot.last_seq = seq;
            }
            self.fan_out(&id, &mut slot, Some(conn));
            self.maybe_compact(&id, &mut slot);
            let directory = if id == self.inner.directory_id {
                slot.doc.as_ref().and_then(|d| autosurgeon::hydrate::<_, Directory>(d).ok())
            } else {
                None
            };
            drop(slot);
            let r = match directory {
                Some(dir) => self.directory_changed(dir).await,
                None if meta_changed => self.after_meta_change(&id).await,
                None => Ok(()),
            };
            if let Err(e) = r {
                tracing::error!(doc = %id, error = %e, "index update failed");
            }
        }
        true
    }

    /// Relays presence to the other connections that have the document open and may read it.
    pub(crate) async fn handle_ephemeral(&self, conn: ConnId, user: &UserId, msg: Ephemeral) {
        if !self.cat().readable(user, &msg.document_id) {
            return;
        }
        let slot = lock(&self.inner.slots).get(&msg.document_id).cloned();
        let Some(slot) = slot else { return };
        let others: Vec<ConnId> = slot.lock().await.peers.keys().copied().filter(|c| *c != conn).collect();
        for other in others {
            if self.user_of(other).is_some_and(|u| self.cat().readable(&u, &msg.document_id)) {
                let m = msg.clone();
                self.send(other, |_, them| Message::Ephemeral(Ephemeral { target_id: them.clone(), ..m }));
            }
        }
    }
}

#[cfg(test)]
mod tests;
