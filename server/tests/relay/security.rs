//! The relay as an outsider probes it, over real sockets: security headers on every answer, the Origin
//! check on `/sync` and on cookie-authenticated changes, login throttling that keeps attackers slow without
//! locking the owner out, and forwarded headers believed only from a trusted proxy.

use std::net::{IpAddr, Ipv4Addr};

use reqwest::{header, StatusCode};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};

use crate::support::{assert_error, start, TestServer};

const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// Opens `/sync` with these headers: `Ok(101)` or `Err((status, JSON body))`.
async fn open_sync(s: &TestServer, query: &str, headers: &[(&'static str, String)]) -> Result<u16, (u16, Value)> {
    let mut req = format!("ws://{}/sync{query}", s.addr).into_client_request().unwrap();
    for (k, v) in headers {
        req.headers_mut().insert(*k, v.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((_, res)) => Ok(res.status().as_u16()),
        Err(tungstenite::Error::Http(res)) => {
            let body = res.body().as_deref().map(|b| serde_json::from_slice(b).unwrap()).unwrap_or(Value::Null);
            Err((res.status().as_u16(), body))
        }
        Err(e) => panic!("sync handshake: {e}"),
    }
}

async fn login_cookie(s: &TestServer, user: &str) -> String {
    let r = s
        .http
        .post(format!("{}/api/login", s.base))
        .json(&json!({"username": user, "password": "demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let c = r.headers()[header::SET_COOKIE].to_str().unwrap();
    c.split(';').next().unwrap().to_string()
}

fn assert_security_headers(h: &header::HeaderMap, what: &str) {
    let csp = h.get(header::CONTENT_SECURITY_POLICY).unwrap_or_else(|| panic!("{what}: no CSP")).to_str().unwrap();
    for want in
        ["default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "frame-ancestors 'none'", "object-src 'none'"]
    {
        assert!(csp.contains(want), "{what}: {csp}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'") && !csp.contains(" ws: "),
        "{what}: {csp}"
    );
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{what}");
    assert_eq!(h[header::REFERRER_POLICY], "no-referrer", "{what}");
    assert_eq!(h[header::X_FRAME_OPTIONS], "DENY", "{what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_the_security_headers() {
    let s = start(|_| {}).await;
    let token = s.token("rep1").await;
    let cases = [
        ("GET", "/api/health", None, StatusCode::OK),
        ("GET", "/api/me", None, StatusCode::UNAUTHORIZED),
        ("GET", "/api/me", Some(token.as_str()), StatusCode::OK),
        ("GET", "/api/v9/nothing", None, StatusCode::NOT_FOUND),
        ("GET", "/customers", None, StatusCode::NOT_FOUND),
    ];
    for (method, path, token, status) in cases {
        let mut req = s.http.request(method.parse().unwrap(), format!("{}{path}", s.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), status, "{path}");
        assert_security_headers(r.headers(), path);
        let csp = r.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        // The socket is allowed on this host only, and over plain HTTP there is no HSTS.
        assert!(csp.contains(&format!("connect-src 'self' ws://{};", s.addr)), "{csp}");
        assert!(r.headers().get(header::STRICT_TRANSPORT_SECURITY).is_none());
    }
    // A refusal of the Origin check carries them too; the session cookie has no `Secure` over plain HTTP
    // (the browser would drop it).
    let r = s
        .http
        .post(format!("{}/api/login", s.base))
        .header("origin", "https://evil.example")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_security_headers(r.headers(), "refusal");
    let cookie = login_cookie(&s, "rep2").await;
    assert!(cookie.starts_with("crm_session="));
    let r = s
        .http
        .post(format!("{}/api/login", s.base))
        .json(&json!({"username": "rep2", "password": "demo"}))
        .send()
        .await
        .unwrap();
    assert!(!r.headers()[header::SET_COOKIE].to_str().unwrap().contains("Secure"));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookie_sessions_are_refused_from_other_origins_and_bearer_clients_are_not() {
    let s = start(|c| c.allowed_origins = vec!["https://crm.example.com".into()]).await;
    let cookie = login_cookie(&s, "rep1").await;
    let own = format!("http://{}", s.addr);
    let evil = "https://evil.example".to_string();

    // The probe: a cookie session opening /sync from another origin.
    let (status, body) = open_sync(&s, "", &[("cookie", cookie.clone()), ("origin", evil.clone())]).await.unwrap_err();
    assert_error(StatusCode::from_u16(status).unwrap(), &body, StatusCode::FORBIDDEN, "forbidden");
    assert!(body["message"].as_str().unwrap().contains("evil.example"), "{body}");
    // A made-up ?token= beside the cookie does not dodge it (the cookie is the credential used).
    let refused = open_sync(&s, "?token=abc", &[("cookie", cookie.clone()), ("origin", evil.clone())]).await;
    assert_eq!(refused.unwrap_err().0, 403);
    // Fetch metadata without an Origin.
    let refused = open_sync(&s, "", &[("cookie", cookie.clone()), ("sec-fetch-site", "cross-site".into())]).await;
    assert_eq!(refused.unwrap_err().0, 403);
    // The relay's own pages, and a configured origin, may.
    assert_eq!(open_sync(&s, "", &[("cookie", cookie.clone()), ("origin", own.clone())]).await, Ok(101));
    let allowed = "https://crm.example.com".to_string();
    assert_eq!(open_sync(&s, "", &[("cookie", cookie.clone()), ("origin", allowed)]).await, Ok(101));
    // Stock automerge-repo peers and scripts with a token are not Origin-checked.
    let token = s.token("rep1").await;
    assert_eq!(open_sync(&s, &format!("?token={token}"), &[("origin", evil.clone())]).await, Ok(101));
    assert_eq!(
        open_sync(&s, "", &[("authorization", format!("Bearer {token}")), ("origin", evil.clone())]).await,
        Ok(101)
    );

    // State-changing REST calls with the cookie: refused cross-origin (and the session survives)…
    let logout = |origin: Option<String>| {
        let mut req = s.http.post(format!("{}/api/logout", s.base)).header("cookie", cookie.clone()).json(&json!({}));
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        req.send()
    };
    let r = logout(Some(evil.clone())).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "forbidden");
    let me = s
        .http
        .get(format!("{}/api/me", s.base))
        .header("cookie", cookie.clone())
        .header("origin", evil.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK, "reads are not changes; the cookie still works");
    // …signing a browser in from another origin too…
    let r = s
        .http
        .post(format!("{}/api/login", s.base))
        .header("origin", evil.clone())
        .json(&json!({"username": "rep1", "password": "demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // …while the same call with a bearer token is a script's and goes through.
    let r = s
        .http
        .post(format!("{}/api/logout", s.base))
        .bearer_auth(&token)
        .header("origin", evil)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Same origin: fine.
    assert_eq!(logout(Some(own)).await.unwrap().status(), StatusCode::OK);
    s.stop().await;
}

async fn login_from(
    http: &reqwest::Client,
    s: &TestServer,
    user: &str,
    pw: &str,
    xff: Option<&str>,
) -> reqwest::Response {
    let mut req = http.post(format!("{}/api/login", s.base)).json(&json!({"username": user, "password": pw}));
    if let Some(x) = xff {
        req = req.header("x-forwarded-for", x);
    }
    req.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attackers_failures_from_one_address_do_not_stop_the_user_signing_in_from_another() {
    let s = start(|c| c.login_first_delay_secs = 120).await;
    // The attacker's requests come from 127.0.0.2 (loopback too), the user's from 127.0.0.1.
    let attacker = reqwest::Client::builder().local_address(ATTACKER).build().unwrap();
    let mut throttled = None;
    for _ in 0..8 {
        let r = login_from(&attacker, &s, "rep2", "guess", None).await;
        match r.status() {
            StatusCode::UNAUTHORIZED => {}
            StatusCode::TOO_MANY_REQUESTS => {
                throttled = Some(r);
                break;
            }
            other => panic!("{other}"),
        }
    }
    let r = throttled.expect("the attacker is slowed down");
    let wait: u64 = r.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((60..=120).contains(&wait), "{wait}");
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "rate_limited");
    // Even the right password waits at the attacker's address…
    assert_eq!(login_from(&attacker, &s, "rep2", "demo", None).await.status(), StatusCode::TOO_MANY_REQUESTS);
    // …but rep2 on their own phone signs straight in.
    let (status, body) = s.login("rep2", "demo").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Admins see the repeated failures, with where they came from and how many.
    let admin = s.token("admin").await;
    let failed = s.audit(&admin, "login_failed").await;
    let from_attacker: Vec<_> =
        failed.iter().filter(|e| e["target"] == "rep2" && e["address"] == "127.0.0.2").collect();
    assert_eq!(from_attacker.len(), 3, "{failed:?}");
    assert!(from_attacker.iter().any(|e| e["detail"]["failures_from_address_for_account"] == 3), "{from_attacker:?}");
    let limited = s.audit(&admin, "login_rate_limited").await;
    assert!(
        limited.iter().any(|e| e["target"] == "rep2"
            && e["address"] == "127.0.0.2"
            && e["detail"]["throttled_by"] == "account_and_address"),
        "{limited:?}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_spraying_from_one_address_is_slowed_for_every_account() {
    let s = start(|c| {
        c.login_max_failures_per_address = 4;
        c.login_first_delay_secs = 120;
    })
    .await;
    let attacker = reqwest::Client::builder().local_address(ATTACKER).build().unwrap();
    for u in ["rep1", "rep2", "rep3", "analyst"] {
        assert_eq!(login_from(&attacker, &s, u, "123456", None).await.status(), StatusCode::UNAUTHORIZED);
    }
    let r = login_from(&attacker, &s, "marketing", "123456", None).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key(header::RETRY_AFTER));
    // Everyone else still signs in.
    for u in ["rep1", "marketing"] {
        assert_eq!(s.login(u, "demo").await.0, StatusCode::OK, "{u}");
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_headers_are_believed_from_a_trusted_proxy_only() {
    // Untrusted: X-Forwarded-For is the client's own say-so and cannot spread guesses over made-up addresses.
    let s = start(|c| c.login_first_delay_secs = 120).await;
    for i in 0..3 {
        let r = login_from(&s.http, &s, "rep1", "guess", Some(&format!("10.9.9.{i}"))).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = login_from(&s.http, &s, "rep1", "guess", Some("10.9.9.200")).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let r = s.http.get(format!("{}/api/health", s.base)).header("x-forwarded-proto", "https").send().await.unwrap();
    assert!(r.headers().get(header::STRICT_TRANSPORT_SECURITY).is_none());
    s.stop().await;

    // Behind a TLS-terminating proxy on 127.0.0.1: its forwarded address and scheme count.
    let s = start(|c| {
        c.trust_proxy = vec![IpAddr::V4(Ipv4Addr::LOCALHOST)];
        c.login_first_delay_secs = 120;
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            login_from(&s.http, &s, "rep1", "guess", Some("203.0.113.7")).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login_from(&s.http, &s, "rep1", "demo", Some("203.0.113.7")).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // The left-most entry is written by the client; the proxy appends the address it saw.
    let r = login_from(&s.http, &s, "rep1", "demo", Some("203.0.113.7, 198.51.100.4")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = s
        .http
        .post(format!("{}/api/login", s.base))
        .header("x-forwarded-for", "198.51.100.4")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "crm.example.com")
        .header("origin", "https://crm.example.com")
        .json(&json!({"username": "rep2", "password": "demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the proxy's public origin is this relay's origin");
    assert!(r.headers()[header::SET_COOKIE].to_str().unwrap().contains("; Secure"));
    assert_eq!(r.headers()[header::STRICT_TRANSPORT_SECURITY], "max-age=31536000");
    let csp = r.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("connect-src 'self' wss://crm.example.com;"), "{csp}");
    let admin = s.token("admin").await;
    let ok = s.audit(&admin, "login_ok").await;
    assert!(ok.iter().any(|e| e["actor"] == "rep2" && e["address"] == "198.51.100.4"), "{ok:?}");
    s.stop().await;
}
