//! Hub tests over real sockets, with a test-only `/sync?user=` route (the real route authenticates; see
//! `server/tests/sync_*.rs` for tests against the whole relay).

use std::sync::Arc;
use std::time::Duration;

use app::domain::docs::{init_companion, init_record};
use app::domain::{
    Directory, DocId, FieldGroup, Money, Opportunity, OpportunityMoney, Role, StageId, Team, TeamId, Timestamp, User,
    UserId,
};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, Automerge, ReadDoc, ROOT};
use axum::extract::{Query, State, WebSocketUpgrade};
use axum::routing::get;

use super::{Hub, HubConfig};
use crate::docstore::{DocStore, MemoryStore};
use crate::testing::{Fetched, SyncClient};

const T: Duration = Duration::from_secs(5);

fn user(id: &str, role: Role, team: Option<&str>) -> User {
    User { id: UserId::new(id), name: id.into(), role, team: team.map(TeamId::new), disabled: false }
}

fn directory() -> Directory {
    let mut d = Directory::new();
    d.users = vec![
        user("admin", Role::Admin, None),
        user("manager", Role::SalesManager, Some("east")),
        user("rep1", Role::SalesRep, Some("east")),
        user("rep2", Role::SalesRep, Some("east")),
        user("rep3", Role::SalesRep, Some("west")),
        user("marketing", Role::Marketing, None),
    ];
    d.teams = vec![
        Team { id: TeamId::new("east"), name: "East".into(), manager: Some(UserId::new("manager")), parent: None },
        Team { id: TeamId::new("west"), name: "West".into(), manager: None, parent: None },
    ];
    d
}

fn opportunity(dir: &Directory, n: u8, owner: &str) -> (DocId, Automerge, DocId, Automerge) {
    let id = DocId::from_bytes([n; 16]);
    let o = UserId::new(owner);
    let now = Timestamp::from_millis(1_700_000_000_000);
    let opp = Opportunity::new(
        &format!("Deal {n}"),
        // A device's stand-in number: accepted on new records without a block (see `ops::number`).
        &app::domain::ops::provisional_number("OPP", now, u64::from(n)),
        &StageId::new("initial"),
        Some(o.clone()),
        &o,
        now,
        dir,
    )
    .unwrap();
    let mut main = AutoCommit::new();
    init_record(&mut main, &opp).unwrap();
    let money = OpportunityMoney {
        expected_amount: Some(Money::new(123_456, "CNY").unwrap()),
        win_probability: 10,
        quotes: vec![],
    };
    let mut comp = AutoCommit::new();
    init_companion(&mut comp, &id, now, &o, &money).unwrap();
    (id.clone(), main.document().clone(), id.companion(FieldGroup::Money), comp.document().clone())
}

#[derive(serde::Deserialize)]
struct Who {
    user: String,
}

async fn start() -> (Hub, String, Vec<DocId>) {
    let (hub, url, ids, _) = start_with(HubConfig::default()).await;
    (hub, url, ids)
}

async fn start_with(cfg: HubConfig) -> (Hub, String, Vec<DocId>, Arc<dyn DocStore>) {
    start_on(Arc::new(MemoryStore::new()), cfg).await
}

/// The demo hub over `store`, served at the returned `ws://` URL.
async fn start_on(store: Arc<dyn DocStore>, cfg: HubConfig) -> (Hub, String, Vec<DocId>, Arc<dyn DocStore>) {
    let hub = Hub::open(store.clone(), cfg).await.unwrap();
    hub.update_directory(|d| *d = directory()).await.unwrap();
    let dir = hub.directory();
    let mut ids = Vec::new();
    let mut docs = Vec::new();
    for (n, owner) in [(1u8, "rep1"), (2, "rep2"), (3, "rep3")] {
        let (a, ad, b, bd) = opportunity(&dir, n, owner);
        ids.push(a.clone());
        docs.push((a, ad));
        docs.push((b, bd));
    }
    hub.create_docs(docs, app::domain::history::Author::Relay).await.unwrap();
    let h = hub.clone();
    let app = axum::Router::new().route(
        "/sync",
        get(move |ws: WebSocketUpgrade, Query(who): Query<Who>, State(()): State<()>| {
            let hub = h.clone();
            async move {
                ws.on_upgrade(move |socket| {
                    super::serve_socket(hub, socket, UserId::new(who.user), std::future::pending())
                })
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (hub, format!("ws://{addr}/sync"), ids, store)
}

async fn client(url: &str, user: &str) -> SyncClient {
    SyncClient::connect(&format!("{url}?user={user}")).await.unwrap()
}

fn text(doc: &Automerge, key: &str) -> Option<String> {
    doc.get(ROOT, key).ok().flatten().and_then(|(v, _)| v.into_string().ok())
}

#[tokio::test]
async fn read_gate_follows_policy() {
    let (_hub, url, ids) = start().await;
    let mut rep1 = client(&url, "rep1").await;
    assert_eq!(rep1.fetch(&ids[0], T).await.unwrap(), Fetched::Doc);
    assert_eq!(text(rep1.doc(&ids[0]).unwrap(), "name").as_deref(), Some("Deal 1"));
    assert_eq!(rep1.fetch(&ids[0].companion(FieldGroup::Money), T).await.unwrap(), Fetched::Doc);
    assert_eq!(rep1.fetch(&ids[2], T).await.unwrap(), Fetched::Unavailable);
    assert_eq!(rep1.fetch(&ids[2].companion(FieldGroup::Money), T).await.unwrap(), Fetched::Unavailable);
    assert_eq!(rep1.fetch(&DocId::from_bytes([99; 16]), T).await.unwrap(), Fetched::Unavailable);
    let mut mkt = client(&url, "marketing").await;
    assert_eq!(mkt.fetch(&ids[2], T).await.unwrap(), Fetched::Doc);
    assert_eq!(mkt.fetch(&ids[2].companion(FieldGroup::Money), T).await.unwrap(), Fetched::Unavailable);
}

#[tokio::test]
async fn index_lists_readable_docs() {
    let (hub, url, ids) = start().await;
    let mut mgr = client(&url, "manager").await;
    let index = hub.index_doc_id(&UserId::new("manager"));
    assert_eq!(mgr.fetch(&index, T).await.unwrap(), Fetched::Doc);
    let doc = mgr.doc(&index).unwrap();
    let (_, docs) = doc.get(ROOT, "docs").unwrap().unwrap();
    let mut keys: Vec<String> = doc.keys(&docs).collect();
    keys.sort();
    let mut want: Vec<String> =
        [&ids[0], &ids[1]].iter().flat_map(|i| [i.to_string(), i.companion(FieldGroup::Money).to_string()]).collect();
    want.sort();
    assert_eq!(keys, want);
    // Another user's index is unavailable.
    assert_eq!(mgr.fetch(&hub.index_doc_id(&UserId::new("rep1")), T).await.unwrap(), Fetched::Unavailable);
}

#[tokio::test]
async fn allowed_edit_fans_out_and_forged_owner_is_refused() {
    let (hub, url, ids) = start().await;
    let mut rep1 = client(&url, "rep1").await;
    let mut mgr = client(&url, "manager").await;
    rep1.fetch(&ids[0], T).await.unwrap();
    mgr.fetch(&ids[0], T).await.unwrap();
    rep1.change(&ids[0], |tx| tx.put(ROOT, "name", "Renamed")).await.unwrap();
    let id = ids[0].clone();
    mgr.pump_until_with(&mut rep1, T, "fan-out", |c| text(c.doc(&id).unwrap(), "name").as_deref() == Some("Renamed"))
        .await
        .unwrap();
    // A rep may not change the owner: refused, not stored, not forwarded.
    rep1.pump_for(Duration::from_millis(200)).await.unwrap();
    rep1.change(&ids[0], |tx| tx.put(ROOT, "owner", "rep3")).await.unwrap();
    rep1.pump_until(T, "refusal", |c| c.refusal(&id).is_some()).await.unwrap();
    let r = rep1.refusal(&id).unwrap().refused.clone().unwrap();
    assert_eq!(r.path, "owner");
    mgr.pump_for(Duration::from_millis(300)).await.unwrap();
    assert_eq!(text(mgr.doc(&id).unwrap(), "owner").as_deref(), Some("rep1"));
    let stored = hub.load(&id).await.unwrap().unwrap();
    assert_eq!(text(&stored, "owner").as_deref(), Some("rep1"));
    assert_eq!(text(&stored, "name").as_deref(), Some("Renamed"));
    // A later change built on the refused one is refused too, and the forger is told again.
    let errors_before = rep1.errors.len();
    rep1.change(&ids[0], |tx| tx.put(ROOT, "name", "After the forgery")).await.unwrap();
    rep1.pump_until(T, "second refusal", |c| c.errors.len() > errors_before).await.unwrap();
    assert!(rep1.errors.last().unwrap().refused.is_some());
    mgr.pump_for(Duration::from_millis(300)).await.unwrap();
    assert_eq!(text(mgr.doc(&id).unwrap(), "name").as_deref(), Some("Renamed"));
    assert_eq!(text(&hub.load(&id).await.unwrap().unwrap(), "name").as_deref(), Some("Renamed"));
    // After a fresh request the client has the relay's copy and can edit again.
    rep1.fetch(&id, T).await.unwrap();
    rep1.pump_for(Duration::from_millis(100)).await.unwrap();
    assert_eq!(text(rep1.doc(&id).unwrap(), "owner").as_deref(), Some("rep1"));
    rep1.change(&id, |tx| tx.put(ROOT, "name", "Clean edit")).await.unwrap();
    mgr.pump_until_with(&mut rep1, T, "clean edit", |c| {
        text(c.doc(&id).unwrap(), "name").as_deref() == Some("Clean edit")
    })
    .await
    .unwrap();
    // rep3 never receives anything about it.
    let mut rep3 = client(&url, "rep3").await;
    assert_eq!(rep3.fetch(&id, T).await.unwrap(), Fetched::Unavailable);
}

#[tokio::test]
async fn reassignment_moves_index_entries_and_revokes() {
    let (hub, url, ids) = start().await;
    let id = ids[0].clone();
    let mut rep1 = client(&url, "rep1").await;
    let mut mgr = client(&url, "manager").await;
    rep1.fetch(&id, T).await.unwrap();
    mgr.fetch(&id, T).await.unwrap();
    mgr.change(&id, |tx| tx.put(ROOT, "owner", "rep2")).await.unwrap();
    mgr.pump_for(Duration::from_millis(200)).await.unwrap();
    assert!(mgr.refusal(&id).is_none(), "{:?}", mgr.errors);
    rep1.pump_until(T, "revocation", |c| c.unavailable.contains(&id)).await.unwrap();
    assert_eq!(rep1.fetch(&id, T).await.unwrap(), Fetched::Unavailable);
    let idx = |u: &str| hub.index_doc_id(&UserId::new(u));
    let has = |doc: &Automerge, d: &DocId| {
        let (_, docs) = doc.get(ROOT, "docs").unwrap().unwrap();
        doc.get(&docs, d.as_str()).unwrap().is_some()
    };
    assert!(!has(&hub.load(&idx("rep1")).await.unwrap().unwrap(), &id));
    assert!(has(&hub.load(&idx("rep2")).await.unwrap().unwrap(), &id));
    assert!(has(&hub.load(&idx("rep2")).await.unwrap().unwrap(), &id.companion(FieldGroup::Money)));
}

#[tokio::test]
async fn creating_a_record_by_sync() {
    let (hub, url, _) = start().await;
    let mut rep1 = client(&url, "rep1").await;
    let dir = hub.directory();
    let (id, doc, cid, cdoc) = opportunity(&dir, 50, "rep1");
    rep1.create(&id, doc).await.unwrap();
    rep1.pump_for(Duration::from_millis(300)).await.unwrap();
    assert!(rep1.refusal(&id).is_none(), "{:?}", rep1.errors);
    assert!(hub.load(&id).await.unwrap().is_some());
    rep1.create(&cid, cdoc).await.unwrap();
    rep1.pump_for(Duration::from_millis(300)).await.unwrap();
    assert!(rep1.refusal(&cid).is_none(), "{:?}", rep1.errors);
    assert!(hub.load(&cid).await.unwrap().is_some());
    // Creating one owned by someone else is refused.
    let (id2, doc2, _, _) = opportunity(&dir, 51, "rep2");
    rep1.create(&id2, doc2).await.unwrap();
    rep1.pump_until(T, "refusal", |c| c.refusal(&id2).is_some()).await.unwrap();
    assert!(hub.load(&id2).await.unwrap().is_none());
}

#[tokio::test]
async fn directory_changes_recompute_indexes_and_end_disabled_sockets() {
    let (hub, url, ids) = start().await;
    let mut rep3 = client(&url, "rep3").await;
    assert_eq!(rep3.fetch(&ids[0], T).await.unwrap(), Fetched::Unavailable);
    // rep3 moves to the east team and becomes its manager's: now rep3 is a manager of east.
    hub.update_directory(|d| {
        let u = d.users.iter_mut().find(|u| u.id.as_str() == "rep3").unwrap();
        u.role = Role::SalesManager;
        u.team = Some(TeamId::new("east"));
        d.teams[0].manager = Some(UserId::new("rep3"));
    })
    .await
    .unwrap();
    assert_eq!(rep3.fetch(&ids[0], T).await.unwrap(), Fetched::Doc);
    let index = hub.index_doc_id(&UserId::new("rep3"));
    let (_, docs) = hub.load(&index).await.unwrap().unwrap().get(ROOT, "docs").unwrap().unwrap();
    assert!(hub.load(&index).await.unwrap().unwrap().get(&docs, ids[0].as_str()).unwrap().is_some());
    // Disabling a user ends their socket at once.
    hub.update_directory(|d| d.users.iter_mut().find(|u| u.id.as_str() == "rep3").unwrap().disabled = true)
        .await
        .unwrap();
    let r = rep3.pump_until(T, "close", |c| c.closed.is_some()).await;
    assert!(r.is_err() || rep3.closed.is_some());
    assert!(rep3.closed.is_some(), "socket closed");
}

#[tokio::test]
async fn connection_cap_per_user() {
    let cfg = HubConfig { max_conns_per_user: 2, ..HubConfig::default() };
    let (_hub, url, _, _) = start_with(cfg).await;
    let _a = client(&url, "rep1").await;
    let _b = client(&url, "rep1").await;
    let third = SyncClient::connect(&format!("{url}?user=rep1")).await;
    assert!(third.is_err(), "a third socket is refused");
    let _other = client(&url, "rep2").await;
}

#[tokio::test]
async fn compaction_keeps_every_change() {
    let cfg = HubConfig { compact_after: 3, ..HubConfig::default() };
    let (hub, url, ids, store) = start_with(cfg).await;
    let mut rep1 = client(&url, "rep1").await;
    rep1.fetch(&ids[0], T).await.unwrap();
    for i in 0..10 {
        rep1.change(&ids[0], |tx| tx.put(ROOT, "name", format!("v{i}"))).await.unwrap();
        rep1.pump_for(Duration::from_millis(30)).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let chunks = store.load(&ids[0]).unwrap().unwrap();
    assert!(chunks.chunks.len() < 10, "compacted: {} chunks", chunks.chunks.len());
    let reopened = Hub::open(store, HubConfig::default()).await.unwrap();
    let doc = reopened.load(&ids[0]).await.unwrap().unwrap();
    assert_eq!(text(&doc, "name").as_deref(), Some("v9"));
    assert_eq!(doc.get_heads(), hub.load(&ids[0]).await.unwrap().unwrap().get_heads());
}

mod commit;
mod erase;
mod pipeline;

/// A writer whose first message carried only the new heads (the relay's Bloom filter said it had the
/// change) then sends a later change before the one it builds on: the relay keeps the later one until the
/// earlier arrives, and stores both. (It used to drop it and ask for it forever, while the writer, having
/// sent it, never sent it again: the two exchanged messages without end.)
#[tokio::test]
async fn a_change_that_arrives_before_the_one_it_builds_on_is_kept_until_that_one_comes() {
    use app::protocol::Message as Wire;
    use automerge::sync::{ChunkList, Message, MessageVersion};
    let (hub, url, ids) = start().await;
    let id = ids[0].clone();
    let mut rep1 = client(&url, "rep1").await;
    rep1.fetch(&id, T).await.unwrap();
    rep1.pump_for(Duration::from_millis(50)).await.unwrap();
    // Two changes made locally, not sent: `first`, then `second` on top of it.
    let doc = &mut rep1.docs.get_mut(&id).unwrap().doc;
    let mut change = |name: &str| {
        let mut tx = doc.transaction();
        tx.put(ROOT, "name", name).unwrap();
        tx.commit();
        doc.get_last_local_change().unwrap().raw_bytes().to_vec()
    };
    let (first, second) = (change("First"), change("Second"));
    let heads = rep1.doc(&id).unwrap().get_heads();
    let send = |changes: Vec<Vec<u8>>| {
        let m = Message {
            heads: heads.clone(),
            need: Vec::new(),
            have: Vec::new(),
            changes: ChunkList::from(changes),
            flags: None,
            version: MessageVersion::V1,
        };
        Wire::Sync(rep1.sync_data(&id, m.encode()))
    };
    let (later, earlier) = (send(vec![second]), send(vec![first]));
    rep1.send(&later).await.unwrap();
    rep1.send(&earlier).await.unwrap();
    let deadline = std::time::Instant::now() + T;
    loop {
        let stored = hub.load(&id).await.unwrap().unwrap();
        if text(&stored, "name").as_deref() == Some("Second") {
            assert_eq!(stored.get_heads(), heads);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the relay has {:?}", text(&stored, "name"));
        // Not answering: like the real writer, this one would not send `second` again (it sent it).
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
