//! The device's slice of the company: documents ([`DocStore`]), the materialized record views built from
//! them, and the user's index (which documents this device should hold).
//!
//! What must stay true:
//! - After any change to a record's main or companion document (local or received), its view in memory and
//!   in storage is rebuilt from the documents ([`Replica::refresh_view`]).
//! - A document that leaves the user's index is deleted from the device, with its view.
//!
//! The index (reading it, applying a new version) lives in `replica/index.rs`.

mod index;

pub use index::{entry_group, read_index, IndexDiff, IndexEntry};

use std::cell::RefCell;
use std::collections::BTreeMap;

use automerge::{AutoCommit, ObjType, ReadDoc, ROOT};

use super::{DocStore, Storage, StoreError, ViewKinds, WriteBatch};
use crate::domain::docs::{self, DocKind};
use crate::domain::records::{Companion, Record};
use crate::domain::{
    companion_groups, Activity, Contact, Customer, Directory, DocId, DomainError, Lead, Opportunity, RecordKind,
    RecordView, Timestamp, UserId,
};

/// The loaded documents, the views and the index of one signed-in user on this device.
///
/// The views themselves live in storage and with the caller (the UI's signals): the replica keeps only each
/// record's kind, so a device with 30,000 records holds one copy of their views, not two.
pub struct Replica<S> {
    docs: DocStore<S>,
    kinds: RefCell<BTreeMap<DocId, RecordKind>>,
    index: RefCell<BTreeMap<DocId, IndexEntry>>,
}

impl<S: Storage> Replica<S> {
    /// Opens the replica and returns the stored views (not the documents: those load when needed).
    pub async fn open(storage: S, cap: usize) -> Result<(Self, Vec<RecordView>), StoreError> {
        Self::open_first(storage, cap, None).await
    }

    /// Opens the replica, reading only the stored views of kind `first` (all with `None`): the current
    /// screen's, so it paints before the rest is read with [`Replica::read_other_views`]. (Reading and
    /// parsing tens of thousands of views is the bulk of a cold start.)
    pub async fn open_first(
        storage: S,
        cap: usize,
        first: Option<RecordKind>,
    ) -> Result<(Self, Vec<RecordView>), StoreError> {
        let rep = Replica { docs: DocStore::new(storage, cap), kinds: RefCell::default(), index: RefCell::default() };
        let which = first.map_or(ViewKinds::All, |k| ViewKinds::Only(k.as_str()));
        let views = rep.read_views(which).await?;
        Ok((rep, views))
    }

    /// The stored views of every kind but `first` (after [`Replica::open_first`]).
    pub async fn read_other_views(&self, first: RecordKind) -> Result<Vec<RecordView>, StoreError> {
        self.read_views(ViewKinds::AllBut(first.as_str())).await
    }

    async fn read_views(&self, which: ViewKinds) -> Result<Vec<RecordView>, StoreError> {
        let mut views: Vec<RecordView> = Vec::new();
        self.storage()
            .each_view(which, &mut |json| {
                // A view that no longer parses (older build) is rebuilt from its documents when next touched.
                if let Ok(v) = serde_json::from_str::<RecordView>(json) {
                    views.push(v);
                }
            })
            .await?;
        let mut kinds = self.kinds.borrow_mut();
        for v in &views {
            kinds.insert(v.id().clone(), v.kind());
        }
        Ok(views)
    }

    pub fn docs(&self) -> &DocStore<S> {
        &self.docs
    }

    pub fn storage(&self) -> &S {
        self.docs.storage()
    }

    /// A record's stored view.
    pub async fn view(&self, id: &DocId) -> Result<Option<RecordView>, StoreError> {
        match self.storage().get_view(id).await? {
            Some(json) => Ok(serde_json::from_str(&json).ok()),
            None => Ok(None),
        }
    }

    /// How many records have views.
    pub fn view_count(&self) -> usize {
        self.kinds.borrow().len()
    }

    /// The record a document belongs to: from the index, the views, or a loaded companion's link.
    pub fn record_of(&self, doc: &DocId) -> Option<DocId> {
        if let Some(e) = self.index.borrow().get(doc) {
            return Some(e.record.clone());
        }
        if self.kinds.borrow().contains_key(doc) {
            return Some(doc.clone());
        }
        self.docs.read(doc, |d| match docs::read_kind(d) {
            Ok(Some(DocKind::Record(_))) => Some(doc.clone()),
            Ok(Some(DocKind::Companion(_))) => docs::read_companion_link(d).ok().map(|l| l.record),
            _ => None,
        })?
    }

    /// The kind of a record, from its view or its loaded main document.
    pub fn kind_of(&self, record: &DocId) -> Option<RecordKind> {
        if let Some(k) = self.kinds.borrow().get(record) {
            return Some(*k);
        }
        match self.docs.read(record, docs::read_kind)? {
            Ok(Some(DocKind::Record(k))) => Some(k),
            _ => None,
        }
    }

    /// Rebuilds a record's view from its documents and stores it. `Ok(None)` when the main document is not
    /// on this device (the view is removed).
    pub async fn refresh_view(&self, record: &DocId) -> Result<Option<RecordView>, StoreError> {
        match self.build_view(record).await? {
            Some(view) => {
                let json = serde_json::to_string(&view).map_err(StoreError::storage)?;
                self.storage().put_view(record, json).await?;
                self.kinds.borrow_mut().insert(record.clone(), view.kind());
                Ok(Some(view))
            }
            None => self.drop_view(record).await.map(|_| None),
        }
    }

    /// [`Replica::refresh_view`] for many records, with one storage write for all the views. A record
    /// whose view cannot be built yet (a companion that arrived before its record) is skipped.
    pub async fn refresh_views(&self, records: &[DocId]) -> Result<Vec<(DocId, Option<RecordView>)>, StoreError> {
        let views = self.build_views(records).await?;
        self.store_received(Vec::new(), &views).await?;
        Ok(views)
    }

    /// Builds the views of `records` from their documents, in memory only (store them with
    /// [`Replica::store_received`]). `None`: the record's main document is not here (its view goes). A
    /// record whose view cannot be built yet (a companion that arrived before its record) is skipped.
    pub async fn build_views(&self, records: &[DocId]) -> Result<Vec<(DocId, Option<RecordView>)>, StoreError> {
        let mut out = Vec::with_capacity(records.len());
        for record in records {
            match self.build_view(record).await {
                Ok(view) => out.push((record.clone(), view)),
                Err(StoreError::Corrupt { .. }) | Err(StoreError::Domain(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Stores a burst of received changes in one storage write: each document's new chunk with its sync
    /// state (`docs`, documents loaded here), and `views` as built by [`Replica::build_views`]. Documents
    /// that reach the compaction threshold are compacted after.
    pub async fn store_received(
        &self,
        docs: Vec<(DocId, Option<Vec<u8>>)>,
        views: &[(DocId, Option<RecordView>)],
    ) -> Result<(), StoreError> {
        let taken = self.docs.take_writes(docs);
        let mut view_writes = Vec::with_capacity(views.len());
        for (record, view) in views {
            match view {
                Some(v) => {
                    view_writes.push((record.clone(), Some(serde_json::to_string(v).map_err(StoreError::storage)?)));
                    self.kinds.borrow_mut().insert(record.clone(), v.kind());
                }
                None => {
                    if self.kinds.borrow_mut().remove(record).is_some() {
                        view_writes.push((record.clone(), None));
                    }
                }
            }
        }
        self.storage().write_batch(WriteBatch { docs: taken.writes, views: view_writes }).await?;
        self.docs.compact_all(&taken.compact).await
    }

    /// Builds a record's view from its documents (`None`: its main document is not here).
    async fn build_view(&self, record: &DocId) -> Result<Option<RecordView>, StoreError> {
        if !self.docs.load(record).await? || self.docs.read(record, |d| d.get_heads_len()) == Some(0) {
            return Ok(None);
        }
        let kind = match self.docs.read(record, docs::read_kind) {
            Some(Ok(Some(DocKind::Record(k)))) => k,
            _ => return Ok(None),
        };
        let mut groups = Vec::new();
        for &g in companion_groups(kind) {
            let cid = record.companion(g);
            if self.docs.load(&cid).await? && self.docs.read(&cid, |d| d.get_heads_len()).unwrap_or(0) > 0 {
                groups.push((g, cid));
            }
        }
        let view = self.docs.read_many(record, &groups, |main, comps| RecordView::from_docs(record, main, comps));
        match view {
            Some(Ok(v)) => Ok(Some(v)),
            Some(Err(e)) => Err(StoreError::corrupt(record, e)),
            None => Ok(None),
        }
    }

    async fn drop_view(&self, record: &DocId) -> Result<(), StoreError> {
        if self.kinds.borrow_mut().remove(record).is_some() {
            self.storage().delete_view(record).await?;
        }
        Ok(())
    }

    /// Creates a record's main document locally (`id` is fresh), persists it and builds its view.
    pub async fn create_record<R: Record>(&self, id: &DocId, record: &R) -> Result<RecordView, StoreError> {
        let mut doc = AutoCommit::new();
        docs::init_record(&mut doc, record)?;
        self.docs.insert(id, doc, Some(R::KIND.as_str()), Some(format!("create {}", R::KIND.as_str()))).await?;
        self.refresh_view(id).await?.ok_or_else(|| StoreError::NotFound(id.clone()))
    }

    /// Creates a companion document of `record` (its id is derived from the record's) and rebuilds the view
    /// (`None` while the record's main document is not here).
    pub async fn create_companion<C: Companion>(
        &self,
        record: &DocId,
        value: &C,
        now: Timestamp,
        by: &UserId,
    ) -> Result<(DocId, Option<RecordView>), StoreError> {
        let cid = record.companion(C::GROUP);
        let (created_at, created_by) = self.record_creation(record).await?.unwrap_or((now, by.clone()));
        let mut doc = AutoCommit::new();
        docs::init_companion(&mut doc, record, created_at, &created_by, value)?;
        self.docs.insert(&cid, doc, Some(C::GROUP.as_str()), Some(format!("create {}", C::GROUP.as_str()))).await?;
        let view = self.refresh_view(record).await?;
        Ok((cid, view))
    }

    /// When and by whom a record was made (its main document's header), if this device holds it: a
    /// companion's genesis copies it (see `docs::init_companion`).
    async fn record_creation(&self, record: &DocId) -> Result<Option<(Timestamp, UserId)>, StoreError> {
        if !self.docs.load(record).await? {
            return Ok(None);
        }
        let head = self.docs.read(record, docs::read_head).transpose()?;
        Ok(head.map(|h| (h.created_at, h.created_by)))
    }

    /// Runs `f` (a domain operation) on the hydrated record and writes back what changed, as one change.
    pub async fn update_record<R: Record>(
        &self,
        id: &DocId,
        summary: String,
        f: impl FnOnce(&mut R) -> Result<(), DomainError>,
    ) -> Result<RecordView, StoreError> {
        self.docs
            .change(id, summary, |doc| -> Result<(), StoreError> {
                let mut r: R = docs::read_record(doc)?;
                f(&mut r)?;
                docs::write_record(doc, &r)?;
                Ok(())
            })
            .await?;
        self.refresh_view(id).await?.ok_or_else(|| StoreError::NotFound(id.clone()))
    }

    /// Runs `f` on the record's companion of group `C::GROUP` and writes back what changed.
    ///
    /// A record without that companion yet (a customer made in the app, by conversion, import or REST,
    /// before anyone wrote its `money` or `service`) gets it now, from this first writer: `f` runs on the
    /// group's empty value and the document starts with the shared genesis, so another device starting it
    /// too (offline) merges into the same document. The relay accepts it from any writer of the group.
    pub async fn update_companion<C: Companion>(
        &self,
        record: &DocId,
        summary: String,
        f: impl FnOnce(&mut C) -> Result<(), DomainError>,
    ) -> Result<RecordView, StoreError> {
        let cid = record.companion(C::GROUP);
        let started = self.docs.load(&cid).await?
            && self.docs.read(&cid, |d| docs::read_kind(d).ok().flatten()).flatten().is_some();
        if !started {
            let Some((created_at, created_by)) = self.record_creation(record).await? else {
                return Err(StoreError::NotFound(record.clone()));
            };
            let mut c = C::default();
            f(&mut c)?;
            c.validate()?;
            if self.docs.is_loaded(&cid) {
                // An empty document waiting for the relay's copy: start it in place (the copies merge).
                self.docs
                    .change(&cid, summary, |doc| docs::init_companion(doc, record, created_at, &created_by, &c))
                    .await?;
            } else {
                let mut doc = AutoCommit::new();
                docs::init_companion(&mut doc, record, created_at, &created_by, &c)?;
                self.docs.insert(&cid, doc, Some(C::GROUP.as_str()), Some(summary)).await?;
            }
            return self.refresh_view(record).await?.ok_or_else(|| StoreError::NotFound(record.clone()));
        }
        self.docs
            .change(&cid, summary, |doc| -> Result<(), StoreError> {
                let mut c: C = docs::read_companion(doc)?;
                f(&mut c)?;
                docs::write_companion(doc, &c)?;
                Ok(())
            })
            .await?;
        self.refresh_view(record).await?.ok_or_else(|| StoreError::NotFound(record.clone()))
    }

    /// Splices a record's `notes` (character positions), whatever its kind.
    pub async fn splice_notes(
        &self,
        id: &DocId,
        pos: usize,
        delete: usize,
        insert: &str,
    ) -> Result<RecordView, StoreError> {
        let kind = match self.kind_of(id) {
            Some(k) => k,
            None => {
                self.docs.load(id).await?;
                self.kind_of(id).ok_or_else(|| StoreError::NotFound(id.clone()))?
            }
        };
        let summary = format!("notes: {insert:?} at {pos}");
        match kind {
            RecordKind::Lead => self.update_record::<Lead>(id, summary, |r| r.notes.splice(pos, delete, insert)).await,
            RecordKind::Opportunity => {
                self.update_record::<Opportunity>(id, summary, |r| r.notes.splice(pos, delete, insert)).await
            }
            RecordKind::Customer => {
                self.update_record::<Customer>(id, summary, |r| r.notes.splice(pos, delete, insert)).await
            }
            RecordKind::Contact => {
                self.update_record::<Contact>(id, summary, |r| r.notes.splice(pos, delete, insert)).await
            }
            RecordKind::Activity => {
                self.update_record::<Activity>(id, summary, |r| r.notes.splice(pos, delete, insert)).await
            }
        }
    }

    /// The current `notes` text of a loaded record.
    pub fn notes(&self, id: &DocId) -> Option<String> {
        self.docs.read(id, |d| {
            let (v, obj) = d.get(ROOT, "notes").ok().flatten()?;
            match v {
                automerge::Value::Object(ObjType::Text) => d.text(&obj).ok(),
                automerge::Value::Scalar(s) => s.as_str().map(str::to_string),
                _ => None,
            }
        })?
    }

    /// The directory, hydrated from its (loaded or stored) document.
    pub async fn directory(&self, id: &DocId) -> Result<Option<Directory>, StoreError> {
        if !self.docs.load(id).await? {
            return Ok(None);
        }
        match self.docs.read(id, autosurgeon::hydrate::<_, Directory>) {
            Some(Ok(dir)) => Ok(Some(dir)),
            Some(Err(_)) | None => Ok(None),
        }
    }

    /// The summaries of `id`'s local edits the relay has not acknowledged (what a refusal rolls back).
    pub async fn unacknowledged_edits(&self, id: &DocId) -> Result<Vec<String>, StoreError> {
        Ok(match self.docs.meta(id) {
            Some(m) => m.pending_edits,
            None => self.storage().meta(id).await?.map(|m| m.pending_edits).unwrap_or_default(),
        })
    }

    /// Replaces a document by the relay's copy (after a refusal) and rebuilds its record's view.
    pub async fn replace_doc(
        &self,
        id: &DocId,
        doc: AutoCommit,
    ) -> Result<Option<(DocId, Option<RecordView>)>, StoreError> {
        self.docs.replace(id, doc).await?;
        match self.record_of(id) {
            Some(record) => {
                let view = self.refresh_view(&record).await?;
                Ok(Some((record, view)))
            }
            None => Ok(None),
        }
    }
}

/// How many top-level keys a document has (0 = nothing received yet).
trait HeadsLen {
    fn get_heads_len(&self) -> usize;
}

impl HeadsLen for AutoCommit {
    fn get_heads_len(&self) -> usize {
        // An empty document (requested, nothing received yet) has no keys at all.
        self.keys(ROOT).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{FieldGroup, LeadPii};
    use crate::store::MemoryStorage;
    use automerge::transaction::Transactable;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        futures::executor::block_on(f)
    }

    fn rep1() -> UserId {
        UserId::new("rep1")
    }

    fn now() -> Timestamp {
        Timestamp::from_millis(1_700_000_000_000)
    }

    fn lead_id() -> DocId {
        DocId::from_bytes([9; 16])
    }

    async fn with_lead() -> Replica<MemoryStorage> {
        let (r, _) = Replica::open(MemoryStorage::new(), 16).await.unwrap();
        let lead = Lead::new("Acme visit", Some(rep1()), &rep1(), now()).unwrap();
        r.create_record(&lead_id(), &lead).await.unwrap();
        r
    }

    #[test]
    fn a_created_record_has_a_stored_view_that_survives_a_reopen() {
        block_on(async {
            let r = with_lead().await;
            assert_eq!(r.view(&lead_id()).await.unwrap().unwrap().title(), "Acme visit");
            let pii = LeadPii { phone: "123".into(), email: "a@b.c".into() };
            r.create_companion(&lead_id(), &pii, now(), &rep1()).await.unwrap();
            let RecordView::Lead(v) = r.view(&lead_id()).await.unwrap().unwrap() else { panic!("not a lead") };
            assert_eq!(v.pii.unwrap().phone, "123");

            let storage = r.docs.into_storage();
            let (first, views) = Replica::open_first(storage, 16, Some(RecordKind::Customer)).await.unwrap();
            assert!(views.is_empty(), "only customers read first");
            assert_eq!(first.view_count(), 0);
            assert_eq!(first.read_other_views(RecordKind::Customer).await.unwrap().len(), 1, "then the lead");
            assert_eq!(first.view_count(), 1);
            let (lead_first, views) =
                Replica::open_first(first.docs.into_storage(), 16, Some(RecordKind::Lead)).await.unwrap();
            assert_eq!(views.len(), 1, "the kind is read from the JSON's first field");
            assert!(lead_first.read_other_views(RecordKind::Lead).await.unwrap().is_empty());
            let (again, views) = Replica::open(lead_first.docs.into_storage(), 16).await.unwrap();
            assert_eq!(again.view_count(), 1);
            assert_eq!(views.len(), 1);
            assert_eq!(again.docs().loaded_count(), 0, "views are read without loading documents");
            assert_eq!(again.view(&lead_id()).await.unwrap().unwrap().title(), "Acme visit");
        });
    }

    #[test]
    fn updates_and_notes_rebuild_the_view_and_bad_input_is_refused() {
        block_on(async {
            let r = with_lead().await;
            r.update_record::<Lead>(&lead_id(), "rename".into(), |l| {
                l.name = "Acme HQ visit".into();
                Ok(())
            })
            .await
            .unwrap();
            assert_eq!(r.view(&lead_id()).await.unwrap().unwrap().title(), "Acme HQ visit");
            r.splice_notes(&lead_id(), 0, 0, "héllo").await.unwrap();
            r.splice_notes(&lead_id(), 5, 0, " world").await.unwrap();
            r.splice_notes(&lead_id(), 1, 1, "e").await.unwrap();
            assert_eq!(r.notes(&lead_id()).as_deref(), Some("hello world"));
            let err = r.splice_notes(&lead_id(), 50, 0, "x").await.unwrap_err();
            assert!(matches!(err, StoreError::Domain(_)), "{err:?}");
            assert!(matches!(
                r.splice_notes(&DocId::from_bytes([1; 16]), 0, 0, "x").await,
                Err(StoreError::NotFound(_))
            ));
        });
    }

    #[test]
    fn received_records_and_companions_are_stored_with_their_views_in_one_write() {
        block_on(async {
            // What another device created: a lead with its pii.
            let author = with_lead().await;
            let pii = LeadPii { phone: "123".into(), email: "a@b.c".into() };
            author.create_companion(&lead_id(), &pii, now(), &rep1()).await.unwrap();
            let pii_id = lead_id().companion(FieldGroup::Pii);
            let copy = |id: &DocId| author.docs().write(id, |d| d.clone()).unwrap();
            let (main, comp) = (copy(&lead_id()), copy(&pii_id));

            let (r, _) = Replica::open(MemoryStorage::new(), 1).await.unwrap();
            r.docs().learn_stored().await.unwrap();
            for (id, mut doc) in [(lead_id(), main), (pii_id.clone(), comp)] {
                r.docs().insert_fresh(&id);
                r.docs().hold(&id);
                r.docs().write(&id, |d| d.merge(&mut doc).unwrap()).unwrap();
            }
            let views = r.build_views(&[lead_id()]).await.unwrap();
            let RecordView::Lead(v) = views[0].1.clone().unwrap() else { panic!("not a lead") };
            assert_eq!(v.pii.unwrap().phone, "123", "built from both documents in memory");
            let (reads, writes) = (r.storage().reads(), r.storage().writes());
            r.store_received(vec![(lead_id(), None), (pii_id.clone(), None)], &views).await.unwrap();
            assert_eq!(r.storage().writes(), writes + 1, "documents and views in one write");
            assert_eq!(r.storage().reads(), reads);

            let (again, views) = Replica::open(r.docs.into_storage(), 16).await.unwrap();
            assert_eq!(views.len(), 1);
            assert_eq!(again.view(&lead_id()).await.unwrap().unwrap().title(), "Acme visit");
            assert!(again.docs().load(&pii_id).await.unwrap(), "the companion is stored");
        });
    }

    #[test]
    fn a_document_leaving_the_index_is_deleted_with_its_view() {
        block_on(async {
            let r = with_lead().await;
            let index_id = DocId::from_bytes([2; 16]);
            let mut index = AutoCommit::new();
            index.put(ROOT, "kind", "index").unwrap();
            let docs = index.put_object(ROOT, "docs", ObjType::Map).unwrap();
            let e = index.put_object(&docs, lead_id().as_str(), ObjType::Map).unwrap();
            index.put(&e, "kind", "lead").unwrap();
            index.put(&e, "record", lead_id().as_str()).unwrap();
            r.docs().insert(&index_id, index, None, None).await.unwrap();
            let diff = r.apply_index(&index_id).await.unwrap();
            assert_eq!(diff.added, vec![lead_id()]);
            assert!(r.view(&lead_id()).await.unwrap().is_some());

            r.docs()
                .write(&index_id, |d| {
                    let docs = d.get(ROOT, "docs").unwrap().unwrap().1;
                    d.delete(&docs, lead_id().as_str()).unwrap();
                })
                .unwrap();
            r.docs().persist(&index_id).await.unwrap();
            let diff = r.apply_index(&index_id).await.unwrap();
            assert_eq!(diff.removed, vec![lead_id()]);
            assert!(r.view(&lead_id()).await.unwrap().is_none());
            assert!(!r.docs().load(&lead_id()).await.unwrap(), "document deleted from storage");
            let (again, views) = Replica::open(r.docs.into_storage(), 16).await.unwrap();
            assert_eq!(again.view_count(), 0);
            assert!(views.is_empty());
        });
    }
}
