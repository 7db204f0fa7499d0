//! Admin endpoints against the real relay: creating users, changing role/team/manager, disabling (which
//! ends sessions and open sync sockets at once), revoking sessions, teams, the last-admin guard, export
//! requests approved by a manager, and the audit entries all of this leaves.

use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};

use crate::support::{assert_error, start};
use server::testing::SyncClient;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_create_and_change_users() {
    let s = start(|_| {}).await;
    let admin = s.token("admin").await;
    let rep1 = s.token("rep1").await;

    let new =
        // A script hands this password over itself, so it is not one-time (see api_people.rs for one-time ones).
        json!({"id": "rep4", "name": "黄磊 Huang Lei", "role": "sales_rep", "team": "west", "password": "rep4-secret",
               "one_time": false});
    let (status, body) = s.post("/api/v1/users", Some(&rep1), new.clone()).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = s.post("/api/v1/users", Some(&admin), new.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["id"], "rep4");
    let (status, body) = s.post("/api/v1/users", Some(&admin), new).await;
    assert_error(status, &body, StatusCode::CONFLICT, "conflict");
    for bad in [
        json!({"id": "Bad Id", "name": "x", "role": "sales_rep", "password": "long-enough"}),
        json!({"id": "ok", "name": "", "role": "sales_rep", "password": "long-enough"}),
        json!({"id": "ok", "name": "x", "role": "emperor", "password": "long-enough"}),
        json!({"id": "ok", "name": "x", "role": "sales_rep", "password": "short"}),
        json!({"id": "ok", "name": "x", "role": "sales_rep", "team": "nowhere", "password": "long-enough"}),
    ] {
        let (status, body) = s.post("/api/v1/users", Some(&admin), bad.clone()).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    }

    // The new user signs in, and is in the directory with their team.
    let (status, login) = s.login("rep4", "rep4-secret").await;
    assert_eq!(status, StatusCode::OK, "{login}");
    assert_eq!(login["user"], json!({"id": "rep4", "name": "黄磊 Huang Lei", "role": "sales_rep", "team": "west"}));
    let (_, users) = s.get("/api/v1/users", &admin).await;
    let rep4 = users.as_array().unwrap().iter().find(|u| u["id"] == "rep4").unwrap().clone();
    assert_eq!(rep4["has_account"], true);
    assert_eq!(rep4["sessions"], 1);

    // Role and team changes show at once (me, REST filtering) and are audited.
    let t4 = login["token"].as_str().unwrap().to_string();
    assert_eq!(s.get("/api/v1/opportunities", &t4).await.1.as_array().unwrap().len(), 0);
    let (status, body) = s.patch("/api/v1/users/rep4", &admin, json!({"role": "analyst", "team": null})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, me) = s.get("/api/me", &t4).await;
    assert_eq!(me["user"]["role"], "analyst");
    assert_eq!(me["user"]["team"], serde_json::Value::Null);
    assert!(!s.get("/api/v1/opportunities", &t4).await.1.as_array().unwrap().is_empty());
    let roles = s.audit(&admin, "role_changed").await;
    assert!(roles.iter().any(|e| e["actor"] == "admin" && e["target"] == "rep4" && e["detail"]["to"] == "analyst"));
    let teams = s.audit(&admin, "team_changed").await;
    assert!(teams.iter().any(|e| e["target"] == "rep4" && e["detail"]["from"] == "west"));
    assert!(s.audit(&admin, "user_created").await.iter().any(|e| e["target"] == "rep4"));

    let (status, body) = s.patch("/api/v1/users/nobody", &admin, json!({"role": "analyst"})).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, body) = s.patch("/api/v1/users/rep4", &admin, json!({"team": "nowhere"})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");

    // An admin resets a password: old sessions end, the new password works.
    let (status, _) = s.patch("/api/v1/users/rep4", &admin, json!({"password": "another-secret"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(s.get("/api/me", &t4).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(s.login("rep4", "another-secret").await.0, StatusCode::OK);

    // The company keeps an admin: no self-disable, no demoting the last admin.
    let (status, body) = s.patch("/api/v1/users/admin", &admin, json!({"disabled": true})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "conflict");
    let (status, body) = s.patch("/api/v1/users/admin", &admin, json!({"role": "analyst"})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "conflict");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_a_user_ends_their_sessions_and_sockets_at_once() {
    let s = start(|_| {}).await;
    let admin = s.token("admin").await;
    let rep2 = s.token("rep2").await;
    let ws = format!("ws://{}/sync?token={rep2}", s.addr);
    let mut socket = SyncClient::connect(&ws).await.expect("rep2 connects");
    // The socket stays open while nothing happens.
    assert!(socket.pump_once(Instant::now() + Duration::from_millis(300)).await.is_ok());

    let (status, body) = s.patch("/api/v1/users/rep2", &admin, json!({"disabled": true})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let started = Instant::now();
    let deadline = started + Duration::from_secs(3);
    let closed = loop {
        match socket.pump_once(deadline).await {
            Err(_) => break true,
            Ok(false) => break false,
            Ok(true) => {}
        }
    };
    assert!(closed, "the socket of a disabled user stayed open");
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());

    let (status, body) = s.get("/api/me", &rep2).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "invalid_session");
    let (status, body) = s.login("rep2", "demo").await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    assert!(SyncClient::connect(&ws).await.is_err(), "a disabled user's token opened a socket");
    assert!(s.audit(&admin, "user_disabled").await.iter().any(|e| e["target"] == "rep2"));

    // Enabling lets them back in.
    let (status, _) = s.patch("/api/v1/users/rep2", &admin, json!({"disabled": false})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(s.login("rep2", "demo").await.0, StatusCode::OK);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_sessions_closes_sockets_too() {
    let s = start(|_| {}).await;
    let admin = s.token("admin").await;
    let rep1 = s.token("rep1").await;
    let mut socket = SyncClient::connect(&format!("ws://{}/sync?token={rep1}", s.addr)).await.unwrap();
    let (status, body) = s.call(reqwest::Method::DELETE, "/api/v1/users/rep1/sessions", Some(&admin), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["revoked"], 1);
    let deadline = Instant::now() + Duration::from_secs(3);
    let closed = loop {
        match socket.pump_once(deadline).await {
            Err(_) => break true,
            Ok(false) => break false,
            Ok(true) => {}
        }
    };
    assert!(closed);
    assert_eq!(s.get("/api/me", &rep1).await.0, StatusCode::UNAUTHORIZED);
    // Logging out closes that session's socket as well.
    let rep1 = s.token("rep1").await;
    let mut socket = SyncClient::connect(&format!("ws://{}/sync?token={rep1}", s.addr)).await.unwrap();
    assert_eq!(s.post("/api/logout", Some(&rep1), json!({})).await.0, StatusCode::OK);
    let deadline = Instant::now() + Duration::from_secs(3);
    let closed = loop {
        match socket.pump_once(deadline).await {
            Err(_) => break true,
            Ok(false) => break false,
            Ok(true) => {}
        }
    };
    assert!(closed);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn teams_and_managers() {
    let s = start(|_| {}).await;
    let admin = s.token("admin").await;
    let rep3 = s.token("rep3").await;
    let (status, teams) = s.get("/api/v1/teams", &rep3).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(teams.as_array().unwrap().len(), 2);

    let (status, body) = s.post("/api/v1/teams", Some(&rep3), json!({"id": "north", "name": "North"})).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) =
        s.post("/api/v1/teams", Some(&admin), json!({"id": "north", "name": "北方 North", "manager": "rep1"})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    let (status, body) = s.post("/api/v1/teams", Some(&admin), json!({"id": "north", "name": "北方 North"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = s.post("/api/v1/teams", Some(&admin), json!({"id": "north", "name": "again"})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "conflict");

    // The manager takes over west (nested under east's reach when it becomes a sub-team): rep3's records
    // become visible to the manager.
    let manager = s.token("manager").await;
    let before = s.get("/api/v1/opportunities", &manager).await.1.as_array().unwrap().len();
    let (status, body) = s.patch("/api/v1/teams/west", &admin, json!({"manager": "manager"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["manager"], "manager");
    let after = s.get("/api/v1/opportunities", &manager).await.1.as_array().unwrap().len();
    assert!(after > before, "{before} → {after}");
    assert!(s.audit(&admin, "manager_changed").await.iter().any(|e| e["target"] == "west"));
    let (status, body) = s.patch("/api/v1/teams/west", &admin, json!({"parent": "west"})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    let (status, body) = s.patch("/api/v1/teams/nowhere", &admin, json!({"name": "x"})).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_need_the_managers_approval() {
    let s = start(|_| {}).await;
    let admin = s.token("admin").await;
    let manager = s.token("manager").await;
    let rep1 = s.token("rep1").await;
    let rep3 = s.token("rep3").await;

    let (status, body) = s.post("/api/v1/exports", Some(&rep1), json!({"kind": "leads", "reason": ""})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    let (status, body) = s.post("/api/v1/exports", Some(&rep1), json!({"kind": "spaceships", "reason": "x"})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    let (status, req) =
        s.post("/api/v1/exports", Some(&rep1), json!({"kind": "leads", "reason": "展会跟进 fair follow-up"})).await;
    assert_eq!(status, StatusCode::CREATED, "{req}");
    assert_eq!(req["status"], "pending");
    let id = req["id"].as_i64().unwrap();

    // Not before approval; not by the requester; not by someone else's manager.
    let (status, body) = s.get(&format!("/api/v1/exports/{id}/download"), &rep1).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = s.post(&format!("/api/v1/exports/{id}/approve"), Some(&rep1), json!({})).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = s.post(&format!("/api/v1/exports/{id}/approve"), Some(&rep3), json!({})).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    // The manager sees the team's request and approves it, once.
    let (_, listed) = s.get("/api/v1/exports", &manager).await;
    assert!(listed.as_array().unwrap().iter().any(|r| r["id"] == id));
    let (status, body) = s.post(&format!("/api/v1/exports/{id}/approve"), Some(&manager), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "approved");
    assert_eq!(body["decided_by"], "manager");
    let (status, body) = s.post(&format!("/api/v1/exports/{id}/reject"), Some(&manager), json!({})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "conflict");

    // The download holds exactly what rep1 may read, and only rep1 downloads it.
    let (status, file) = s.get(&format!("/api/v1/exports/{id}/download"), &rep1).await;
    assert_eq!(status, StatusCode::OK, "{file}");
    let (_, leads) = s.get("/api/v1/leads", &rep1).await;
    assert_eq!(file["records"], leads);
    let (status, _) = s.get(&format!("/api/v1/exports/{id}/download"), &manager).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // rep3 has no manager: only an admin decides, and the manager of another team cannot.
    let (_, req3) = s.post("/api/v1/exports", Some(&rep3), json!({"kind": "customers", "reason": "review"})).await;
    let id3 = req3["id"].as_i64().unwrap();
    let (status, _) = s.post(&format!("/api/v1/exports/{id3}/approve"), Some(&manager), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = s.post(&format!("/api/v1/exports/{id3}/reject"), Some(&admin), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = s.get(&format!("/api/v1/exports/{id3}/download"), &rep3).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = s.get("/api/v1/exports/abc/download", &rep3).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");

    for action in ["export_requested", "export_decided", "export_downloaded"] {
        assert!(!s.audit(&admin, action).await.is_empty(), "{action}");
    }
    s.stop().await;
}
