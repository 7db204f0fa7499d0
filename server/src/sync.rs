//! The sync hub: role-gated automerge-repo sync over WebSocket at `/sync`.
//!
//! # Layout
//! - `sync.rs`: [`Hub`] (documents, connections, fan-out) and its API for the rest of the relay.
//! - `sync/catalog.rs`: every document's metadata and the directory; the read gate (`readable`).
//! - `sync/gate.rs`: the write gate (`check_write`): may this user turn `before` into `after`?
//! - `sync/slot.rs`: one document in memory with a sync state per connection that has it open.
//! - `sync/incoming.rs`: `request`/`sync`/`ephemeral` from a connection: gates, apply, forward.
//! - `sync/commit.rs`: queue an accepted change for the store, acknowledge once durable; compaction.
//! - `sync/outgoing.rs`: frames into outboxes; the fan-out of a document's new state.
//! - `sync/index.rs`: the per-user index documents and the directory document, written by the relay.
//! - `sync/conn.rs`: one WebSocket connection: handshake, frame limits, bounded outbox.
//! - `sync/local.rs`: writes made on the relay for a user (REST): the same gate, store and fan-out.
//! - `sync/erase.rs`: an erased record's `pii` companion leaves the store, memory and every index.
//! - `sync/route.rs`: `GET /sync`: authenticate (`AuthUser`), upgrade, serve.
//!
//! What must stay true: nothing is sent to a connection that its user may not read at that moment;
//! a change is durable before its writer is acknowledged (readers get it at once, before the commit: they
//! hold it and would sync it back if the relay lost it); a refused change is neither stored nor forwarded.

mod catalog;
mod commit;
mod conn;
mod erase;
mod gate;
mod incoming;
mod index;
mod local;
mod numbers;
mod outgoing;
mod route;
mod slot;

pub use catalog::IndexEntry;
pub use conn::serve_socket;
pub use gate::Refused;
pub use local::LocalWriteError;
pub use route::router;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use app::domain::{Directory, DocId, DocKind, RecordKind, RecordMeta, UserId};
use app::protocol::PeerId;
use automerge::Automerge;
use tokio::sync::{mpsc, watch, OwnedMutexGuard};

use crate::docstore::{DocMeta, DocStore, Origin, StoreError};
use app::domain::history::{Author, ProvenanceMap};
use catalog::Catalog;
use slot::Slot;

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
    /// Accepted changes queued for the store and not yet durable (shutdown waits for them).
    commits: AtomicUsize,
}

/// Called with every refused change: who, which document, why.
pub type RefusalHook = Box<dyn Fn(&UserId, &DocId, &Refused) + Send + Sync>;

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
                commits: AtomicUsize::new(0),
            }),
        };
        hub.init_directory().await?;
        hub.recompute_indexes().await?;
        hub.finish_erasures().await?;
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

    /// The provenance the store holds for document `id`'s changes: who sent each and when it arrived. A
    /// change still on its way to the disk has none yet (its writer has not been acknowledged either).
    pub async fn provenance(&self, id: &DocId) -> Result<ProvenanceMap, SyncError> {
        let store = self.inner.store.clone();
        let id = id.clone();
        Ok(blocking(move || store.provenance(&id)).await??.into_iter().collect())
    }

    /// Drops a document nobody has open from memory (it is stored; the next use loads it again).
    fn release_if_idle(&self, slot: &mut Slot) {
        if slot.unused() && slot.doc.take().is_some() {
            self.loaded_dec();
        }
    }

    /// Stores documents made on the server (demo seeding, import): new ids are created (in bulk), existing
    /// ones merged. Indexes are updated and connected readers receive the changes. Their changes are
    /// recorded as `author`'s (the importing user; the relay for demo data).
    pub async fn create_docs(&self, docs: Vec<(DocId, Automerge)>, author: Author) -> Result<(), SyncError> {
        let t0 = std::time::Instant::now();
        let n = docs.len();
        let mut touched = Vec::new();
        let mut fresh = Vec::new();
        let mut fresh_ids = std::collections::HashSet::new();
        for (id, mut incoming) in docs {
            let meta = DocMeta::read(&incoming);
            if meta.kind.is_none() {
                return Err(SyncError::Invalid { id: id.to_string(), reason: "no known kind".into() });
            }
            if !self.cat().exists(&id) && fresh_ids.insert(id.clone()) {
                let origin =
                    Origin::now(author.clone(), incoming.get_changes_meta(&[]).iter().map(|c| c.hash).collect());
                fresh.push((id, incoming.save(), meta, origin));
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
            let origin = Origin::now(author.clone(), merged.get_changes_meta(&before).iter().map(|c| c.hash).collect());
            let seq = self.append(&id, merged.save_after(&before), meta.clone(), origin).await?;
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
            for (id, _, meta, _) in items {
                cat.set_meta(&id, meta);
                touched.push(id);
            }
            drop(cat);
        }
        let t_stored = t0.elapsed();
        if touched.len() > 64 {
            self.after_bulk_change(&touched).await?;
            tracing::debug!(
                docs = n,
                store_ms = t_stored.as_millis() as u64,
                index_ms = (t0.elapsed() - t_stored).as_millis() as u64,
                "bulk create"
            );
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

    /// Asks every connection to close (flushing what is queued) and waits until they have and every
    /// accepted change is durable, up to 10 s.
    pub async fn shutdown(&self) {
        let _ = self.inner.shutdown.send(true);
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        while (self.connections() > 0 || self.inner.commits.load(Ordering::Relaxed) > 0)
            && tokio::time::Instant::now() < deadline
        {
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
            // Its memory is ahead of the store while commits are pending: keep it.
            if s.compacting || s.inflight > 0 {
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
            self.forget_if_unused(&id, &mut slot);
        }
    }
}

#[cfg(test)]
mod tests;
