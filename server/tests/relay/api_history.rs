//! History, provenance, as-of and undo against the real relay (issue 13): the provenance recorded is the
//! session's user even when a sync client forges another writer's actor id; REST writes are recorded; a
//! reader without money sees no money in history; `?as_of=` answers an earlier stage; a rep cannot undo
//! their manager's reassignment, and an undone amount change is itself in the history.

use std::time::Duration;

use automerge::transaction::Transactable;
use automerge::{ChangeHash, ReadDoc, ROOT};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{start, TestServer};
use app::domain::DocId;
use server::testing::{Fetched, SyncClient};

const T: Duration = Duration::from_secs(10);

/// A deal made over REST by `token` (owner `owner`) with an amount of 12,500.00 CNY; its id.
async fn deal(s: &TestServer, token: &str, owner: &str) -> String {
    let body = json!({
        "name": "Tea packaging line",
        "owner": owner,
        "money": {"expected_amount": {"amount_minor": 1_250_000, "currency": "CNY"}},
    });
    let (status, o) = s.post("/api/v1/opportunities", Some(token), body).await;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    o["id"].as_str().unwrap().to_string()
}

async fn history(s: &TestServer, deal: &str, token: &str, query: &str) -> Vec<Value> {
    let (status, h) = s.get(&format!("/api/v1/opportunities/{deal}/history{query}"), token).await;
    assert_eq!(status, StatusCode::OK, "{h}");
    h.as_array().expect("an array of entries").clone()
}

/// The entries that changed `field`.
fn touching<'a>(h: &'a [Value], field: &str) -> Vec<&'a Value> {
    h.iter().filter(|e| e["fields"].as_array().unwrap().iter().any(|f| f["field"] == field)).collect()
}

fn field<'a>(e: &'a Value, name: &str) -> &'a Value {
    e["fields"].as_array().unwrap().iter().find(|f| f["field"] == name).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provenance_is_the_session_user_even_with_a_forged_actor_id() {
    let s = start(|_| {}).await;
    let (manager, rep1) = (s.token("manager").await, s.token("rep1").await);
    let deal_id = deal(&s, &rep1, "rep1").await;
    // The manager renames it over REST: a change with the manager's (random) actor.
    let (status, body) =
        s.patch(&format!("/api/v1/opportunities/{deal_id}"), &manager, json!({"name": "By the manager"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let h = history(&s, &deal_id, &manager, "?field=name").await;
    let by_manager = touching(&h, "name").last().unwrap()["change"].as_str().unwrap().to_string();

    // rep1 syncs a change made with the manager's actor id, claiming to be the manager.
    let id = DocId::parse(&deal_id).unwrap();
    let mut c = SyncClient::connect(&format!("ws://{}/sync?token={rep1}", s.addr)).await.unwrap();
    assert_eq!(c.fetch(&id, T).await.unwrap(), Fetched::Doc);
    c.pump_for(Duration::from_millis(100)).await.unwrap();
    let mut doc = c.doc(&id).unwrap().fork();
    let hash: ChangeHash = by_manager.parse().unwrap();
    let forged = doc.get_change_by_hash(&hash).expect("the manager's change").actor_id().clone();
    doc.set_actor(forged.clone());
    let mut tx = doc.transaction();
    tx.put(ROOT, "name", "Forged by rep1").unwrap();
    tx.commit();
    let mine = doc.get_heads()[0];
    assert_eq!(doc.get_change_by_hash(&mine).unwrap().actor_id(), &forged);
    c.docs.get_mut(&id).unwrap().doc = doc;
    c.sync_doc(&id).await.unwrap();
    let mut stored = false;
    for _ in 0..100 {
        c.pump_for(Duration::from_millis(50)).await.unwrap();
        let (_, o) = s.get(&format!("/api/v1/opportunities/{deal_id}"), &manager).await;
        if o["name"] == "Forged by rep1" {
            stored = true;
            break;
        }
    }
    assert!(stored, "the change reached the relay");
    assert!(c.errors.is_empty(), "{:?}", c.errors);

    let h = history(&s, &deal_id, &manager, "?field=name").await;
    let e = h.iter().find(|e| e["change"] == mine.to_string()).expect("the synced change is in the history");
    assert_eq!(e["author"], json!({"user": "rep1"}), "the session's user, not the actor's: {e}");
    assert!(e["received_at"].as_i64().is_some(), "{e}");
    let m = h.iter().find(|e| e["change"] == by_manager).unwrap();
    assert_eq!(m["author"], json!({"user": "manager"}));
    // Filtered by person.
    let only_rep1 = history(&s, &deal_id, &manager, "?user=rep1").await;
    assert!(!only_rep1.is_empty() && only_rep1.iter().all(|e| e["author"] == json!({"user": "rep1"})));

    // The provenance a client caches: per document the caller may read.
    let (status, p) = s.get(&format!("/api/v1/opportunities/{deal_id}/provenance"), &manager).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    let docs = p.as_array().unwrap();
    assert_eq!(docs.iter().map(|d| d["group"].as_str().unwrap()).collect::<Vec<_>>(), ["base", "money"]);
    let row = docs[0]["changes"].as_array().unwrap().iter().find(|r| r["change"] == mine.to_string()).unwrap();
    assert_eq!(row["author"], json!({"user": "rep1"}));
    let since = row["received_at"].as_i64().unwrap();
    let (_, newer) = s.get(&format!("/api/v1/opportunities/{deal_id}/provenance?since={since}"), &manager).await;
    assert!(newer[0]["changes"].as_array().unwrap().iter().all(|r| r["received_at"].as_i64().unwrap() > since));
    c.close().await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_writes_are_recorded_and_money_stays_with_money_readers() {
    let s = start(|_| {}).await;
    let (rep1, marketing) = (s.token("rep1").await, s.token("marketing").await);
    let deal_id = deal(&s, &rep1, "rep1").await;
    let path = format!("/api/v1/opportunities/{deal_id}");
    let (status, body) = s
        .patch(&path, &rep1, json!({"money": {"expected_amount": {"amount_minor": 2_000_000, "currency": "CNY"}}}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = s.patch(&path, &rep1, json!({"notes": "Call back on Monday"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let h = history(&s, &deal_id, &rep1, "").await;
    assert!(h[0]["created"] == true, "{}", h[0]);
    let amounts = touching(&h, "expected_amount");
    let last = amounts.last().unwrap();
    assert_eq!(last["group"], "money");
    assert_eq!(last["author"], json!({"user": "rep1"}));
    assert!(last["author_name"].as_str().is_some_and(|n| !n.is_empty()), "{last}");
    assert!(last["made_at"].as_i64().is_some() && last["received_at"].as_i64().is_some(), "{last}");
    let f = field(last, "expected_amount");
    assert_eq!(
        (f["old"]["amount_minor"].as_i64(), f["new"]["amount_minor"].as_i64()),
        (Some(1_250_000), Some(2_000_000))
    );
    let notes = touching(&h, "notes");
    assert_eq!(field(notes[notes.len() - 1], "notes")["type"], "text");
    assert!(h.iter().all(|e| e["fields"].as_array().unwrap().iter().all(|f| f["field"] != "updated_at")));

    // Marketing reads the deal but not its money: no money entry, no amount anywhere.
    let h = history(&s, &deal_id, &marketing, "").await;
    assert!(!h.is_empty());
    assert!(h.iter().all(|e| e["group"] == "base"), "{h:?}");
    let text = serde_json::to_string(&h).unwrap();
    assert!(!text.contains("amount_minor") && !text.contains("win_probability"), "{text}");
    assert!(history(&s, &deal_id, &marketing, "?field=expected_amount").await.is_empty());
    let (_, p) = s.get(&format!("/api/v1/opportunities/{deal_id}/provenance"), &marketing).await;
    assert_eq!(p.as_array().unwrap().len(), 1, "only the main document: {p}");
    // Someone who may not read the deal gets 404, as for the record.
    let rep3 = s.token("rep3").await;
    let (status, _) = s.get(&format!("/api/v1/opportunities/{deal_id}/history"), &rep3).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn as_of_answers_the_earlier_stage() {
    let s = start(|_| {}).await;
    let (rep1, marketing) = (s.token("rep1").await, s.token("marketing").await);
    let before = chrono::Utc::now().timestamp_millis() - 1;
    let deal_id = deal(&s, &rep1, "rep1").await;
    let path = format!("/api/v1/opportunities/{deal_id}");
    tokio::time::sleep(Duration::from_millis(20)).await;
    let then = chrono::Utc::now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let (status, body) = s.patch(&path, &rep1, json!({"stage": "proposal"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (_, now) = s.get(&path, &rep1).await;
    assert_eq!(now["stage"], "proposal");
    let rfc = then.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let (status, old) = s.get(&format!("{path}?as_of={rfc}"), &rep1).await;
    assert_eq!(status, StatusCode::OK, "{old}");
    assert_eq!(old["stage"], "initial", "{old}");
    assert_eq!(old["money"]["expected_amount"]["amount_minor"], 1_250_000);
    let (_, old) = s.get(&format!("{path}?as_of={}", then.timestamp_millis()), &marketing).await;
    assert_eq!(old["stage"], "initial");
    assert!(old.get("money").is_none(), "redacted as the record is: {old}");
    let (status, _) = s.get(&format!("{path}?as_of={before}"), &rep1).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "before it existed");
    let (status, _) = s.get(&format!("{path}?as_of=yesterday"), &rep1).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // The stage move is in the history, with its stage history entry.
    let h = history(&s, &deal_id, &rep1, "?field=stage").await;
    let f = field(h.last().unwrap(), "stage");
    assert_eq!((&f["old"], &f["new"]), (&json!("initial"), &json!("proposal")));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_passes_the_write_gate_and_is_in_the_history() {
    let s = start(|_| {}).await;
    let (manager, rep1) = (s.token("manager").await, s.token("rep1").await);
    // The manager gives rep2's deal to rep1.
    let deal_id = deal(&s, &manager, "rep2").await;
    let path = format!("/api/v1/opportunities/{deal_id}");
    let (status, body) = s.patch(&path, &manager, json!({"owner": "rep1"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let h = history(&s, &deal_id, &rep1, "?field=owner").await;
    let reassign = h.last().unwrap()["change"].as_str().unwrap().to_string();
    assert_eq!(h.last().unwrap()["author"], json!({"user": "manager"}));
    // rep1 may not undo it (that would assign the deal to rep2).
    let (status, body) = s.post(&format!("{path}/undo"), Some(&rep1), json!({"change": reassign})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["field"], "owner", "{body}");
    let (_, o) = s.get(&path, &rep1).await;
    assert_eq!(o["owner"], "rep1");

    // rep1 raises the amount, then undoes it.
    let (status, body) = s
        .patch(&path, &rep1, json!({"money": {"expected_amount": {"amount_minor": 2_000_000, "currency": "CNY"}}}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let h = history(&s, &deal_id, &rep1, "?field=expected_amount").await;
    let raise = h.last().unwrap()["change"].as_str().unwrap().to_string();
    let (status, body) = s.post(&format!("{path}/undo"), Some(&rep1), json!({"change": raise})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["restored"], json!(["expected_amount"]));
    assert_eq!(body["record"]["money"]["expected_amount"]["amount_minor"], 1_250_000);
    let h = history(&s, &deal_id, &rep1, "?field=expected_amount").await;
    let undo = h.last().unwrap();
    assert_ne!(undo["change"], raise);
    assert_eq!(undo["author"], json!({"user": "rep1"}));
    let f = field(undo, "expected_amount");
    assert_eq!(
        (f["old"]["amount_minor"].as_i64(), f["new"]["amount_minor"].as_i64()),
        (Some(2_000_000), Some(1_250_000))
    );
    // Undoing it again finds the value changed since: nothing to undo.
    let (status, body) = s.post(&format!("{path}/undo"), Some(&rep1), json!({"change": raise})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // Restore the raised value explicitly.
    let (status, body) =
        s.post(&format!("{path}/undo"), Some(&rep1), json!({"field": "expected_amount", "to_change": raise})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["record"]["money"]["expected_amount"]["amount_minor"], 2_000_000);
    // A change of no document of this record, or a bad body.
    let (status, _) = s.post(&format!("{path}/undo"), Some(&rep1), json!({"change": "00".repeat(32)})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = s.post(&format!("{path}/undo"), Some(&rep1), json!({"change": "nope"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    s.stop().await;
}
