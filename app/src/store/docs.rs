//! Loaded Automerge documents over a [`Storage`].
//!
//! What must stay true:
//! - Every change to a loaded document is written as a chunk ([`DocStore::persist`]) before the caller is
//!   told it is saved; nothing is kept only in memory.
//! - A document's stored chunks always load into the document as it was after its last persisted change:
//!   a snapshot is written and the older chunks deleted in one atomic step.
//! - Documents are loaded on demand and dropped when nobody holds them and the cache is over its cap.
//! - The store knows which documents storage holds ([`DocStore::learn_stored`], then every write and delete
//!   it makes), so asking for a document this device does not have costs no storage round trip. Being in
//!   that set only means "maybe stored": a document missing from it is certainly not stored.
//!
//! Persisting lives in `docs/persist.rs`, the count of unacknowledged edits in `docs/pending.rs`.

mod pending;
mod persist;

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, HashSet};

use automerge::{AutoCommit, ChangeHash};

use super::{DocMeta, Storage, StoreError};
use crate::domain::DocId;

/// After this many chunks a document's chunks are compacted into one snapshot.
pub const COMPACT_AFTER_CHUNKS: u32 = 32;

struct Loaded {
    doc: AutoCommit,
    meta: DocMeta,
    holds: u32,
    last_used: u64,
}

/// Told the new total of unacknowledged edits whenever it changes.
type PendingListener = Box<dyn Fn(usize)>;
/// The loaded documents and the storage under them.
pub struct DocStore<S> {
    storage: S,
    loaded: RefCell<HashMap<DocId, Loaded>>,
    tick: Cell<u64>,
    cap: usize,
    /// Documents storage may hold (their id strings, as storage keys them): every id read by
    /// [`DocStore::learn_stored`] plus every one written since.
    stored: RefCell<HashSet<String>>,
    /// Whether `stored` is complete (after [`DocStore::learn_stored`]); before, every id may be stored.
    stored_known: Cell<bool>,
    /// How many unacknowledged local edits each document has (its `DocMeta::pending_edits`), kept in step
    /// with every metadata change and remembered under [`PENDING_KEY`], so "3 changes waiting" needs no
    /// read of every document's metadata. Only documents with edits are in it.
    pending: RefCell<BTreeMap<DocId, usize>>,
    /// Whether `pending` changed since it was last written to storage.
    pending_dirty: Cell<bool>,
    /// Told the new total whenever it changes (the sync badge's count).
    on_pending: RefCell<Option<PendingListener>>,
}

/// Hex strings of `heads`, sorted (the form kept in [`DocMeta::heads`]).
pub fn heads_hex(heads: &[ChangeHash]) -> Vec<String> {
    let mut out: Vec<String> = heads.iter().map(|h| h.to_string()).collect();
    out.sort();
    out
}

/// Parses hex heads back; a damaged entry is skipped (the next sync repairs it).
pub fn heads_from_hex(heads: &[String]) -> Vec<ChangeHash> {
    heads.iter().filter_map(|h| h.parse().ok()).collect()
}

impl<S: Storage> DocStore<S> {
    /// A store keeping at most `cap` documents loaded that nobody holds.
    pub fn new(storage: S, cap: usize) -> Self {
        DocStore {
            storage,
            loaded: RefCell::new(HashMap::new()),
            tick: Cell::new(0),
            cap,
            stored: RefCell::new(HashSet::new()),
            stored_known: Cell::new(false),
            pending: RefCell::new(BTreeMap::new()),
            pending_dirty: Cell::new(false),
            on_pending: RefCell::new(None),
        }
    }

    /// Reads which documents storage holds (one key scan), so that later lookups of documents this device
    /// does not have cost nothing.
    pub async fn learn_stored(&self) -> Result<(), StoreError> {
        let ids = self.storage.doc_keys().await?;
        // A union: a document written while the scan ran stays known.
        self.stored.borrow_mut().extend(ids);
        self.stored_known.set(true);
        Ok(())
    }

    /// False only when `id` is certainly not in storage.
    pub fn maybe_stored(&self, id: &DocId) -> bool {
        !self.stored_known.get() || self.stored.borrow().contains(id.as_str())
    }

    fn mark_stored(&self, id: &DocId) {
        if !self.stored.borrow().contains(id.as_str()) {
            self.stored.borrow_mut().insert(id.as_str().to_string());
        }
    }

    /// The stored metadata of `id` (no storage read when it is certainly not stored).
    pub async fn stored_meta(&self, id: &DocId) -> Result<Option<DocMeta>, StoreError> {
        if !self.maybe_stored(id) {
            return Ok(None);
        }
        self.storage.meta(id).await
    }

    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// Gives the storage back (tests reopen a store over the same storage to simulate a reload).
    pub fn into_storage(self) -> S {
        self.storage
    }

    fn touch(&self) -> u64 {
        let t = self.tick.get() + 1;
        self.tick.set(t);
        t
    }

    pub fn is_loaded(&self, id: &DocId) -> bool {
        self.loaded.borrow().contains_key(id)
    }

    pub fn loaded_count(&self) -> usize {
        self.loaded.borrow().len()
    }

    /// Loads `id` from storage unless it is loaded. `Ok(false)` when this device does not have it.
    pub async fn load(&self, id: &DocId) -> Result<bool, StoreError> {
        if self.is_loaded(id) {
            return Ok(true);
        }
        if !self.maybe_stored(id) {
            return Ok(false);
        }
        let chunks = self.storage.chunks(id).await?;
        if chunks.is_empty() {
            return Ok(false);
        }
        let meta = self.storage.meta(id).await?.unwrap_or_default();
        if self.is_loaded(id) {
            // Loaded by someone else while we read.
            return Ok(true);
        }
        let doc = AutoCommit::load(&chunks.concat()).map_err(|e| StoreError::corrupt(id, e))?;
        let last_used = self.touch();
        self.track_pending(id, meta.pending_edits.len());
        self.loaded.borrow_mut().insert(id.clone(), Loaded { doc, meta, holds: 0, last_used });
        self.evict();
        Ok(true)
    }

    /// Adds a new document (created locally or first received) and persists it.
    pub async fn insert(
        &self,
        id: &DocId,
        doc: AutoCommit,
        kind: Option<&str>,
        summary: Option<String>,
    ) -> Result<(), StoreError> {
        let mut meta = self.stored_meta(id).await?.unwrap_or_default();
        if kind.is_some() {
            meta.kind = kind.map(str::to_string);
        }
        let last_used = self.touch();
        self.loaded.borrow_mut().insert(id.clone(), Loaded { doc, meta, holds: 0, last_used });
        if let Some(s) = summary {
            self.note_pending(id, s);
        }
        self.persist(id).await
    }

    /// Adds an empty document known not to be stored (about to receive the relay's copy): no storage read.
    pub fn insert_fresh(&self, id: &DocId) {
        let last_used = self.touch();
        self.loaded.borrow_mut().entry(id.clone()).or_insert(Loaded {
            doc: AutoCommit::new(),
            meta: DocMeta::default(),
            holds: 0,
            last_used,
        });
    }

    /// Reads a loaded document.
    pub fn read<R>(&self, id: &DocId, f: impl FnOnce(&AutoCommit) -> R) -> Option<R> {
        let t = self.touch();
        let mut loaded = self.loaded.borrow_mut();
        let l = loaded.get_mut(id)?;
        l.last_used = t;
        Some(f(&l.doc))
    }

    /// Reads a loaded document together with other loaded documents tagged `T` (missing ones are skipped).
    pub fn read_many<T: Copy, R>(
        &self,
        main: &DocId,
        others: &[(T, DocId)],
        f: impl FnOnce(&AutoCommit, &[(T, &AutoCommit)]) -> R,
    ) -> Option<R> {
        let loaded = self.loaded.borrow();
        let main = &loaded.get(main)?.doc;
        let others: Vec<(T, &AutoCommit)> =
            others.iter().filter_map(|(t, id)| loaded.get(id).map(|l| (*t, &l.doc))).collect();
        Some(f(main, &others))
    }

    /// Changes a loaded document in memory only; call [`DocStore::persist`] after.
    pub fn write<R>(&self, id: &DocId, f: impl FnOnce(&mut AutoCommit) -> R) -> Option<R> {
        let t = self.touch();
        let mut loaded = self.loaded.borrow_mut();
        let l = loaded.get_mut(id)?;
        l.last_used = t;
        Some(f(&mut l.doc))
    }

    /// Loads `id` if needed, applies a local change, records `summary` as an unacknowledged edit and
    /// persists. When this resolves `Ok`, the change is durable.
    pub async fn change<R, E>(
        &self,
        id: &DocId,
        summary: String,
        f: impl FnOnce(&mut AutoCommit) -> Result<R, E>,
    ) -> Result<R, StoreError>
    where
        StoreError: From<E>,
    {
        if !self.load(id).await? {
            return Err(StoreError::NotFound(id.clone()));
        }
        let out = self.write(id, f).ok_or_else(|| StoreError::NotFound(id.clone()))??;
        self.note_pending(id, summary);
        self.persist(id).await?;
        Ok(out)
    }

    /// Records `summary` as an edit of `id` the relay has not acknowledged yet.
    pub fn note_pending(&self, id: &DocId, summary: String) {
        let n = self.loaded.borrow_mut().get_mut(id).map(|l| {
            l.meta.pending_edits.push(summary);
            l.meta.pending_edits.len()
        });
        if let Some(n) = n {
            self.track_pending(id, n);
        }
    }

    /// The metadata of a loaded document.
    pub fn meta(&self, id: &DocId) -> Option<DocMeta> {
        self.loaded.borrow().get(id).map(|l| l.meta.clone())
    }

    /// Updates a document's metadata (sync state, acknowledged edits) in memory and storage.
    pub async fn update_meta(&self, id: &DocId, f: impl Fn(&mut DocMeta)) -> Result<(), StoreError> {
        let meta = {
            let mut loaded = self.loaded.borrow_mut();
            loaded.get_mut(id).map(|l| {
                f(&mut l.meta);
                l.meta.clone()
            })
        };
        let meta = match meta {
            Some(m) => m,
            None => {
                let Some(mut m) = self.stored_meta(id).await? else { return Ok(()) };
                f(&mut m);
                m
            }
        };
        self.mark_stored(id);
        self.track_pending(id, meta.pending_edits.len());
        self.storage.put_meta(id, &meta).await?;
        self.save_pending().await
    }

    /// Keeps `id` loaded until a matching [`DocStore::release`].
    pub fn hold(&self, id: &DocId) {
        if let Some(l) = self.loaded.borrow_mut().get_mut(id) {
            l.holds += 1;
        }
    }

    pub fn release(&self, id: &DocId) {
        if let Some(l) = self.loaded.borrow_mut().get_mut(id) {
            l.holds = l.holds.saturating_sub(1);
        }
        self.evict();
    }

    /// Drops least recently used documents nobody holds while more than `cap` are loaded. Safe at any
    /// time: loaded documents have no unpersisted changes once `persist` returned.
    pub fn evict(&self) {
        let mut loaded = self.loaded.borrow_mut();
        let free: usize = loaded.values().filter(|l| l.holds == 0).count();
        if free <= self.cap {
            return;
        }
        let mut candidates: Vec<(u64, DocId)> =
            loaded.iter().filter(|(_, l)| l.holds == 0).map(|(k, l)| (l.last_used, k.clone())).collect();
        candidates.sort();
        for (_, id) in candidates.into_iter().take(free - self.cap) {
            loaded.remove(&id);
        }
    }

    /// Forgets a loaded document without touching storage (used before reloading the relay's copy).
    pub fn unload(&self, id: &DocId) {
        self.loaded.borrow_mut().remove(id);
    }

    /// Deletes a document from memory and storage.
    pub async fn delete(&self, id: &DocId) -> Result<(), StoreError> {
        self.unload(id);
        self.stored.borrow_mut().remove(id.as_str());
        self.track_pending(id, 0);
        self.storage.delete_doc(id).await?;
        self.save_pending().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStorage;
    use automerge::{transaction::Transactable, ReadDoc, ROOT};

    pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
        futures::executor::block_on(f)
    }

    fn id(n: u8) -> DocId {
        DocId::from_bytes([n; 16])
    }

    fn get_i64(doc: &AutoCommit, key: &str) -> Option<i64> {
        doc.get(ROOT, key).ok().flatten().and_then(|(v, _)| v.as_i64())
    }

    #[test]
    fn a_change_is_durable_when_change_returns() {
        block_on(async {
            let store = DocStore::new(MemoryStorage::new(), 8);
            store.insert(&id(1), AutoCommit::new(), None, None).await.unwrap();
            store.change(&id(1), "n = 5".into(), |d| d.put(ROOT, "n", 5).map_err(StoreError::storage)).await.unwrap();
            // A second store over the same storage (a reload) sees the change.
            let storage = store.storage;
            let again = DocStore::new(storage, 8);
            assert!(again.load(&id(1)).await.unwrap());
            assert_eq!(again.read(&id(1), |d| get_i64(d, "n")).unwrap(), Some(5));
            assert_eq!(again.meta(&id(1)).unwrap().pending_edits, vec!["n = 5".to_string()]);
        });
    }

    #[test]
    fn chunks_compact_into_one_snapshot_that_loads_the_same_document() {
        block_on(async {
            let store = DocStore::new(MemoryStorage::new(), 8);
            store.insert(&id(2), AutoCommit::new(), None, None).await.unwrap();
            for i in 0..(COMPACT_AFTER_CHUNKS as i64 + 5) {
                store
                    .change(&id(2), format!("n = {i}"), |d| d.put(ROOT, "n", i).map_err(StoreError::storage))
                    .await
                    .unwrap();
            }
            let chunks = store.storage().chunk_count(&id(2));
            assert!(chunks < 8, "compaction kept {chunks} chunks");
            let heads = store.read(&id(2), |d| heads_hex(&d.clone().get_heads())).unwrap();
            let again = DocStore::new(store.storage, 8);
            assert!(again.load(&id(2)).await.unwrap());
            assert_eq!(again.read(&id(2), |d| get_i64(d, "n")).unwrap(), Some(COMPACT_AFTER_CHUNKS as i64 + 4));
            assert_eq!(again.meta(&id(2)).unwrap().heads, heads);
        });
    }

    #[test]
    fn received_changes_are_persisted_too() {
        block_on(async {
            let store = DocStore::new(MemoryStorage::new(), 8);
            let mut remote = AutoCommit::new();
            remote.put(ROOT, "kind", "lead").unwrap();
            store.insert(&id(3), AutoCommit::new(), None, None).await.unwrap();
            store.write(&id(3), |d| d.merge(&mut remote).unwrap()).unwrap();
            store.persist(&id(3)).await.unwrap();
            let again = DocStore::new(store.storage, 8);
            again.load(&id(3)).await.unwrap();
            let kind = again.read(&id(3), |d| d.get(ROOT, "kind").unwrap().map(|(v, _)| v.to_string())).unwrap();
            assert_eq!(kind.as_deref(), Some("\"lead\""));
        });
    }

    #[test]
    fn replace_swaps_in_another_copy_keeping_holds_and_kind() {
        block_on(async {
            let store = DocStore::new(MemoryStorage::new(), 8);
            store.insert(&id(5), AutoCommit::new(), Some("lead"), None).await.unwrap();
            store.change(&id(5), "mine".into(), |d| d.put(ROOT, "n", 1).map_err(StoreError::storage)).await.unwrap();
            store.hold(&id(5));
            let mut relay = AutoCommit::new();
            relay.put(ROOT, "n", 7).unwrap();
            store.replace(&id(5), relay).await.unwrap();
            assert_eq!(store.read(&id(5), |d| get_i64(d, "n")).unwrap(), Some(7));
            let meta = store.meta(&id(5)).unwrap();
            assert_eq!(meta.kind.as_deref(), Some("lead"));
            assert!(meta.pending_edits.is_empty() && meta.sync_state.is_none());
            store.evict();
            assert!(store.is_loaded(&id(5)));
            let again = DocStore::new(store.into_storage(), 8);
            again.load(&id(5)).await.unwrap();
            assert_eq!(again.read(&id(5), |d| get_i64(d, "n")).unwrap(), Some(7), "only the new copy is stored");
        });
    }

    #[test]
    fn once_stored_ids_are_known_a_missing_document_costs_no_storage_read() {
        block_on(async {
            let store = DocStore::new(MemoryStorage::new(), 8);
            store.insert(&id(1), AutoCommit::new(), None, None).await.unwrap();
            store.change(&id(1), "x".into(), |d| d.put(ROOT, "n", 1).map_err(StoreError::storage)).await.unwrap();
            let again = DocStore::new(store.into_storage(), 8);
            assert!(again.maybe_stored(&id(7)), "unknown until learnt");
            again.learn_stored().await.unwrap();
            let reads = again.storage().reads();
            assert!(!again.load(&id(7)).await.unwrap());
            assert_eq!(again.stored_meta(&id(7)).await.unwrap(), None);
            assert_eq!(again.storage().reads(), reads, "no read for a document storage does not hold");
            assert!(again.load(&id(1)).await.unwrap(), "a stored one still loads");
            // Written after the scan: known too; deleted: gone.
            again.insert(&id(8), AutoCommit::new(), None, None).await.unwrap();
            again.change(&id(8), "y".into(), |d| d.put(ROOT, "n", 8).map_err(StoreError::storage)).await.unwrap();
            again.unload(&id(8));
            assert!(again.load(&id(8)).await.unwrap());
            again.delete(&id(8)).await.unwrap();
            assert!(!again.maybe_stored(&id(8)));
            assert!(!again.load(&id(8)).await.unwrap());
        });
    }

    #[test]
    fn a_burst_of_received_documents_is_one_write_and_reloads_whole() {
        block_on(async {
            let store = DocStore::new(MemoryStorage::new(), 4);
            store.learn_stored().await.unwrap();
            let ids: Vec<DocId> = (10..60).map(id).collect();
            for (n, d) in ids.iter().enumerate() {
                store.insert_fresh(d);
                store.hold(d);
                let mut remote = AutoCommit::new();
                remote.put(ROOT, "n", n as i64).unwrap();
                store.write(d, |doc| doc.merge(&mut remote).unwrap()).unwrap();
            }
            let writes = store.storage().writes();
            store.persist_many(ids.iter().map(|d| (d.clone(), Some(vec![1, 2, 3]))).collect()).await.unwrap();
            assert_eq!(store.storage().writes(), writes + 1, "one write for the whole burst");
            for d in &ids {
                store.release(d);
            }
            assert!(store.loaded_count() <= 4, "released documents are evicted down to the cap");
            let again = DocStore::new(store.into_storage(), 4);
            for (n, d) in ids.iter().enumerate() {
                assert!(again.load(d).await.unwrap());
                assert_eq!(again.read(d, |doc| get_i64(doc, "n")).unwrap(), Some(n as i64));
                assert_eq!(again.meta(d).unwrap().sync_state, Some(vec![1, 2, 3]));
            }
        });
    }

    #[test]
    fn unheld_documents_are_evicted_beyond_the_cap_and_held_ones_stay() {
        block_on(async {
            let store = DocStore::new(MemoryStorage::new(), 2);
            for n in 1..=4 {
                store.insert(&id(n), AutoCommit::new(), None, None).await.unwrap();
                store
                    .change(&id(n), "x".into(), |d| d.put(ROOT, "n", n as i64).map_err(StoreError::storage))
                    .await
                    .unwrap();
                if n == 1 {
                    store.hold(&id(1));
                }
            }
            store.evict();
            assert!(store.is_loaded(&id(1)), "held document was dropped");
            assert_eq!(store.loaded_count(), 3);
            // Evicted documents load again from storage.
            assert!(store.load(&id(2)).await.unwrap());
            assert_eq!(store.read(&id(2), |d| get_i64(d, "n")).unwrap(), Some(2));
            assert!(!store.load(&id(9)).await.unwrap());
        });
    }
}
