//! The security headers on every answer (pages, files, API, refusals).
//!
//! The CSP allows exactly what the client uses: its own scripts (`/boot.js`, the wasm-bindgen module) and
//! the wasm (`'wasm-unsafe-eval'` lets `WebAssembly.instantiateStreaming` compile it; no `eval`), its
//! stylesheet (styles set from Rust go through CSSOM, which `style-src` does not govern), its icons and
//! manifest, the service worker, and the sync socket on this very host (`ws:`/`wss:` alone would allow
//! any host).

use axum::http::{header, HeaderMap, HeaderName, HeaderValue};

use super::RequestContext;

/// The policy for a page served to `ctx`: the socket is allowed on the request's own host only, over
/// `wss:` under HTTPS.
pub fn content_security_policy(ctx: &RequestContext) -> String {
    let socket = match &ctx.host {
        Some(host) => format!(" {}://{host}", if ctx.https { "wss" } else { "ws" }),
        None => String::new(),
    };
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; connect-src 'self'{socket}; manifest-src 'self'; worker-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// A year; only sent over HTTPS (browsers ignore it over HTTP, and it must not pin a plain-HTTP relay).
const HSTS: &str = "max-age=31536000";

pub(super) fn add(h: &mut HeaderMap, ctx: &RequestContext) {
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(ctx)) {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    // For browsers older than CSP's frame-ancestors.
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin"));
    if ctx.https {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_is_scoped_to_the_requested_host() {
        let ctx = RequestContext { client: None, https: true, host: Some("crm.local:8443".into()) };
        let csp = content_security_policy(&ctx);
        assert!(csp.contains("connect-src 'self' wss://crm.local:8443;"), "{csp}");
        assert!(!csp.contains("ws:;") && !csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"), "{csp}");
        let ctx = RequestContext { client: None, https: false, host: Some("127.0.0.1:8080".into()) };
        assert!(content_security_policy(&ctx).contains("connect-src 'self' ws://127.0.0.1:8080;"));
        let mut h = HeaderMap::new();
        add(&mut h, &ctx);
        assert!(h.get(header::STRICT_TRANSPORT_SECURITY).is_none());
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    }
}
