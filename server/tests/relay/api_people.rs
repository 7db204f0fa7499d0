//! Onboarding without curl, against the real relay: one-time passwords (created users, admin resets, the
//! first-run admin) that must be replaced before anything else is served, signing out one's other
//! devices, a roster created at once, a manager reading their team, and the audit log's filters and CSV.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{assert_error, start};
use server::testing::SyncClient;

/// Signs in and returns (token, must_change_password).
async fn sign_in(s: &crate::support::TestServer, user: &str, pw: &str) -> (String, bool) {
    let (status, body) = s.login(user, pw).await;
    assert_eq!(status, StatusCode::OK, "login {user}: {body}");
    (body["token"].as_str().unwrap().to_string(), body["must_change_password"].as_bool().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_time_password_must_be_replaced_before_anything_else() {
    let s = start(|_| {}).await;
    let admin = s.token("admin").await;
    let (status, made) =
        s.post("/api/v1/users", Some(&admin), json!({"id": "rep9", "name": "Rep Nine", "role": "sales_rep"})).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let otp = made["one_time_password"].as_str().expect("a generated one-time password").to_string();
    assert!(otp.len() >= 16, "{otp}");
    let (_, users) = s.get("/api/v1/users", &admin).await;
    let row = users.as_array().unwrap().iter().find(|u| u["id"] == "rep9").unwrap().clone();
    assert_eq!(row["must_change_password"], true);

    let (t, must) = sign_in(&s, "rep9", &otp).await;
    assert!(must);
    let (status, me) = s.get("/api/me", &t).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["must_change_password"], true);
    for path in ["/api/v1/opportunities", "/api/v1/teams", "/api/me/sessions"] {
        let (status, body) = s.get(path, &t).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "password_change_required");
        assert!(body["message"].as_str().unwrap().contains("/api/me/password"), "{body}");
    }
    assert!(SyncClient::connect(&format!("ws://{}/sync?token={t}", s.addr)).await.is_err(), "sync before a password");

    // The same password again, a short one, a wrong current one: refused, nothing changes.
    let change = |cur: &str, new: &str| json!({"current_password": cur, "new_password": new});
    let (status, body) = s.post("/api/me/password", Some(&t), change(&otp, &otp)).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    let (status, body) = s.post("/api/me/password", Some(&t), change(&otp, "short")).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    let (status, body) = s.post("/api/me/password", Some(&t), change("wrong-one", "rep9-own-secret")).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "invalid_credentials");
    assert_eq!(s.get("/api/v1/opportunities", &t).await.0, StatusCode::FORBIDDEN);

    let (status, body) = s.post("/api/me/password", Some(&t), change(&otp, "rep9-own-secret")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(s.get("/api/v1/opportunities", &t).await.0, StatusCode::OK);
    assert_eq!(s.get("/api/me", &t).await.1["must_change_password"], false);
    assert!(SyncClient::connect(&format!("ws://{}/sync?token={t}", s.addr)).await.is_ok());
    assert_eq!(s.login("rep9", &otp).await.0, StatusCode::UNAUTHORIZED, "the one-time password is gone");
    assert!(!sign_in(&s, "rep9", "rep9-own-secret").await.1);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_resets_a_password_to_a_one_time_one() {
    let s = start(|_| {}).await;
    let admin = s.token("admin").await;
    let rep1 = s.token("rep1").await;
    let (status, body) = s.post("/api/v1/users/rep2/password", Some(&rep1), json!(null)).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = s.post("/api/v1/users/admin/password", Some(&admin), json!(null)).await;
    assert_error(status, &body, StatusCode::CONFLICT, "conflict");
    let (status, body) = s.post("/api/v1/users/nobody/password", Some(&admin), json!(null)).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");

    let (status, body) = s.post("/api/v1/users/rep1/password", Some(&admin), json!(null)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let otp = body["one_time_password"].as_str().unwrap().to_string();
    assert_eq!(s.get("/api/me", &rep1).await.0, StatusCode::UNAUTHORIZED, "the old session ended");
    assert_eq!(s.login("rep1", "demo").await.0, StatusCode::UNAUTHORIZED);
    let (t, must) = sign_in(&s, "rep1", &otp).await;
    assert!(must, "a reset password is one-time");
    assert_eq!(s.get("/api/v1/leads", &t).await.0, StatusCode::FORBIDDEN);
    let reset = s.audit(&admin, "password_reset").await;
    assert!(reset.iter().any(|e| e["actor"] == "admin" && e["target"] == "rep1" && e["detail"]["one_time"] == true));
    // The password is never in the log.
    let (_, all) = s.get("/api/v1/audit?limit=1000", &admin).await;
    assert!(!all.to_string().contains(&otp));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_other_devices_keeps_this_one() {
    let s = start(|_| {}).await;
    let (a, b) = (s.token("rep1").await, s.token("rep1").await);
    let (status, list) = s.get("/api/me/sessions", &a).await;
    assert_eq!(status, StatusCode::OK);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().filter(|x| x["current"] == true).count(), 1);
    assert!(list.iter().all(|x| x.get("id").is_none() && x.get("token").is_none()), "{list:?}");
    let (status, body) = s.call(Method::DELETE, "/api/me/sessions", Some(&a), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["revoked"], 1);
    assert_eq!(s.get("/api/me", &a).await.0, StatusCode::OK);
    assert_eq!(s.get("/api/me", &b).await.0, StatusCode::UNAUTHORIZED);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_roster_is_created_whole_or_not_at_all() {
    let s = start(|_| {}).await;
    let admin = s.token("admin").await;
    let bad = "rep10, Ten, sales_rep, east\nrep1, Taken, sales_rep\nrep12, Twelve, emperor, nowhere";
    let (status, body) = s.post("/api/v1/users/bulk", Some(&admin), json!({"roster": bad})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    let lines: Vec<(u64, String)> = body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["line"].as_u64().unwrap(), l["problem"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(lines, [(2, "id_taken".into()), (3, "unknown_role".into()), (3, "unknown_team".into())], "{body}");
    assert!(s.login("rep10", "x-whatever").await.0 == StatusCode::UNAUTHORIZED);
    let (_, users) = s.get("/api/v1/users", &admin).await;
    assert!(users.as_array().unwrap().iter().all(|u| u["id"] != "rep10"), "nothing half-created");

    // 35 reps in 3 teams (the demo has east and west; a third is made first), pasted from a spreadsheet
    // (tabs), header included.
    let (status, body) = s.post("/api/v1/teams", Some(&admin), json!({"id": "north", "name": "North"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let mut roster = String::from("id\tname\trole\tteam\n");
    for i in 0..35 {
        let team = ["east", "west", "north"][i % 3];
        roster.push_str(&format!("agent{i}\tAgent {i}\tsales_rep\t{team}\n"));
    }
    let (status, body) = s.post("/api/v1/users/bulk", Some(&admin), json!({"roster": roster})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let created = body["created"].as_array().unwrap();
    assert_eq!(created.len(), 35);
    let first = created[0]["one_time_password"].as_str().unwrap();
    let (t, must) = sign_in(&s, "agent0", first).await;
    assert!(must);
    assert_eq!(s.get("/api/v1/leads", &t).await.0, StatusCode::FORBIDDEN);
    let (_, users) = s.get("/api/v1/users", &admin).await;
    let agents: Vec<&Value> =
        users.as_array().unwrap().iter().filter(|u| u["id"].as_str().unwrap().starts_with("agent")).collect();
    assert_eq!(agents.len(), 35);
    assert_eq!(agents.iter().filter(|u| u["team"] == "west").count(), 12);
    assert_eq!(
        s.audit(&admin, "user_created")
            .await
            .iter()
            .filter(|e| e["target"].as_str().unwrap().starts_with("agent"))
            .count(),
        35
    );
    // The same people as JSON are refused now (they exist).
    let (status, body) = s
        .post(
            "/api/v1/users/bulk",
            Some(&admin),
            json!({"people": [{"id": "agent0", "name": "A", "role": "sales_rep", "team": null}]}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_reads_their_team_and_nobody_else() {
    let s = start(|_| {}).await;
    let manager = s.token("manager").await;
    let (status, users) = s.get("/api/v1/users", &manager).await;
    assert_eq!(status, StatusCode::OK, "{users}");
    let mut ids: Vec<&str> = users.as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, ["manager", "rep1", "rep2"]);
    let (status, body) = s.patch("/api/v1/users/rep1", &manager, json!({"role": "analyst"})).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let rep1 = s.token("rep1").await;
    let (status, body) = s.get("/api/v1/users", &rep1).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_filters_and_downloads_as_csv() {
    let s = start(|_| {}).await;
    let admin = s.token("admin").await;
    // A username that a spreadsheet would run as a formula, tried at sign-in (the target of the entry).
    let evil = "=HYPERLINK(\"http://x\",\"y\")";
    assert_eq!(s.login(evil, "whatever-pw").await.0, StatusCode::UNAUTHORIZED);
    let _ = s.token("rep1").await;
    assert_eq!(s.login("rep1", "wrong-pw").await.0, StatusCode::UNAUTHORIZED);

    let page = |q: String| {
        let s = &s;
        let admin = admin.clone();
        async move {
            let (status, body) = s.get(&format!("/api/v1/audit?{q}"), &admin).await;
            assert_eq!(status, StatusCode::OK, "{q}: {body}");
            body["entries"].as_array().unwrap().clone()
        }
    };
    let fails = page("action=login_failed&target=rep1".into()).await;
    assert_eq!(fails.len(), 1);
    assert_eq!(fails[0]["detail"]["reason"], "wrong_password");
    let rep1 = page("actor=rep1".into()).await;
    assert!(!rep1.is_empty() && rep1.iter().all(|e| e["actor"] == "rep1"));
    let today = chrono::Utc::now().date_naive();
    let (yesterday, tomorrow) = (today.pred_opt().unwrap(), today.succ_opt().unwrap());
    assert!(page(format!("since={tomorrow}")).await.is_empty());
    assert!(page(format!("until={yesterday}")).await.is_empty());
    let all_today = page(format!("since={today}&until={today}&limit=1000")).await;
    assert_eq!(all_today.len(), page("limit=1000".into()).await.len());
    // Paging: two at a time, newest first, no entry twice.
    let (_, p1) = s.get("/api/v1/audit?limit=2", &admin).await;
    let before = p1["next_before"].as_i64().unwrap();
    let p2 = page(format!("limit=2&before={before}")).await;
    assert!(p2.iter().all(|e| e["id"].as_i64().unwrap() < before));

    let (status, body) = s.get("/api/v1/audit?since=March", &admin).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    let (status, body) = s.get(&format!("/api/v1/audit?since={tomorrow}&until={yesterday}"), &admin).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    let manager = s.token("manager").await;
    let (status, body) = s.get("/api/v1/audit", &manager).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");

    // CSV, by query and by Accept header: the formula stays text.
    for (path, accept) in
        [("/api/v1/audit?format=csv&action=login_failed", "*/*"), ("/api/v1/audit?action=login_failed", "text/csv")]
    {
        let res =
            s.http.get(format!("{}{path}", s.base)).bearer_auth(&admin).header("accept", accept).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let text = res.text().await.unwrap();
        let mut rows = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(
            rows.headers().unwrap().iter().collect::<Vec<_>>(),
            ["id", "at", "actor", "action", "target", "detail", "address"]
        );
        let rows: Vec<csv::StringRecord> = rows.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 2, "{text}");
        assert!(rows.iter().all(|r| &r[3] == "login_failed"));
        assert!(rows.iter().any(|r| r[4] == format!("'{evil}")), "{text}");
        assert!(!text.contains(&format!(",{evil}")), "an unguarded formula: {text}");
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_run_admin_password_is_one_time() {
    let data = std::env::temp_dir().join(format!("crm-first-run-{}", rand::random::<u64>()));
    let mut config = server::Config::for_tests(&data);
    config.demo = false;
    let state = server::AppState::open(config).await.unwrap();
    let pw = server::demo::first_run_admin(&state).await.unwrap().expect("an empty store gets an admin");
    assert!(server::demo::first_run_admin(&state).await.unwrap().is_none(), "only once");
    let admin = app::domain::UserId::new("admin");
    let account = state.accounts.run(move |s| s.account(&admin)).await.unwrap().unwrap();
    assert!(account.must_change_password);
    assert!(server::auth::password::verify_async(pw, Some(account.password_hash)).await);
    drop(state);
    let _ = std::fs::remove_dir_all(&data);
}
