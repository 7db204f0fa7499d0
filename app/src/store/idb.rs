//! The IndexedDB [`Storage`] (database `crm`, one per browser profile and origin).
//!
//! Object stores: `chunks` (key `[docId, seq]`, value `Uint8Array`), `meta` (key docId, value JSON of
//! [`DocMeta`]), `views` (key record id, value the view's JSON), `kv` (key string, value string), and for
//! a fast start `view_packs` (thousands of views per record) with `view_dirty` (ids changed since packing).
//! Every write awaits its transaction's completion, so "resolved" means durable.

use idb::{Database, DatabaseEvent, Factory, KeyRange, ObjectStoreParams, Query, TransactionMode};
use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsValue;

use super::{storage::ChunkWrite, DocMeta, Storage, StoreError};
use crate::domain::DocId;

const DB_NAME: &str = "crm";
const DB_VERSION: u32 = 2;
const CHUNKS: &str = "chunks";
const META: &str = "meta";
const VIEWS: &str = "views";
const KV: &str = "kv";
/// Views packed many to a record (`id\tjson` lines), rebuilt by [`Storage::repack`].
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
        let pairs: Vec<(String, String)> =
            keys.into_iter().zip(values).filter_map(|(k, v)| Some((k.as_string()?, v.as_string()?))).collect();
        for (n, chunk) in pairs.chunks(VIEWS_PER_PACK).enumerate() {
            let mut text = String::new();
            for (id, json) in chunk {
                text.push_str(id);
                text.push('\t');
                text.push_str(json);
                text.push('\n');
            }
            packs.put(&JsValue::from_str(&text), Some(&JsValue::from_f64(n as f64))).map_err(err)?;
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
