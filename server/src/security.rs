//! What every request passes through before its handler: who is asking and over what (the client address
//! and scheme, believing `X-Forwarded-*` only from `--trust-proxy` peers), the Origin check for cookie
//! sessions, and the security headers on every answer.
//!
//! # Layout
//! - `security/origin.rs`: the pure Origin rule (same origin or `--allowed-origins`).
//! - `security/headers.rs`: CSP, HSTS and the other headers.

mod headers;
pub mod origin;

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{header, HeaderMap, Method},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{auth::token, error::ApiError, AppState};

pub use headers::content_security_policy;

/// How a request reached the relay, as far as the relay may believe it. Put into the request's extensions
/// by [`guard`] before any handler runs.
#[derive(Clone, Debug)]
pub struct RequestContext {
    /// The client's address: the TCP peer, or the proxy's `X-Forwarded-For` if the peer is a trusted proxy.
    pub client: Option<IpAddr>,
    /// The browser reached us over HTTPS (our own TLS, or a trusted proxy's `X-Forwarded-Proto: https`).
    pub https: bool,
    /// The host the browser asked for (`Host`, or a trusted proxy's `X-Forwarded-Host`), if well-formed.
    pub host: Option<String>,
}

impl RequestContext {
    /// The origin browsers send for pages of this relay, e.g. `https://crm.local:8443`.
    pub fn own_origin(&self) -> Option<String> {
        let host = self.host.as_deref()?;
        origin::normalize(&format!("{}://{host}", if self.https { "https" } else { "http" }))
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

/// Host names as browsers send them: letters, digits, `.-:[]` only (so one can go into a CSP header).
fn valid_host(h: &str) -> bool {
    !h.is_empty() && h.len() <= 255 && h.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
}

/// Builds the context of a request that came from `peer` over a connection that `tls` says is encrypted.
/// `authority` is the request URI's (HTTP/2 carries the host there, not in a `Host` header).
pub fn context(
    headers: &HeaderMap,
    authority: Option<&str>,
    peer: Option<IpAddr>,
    tls: bool,
    trusted: &[IpAddr],
) -> RequestContext {
    let from_proxy = peer.is_some_and(|p| trusted.contains(&p));
    // The proxy appends the address it saw; anything left of it was written by the client and proves nothing.
    let forwarded_for = || {
        header_str(headers, "x-forwarded-for")
            .and_then(|v| v.rsplit(',').next())
            .and_then(|a| a.trim().parse::<IpAddr>().ok())
    };
    let client = if from_proxy { forwarded_for().or(peer) } else { peer };
    let https = tls
        || (from_proxy
            && header_str(headers, "x-forwarded-proto")
                .is_some_and(|p| p.rsplit(',').next().is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))));
    let host = from_proxy
        .then(|| header_str(headers, "x-forwarded-host"))
        .flatten()
        .or_else(|| header_str(headers, header::HOST.as_str()))
        .or(authority)
        .map(|h| h.to_ascii_lowercase())
        .filter(|h| valid_host(h));
    RequestContext { client, https, host }
}

/// Whether the browser came over HTTPS (from the [`RequestContext`]; false if [`guard`] did not run).
#[derive(Clone, Copy, Debug)]
pub struct Https(pub bool);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Https {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Https(parts.extensions.get::<RequestContext>().is_some_and(|c| c.https)))
    }
}

/// The connection is TLS: set on every request of the HTTPS listener (see `tls::serve`).
#[derive(Clone, Copy, Debug)]
pub struct TlsConnection;

/// Must the Origin of this request be checked? Yes for a WebSocket upgrade and for state-changing methods,
/// unless the credential it carries is a bearer header or `?token=` (scripts and stock automerge-repo
/// peers, which a cross-site page cannot make a browser send on its own). `/api/login` has no credential
/// and is checked too (a cross-site page must not sign a browser in).
fn needs_origin_check(method: &Method, headers: &HeaderMap, source: Option<token::Source>) -> bool {
    let upgrade = header_str(headers, header::UPGRADE.as_str()).is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
    let state_changing = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    (upgrade || state_changing) && !matches!(source, Some(token::Source::Bearer | token::Source::Query))
}

/// The middleware in front of every route: works out the [`RequestContext`], refuses cross-origin use of
/// cookie sessions (403, JSON), and adds the security headers to every answer, refusals included.
pub async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let tls = req.extensions().get::<TlsConnection>().is_some();
    let authority = req.uri().authority().map(|a| a.as_str().to_string());
    let ctx = context(req.headers(), authority.as_deref(), peer, tls, &state.config.trust_proxy);
    let (parts, body) = req.into_parts();
    let source = token::from_parts_with_source(&parts).map(|(_, s)| s);
    let refused = if needs_origin_check(&parts.method, &parts.headers, source) {
        origin::check(&parts.headers, ctx.own_origin().as_deref(), &state.config.allowed_origins).err()
    } else {
        None
    };
    req = Request::from_parts(parts, body);
    let mut res = match refused {
        Some(why) => {
            tracing::warn!(client = ?ctx.client, path = %req.uri().path(), "{why}");
            ApiError::forbidden(why).into_response()
        }
        None => {
            req.extensions_mut().insert(ctx.clone());
            next.run(req).await
        }
    };
    headers::add(res.headers_mut(), &ctx);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEER: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn http2_requests_take_the_host_from_the_authority() {
        let ctx = context(&HeaderMap::new(), Some("crm.test:8443"), PEER, true, &[]);
        assert_eq!(ctx.own_origin().as_deref(), Some("https://crm.test:8443"));
        let ctx = context(&headers(&[("host", "CRM.local")]), None, PEER, false, &[]);
        assert_eq!(ctx.own_origin().as_deref(), Some("http://crm.local"));
    }

    #[test]
    fn forwarded_headers_count_from_trusted_peers_only() {
        let h = headers(&[
            ("host", "127.0.0.1:8080"),
            ("x-forwarded-for", "6.6.6.6, 203.0.113.9"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "crm.example.com"),
        ]);
        let untrusted = context(&h, None, PEER, false, &[]);
        assert_eq!((untrusted.client, untrusted.https), (PEER, false));
        assert_eq!(untrusted.own_origin().as_deref(), Some("http://127.0.0.1:8080"));
        let trusted = context(&h, None, PEER, false, &[PEER.unwrap()]);
        assert_eq!(trusted.client, Some("203.0.113.9".parse().unwrap()));
        assert!(trusted.https);
        assert_eq!(trusted.own_origin().as_deref(), Some("https://crm.example.com"));
        // A host that could smuggle text into the CSP header is dropped.
        let odd = context(&headers(&[("host", "a.example; script-src *")]), None, PEER, false, &[]);
        assert_eq!(odd.host, None);
    }

    #[test]
    fn only_cookie_or_credential_less_changes_and_upgrades_are_checked() {
        let ws = headers(&[("upgrade", "websocket")]);
        assert!(needs_origin_check(&Method::GET, &ws, Some(token::Source::Cookie)));
        assert!(!needs_origin_check(&Method::GET, &ws, Some(token::Source::Query)));
        assert!(needs_origin_check(&Method::POST, &HeaderMap::new(), None));
        assert!(!needs_origin_check(&Method::POST, &HeaderMap::new(), Some(token::Source::Bearer)));
        assert!(!needs_origin_check(&Method::GET, &HeaderMap::new(), Some(token::Source::Cookie)));
    }
}
