//! Bad input on the real relay: bad tokens are refused before the upgrade; garbage frames get an error and
//! a close; a malformed sync message gets an error naming the document; and the relay keeps serving others.

use std::path::Path;
use std::time::Duration;

use app::domain::DocId;
use app::protocol::{self, Message, PeerId, SyncData};
use server::testing::{index_items, post_json, Fetched, SyncClient, TestRelay};
use tokio_tungstenite::tungstenite;

const T: Duration = Duration::from_secs(10);

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_crm-server"))
}

fn status_of(e: &server::testing::ClientError) -> Option<u16> {
    match e {
        server::testing::ClientError::Ws(tungstenite::Error::Http(r)) => Some(r.status().as_u16()),
        _ => None,
    }
}

/// The relay answers `frame` with an error message and/or closes the socket.
async fn rejected(relay: &TestRelay, user: &str, frame: Vec<u8>) -> (Vec<String>, Option<String>) {
    let (_, mut c) = relay.client(user).await;
    c.send_raw(frame).await.unwrap();
    let r = c.pump_until(T, "error or close", |c| !c.errors.is_empty()).await;
    // After the error the relay closes: reading on must end.
    let _ = c.pump_for(Duration::from_millis(500)).await;
    let closed = c.closed.clone().or_else(|| r.err().map(|e| e.to_string()));
    (c.errors.iter().map(|e| e.message.clone()).collect(), closed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_clear_answer_and_others_keep_working() {
    let relay = TestRelay::demo(bin(), "badinput").await;
    // A bystander with a document open throughout.
    let (login2, mut bystander) = relay.client("rep2").await;
    let index2 = DocId::parse(&login2.index_doc).unwrap();
    let items = index_items(&mut bystander, &index2).await;
    assert!(!items.is_empty());

    // Tokens: none, invalid, logged out: 401 before any upgrade.
    let url = |t: &str| format!("ws://{}/sync{t}", relay.relay().addr);
    for bad in ["", "?token=nope", "?token=0000000000000000000000000000000000000000000000000000000000000000"] {
        let e = SyncClient::connect(&url(bad)).await.err().expect("refused");
        assert_eq!(status_of(&e), Some(401), "{bad}: {e}");
    }
    let l = relay.login("rep1").await.unwrap();
    post_json(relay.relay().addr, "/api/logout", Some(&l.token), &serde_json::json!({})).await.unwrap();
    let e = SyncClient::connect(&relay.relay().sync_url(&l.token)).await.err().expect("logged-out token refused");
    assert_eq!(status_of(&e), Some(401));
    // Wrong password is refused too.
    assert!(server::testing::login(relay.relay().addr, "rep1", "wrong").await.is_err());

    // Garbage frames: error + close.
    let good = protocol::encode(&Message::Sync(SyncData {
        document_id: DocId::from_bytes([1; 16]),
        sender_id: PeerId::new("x"),
        target_id: PeerId::new("crm-relay"),
        data: vec![0x42, 1, 2, 3],
        doc_type: None,
    }))
    .unwrap();
    let (errors, closed) = rejected(&relay, "rep1", good[..good.len() / 2].to_vec()).await;
    assert!(errors.iter().any(|e| e.contains("CBOR")), "{errors:?}");
    assert!(closed.is_some(), "truncated CBOR closes the socket");
    let random: Vec<u8> = (0..300).map(|i| (i * 7919 % 251) as u8).collect();
    let (errors, closed) = rejected(&relay, "rep1", random).await;
    assert!(!errors.is_empty() && closed.is_some());
    let oversized = vec![0u8; 9 * 1024 * 1024];
    let (_, closed) = rejected(&relay, "rep1", oversized).await;
    assert!(closed.is_some(), "oversized frame closes the socket");

    // A well-formed frame whose sync data is not an Automerge sync message: an error about that document,
    // and the socket stays usable.
    let (_, mut c) = relay.client("rep1").await;
    let doc = DocId::from_bytes([2; 16]);
    c.send(&Message::Sync(SyncData {
        document_id: doc.clone(),
        sender_id: c.peer.clone(),
        target_id: PeerId::new("crm-relay"),
        data: vec![0x42, 0xff, 0xff, 0xff, 0x01],
        doc_type: None,
    }))
    .await
    .unwrap();
    c.pump_until(T, "error", |c| !c.errors.is_empty()).await.unwrap();
    assert_eq!(c.errors[0].document_id.as_ref(), Some(&doc));
    // A sync message carrying a malformed change (a "document" that is not Automerge): an error naming it,
    // nothing stored.
    let bogus = automerge::sync::Message {
        heads: vec![],
        need: vec![],
        have: vec![],
        changes: automerge::sync::ChunkList::from(vec![vec![0x85, 0x6f, 0x4a, 0x83, 1, 2, 3, 4, 5, 6, 7]]),
        flags: None,
        version: automerge::sync::MessageVersion::V1,
    }
    .encode();
    let doc3 = DocId::from_bytes([3; 16]);
    c.send(&Message::Sync(SyncData {
        document_id: doc3.clone(),
        sender_id: c.peer.clone(),
        target_id: PeerId::new("crm-relay"),
        data: bogus,
        doc_type: None,
    }))
    .await
    .unwrap();
    c.pump_until(T, "error for the malformed change", |c| {
        c.errors.iter().any(|e| e.document_id.as_ref() == Some(&doc3))
    })
    .await
    .unwrap();
    assert_eq!(c.fetch(&doc3, T).await.unwrap(), Fetched::Unavailable, "nothing was stored");
    let index1 = DocId::parse(&relay.login("rep1").await.unwrap().index_doc).unwrap();
    assert_eq!(c.fetch(&index1, T).await.unwrap(), Fetched::Doc, "socket still serves after a bad message");

    // The bystander never noticed.
    assert_eq!(bystander.fetch(&items[0].id, T).await.unwrap(), Fetched::Doc);
    let fresh = relay.login("rep2").await.unwrap();
    let mut again = SyncClient::connect(&relay.relay().sync_url(&fresh.token)).await.unwrap();
    assert_eq!(again.fetch(&index2, T).await.unwrap(), Fetched::Doc);
}
