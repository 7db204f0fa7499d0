//! An in-memory [`Storage`] for tests: the same layout as IndexedDB, in `BTreeMap`s.

use std::cell::RefCell;
use std::collections::BTreeMap;

use super::{DocMeta, Storage, StoreError, WriteBatch};
use crate::domain::DocId;

#[derive(Default)]
struct Tables {
    chunks: BTreeMap<(DocId, u32), Vec<u8>>,
    meta: BTreeMap<DocId, DocMeta>,
    views: BTreeMap<DocId, String>,
    kv: BTreeMap<String, String>,
}

/// Storage that lives as long as the value; writes and per-document reads are counted so tests can see
/// what reached storage.
#[derive(Default)]
pub struct MemoryStorage {
    tables: RefCell<Tables>,
    writes: RefCell<u64>,
    reads: RefCell<u64>,
}

impl MemoryStorage {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many chunks `doc` has.
    pub fn chunk_count(&self, doc: &DocId) -> usize {
        self.tables.borrow().chunks.keys().filter(|(d, _)| d == doc).count()
    }

    /// How many write operations have happened.
    pub fn writes(&self) -> u64 {
        *self.writes.borrow()
    }

    fn wrote(&self) {
        *self.writes.borrow_mut() += 1;
    }

    /// How many single-document reads (chunks, metadata, a view) have happened.
    pub fn reads(&self) -> u64 {
        *self.reads.borrow()
    }

    fn read(&self) {
        *self.reads.borrow_mut() += 1;
    }
}

impl Storage for MemoryStorage {
    async fn chunks(&self, doc: &DocId) -> Result<Vec<Vec<u8>>, StoreError> {
        self.read();
        let t = self.tables.borrow();
        Ok(t.chunks.range((doc.clone(), 0)..=(doc.clone(), u32::MAX)).map(|(_, b)| b.clone()).collect())
    }

    async fn append_chunk(&self, doc: &DocId, seq: u32, bytes: Vec<u8>, meta: &DocMeta) -> Result<(), StoreError> {
        let mut t = self.tables.borrow_mut();
        t.chunks.insert((doc.clone(), seq), bytes);
        t.meta.insert(doc.clone(), meta.clone());
        self.wrote();
        Ok(())
    }

    async fn compact(
        &self,
        doc: &DocId,
        snapshot_seq: u32,
        snapshot: Vec<u8>,
        meta: &DocMeta,
    ) -> Result<(), StoreError> {
        let mut t = self.tables.borrow_mut();
        t.chunks.retain(|(d, s), _| d != doc || *s > snapshot_seq);
        t.chunks.insert((doc.clone(), snapshot_seq), snapshot);
        t.meta.insert(doc.clone(), meta.clone());
        self.wrote();
        Ok(())
    }

    async fn meta(&self, doc: &DocId) -> Result<Option<DocMeta>, StoreError> {
        self.read();
        Ok(self.tables.borrow().meta.get(doc).cloned())
    }

    async fn put_meta(&self, doc: &DocId, meta: &DocMeta) -> Result<(), StoreError> {
        self.tables.borrow_mut().meta.insert(doc.clone(), meta.clone());
        self.wrote();
        Ok(())
    }

    async fn all_meta(&self) -> Result<Vec<(DocId, DocMeta)>, StoreError> {
        Ok(self.tables.borrow().meta.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }

    async fn delete_doc(&self, doc: &DocId) -> Result<(), StoreError> {
        let mut t = self.tables.borrow_mut();
        t.chunks.retain(|(d, _), _| d != doc);
        t.meta.remove(doc);
        self.wrote();
        Ok(())
    }

    async fn put_view(&self, record: &DocId, json: String) -> Result<(), StoreError> {
        self.tables.borrow_mut().views.insert(record.clone(), json);
        self.wrote();
        Ok(())
    }

    async fn get_view(&self, record: &DocId) -> Result<Option<String>, StoreError> {
        self.read();
        Ok(self.tables.borrow().views.get(record).cloned())
    }

    async fn delete_view(&self, record: &DocId) -> Result<(), StoreError> {
        self.tables.borrow_mut().views.remove(record);
        self.wrote();
        Ok(())
    }

    async fn all_views(&self) -> Result<Vec<(DocId, String)>, StoreError> {
        Ok(self.tables.borrow().views.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }

    async fn write_batch(&self, batch: WriteBatch) -> Result<(), StoreError> {
        let mut t = self.tables.borrow_mut();
        for (doc, chunk, meta) in batch.docs {
            if let Some((seq, bytes)) = chunk {
                t.chunks.insert((doc.clone(), seq), bytes);
            }
            t.meta.insert(doc, meta);
        }
        for (id, json) in batch.views {
            match json {
                Some(json) => t.views.insert(id, json),
                None => t.views.remove(&id),
            };
        }
        self.wrote();
        Ok(())
    }

    async fn get_kv(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.tables.borrow().kv.get(key).cloned())
    }

    async fn put_kv(&self, key: &str, value: Option<String>) -> Result<(), StoreError> {
        let mut t = self.tables.borrow_mut();
        match value {
            Some(v) => t.kv.insert(key.to_string(), v),
            None => t.kv.remove(key),
        };
        self.wrote();
        Ok(())
    }

    async fn clear(&self) -> Result<(), StoreError> {
        *self.tables.borrow_mut() = Tables::default();
        self.wrote();
        Ok(())
    }
}
