//! Documents the relay writes itself: the directory (created here, changed by admins through sync or the
//! REST admin endpoints) and each user's index (only ever written here).
//!
//! An index document is `{kind: "index", schema, created_at, created_by: "relay", user, docs: {id: {kind,
//! record}}}`: the record and companion documents the user may read now.

use std::collections::{BTreeMap, BTreeSet};

use app::domain::docs::{write_index, SCHEMA};
use app::domain::{Directory, DocId, UserId};
use automerge::transaction::{Transactable, Transaction};
use automerge::{Automerge, ReadDoc, ROOT};

use super::catalog::IndexEntry;
use super::{Hub, SyncError};
use crate::docstore::{DocMeta, Origin};

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Hub {
    /// Applies `write` to a relay-owned document as one change, stores it, and sends it to the connections
    /// that have it open. `write` gets whether the document is new.
    pub(crate) async fn relay_write(
        &self,
        id: &DocId,
        write: impl FnOnce(&mut Transaction<'_>, bool) -> Result<(), WriteError>,
    ) -> Result<(), SyncError> {
        let mut slot = self.lock_slot(id).await;
        self.ensure_loaded(id, &mut slot).await?;
        let exists = self.cat().exists(id);
        let was_loaded = slot.doc.is_some();
        let doc = slot.doc.get_or_insert_with(Automerge::new);
        let before = doc.get_heads();
        let mut tx = doc.transaction();
        let r = write(&mut tx, !exists);
        if let Err(e) = r {
            tx.rollback();
            return Err(SyncError::Invalid { id: id.to_string(), reason: e.to_string() });
        }
        tx.commit();
        if doc.get_heads() == before {
            return Ok(());
        }
        let chunk = if exists { doc.save_after(&before) } else { doc.save() };
        let meta = DocMeta::read(doc);
        let origin = Origin::relay(doc.get_changes_meta(&before).iter().map(|c| c.hash).collect());
        match self.append(id, chunk, meta.clone(), origin).await {
            Ok(seq) => {
                slot.last_seq = seq;
                slot.chunks += 1;
            }
            Err(e) => {
                // Memory must not run ahead of the store: reload from it next time.
                slot.doc = None;
                if was_loaded {
                    self.loaded_dec();
                }
                return Err(e);
            }
        }
        if !was_loaded {
            self.loaded_inc();
        }
        self.cat_mut().set_meta(id, meta);
        self.fan_out(id, &mut slot, None);
        self.maybe_compact(id, &mut slot);
        self.release_if_idle(&mut slot);
        Ok(())
    }

    /// Creates the directory document if the store has none; loads the directory (and the record numbers
    /// issued so far) into the catalog.
    pub(crate) async fn init_directory(&self) -> Result<(), SyncError> {
        self.load_issued_numbers().await?;
        let id = self.inner.directory_id.clone();
        if !self.cat().exists(&id) {
            let dir = Directory::new();
            self.relay_write(&id, |tx, _| {
                tx.put(ROOT, "kind", "directory")?;
                tx.put(ROOT, "schema", SCHEMA)?;
                tx.put(ROOT, "created_at", now_ms())?;
                tx.put(ROOT, "created_by", "relay")?;
                autosurgeon::reconcile(tx, &dir)?;
                Ok(())
            })
            .await?;
        }
        let doc =
            self.load(&id).await?.ok_or_else(|| SyncError::Invalid { id: id.to_string(), reason: "missing".into() })?;
        let dir: Directory =
            autosurgeon::hydrate(&doc).map_err(|e| SyncError::Invalid { id: id.to_string(), reason: e.to_string() })?;
        self.cat_mut().directory = std::sync::Arc::new(dir);
        Ok(())
    }

    /// Changes the directory on the server side (admin endpoints, demo seeding): one change, stored, sent to
    /// every signed-in client; indexes are recomputed and disabled users' sockets end.
    pub async fn update_directory(&self, f: impl FnOnce(&mut Directory)) -> Result<(), SyncError> {
        let id = self.inner.directory_id.clone();
        let mut dir = self.directory();
        f(&mut dir);
        let new = dir.clone();
        self.relay_write(&id, move |tx, _| {
            autosurgeon::reconcile(tx, &new)?;
            Ok(())
        })
        .await?;
        self.directory_changed(dir).await
    }

    /// The directory changed (through sync or [`Hub::update_directory`]).
    pub(crate) async fn directory_changed(&self, dir: Directory) -> Result<(), SyncError> {
        let disabled: Vec<UserId> = dir.users.iter().filter(|u| u.disabled).map(|u| u.id.clone()).collect();
        self.cat_mut().directory = std::sync::Arc::new(dir);
        for u in &disabled {
            self.disconnect_user(u);
        }
        self.recompute_indexes().await?;
        self.revoke_all().await;
        Ok(())
    }

    /// Recomputes every user's index from scratch and writes the differences.
    pub async fn recompute_indexes(&self) -> Result<(), SyncError> {
        let _guard = self.inner.index_lock.lock().await;
        let desired = self.cat().desired_indexes();
        for (user, want) in desired {
            let index_id = self.index_doc_id(&user);
            let current = self.read_index(&index_id).await?;
            let add: Vec<(DocId, IndexEntry)> =
                want.iter().filter(|(d, _)| !current.contains_key(*d)).map(|(d, e)| (d.clone(), e.clone())).collect();
            let remove: Vec<DocId> = current.keys().filter(|d| !want.contains_key(*d)).cloned().collect();
            if !add.is_empty() || !remove.is_empty() || !self.cat().exists(&index_id) {
                self.write_index(&user, &add, &remove).await?;
            }
            self.cat_mut().indexed.insert(user, want);
        }
        Ok(())
    }

    /// After a document's metadata may have changed: update the indexes of the users whose view of it (or
    /// of the records that follow it) changed, and stop sending it to connections that lost it.
    pub(crate) async fn after_meta_change(&self, id: &DocId) -> Result<(), SyncError> {
        let affected = self.cat().affected_by(id);
        self.write_index_changes(&affected, false).await?;
        self.revoke(&affected).await;
        // An erasure mark accepted (from the erase endpoint or an admin's own client): the data goes now.
        self.drop_erased_pii(id).await?;
        Ok(())
    }

    /// [`Hub::after_meta_change`] for many documents at once (a bulk create): the indexes change by what
    /// these documents change, computed once for all of them (not the whole store recomputed).
    pub(crate) async fn after_bulk_change(&self, ids: &[DocId]) -> Result<(), SyncError> {
        let affected: Vec<DocId> = {
            let cat = self.cat();
            let set: BTreeSet<DocId> = ids.iter().flat_map(|id| cat.affected_by(id)).collect();
            set.into_iter().collect()
        };
        self.write_index_changes(&affected, true).await?;
        self.revoke(&affected).await;
        Ok(())
    }

    /// Writes the index changes `docs` imply (added where now readable, removed where no longer or gone).
    pub(crate) async fn update_indexes(&self, docs: &[DocId]) -> Result<(), SyncError> {
        self.write_index_changes(docs, false).await
    }

    /// The index changes over `docs`, written; `bulk`: computed per record from its candidates (many
    /// documents), else per document and user.
    async fn write_index_changes(&self, docs: &[DocId], bulk: bool) -> Result<(), SyncError> {
        {
            let _guard = self.inner.index_lock.lock().await;
            let diffs = if bulk { self.cat().index_diff_bulk(docs) } else { self.cat().index_diff(docs) };
            for (user, add, remove) in diffs {
                self.write_index(&user, &add, &remove).await?;
                let mut cat = self.cat_mut();
                let entry = cat.indexed.entry(user).or_default();
                for (d, e) in add {
                    entry.insert(d, e);
                }
                for d in remove {
                    entry.remove(&d);
                }
            }
        }
        Ok(())
    }

    async fn read_index(&self, index_id: &DocId) -> Result<BTreeMap<DocId, ()>, SyncError> {
        let mut out = BTreeMap::new();
        if let Some(doc) = self.load(index_id).await? {
            if let Ok(Some((_, docs))) = doc.get(ROOT, "docs") {
                for k in doc.keys(&docs) {
                    if let Ok(d) = DocId::parse(&k) {
                        out.insert(d, ());
                    }
                }
            }
        }
        Ok(out)
    }

    async fn write_index(&self, user: &UserId, add: &[(DocId, IndexEntry)], remove: &[DocId]) -> Result<(), SyncError> {
        let id = self.index_doc_id(user);
        let user = user.clone();
        self.relay_write(&id, move |tx, new| Ok(write_index(tx, new, &user, now_ms(), add, remove)?)).await
    }

    /// Drops the sync states of connections that may no longer read `docs`, telling them.
    async fn revoke(&self, docs: &[DocId]) {
        for id in docs {
            let slot = super::lock(&self.inner.slots).get(id).cloned();
            let Some(slot) = slot else { continue };
            let mut s = slot.lock().await;
            let lost: Vec<super::ConnId> = s
                .peers
                .keys()
                .copied()
                .filter(|c| !self.user_of(*c).is_some_and(|u| self.cat().readable(&u, id)))
                .collect();
            for c in lost {
                s.peers.remove(&c);
                self.send_unavailable(c, id);
            }
        }
    }

    async fn revoke_all(&self) {
        let ids: Vec<DocId> = super::lock(&self.inner.slots).keys().cloned().collect();
        self.revoke(&ids).await;
    }
}

/// A failure inside a relay write (never user input: the relay builds these changes itself).
#[derive(Debug, thiserror::Error)]
pub(crate) enum WriteError {
    #[error(transparent)]
    Automerge(#[from] automerge::AutomergeError),
    #[error(transparent)]
    Reconcile(#[from] autosurgeon::ReconcileError),
}
