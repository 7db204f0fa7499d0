//! Which documents to sync and how to greet each: the index and the directory at once, everything else
//! queued behind the session's [`RequestWindow`](crate::sync::RequestWindow) in record order (a record's
//! main document, then its companions, so they arrive together), greeted as answers free slots.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use automerge::AutoCommit;

use super::{send, update_status};
use crate::domain::DocId;
use crate::store::{heads_from_hex, Core, DocMeta, IndexEntry, Storage as _, StoreError};
use crate::sync::Greeting;

/// Whether a stored document can be greeted without loading it: its stored heads are the shared heads.
pub(super) fn cheap_heads(meta: Option<&DocMeta>) -> Option<Vec<automerge::ChangeHash>> {
    let meta = meta?;
    let state = automerge::sync::State::decode(meta.sync_state.as_deref()?).ok()?;
    let mut heads = heads_from_hex(&meta.heads);
    let mut shared = state.shared_heads;
    heads.sort();
    shared.sort();
    (!heads.is_empty() && heads == shared).then_some(heads)
}

/// How to greet a document, from its stored metadata (`None`: not on this device).
pub(super) fn greeting_for(meta: Option<&DocMeta>) -> Greeting {
    match meta {
        None => Greeting::Fresh,
        Some(m) => match cheap_heads(Some(m)) {
            Some(heads) => Greeting::Unloaded(heads),
            None => Greeting::Load,
        },
    }
}

/// Orders documents record by record, each record's main document before its companions (the relay
/// refuses a companion of a record it does not have yet, and a record's view is built once when both
/// arrive together).
pub(super) fn record_order(ids: &mut [DocId], index: &BTreeMap<DocId, IndexEntry>, metas: &HashMap<DocId, DocMeta>) {
    let key = |id: &DocId| -> (DocId, u8) {
        let entry = index.get(id);
        let kind = entry.map(|e| e.kind.as_ref()).or_else(|| metas.get(id).and_then(|m| m.kind.as_deref()));
        let companion = kind.is_some_and(|k| matches!(k, "money" | "pii" | "service"));
        let record = entry.map(|e| e.record.clone()).unwrap_or_else(|| id.clone());
        (record, u8::from(companion))
    };
    ids.sort_by_cached_key(key);
}

/// Queues `id` to be greeted when the window has room; it counts as unsynced from now on.
pub(super) fn enqueue(core: &Rc<Core>, id: &DocId, greeting: Greeting) {
    let mut net = core.net.borrow_mut();
    let Some(s) = net.session.as_mut() else { return };
    if s.is_tracked(id) || !s.window().push(id.clone(), greeting) {
        return;
    }
    net.unsynced.insert(id.clone());
}

/// Greets queued documents while the window has room.
pub(super) async fn pump(core: &Rc<Core>) -> Result<(), StoreError> {
    loop {
        let next = {
            let mut net = core.net.borrow_mut();
            let Some(s) = net.session.as_mut() else { return Ok(()) };
            let Some((id, greeting)) = s.window().take_next() else { return Ok(()) };
            if s.is_tracked(&id) {
                // Greeted meanwhile (a local edit): nothing to wait for here.
                s.window().answered(&id);
                continue;
            }
            (id, greeting)
        };
        let (id, greeting) = next;
        let sent = greet(core, &id, greeting).await;
        if !matches!(sent, Ok(true)) {
            // Nothing went out (deferred companion, no socket, failure): no answer will free the slot.
            if let Some(s) = core.net.borrow_mut().session.as_mut() {
                s.answered(&id);
            }
        }
        sent?;
    }
}

/// Starts syncing every document this device should hold: the index and the directory at once, then the
/// index's documents and local ones the relay has not seen yet, queued in record order.
pub(super) async fn begin_all(core: &Rc<Core>) -> Result<(), StoreError> {
    let rep = core.replica()?;
    let Some(session) = core.session() else { return Ok(()) };
    // The index as stored (read here, not at start-up: a large index document costs memory and time the
    // first paint does not need). Documents that left it while we were away are deleted now.
    let diff = rep.apply_index(&session.index_doc).await?;
    core.publish_remote(diff.touched_records);
    if !diff.removed.is_empty() {
        core.maybe_repack(0); // as in `receive::on_doc_changed`: what left must not linger in packed views
    }
    let metas: HashMap<DocId, DocMeta> = rep.storage().all_meta().await?.into_iter().collect();
    for id in [&session.index_doc, &session.directory_doc] {
        greet(core, id, greeting_for(metas.get(id))).await?;
    }
    let index = rep.index();
    let special: BTreeSet<&DocId> = [&session.index_doc, &session.directory_doc].into_iter().collect();
    let ids: BTreeSet<DocId> = index.keys().chain(metas.keys()).filter(|id| !special.contains(id)).cloned().collect();
    let mut ids: Vec<DocId> = ids.into_iter().collect();
    record_order(&mut ids, &index, &metas);
    for id in ids {
        enqueue(core, &id, greeting_for(metas.get(&id)));
    }
    update_status(core);
    Ok(())
}

/// Greets one document (`greeting` as decided when it was queued, re-checked against what is loaded and
/// stored now). True when a frame went out.
pub(super) async fn greet(core: &Rc<Core>, id: &DocId, greeting: Greeting) -> Result<bool, StoreError> {
    let rep = core.replica()?;
    let loaded = rep.docs().is_loaded(id);
    let msg = match greeting {
        Greeting::Unloaded(heads) if !loaded => {
            core.net.borrow_mut().session.as_mut().and_then(|s| s.begin_unloaded(id, heads))
        }
        Greeting::Fresh if !loaded && !rep.docs().maybe_stored(id) => fresh(core, id),
        _ if rep.docs().load(id).await? => {
            if defer_companion(core, id) {
                return Ok(false);
            }
            let stored = rep.docs().meta(id).and_then(|m| m.sync_state);
            rep.docs()
                .write(id, |doc| {
                    core.net.borrow_mut().session.as_mut().and_then(|s| s.begin_loaded(id, doc, stored.as_deref()))
                })
                .flatten()
        }
        _ => fresh(core, id),
    };
    let Some(msg) = msg else { return Ok(false) };
    core.net.borrow_mut().unsynced.insert(id.clone());
    send(core, &msg);
    Ok(true)
}

/// The first frame for a document this device does not have (its first answer needs no storage lookup).
fn fresh(core: &Rc<Core>, id: &DocId) -> Option<crate::protocol::Message> {
    let mut empty = AutoCommit::new();
    let mut net = core.net.borrow_mut();
    net.fresh.insert(id.clone());
    net.session.as_mut().and_then(|s| s.begin_loaded(id, &mut empty, None))
}

/// A local change of `id` (already persisted): send it if connected.
pub(crate) fn local_change(core: &Rc<Core>, id: &DocId) {
    let Ok(rep) = core.replica() else { return };
    let joined = core.net.borrow().session.as_ref().is_some_and(|s| s.is_joined());
    if !joined || core.net.borrow().resetting.contains_key(id) {
        // A document being rolled back: its edits meanwhile are reported when the relay's copy lands.
        return;
    }
    // Tracked, even greeted unloaded or settled: its state knows the shared heads, the change goes at once.
    let tracked = core.net.borrow().session.as_ref().is_some_and(|s| s.is_tracked(id));
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

/// Whether `id` is a companion whose record is not yet on the relay; if so it waits (counted as pending)
/// and starts syncing once the record is in sync.
pub(super) fn defer_companion(core: &Rc<Core>, id: &DocId) -> bool {
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
