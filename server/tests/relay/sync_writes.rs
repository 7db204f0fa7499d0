//! Writes through the real relay: forged writes from every role are refused, not stored, not forwarded,
//! and the forger is told; concurrent edits converge; reassignment moves documents between indexes;
//! presence reaches only peers that have the document open and may read it.

use std::path::Path;
use std::time::Duration;

use app::domain::{DocId, FieldGroup};
use app::protocol::{Ephemeral, Message, PeerId};
use automerge::transaction::{Transactable, Transaction};
use automerge::{AutomergeError, ObjType, ReadDoc, Value, ROOT};
use server::testing::{index_items, read_index, Fetched, IndexItem, SyncClient, TestRelay};

const T: Duration = Duration::from_secs(10);

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_crm-server"))
}

fn text(doc: &automerge::Automerge, key: &str) -> Option<String> {
    match doc.get(ROOT, key).ok().flatten()? {
        (Value::Object(ObjType::Text), id) => doc.text(&id).ok(),
        (v, _) => v.into_string().ok(),
    }
}

async fn items(relay: &TestRelay, user: &str) -> (SyncClient, Vec<IndexItem>, DocId) {
    let (login, mut c) = relay.client(user).await;
    let index = DocId::parse(&login.index_doc).unwrap();
    let items = index_items(&mut c, &index).await;
    (c, items, index)
}

fn first(items: &[IndexItem], kind: &str) -> DocId {
    items.iter().find(|i| i.kind == kind).unwrap_or_else(|| panic!("no {kind} in {items:?}")).id.clone()
}

/// `forger` opens `id`, makes `change`, and must be refused; an admin watching the document sees nothing,
/// and the stored document is unchanged.
async fn assert_refused(
    relay: &TestRelay,
    forger: &str,
    id: &DocId,
    change: impl FnOnce(&mut Transaction<'_>) -> Result<(), AutomergeError>,
) -> String {
    assert_refused_watched(relay, forger, "admin", id, change).await
}

/// [`assert_refused`] with another watcher (index documents are readable only by their user).
async fn assert_refused_watched(
    relay: &TestRelay,
    forger: &str,
    watcher_user: &str,
    id: &DocId,
    change: impl FnOnce(&mut Transaction<'_>) -> Result<(), AutomergeError>,
) -> String {
    let (_, mut watcher) = relay.client(watcher_user).await;
    assert_eq!(watcher.fetch(id, T).await.unwrap(), Fetched::Doc);
    let before = watcher.doc(id).unwrap().get_heads();
    let (_, mut c) = relay.client(forger).await;
    assert_eq!(c.fetch(id, T).await.unwrap(), Fetched::Doc, "{forger} reads {id}");
    c.pump_for(Duration::from_millis(100)).await.unwrap();
    c.change(id, change).await.unwrap();
    let want = id.clone();
    c.pump_until(T, "refusal", |c| c.refusal(&want).is_some()).await.unwrap_or_else(|e| panic!("{forger}: {e}"));
    let refused = c.refusal(id).unwrap().refused.clone().unwrap();
    watcher.pump_for(Duration::from_millis(300)).await.unwrap();
    assert_eq!(watcher.doc(id).unwrap().get_heads(), before, "{forger}'s refused change was forwarded");
    let (_, mut fresh) = relay.client(watcher_user).await;
    assert_eq!(fresh.fetch(id, T).await.unwrap(), Fetched::Doc);
    fresh.pump_for(Duration::from_millis(100)).await.unwrap();
    assert_eq!(fresh.doc(id).unwrap().get_heads(), before, "{forger}'s refused change was stored");
    // The forger can start over from the relay's copy.
    assert_eq!(c.fetch(id, T).await.unwrap(), Fetched::Doc);
    c.pump_for(Duration::from_millis(100)).await.unwrap();
    assert_eq!(c.doc(id).unwrap().get_heads(), before);
    format!("{}: {}", refused.path, refused.reason)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_writes_from_every_role_are_refused() {
    let relay = TestRelay::demo(bin(), "forge").await;
    let (_, rep1_items, rep1_index) = items(&relay, "rep1").await;
    let opp = first(&rep1_items, "opportunity");
    let money = opp.companion(FieldGroup::Money);
    assert!(rep1_items.iter().any(|i| i.id == money), "rep1 reads their deal's money");

    let why = assert_refused(&relay, "rep1", &opp, |tx| tx.put(ROOT, "owner", "rep2")).await;
    assert!(why.starts_with("owner"), "{why}");
    let why = assert_refused(&relay, "rep1", &opp, |tx| tx.put(ROOT, "stage", "no-such-stage")).await;
    assert!(why.contains("stage"), "{why}");
    let why = assert_refused(&relay, "rep1", &opp, |tx| tx.put(ROOT, "kind", "lead")).await;
    assert!(why.starts_with("kind"), "{why}");
    let why = assert_refused(&relay, "rep1", &money, |tx| {
        let (_, m) = tx.get(ROOT, "expected_amount")?.expect("amount");
        tx.put(&m, "amount_minor", -5_i64)
    })
    .await;
    assert!(!why.is_empty());
    let why = assert_refused_watched(&relay, "rep1", "rep1", &rep1_index, |tx| tx.put(ROOT, "user", "admin")).await;
    assert!(why.contains("relay"), "{why}");

    let (_, mkt_items, _) = items(&relay, "marketing").await;
    let why =
        assert_refused(&relay, "marketing", &first(&mkt_items, "opportunity"), |tx| tx.put(ROOT, "stage", "won")).await;
    assert!(!why.is_empty());

    let (_, an_items, _) = items(&relay, "analyst").await;
    assert_refused(&relay, "analyst", &first(&an_items, "lead"), |tx| tx.put(ROOT, "name", "forged")).await;

    let (_, as_items, _) = items(&relay, "aftersales").await;
    assert_refused(&relay, "aftersales", &first(&as_items, "customer"), |tx| tx.put(ROOT, "name", "forged")).await;

    let (_, am_items, _) = items(&relay, "accountmgr").await;
    assert_refused(&relay, "accountmgr", &first(&am_items, "opportunity"), |tx| tx.put(ROOT, "name", "forged")).await;

    let dir = DocId::parse(&relay.login("manager").await.unwrap().directory_doc).unwrap();
    let why = assert_refused(&relay, "manager", &dir, |tx| tx.put(ROOT, "churn", "x")).await;
    assert!(why.contains("admin"), "{why}");

    let (_, mgr_items, _) = items(&relay, "manager").await;
    let team_opp = mgr_items
        .iter()
        .find(|i| i.kind == "opportunity" && !rep1_items.iter().any(|r| r.id == i.id))
        .map(|i| i.id.clone())
        .unwrap_or_else(|| opp.clone());
    // A manager may not hand a deal to someone outside their team.
    let why = assert_refused(&relay, "manager", &team_opp, |tx| tx.put(ROOT, "owner", "rep3")).await;
    assert!(why.starts_with("owner"), "{why}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_edits_converge() {
    let relay = TestRelay::demo(bin(), "concurrent").await;
    let (mut rep1, rep1_items, _) = items(&relay, "rep1").await;
    let opp = first(&rep1_items, "opportunity");
    let (_, mut mgr) = relay.client("manager").await;
    assert_eq!(rep1.fetch(&opp, T).await.unwrap(), Fetched::Doc);
    assert_eq!(mgr.fetch(&opp, T).await.unwrap(), Fetched::Doc);
    rep1.pump_for(Duration::from_millis(100)).await.unwrap();
    mgr.pump_for(Duration::from_millis(100)).await.unwrap();
    let notes = |tx: &mut Transaction<'_>| tx.get(ROOT, "notes").map(|v| v.expect("notes").1);
    // Both edit before hearing from the other: different fields, and the same Text.
    rep1.change(&opp, |tx| {
        tx.put(ROOT, "name", "Renamed by rep1")?;
        let n = notes(tx)?;
        tx.splice_text(&n, 0, 0, "[rep1 was here]")
    })
    .await
    .unwrap();
    mgr.change(&opp, |tx| {
        tx.put(ROOT, "source", "website")?;
        let n = notes(tx)?;
        let len = tx.length(&n);
        tx.splice_text(&n, len, 0, "[manager too]")
    })
    .await
    .unwrap();
    let id = opp.clone();
    for _ in 0..50 {
        rep1.pump_for(Duration::from_millis(50)).await.unwrap();
        mgr.pump_for(Duration::from_millis(50)).await.unwrap();
        if rep1.doc(&id).unwrap().get_heads() == mgr.doc(&id).unwrap().get_heads() {
            break;
        }
    }
    assert!(rep1.errors.is_empty() && mgr.errors.is_empty(), "{:?} {:?}", rep1.errors, mgr.errors);
    let (a, b) = (rep1.doc(&id).unwrap(), mgr.doc(&id).unwrap());
    assert_eq!(a.get_heads(), b.get_heads(), "converged");
    for d in [a, b] {
        assert_eq!(text(d, "name").as_deref(), Some("Renamed by rep1"));
        assert_eq!(text(d, "source").as_deref(), Some("website"));
        let n = text(d, "notes").unwrap();
        assert!(n.contains("[rep1 was here]") && n.contains("[manager too]"), "{n}");
    }
    // And the relay stored the merge.
    let (_, mut fresh) = relay.client("admin").await;
    fresh.fetch(&id, T).await.unwrap();
    fresh.pump_for(Duration::from_millis(100)).await.unwrap();
    assert_eq!(fresh.doc(&id).unwrap().get_heads(), a.get_heads());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reassignment_moves_documents_between_indexes() {
    let relay = TestRelay::demo(bin(), "reassign").await;
    let (mut rep1, rep1_items, rep1_index) = items(&relay, "rep1").await;
    let opp = first(&rep1_items, "opportunity");
    let money = opp.companion(FieldGroup::Money);
    assert_eq!(rep1.fetch(&opp, T).await.unwrap(), Fetched::Doc);
    let (_, mut mgr) = relay.client("manager").await;
    assert_eq!(mgr.fetch(&opp, T).await.unwrap(), Fetched::Doc);
    mgr.pump_for(Duration::from_millis(100)).await.unwrap();
    // rep1 would still see the deal as its customer's maintainer: the manager moves the customer too.
    if let Some(customer) = text(mgr.doc(&opp).unwrap(), "customer").and_then(|c| DocId::parse(&c).ok()) {
        assert_eq!(mgr.fetch(&customer, T).await.unwrap(), Fetched::Doc);
        mgr.pump_for(Duration::from_millis(100)).await.unwrap();
        if text(mgr.doc(&customer).unwrap(), "owner").as_deref() == Some("rep1") {
            mgr.change(&customer, |tx| tx.put(ROOT, "owner", "rep2")).await.unwrap();
            mgr.pump_for(Duration::from_millis(200)).await.unwrap();
            assert!(mgr.refusal(&customer).is_none(), "{:?}", mgr.errors);
        }
    }
    mgr.change(&opp, |tx| tx.put(ROOT, "owner", "rep2")).await.unwrap();
    let (id, idx) = (opp.clone(), rep1_index.clone());
    rep1.pump_until_with(&mut mgr, T, "rep1 loses the deal", |c| {
        c.unavailable.contains(&id) && !read_index(c.doc(&idx).unwrap()).iter().any(|i| i.id == id)
    })
    .await
    .unwrap();
    assert!(mgr.refusal(&opp).is_none(), "{:?}", mgr.errors);
    assert!(!read_index(rep1.doc(&rep1_index).unwrap()).iter().any(|i| i.id == money));
    assert_eq!(rep1.fetch(&opp, T).await.unwrap(), Fetched::Unavailable);
    assert_eq!(rep1.fetch(&money, T).await.unwrap(), Fetched::Unavailable);
    let (_, rep2_items, _) = items(&relay, "rep2").await;
    assert!(rep2_items.iter().any(|i| i.id == opp) && rep2_items.iter().any(|i| i.id == money));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_reaches_only_allowed_peers() {
    let relay = TestRelay::demo(bin(), "presence").await;
    let (mut rep1, rep1_items, _) = items(&relay, "rep1").await;
    let opp = first(&rep1_items, "opportunity");
    let (_, mut mgr) = relay.client("manager").await;
    let (_, mut mkt) = relay.client("marketing").await;
    let (_, mut rep3) = relay.client("rep3").await;
    rep1.fetch(&opp, T).await.unwrap();
    mgr.fetch(&opp, T).await.unwrap();
    mkt.fetch(&opp, T).await.unwrap();
    assert_eq!(rep3.fetch(&opp, T).await.unwrap(), Fetched::Unavailable);
    let msg = Message::Ephemeral(Ephemeral {
        sender_id: rep1.peer.clone(),
        target_id: PeerId::new("crm-relay"),
        document_id: opp.clone(),
        session_id: "s1".into(),
        count: 1,
        data: b"typing in notes".to_vec(),
    });
    rep1.send(&msg).await.unwrap();
    mgr.pump_until(T, "presence", |c| !c.ephemeral.is_empty()).await.unwrap();
    assert_eq!(mgr.ephemeral[0].data, b"typing in notes");
    mkt.pump_until(T, "presence", |c| !c.ephemeral.is_empty()).await.unwrap();
    // rep3 asks to send presence about it too: dropped, and rep3 hears nothing.
    let mut forged = msg.clone();
    if let Message::Ephemeral(e) = &mut forged {
        e.sender_id = rep3.peer.clone();
    }
    rep3.send(&forged).await.unwrap();
    rep3.pump_for(Duration::from_millis(300)).await.unwrap();
    assert!(rep3.ephemeral.is_empty());
    mgr.pump_for(Duration::from_millis(200)).await.unwrap();
    assert_eq!(mgr.ephemeral.len(), 1, "rep3's presence was relayed");
}
