//! Forward at once, acknowledge when durable, across a crash. The relay runs with the test-only knob
//! `CRM_TEST_COMMIT_DELAY_MS` (its store waits that long before committing a live edit), so a change is
//! forwarded to readers and then the relay is SIGKILLed before the commit. After the restart (without the
//! knob) the readers reconnect holding the change:
//! - a reader who may make that change too (the deal's manager) syncs it back and it is stored;
//! - a reader who may not (marketing reads deals, never writes them) is refused like any write of theirs:
//!   who authored a change is not authenticated (actor ids are plain bytes a client can forge), so the
//!   relay judges a re-upload as the sender's own write. The change still comes back from its writer, who
//!   was never acknowledged and offers it again.

use std::path::Path;
use std::time::Duration;

use app::domain::DocId;
use automerge::transaction::Transactable;
use automerge::{Automerge, ChangeHash, ReadDoc, ROOT};
use server::testing::{index_items, temp_dir, Fetched, RelayProcess, SyncClient, TestRelay};

const T: Duration = Duration::from_secs(15);
const NAME: &str = "Renamed just before the crash";

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_crm-server"))
}

fn name(doc: &Automerge) -> Option<String> {
    doc.get(ROOT, "name").ok().flatten().and_then(|(v, _)| v.into_string().ok())
}

fn acked(c: &SyncClient, id: &DocId, head: &[ChangeHash]) -> bool {
    c.docs[id].state.their_heads.as_ref().is_some_and(|h| head.iter().all(|x| h.contains(x)))
}

/// Reconnects `user` after the restart holding `doc` (what their device kept) and offers it; the caller
/// pumps until the outcome it expects.
async fn reconnect_with(relay: &TestRelay, user: &str, id: &DocId, doc: Automerge) -> SyncClient {
    let (_, mut c) = relay.client(user).await;
    c.create(id, doc).await.unwrap();
    c
}

/// What the relay has now, as a fresh admin device sees it.
async fn relay_name(relay: &TestRelay, id: &DocId) -> Option<String> {
    let (_, mut admin) = relay.client("admin").await;
    assert_eq!(admin.fetch(id, T).await.unwrap(), Fetched::Doc);
    admin.pump_for(Duration::from_millis(100)).await.unwrap();
    name(admin.doc(id).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forwarded_change_lost_by_a_crash_comes_back_from_readers() {
    let dir = temp_dir("forward");
    // Ten minutes: the commit never happens before the kill.
    let delayed = RelayProcess::start_with_env(bin(), &dir, true, &[("CRM_TEST_COMMIT_DELAY_MS", "600000")])
        .await
        .expect("relay starts");
    let mut relay = TestRelay { relay: Some(delayed), dir, bin: bin().to_path_buf() };

    let (login, mut rep1) = relay.client("rep1").await;
    let (_, mut manager) = relay.client("manager").await;
    let (_, mut marketing) = relay.client("marketing").await;
    let index = DocId::parse(&login.index_doc).unwrap();
    let items = index_items(&mut rep1, &index).await;
    let mut deal = None;
    for id in items.iter().filter(|i| i.kind == "opportunity").map(|i| i.id.clone()) {
        if manager.fetch(&id, T).await.unwrap() == Fetched::Doc {
            deal = Some(id);
            break;
        }
    }
    let id = deal.expect("a deal of rep1's that their manager reads");
    assert_eq!(rep1.fetch(&id, T).await.unwrap(), Fetched::Doc);
    assert_eq!(marketing.fetch(&id, T).await.unwrap(), Fetched::Doc);
    for c in [&mut rep1, &mut manager, &mut marketing] {
        c.pump_for(Duration::from_millis(100)).await.unwrap();
    }

    rep1.change(&id, |tx| tx.put(ROOT, "name", NAME)).await.unwrap();
    let head = rep1.doc(&id).unwrap().get_heads();
    // Both readers receive it while its commit waits.
    for c in [&mut manager, &mut marketing] {
        let wanted = id.clone();
        c.pump_until_with(&mut rep1, T, "the forwarded change", |c| {
            name(c.doc(&wanted).unwrap()).as_deref() == Some(NAME)
        })
        .await
        .unwrap();
    }
    rep1.pump_for(Duration::from_millis(300)).await.unwrap();
    assert!(!acked(&rep1, &id, &head), "the writer was acknowledged before the commit");

    relay.kill_and_restart().await;
    let held = |c: &SyncClient| c.doc(&id).unwrap().clone();
    let (writer_copy, manager_copy, marketing_copy) = (held(&rep1), held(&manager), held(&marketing));
    drop((rep1, manager, marketing));
    assert_ne!(relay_name(&relay, &id).await.as_deref(), Some(NAME), "the change was not committed before the kill");

    // Marketing may not rename deals: its re-upload is refused as its own write and nothing is stored.
    let mut marketing = reconnect_with(&relay, "marketing", &id, marketing_copy).await;
    let wanted = id.clone();
    marketing.pump_until(T, "marketing's refusal", |c| c.refusal(&wanted).is_some()).await.unwrap();
    let refused = marketing.refusal(&id).expect("marketing's re-upload is judged as marketing's write");
    assert!(refused.refused.is_some(), "a gate refusal: {}", refused.message);
    assert_ne!(relay_name(&relay, &id).await.as_deref(), Some(NAME));

    // The manager may: the change is back, stored, and the manager is acknowledged.
    let mut manager = reconnect_with(&relay, "manager", &id, manager_copy).await;
    let wanted = id.clone();
    manager.pump_until(T, "the acknowledgement", |c| acked(c, &wanted, &head)).await.unwrap();
    assert!(manager.refusal(&id).is_none(), "{:?}", manager.refusal(&id).map(|e| &e.message));
    assert_eq!(relay_name(&relay, &id).await.as_deref(), Some(NAME));

    // It survives another crash (it was acknowledged, so it is durable); the writer's own copy, offered
    // again, is simply in sync.
    relay.kill_and_restart().await;
    assert_eq!(relay_name(&relay, &id).await.as_deref(), Some(NAME));
    let mut rep1 = reconnect_with(&relay, "rep1", &id, writer_copy).await;
    let wanted = id.clone();
    rep1.pump_until(T, "the writer's acknowledgement", |c| acked(c, &wanted, &head)).await.unwrap();
    assert!(rep1.refusal(&id).is_none());
}
