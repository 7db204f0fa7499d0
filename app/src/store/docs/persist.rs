//! Writing loaded documents to storage: one chunk per persist, many documents per batch, compaction, and
//! replacing a document by another copy.

use automerge::AutoCommit;

use super::{heads_hex, DocStore, Loaded, COMPACT_AFTER_CHUNKS};
use crate::domain::DocId;
use crate::store::{ChunkWrite, DocMeta, Storage, StoreError, WriteBatch};

/// What [`DocStore::take_writes`] produced: the batch part to write, and the documents to compact after.
#[derive(Debug, Default)]
pub struct TakenWrites {
    pub writes: Vec<ChunkWrite>,
    pub compact: Vec<DocId>,
}

impl<S: Storage> DocStore<S> {
    /// Writes whatever changed in `id` since its last chunk (local or received changes) as a new chunk,
    /// compacting when the document has too many.
    pub async fn persist(&self, id: &DocId) -> Result<(), StoreError> {
        let (seq, bytes, meta) = {
            let mut loaded = self.loaded.borrow_mut();
            let Some(l) = loaded.get_mut(id) else { return Ok(()) };
            let bytes = l.doc.save_incremental();
            if bytes.is_empty() {
                return Ok(());
            }
            let seq = l.meta.next_seq;
            l.meta.next_seq += 1;
            l.meta.chunks += 1;
            l.meta.heads = heads_hex(&l.doc.get_heads());
            (seq, bytes, l.meta.clone())
        };
        self.mark_stored(id);
        self.storage.append_chunk(id, seq, bytes, &meta).await?;
        self.save_pending().await?;
        if meta.chunks >= COMPACT_AFTER_CHUNKS {
            self.compact(id).await?;
        }
        Ok(())
    }

    /// Like [`DocStore::persist`], also setting the document's sync state: one write for both (received
    /// changes), or a metadata-only write when only the sync state moved.
    pub async fn persist_with_sync_state(&self, id: &DocId, state: Option<Vec<u8>>) -> Result<(), StoreError> {
        let meta_only = {
            let mut loaded = self.loaded.borrow_mut();
            let Some(l) = loaded.get_mut(id) else { return Ok(()) };
            let moved = l.meta.sync_state != state;
            l.meta.sync_state = state;
            let unchanged = heads_hex(&l.doc.get_heads()) == l.meta.heads;
            (moved && unchanged).then(|| l.meta.clone())
        };
        match meta_only {
            Some(meta) => {
                self.mark_stored(id);
                self.storage.put_meta(id, &meta).await
            }
            None => self.persist(id).await,
        }
    }

    /// Takes what changed in each loaded document of `items` since its last chunk, with its new sync state,
    /// as batch entries (a metadata-only entry when only the sync state moved). The documents count as
    /// stored from here on: write the result before anything else reads storage.
    pub fn take_writes(&self, items: Vec<(DocId, Option<Vec<u8>>)>) -> TakenWrites {
        let mut out = TakenWrites::default();
        let mut loaded = self.loaded.borrow_mut();
        for (id, state) in items {
            let Some(l) = loaded.get_mut(&id) else { continue };
            let moved = l.meta.sync_state != state;
            l.meta.sync_state = state;
            let bytes = l.doc.save_incremental();
            if bytes.is_empty() {
                if moved {
                    self.mark_stored(&id);
                    out.writes.push((id, None, l.meta.clone()));
                }
                continue;
            }
            let seq = l.meta.next_seq;
            l.meta.next_seq += 1;
            l.meta.chunks += 1;
            l.meta.heads = heads_hex(&l.doc.get_heads());
            if l.meta.chunks >= COMPACT_AFTER_CHUNKS {
                out.compact.push(id.clone());
            }
            self.mark_stored(&id);
            out.writes.push((id, Some((seq, bytes)), l.meta.clone()));
        }
        out
    }

    /// Persists many documents at once, each with its sync state (see
    /// [`DocStore::persist_with_sync_state`]): one storage transaction for a burst of received changes.
    pub async fn persist_many(&self, items: Vec<(DocId, Option<Vec<u8>>)>) -> Result<(), StoreError> {
        let taken = self.take_writes(items);
        self.storage.write_batch(WriteBatch { docs: taken.writes, views: Vec::new() }).await?;
        self.compact_all(&taken.compact).await
    }

    /// Compacts each of `ids` (after a batch that took them over [`COMPACT_AFTER_CHUNKS`]).
    pub async fn compact_all(&self, ids: &[DocId]) -> Result<(), StoreError> {
        for id in ids {
            self.compact(id).await?;
        }
        Ok(())
    }

    /// Replaces a document's chunks by one snapshot.
    pub async fn compact(&self, id: &DocId) -> Result<(), StoreError> {
        let (seq, snapshot, meta) = {
            let mut loaded = self.loaded.borrow_mut();
            let Some(l) = loaded.get_mut(id) else { return Ok(()) };
            let snapshot = l.doc.save();
            let seq = l.meta.next_seq;
            l.meta.next_seq += 1;
            l.meta.chunks = 1;
            l.meta.heads = heads_hex(&l.doc.get_heads());
            (seq, snapshot, l.meta.clone())
        };
        self.mark_stored(id);
        self.storage.compact(id, seq, snapshot, &meta).await
    }

    /// Replaces a document by `doc` (the relay's copy after a refusal): its chunks and sync state are
    /// dropped, holds and kind kept, and `doc` is persisted.
    pub async fn replace(&self, id: &DocId, doc: AutoCommit) -> Result<(), StoreError> {
        let (holds, kind) = match self.loaded.borrow().get(id) {
            Some(l) => (l.holds, l.meta.kind.clone()),
            None => (0, None),
        };
        let kind = match kind {
            Some(k) => Some(k),
            None => self.stored_meta(id).await?.and_then(|m| m.kind),
        };
        self.storage.delete_doc(id).await?;
        // The relay's copy has no edits of ours waiting.
        self.track_pending(id, 0);
        let last_used = self.touch();
        let meta = DocMeta { kind, ..DocMeta::default() };
        self.loaded.borrow_mut().insert(id.clone(), Loaded { doc, meta, holds, last_used });
        self.persist(id).await
    }
}
