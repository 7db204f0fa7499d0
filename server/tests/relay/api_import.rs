//! `POST /api/v1/import` against the real relay (in-process `server::run` on port 0, demo company): dry runs
//! report every rejected row and store nothing, a file with rejects stores nothing (422), a clean file lands as
//! records that a rep then reads through REST, malformed or oversized bodies get JSON errors and store nothing,
//! and imports are audited. The sample files in /work/shared/data are used when present (else skipped with a
//! note).

use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::Path;

use crate::support::{assert_error, start, TestServer};

fn sample(rel: &str) -> Option<String> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data").join(rel);
    match std::fs::read_to_string(&p) {
        Ok(s) => Some(s),
        Err(_) => {
            println!("note: skipping, {} is not here", p.display());
            None
        }
    }
}

async fn raw(
    s: &TestServer,
    token: &str,
    query: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> (StatusCode, Value) {
    let r = s
        .http
        .post(format!("{}/api/v1/import?{query}", s.base))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}")))
}

async fn csv(s: &TestServer, token: &str, query: &str, body: &str) -> (StatusCode, Value) {
    raw(s, token, query, "text/csv", body.to_string()).await
}

async fn count(s: &TestServer, token: &str, kind: &str) -> usize {
    let (status, body) = s.get(&format!("/api/v1/{kind}"), token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().unwrap().len()
}

/// Counts of every collection as the admin sees them.
async fn totals(s: &TestServer, admin: &str) -> Vec<usize> {
    let mut out = Vec::new();
    for kind in ["leads", "opportunities", "customers", "contacts", "activities"] {
        out.push(count(s, admin, kind).await);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maven_pipeline_dry_run_then_all_or_nothing() {
    let Some(pipeline) = sample("maven-crm/sales_pipeline.csv") else { return };
    let s = start(|_| {}).await;
    let admin = s.token("admin").await;
    let before = totals(&s, &admin).await;

    // The whole file, dry run: none of the sales agents is a user here, so every row is rejected, each
    // with its row, column and reason; nothing is stored.
    let (status, rep) = csv(&s, &admin, "kind=opportunities&format=maven&dry_run=true", &pipeline).await;
    assert_eq!(status, StatusCode::OK, "{rep}");
    assert_eq!((rep["rows"].as_u64(), rep["rejected_rows"].as_u64()), (Some(8800), Some(8800)));
    assert_eq!((rep["dry_run"].as_bool(), rep["imported"].as_bool()), (Some(true), Some(false)));
    let rejected = rep["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 8800);
    assert_eq!(rejected[0]["row"], 2);
    assert_eq!(rejected[0]["column"], "sales_agent");
    assert_eq!(
        rejected[0]["message"],
        "row 2, column sales_agent: \"Moses Frase\" is not a user here (map the name to a user, or import unknown owners as the importer)"
    );
    assert_eq!(totals(&s, &admin).await, before);

    // Mapping every agent (unknown ones to the importer) makes the dry run clean: 8,800 deals, 85 customers.
    let (status, rep) = csv(
        &s,
        &admin,
        "kind=opportunities&format=maven&dry_run=1&unknown_owner=importer&owner=Moses%20Frase:rep1",
        &pipeline,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rep}");
    assert_eq!(rep["rejected_rows"], 0, "{}", rep["rejected"]);
    assert_eq!(rep["counts"], json!({"opportunities": 8800, "customers": 85}));
    assert_eq!(totals(&s, &admin).await, before);

    // A real import with rejected rows: 422 with the report, nothing stored.
    let head: String = pipeline.split_inclusive('\n').take(41).collect();
    let (status, rep) = csv(&s, &admin, "kind=opportunities&format=maven", &head).await;
    assert_error(status, &rep, StatusCode::UNPROCESSABLE_ENTITY, "rows_rejected");
    assert_eq!((rep["imported"].as_bool(), rep["rejected_rows"].as_u64()), (Some(false), Some(40)));
    assert_eq!(totals(&s, &admin).await, before);

    // The manager maps one agent to rep1 and the rest to themself (JSON body form): stored.
    let manager = s.token("manager").await;
    let (status, rep) = s
        .post(
            "/api/v1/import",
            Some(&manager),
            json!({"kind": "opportunities", "format": "maven", "csv": head, "unknown_owner": "importer",
                   "owners": {"Moses Frase": "rep1"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rep}");
    assert_eq!(rep["imported"], true);
    assert_eq!(rep["rows"], 40);
    let deals = rep["counts"]["opportunities"].as_u64().unwrap() as usize;
    let customers = rep["counts"]["customers"].as_u64().unwrap() as usize;
    assert_eq!(deals, 40);
    let after = totals(&s, &admin).await;
    assert_eq!((after[1], after[2]), (before[1] + deals, before[2] + customers));

    // rep1 reads exactly the imported deals given to them, with their money group.
    let rep1 = s.token("rep1").await;
    let (_, mine) = s.get("/api/v1/opportunities", &rep1).await;
    let given: Vec<&Value> = rep["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["owner"] == "rep1" && r["kind"] == "opportunity")
        .collect();
    assert!(!given.is_empty());
    for r in &given {
        let got = mine.as_array().unwrap().iter().find(|o| o["id"] == r["id"]).expect("rep1 sees the imported deal");
        assert!(got["money"].is_object(), "{got}");
        assert_eq!(got["owner"], "rep1");
    }
    // rep2 (same team, not the owner) does not.
    let rep2 = s.token("rep2").await;
    let (_, theirs) = s.get("/api/v1/opportunities", &rep2).await;
    assert!(!theirs.as_array().unwrap().iter().any(|o| given.iter().any(|r| r["id"] == o["id"])));

    // The same rows again are refused: their numbers are taken.
    let (status, again) = s
        .post(
            "/api/v1/import",
            Some(&admin),
            json!({"kind": "opportunities", "format": "maven", "csv": head, "unknown_owner": "importer"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{again}");
    assert!(again["rejected"][0]["reason"].as_str().unwrap().contains("exists already"), "{again}");
    assert_eq!(totals(&s, &admin).await, after);

    let entries = s.audit(&admin, "import").await;
    assert!(entries.iter().any(|e| e["detail"]["imported"] == true && e["actor"] == "manager"), "{entries:?}");
    assert!(entries.iter().any(|e| e["detail"]["outcome"] == "dry_run" && e["actor"] == "admin"), "{entries:?}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_generic_import_malformed_and_oversized_bodies() {
    let s = start(|_| {}).await;
    let admin = s.token("admin").await;
    let manager = s.token("manager").await;
    let rep1 = s.token("rep1").await;
    let before = totals(&s, &admin).await;
    let rep1_before = count(&s, &rep1, "opportunities").await;

    let file = "name,owner,stage,expected_amount,expected_close,customer\n\
                Import deal A,rep1,proposal,1200.50,2099-01-31,Imported Buyer Co\n\
                Import deal B,rep1,Negotiation,99,,Imported Buyer Co\n";
    let (status, rep) = csv(&s, &manager, "kind=opportunities&format=generic", file).await;
    assert_eq!(status, StatusCode::OK, "{rep}");
    assert_eq!(rep["counts"], json!({"opportunities": 2, "customers": 1}));
    let (_, mine) = s.get("/api/v1/opportunities", &rep1).await;
    assert_eq!(mine.as_array().unwrap().len(), rep1_before + 2);
    let a = mine.as_array().unwrap().iter().find(|o| o["name"] == "Import deal A").expect("rep1 sees deal A");
    assert_eq!(a["stage"], "proposal");
    assert_eq!(a["money"]["expected_amount"], json!({"amount_minor": 120050, "currency": "CNY"}));
    assert_eq!(a["team"], "east");
    let (_, customers) = s.get("/api/v1/customers", &rep1).await;
    assert!(customers.as_array().unwrap().iter().any(|c| c["name"] == "Imported Buyer Co" && c["owner"] == "rep1"));
    let stored = totals(&s, &admin).await;
    assert_eq!((stored[1], stored[2]), (before[1] + 2, before[2] + 1));

    // Malformed CSV (a row with a field too many): 400 JSON naming the row, nothing stored.
    let bad = "name,owner\nGood deal,rep1\nBad, deal,rep1\n";
    let (status, body) = csv(&s, &manager, "kind=opportunities&format=generic", bad).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    assert!(body["message"].as_str().unwrap().starts_with("row 3:"), "{body}");
    // Not UTF-8, an empty file, an unknown column, a format that does not import that kind.
    let (status, body) = raw(&s, &manager, "kind=leads", "text/csv", b"name\n\xff\xfe\n".to_vec()).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    let (status, body) = csv(&s, &manager, "kind=leads", "").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    let (status, body) = csv(&s, &manager, "kind=opportunities", "name,expected_amout\nX,1\n").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    let (status, body) = csv(&s, &manager, "kind=customers&format=datablist", "name\nX\n").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    let (status, body) = csv(&s, &manager, "format=generic", "name\nX\n").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    let (status, body) = s.post("/api/v1/import", Some(&manager), json!({"kind": "leads"})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    // Not CSV at all.
    let (status, body) = raw(&s, &manager, "kind=leads", "application/octet-stream", "name\nX\n").await;
    assert_error(status, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    // Too large: a clear JSON 413.
    let huge = format!("name\n{}", "x,\n".repeat(3 * 1024 * 1024));
    let (status, body) = csv(&s, &manager, "kind=leads", &huge).await;
    assert_error(status, &body, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert_eq!(totals(&s, &admin).await, stored);

    // Who may import: the analyst may not create deals; a rep may not give deals to someone else.
    let analyst = s.token("analyst").await;
    let (status, body) = csv(&s, &analyst, "kind=opportunities", "name\nX\n").await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, rep) = csv(&s, &rep1, "kind=opportunities", "name,owner\nMine,\nTheirs,rep2\n").await;
    assert_error(status, &rep, StatusCode::UNPROCESSABLE_ENTITY, "rows_rejected");
    assert_eq!(rep["rejected"][0]["message"], "row 3, column owner: you may not create opportunities owned by rep2");
    assert_eq!(totals(&s, &admin).await, stored);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn datablist_leads_into_the_pool() {
    let Some(leads) = sample("datablist/leads-100.csv") else { return };
    let s = start(|_| {}).await;
    let marketing = s.token("marketing").await;
    let rep1 = s.token("rep1").await;
    let pool_before = count(&s, &rep1, "leads").await;

    let (status, rep) = csv(&s, &marketing, "kind=leads&format=datablist&dry_run=true", &leads).await;
    assert_eq!(status, StatusCode::OK, "{rep}");
    assert_eq!(rep["rejected_rows"], 100, "unknown lead owners are rejected by default");
    let (status, rep) = csv(&s, &marketing, "kind=leads&format=datablist&unknown_owner=pool", &leads).await;
    assert_eq!(status, StatusCode::OK, "{rep}");
    assert_eq!(rep["counts"], json!({"leads": 100}));
    assert!(rep["warnings"].as_array().unwrap().iter().all(|w| w["column"] == "Phone 1"), "{}", rep["warnings"]);
    // Pool leads are visible to every rep (their pii only to whoever claims them, and admins).
    let (_, all) = s.get("/api/v1/leads", &rep1).await;
    assert_eq!(all.as_array().unwrap().len(), pool_before + 100);
    let victor = all.as_array().unwrap().iter().find(|l| l["contact_name"] == "Victor Cochran").expect("imported lead");
    assert_eq!(victor["owner"], Value::Null);
    assert!(victor.get("pii").is_none(), "{victor}");
    let admin = s.token("admin").await;
    let (_, all) = s.get("/api/v1/leads", &admin).await;
    let victor = all.as_array().unwrap().iter().find(|l| l["contact_name"] == "Victor Cochran").expect("imported lead");
    assert_eq!(victor["pii"], json!({"phone": "+1-532-344-1362", "email": "hatkinson@mclaughlin.com"}));
    s.stop().await;
}
