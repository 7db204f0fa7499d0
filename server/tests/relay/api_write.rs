//! Writes over REST against the real relay on a real socket: creates and changes pass the sync write
//! gate (allowed, refused with the field and reason), a retried create with an `Idempotency-Key` makes
//! one record, a change reaches an open sync client live, a deal is won and lost through the pipeline
//! operations, and archived records leave lists until the owner's manager restores them.

use std::time::Duration;

use automerge::{ReadDoc, ROOT};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{start, TestServer};
use app::domain::DocId;
use server::testing::SyncClient;

const T: Duration = Duration::from_secs(10);

async fn post_keyed(s: &TestServer, path: &str, token: &str, key: &str, body: Value) -> (StatusCode, Value) {
    let res = s
        .http
        .post(format!("{}{path}", s.base))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap())
}

fn assert_refused(status: StatusCode, body: &Value, want: StatusCode, field: &str) {
    assert_eq!(status, want, "{body}");
    // No field (the record as a whole) answers `"field": null`.
    let want_field = if field.is_empty() { Value::Null } else { json!(field) };
    assert_eq!(body["field"], want_field, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
}

/// A customer and a deal of rep1's, made over REST.
async fn customer_and_deal(s: &TestServer, rep1: &str) -> (String, String) {
    let (status, c) =
        s.post("/api/v1/customers", Some(rep1), json!({"name": "Hangzhou Tea Co", "region": "East"})).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!((c["owner"].as_str(), c["number"].as_str().map(|n| n.starts_with("CUS-"))), (Some("rep1"), Some(true)));
    let body = json!({
        "name": "Tea packaging line",
        "customer": c["id"],
        "expected_close": chrono::Utc::now().timestamp_millis() + 30 * 86_400_000,
        "money": {"expected_amount": {"amount_minor": 1_250_000, "currency": "CNY"}},
    });
    let (status, o) = s.post("/api/v1/opportunities", Some(rep1), body).await;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    assert_eq!(o["stage"], "initial");
    assert_eq!(o["money"]["win_probability"], 10, "the stage's probability: {o}");
    assert_eq!(o["money"]["expected_amount"]["amount_minor"], 1_250_000);
    assert_eq!(o["stage_history"].as_array().map(Vec::len), Some(1));
    (c["id"].as_str().unwrap().to_string(), o["id"].as_str().unwrap().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_and_changes_pass_the_gate_or_name_the_field() {
    let s = start(|_| {}).await;
    let rep1 = s.token("rep1").await;
    let (_, deal) = customer_and_deal(&s, &rep1).await;
    let path = format!("/api/v1/opportunities/{deal}");

    // Allowed: a field change, read back.
    let (status, o) =
        s.patch(&path, &rep1, json!({"name": "Tea packaging line 2", "next_follow_up": 1_790_000_000_000_i64})).await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!(o["name"], "Tea packaging line 2");
    let (_, again) = s.get(&path, &rep1).await;
    assert_eq!(again["name"], "Tea packaging line 2");

    // Refused by the policy: 403 naming what.
    let (status, body) =
        s.post("/api/v1/opportunities", Some(&rep1), json!({"name": "For someone else", "owner": "rep3"})).await;
    assert_refused(status, &body, StatusCode::FORBIDDEN, "owner");
    let marketing = s.token("marketing").await;
    let (status, body) = s.patch(&path, &marketing, json!({"name": "Renamed by marketing"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "marketing reads deals but may not change them: {body}");
    let (status, body) = s.patch(&path, &marketing, json!({"money": {"win_probability": 90}})).await;
    assert_refused(status, &body, StatusCode::FORBIDDEN, "money");
    // A record the writer may not see is not there at all.
    let rep3 = s.token("rep3").await;
    let (status, _) = s.patch(&path, &rep3, json!({"name": "x"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Refused as invalid: 422 naming the field.
    let (status, body) = s.patch(&path, &rep1, json!({"colour": "red"})).await;
    assert_refused(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "colour");
    let (status, body) = s.patch(&path, &rep1, json!({"money": {"win_probability": "high"}})).await;
    assert_refused(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "money.win_probability");
    let (status, body) = s.patch(&path, &rep1, json!({"stage": "dreaming"})).await;
    assert_refused(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "stage");
    let (status, body) = s.patch(&path, &rep1, json!({"created_by": "admin"})).await;
    assert_refused(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "created_by");
    let (status, body) = s.patch(&path, &rep1, json!({"name": ""})).await;
    assert_refused(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "name");
    let (status, body) = s.post("/api/v1/leads", Some(&rep1), json!({"company": "No name"})).await;
    assert_refused(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "name");
    let (status, body) = s.post("/api/v1/leads", Some(&rep1), json!({"name": "L", "money": {}})).await;
    assert_refused(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "money");

    // Nothing refused was stored.
    let (_, after) = s.get(&path, &rep1).await;
    assert_eq!(
        (after["name"].as_str(), after["money"]["win_probability"].as_u64()),
        (Some("Tea packaging line 2"), Some(10))
    );

    // A lead with its pii group, in the writer's name.
    let (status, lead) = s
        .post(
            "/api/v1/leads",
            Some(&rep1),
            json!({"name": "Ms Zhou", "company": "Zhou Ltd", "pii": {"phone": "+86 21 5555 0101"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{lead}");
    assert_eq!((lead["created_by"].as_str(), lead["pii"]["phone"].as_str()), (Some("rep1"), Some("+86 21 5555 0101")));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_create_with_the_same_key_makes_one_record() {
    let s = start(|_| {}).await;
    let rep1 = s.token("rep1").await;
    let body = json!({"name": "Retried lead", "company": "Flaky Network Ltd"});
    let (first, a) = post_keyed(&s, "/api/v1/leads", &rep1, "lead-42", body.clone()).await;
    let (second, b) = post_keyed(&s, "/api/v1/leads", &rep1, "lead-42", body.clone()).await;
    assert_eq!((first, second), (StatusCode::CREATED, StatusCode::CREATED), "{a} {b}");
    assert_eq!(a["id"], b["id"]);
    let (_, list) = s.get("/api/v1/leads?limit=5000", &rep1).await;
    let named = list.as_array().unwrap().iter().filter(|l| l["name"] == "Retried lead").count();
    assert_eq!(named, 1);
    // Another key is another record; the same key for another kind is a conflict.
    let (_, c) = post_keyed(&s, "/api/v1/leads", &rep1, "lead-43", body.clone()).await;
    assert_ne!(c["id"], a["id"]);
    let (status, _) = post_keyed(&s, "/api/v1/customers", &rep1, "lead-42", json!({"name": "X"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Keys are per user: rep2's "lead-42" is rep2's own record.
    let rep2 = s.token("rep2").await;
    let (_, d) = post_keyed(&s, "/api/v1/leads", &rep2, "lead-42", body).await;
    assert_ne!(d["id"], a["id"]);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rest_change_reaches_an_open_sync_client_live() {
    let s = start(|_| {}).await;
    let rep1 = s.token("rep1").await;
    let (_, deal) = customer_and_deal(&s, &rep1).await;
    let id = DocId::parse(&deal).unwrap();
    // The manager has the deal open in a browser (a sync client).
    let manager = s.token("manager").await;
    let mut c = SyncClient::connect(&format!("ws://{}/sync?token={manager}", s.addr)).await.unwrap();
    c.fetch(&id, T).await.unwrap();
    let (status, body) = s.patch(&format!("/api/v1/opportunities/{deal}"), &rep1, json!({"name": "Seen live"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    c.pump_until(T, "the renamed deal", |c| {
        c.doc(&id).and_then(|d| d.get(ROOT, "name").ok().flatten()).and_then(|(v, _)| v.into_string().ok()).as_deref()
            == Some("Seen live")
    })
    .await
    .unwrap();
    c.close().await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deals_are_won_and_lost_through_the_pipeline() {
    let s = start(|_| {}).await;
    let rep1 = s.token("rep1").await;
    let (customer, deal) = customer_and_deal(&s, &rep1).await;
    let path = format!("/api/v1/opportunities/{deal}");
    let (status, o) = s.patch(&path, &rep1, json!({"stage": "proposal"})).await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!((o["stage"].as_str(), o["money"]["win_probability"].as_u64()), (Some("proposal"), Some(50)));
    assert_eq!(o["stage_history"].as_array().unwrap().last().unwrap()["by"], "rep1");
    let (status, o) = s.patch(&path, &rep1, json!({"stage": "won"})).await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!((o["status"].as_str(), o["money"]["win_probability"].as_u64()), (Some("won"), Some(100)));
    assert!(o["closed_at"].is_i64(), "{o}");
    let (_, c) = s.get(&format!("/api/v1/customers/{customer}"), &rep1).await;
    assert_eq!(c["money"]["orders"][&deal]["amount"]["amount_minor"], 1_250_000, "cooperation history: {c}");
    let (status, body) = s.patch(&path, &rep1, json!({"status": "lost", "lost_reason": "price"})).await;
    assert_refused(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "");

    let (_, other) = customer_and_deal(&s, &rep1).await;
    let path = format!("/api/v1/opportunities/{other}");
    let (status, body) = s.patch(&path, &rep1, json!({"status": "lost"})).await;
    assert_refused(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "lost_reason");
    let (status, o) = s.patch(&path, &rep1, json!({"status": "lost", "lost_reason": "Budget cut"})).await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!((o["status"].as_str(), o["lost_reason"].as_str()), (Some("lost"), Some("Budget cut")));
    let (_, o) = s.patch(&path, &rep1, json!({"status": "active"})).await;
    assert_eq!(o["status"], "active");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archived_records_leave_lists_until_the_owners_manager_restores_them() {
    let s = start(|_| {}).await;
    let rep1 = s.token("rep1").await;
    let (customer, deal) = customer_and_deal(&s, &rep1).await;
    let path = format!("/api/v1/opportunities/{deal}");
    let (status, o) = s.patch(&path, &rep1, json!({"stage": "won"})).await;
    assert_eq!(status, StatusCode::OK, "{o}");
    let ids =
        |v: &Value| v.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let listed = |list: Value| ids(&list).contains(&deal);

    let (status, o) = s.call(Method::POST, &format!("{path}/archive"), Some(&rep1), None).await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!(o["archived"]["by"], "rep1");
    assert!(!listed(s.get("/api/v1/opportunities?limit=5000", &rep1).await.1));
    assert!(listed(s.get("/api/v1/opportunities?limit=5000&archived=true", &rep1).await.1));
    // Still readable by id, its history whole, and the won amount still in the customer's history.
    let (status, o) = s.get(&path, &rep1).await;
    assert_eq!((status, o["stage_history"].as_array().map(Vec::len)), (StatusCode::OK, Some(2)));
    let (_, c) = s.get(&format!("/api/v1/customers/{customer}"), &rep1).await;
    assert!(c["money"]["orders"].get(&deal).is_some(), "{c}");

    // The owner may not restore it; another team's rep does not even see it; the owner's manager does.
    let (status, body) = s.call(Method::POST, &format!("{path}/restore"), Some(&rep1), None).await;
    assert_refused(status, &body, StatusCode::FORBIDDEN, "archived");
    let rep3 = s.token("rep3").await;
    let (status, _) = s.call(Method::POST, &format!("{path}/restore"), Some(&rep3), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let manager = s.token("manager").await;
    let (status, o) = s.call(Method::POST, &format!("{path}/restore"), Some(&manager), None).await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert!(o.get("archived").is_none(), "{o}");
    assert!(listed(s.get("/api/v1/opportunities?limit=5000", &rep1).await.1));
    let (status, body) = s.call(Method::POST, &format!("{path}/restore"), Some(&manager), None).await;
    assert_refused(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "archived");
    s.stop().await;
}
