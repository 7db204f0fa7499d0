//! Forward at once, acknowledge when durable: a store whose live commits wait until the test releases them
//! (and can fail), so "forwarded but not durable" is a state the test holds on purpose.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use app::domain::ops::{IssuedBlock, NumberBlock};
use app::domain::{DocId, UserId};
use automerge::transaction::Transactable;
use automerge::{Automerge, ChangeHash, ReadDoc, ROOT};
use tokio::sync::oneshot;

use super::{client, start_on, text, T};
use crate::docstore::{Chunks, DocMeta, DocStore, MemoryStore, Origin, Pending, StoreError};
use crate::sync::HubConfig;
use crate::testing::{Fetched, SyncClient};

type Held = (DocId, Vec<u8>, DocMeta, Origin, oneshot::Sender<Result<u64, String>>);

/// A [`MemoryStore`] whose live commits (`submit_append`) wait in a queue while `hold` is on.
#[derive(Default)]
struct GatedStore {
    inner: MemoryStore,
    hold: Mutex<bool>,
    held: Mutex<Vec<Held>>,
    /// How many of the next released commits fail.
    fail: AtomicUsize,
    submitted: AtomicUsize,
}

impl GatedStore {
    fn set_hold(&self, on: bool) {
        *self.hold.lock().unwrap() = on;
    }

    /// Commits (or fails) everything held, in order.
    fn release(&self) {
        let held: Vec<Held> = std::mem::take(&mut *self.held.lock().unwrap());
        for (id, chunk, meta, origin, reply) in held {
            let r = if self.fail.load(Ordering::SeqCst) > 0 {
                self.fail.fetch_sub(1, Ordering::SeqCst);
                Err("disk full (test)".to_string())
            } else {
                self.inner.append(&id, &chunk, &meta, &origin).map_err(|e| e.to_string())
            };
            let _ = reply.send(r);
        }
    }

    fn held(&self) -> usize {
        self.held.lock().unwrap().len()
    }

    fn stored(&self, id: &DocId) -> Automerge {
        self.inner.load(id).unwrap().expect("stored").load(id).unwrap()
    }
}

impl DocStore for GatedStore {
    fn append(&self, id: &DocId, chunk: &[u8], meta: &DocMeta, origin: &Origin) -> Result<u64, StoreError> {
        self.inner.append(id, chunk, meta, origin)
    }
    fn submit_append(&self, id: DocId, chunk: Vec<u8>, meta: DocMeta, origin: Origin) -> Pending {
        self.submitted.fetch_add(1, Ordering::SeqCst);
        if !*self.hold.lock().unwrap() {
            return Pending::Done(self.inner.append(&id, &chunk, &meta, &origin));
        }
        let (tx, rx) = oneshot::channel();
        self.held.lock().unwrap().push((id, chunk, meta, origin, tx));
        Pending::Queued(rx)
    }
    fn compact(&self, id: &DocId, snapshot: &[u8], upto_seq: u64) -> Result<(), StoreError> {
        self.inner.compact(id, snapshot, upto_seq)
    }
    fn provenance(&self, id: &DocId) -> Result<Vec<(ChangeHash, app::domain::history::Provenance)>, StoreError> {
        self.inner.provenance(id)
    }
    fn delete(&self, id: &DocId) -> Result<(), StoreError> {
        self.inner.delete(id)
    }
    fn load(&self, id: &DocId) -> Result<Option<Chunks>, StoreError> {
        self.inner.load(id)
    }
    fn list(&self) -> Result<Vec<(DocId, DocMeta)>, StoreError> {
        self.inner.list()
    }
    fn reserve_numbers(
        &self,
        user: &UserId,
        prefix: &str,
        year: i32,
        floor: u32,
        count: u32,
    ) -> Result<NumberBlock, StoreError> {
        self.inner.reserve_numbers(user, prefix, year, floor, count)
    }
    fn issued_numbers(&self) -> Result<Vec<IssuedBlock>, StoreError> {
        self.inner.issued_numbers()
    }
}

/// Has the relay told `c` it holds `head`: are they among (or ancestors of) the heads it last sent? A later
/// change by someone else that builds on `head` acknowledges it too.
fn acked(c: &SyncClient, id: &DocId, head: &[ChangeHash]) -> bool {
    let (Some(theirs), Some(doc)) = (c.docs[id].state.their_heads.as_ref(), c.doc(id)) else { return false };
    let mut seen = std::collections::HashSet::new();
    let mut stack = theirs.clone();
    while let Some(h) = stack.pop() {
        if seen.insert(h) {
            stack.extend(doc.get_change_by_hash(&h).map(|c| c.deps().to_vec()).unwrap_or_default());
        }
    }
    head.iter().all(|x| seen.contains(x))
}

/// Renames the document on `c` and pumps `c` until the relay has accepted the change (its commit was
/// submitted). The writer must keep answering meanwhile: when the relay's Bloom filter gives a false
/// positive for the new change (about 1 in 100), the writer first sends only its heads, and the change goes
/// out once the relay asks for it.
async fn rename(c: &mut SyncClient, store: &GatedStore, id: &DocId, name: &str) -> Vec<ChangeHash> {
    let before = store.submitted.load(Ordering::SeqCst);
    c.change(id, |tx| tx.put(ROOT, "name", name)).await.unwrap();
    let deadline = std::time::Instant::now() + T;
    while store.submitted.load(Ordering::SeqCst) == before {
        assert!(std::time::Instant::now() < deadline, "the relay never accepted the change");
        c.pump_for(std::time::Duration::from_millis(20)).await.unwrap();
    }
    c.doc(id).unwrap().get_heads()
}

async fn setup() -> (Arc<GatedStore>, SyncClient, SyncClient, DocId) {
    let store = Arc::new(GatedStore::default());
    let (_hub, url, ids, _) = start_on(store.clone(), HubConfig::default()).await;
    let id = ids[0].clone();
    let mut rep1 = client(&url, "rep1").await;
    let mut mgr = client(&url, "manager").await;
    assert_eq!(rep1.fetch(&id, T).await.unwrap(), Fetched::Doc);
    assert_eq!(mgr.fetch(&id, T).await.unwrap(), Fetched::Doc);
    rep1.pump_for(std::time::Duration::from_millis(50)).await.unwrap();
    mgr.pump_for(std::time::Duration::from_millis(50)).await.unwrap();
    (store, rep1, mgr, id)
}

#[tokio::test]
async fn readers_get_a_change_before_its_commit_and_the_writer_only_after() {
    let (store, mut rep1, mut mgr, id) = setup().await;
    store.set_hold(true);
    let head = rename(&mut rep1, &store, &id, "Forwarded first").await;
    let wanted = id.clone();
    mgr.pump_until(T, "the forwarded change", |c| {
        text(c.doc(&wanted).unwrap(), "name").as_deref() == Some("Forwarded first")
    })
    .await
    .unwrap();
    // The reader has it while the commit is still queued: forwarded before durable.
    assert_eq!(store.held(), 1, "the commit is still waiting");
    // The writer hears nothing that carries the new heads until then (its messages are answered later).
    rep1.pump_for(std::time::Duration::from_millis(200)).await.unwrap();
    assert!(!acked(&rep1, &id, &head), "acknowledged before the change was durable");
    assert_ne!(text(&store.stored(&id), "name").as_deref(), Some("Forwarded first"));
    store.set_hold(false);
    store.release();
    let wanted = id.clone();
    rep1.pump_until(T, "the acknowledgement", |c| acked(c, &wanted, &head)).await.unwrap();
    assert_eq!(text(&store.stored(&id), "name").as_deref(), Some("Forwarded first"));
}

#[tokio::test]
async fn a_failed_commit_is_retried_and_acknowledged_only_once_stored() {
    let (store, mut rep1, mut mgr, id) = setup().await;
    store.set_hold(true);
    store.fail.store(1, Ordering::SeqCst);
    let head = rename(&mut rep1, &store, &id, "Stored on the second try").await;
    let wanted = id.clone();
    mgr.pump_until(T, "the forwarded change", |c| {
        text(c.doc(&wanted).unwrap(), "name").as_deref() == Some("Stored on the second try")
    })
    .await
    .unwrap();
    let before = store.submitted.load(Ordering::SeqCst);
    // The first commit fails; the hub retries with back-off (into the held queue again).
    store.release();
    let deadline = std::time::Instant::now() + T;
    while store.held() == 0 {
        assert!(std::time::Instant::now() < deadline, "the failed commit was not retried");
        rep1.pump_for(std::time::Duration::from_millis(20)).await.unwrap();
    }
    assert!(store.submitted.load(Ordering::SeqCst) > before);
    assert!(!acked(&rep1, &id, &head), "acknowledged although the commit failed");
    assert_ne!(text(&store.stored(&id), "name").as_deref(), Some("Stored on the second try"));
    // Meanwhile nobody gets sync messages for the document (any would carry the unstored heads)...
    let seen = mgr.syncs_received.get(&id).copied();
    mgr.change(&id, |tx| tx.put(ROOT, "name", "Manager's later edit").map(|_| ())).await.unwrap();
    rep1.pump_for(std::time::Duration::from_millis(150)).await.unwrap();
    assert!(!acked(&rep1, &id, &head));
    store.set_hold(false);
    store.release();
    let wanted = id.clone();
    rep1.pump_until(T, "the acknowledgement", |c| acked(c, &wanted, &head)).await.unwrap();
    let stored = store.stored(&id);
    assert!(head.iter().all(|h| stored.get_change_by_hash(h).is_some()), "acknowledged but not stored");
    let wanted = id.clone();
    mgr.pump_until(T, "answers again", |c| c.syncs_received.get(&wanted).copied() != seen).await.unwrap();
}
