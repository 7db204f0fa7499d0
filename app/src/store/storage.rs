//! What the store needs from a persistence backend (IndexedDB in the browser, memory in tests).
//!
//! Layout kept by every backend:
//! - chunks: per document an ordered list of byte chunks (`seq` increasing). Loading a document is loading
//!   the concatenation of its chunks: a snapshot (from `save`) followed by incremental change chunks.
//! - meta: per document a [`DocMeta`] (heads, chunk count, stored sync state, unacknowledged local edits).
//! - views: per record the JSON of its materialized view.
//! - kv: small values (the remembered session).

use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::domain::DocId;

/// What the store remembers about one document besides its chunks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocMeta {
    /// The document's heads as hex strings, as of its last written chunk.
    pub heads: Vec<String>,
    /// How many chunks the document has now (compaction resets this to 1).
    pub chunks: u32,
    /// The `seq` the next chunk gets.
    pub next_seq: u32,
    /// The encoded `automerge::sync::State` with the relay (only shared heads survive encoding), so a
    /// reconnect sends only what changed since.
    #[serde(default)]
    pub sync_state: Option<Vec<u8>>,
    /// The document's kind (`lead`, …, `money`, …) when known locally (set on creation), so queued
    /// creations sync main documents before their companions.
    #[serde(default)]
    pub kind: Option<String>,
    /// Human summaries of local edits the relay has not acknowledged yet (shown if it refuses them).
    #[serde(default)]
    pub pending_edits: Vec<String>,
}

/// One document's part of a batched write: its new chunk (`seq`, bytes), if any, and its metadata.
pub type ChunkWrite = (DocId, Option<(u32, Vec<u8>)>, DocMeta);

/// What one burst of received changes writes, atomically: documents' new chunks and metadata, and the
/// views rebuilt from them.
#[derive(Debug, Default)]
pub struct WriteBatch {
    pub docs: Vec<ChunkWrite>,
    /// Views to put (`Some(json)`) or delete (`None`), by record id.
    pub views: Vec<(DocId, Option<String>)>,
}

impl WriteBatch {
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty() && self.views.is_empty()
    }
}

/// Which stored views a start-up read wants, by record kind (`lead`, `customer`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewKinds {
    All,
    Only(&'static str),
    AllBut(&'static str),
}

impl ViewKinds {
    /// The kind of a view's JSON, read from its first field (views are tagged first: `{"kind":"lead",…`).
    pub fn kind_of(json: &str) -> Option<&str> {
        let rest = json.strip_prefix("{\"kind\":\"")?;
        rest.split_once('"').map(|(k, _)| k)
    }

    /// Whether a view of kind `kind` (None: unknown) is wanted.
    pub fn wants_kind(self, kind: Option<&str>) -> bool {
        match self {
            ViewKinds::All => true,
            ViewKinds::Only(k) => kind == Some(k),
            ViewKinds::AllBut(k) => kind != Some(k),
        }
    }

    pub fn wants(self, json: &str) -> bool {
        self.wants_kind(Self::kind_of(json))
    }
}

/// A persistence backend. Single-threaded (the browser), hence no `Send` bounds.
#[allow(async_fn_in_trait)]
pub trait Storage {
    /// All chunks of `doc` in `seq` order; empty when the document is not stored.
    async fn chunks(&self, doc: &DocId) -> Result<Vec<Vec<u8>>, StoreError>;
    /// Appends chunk `seq` and writes `meta` in one atomic step. Resolves once durable.
    async fn append_chunk(&self, doc: &DocId, seq: u32, bytes: Vec<u8>, meta: &DocMeta) -> Result<(), StoreError>;
    /// Writes many documents' new chunks (optional: metadata-only entries) and metadata in one atomic step
    /// (a burst of received changes).
    async fn append_chunks(&self, items: Vec<ChunkWrite>) -> Result<(), StoreError> {
        for (doc, chunk, meta) in items {
            match chunk {
                Some((seq, bytes)) => self.append_chunk(&doc, seq, bytes, &meta).await?,
                None => self.put_meta(&doc, &meta).await?,
            }
        }
        Ok(())
    }
    /// Replaces every chunk of `doc` with `seq < snapshot_seq` by the snapshot at `snapshot_seq`, and writes
    /// `meta`, atomically (compaction).
    async fn compact(
        &self,
        doc: &DocId,
        snapshot_seq: u32,
        snapshot: Vec<u8>,
        meta: &DocMeta,
    ) -> Result<(), StoreError>;
    async fn meta(&self, doc: &DocId) -> Result<Option<DocMeta>, StoreError>;
    async fn put_meta(&self, doc: &DocId, meta: &DocMeta) -> Result<(), StoreError>;
    async fn all_meta(&self) -> Result<Vec<(DocId, DocMeta)>, StoreError>;
    /// The ids of every stored document (those with metadata) as stored, without reading the metadata
    /// (nor checking each id: a start-up path).
    async fn doc_keys(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.all_meta().await?.into_iter().map(|(id, _)| id.as_str().to_string()).collect())
    }
    /// Deletes a document's chunks and metadata.
    async fn delete_doc(&self, doc: &DocId) -> Result<(), StoreError>;
    async fn put_view(&self, record: &DocId, json: String) -> Result<(), StoreError>;
    async fn get_view(&self, record: &DocId) -> Result<Option<String>, StoreError>;
    /// Writes many views at once (one transaction where the backend has them).
    async fn put_views(&self, views: Vec<(DocId, String)>) -> Result<(), StoreError> {
        for (id, json) in views {
            self.put_view(&id, json).await?;
        }
        Ok(())
    }
    async fn delete_view(&self, record: &DocId) -> Result<(), StoreError>;
    /// Writes a [`WriteBatch`] in one atomic step where the backend can (one IndexedDB transaction).
    async fn write_batch(&self, batch: WriteBatch) -> Result<(), StoreError> {
        self.append_chunks(batch.docs).await?;
        let mut puts = Vec::new();
        for (id, json) in batch.views {
            match json {
                Some(json) => puts.push((id, json)),
                None => self.delete_view(&id).await?,
            }
        }
        if !puts.is_empty() {
            self.put_views(puts).await?;
        }
        Ok(())
    }
    async fn all_views(&self) -> Result<Vec<(DocId, String)>, StoreError>;
    /// Calls `f` with the JSON of every stored view `which` selects (the start-up read), without collecting
    /// them first.
    async fn each_view(&self, which: ViewKinds, f: &mut dyn FnMut(&str)) -> Result<(), StoreError> {
        for (_, json) in self.all_views().await? {
            if which.wants(&json) {
                f(&json);
            }
        }
        Ok(())
    }
    /// How many views changed since the last [`Storage::repack`] (backends without packs: 0).
    async fn unpacked_views(&self) -> Result<usize, StoreError> {
        Ok(0)
    }
    /// Rewrites the start-up packs from the current views, so [`Storage::all_views`] stays fast.
    async fn repack(&self) -> Result<(), StoreError> {
        Ok(())
    }
    async fn get_kv(&self, key: &str) -> Result<Option<String>, StoreError>;
    async fn put_kv(&self, key: &str, value: Option<String>) -> Result<(), StoreError>;
    /// Forgets everything (sign-out).
    async fn clear(&self) -> Result<(), StoreError>;
}
