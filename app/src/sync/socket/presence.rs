//! Presence over `ephemeral` frames: who else has a record open, and what they edit.

use std::rc::Rc;

use leptos::prelude::*;

use super::{now_ms, send};
use crate::domain::{DocId, UserId};
use crate::store::Core;
use crate::sync::{PresencePayload, PRESENCE_TTL_MS};

pub(super) fn on_ephemeral(core: &Rc<Core>, record: &DocId, peer: &str, data: &[u8]) {
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
pub(super) fn heartbeat(core: &Rc<Core>) {
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
