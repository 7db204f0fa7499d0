//! Document storage: Automerge documents as chunks (a snapshot plus incremental changes appended after it),
//! with per-document metadata kept beside them for fast policy checks.
//!
//! # Layout
//! - `docstore.rs`: the [`DocStore`] trait, [`StoreError`], and [`open_sqlite`].
//! - `docstore/meta.rs`: [`DocMeta`] and [`DocKind`], read from a document's top-level keys.
//! - `docstore/memory.rs`: [`MemoryStore`], for tests.
//! - `docstore/sqlite.rs`: [`SqliteStore`], the default (WAL, group commit, embedded migrations).
//!
//! Every append carries an [`Origin`]: who sent the chunk's changes and when they arrived. It is stored in
//! the same transaction as the chunk (table `doc_provenance`), so a durable change always has its author
//! (ARCHITECTURE.md §11); [`DocStore::provenance`] reads it back per document.
//!
//! The trait is blocking: the sync hub calls it from `spawn_blocking`. `append` returns only once the chunk
//! is durable (committed), which is what lets the relay acknowledge a change. `submit_append` queues a chunk
//! without waiting ([`Pending`]): the hub queues under the document's lock (so chunks are stored in the
//! order they were applied) and waits for durability outside it (so forwarding never waits for the disk).

mod memory;
mod meta;
mod sqlite;

pub use memory::MemoryStore;
pub use meta::{DocKind, DocMeta};
pub use sqlite::SqliteStore;

use app::domain::history::{Author, Provenance};
use app::domain::ops::{IssuedBlock, NumberBlock};
use app::domain::{DocId, Timestamp, UserId};
use automerge::ChangeHash;
use std::path::Path;

/// Who sent the changes of one chunk and when the relay accepted them (one row per change in the store).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub author: Author,
    pub received_at: Timestamp,
    /// The hashes of the changes the chunk adds.
    pub changes: Vec<ChangeHash>,
}

impl Origin {
    /// Changes accepted now from `author`.
    pub fn now(author: Author, changes: Vec<ChangeHash>) -> Origin {
        Origin { author, received_at: Timestamp::from_datetime(chrono::Utc::now()), changes }
    }

    /// Changes made by the relay itself (index and directory documents, demo data), accepted now.
    pub fn relay(changes: Vec<ChangeHash>) -> Origin {
        Origin::now(Author::Relay, changes)
    }

    /// The provenance each of its changes gets.
    pub fn provenance(&self) -> Provenance {
        Provenance { author: self.author.clone(), received_at: self.received_at }
    }
}

/// A storage failure. Never caused by user input: the hub validates documents before storing them.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("storage i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("stored document {id} is corrupt: {reason}")]
    Corrupt { id: String, reason: String },
    #[error("storage writer has stopped")]
    Closed,
}

/// A stored document: its chunks in order (first may be a snapshot), and the sequence number of the last one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Chunks {
    pub chunks: Vec<Vec<u8>>,
    pub last_seq: u64,
}

impl Chunks {
    /// Loads the chunks into one document. Corrupt chunks are an error, not a panic.
    pub fn load(&self, id: &DocId) -> Result<automerge::Automerge, StoreError> {
        let mut doc = automerge::Automerge::new();
        for c in &self.chunks {
            doc.load_incremental(c).map_err(|e| StoreError::Corrupt { id: id.to_string(), reason: e.to_string() })?;
        }
        Ok(doc)
    }
}

/// A queued append: [`Pending::durable`] resolves with the chunk's sequence number once it is committed.
pub enum Pending {
    /// Already done (stores that write synchronously).
    Done(Result<u64, StoreError>),
    /// Queued; the writer answers when the transaction holding it has committed.
    Queued(tokio::sync::oneshot::Receiver<Result<u64, String>>),
}

impl Pending {
    /// Waits (without blocking a thread) until the chunk is durable.
    pub async fn durable(self) -> Result<u64, StoreError> {
        match self {
            Pending::Done(r) => r,
            Pending::Queued(rx) => match rx.await {
                Ok(Ok(seq)) => Ok(seq),
                Ok(Err(e)) => Err(StoreError::Io(std::io::Error::other(e))),
                Err(_) => Err(StoreError::Closed),
            },
        }
    }
}

/// Where documents live. Implementations are cheap to share (`Arc<dyn DocStore>`).
pub trait DocStore: Send + Sync + 'static {
    /// Appends one chunk (incremental changes, or a whole document for a new one) and records `meta` and
    /// the provenance of its changes (`origin`; a change already recorded keeps its first record).
    /// Returns the chunk's sequence number once the write is durable.
    fn append(&self, id: &DocId, chunk: &[u8], meta: &DocMeta, origin: &Origin) -> Result<u64, StoreError>;

    /// Queues one chunk like [`DocStore::append`] and returns at once; chunks queued one after another are
    /// stored in that order. Must not block on the disk (the hub calls it under a document's lock). The
    /// default appends synchronously (fine for the in-memory store).
    fn submit_append(&self, id: DocId, chunk: Vec<u8>, meta: DocMeta, origin: Origin) -> Pending {
        Pending::Done(self.append(&id, &chunk, &meta, &origin))
    }

    /// Appends many chunks (bulk import); each returns once durable. Implementations may commit them
    /// together. The default appends one by one.
    fn append_batch(&self, items: &[(DocId, Vec<u8>, DocMeta, Origin)]) -> Result<Vec<u64>, StoreError> {
        items.iter().map(|(id, chunk, meta, origin)| self.append(id, chunk, meta, origin)).collect()
    }

    /// The provenance recorded for the document's changes (changes stored before provenance was recorded
    /// have none).
    fn provenance(&self, id: &DocId) -> Result<Vec<(ChangeHash, Provenance)>, StoreError>;

    /// Replaces every chunk up to and including `upto_seq` by `snapshot` (a full save of those chunks or
    /// more). Chunks appended after `upto_seq` are kept.
    fn compact(&self, id: &DocId, snapshot: &[u8], upto_seq: u64) -> Result<(), StoreError>;

    /// Removes a document for good: every chunk, its provenance and its metadata (erasure of personal data). Queued after
    /// any append already submitted for it, and durable on return; removing a missing document does nothing.
    fn delete(&self, id: &DocId) -> Result<(), StoreError>;

    /// The document's chunks, or `None` if it was never stored (or was deleted).
    fn load(&self, id: &DocId) -> Result<Option<Chunks>, StoreError>;

    /// Every stored document with its metadata (read once at start; the hub keeps it in memory).
    fn list(&self) -> Result<Vec<(DocId, DocMeta)>, StoreError>;

    /// Issues `count` record numbers of `prefix` in `year` to `user` from the company's counter, which
    /// first moves above `floor` (the highest number already in a stored record). Durable on return, so
    /// a number is never issued twice.
    fn reserve_numbers(
        &self,
        user: &UserId,
        prefix: &str,
        year: i32,
        floor: u32,
        count: u32,
    ) -> Result<NumberBlock, StoreError>;

    /// Every block of numbers issued so far (read once at start).
    fn issued_numbers(&self) -> Result<Vec<IssuedBlock>, StoreError>;
}

/// Opens (creating if needed) the SQLite store in `<data>/crm.sqlite3`.
pub fn open_sqlite(data_dir: &Path) -> Result<SqliteStore, StoreError> {
    std::fs::create_dir_all(data_dir)?;
    SqliteStore::open(&data_dir.join("crm.sqlite3"))
}

#[cfg(test)]
mod contract_tests {
    //! The same behaviour, checked on every implementation.
    use super::*;
    use automerge::{transaction::Transactable, ReadDoc, ROOT};

    fn doc_with(kind: &str, owner: &str) -> automerge::Automerge {
        let mut d = automerge::Automerge::new();
        let mut tx = d.transaction();
        tx.put(ROOT, "kind", kind).unwrap();
        tx.put(ROOT, "owner", owner).unwrap();
        tx.commit();
        d
    }

    pub(crate) fn exercise(store: &dyn DocStore) {
        let id = DocId::from_bytes([5; 16]);
        assert!(store.load(&id).unwrap().is_none());
        let mut doc = doc_with("opportunity", "rep1");
        let meta = DocMeta::read(&doc);
        let by_rep1 = |d: &automerge::Automerge, before: &[ChangeHash]| Origin {
            author: Author::User(UserId::new("rep1")),
            received_at: Timestamp::from_millis(1_000),
            changes: d.get_changes_meta(before).iter().map(|c| c.hash).collect(),
        };
        let s1 = store.append(&id, &doc.save(), &meta, &by_rep1(&doc, &[])).unwrap();
        let heads = doc.get_heads();
        {
            let mut tx = doc.transaction();
            tx.put(ROOT, "owner", "rep2").unwrap();
            tx.commit();
        }
        let meta2 = DocMeta::read(&doc);
        let s2 = store
            .append(
                &id,
                &doc.save_after(&heads),
                &meta2,
                &Origin::relay(doc.get_changes_meta(&heads).iter().map(|c| c.hash).collect()),
            )
            .unwrap();
        assert!(s2 > s1);
        let prov = store.provenance(&id).unwrap();
        assert_eq!(prov.len(), 2);
        let first = prov.iter().find(|(h, _)| *h == heads[0]).unwrap();
        assert_eq!(
            first.1,
            Provenance { author: Author::User(UserId::new("rep1")), received_at: Timestamp::from_millis(1_000) }
        );
        assert!(prov.iter().any(|(h, p)| *h == doc.get_heads()[0] && p.author == Author::Relay));
        let relay_change = doc.get_heads()[0];
        let loaded = store.load(&id).unwrap().unwrap();
        assert_eq!(loaded.chunks.len(), 2);
        assert_eq!(loaded.last_seq, s2);
        let back = loaded.load(&id).unwrap();
        assert_eq!(back.get_heads(), doc.get_heads());
        let list = store.list().unwrap();
        assert_eq!(list, vec![(id.clone(), meta2.clone())]);
        // Compaction keeps later chunks.
        let heads2 = doc.get_heads();
        {
            let mut tx = doc.transaction();
            tx.put(ROOT, "name", "x").unwrap();
            tx.commit();
        }
        let s3 = store.append(&id, &doc.save_after(&heads2), &DocMeta::read(&doc), &Origin::relay(vec![])).unwrap();
        let snap = back.save();
        store.compact(&id, &snap, s2).unwrap();
        let loaded = store.load(&id).unwrap().unwrap();
        assert_eq!(loaded.chunks.len(), 2);
        assert_eq!(loaded.last_seq, s3);
        let back = loaded.load(&id).unwrap();
        assert_eq!(back.get_heads(), doc.get_heads());
        assert_eq!(back.get(ROOT, "name").unwrap().unwrap().0.as_str(), Some("x"));
        // A change offered again keeps its first record (and compaction leaves provenance alone); the one
        // stored without provenance gets it now.
        store.append(&id, &doc.save_after(&heads), &meta2, &by_rep1(&doc, &heads)).unwrap();
        let prov = store.provenance(&id).unwrap();
        assert_eq!(prov.len(), 3);
        assert!(prov.iter().any(|(h, p)| *h == relay_change && p.author == Author::Relay));
        // Deletion removes every chunk and the metadata; other documents stay.
        let other = DocId::from_bytes([6; 16]);
        let erased = DocMeta { pii_erased: true, ..DocMeta::read(&doc_with("contact", "rep1")) };
        store.append(&other, &doc_with("contact", "rep1").save(), &erased, &Origin::relay(Vec::new())).unwrap();
        store.delete(&id).unwrap();
        assert!(store.load(&id).unwrap().is_none());
        assert_eq!(store.list().unwrap(), vec![(other.clone(), erased)]);
        store.delete(&id).unwrap();
        exercise_numbers(store);
    }

    fn exercise_numbers(store: &dyn DocStore) {
        let (rep1, rep2) = (UserId::new("rep1"), UserId::new("rep2"));
        let a = store.reserve_numbers(&rep1, "CUS", 2026, 0, 20).unwrap();
        assert_eq!((a.first, a.last), (1, 20));
        // The counter starts above the highest stored number, and never goes back.
        let b = store.reserve_numbers(&rep2, "CUS", 2026, 57, 5).unwrap();
        assert_eq!((b.first, b.last), (58, 62));
        let c = store.reserve_numbers(&rep1, "CUS", 2026, 3, 1).unwrap();
        assert_eq!((c.first, c.last), (63, 63));
        let d = store.reserve_numbers(&rep1, "OPP", 2026, 0, 2).unwrap();
        assert_eq!((d.first, d.last), (1, 2));
        let issued = store.issued_numbers().unwrap();
        assert_eq!(issued.len(), 4);
        assert_eq!(issued[1], IssuedBlock { user: rep2, block: b });
    }

    #[test]
    fn memory_store_contract() {
        exercise(&MemoryStore::new());
    }

    #[test]
    fn sqlite_store_contract_and_reopen() {
        let dir = std::env::temp_dir().join(format!("crm-docstore-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        {
            let store = open_sqlite(&dir).unwrap();
            exercise(&store);
        }
        let store = open_sqlite(&dir).unwrap();
        assert_eq!(store.list().unwrap().len(), 1, "the deleted document stays deleted");
        assert_eq!(store.issued_numbers().unwrap().len(), 4);
        assert_eq!(store.reserve_numbers(&UserId::new("rep1"), "CUS", 2026, 0, 1).unwrap().first, 64);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
