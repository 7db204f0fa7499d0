//! `POST /api/v1/import` with `background=true`: answered at once (202) with a job; the job's progress is
//! read at `GET /api/v1/import/jobs/{id}` (only by whoever started it) until it is finished with the
//! answer a plain import would give: a clean file is stored, a file with rejected rows stores nothing.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{start, TestServer};

async fn start_job(s: &TestServer, token: &str, options: Value) -> String {
    let (status, body) = s.post("/api/v1/import", Some(token), options).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id = body["job"].as_str().unwrap().to_string();
    assert_eq!(body["progress"], format!("/api/v1/import/jobs/{id}"));
    id
}

/// Polls the job until it is finished; returns every state seen (the last one finished).
async fn follow(s: &TestServer, token: &str, id: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let (status, body) = s.get(&format!("/api/v1/import/jobs/{id}"), token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let done = body["finished"].as_bool().unwrap();
        seen.push(body);
        if done {
            return seen;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_imports_report_progress_and_their_answer() {
    let s = start(|_| {}).await;
    let admin = s.token("admin").await;
    let (_, before) = s.get("/api/v1/opportunities?limit=5000", &admin).await;
    let before = before.as_array().unwrap().len();

    let mut file = String::from("name,owner,customer,expected_amount\r\n");
    for i in 0..1200 {
        file.push_str(&format!("Deal {i},rep1,Job customer {},{}\r\n", i % 7, 1000 + i));
    }
    let id =
        start_job(&s, &admin, json!({ "kind": "opportunities", "format": "generic", "csv": file, "background": true }))
            .await;
    // Someone else cannot read the job (nor learn that it exists).
    let rep1 = s.token("rep1").await;
    let (status, _) = s.get(&format!("/api/v1/import/jobs/{id}"), &rep1).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let seen = follow(&s, &admin, &id).await;
    let last = seen.last().unwrap();
    assert_eq!(last["status"], 200, "{last}");
    assert_eq!(last["phase"], "finished");
    assert_eq!((last["done"].as_u64(), last["total"].as_u64()), (Some(1207), Some(1207)), "{last}");
    assert_eq!(last["result"]["counts"], json!({"opportunities": 1200, "customers": 7}));
    assert_eq!(last["result"]["imported"], true);
    // Progress never goes backwards within a phase, and never past the total.
    for w in seen.windows(2) {
        if w[0]["phase"] == w[1]["phase"] {
            assert!(w[0]["done"].as_u64() <= w[1]["done"].as_u64(), "{} then {}", w[0], w[1]);
        }
        assert!(w[1]["done"].as_u64() <= w[1]["total"].as_u64(), "{}", w[1]);
    }
    let (_, after) = s.get("/api/v1/opportunities?limit=5000", &admin).await;
    assert_eq!(after.as_array().unwrap().len(), before + 1200);

    // Rejected rows: the job finishes with the 422 report; nothing stored.
    let bad = "name,owner,expected_amount\r\nGood,rep1,10\r\nBad,rep1,ten\r\n";
    let id = start_job(&s, &admin, json!({ "kind": "opportunities", "csv": bad, "background": "true" })).await;
    let last = follow(&s, &admin, &id).await.pop().unwrap();
    assert_eq!(last["status"], 422, "{last}");
    assert_eq!(last["result"]["error"], "rows_rejected");
    assert_eq!(
        last["result"]["rejected"][0]["message"],
        "row 3, column expected_amount: \"ten\" is not an amount (like 1234.50)"
    );
    let (_, after2) = s.get("/api/v1/opportunities?limit=5000", &admin).await;
    assert_eq!(after2.as_array().unwrap().len(), before + 1200);

    // A file that is not CSV of that kind: the job finishes with the 400 the import answers.
    let id =
        start_job(&s, &admin, json!({ "kind": "opportunities", "csv": "title\r\nx\r\n", "background": true })).await;
    let last = follow(&s, &admin, &id).await.pop().unwrap();
    assert_eq!(last["status"], 400, "{last}");
    assert_eq!(last["result"]["error"], "bad_request");
    let (status, _) = s.get("/api/v1/import/jobs/nope", &admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    s.stop().await;
}
