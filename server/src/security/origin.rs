//! The Origin rule for cookie sessions: a browser request that changes something (or opens `/sync`) with
//! the session cookie must come from a page of this relay or of a configured origin. Browsers always send
//! `Origin` on such requests; a request without it is not a browser's cross-site request (Fetch Metadata's
//! `Sec-Fetch-Site` is checked then, for browsers that leave `Origin` out).

use axum::http::HeaderMap;

/// `scheme://host[:port]` in lower case with the scheme's default port dropped, or `None` if it is not an
/// http(s) origin (`null`, paths, garbage).
pub fn normalize(origin: &str) -> Option<String> {
    let origin = origin.trim().to_ascii_lowercase();
    let (scheme, rest) = origin.split_once("://")?;
    let default_port = match scheme {
        "http" => ":80",
        "https" => ":443",
        _ => return None,
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) {
        return None;
    }
    let host = rest.strip_suffix(default_port).unwrap_or(rest);
    Some(format!("{scheme}://{host}"))
}

/// `Ok` if the request may go on; `Err(message)` for the 403.
pub fn check(headers: &HeaderMap, own: Option<&str>, allowed: &[String]) -> Result<(), String> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    match get("origin") {
        Some(origin) => {
            let normal = normalize(origin);
            let ok = normal
                .as_deref()
                .is_some_and(|o| own == Some(o) || allowed.iter().any(|a| normalize(a).as_deref() == Some(o)));
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "cross-origin request refused: Origin {origin} is not this relay's origin ({}) nor in \
                     --allowed-origins; sign in with a bearer token from scripts",
                    own.unwrap_or("unknown")
                ))
            }
        }
        None => match get("sec-fetch-site") {
            Some("cross-site" | "same-site") => {
                Err("cross-site request refused (Sec-Fetch-Site without an Origin)".to_string())
            }
            _ => Ok(()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn normalizes_default_ports_and_case() {
        assert_eq!(normalize("HTTPS://CRM.Local:443").as_deref(), Some("https://crm.local"));
        assert_eq!(normalize("http://127.0.0.1:8080/").as_deref(), Some("http://127.0.0.1:8080"));
        assert_eq!(normalize("https://[::1]:8443").as_deref(), Some("https://[::1]:8443"));
        assert_eq!(normalize("null"), None);
        assert_eq!(normalize("file://x"), None);
        assert_eq!(normalize("https://a.example/path"), None);
        assert_eq!(normalize("https://user@a.example"), None);
    }

    #[test]
    fn same_origin_and_configured_origins_pass_others_do_not() {
        let own = Some("https://crm.local:8443");
        let allowed = vec!["https://crm.example.com".to_string()];
        assert!(check(&headers(&[("origin", "https://crm.local:8443")]), own, &allowed).is_ok());
        assert!(check(&headers(&[("origin", "https://crm.example.com:443")]), own, &allowed).is_ok());
        let err = check(&headers(&[("origin", "https://evil.example")]), own, &allowed).unwrap_err();
        assert!(err.contains("https://evil.example"), "{err}");
        // Same host, other scheme or port: another origin.
        assert!(check(&headers(&[("origin", "http://crm.local:8443")]), own, &allowed).is_err());
        assert!(check(&headers(&[("origin", "https://crm.local")]), own, &allowed).is_err());
        assert!(check(&headers(&[("origin", "null")]), own, &allowed).is_err());
        // Unknown own origin (no Host): only the configured list.
        assert!(check(&headers(&[("origin", "https://crm.local:8443")]), None, &allowed).is_err());
    }

    #[test]
    fn without_origin_only_fetch_metadata_can_refuse() {
        assert!(check(&headers(&[]), Some("http://a"), &[]).is_ok());
        assert!(check(&headers(&[("sec-fetch-site", "same-origin")]), Some("http://a"), &[]).is_ok());
        assert!(check(&headers(&[("sec-fetch-site", "none")]), Some("http://a"), &[]).is_ok());
        assert!(check(&headers(&[("sec-fetch-site", "cross-site")]), Some("http://a"), &[]).is_err());
    }
}
