//! Signing in and staying signed in offline.
//!
//! `POST /api/login` answers `{token, user, index_doc, directory_doc}` and sets the `crm_session` cookie.
//! The answer is remembered in `localStorage` (read synchronously at start-up, so the first paint already
//! knows who is signed in, with no network) and the token is used for the sync socket (`?token=`), which
//! keeps working after a browser restart drops a session cookie.

use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestCredentials, RequestInit, Response};

use crate::domain::DocId;
use crate::store::StoreError;

const KEY: &str = "crm.session";

pub use crate::rest::SessionUser;

/// A signed-in session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Bearer token for the sync socket. Not shown anywhere.
    pub token: String,
    pub user: SessionUser,
    pub index_doc: DocId,
    pub directory_doc: DocId,
    /// The password was one-time (first run, set by an admin): the relay serves nothing but
    /// `/api/me/password` until the user sets their own, so the app asks for it before starting.
    #[serde(default)]
    pub must_change_password: bool,
}

#[derive(Deserialize)]
struct ApiErrorBody {
    error: String,
    message: String,
}

fn js_err(e: JsValue) -> String {
    e.as_string().or_else(|| js_sys::JSON::stringify(&e).ok().and_then(|s| s.as_string())).unwrap_or_default()
}

async fn post_json(path: &str, body: Option<String>) -> Result<(u16, String), StoreError> {
    let window = web_sys::window().ok_or_else(|| StoreError::Offline("no window".into()))?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_credentials(RequestCredentials::SameOrigin);
    if let Some(b) = &body {
        init.set_body(&JsValue::from_str(b));
    }
    let req = Request::new_with_str_and_init(path, &init).map_err(|e| StoreError::Offline(js_err(e)))?;
    if body.is_some() {
        req.headers().set("content-type", "application/json").map_err(|e| StoreError::Offline(js_err(e)))?;
    }
    let resp = JsFuture::from(window.fetch_with_request(&req)).await.map_err(|e| StoreError::Offline(js_err(e)))?;
    let resp: Response = resp.dyn_into().map_err(|e| StoreError::Offline(js_err(e)))?;
    let text = JsFuture::from(resp.text().map_err(|e| StoreError::Offline(js_err(e)))?)
        .await
        .map_err(|e| StoreError::Offline(js_err(e)))?
        .as_string()
        .unwrap_or_default();
    Ok((resp.status(), text))
}

/// Signs in with the relay.
pub async fn login(username: &str, password: &str) -> Result<Session, StoreError> {
    let body = serde_json::json!({ "username": username, "password": password }).to_string();
    let (status, text) = post_json("/api/login", Some(body)).await?;
    if status != 200 {
        let (code, message) = match serde_json::from_str::<ApiErrorBody>(&text) {
            Ok(b) => (b.error, b.message),
            Err(_) => ("http".to_string(), format!("HTTP {status}")),
        };
        return Err(StoreError::Login { status, code, message });
    }
    let bad = |message: String| StoreError::Login { status, code: "bad_response".into(), message };
    let body: crate::rest::SessionBody =
        serde_json::from_str(&text).map_err(|e| bad(format!("unexpected sign-in answer: {e}")))?;
    Ok(Session {
        token: body.token.ok_or_else(|| bad("unexpected sign-in answer: no token".into()))?,
        user: body.user,
        index_doc: body.index_doc,
        directory_doc: body.directory_doc,
        must_change_password: body.must_change_password,
    })
}

/// Asks the relay whether `token` is still a valid session: `Ok(false)` on 401, `Err` when unreachable.
pub async fn still_valid(token: &str) -> Result<bool, StoreError> {
    let window = web_sys::window().ok_or_else(|| StoreError::Offline("no window".into()))?;
    let init = RequestInit::new();
    init.set_method("GET");
    init.set_credentials(RequestCredentials::SameOrigin);
    let req = Request::new_with_str_and_init("/api/me", &init).map_err(|e| StoreError::Offline(js_err(e)))?;
    req.headers().set("authorization", &format!("Bearer {token}")).map_err(|e| StoreError::Offline(js_err(e)))?;
    let resp = JsFuture::from(window.fetch_with_request(&req)).await.map_err(|e| StoreError::Offline(js_err(e)))?;
    let resp: Response = resp.dyn_into().map_err(|e| StoreError::Offline(js_err(e)))?;
    match resp.status() {
        401 => Ok(false),
        s if (200..300).contains(&s) => Ok(true),
        s => Err(StoreError::Offline(format!("HTTP {s}"))),
    }
}

/// Ends the session at the relay (best effort: signing out offline still forgets it locally).
pub async fn logout() {
    let _ = post_json("/api/logout", None).await;
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The remembered session, if any (synchronous: used for the first paint).
pub fn remembered() -> Option<Session> {
    let json = local_storage()?.get_item(KEY).ok()??;
    serde_json::from_str(&json).ok()
}

/// Remembers (or forgets, with `None`) the session.
pub fn remember(session: Option<&Session>) {
    let Some(ls) = local_storage() else { return };
    // A full or disabled localStorage only costs the offline start; the session still works now.
    let _ = match session.and_then(|s| serde_json::to_string(s).ok()) {
        Some(json) => ls.set_item(KEY, &json),
        None => ls.remove_item(KEY),
    };
}
