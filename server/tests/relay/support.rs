//! Starts the real relay in-process (`server::run`) on port 0 with a fresh data folder, and speaks JSON to it.

#![allow(dead_code)]

use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::path::PathBuf;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

use server::Config;

pub const USERS: [&str; 9] =
    ["admin", "manager", "rep1", "rep2", "rep3", "accountmgr", "marketing", "aftersales", "analyst"];

pub struct TestServer {
    pub base: String,
    pub addr: std::net::SocketAddr,
    pub data: PathBuf,
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

/// A demo server; `tweak` adjusts the configuration first (session lifetime, rate limits).
pub async fn start(tweak: impl FnOnce(&mut Config)) -> TestServer {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let data = std::env::temp_dir().join(format!("crm-api-test-{}", rand::random::<u64>()));
    let mut config = Config::for_tests(&data);
    config.demo = true;
    tweak(&mut config);
    start_with(config).await
}

pub async fn start_with(config: Config) -> TestServer {
    let data = config.data.clone();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(server::run(config, listener, async move {
        let _ = rx.await;
    }));
    let s = TestServer {
        base: format!("http://{addr}"),
        addr,
        data,
        http: reqwest::Client::new(),
        stop: Some(tx),
        task: Some(task),
    };
    // Ready once the health check answers (storage opened and demo seeded).
    for _ in 0..600 {
        if let Ok(r) = s.http.get(format!("{}/api/health", s.base)).send().await {
            if r.status().is_success() {
                return s;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the relay did not start");
}

impl TestServer {
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let text = res.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
        (status, json)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(token), Some(body)).await
    }

    pub async fn login(&self, user: &str, password: &str) -> (StatusCode, Value) {
        self.post("/api/login", None, serde_json::json!({ "username": user, "password": password })).await
    }

    /// Signs a demo user in and returns the bearer token.
    pub async fn token(&self, user: &str) -> String {
        let (status, body) = self.login(user, "demo").await;
        assert_eq!(status, StatusCode::OK, "login {user}: {body}");
        body["token"].as_str().expect("token").to_string()
    }

    /// Audit entries (newest first) with this action, read as admin.
    pub async fn audit(&self, admin_token: &str, action: &str) -> Vec<Value> {
        let (status, body) = self.get(&format!("/api/v1/audit?action={action}&limit=1000"), admin_token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["entries"].as_array().expect("entries").clone()
    }

    /// Stops the server (graceful shutdown) and removes its data folder.
    pub async fn stop(self) {
        let data = self.stop_keeping_data().await;
        let _ = std::fs::remove_dir_all(&data);
    }

    /// Stops the server and returns its data folder, left in place for a restart.
    pub async fn stop_keeping_data(mut self) -> PathBuf {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let res = tokio::time::timeout(std::time::Duration::from_secs(15), task).await;
            let ok = matches!(res, Ok(Ok(Ok(()))));
            assert!(ok, "the relay did not shut down cleanly: {res:?}");
        }
        self.data.clone()
    }
}

/// Asserts the body is our JSON error shape with this code.
pub fn assert_error(status: StatusCode, body: &Value, want_status: StatusCode, want_code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["error"], want_code, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
}
