//! The browser side of sync: one WebSocket to `/sync`, reconnecting with backoff, feeding every frame
//! through one queue (so a document's frames are handled in order) into the [`SyncSession`] and the
//! replica, and publishing the results to the store's signals.

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

use super::{Backoff, PresencePayload, Refusal, SyncSession, SyncStatus, Unloaded, PRESENCE_TTL_MS};
use crate::domain::{DocId, UserId};
use crate::protocol::{self, DecodeError, ErrorMessage, Message};
use crate::store::{heads_from_hex, Core, DocMeta, Storage as _, StoreError};

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

fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    if getrandom::fill(&mut b).is_err() {
        return format!("{:x}", (js_sys::Math::random() * 1e15) as u64);
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn now_ms() -> i64 {
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
                         // Browsers keep an open WebSocket when the network goes away; close it so the UI says offline at
                         // once and the reconnect loop takes over.
        let c = core.clone();
        let offline = Closure::<dyn FnMut(JsValue)>::new(move |_| {
            let ws = c.net.borrow().ws.clone();
            if let Some(ws) = ws {
                let _ = ws.close();
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
        let _ = ws.close();
    }
    update_status(core);
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
            let _ = old.close();
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

fn send(core: &Rc<Core>, msg: &Message) {
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

/// Received `sync` frames whose documents wait to be stored together, with their heads before.
#[derive(Default)]
struct SyncBatch {
    docs: Vec<(DocId, Vec<automerge::ChangeHash>)>,
}

async fn handle_batch(core: &Rc<Core>, events: Vec<Event>) {
    let mut batch = SyncBatch::default();
    for ev in events {
        let Event::Frame(gen, bytes) = ev else {
            flush(core, &mut batch).await;
            handle(core, ev).await;
            continue;
        };
        if !current(core, gen) {
            continue;
        }
        match protocol::decode(&bytes) {
            Ok(Message::Sync(d)) | Ok(Message::Request(d)) if batchable(core, &d.document_id) => {
                if let Err(e) = on_sync_batched(core, &d.document_id, &d.data, &mut batch).await {
                    core.sigs.error(e);
                }
            }
            _ => {
                flush(core, &mut batch).await;
                handle(core, Event::Frame(gen, bytes)).await;
            }
        }
    }
    flush(core, &mut batch).await;
}

/// Plain record documents go through the batch; the index, the directory and documents being rolled back
/// are handled one by one (their effects must be in order).
fn batchable(core: &Rc<Core>, id: &DocId) -> bool {
    let special = core.session().is_some_and(|s| id == &s.index_doc || id == &s.directory_doc);
    !special && !core.net.borrow().resetting.contains_key(id)
}

/// Applies a received sync message in memory and answers it; storing waits for [`flush`].
async fn on_sync_batched(core: &Rc<Core>, id: &DocId, data: &[u8], batch: &mut SyncBatch) -> Result<(), StoreError> {
    let rep = core.replica()?;
    let unloaded = core.net.borrow().session.as_ref().is_some_and(|s| s.is_unloaded(id));
    if unloaded && !rep.docs().is_loaded(id) {
        let verdict = {
            let mut net = core.net.borrow_mut();
            let Some(s) = net.session.as_mut() else { return Ok(()) };
            s.receive_unloaded(id, data).map_err(|e| StoreError::Offline(e.to_string()))?
        };
        if verdict == Unloaded::InSync {
            return mark_synced(core, id).await;
        }
    }
    let known_new = core.net.borrow_mut().fresh.remove(id);
    if known_new {
        rep.docs().insert_fresh(id);
    } else if !rep.docs().load(id).await? {
        rep.docs().insert(id, AutoCommit::new(), None, None).await?;
    }
    if !batch.docs.iter().any(|(d, _)| d == id) {
        // Held until stored: eviction must not drop a document with unstored changes.
        rep.docs().hold(id);
        let before = rep.docs().write(id, |d| d.get_heads()).unwrap_or_default();
        batch.docs.push((id.clone(), before));
    }
    let reply = rep
        .docs()
        .write(id, |doc| {
            let mut net = core.net.borrow_mut();
            net.session.as_mut().map(|s| s.receive(id, doc, data))
        })
        .flatten()
        .transpose()
        .map_err(|e| StoreError::Offline(e.to_string()))?
        .flatten();
    if let Some(reply) = reply {
        send(core, &reply);
    }
    Ok(())
}

/// Stores the batch's documents (one transaction), settles their sync status and rebuilds their views.
async fn flush(core: &Rc<Core>, batch: &mut SyncBatch) {
    if batch.docs.is_empty() {
        return;
    }
    let docs = std::mem::take(&mut batch.docs);
    if let Err(e) = flush_docs(core, &docs).await {
        core.sigs.error(e);
    }
    if let Ok(rep) = core.replica() {
        for (id, _) in &docs {
            rep.docs().release(id);
        }
    }
}

async fn flush_docs(core: &Rc<Core>, docs: &[(DocId, Vec<automerge::ChangeHash>)]) -> Result<(), StoreError> {
    let rep = core.replica()?;
    let items: Vec<(DocId, Option<Vec<u8>>)> = {
        let net = core.net.borrow();
        docs.iter().map(|(id, _)| (id.clone(), net.session.as_ref().and_then(|s| s.state_bytes(id)))).collect()
    };
    rep.docs().persist_many(items).await?;
    let mut records = BTreeSet::new();
    for (id, before) in docs {
        let heads = rep.docs().write(id, |d| d.get_heads()).unwrap_or_default();
        let in_sync = core.net.borrow().session.as_ref().is_some_and(|s| s.in_sync(id, &heads));
        if in_sync {
            mark_synced(core, id).await?;
        } else {
            core.net.borrow_mut().unsynced.insert(id.clone());
        }
        if &heads != before {
            if let Some(record) = rep.record_of(id) {
                records.insert(record);
            }
        }
    }
    let records: Vec<DocId> = records.into_iter().collect();
    // Published at once (the batch already groups them), so "up to date" never precedes the views.
    let views = rep.refresh_views(&records).await?;
    core.publish_views(views);
    Ok(())
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

fn update_status(core: &Rc<Core>) {
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
    if core.sigs.status.get_untracked() != status {
        core.sigs.status.set(status);
        if status == SyncStatus::UpToDate {
            core.maybe_repack(crate::store::REPACK_WHEN_SYNCED);
        }
    }
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
            begin_all(core).await?;
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

/// Whether a stored document can be greeted without loading it: its stored heads are the shared heads.
fn cheap_heads(meta: Option<&DocMeta>) -> Option<Vec<automerge::ChangeHash>> {
    let meta = meta?;
    let state = automerge::sync::State::decode(meta.sync_state.as_deref()?).ok()?;
    let mut heads = heads_from_hex(&meta.heads);
    let mut shared = state.shared_heads;
    heads.sort();
    shared.sort();
    (!heads.is_empty() && heads == shared).then_some(heads)
}

/// Starts syncing every document this device should hold: the index, the directory, the index's documents
/// and local ones the relay has not seen yet (main documents before companions).
async fn begin_all(core: &Rc<Core>) -> Result<(), StoreError> {
    let rep = core.replica()?;
    let Some(session) = core.session() else { return Ok(()) };
    let metas: HashMap<DocId, DocMeta> = rep.storage().all_meta().await?.into_iter().collect();
    let index = rep.index();
    let mut ids: Vec<(u8, DocId)> = vec![(0, session.index_doc.clone()), (0, session.directory_doc.clone())];
    let is_companion = |id: &DocId| {
        let kind = index.get(id).map(|e| e.kind.clone()).or_else(|| metas.get(id).and_then(|m| m.kind.clone()));
        kind.is_some_and(|k| matches!(k.as_str(), "money" | "pii" | "service"))
    };
    let mut seen: BTreeSet<DocId> = ids.iter().map(|(_, d)| d.clone()).collect();
    for id in index.keys().chain(metas.keys()) {
        if seen.insert(id.clone()) {
            ids.push((if is_companion(id) { 2 } else { 1 }, id.clone()));
        }
    }
    ids.sort_by_key(|(rank, _)| *rank);
    for (_, id) in ids {
        begin_doc(core, &id, metas.get(&id)).await?;
    }
    Ok(())
}

async fn begin_doc(core: &Rc<Core>, id: &DocId, meta: Option<&DocMeta>) -> Result<(), StoreError> {
    let rep = core.replica()?;
    let msg = if !rep.docs().is_loaded(id) && cheap_heads(meta).is_some() {
        let heads = cheap_heads(meta).unwrap_or_default();
        core.net.borrow_mut().session.as_mut().and_then(|s| s.begin_unloaded(id, heads))
    } else if rep.docs().load(id).await? {
        if defer_companion(core, id) {
            return Ok(());
        }
        let stored = rep.docs().meta(id).and_then(|m| m.sync_state);
        rep.docs()
            .write(id, |doc| {
                core.net.borrow_mut().session.as_mut().and_then(|s| s.begin_loaded(id, doc, stored.as_deref()))
            })
            .flatten()
    } else {
        let mut empty = AutoCommit::new();
        let mut net = core.net.borrow_mut();
        // Not on this device: its first frame needs no storage lookup.
        net.fresh.insert(id.clone());
        net.session.as_mut().and_then(|s| s.begin_loaded(id, &mut empty, None))
    };
    if let Some(msg) = msg {
        core.net.borrow_mut().unsynced.insert(id.clone());
        send(core, &msg);
    }
    Ok(())
}

/// A local change of `id` (already persisted): send it if connected.
pub(crate) fn local_change(core: &Rc<Core>, id: &DocId) {
    let Ok(rep) = core.replica() else { return };
    let joined = core.net.borrow().session.as_ref().is_some_and(|s| s.is_joined());
    if !joined || core.net.borrow().resetting.contains_key(id) {
        // A document being rolled back: its edits meanwhile are reported when the relay's copy lands.
        return;
    }
    let tracked = core.net.borrow().session.as_ref().is_some_and(|s| s.is_tracked(id) && !s.is_unloaded(id));
    if !tracked && defer_companion(core, id) {
        update_status(core);
        return;
    }
    let msg = rep
        .docs()
        .write(id, |doc| {
            let mut net = core.net.borrow_mut();
            let s = net.session.as_mut()?;
            if tracked {
                s.local_change(id, doc)
            } else {
                let stored = None;
                s.begin_loaded(id, doc, stored)
            }
        })
        .flatten();
    if let Some(msg) = msg {
        core.net.borrow_mut().unsynced.insert(id.clone());
        send(core, &msg);
    }
    update_status(core);
}

async fn on_sync(core: &Rc<Core>, id: &DocId, data: &[u8]) -> Result<(), StoreError> {
    if core.net.borrow().resetting.contains_key(id) {
        return on_reset_sync(core, id, data).await;
    }
    let rep = core.replica()?;
    let unloaded = core.net.borrow().session.as_ref().is_some_and(|s| s.is_unloaded(id));
    if unloaded && !rep.docs().is_loaded(id) {
        let verdict = {
            let mut net = core.net.borrow_mut();
            let Some(s) = net.session.as_mut() else { return Ok(()) };
            s.receive_unloaded(id, data).map_err(|e| StoreError::Offline(e.to_string()))?
        };
        if verdict == Unloaded::InSync {
            mark_synced(core, id).await?;
            return Ok(());
        }
    }
    let known_new = core.net.borrow_mut().fresh.remove(id);
    if known_new || !rep.docs().load(id).await? {
        rep.docs().insert(id, AutoCommit::new(), None, None).await?;
    }
    let before = rep.docs().write(id, |d| d.get_heads());
    let reply = rep
        .docs()
        .write(id, |doc| {
            let mut net = core.net.borrow_mut();
            net.session.as_mut().map(|s| s.receive(id, doc, data))
        })
        .flatten()
        .transpose()
        .map_err(|e| StoreError::Offline(e.to_string()))?
        .flatten();
    // Answer first (the relay's copy is durable there), then store the changes with the sync state.
    if let Some(reply) = reply {
        send(core, &reply);
    }
    let state = core.net.borrow().session.as_ref().and_then(|s| s.state_bytes(id));
    rep.docs().persist_with_sync_state(id, state).await?;
    let after = rep.docs().write(id, |d| d.get_heads());
    let heads = after.clone().unwrap_or_default();
    let in_sync = core.net.borrow().session.as_ref().is_some_and(|s| s.in_sync(id, &heads));
    if in_sync {
        mark_synced(core, id).await?;
    } else {
        core.net.borrow_mut().unsynced.insert(id.clone());
    }
    if before != after {
        on_doc_changed(core, id).await?;
    }
    Ok(())
}

/// The relay's copy of a rolled-back document arriving: once it has content, it replaces ours.
async fn on_reset_sync(core: &Rc<Core>, id: &DocId, data: &[u8]) -> Result<(), StoreError> {
    let (reply, has_content) = {
        let mut net = core.net.borrow_mut();
        let Net { resetting, session, .. } = &mut *net;
        let (Some((fresh, _, _)), Some(s)) = (resetting.get_mut(id), session.as_mut()) else { return Ok(()) };
        let reply = s.receive(id, fresh, data).map_err(|e| StoreError::Offline(e.to_string()))?;
        (reply, automerge::ReadDoc::length(fresh, automerge::ROOT) > 0)
    };
    if let Some(reply) = reply {
        send(core, &reply);
    }
    if !has_content {
        return Ok(());
    }
    let Some((fresh, refusal, reported)) = core.net.borrow_mut().resetting.remove(id) else { return Ok(()) };
    let rep = core.replica()?;
    // Edits made while the relay's copy was on its way are lost with the rollback: report them too.
    let later: Vec<String> = rep.unacknowledged_edits(id).await?.into_iter().skip(reported).collect();
    if !later.is_empty() {
        core.sigs.refusals.update(|r| {
            if let Some(x) = r.iter_mut().find(|x| x.id == refusal) {
                x.edits.extend(later);
            }
        });
    }
    let published = rep.replace_doc(id, fresh).await?;
    let state = core.net.borrow().session.as_ref().and_then(|s| s.state_bytes(id));
    rep.docs().update_meta(id, |m| m.sync_state = state.clone()).await?;
    if let Some((record, view)) = published {
        core.publish_views(vec![(record, view)]);
    }
    let heads = rep.docs().write(id, |d| d.get_heads()).unwrap_or_default();
    let in_sync = core.net.borrow().session.as_ref().is_some_and(|s| s.in_sync(id, &heads));
    if in_sync {
        mark_synced(core, id).await?;
    }
    let special = core.session().is_some_and(|s| id == &s.index_doc || id == &s.directory_doc);
    if special {
        on_doc_changed(core, id).await?;
    }
    Ok(())
}

/// Whether `id` is a companion whose record is not yet on the relay; if so it waits (counted as pending)
/// and starts syncing once the record is in sync.
fn defer_companion(core: &Rc<Core>, id: &DocId) -> bool {
    let Ok(rep) = core.replica() else { return false };
    let Some(record) = rep.record_of(id) else { return false };
    let mut net = core.net.borrow_mut();
    if &record == id || !net.unsynced.contains(&record) {
        return false;
    }
    let waiting = net.deferred.entry(record).or_default();
    if !waiting.contains(id) {
        waiting.push(id.clone());
    }
    net.unsynced.insert(id.clone());
    true
}

/// The relay has exactly our copy: the document's pending edits are acknowledged, and companions waiting
/// for it start syncing.
async fn mark_synced(core: &Rc<Core>, id: &DocId) -> Result<(), StoreError> {
    let waiting = {
        let mut net = core.net.borrow_mut();
        net.unsynced.remove(id);
        net.deferred.remove(id).unwrap_or_default()
    };
    for c in waiting {
        core.net.borrow_mut().unsynced.remove(&c);
        let meta = core.replica()?.storage().meta(&c).await?;
        Box::pin(begin_doc(core, &c, meta.as_ref())).await?;
    }
    let rep = core.replica()?;
    let pending = rep.docs().meta(id).map(|m| !m.pending_edits.is_empty()).unwrap_or(false);
    if pending {
        rep.docs().update_meta(id, |m| m.pending_edits.clear()).await?;
    }
    Ok(())
}

/// A document changed through sync: apply the index, the directory, or rebuild the record's view.
async fn on_doc_changed(core: &Rc<Core>, id: &DocId) -> Result<(), StoreError> {
    let rep = core.replica()?;
    let Some(session) = core.session() else { return Ok(()) };
    if id == &session.index_doc {
        let diff = rep.apply_index(id).await?;
        for removed in &diff.removed {
            if let Some(s) = core.net.borrow_mut().session.as_mut() {
                s.forget(removed);
            }
            core.net.borrow_mut().unsynced.remove(removed);
        }
        for (record, view) in diff.touched_records {
            core.queue_view(&record, view);
        }
        for added in &diff.added {
            let tracked = core.net.borrow().session.as_ref().is_some_and(|s| s.is_tracked(added));
            if !tracked {
                let meta = rep.storage().meta(added).await?;
                begin_doc(core, added, meta.as_ref()).await?;
            }
        }
    } else if id == &session.directory_doc {
        core.sigs.directory.set(rep.directory(id).await?);
    } else if let Some(record) = rep.record_of(id) {
        match rep.refresh_view(&record).await {
            Ok(view) => core.queue_view(&record, view),
            // A companion that arrived before its record: the view is built when the record arrives.
            Err(StoreError::Corrupt { .. }) | Err(StoreError::Domain(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

async fn on_unavailable(core: &Rc<Core>, id: &DocId) -> Result<(), StoreError> {
    if let Some(s) = core.net.borrow_mut().session.as_mut() {
        s.mark_unavailable(id);
    }
    core.net.borrow_mut().unsynced.remove(id);
    let rep = core.replica()?;
    if core.net.borrow_mut().resetting.remove(id).is_some() {
        // A refused creation: the relay has no copy to go back to, so the record goes.
        let record = rep.record_of(id).unwrap_or_else(|| id.clone());
        rep.docs().delete(id).await?;
        let view = rep.refresh_view(&record).await.ok().flatten();
        core.publish_views(vec![(record, view)]);
        return Ok(());
    }
    // Nothing of it here either: its view goes.
    if !rep.docs().load(id).await? || rep.docs().read(id, |d| automerge::ReadDoc::length(d, automerge::ROOT)) == Some(0)
    {
        rep.docs().unload(id);
        if let Some(record) = rep.record_of(id).or_else(|| Some(id.clone())) {
            let view = rep.refresh_view(&record).await.ok().flatten();
            core.queue_view(&record, view);
        }
    }
    Ok(())
}

async fn on_error(core: &Rc<Core>, e: ErrorMessage) -> Result<(), StoreError> {
    let (Some(doc), Some(refused)) = (e.document_id, e.refused) else {
        core.sigs.error(format!("relay: {}", e.message));
        return Ok(());
    };
    if core.net.borrow().resetting.contains_key(&doc) {
        // Changes built on the refused one, already in flight: the rollback is under way.
        return Ok(());
    }
    let rep = core.replica()?;
    let record = rep.record_of(&doc).unwrap_or_else(|| doc.clone());
    let edits = rep.unacknowledged_edits(&doc).await?;
    let reported = edits.len();
    let id = {
        let mut net = core.net.borrow_mut();
        net.unsynced.insert(doc.clone());
        net.next_refusal += 1;
        net.next_refusal
    };
    core.sigs.refusals.update(|r| {
        r.push(Refusal {
            id,
            doc: doc.clone(),
            record: record.clone(),
            reason: refused.reason,
            path: refused.path,
            edits,
            at_ms: now_ms(),
        })
    });
    // Take the relay's copy: a `request` with a fresh sync state into a fresh document; ours stays on screen
    // until it lands (then it is replaced, see `on_reset_sync`).
    let mut fresh = AutoCommit::new();
    let msg = {
        let mut net = core.net.borrow_mut();
        net.session.as_mut().and_then(|s| {
            s.forget(&doc);
            s.begin_loaded(&doc, &mut fresh, None)
        })
    };
    core.net.borrow_mut().resetting.insert(doc.clone(), (fresh, id, reported));
    if let Some(msg) = msg {
        send(core, &msg);
    }
    Ok(())
}

fn on_ephemeral(core: &Rc<Core>, record: &DocId, peer: &str, data: &[u8]) {
    let Some(p) = PresencePayload::decode(data) else { return };
    let now = now_ms();
    core.sigs.presence.update(|m| {
        let list = m.entry(record.clone()).or_default();
        list.retain(|x| x.peer != peer && now - x.seen_ms < PRESENCE_TTL_MS);
        if p.open {
            list.push(crate::sync::Presence {
                peer: peer.to_string(),
                user: UserId::new(p.user),
                name: p.name,
                field: p.field,
                seen_ms: now,
            });
        }
    });
}

/// Tells others on `record` that we are here (or gone), and what we edit.
pub(crate) fn announce(core: &Rc<Core>, record: &DocId, open: bool, field: Option<String>) {
    if open {
        core.net.borrow_mut().mine.insert(record.clone(), field.clone());
    } else {
        core.net.borrow_mut().mine.remove(record);
    }
    let Some(session) = core.session() else { return };
    let payload = PresencePayload { user: session.user.id.0.clone(), name: session.user.name.clone(), field, open };
    let msg = core
        .net
        .borrow_mut()
        .session
        .as_mut()
        .filter(|s| s.is_joined())
        .and_then(|s| s.ephemeral(record, payload.encode()));
    if let Some(msg) = msg {
        send(core, &msg);
    }
}

/// Re-announces our open records and expires others' stale presence.
fn heartbeat(core: &Rc<Core>) {
    let mine: Vec<(DocId, Option<String>)> =
        core.net.borrow().mine.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    for (record, field) in mine {
        announce(core, &record, true, field);
    }
    let now = now_ms();
    let stale = core.sigs.presence.with_untracked(|m| m.values().flatten().any(|p| now - p.seen_ms >= PRESENCE_TTL_MS));
    if stale {
        core.sigs.presence.update(|m| {
            for list in m.values_mut() {
                list.retain(|p| now - p.seen_ms < PRESENCE_TTL_MS);
            }
            m.retain(|_, l| !l.is_empty());
        });
    }
}
