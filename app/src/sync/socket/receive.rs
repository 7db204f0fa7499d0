//! Received `sync` frames. Plain record documents are applied in memory and answered at once, then stored
//! together ([`flush`]): their views are rebuilt and shown, and chunks, sync states and views are written
//! in one storage transaction. The index, the directory and documents being rolled back go one by one.

use std::collections::BTreeSet;
use std::rc::Rc;

use automerge::AutoCommit;
use leptos::prelude::*;

use super::greet::{enqueue, greet, greeting_for, record_order};
use super::refusal::on_reset_sync;
use super::{current, handle, send, Event};
use crate::domain::DocId;
use crate::protocol::{self, Message};
use crate::store::{Core, IdbStorage, Replica, StoreError};
use crate::sync::Unloaded;

/// Received `sync` frames whose documents wait to be stored together, with their heads before.
#[derive(Default)]
struct SyncBatch {
    docs: Vec<(DocId, Vec<automerge::ChangeHash>)>,
}

pub(super) async fn handle_batch(core: &Rc<Core>, events: Vec<Event>) {
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
    receive_and_answer(core, &rep, id, data)?;
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
    let mut records = BTreeSet::new();
    let mut settled = Vec::with_capacity(docs.len());
    for (id, before) in docs {
        let heads = rep.docs().write(id, |d| d.get_heads()).unwrap_or_default();
        if &heads != before {
            if let Some(record) = rep.record_of(id) {
                records.insert(record);
            }
        }
        let in_sync = core.net.borrow().session.as_ref().is_some_and(|s| s.in_sync(id, &heads));
        settled.push((id, in_sync));
    }
    let records: Vec<DocId> = records.into_iter().collect();
    let views = rep.build_views(&records).await?;
    // Shown before stored: a received change is safe at the relay, and the stored sync state only moves
    // with the write below (a tab closed in between fetches it again).
    core.publish_remote(views.clone());
    let items: Vec<(DocId, Option<Vec<u8>>)> = {
        let net = core.net.borrow();
        docs.iter().map(|(id, _)| (id.clone(), net.session.as_ref().and_then(|s| s.state_bytes(id)))).collect()
    };
    rep.store_received(items, &views).await?;
    // Settled only once stored, so "up to date" never precedes durability.
    for (id, in_sync) in settled {
        if in_sync {
            mark_synced(core, id).await?;
        } else {
            core.net.borrow_mut().unsynced.insert(id.clone());
        }
    }
    Ok(())
}

/// Applies a sync message to the loaded document `id` and sends the session's answer, if it has one.
fn receive_and_answer(core: &Rc<Core>, rep: &Replica<IdbStorage>, id: &DocId, data: &[u8]) -> Result<(), StoreError> {
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

pub(super) async fn on_sync(core: &Rc<Core>, id: &DocId, data: &[u8]) -> Result<(), StoreError> {
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
    // Answer first (the relay's copy is durable there), then store the changes with the sync state.
    receive_and_answer(core, &rep, id, data)?;
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

/// The relay has exactly our copy: the document's pending edits are acknowledged, and companions waiting
/// for it start syncing.
pub(super) async fn mark_synced(core: &Rc<Core>, id: &DocId) -> Result<(), StoreError> {
    let waiting = {
        let mut net = core.net.borrow_mut();
        net.unsynced.remove(id);
        if let Some(s) = net.session.as_mut() {
            s.settle(id);
        }
        net.deferred.remove(id).unwrap_or_default()
    };
    for c in waiting {
        core.net.borrow_mut().unsynced.remove(&c);
        let meta = core.replica()?.docs().stored_meta(&c).await?;
        Box::pin(greet(core, &c, greeting_for(meta.as_ref()))).await?;
    }
    let rep = core.replica()?;
    let pending = rep.docs().meta(id).map(|m| !m.pending_edits.is_empty()).unwrap_or(false);
    if pending {
        rep.docs().update_meta(id, |m| m.pending_edits.clear()).await?;
    }
    Ok(())
}

/// A document changed through sync: apply the index, the directory, or rebuild the record's view.
pub(super) async fn on_doc_changed(core: &Rc<Core>, id: &DocId) -> Result<(), StoreError> {
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
        core.publish_remote(diff.touched_records);
        if !diff.removed.is_empty() {
            // Packed views still hold what left (an erased phone number, a record no longer ours): pack again
            // now rather than when enough views changed, so it does not linger on the device.
            core.maybe_repack(0);
        }
        let index = rep.index();
        let mut added = diff.added;
        record_order(&mut added, &index, &Default::default());
        for id in &added {
            let tracked = core.net.borrow().session.as_ref().is_some_and(|s| s.is_tracked(id));
            if !tracked {
                // No storage read for a document this device does not have (the usual case).
                let meta = rep.docs().stored_meta(id).await?;
                enqueue(core, id, greeting_for(meta.as_ref()));
            }
        }
    } else if id == &session.directory_doc {
        // A directory that does not read (yet) keeps the last good one: pages key their state on it (the
        // import page's column suggestions were wiped by a passing `None`).
        match rep.directory(id).await? {
            Some(dir) => core.sigs.directory.set(Some(dir)),
            None => web_sys::console::warn_1(&"the directory document did not read; keeping the last one".into()),
        }
    } else if let Some(record) = rep.record_of(id) {
        match rep.refresh_view(&record).await {
            Ok(view) => core.publish_remote(vec![(record, view)]),
            // A companion that arrived before its record: the view is built when the record arrives.
            Err(StoreError::Corrupt { .. }) | Err(StoreError::Domain(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
