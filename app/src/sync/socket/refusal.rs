//! Refused changes (the document goes back to the relay's copy, the lost edits stay listed) and documents
//! the relay says are unavailable.

use std::rc::Rc;

use automerge::AutoCommit;
use leptos::prelude::*;

use super::receive::{mark_synced, on_doc_changed};
use super::{now_ms, send, Net};
use crate::domain::DocId;
use crate::protocol::ErrorMessage;
use crate::store::{Core, StoreError};
use crate::sync::Refusal;

/// The relay's copy of a rolled-back document arriving: once it has content, it replaces ours.
pub(super) async fn on_reset_sync(core: &Rc<Core>, id: &DocId, data: &[u8]) -> Result<(), StoreError> {
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

pub(super) async fn on_unavailable(core: &Rc<Core>, id: &DocId) -> Result<(), StoreError> {
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
            core.publish_remote(vec![(record, view)]);
        }
    }
    Ok(())
}

pub(super) async fn on_error(core: &Rc<Core>, e: ErrorMessage) -> Result<(), StoreError> {
    if let (Some(doc), Some(s)) = (e.document_id.as_ref(), core.net.borrow_mut().session.as_mut()) {
        s.answered(doc);
    }
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
