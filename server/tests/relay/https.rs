//! HTTPS end to end over real sockets: `crm-server cert` makes a CA and a relay certificate for a LAN name,
//! the relay serves with it, a client that trusts only that CA connects by that name, HSTS and the `Secure`
//! cookie are sent, plain HTTP redirects to HTTPS, and a second `cert` run keeps the CA.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use reqwest::{header, StatusCode};
use serde_json::json;
use tokio::{net::TcpListener, sync::oneshot};

use server::{cert, Config, Transport};

struct TlsServer {
    addr: SocketAddr,
    redirect: SocketAddr,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    data: PathBuf,
}

async fn start_tls(issued: &cert::Issued) -> TlsServer {
    let data = std::env::temp_dir().join(format!("crm-https-test-{}", rand::random::<u64>()));
    let mut config = Config::for_tests(&data);
    config.demo = true;
    config.tls_cert = Some(issued.relay_cert.clone());
    config.tls_key = Some(issued.relay_key.clone());
    let mut transport = Transport::from_config(&config).expect("certificate loads");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let redirect = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (addr, redirect_addr) = (listener.local_addr().unwrap(), redirect.local_addr().unwrap());
    transport.redirect = Some(redirect);
    let (stop, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(server::serve(config, listener, transport, async move {
        let _ = rx.await;
    }));
    TlsServer { addr, redirect: redirect_addr, stop, task, data }
}

impl TlsServer {
    async fn stop(self) {
        let _ = self.stop.send(());
        let res = tokio::time::timeout(std::time::Duration::from_secs(15), self.task).await;
        assert!(matches!(res, Ok(Ok(Ok(())))), "clean shutdown: {res:?}");
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// A client that trusts only `ca` and resolves `crm.test` to the relay.
fn client(ca: &Path, relay: SocketAddr) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(&std::fs::read(ca).unwrap()).unwrap();
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(ca)
        .resolve("crm.test", relay)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn wait_ready(http: &reqwest::Client, base: &str) {
    for _ in 0..600 {
        if http.get(format!("{base}/api/health")).send().await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the HTTPS relay did not start");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_ca_serves_https_by_lan_name_with_hsts_secure_cookies_and_a_redirect() {
    let dir = std::env::temp_dir().join(format!("crm-cert-test-{}", rand::random::<u64>()));
    let args = cert::CertArgs { names: vec!["crm.test".into(), "127.0.0.1".into()], out: dir.clone() };
    let issued = cert::issue(&args, time::OffsetDateTime::now_utc()).expect("cert");
    assert!(issued.new_ca);
    #[cfg(unix)]
    for key in [&issued.ca_key, &issued.relay_key] {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(key).unwrap().permissions().mode() & 0o077, 0, "{} is private", key.display());
    }

    let s = start_tls(&issued).await;
    let http = client(&issued.ca_cert, s.addr);
    let base = format!("https://crm.test:{}", s.addr.port());
    wait_ready(&http, &base).await;
    let r = http.get(format!("{base}/api/health")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[header::STRICT_TRANSPORT_SECURITY], "max-age=31536000");
    let csp = r.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains(&format!("connect-src 'self' wss://crm.test:{};", s.addr.port())), "{csp}");

    // The browser's sign-in from its own origin: a `Secure` cookie.
    let r = http
        .post(format!("{base}/api/login"))
        .header("origin", &base)
        .json(&json!({"username": "rep1", "password": "demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("; Secure"), "{cookie}");
    // The same origin over plain http is another origin.
    let r = http
        .post(format!("{base}/api/login"))
        .header("origin", format!("http://crm.test:{}", s.addr.port()))
        .json(&json!({"username": "rep1", "password": "demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // A client that does not trust the CA is refused by TLS itself.
    let stranger =
        reqwest::Client::builder().tls_built_in_root_certs(false).resolve("crm.test", s.addr).build().unwrap();
    assert!(stranger.get(format!("{base}/api/health")).send().await.is_err());

    // Plain HTTP on the redirect listener: to the same host and path over HTTPS.
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .resolve("crm.test", s.redirect)
        .build()
        .unwrap();
    let r = plain.get(format!("http://crm.test:{}/customers?tab=open", s.redirect.port())).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        r.headers()[header::LOCATION],
        format!("https://crm.test:{}/customers?tab=open", s.addr.port()).as_str()
    );
    // Nothing but redirects there: no API over plain HTTP.
    let r =
        plain.post(format!("http://crm.test:{}/api/login", s.redirect.port())).json(&json!({})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
    s.stop().await;

    // Renewing with another address keeps the CA (phones keep trusting) and the new certificate works.
    let ca_before = std::fs::read(&issued.ca_cert).unwrap();
    let args = cert::CertArgs { names: vec!["crm.test".into(), "192.168.1.20".into()], out: dir.clone() };
    let renewed = cert::issue(&args, time::OffsetDateTime::now_utc()).expect("renew");
    assert!(!renewed.new_ca);
    assert_eq!(std::fs::read(&renewed.ca_cert).unwrap(), ca_before);
    assert_eq!(renewed.ca_fingerprint, issued.ca_fingerprint);
    let s = start_tls(&renewed).await;
    let http = client(&issued.ca_cert, s.addr);
    let base = format!("https://crm.test:{}", s.addr.port());
    wait_ready(&http, &base).await;
    s.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn bad_certificate_files_are_clear_errors() {
    let dir = std::env::temp_dir().join(format!("crm-cert-bad-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    let junk = dir.join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let Err(err) = server::tls::load(&junk, &junk) else { panic!("junk accepted") };
    let err = format!("{err:#}");
    assert!(err.contains("--tls-cert") && err.contains("junk.pem"), "{err}");
    let Err(err) = server::tls::load(&dir.join("missing.pem"), &junk) else { panic!("missing file accepted") };
    let err = format!("{err:#}");
    assert!(err.contains("missing.pem"), "{err}");
    let args = cert::CertArgs { names: vec!["not a name!".into()], out: dir.clone() };
    let err = format!("{:#}", cert::issue(&args, time::OffsetDateTime::now_utc()).expect_err("bad name refused"));
    assert!(err.contains("--names"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
