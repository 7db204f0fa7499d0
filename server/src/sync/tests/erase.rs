//! Erasure in the hub: a mark set over sync by an admin's own client removes the `pii` companion (store,
//! catalog, indexes), and a relay that stopped between the mark and the removal finishes it at start.

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::domain::docs::{init_companion, init_record};
use app::domain::ops::mark_pii_erased;
use app::domain::{Contact, ContactPii, DocId, FieldGroup, Timestamp, UserId};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, Automerge, ObjType, ROOT};

use super::{client, directory, start_on, T};
use crate::docstore::{DocMeta, DocStore, MemoryStore};
use crate::sync::{Hub, HubConfig};
use crate::testing::{index_items, Fetched, SyncClient};

const NOW: Timestamp = Timestamp(1_700_000_000_000);

/// rep1's contact (marked erased by `erased_by`, if given) and its `pii` companion with a phone number.
fn contact(n: u8, erased_by: Option<&str>) -> (DocId, Automerge, DocId, Automerge) {
    let id = DocId::from_bytes([n; 16]);
    let rep1 = UserId::new("rep1");
    let mut c = Contact::new("Ms Li", None, Some(rep1.clone()), &rep1, NOW).unwrap();
    if let Some(admin) = erased_by {
        mark_pii_erased(&mut c, &UserId::new(admin), NOW).unwrap();
    }
    let mut main = AutoCommit::new();
    init_record(&mut main, &c).unwrap();
    let mut pii = AutoCommit::new();
    let value = ContactPii { phone: "+86 139 0000 1111".into(), email: String::new() };
    init_companion(&mut pii, &id, NOW, &rep1, &value).unwrap();
    (id.clone(), main.document().clone(), id.companion(FieldGroup::Pii), pii.document().clone())
}

/// Waits until `done`, answering the relay on `writer` meanwhile (the relay may ask it for its change).
async fn until(what: &str, writer: &mut SyncClient, mut done: impl FnMut() -> bool) {
    let end = Instant::now() + T;
    while !done() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        writer.pump_for(Duration::from_millis(20)).await.unwrap();
    }
}

#[tokio::test]
async fn a_mark_set_over_sync_by_an_admin_removes_the_companion_everywhere() {
    let store: Arc<dyn DocStore> = Arc::new(MemoryStore::new());
    let (hub, url, _, _) = start_on(store.clone(), HubConfig::default()).await;
    let (id, main, pii, comp) = contact(40, None);
    hub.create_docs(vec![(id.clone(), main), (pii.clone(), comp)], app::domain::history::Author::Relay).await.unwrap();
    let mut rep1 = client(&url, "rep1").await;
    assert_eq!(rep1.fetch(&pii, T).await.unwrap(), Fetched::Doc);

    // rep1 (who writes the contact) may not set the mark; the admin may, naming themself.
    let mut forger = client(&url, "rep1").await;
    assert_eq!(forger.fetch(&id, T).await.unwrap(), Fetched::Doc);
    let mark = |by: &'static str| {
        move |tx: &mut automerge::transaction::Transaction<'_>| {
            let m = tx.put_object(ROOT, "pii_erased", ObjType::Map)?;
            tx.put(&m, "at", NOW.millis())?;
            tx.put(&m, "by", by)?;
            Ok(())
        }
    };
    forger.change(&id, mark("rep1")).await.unwrap();
    forger.pump_until(T, "a refusal", |c| c.refusal(&id).is_some()).await.unwrap();
    // A client that keeps a refused change and goes on syncing the document ping-pongs with the relay (the
    // browser client resets the document instead): this one leaves.
    forger.close().await;
    assert!(hub.exists(&pii) && !hub.is_pii_erased(&id));
    let mut admin = client(&url, "admin").await;
    assert_eq!(admin.fetch(&id, T).await.unwrap(), Fetched::Doc);
    admin.change(&id, mark("admin")).await.unwrap();
    until("the companion to leave the hub", &mut admin, || !hub.exists(&pii)).await;
    assert!(store.load(&pii).unwrap().is_none(), "deleted from the store");
    rep1.pump_until(T, "doc-unavailable", |c| c.unavailable.contains(&pii)).await.unwrap();
    let index = Hub::index_doc_id_for(&UserId::new("rep1"));
    assert!(!index_items(&mut rep1, &index).await.iter().any(|i| i.id == pii));
    assert!(admin.refusal(&id).is_none());
}

#[tokio::test]
async fn a_relay_stopped_between_mark_and_removal_finishes_at_start() {
    let store: Arc<dyn DocStore> = Arc::new(MemoryStore::new());
    let (id, main, pii, comp) = contact(41, Some("admin"));
    for (d, doc) in [(&id, &main), (&pii, &comp)] {
        store.append(d, &doc.save(), &DocMeta::read(doc), &crate::docstore::Origin::relay(Vec::new())).unwrap();
    }
    assert!(DocMeta::read(&main).pii_erased);
    let hub = Hub::open(store.clone(), HubConfig::default()).await.unwrap();
    hub.update_directory(|d| *d = directory()).await.unwrap();
    assert!(hub.is_pii_erased(&id) && !hub.exists(&pii));
    assert!(store.load(&pii).unwrap().is_none());
    assert!(store.load(&id).unwrap().is_some(), "the record stays");
}
