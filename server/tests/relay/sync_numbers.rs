//! Record numbers are unique in the company: two reps with different slices reserve blocks over REST and
//! create customers and deals by sync, an import takes numbers from the same counter, and every number
//! the admin sees is distinct. The write gate refuses a number not issued to the writer, or one in use;
//! a provisional number is accepted and later replaced by an issued one.

use std::collections::BTreeSet;
use std::time::Duration;

use app::domain::docs::init_record;
use app::domain::ops::{is_provisional, parse_number, provisional_number};
use app::domain::{Customer, DocId, Opportunity, StageId, Timestamp, UserId};
use automerge::{transaction::Transactable, AutoCommit, ROOT};
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::testing::SyncClient;

use crate::support::{start, TestServer};

const T: Duration = Duration::from_secs(10);

async fn sync_client(s: &TestServer, token: &str) -> SyncClient {
    SyncClient::connect(&format!("ws://{}/sync?token={token}", s.addr)).await.unwrap()
}

async fn reserve(s: &TestServer, token: &str, prefix: &str, count: u32) -> (u32, u32) {
    let (status, body) = s.post("/api/v1/numbers", Some(token), json!({"prefix": prefix, "count": count})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["prefix"], prefix);
    (body["first"].as_u64().unwrap() as u32, body["last"].as_u64().unwrap() as u32)
}

fn number(prefix: &str, seq: u32) -> String {
    let now = Timestamp::from_datetime(chrono::Utc::now());
    app::domain::ops::format_number(prefix, app::domain::ops::number_year(now), seq)
}

fn customer_doc(owner: &str, name: &str, number: &str) -> automerge::Automerge {
    let u = UserId::new(owner);
    let now = Timestamp::from_datetime(chrono::Utc::now());
    let c = Customer::new(name, number, Some(u.clone()), &u, now).unwrap();
    let mut d = AutoCommit::new();
    init_record(&mut d, &c).unwrap();
    d.document().clone()
}

fn deal_doc(owner: &str, name: &str, number: &str) -> automerge::Automerge {
    let u = UserId::new(owner);
    let now = Timestamp::from_datetime(chrono::Utc::now());
    let dir = server::demo::demo_directory();
    let o = Opportunity::new(name, number, &StageId::new("initial"), Some(u.clone()), &u, now, &dir).unwrap();
    let mut d = AutoCommit::new();
    init_record(&mut d, &o).unwrap();
    d.document().clone()
}

/// Sends a new document; `Ok` if the relay stored it, else the refusal's reason.
async fn create(c: &mut SyncClient, doc: automerge::Automerge) -> Result<DocId, String> {
    let id = DocId::from_bytes(rand::random());
    c.create(&id, doc).await.unwrap();
    let want = id.clone();
    let _ = c.pump_until(Duration::from_millis(1500), "a refusal", |c| c.refusal(&want).is_some()).await;
    match c.refusal(&id) {
        Some(e) => Err(e.refused.as_ref().map(|r| r.reason.clone()).unwrap_or_default()),
        None => Ok(id),
    }
}

async fn all_numbers(s: &TestServer, admin: &str) -> Vec<String> {
    let mut out = Vec::new();
    for kind in ["customers", "opportunities"] {
        let (status, body) = s.get(&format!("/api/v1/{kind}?limit=1000"), admin).await;
        assert_eq!(status, StatusCode::OK);
        let items = body.as_array().cloned().or_else(|| body["items"].as_array().cloned()).unwrap();
        out.extend(items.iter().map(|i| i["number"].as_str().unwrap().to_string()));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_are_unique_across_slices_devices_and_imports() {
    let s = start(|_| {}).await;
    let (admin, rep1, rep3, manager) =
        (s.token("admin").await, s.token("rep1").await, s.token("rep3").await, s.token("manager").await);
    let before = all_numbers(&s, &admin).await;
    let highest =
        before.iter().filter_map(|n| parse_number(n)).filter(|(p, _, _)| *p == "CUS").map(|(_, _, q)| q).max();

    // Blocks from one counter: above every stored number, never overlapping.
    let a = reserve(&s, &rep1, "CUS", 5).await;
    let b = reserve(&s, &rep3, "CUS", 5).await;
    assert!(a.0 > highest.unwrap_or(0), "the counter starts above the demo data's numbers");
    assert!(b.0 > a.1, "{a:?} then {b:?}");
    let deals = reserve(&s, &rep1, "OPP", 2).await;

    let mut c1 = sync_client(&s, &rep1).await;
    let mut c3 = sync_client(&s, &rep3).await;
    c1.pump_for(Duration::from_millis(200)).await.unwrap();
    c3.pump_for(Duration::from_millis(200)).await.unwrap();
    create(&mut c1, customer_doc("rep1", "Numbered One", &number("CUS", a.0))).await.unwrap();
    create(&mut c3, customer_doc("rep3", "Numbered Three", &number("CUS", b.0))).await.unwrap();
    create(&mut c1, deal_doc("rep1", "Numbered deal", &number("OPP", deals.0))).await.unwrap();

    // Refused: someone else's number, a number already used, a number nobody issued; rep3 never sees rep1's
    // customer, so only the relay can tell.
    let theirs = create(&mut c3, customer_doc("rep3", "Taken", &number("CUS", a.0 + 1))).await.unwrap_err();
    assert!(theirs.contains("not issued to you"), "{theirs}");
    let reused = create(&mut c1, customer_doc("rep1", "Again", &number("CUS", a.0))).await.unwrap_err();
    assert!(reused.contains("already used"), "{reused}");
    let made_up = create(&mut c1, customer_doc("rep1", "Made up", &number("CUS", 1))).await.unwrap_err();
    assert!(made_up.contains("not issued"), "{made_up}");

    // Offline with no block left: a provisional number, replaced by an issued one when back.
    let now = Timestamp::from_datetime(chrono::Utc::now());
    let provisional = provisional_number("CUS", now, 0x5eed);
    let id = create(&mut c1, customer_doc("rep1", "Made offline", &provisional)).await.unwrap();
    c1.change(&id, |tx| tx.put(ROOT, "number", number("CUS", a.0 + 1))).await.unwrap();
    c1.pump_for(Duration::from_millis(500)).await.unwrap();
    assert!(c1.refusal(&id).is_none(), "{:?}", c1.errors);
    // The number may not move again to one that was not issued to rep1.
    c1.change(&id, |tx| tx.put(ROOT, "number", number("CUS", b.0 + 1))).await.unwrap();
    let want = id.clone();
    c1.pump_until(T, "refusal", |c| c.refusal(&want).is_some()).await.unwrap();

    // An import takes its numbers from the same counter: after every block issued so far.
    let file = "name,owner,stage,customer\nImported numbered deal,rep1,proposal,Imported Numbered Co\n";
    let r = s
        .http
        .post(format!("{}/api/v1/import?kind=opportunities&format=generic", s.base))
        .bearer_auth(&manager)
        .header("content-type", "text/csv")
        .body(file)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let after_import = reserve(&s, &rep1, "CUS", 1).await;
    let (_, customers) = s.get("/api/v1/customers?limit=1000", &admin).await;
    let customers = customers.as_array().cloned().or_else(|| customers["items"].as_array().cloned()).unwrap();
    let imported: &Value = customers.iter().find(|c| c["name"] == "Imported Numbered Co").unwrap();
    let seq = parse_number(imported["number"].as_str().unwrap()).unwrap().2;
    assert!(
        seq > b.1 && seq < after_import.0,
        "import numbered {seq}, blocks end at {} and resume at {}",
        b.1,
        after_import.0
    );

    // Everything the company has: no number twice, none provisional.
    let all = all_numbers(&s, &admin).await;
    let distinct: BTreeSet<&String> = all.iter().collect();
    assert_eq!(distinct.len(), all.len(), "duplicate numbers in {all:?}");
    assert!(all.iter().all(|n| !is_provisional(n)), "{all:?}");
    assert_eq!(all.len(), before.len() + 6, "3 by sync, 1 made offline, 2 by the import");
    for c in [c1, c3] {
        c.close().await;
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserving_numbers_checks_the_request() {
    let s = start(|_| {}).await;
    let (rep1, analyst) = (s.token("rep1").await, s.token("analyst").await);
    let (status, body) = s.post("/api/v1/numbers", Some(&rep1), json!({"prefix": "LEAD"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = s.post("/api/v1/numbers", Some(&rep1), json!({"prefix": "OPP", "count": 0})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // The analyst creates nothing, so gets no numbers.
    let (status, body) = s.post("/api/v1/numbers", Some(&analyst), json!({"prefix": "CUS"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = s.post("/api/v1/numbers", None, json!({"prefix": "CUS"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The default block.
    let (first, last) = reserve(&s, &rep1, "OPP", app::domain::ops::BLOCK_SIZE).await;
    assert_eq!(last - first + 1, app::domain::ops::BLOCK_SIZE);
    s.stop().await;
}
