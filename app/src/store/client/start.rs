//! Start-up and sign-in: open the device's IndexedDB for the user, publish the stored views (the first
//! paint), then read what sync needs.

use std::rc::Rc;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::{Core, LOADED_CAP, USER_KEY};
use crate::domain::RecordKind;
use crate::session::Session;
use crate::store::{IdbStorage, Replica, Storage as _, StoreError};

/// Registers `/sw.js` (the app shell offline). Failure (e.g. an http origin other than localhost) only
/// costs the offline start.
pub(super) fn register_service_worker() {
    let Some(window) = web_sys::window() else { return };
    let sw = window.navigator().service_worker();
    let _ = sw.register("/sw.js");
}

/// Opens IndexedDB for `session`'s user (clearing another user's data) and publishes the stored views.
pub(super) async fn open_replica(core: &Rc<Core>, s: &Session) -> Result<(), StoreError> {
    let open = core.replica.borrow().clone();
    let same_user = match &open {
        Some(rep) => rep.storage().get_kv(USER_KEY).await?.as_deref() == Some(s.user.id.as_str()),
        None => false,
    };
    if !same_user {
        // Another user's data (or none open yet): start from what IndexedDB holds for this user only.
        core.replica.borrow_mut().take();
        let storage = IdbStorage::open().await?;
        mark("crm:idb-open");
        let stored_user = storage.get_kv(USER_KEY).await?;
        if stored_user.as_deref().is_some_and(|u| u != s.user.id.as_str()) {
            storage.clear().await?;
        }
        if stored_user.as_deref() != Some(s.user.id.as_str()) {
            storage.put_kv(USER_KEY, Some(s.user.id.as_str().to_string())).await?;
        }
        // The current screen's kind first: it paints while the other kinds are parsed.
        let first = screen_kind();
        let (rep, views) = Replica::open_first(storage, LOADED_CAP, first).await?;
        mark("crm:views-parsed");
        let pending = core.sigs.pending;
        rep.docs().on_pending(move |n| pending.set(n));
        *core.replica.borrow_mut() = Some(Rc::new(rep));
        // The directory first (names, stages, and what edits need), with the first views.
        load_directory(core, s).await?;
        core.sigs.reset_views(views);
        mark("crm:views-published");
        // The list can paint now; what follows (other kinds, thousands of keys) waits for that.
        next_paint().await;
        mark("crm:painted");
        if let Some(first) = first {
            // Lists re-render from a timer of their own (up to 300 ms while views stream in): leave the
            // main thread free until the first screen is up, then read the other kinds.
            gloo_timers::future::TimeoutFuture::new(FIRST_SCREEN_MS).await;
            next_paint().await;
            let rest = core.replica()?.read_other_views(first).await?;
            let others: Vec<RecordKind> = RecordKind::ALL.iter().copied().filter(|k| *k != first).collect();
            core.sigs.put_kinds(rest, &others);
            mark("crm:all-views-published");
            next_paint().await;
        }
        // Which documents are stored, so syncing ones this device does not have costs no storage reads.
        core.replica()?.docs().learn_stored().await?;
        core.replica()?.docs().learn_pending().await?;
        mark("crm:stored-known");
    }
    if same_user {
        load_directory(core, s).await?;
    }
    super::numbers::load(core).await?;
    Ok(())
}

async fn load_directory(core: &Rc<Core>, s: &Session) -> Result<(), StoreError> {
    match core.replica()?.directory(&s.directory_doc).await {
        Ok(d) => core.sigs.directory.set(d),
        Err(e) => core.sigs.error(e),
    }
    mark("crm:directory");
    Ok(())
}

/// How long the current screen gets to render its kind before the other kinds are read (lists
/// re-filter from a timer of up to 300 ms).
const FIRST_SCREEN_MS: u32 = 400;

/// The record kind the current route lists first (`/customers`, `/board`, …), if any.
fn screen_kind() -> Option<RecordKind> {
    let path = web_sys::window()?.location().pathname().ok()?;
    let first = path.trim_start_matches('/').split('/').next()?;
    match first {
        "board" => Some(RecordKind::Opportunity),
        _ => RecordKind::ALL.iter().copied().find(|k| k.plural() == first),
    }
}

/// Resolves after the browser has had a chance to render what the signals now say: two animation frames
/// (pages render from their own timers and effects in between), then a task.
pub(super) async fn next_paint() {
    frame_then_task().await;
    frame_then_task().await;
}

async fn frame_then_task() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let Some(w) = web_sys::window() else {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
            return;
        };
        let after_frame = wasm_bindgen::closure::Closure::once_into_js(move || {
            if let Some(w) = web_sys::window() {
                let _ = w.set_timeout_with_callback(resolve.unchecked_ref());
            }
        });
        let _ = w.request_animation_frame(after_frame.unchecked_ref());
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// A `performance.mark` (the benchmark reads them to split the start-up time). Best effort.
pub(crate) fn mark(name: &str) {
    let Ok(perf) = js_sys::Reflect::get(&js_sys::global(), &"performance".into()) else { return };
    let Ok(f) = js_sys::Reflect::get(&perf, &"mark".into()) else { return };
    if let Some(f) = f.dyn_ref::<js_sys::Function>() {
        let _ = f.call1(&perf, &name.into());
    }
}
