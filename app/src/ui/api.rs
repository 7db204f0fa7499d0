//! The few REST calls pages make directly (export requests, people, audit, one's password): JSON over `fetch` with the session's
//! bearer token. Everything else goes through the local store and the sync socket; these need the
//! relay, so "offline" is an error of its own that pages show as such.

use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestCredentials, RequestInit, Response};

/// Why a REST call failed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// The relay could not be reached (no network, relay down).
    #[error("no connection to the server: {0}")]
    Offline(String),
    /// The relay answered with an error (`{error, message}`).
    #[error("{message} ({status} {code})")]
    Http { status: u16, code: String, message: String },
    /// The answer was not what this client expects.
    #[error("unexpected answer from the server: {0}")]
    BadResponse(String),
}

fn js_err(e: JsValue) -> String {
    e.as_string().or_else(|| js_sys::JSON::stringify(&e).ok().and_then(|s| s.as_string())).unwrap_or_default()
}

/// Sends `method path` with an optional JSON body; returns the status and body text of a 2xx answer.
async fn send(token: &str, method: &str, path: &str, body: Option<String>) -> Result<String, ApiError> {
    let window = web_sys::window().ok_or_else(|| ApiError::Offline("no window".into()))?;
    let init = RequestInit::new();
    init.set_method(method);
    init.set_credentials(RequestCredentials::SameOrigin);
    if let Some(b) = &body {
        init.set_body(&JsValue::from_str(b));
    }
    let req = Request::new_with_str_and_init(path, &init).map_err(|e| ApiError::BadResponse(js_err(e)))?;
    let headers = req.headers();
    headers.set("authorization", &format!("Bearer {token}")).map_err(|e| ApiError::BadResponse(js_err(e)))?;
    if body.is_some() {
        headers.set("content-type", "application/json").map_err(|e| ApiError::BadResponse(js_err(e)))?;
    }
    let resp = JsFuture::from(window.fetch_with_request(&req)).await.map_err(|e| ApiError::Offline(js_err(e)))?;
    let resp: Response = resp.dyn_into().map_err(|e| ApiError::BadResponse(js_err(e)))?;
    let text = JsFuture::from(resp.text().map_err(|e| ApiError::Offline(js_err(e)))?)
        .await
        .map_err(|e| ApiError::Offline(js_err(e)))?
        .as_string()
        .unwrap_or_default();
    let status = resp.status();
    if (200..300).contains(&status) {
        return Ok(text);
    }
    #[derive(serde::Deserialize)]
    struct Body {
        error: String,
        message: String,
    }
    Err(match serde_json::from_str::<Body>(&text) {
        Ok(b) => ApiError::Http { status, code: b.error, message: b.message },
        Err(_) => ApiError::Http { status, code: "http".into(), message: format!("HTTP {status}") },
    })
}

fn parse<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    serde_json::from_str(text).map_err(|e| ApiError::BadResponse(e.to_string()))
}

pub async fn get<T: DeserializeOwned>(token: &str, path: &str) -> Result<T, ApiError> {
    parse(&send(token, "GET", path, None).await?)
}

pub async fn post<T: DeserializeOwned>(
    token: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<T, ApiError> {
    parse(&send(token, "POST", path, body.map(|b| b.to_string())).await?)
}

pub async fn patch<T: DeserializeOwned>(token: &str, path: &str, body: serde_json::Value) -> Result<T, ApiError> {
    parse(&send(token, "PATCH", path, Some(body.to_string())).await?)
}

pub async fn delete<T: DeserializeOwned>(token: &str, path: &str) -> Result<T, ApiError> {
    parse(&send(token, "DELETE", path, None).await?)
}

/// `GET` answering text (a CSV download).
pub async fn get_text(token: &str, path: &str) -> Result<String, ApiError> {
    send(token, "GET", path, None).await
}

/// Escapes a query-string value.
pub fn query_value(v: &str) -> String {
    js_sys::encode_uri_component(v).as_string().unwrap_or_default()
}

/// Hands `text` to the browser as a file download named `name`.
pub fn save_file(name: &str, mime: &str, text: &str) -> Result<(), ApiError> {
    let err = |e: JsValue| ApiError::BadResponse(js_err(e));
    let window = web_sys::window().ok_or_else(|| ApiError::BadResponse("no window".into()))?;
    let document = window.document().ok_or_else(|| ApiError::BadResponse("no document".into()))?;
    // Blob and URL through `js_sys` (the web-sys features for them are not enabled in this crate).
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"type".into(), &mime.into()).map_err(err)?;
    let ctor: js_sys::Function = js_sys::Reflect::get(&window, &"Blob".into()).map_err(err)?.dyn_into().map_err(err)?;
    let blob = js_sys::Reflect::construct(&ctor, &js_sys::Array::of2(&js_sys::Array::of1(&text.into()), &options))
        .map_err(err)?;
    let url_api = js_sys::Reflect::get(&window, &"URL".into()).map_err(err)?;
    let create: js_sys::Function =
        js_sys::Reflect::get(&url_api, &"createObjectURL".into()).map_err(err)?.dyn_into().map_err(err)?;
    let href = create.call1(&url_api, &blob).map_err(err)?.as_string().unwrap_or_default();
    let a = document.create_element("a").map_err(err)?;
    a.set_attribute("href", &href).map_err(err)?;
    a.set_attribute("download", name).map_err(err)?;
    a.dyn_ref::<web_sys::HtmlElement>().ok_or_else(|| ApiError::BadResponse("not an element".into()))?.click();
    // The download has started from the URL; release it once the click has been handled.
    if let Ok(revoke) = js_sys::Reflect::get(&url_api, &"revokeObjectURL".into()) {
        if let Ok(revoke) = revoke.dyn_into::<js_sys::Function>() {
            let url_api = url_api.clone();
            let href = JsValue::from_str(&href);
            leptos::task::spawn_local(async move {
                gloo_timers::future::TimeoutFuture::new(10_000).await;
                let _ = revoke.call1(&url_api, &href);
            });
        }
    }
    Ok(())
}
