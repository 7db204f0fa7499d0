//! The count of local edits the relay has not acknowledged ("3 changes waiting" in the sync badge).
//!
//! Each document's unacknowledged edits are in its `DocMeta::pending_edits`; reading every document's
//! metadata to count them would cost a start-up scan of 50k entries. So the store keeps the counts per
//! document in memory, in step with every metadata change it makes (a local edit, an acknowledgement, a
//! refusal's reset, a deletion), and remembers them under [`PENDING_KEY`] after the metadata write that
//! changed them. Should that small write be lost (a crash between the two), a document's count is put
//! right when it is next loaded or acknowledged.

use std::collections::BTreeMap;

use super::DocStore;
use crate::domain::DocId;
use crate::store::{Storage, StoreError};

/// The storage key of the remembered pending-edit counts (JSON: document id → count).
pub const PENDING_KEY: &str = "pending-edits";

impl<S: Storage> DocStore<S> {
    /// Local edits the relay has not acknowledged yet, over all documents.
    pub fn pending_total(&self) -> usize {
        self.pending.borrow().values().sum()
    }

    /// Calls `f` with the new total whenever it changes (and once now).
    pub fn on_pending(&self, f: impl Fn(usize) + 'static) {
        f(self.pending_total());
        *self.on_pending.borrow_mut() = Some(Box::new(f));
    }

    /// Reads the remembered pending counts (start-up); documents already tracked keep their count.
    pub async fn learn_pending(&self) -> Result<(), StoreError> {
        let Some(json) = self.storage.get_kv(PENDING_KEY).await? else { return Ok(()) };
        // A damaged entry counts nothing: each document's own metadata is corrected when it syncs.
        let stored: BTreeMap<String, usize> = serde_json::from_str(&json).unwrap_or_default();
        {
            let mut pending = self.pending.borrow_mut();
            for (id, n) in stored {
                if let (Ok(id), true) = (DocId::parse(&id), n > 0) {
                    pending.entry(id).or_insert(n);
                }
            }
        }
        self.pending_changed();
        Ok(())
    }

    /// Records `id`'s pending-edit count from its metadata.
    pub(super) fn track_pending(&self, id: &DocId, n: usize) {
        let changed = {
            let mut pending = self.pending.borrow_mut();
            if n == 0 {
                pending.remove(id).is_some()
            } else {
                pending.insert(id.clone(), n) != Some(n)
            }
        };
        if changed {
            self.pending_changed();
        }
    }

    fn pending_changed(&self) {
        self.pending_dirty.set(true);
        if let Some(f) = self.on_pending.borrow().as_ref() {
            f(self.pending_total());
        }
    }

    /// Writes the pending counts if they changed (after the metadata writes that changed them).
    pub(super) async fn save_pending(&self) -> Result<(), StoreError> {
        if !self.pending_dirty.replace(false) {
            return Ok(());
        }
        let json = {
            let pending = self.pending.borrow();
            let map: BTreeMap<&str, usize> = pending.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            serde_json::to_string(&map).map_err(StoreError::storage)?
        };
        self.storage.put_kv(PENDING_KEY, Some(json)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStorage;
    use automerge::{transaction::Transactable, AutoCommit, ROOT};
    use std::cell::Cell;
    use std::rc::Rc;

    fn id(n: u8) -> DocId {
        DocId::from_bytes([n; 16])
    }

    async fn edit(store: &DocStore<MemoryStorage>, n: u8, v: i64) {
        store.change(&id(n), format!("n = {v}"), |d| d.put(ROOT, "n", v).map_err(StoreError::storage)).await.unwrap();
    }

    #[test]
    fn counts_unacknowledged_edits_across_a_reload_until_acknowledged() {
        futures::executor::block_on(async {
            let store = DocStore::new(MemoryStorage::new(), 8);
            let seen = Rc::new(Cell::new(usize::MAX));
            let s2 = seen.clone();
            store.on_pending(move |n| s2.set(n));
            assert_eq!(seen.get(), 0);
            store.insert(&id(1), AutoCommit::new(), None, Some("create".into())).await.unwrap();
            edit(&store, 1, 1).await;
            store.insert(&id(2), AutoCommit::new(), None, None).await.unwrap();
            edit(&store, 2, 1).await;
            assert_eq!((store.pending_total(), seen.get()), (3, 3));

            // A reload (offline): the count is there before any document is loaded.
            let again = DocStore::new(store.into_storage(), 8);
            again.learn_pending().await.unwrap();
            assert_eq!(again.pending_total(), 3);

            // The relay acknowledges document 1 (its edits are cleared): 1 waiting, also after another reload.
            assert!(again.load(&id(1)).await.unwrap());
            again.update_meta(&id(1), |m| m.pending_edits.clear()).await.unwrap();
            assert_eq!(again.pending_total(), 1);
            let third = DocStore::new(again.into_storage(), 8);
            third.learn_pending().await.unwrap();
            assert_eq!(third.pending_total(), 1);
            third.delete(&id(2)).await.unwrap();
            assert_eq!(third.pending_total(), 0);
        });
    }
}
