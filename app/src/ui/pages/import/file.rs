//! Reading the file a person picked (`<input type=file>`) as text, in the browser. File and Blob are
//! reached through `js_sys::Reflect` (the web-sys features for them are not enabled in this crate).

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The largest file read (the relay takes 8 MiB).
pub const MAX_BYTES: f64 = 8.0 * 1024.0 * 1024.0;

/// Why a picked file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("no file chosen")]
    None,
    #[error("the file is larger than 8 MiB; split it")]
    TooBig,
    #[error("the file could not be read: {0}")]
    Read(String),
}

fn js(e: JsValue) -> FileError {
    FileError::Read(e.as_string().unwrap_or_else(|| format!("{e:?}")))
}

/// The first file of a file input's change event: its name and text.
pub async fn read_first(ev: &leptos::ev::Event) -> Result<(String, String), FileError> {
    let input = ev.target().ok_or(FileError::None)?;
    let files = js_sys::Reflect::get(&input, &"files".into()).map_err(js)?;
    if files.is_null() || files.is_undefined() {
        return Err(FileError::None);
    }
    let file = js_sys::Reflect::get(&files, &JsValue::from(0)).map_err(js)?;
    if file.is_undefined() {
        return Err(FileError::None);
    }
    let name = js_sys::Reflect::get(&file, &"name".into()).map_err(js)?.as_string().unwrap_or_default();
    let size = js_sys::Reflect::get(&file, &"size".into()).map_err(js)?.as_f64().unwrap_or(0.0);
    if size > MAX_BYTES {
        return Err(FileError::TooBig);
    }
    let text: js_sys::Function = js_sys::Reflect::get(&file, &"text".into()).map_err(js)?.dyn_into().map_err(js)?;
    let promise: js_sys::Promise = text.call0(&file).map_err(js)?.dyn_into().map_err(js)?;
    let text = JsFuture::from(promise).await.map_err(js)?.as_string().unwrap_or_default();
    Ok((name, text))
}
