//! The user's index document: which documents this device should hold. Applying a new version deletes what
//! left it.

use std::collections::{BTreeMap, BTreeSet};

use super::Replica;
pub use crate::domain::docs::{read_index, IndexEntry};
use crate::domain::{DocId, FieldGroup, RecordView};
use crate::store::{Storage, StoreError};

/// The kv key under which the last applied index (its doc ids) is kept.
const INDEX_KEY: &str = "index_docs";

/// What changed when a new version of the index was applied.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IndexDiff {
    pub added: Vec<DocId>,
    /// Deleted from the device.
    pub removed: Vec<DocId>,
    /// Records whose views were removed (`None`) or rebuilt because of it.
    pub touched_records: Vec<(DocId, Option<RecordView>)>,
}

impl<S: Storage> Replica<S> {
    /// The index as last applied.
    pub fn index(&self) -> BTreeMap<DocId, IndexEntry> {
        self.index.borrow().clone()
    }

    /// Applies the (loaded) index document: remembers its entries, deletes from the device every document
    /// that was in the previous index and is not in this one, and removes or rebuilds the views concerned.
    pub async fn apply_index(&self, index_doc: &DocId) -> Result<IndexDiff, StoreError> {
        self.docs.load(index_doc).await?;
        let Some(entries) = self.docs.read(index_doc, read_index) else { return Ok(IndexDiff::default()) };
        let previous: BTreeSet<DocId> = match self.storage().get_kv(INDEX_KEY).await? {
            Some(json) => serde_json::from_str(&json).unwrap_or_default(),
            None => BTreeSet::new(),
        };
        let current: BTreeSet<DocId> = entries.keys().cloned().collect();
        let mut diff = IndexDiff {
            added: current.difference(&previous).cloned().collect(),
            removed: previous.difference(&current).cloned().collect(),
            touched_records: Vec::new(),
        };
        let old = std::mem::replace(&mut *self.index.borrow_mut(), entries);
        for id in &diff.removed {
            let record = old.get(id).map(|e| e.record.clone()).unwrap_or_else(|| id.clone());
            self.docs.delete(id).await?;
            let view = if &record == id {
                self.drop_view(id).await?;
                None
            } else {
                self.refresh_view(&record).await?
            };
            diff.touched_records.push((record, view));
        }
        let json = serde_json::to_string(&current).map_err(StoreError::storage)?;
        self.storage().put_kv(INDEX_KEY, Some(json)).await?;
        Ok(diff)
    }
}

/// `FieldGroup` of an index entry's kind, if it names a companion.
pub fn entry_group(entry: &IndexEntry) -> Option<FieldGroup> {
    FieldGroup::parse(&entry.kind).filter(|g| *g != FieldGroup::Base)
}
