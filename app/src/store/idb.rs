//! The IndexedDB [`Storage`] (database `crm`, one per browser profile and origin).
//!
//! Object stores: `chunks` (key `[docId, seq]`, value `Uint8Array`), `meta` (key docId, value JSON of
//! [`DocMeta`]), `views` (key record id, value the view's JSON), `kv` (key string, value string), and for
//! a fast start `view_packs` (thousands of views per record) with `view_dirty` (ids changed since packing).
//! Every write awaits its transaction's completion, so "resolved" means durable.

use idb::{Database, DatabaseEvent, Factory, KeyRange, ObjectStoreParams, Query, TransactionMode};
use js_sys::{Array, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use super::{storage::ChunkWrite, DocMeta, Storage, StoreError, ViewKinds, WriteBatch};
use crate::domain::DocId;

const DB_NAME: &str = "crm";
const DB_VERSION: u32 = 2;
const CHUNKS: &str = "chunks";
const META: &str = "meta";
const VIEWS: &str = "views";
const KV: &str = "kv";
/// Views packed many to a record (`id\tjson` lines, keyed `kind/n`), rebuilt by [`Storage::repack`].
const PACKS: &str = "view_packs";
/// Ids of views written or deleted since the last repack.
const DIRTY: &str = "view_dirty";
const VIEWS_PER_PACK: usize = 2000;
/// Up to this many loose views are fetched one by one at start-up; more and the whole store is read.
const MAX_DIRTY_READS: usize = 3000;
const ALL_STORES: [&str; 6] = [CHUNKS, META, VIEWS, KV, PACKS, DIRTY];

/// IndexedDB storage.
pub struct IdbStorage {
    db: Database,
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError::storage(e)
}

fn chunk_key(doc: &DocId, seq: u32) -> JsValue {
    Array::of2(&JsValue::from_str(doc.as_str()), &JsValue::from_f64(f64::from(seq))).into()
}

fn doc_range(doc: &DocId, below: u32) -> Result<Query, StoreError> {
    Ok(KeyRange::bound(&chunk_key(doc, 0), &chunk_key(doc, below), None, None).map_err(err)?.into())
}

fn meta_json(meta: &DocMeta) -> Result<JsValue, StoreError> {
    serde_json::to_string(meta).map(|s| JsValue::from_str(&s)).map_err(err)
}

impl IdbStorage {
    /// Opens (creating or upgrading) the database.
    pub async fn open() -> Result<Self, StoreError> {
        let factory = Factory::new().map_err(err)?;
        let mut req = factory.open(DB_NAME, Some(DB_VERSION)).map_err(err)?;
        req.on_upgrade_needed(|event| {
            let Ok(db) = event.database() else { return };
            let names = db.store_names();
            for name in ALL_STORES {
                if !names.iter().any(|n| n == name) {
                    // An upgrade failure aborts the open request, which `open` then reports.
                    let _ = db.create_object_store(name, ObjectStoreParams::new());
                }
            }
        });
        let db = req.await.map_err(err)?;
        Ok(IdbStorage { db })
    }

    async fn put(&self, store: &str, key: JsValue, value: JsValue) -> Result<(), StoreError> {
        let tx = self.db.transaction(&[store], TransactionMode::ReadWrite).map_err(err)?;
        tx.object_store(store).map_err(err)?.put(&value, Some(&key)).map_err(err)?.await.map_err(err)?;
        tx.commit().map_err(err)?.await.map_err(err)?;
        Ok(())
    }

    async fn delete(&self, store: &str, key: Query) -> Result<(), StoreError> {
        let tx = self.db.transaction(&[store], TransactionMode::ReadWrite).map_err(err)?;
        tx.object_store(store).map_err(err)?.delete(key).map_err(err)?.await.map_err(err)?;
        tx.commit().map_err(err)?.await.map_err(err)?;
        Ok(())
    }

    async fn get_string(&self, store: &str, key: &str) -> Result<Option<String>, StoreError> {
        let tx = self.db.transaction(&[store], TransactionMode::ReadOnly).map_err(err)?;
        let v = tx.object_store(store).map_err(err)?.get(JsValue::from_str(key)).map_err(err)?.await.map_err(err)?;
        Ok(v.and_then(|v| v.as_string()))
    }

    /// Every (key, string value) of a store, read in one transaction.
    async fn all_strings(&self, store: &str) -> Result<Vec<(String, String)>, StoreError> {
        let tx = self.db.transaction(&[store], TransactionMode::ReadOnly).map_err(err)?;
        let os = tx.object_store(store).map_err(err)?;
        let keys = os.get_all_keys(None, None).map_err(err)?.await.map_err(err)?;
        let values = os.get_all(None, None).map_err(err)?.await.map_err(err)?;
        Ok(keys.into_iter().zip(values).filter_map(|(k, v)| Some((k.as_string()?, v.as_string()?))).collect())
    }
}

impl Storage for IdbStorage {
    async fn chunks(&self, doc: &DocId) -> Result<Vec<Vec<u8>>, StoreError> {
        let tx = self.db.transaction(&[CHUNKS], TransactionMode::ReadOnly).map_err(err)?;
        let values = tx
            .object_store(CHUNKS)
            .map_err(err)?
            .get_all(Some(doc_range(doc, u32::MAX)?), None)
            .map_err(err)?
            .await
            .map_err(err)?;
        Ok(values.into_iter().map(|v| Uint8Array::new(&v).to_vec()).collect())
    }

    async fn append_chunk(&self, doc: &DocId, seq: u32, bytes: Vec<u8>, meta: &DocMeta) -> Result<(), StoreError> {
        let tx = self.db.transaction(&[CHUNKS, META], TransactionMode::ReadWrite).map_err(err)?;
        let value: JsValue = Uint8Array::from(bytes.as_slice()).into();
        tx.object_store(CHUNKS)
            .map_err(err)?
            .put(&value, Some(&chunk_key(doc, seq)))
            .map_err(err)?
            .await
            .map_err(err)?;
        let key = JsValue::from_str(doc.as_str());
        tx.object_store(META).map_err(err)?.put(&meta_json(meta)?, Some(&key)).map_err(err)?.await.map_err(err)?;
        tx.commit().map_err(err)?.await.map_err(err)?;
        Ok(())
    }

    async fn append_chunks(&self, items: Vec<ChunkWrite>) -> Result<(), StoreError> {
        if items.is_empty() {
            return Ok(());
        }
        let tx = self.db.transaction(&[CHUNKS, META], TransactionMode::ReadWrite).map_err(err)?;
        let chunks = tx.object_store(CHUNKS).map_err(err)?;
        let metas = tx.object_store(META).map_err(err)?;
        for (doc, chunk, meta) in items {
            if let Some((seq, bytes)) = chunk {
                let value: JsValue = Uint8Array::from(bytes.as_slice()).into();
                chunks.put(&value, Some(&chunk_key(&doc, seq))).map_err(err)?;
            }
            metas.put(&meta_json(&meta)?, Some(&JsValue::from_str(doc.as_str()))).map_err(err)?;
        }
        tx.commit().map_err(err)?.await.map_err(err)?;
        Ok(())
    }

    async fn compact(
        &self,
        doc: &DocId,
        snapshot_seq: u32,
        snapshot: Vec<u8>,
        meta: &DocMeta,
    ) -> Result<(), StoreError> {
        let tx = self.db.transaction(&[CHUNKS, META], TransactionMode::ReadWrite).map_err(err)?;
        let chunks = tx.object_store(CHUNKS).map_err(err)?;
        chunks.delete(doc_range(doc, snapshot_seq)?).map_err(err)?.await.map_err(err)?;
        let value: JsValue = Uint8Array::from(snapshot.as_slice()).into();
        chunks.put(&value, Some(&chunk_key(doc, snapshot_seq))).map_err(err)?.await.map_err(err)?;
        let key = JsValue::from_str(doc.as_str());
        tx.object_store(META).map_err(err)?.put(&meta_json(meta)?, Some(&key)).map_err(err)?.await.map_err(err)?;
        tx.commit().map_err(err)?.await.map_err(err)?;
        Ok(())
    }

    async fn meta(&self, doc: &DocId) -> Result<Option<DocMeta>, StoreError> {
        match self.get_string(META, doc.as_str()).await? {
            Some(s) => serde_json::from_str(&s).map(Some).map_err(|e| StoreError::corrupt(doc, e)),
            None => Ok(None),
        }
    }

    async fn put_meta(&self, doc: &DocId, meta: &DocMeta) -> Result<(), StoreError> {
        self.put(META, JsValue::from_str(doc.as_str()), meta_json(meta)?).await
    }

    async fn all_meta(&self) -> Result<Vec<(DocId, DocMeta)>, StoreError> {
        Ok(self
            .all_strings(META)
            .await?
            .into_iter()
            .filter_map(|(k, v)| Some((DocId::parse(&k).ok()?, serde_json::from_str(&v).ok()?)))
            .collect())
    }

    async fn doc_keys(&self) -> Result<Vec<String>, StoreError> {
        let tx = self.db.transaction(&[META], TransactionMode::ReadOnly).map_err(err)?;
        let keys = tx.object_store(META).map_err(err)?.get_all_keys(None, None).map_err(err)?.await.map_err(err)?;
        Ok(keys.into_iter().filter_map(|k| k.as_string()).collect())
    }

    /// Chunks, metadata and views of a burst in one transaction: requests of one transaction complete in
    /// order, so only the commit is awaited.
    async fn write_batch(&self, batch: WriteBatch) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let tx = self.db.transaction(&[CHUNKS, META, VIEWS, DIRTY], TransactionMode::ReadWrite).map_err(err)?;
        let chunks = tx.object_store(CHUNKS).map_err(err)?;
        let metas = tx.object_store(META).map_err(err)?;
        for (doc, chunk, meta) in batch.docs {
            if let Some((seq, bytes)) = chunk {
                let value: JsValue = Uint8Array::from(bytes.as_slice()).into();
                chunks.put(&value, Some(&chunk_key(&doc, seq))).map_err(err)?;
            }
            metas.put(&meta_json(&meta)?, Some(&JsValue::from_str(doc.as_str()))).map_err(err)?;
        }
        let views = tx.object_store(VIEWS).map_err(err)?;
        let dirty = tx.object_store(DIRTY).map_err(err)?;
        for (id, json) in batch.views {
            let key = JsValue::from_str(id.as_str());
            match json {
                Some(json) => {
                    views.put(&JsValue::from_str(&json), Some(&key)).map_err(err)?;
                }
                None => {
                    views.delete(key.clone()).map_err(err)?;
                }
            }
            dirty.put(&JsValue::TRUE, Some(&key)).map_err(err)?;
        }
        tx.commit().map_err(err)?.await.map_err(err)?;
        Ok(())
    }

    async fn delete_doc(&self, doc: &DocId) -> Result<(), StoreError> {
        let tx = self.db.transaction(&[CHUNKS, META], TransactionMode::ReadWrite).map_err(err)?;
        tx.object_store(CHUNKS).map_err(err)?.delete(doc_range(doc, u32::MAX)?).map_err(err)?.await.map_err(err)?;
        tx.object_store(META).map_err(err)?.delete(JsValue::from_str(doc.as_str())).map_err(err)?.await.map_err(err)?;
        tx.commit().map_err(err)?.await.map_err(err)?;
        Ok(())
    }

    async fn put_view(&self, record: &DocId, json: String) -> Result<(), StoreError> {
        self.put_views(vec![(record.clone(), json)]).await
    }

    async fn get_view(&self, record: &DocId) -> Result<Option<String>, StoreError> {
        self.get_string(VIEWS, record.as_str()).await
    }

    async fn put_views(&self, views: Vec<(DocId, String)>) -> Result<(), StoreError> {
        let tx = self.db.transaction(&[VIEWS, DIRTY], TransactionMode::ReadWrite).map_err(err)?;
        let os = tx.object_store(VIEWS).map_err(err)?;
        let dirty = tx.object_store(DIRTY).map_err(err)?;
        for (id, json) in views {
            let key = JsValue::from_str(id.as_str());
            // Requests of one transaction complete in order; awaiting only the commit is enough.
            os.put(&JsValue::from_str(&json), Some(&key)).map_err(err)?;
            dirty.put(&JsValue::TRUE, Some(&key)).map_err(err)?;
        }
        tx.commit().map_err(err)?.await.map_err(err)?;
        Ok(())
    }

    async fn delete_view(&self, record: &DocId) -> Result<(), StoreError> {
        let tx = self.db.transaction(&[VIEWS, DIRTY], TransactionMode::ReadWrite).map_err(err)?;
        let key = JsValue::from_str(record.as_str());
        tx.object_store(VIEWS).map_err(err)?.delete(key.clone()).map_err(err)?;
        tx.object_store(DIRTY).map_err(err)?.put(&JsValue::TRUE, Some(&key)).map_err(err)?;
        tx.commit().map_err(err)?.await.map_err(err)?;
        Ok(())
    }

    /// Packs first, then the views written or deleted since they were made. Reading tens of thousands of
    /// small records costs seconds in IndexedDB; a few large pack strings cost milliseconds.
    async fn all_views(&self) -> Result<Vec<(DocId, String)>, StoreError> {
        let tx = self.db.transaction(&[VIEWS, DIRTY, PACKS], TransactionMode::ReadOnly).map_err(err)?;
        let dirty_keys =
            tx.object_store(DIRTY).map_err(err)?.get_all_keys(None, None).map_err(err)?.await.map_err(err)?;
        if dirty_keys.len() > MAX_DIRTY_READS {
            // Too many loose views to fetch one by one: read them all (the next repack fixes this).
            drop(tx);
            return Ok(self
                .all_strings(VIEWS)
                .await?
                .into_iter()
                .filter_map(|(k, v)| Some((DocId::parse(&k).ok()?, v)))
                .collect());
        }
        let packs = tx.object_store(PACKS).map_err(err)?.get_all(None, None).map_err(err)?.await.map_err(err)?;
        let mut views: std::collections::BTreeMap<DocId, String> = std::collections::BTreeMap::new();
        for pack in packs {
            let Some(text) = pack.as_string() else { continue };
            for line in text.lines() {
                let Some((id, json)) = line.split_once('\t') else { continue };
                if let Ok(id) = DocId::parse(id) {
                    views.insert(id, json.to_string());
                }
            }
        }
        let os = tx.object_store(VIEWS).map_err(err)?;
        for key in dirty_keys {
            let Some(id) = key.as_string().and_then(|k| DocId::parse(&k).ok()) else { continue };
            match os.get(key).map_err(err)?.await.map_err(err)?.and_then(|v| v.as_string()) {
                Some(json) => views.insert(id, json),
                None => views.remove(&id),
            };
        }
        Ok(views.into_iter().collect())
    }

    /// Like [`IdbStorage::all_views`], handing each wanted view's JSON to `f` straight from the pack text
    /// (one pack in wasm memory at a time, no per-view copies): the start-up path. Packs are keyed
    /// `kind/n`, so reading one kind reads only its packs.
    async fn each_view(&self, which: ViewKinds, f: &mut dyn FnMut(&str)) -> Result<(), StoreError> {
        let tx = self.db.transaction(&[VIEWS, DIRTY, PACKS], TransactionMode::ReadOnly).map_err(err)?;
        let dirty_keys =
            tx.object_store(DIRTY).map_err(err)?.get_all_keys(None, None).map_err(err)?.await.map_err(err)?;
        if dirty_keys.len() > MAX_DIRTY_READS {
            drop(tx);
            for (_, json) in self.all_strings(VIEWS).await? {
                if which.wants(&json) {
                    f(&json);
                }
            }
            return Ok(());
        }
        let packs = tx.object_store(PACKS).map_err(err)?;
        let (keys, values) = match which {
            ViewKinds::Only(kind) => {
                let range: Query = KeyRange::bound(
                    &JsValue::from_str(&format!("{kind}/")),
                    &JsValue::from_str(&format!("{kind}/\u{ffff}")),
                    None,
                    None,
                )
                .map_err(err)?
                .into();
                let keys = packs.get_all_keys(Some(range.clone()), None).map_err(err)?.await.map_err(err)?;
                let values = packs.get_all(Some(range), None).map_err(err)?.await.map_err(err)?;
                (keys, values)
            }
            _ => {
                let keys = packs.get_all_keys(None, None).map_err(err)?.await.map_err(err)?;
                let values = packs.get_all(None, None).map_err(err)?.await.map_err(err)?;
                (keys, values)
            }
        };
        super::client::mark("crm:packs-fetched");
        // Views changed since packing come from the views store instead (or are gone).
        let dirty: std::collections::HashSet<String> = dirty_keys.iter().filter_map(|k| k.as_string()).collect();
        for (key, pack) in keys.iter().zip(values) {
            // `kind/n`; packs from older builds (numbered) hold every kind.
            let pack_kind = key.as_string().and_then(|k| k.split_once('/').map(|(kind, _)| kind.to_string()));
            if pack_kind.is_some() && !which.wants_kind(pack_kind.as_deref()) {
                continue;
            }
            let Some(text) = pack.as_string() else { continue };
            for line in text.lines() {
                let Some((id, json)) = line.split_once('\t') else { continue };
                if !dirty.contains(id) && (pack_kind.is_some() || which.wants(json)) {
                    f(json);
                }
            }
        }
        let os = tx.object_store(VIEWS).map_err(err)?;
        for key in dirty_keys {
            if let Some(json) = os.get(key).map_err(err)?.await.map_err(err)?.and_then(|v| v.as_string()) {
                if which.wants(&json) {
                    f(&json);
                }
            }
        }
        Ok(())
    }

    async fn unpacked_views(&self) -> Result<usize, StoreError> {
        let tx = self.db.transaction(&[DIRTY], TransactionMode::ReadOnly).map_err(err)?;
        let n = tx.object_store(DIRTY).map_err(err)?.count(None).map_err(err)?.await.map_err(err)?;
        Ok(n as usize)
    }

    /// Rebuilds the packs from the views store in one transaction, so packs plus loose views always equal
    /// the views store. Slow (reads every view); run it when idle.
    async fn repack(&self) -> Result<(), StoreError> {
        let tx = self.db.transaction(&[VIEWS, PACKS, DIRTY], TransactionMode::ReadWrite).map_err(err)?;
        let views = tx.object_store(VIEWS).map_err(err)?;
        let keys = views.get_all_keys(None, None).map_err(err)?.await.map_err(err)?;
        let values = views.get_all(None, None).map_err(err)?.await.map_err(err)?;
        let packs = tx.object_store(PACKS).map_err(err)?;
        packs.clear().map_err(err)?;
        // Built in JS strings, not wasm memory: tens of MB of views would otherwise raise the wasm heap's
        // high-water mark for good. Grouped by kind (`kind/n`), so a start-up can read one kind first.
        let tab = js_sys::JsString::from("\t");
        let mut groups: std::collections::BTreeMap<String, Array> = std::collections::BTreeMap::new();
        for (k, v) in keys.iter().zip(values) {
            let (Some(k), Some(v)) = (k.dyn_ref::<js_sys::JsString>(), v.dyn_ref::<js_sys::JsString>()) else {
                continue;
            };
            // The kind is in the JSON's first few characters: copy only those into wasm.
            let head: String = v.slice(0, 40).into();
            let kind = ViewKinds::kind_of(&head).unwrap_or("other").to_string();
            groups.entry(kind).or_insert_with(Array::new).push(&k.concat(&tab).concat(v));
        }
        for (kind, lines) in groups {
            let lines: Vec<JsValue> = lines.iter().collect();
            for (n, chunk) in lines.chunks(VIEWS_PER_PACK).enumerate() {
                let text: JsValue = chunk.iter().collect::<Array>().join("\n").into();
                packs.put(&text, Some(&JsValue::from_str(&format!("{kind}/{n}")))).map_err(err)?;
            }
        }
        tx.object_store(DIRTY).map_err(err)?.clear().map_err(err)?;
        tx.commit().map_err(err)?.await.map_err(err)?;
        Ok(())
    }

    async fn get_kv(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.get_string(KV, key).await
    }

    async fn put_kv(&self, key: &str, value: Option<String>) -> Result<(), StoreError> {
        match value {
            Some(v) => self.put(KV, JsValue::from_str(key), JsValue::from_str(&v)).await,
            None => self.delete(KV, JsValue::from_str(key).into()).await,
        }
    }

    async fn clear(&self) -> Result<(), StoreError> {
        let tx = self.db.transaction(&ALL_STORES, TransactionMode::ReadWrite).map_err(err)?;
        for s in ALL_STORES {
            tx.object_store(s).map_err(err)?.clear().map_err(err)?.await.map_err(err)?;
        }
        tx.commit().map_err(err)?.await.map_err(err)?;
        Ok(())
    }
}
