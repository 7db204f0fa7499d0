//! Session tokens: 32 random bytes shown to the client once (hex); the store keeps only their SHA-256.

use axum::http::{header, request::Parts};
use sha2::{Digest, Sha256};

use crate::accounts::SessionId;

/// The session cookie's name.
pub const COOKIE: &str = "crm_session";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh token and the id under which its session is stored.
pub fn new_token() -> (String, SessionId) {
    let bytes: [u8; 32] = rand::random();
    let token = hex(&bytes);
    let id = session_id(&token);
    (token, id)
}

/// The stored id of a token's session.
pub fn session_id(token: &str) -> SessionId {
    SessionId(hex(&Sha256::digest(token.as_bytes())))
}

/// Where a request's token came from. The Origin check applies to cookies only: a cross-site page can make
/// a browser send its cookie, never a bearer header or a token it does not know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Bearer,
    Cookie,
    Query,
}

/// The token a request carries: `Authorization: Bearer`, then the `crm_session` cookie, then `?token=`.
pub fn from_parts(parts: &Parts) -> Option<String> {
    from_parts_with_source(parts).map(|(t, _)| t)
}

/// [`from_parts`] and where the token was found (the same order, so the Origin check sees the credential
/// that is actually used).
pub fn from_parts_with_source(parts: &Parts) -> Option<(String, Source)> {
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| (t.trim().to_string(), Source::Bearer));
    let cookie = || {
        parts.headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
            v.split(';')
                .filter_map(|kv| kv.trim().split_once('='))
                .find(|(k, _)| *k == COOKIE)
                .map(|(_, v)| (v.to_string(), Source::Cookie))
        })
    };
    let query = || {
        parts.uri.query().and_then(|q| {
            q.split('&')
                .filter_map(|kv| kv.split_once('='))
                .find(|(k, _)| *k == "token")
                .map(|(_, v)| (v.to_string(), Source::Query))
        })
    };
    bearer.or_else(cookie).or_else(query).filter(|(t, _)| !t.is_empty() && t.len() <= 256)
}

/// The `Set-Cookie` value for a new session; `secure` (the browser came over HTTPS) adds `Secure` so the
/// cookie is never sent over plain HTTP.
pub fn set_cookie(token: &str, max_age_secs: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(req: Request<()>) -> Parts {
        req.into_parts().0
    }

    #[test]
    fn finds_the_token_in_each_place() {
        let p = parts(Request::get("/x").header("authorization", "Bearer abc").body(()).unwrap());
        assert_eq!(from_parts(&p).as_deref(), Some("abc"));
        let p = parts(Request::get("/x").header("cookie", "a=1; crm_session=def; b=2").body(()).unwrap());
        assert_eq!(from_parts(&p).as_deref(), Some("def"));
        let p = parts(Request::get("/sync?x=1&token=ghi").body(()).unwrap());
        assert_eq!(from_parts(&p).as_deref(), Some("ghi"));
        let p = parts(Request::get("/sync?token=").body(()).unwrap());
        assert_eq!(from_parts(&p), None);
        // A cookie wins over `?token=`, so adding a made-up `?token=` cannot dodge the Origin check.
        let p = parts(Request::get("/sync?token=x").header("cookie", "crm_session=def").body(()).unwrap());
        assert_eq!(from_parts_with_source(&p), Some(("def".into(), Source::Cookie)));
        let p = parts(Request::get("/sync?token=ghi").body(()).unwrap());
        assert_eq!(from_parts_with_source(&p), Some(("ghi".into(), Source::Query)));
    }

    #[test]
    fn tokens_are_unique_and_hashed() {
        let (t1, id1) = new_token();
        let (t2, _) = new_token();
        assert_ne!(t1, t2);
        assert_eq!(t1.len(), 64);
        assert_eq!(session_id(&t1), id1);
        assert_ne!(id1.as_str(), t1);
    }
}
