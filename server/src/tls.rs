//! HTTPS: the rustls server configuration from `--tls-cert/--tls-key` (ring provider), serving the app over
//! it (axum-server), and the plain-HTTP listener that only redirects to HTTPS (`--http-redirect-listen`).

use std::{net::SocketAddr, path::Path, sync::Arc, time::Duration};

use anyhow::Context;
use axum::{
    extract::State,
    http::{header, HeaderMap, StatusCode, Uri},
    response::{IntoResponse, Response},
    Extension, Router,
};
use axum_server::tls_rustls::RustlsConfig;
use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;

use crate::security::TlsConnection;

/// Reads the certificate chain and key and builds the server configuration (TLS 1.2 and 1.3, HTTP/2 and
/// HTTP/1.1 offered). Errors name the file and what is wrong with it.
pub fn load(cert: &Path, key: &Path) -> anyhow::Result<RustlsConfig> {
    let chain = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("--tls-cert {}: cannot read", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("--tls-cert {}: not a PEM certificate chain", cert.display()))?;
    if chain.is_empty() {
        anyhow::bail!("--tls-cert {}: no certificate in it", cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("--tls-key {}: not a PEM private key", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("--tls-cert/--tls-key: the key does not fit the certificate, or the key type is not supported")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(RustlsConfig::from_config(Arc::new(config)))
}

/// Serves `app` over TLS on `listener` until `shutdown` resolves, then lets requests in flight finish
/// (at most 10 s).
pub async fn serve(
    listener: TcpListener,
    tls: RustlsConfig,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        stopper.graceful_shutdown(Some(Duration::from_secs(10)));
    });
    let app = app.layer(Extension(TlsConnection));
    axum_server::from_tcp_rustls(listener.into_std()?, tls)?
        .handle(handle)
        .serve(app.into_make_service_with_connect_info::<SocketAddr>())
        .await?;
    Ok(())
}

/// The HTTPS URL for a plain-HTTP request: the same host and path on `https_port`.
pub fn redirect_target(headers: &HeaderMap, uri: &Uri, https_port: u16) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?.trim();
    if host.is_empty() || !host.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b)) {
        return None;
    }
    // Drop the port: `[::1]:80` → `[::1]`, `crm.local:8080` → `crm.local`.
    let name = match host.rfind(':') {
        Some(i) if !host[i..].contains(']') => &host[..i],
        _ => host,
    };
    let port = if https_port == 443 { String::new() } else { format!(":{https_port}") };
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    Some(format!("https://{name}{port}{path}"))
}

async fn redirect(State(https_port): State<u16>, headers: HeaderMap, uri: Uri) -> Response {
    match redirect_target(&headers, &uri, https_port) {
        // 308 keeps the method and body of a POST.
        Some(to) => (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, to)]).into_response(),
        None => crate::error::ApiError::bad_request("a Host header is needed to redirect to HTTPS").into_response(),
    }
}

/// Answers every plain-HTTP request on `listener` with a redirect to HTTPS on `https_port`.
pub async fn serve_redirect(
    listener: TcpListener,
    https_port: u16,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = Router::new().fallback(redirect).with_state(https_port);
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(host: &str, path: &str, port: u16) -> Option<String> {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, host.parse().unwrap());
        redirect_target(&h, &path.parse().unwrap(), port)
    }

    #[test]
    fn redirects_keep_host_and_path_and_swap_the_port() {
        assert_eq!(target("crm.local:8080", "/deals?x=1", 8443).as_deref(), Some("https://crm.local:8443/deals?x=1"));
        assert_eq!(target("192.168.1.20", "/", 443).as_deref(), Some("https://192.168.1.20/"));
        assert_eq!(target("[::1]:80", "/a", 8443).as_deref(), Some("https://[::1]:8443/a"));
        assert_eq!(target("[::1]", "/a", 443).as_deref(), Some("https://[::1]/a"));
        assert_eq!(target("evil.example/x", "/", 443), None);
    }
}
