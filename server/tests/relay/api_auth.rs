//! Sign-in over HTTP against the real relay: login, the three ways to present a session, logout, wrong
//! passwords, throttling per account and address and per address, expiry, password change, JSON errors.

use reqwest::{header, StatusCode};
use serde_json::json;
use std::time::Duration;

use crate::support::{assert_error, start, USERS};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_me_logout_and_every_way_to_present_a_token() {
    let s = start(|_| {}).await;

    // Health, and every demo user signs in with `demo`.
    let (status, health) = s.call(reqwest::Method::GET, "/api/health", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["status"], "ok");
    for u in USERS {
        let (status, body) = s.login(u, "demo").await;
        assert_eq!(status, StatusCode::OK, "{u}: {body}");
        assert_eq!(body["user"]["id"], u);
    }

    let res = s
        .http
        .post(format!("{}/api/login", s.base))
        .json(&json!({"username": "rep1", "password": "demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers()[header::SET_COOKIE].to_str().unwrap().to_string();
    assert!(cookie.starts_with("crm_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let body: serde_json::Value = res.json().await.unwrap();
    let token = body["token"].as_str().unwrap().to_string();
    assert_eq!(body["user"], json!({"id": "rep1", "name": "张伟 Zhang Wei", "role": "sales_rep", "team": "east"}));
    assert!(body["index_doc"].as_str().is_some_and(|d| app::domain::DocId::parse(d).is_ok()), "{body}");
    assert!(body["directory_doc"].as_str().is_some_and(|d| app::domain::DocId::parse(d).is_ok()), "{body}");

    // Bearer.
    let (status, me) = s.get("/api/me", &token).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["user"]["id"], "rep1");
    assert_eq!(me["index_doc"], body["index_doc"]);
    assert!(me.get("token").is_none(), "{me}");
    // Cookie (a browser-like client keeps it from the login answer).
    let browser = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let r = browser
        .post(format!("{}/api/login", s.base))
        .json(&json!({"username": "rep2", "password": "demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let me: serde_json::Value = browser.get(format!("{}/api/me", s.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["user"]["id"], "rep2");
    // ?token= (for clients that cannot set headers).
    let r = s.http.get(format!("{}/api/me?token={token}", s.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // No token, a made-up token.
    let (status, body) = s.call(reqwest::Method::GET, "/api/me", None, None).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthenticated");
    let (status, body) = s.get("/api/me", "deadbeef").await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "invalid_session");

    // Logout ends that session only.
    let other = s.token("rep1").await;
    let (status, _) = s.post("/api/logout", Some(&token), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = s.get("/api/me", &token).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "invalid_session");
    assert_eq!(s.get("/api/me", &other).await.0, StatusCode::OK);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_and_bad_bodies_get_json_errors() {
    let s = start(|_| {}).await;
    let (status, body) = s.login("rep1", "wrong").await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "invalid_credentials");
    // An unknown user gets the very same answer (existence is not revealed).
    let (status, body2) = s.login("nobody", "demo").await;
    assert_error(status, &body2, StatusCode::UNAUTHORIZED, "invalid_credentials");
    assert_eq!(body["message"], body2["message"]);

    let r = s
        .http
        .post(format!("{}/api/login", s.base))
        .header("content-type", "application/json")
        .body("{\"username\":")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "bad_request");
    let (status, body) = s.post("/api/login", None, json!({"username": "rep1"})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    let (status, body) = s.login("", "demo").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    let (status, body) = s.login("rep1", &"x".repeat(5000)).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    // Unknown API paths are JSON 404s, not the client's index page.
    let (status, body) = s.get("/api/v2/leads", "x").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");

    // Failed logins are audited with the reason; successful ones too.
    let admin = s.token("admin").await;
    let failed = s.audit(&admin, "login_failed").await;
    assert!(failed.iter().any(|e| e["target"] == "rep1" && e["detail"]["reason"] == "wrong_password"), "{failed:?}");
    assert!(failed.iter().any(|e| e["target"] == "nobody" && e["detail"]["reason"] == "unknown_user"), "{failed:?}");
    let ok = s.audit(&admin, "login_ok").await;
    assert!(ok.iter().any(|e| e["actor"] == "admin" && e["address"] == "127.0.0.1"), "{ok:?}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_are_throttled_per_account_and_address_and_per_address() {
    let s = start(|c| {
        c.login_free_failures = 3;
        c.login_max_failures_per_address = 6;
        // Long enough that no test machine is slow enough to see it run out.
        c.login_first_delay_secs = 120;
    })
    .await;
    for _ in 0..3 {
        assert_eq!(s.login("rep1", "guess").await.0, StatusCode::UNAUTHORIZED);
    }
    // This address must now wait before trying rep1 again, even with the right password.
    let r = s
        .http
        .post(format!("{}/api/login", s.base))
        .json(&json!({"username": "rep1", "password": "demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!(wait > 60 && wait <= 120, "{wait}");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited");
    // Another account from the same address still works…
    assert_eq!(s.login("rep2", "demo").await.0, StatusCode::OK);
    // …until the address has failed too often, across accounts (password spraying).
    for u in ["rep2", "rep3", "analyst"] {
        assert_eq!(s.login(u, "guess").await.0, StatusCode::UNAUTHORIZED);
    }
    let (status, body) = s.login("marketing", "demo").await;
    assert_error(status, &body, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_expire() {
    let s = start(|c| c.session_ttl_secs = 2).await;
    let token = s.token("rep1").await;
    assert_eq!(s.get("/api/me", &token).await.0, StatusCode::OK);
    // An open sync socket ends when its session expires.
    let mut socket =
        server::testing::SyncClient::connect(&format!("ws://{}/sync?token={token}", s.addr)).await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let closed = loop {
        match socket.pump_once(deadline).await {
            Err(_) => break true,
            Ok(false) => break false,
            Ok(true) => {}
        }
    };
    assert!(closed, "the socket outlived its session");
    let (status, body) = s.get("/api/me", &token).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "session_expired");
    // Gone for good after that.
    let (status, body) = s.get("/api/me", &token).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "invalid_session");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_the_password_ends_other_sessions() {
    let s = start(|_| {}).await;
    let a = s.token("rep1").await;
    let b = s.token("rep1").await;
    let (status, body) = s
        .post("/api/me/password", Some(&a), json!({"current_password": "nope", "new_password": "longer-secret"}))
        .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "invalid_credentials");
    let (status, body) =
        s.post("/api/me/password", Some(&a), json!({"current_password": "demo", "new_password": "short"})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    let (status, _) = s
        .post("/api/me/password", Some(&a), json!({"current_password": "demo", "new_password": "longer-secret"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(s.get("/api/me", &a).await.0, StatusCode::OK);
    assert_eq!(s.get("/api/me", &b).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(s.login("rep1", "demo").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(s.login("rep1", "longer-secret").await.0, StatusCode::OK);
    s.stop().await;
}

/// Runs the real binary: returns the child, the base URL, and the stdout lines up to the listening line
/// plus any first-run lines that follow within a moment.
async fn spawn_binary(data: &std::path::Path) -> (tokio::process::Child, String, Vec<String>) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_crm-server"))
        .args(["--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .args(["--static-dir", "/nonexistent"])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn crm-server");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    let mut base = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let wait = if base.is_some() { Duration::from_millis(1500) } else { deadline - tokio::time::Instant::now() };
        match tokio::time::timeout(wait, lines.next_line()).await {
            Ok(Ok(Some(line))) => {
                if let Some(url) = line.strip_prefix("crm-server listening on ") {
                    base = Some(url.trim().to_string());
                }
                seen.push(line);
            }
            _ => break,
        }
    }
    (child, base.expect("listening line"), seen)
}

async fn sigterm(mut child: tokio::process::Child) {
    let pid = child.id().expect("pid").to_string();
    let ok = std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success();
    assert!(ok);
    let status = tokio::time::timeout(Duration::from_secs(15), child.wait()).await.expect("exit in time").unwrap();
    assert!(status.success(), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_prints_a_one_time_admin_password_and_sigterm_stops_cleanly() {
    let data = std::env::temp_dir().join(format!("crm-api-test-{}", rand::random::<u64>()));
    let (child, base, lines) = spawn_binary(&data).await;
    let password = lines
        .iter()
        .find_map(|l| l.trim().strip_prefix("one-time setup password: "))
        .unwrap_or_else(|| panic!("no setup password in {lines:?}"))
        .to_string();
    let http = reqwest::Client::new();
    let login = |pw: String| {
        let http = http.clone();
        let url = format!("{base}/api/login");
        async move { http.post(url).json(&json!({"username": "admin", "password": pw})).send().await.unwrap().status() }
    };
    assert_eq!(login(password.clone()).await, StatusCode::OK);
    assert_eq!(login("demo".into()).await, StatusCode::UNAUTHORIZED);
    // No demo company without --demo.
    let r = http
        .post(format!("{base}/api/login"))
        .json(&json!({"username": "rep1", "password": "demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    sigterm(child).await;

    // A restart prints no new password and the first one still works.
    let (child, base2, lines) = spawn_binary(&data).await;
    assert!(!lines.iter().any(|l| l.contains("setup password")), "{lines:?}");
    let r = http
        .post(format!("{base2}/api/login"))
        .json(&json!({"username": "admin", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    sigterm(child).await;
    let _ = std::fs::remove_dir_all(&data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_seeding_is_idempotent_across_restarts() {
    let data = std::env::temp_dir().join(format!("crm-api-test-{}", rand::random::<u64>()));
    let mut config = server::Config::for_tests(&data);
    config.demo = true;
    let s = crate::support::start_with(config.clone()).await;
    let t = s.token("admin").await;
    let mut before = Vec::new();
    for kind in ["leads", "opportunities", "customers", "contacts", "activities"] {
        let (_, list) = s.get(&format!("/api/v1/{kind}"), &t).await;
        before.push(list);
    }
    assert!(before[0].as_array().unwrap().len() >= 30);
    s.stop_keeping_data().await;
    let s = crate::support::start_with(config).await;
    let t = s.token("admin").await;
    for (i, kind) in ["leads", "opportunities", "customers", "contacts", "activities"].iter().enumerate() {
        let (_, list) = s.get(&format!("/api/v1/{kind}"), &t).await;
        assert_eq!(list, before[i], "{kind} changed across a restart");
    }
    s.stop().await;
}
