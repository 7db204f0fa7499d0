//! The browser side of sync: one WebSocket to `/sync`, reconnecting with backoff, feeding every frame
//! through one queue (so a document's frames are handled in order) into the [`SyncSession`] and the
//! replica, and publishing the results to the store's signals.
//!
//! # Layout
//! - this file: the connection (socket, reconnect loop, status) and frame dispatch.
//! - `greet`: which documents to sync and how to greet each (queued behind the request window).
//! - `receive`: received `sync` frames, stored in batches (one IndexedDB transaction per burst).
//! - `refusal`: refused changes (roll back to the relay's copy) and unavailable documents.
//! - `presence`: `ephemeral` frames.

mod greet;
mod presence;
mod receive;
mod refusal;

use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

use automerge::AutoCommit;
use futures::channel::mpsc::{unbounded, UnboundedSender};
use futures::StreamExt;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

use super::{Backoff, SyncSession, SyncStatus};
use crate::domain::DocId;
use crate::protocol::{self, DecodeError, Message};
use crate::store::{Core, StoreError};

pub(crate) use greet::local_change;
pub(crate) use presence::announce;
use presence::{heartbeat, on_ephemeral};
use receive::{handle_batch, on_sync};
use refusal::{on_error, on_unavailable};

/// At most this many queued events are handled (and their documents stored) together.
const MAX_BATCH: usize = 256;

/// How often presence is re-announced and expired.
const HEARTBEAT_MS: u32 = 10_000;

enum Event {
    Open(u64),
    Frame(u64, Vec<u8>),
    Closed(u64),
    Reconnect(u64),
}

/// The connection state kept in the store's core.
#[derive(Default)]
pub(crate) struct Net {
    /// Sync wanted (signed in).
    enabled: bool,
    /// Bumped per socket; events of older sockets are ignored.
    generation: u64,
    ws: Option<WebSocket>,
    session: Option<SyncSession>,
    /// Documents not yet known to match the relay.
    unsynced: BTreeSet<DocId>,
    attempt: u32,
    tx: Option<UnboundedSender<Event>>,
    closures: Vec<Closure<dyn FnMut(JsValue)>>,
    peer_id: String,
    next_refusal: u64,
    /// What we last said per open record (re-sent as heartbeat).
    mine: HashMap<DocId, Option<String>>,
    /// Whether the current socket ever opened (a socket refused at the upgrade never does).
    opened: bool,
    /// Documents rolled back after a refusal: the relay's copy arriving (fresh document), the refusal it
    /// belongs to and how many edits that refusal already lists.
    resetting: HashMap<DocId, (AutoCommit, u64, usize)>,
    /// Documents requested that this device does not have (their first frame skips the storage lookup).
    fresh: BTreeSet<DocId>,
    /// Companions waiting for their record's main document to reach the relay (it refuses a companion of
    /// a record it does not have yet).
    deferred: HashMap<DocId, Vec<DocId>>,
}

impl Net {
    /// How many documents are not yet known to match the relay (queued ones included).
    pub(crate) fn unsynced_len(&self) -> usize {
        self.unsynced.len()
    }
}

fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    if getrandom::fill(&mut b).is_err() {
        return format!("{:x}", (js_sys::Math::random() * 1e15) as u64);
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub(super) fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// Installs the event loop, the heartbeat and the `online` listener. Once per core.
pub(crate) fn install(core: &Rc<Core>) {
    let (tx, mut rx) = unbounded::<Event>();
    {
        let mut net = core.net.borrow_mut();
        net.tx = Some(tx.clone());
        net.peer_id = format!("crm-{}", random_hex(8));
    }
    let c = core.clone();
    spawn_local(async move {
        while let Some(first) = rx.next().await {
            // Take everything already queued: a first sync delivers thousands of frames, and storing them
            // together costs one IndexedDB transaction instead of several per document.
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(ev) => batch.push(ev),
                    Err(_) => break,
                }
            }
            handle_batch(&c, batch).await;
            // Answers free request slots: greet the next queued documents.
            if let Err(e) = greet::pump(&c).await {
                c.sigs.error(e);
            }
            update_status(&c);
        }
    });
    let c = core.clone();
    spawn_local(async move {
        loop {
            gloo_timers::future::TimeoutFuture::new(HEARTBEAT_MS).await;
            heartbeat(&c);
        }
    });
    if let Some(w) = web_sys::window() {
        let c = core.clone();
        let online = Closure::<dyn FnMut(JsValue)>::new(move |_| {
            let reconnect = {
                let mut net = c.net.borrow_mut();
                net.attempt = 0;
                net.enabled && net.ws.is_none()
            };
            if reconnect {
                connect(&c);
            }
        });
        let _ = w.add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
        online.forget(); // lives as long as the page

        // Browsers keep an open WebSocket when the network goes away, and its close handshake cannot finish
        // without a network: drop it now (a new generation, so its late events are ignored) and handle it as
        // closed, so the UI says offline at once and the reconnect loop takes over.
        let c = core.clone();
        let offline = Closure::<dyn FnMut(JsValue)>::new(move |_| {
            let (ws, gen, tx) = {
                // Never a second borrow of the socket state from an event handler: if it is busy, the
                // socket's own close event (after `close`) does the same, later.
                let Ok(mut net) = c.net.try_borrow_mut() else {
                    if let Some(ws) = c.net.try_borrow().ok().and_then(|n| n.ws.clone()) {
                        let _ = ws.close();
                    }
                    return;
                };
                let Some(ws) = net.ws.take() else { return };
                net.generation += 1;
                (ws, net.generation, net.tx.clone())
            };
            retire(&ws);
            if let Some(tx) = tx {
                let _ = tx.unbounded_send(Event::Closed(gen));
            }
        });
        let _ = w.add_event_listener_with_callback("offline", offline.as_ref().unchecked_ref());
        offline.forget();
    }
}

/// Starts syncing for the signed-in session.
pub(crate) fn start(core: &Rc<Core>) {
    core.net.borrow_mut().enabled = true;
    connect(core);
}

/// Stops syncing (sign-out, or before switching user).
pub(crate) fn stop(core: &Rc<Core>) {
    let ws = {
        let mut net = core.net.borrow_mut();
        net.enabled = false;
        net.generation += 1;
        net.session = None;
        net.unsynced.clear();
        net.deferred.clear();
        net.resetting.clear();
        net.ws.take()
    };
    if let Some(ws) = ws {
        retire(&ws);
    }
    update_status(core);
}

/// Closes a socket this client is done with, after unhooking its handlers: its closures are dropped when the
/// next socket's replace them, and a late event of the old socket (its close, after the network came back)
/// must not call a dropped closure (wasm-bindgen throws "closure invoked recursively or after being
/// dropped"). Its late events mean nothing anyway: the generation has moved on.
fn retire(ws: &WebSocket) {
    ws.set_onopen(None);
    ws.set_onmessage(None);
    ws.set_onclose(None);
    let _ = ws.close();
}

fn connect(core: &Rc<Core>) {
    let Some(session) = core.session() else { return };
    let Some(window) = web_sys::window() else { return };
    let loc = window.location();
    let scheme = if loc.protocol().ok().as_deref() == Some("https:") { "wss" } else { "ws" };
    let host = loc.host().unwrap_or_default();
    let token: String = js_sys::encode_uri_component(&session.token).into();
    let url = format!("{scheme}://{host}/sync?token={token}");
    let (gen, tx) = {
        let mut net = core.net.borrow_mut();
        if !net.enabled {
            return;
        }
        net.generation += 1;
        if let Some(old) = net.ws.take() {
            retire(&old);
        }
        net.session = None;
        (net.generation, net.tx.clone())
    };
    let Some(tx) = tx else { return };
    let ws = match WebSocket::new(&url) {
        Ok(ws) => ws,
        Err(_) => {
            let _ = tx.unbounded_send(Event::Closed(gen));
            return;
        }
    };
    ws.set_binary_type(BinaryType::Arraybuffer);
    let t = tx.clone();
    let on_open = Closure::<dyn FnMut(JsValue)>::new(move |_| {
        let _ = t.unbounded_send(Event::Open(gen));
    });
    let t = tx.clone();
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        let Ok(e) = e.dyn_into::<MessageEvent>() else { return };
        if let Ok(buf) = e.data().dyn_into::<js_sys::ArrayBuffer>() {
            let _ = t.unbounded_send(Event::Frame(gen, js_sys::Uint8Array::new(&buf).to_vec()));
        }
    });
    let t = tx;
    let on_close = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        let _ = e.dyn_into::<CloseEvent>();
        let _ = t.unbounded_send(Event::Closed(gen));
    });
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    let mut net = core.net.borrow_mut();
    net.closures = vec![on_open, on_message, on_close];
    net.ws = Some(ws);
}

pub(super) fn send(core: &Rc<Core>, msg: &Message) {
    let net = core.net.borrow();
    let Some(ws) = net.ws.as_ref() else { return };
    match protocol::encode(msg) {
        Ok(bytes) => {
            // A send on a closing socket fails; the reconnect resends from the sync state.
            let _ = ws.send_with_u8_array(&bytes);
        }
        Err(e) => core.sigs.error(e),
    }
}

fn current(core: &Rc<Core>, gen: u64) -> bool {
    core.net.borrow().generation == gen
}

async fn handle(core: &Rc<Core>, ev: Event) {
    match ev {
        Event::Open(gen) if current(core, gen) => {
            let join = {
                let mut net = core.net.borrow_mut();
                net.opened = true;
                let me = crate::protocol::PeerId::new(net.peer_id.clone());
                let s = SyncSession::new(me, random_hex(8));
                let join = s.join();
                net.session = Some(s);
                join
            };
            send(core, &join);
        }
        Event::Frame(gen, bytes) if current(core, gen) => {
            if let Err(e) = on_frame(core, &bytes).await {
                core.sigs.error(e);
            }
        }
        Event::Closed(gen) if current(core, gen) => {
            let (attempt, tx, enabled, opened) = {
                let mut net = core.net.borrow_mut();
                let opened = std::mem::take(&mut net.opened);
                net.ws = None;
                net.session = None;
                net.unsynced.clear();
                net.deferred.clear();
                net.resetting.clear();
                net.fresh.clear();
                let a = net.attempt;
                net.attempt = net.attempt.saturating_add(1);
                (a, net.tx.clone(), net.enabled, opened)
            };
            let online = web_sys::window().map(|w| w.navigator().on_line()).unwrap_or(true);
            if enabled && !opened && online && attempt >= 1 && session_ended(core).await {
                return;
            }
            if enabled {
                let delay = Backoff::default().delay_ms(attempt, js_sys::Math::random());
                spawn_local(async move {
                    gloo_timers::future::TimeoutFuture::new(delay).await;
                    if let Some(tx) = tx {
                        let _ = tx.unbounded_send(Event::Reconnect(gen));
                    }
                });
            }
        }
        Event::Reconnect(gen) if current(core, gen) => connect(core),
        _ => {}
    }
}

/// A socket that keeps failing before it opens while the network is up may mean the session ended
/// (expired, revoked, user disabled). If the relay says so, sign out of the session but keep this
/// user's local data: signing in again as the same user resumes where they were, unsynced edits included.
async fn session_ended(core: &Rc<Core>) -> bool {
    let Some(s) = core.session() else { return false };
    if crate::session::still_valid(&s.token).await != Ok(false) {
        return false;
    }
    stop(core);
    crate::session::remember(None);
    core.sigs.session.set(None);
    core.sigs.error("your session has ended: sign in again (your unsynced edits are kept)");
    true
}

pub(super) fn update_status(core: &Rc<Core>) {
    let status = {
        let net = core.net.borrow();
        match (&net.ws, &net.session) {
            (None, _) => SyncStatus::Offline,
            (Some(_), Some(s)) if s.is_joined() => {
                if net.unsynced.is_empty() {
                    SyncStatus::UpToDate
                } else {
                    SyncStatus::Syncing { pending: net.unsynced.len() }
                }
            }
            (Some(_), _) => SyncStatus::Connecting,
        }
    };
    mark_pending(&core.net.borrow().unsynced);
    if core.sigs.status.get_untracked() != status {
        core.sigs.status.set(status);
        if status == SyncStatus::UpToDate {
            core.maybe_repack(crate::store::REPACK_WHEN_SYNCED);
        }
    }
}

/// Names the documents not yet in sync (the first few) on `<html data-sync-pending>`: what a support person
/// or a test reads when the badge stays on "Syncing".
fn mark_pending(unsynced: &BTreeSet<DocId>) {
    let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) else { return };
    let ids: Vec<&str> = unsynced.iter().take(5).map(DocId::as_str).collect();
    let _ = root.set_attribute("data-sync-pending", &ids.join(" "));
}

async fn on_frame(core: &Rc<Core>, bytes: &[u8]) -> Result<(), StoreError> {
    let msg = match protocol::decode(bytes) {
        Ok(m) => m,
        Err(DecodeError::UnknownType(_)) => return Ok(()),
        Err(e) => return Err(StoreError::Offline(format!("bad frame from relay: {e}"))),
    };
    match msg {
        Message::Peer(p) => {
            {
                let mut net = core.net.borrow_mut();
                let Some(s) = net.session.as_mut() else { return Ok(()) };
                s.on_peer(&p).map_err(|e| StoreError::Offline(e.to_string()))?;
                net.attempt = 0;
            }
            greet::begin_all(core).await?;
            heartbeat(core);
        }
        Message::Sync(d) | Message::Request(d) => on_sync(core, &d.document_id, &d.data).await?,
        Message::DocUnavailable(d) => on_unavailable(core, &d.document_id).await?,
        Message::Ephemeral(e) => on_ephemeral(core, &e.document_id, &e.sender_id.0, &e.data),
        Message::Error(e) => on_error(core, e).await?,
        Message::Join(_) => {}
    }
    Ok(())
}
