//! The relay's provenance of records (who sent each change, when it arrived), kept in memory per record for
//! computing the past on the device (`domain::history::as_of`, ARCHITECTURE.md §11).
//!
//! Asked for when a record's past is wanted and the relay is reachable, and only for rows newer than those
//! held (`?since=`); offline the cache answers, or nothing does and changes count at their own time.

use std::cell::RefCell;
use std::collections::HashMap;

use leptos::prelude::*;

use crate::domain::history::{provenance_map, DocProvenance, ProvenanceMap};
use crate::domain::{DocId, RecordKind, Timestamp, UserId};
use crate::ui::api;
use crate::ui::components::ctx::Ctx;
use crate::ui::pages::record::values::collection;

/// Rows that arrived within this much of the newest held are asked for again (the relay answers rows
/// strictly newer than `since`; one that arrived in the same millisecond after the last answer must not be
/// missed).
const OVERLAP_MS: i64 = 5_000;

#[derive(Default)]
struct Held {
    map: ProvenanceMap,
    newest: Option<Timestamp>,
}

thread_local! {
    // Per signed-in user and record: another user on this device may not read the same groups.
    static CACHE: RefCell<HashMap<(UserId, DocId), Held>> = RefCell::new(HashMap::new());
}

/// Which clock the past was computed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// The relay's, fresh from it.
    Relay,
    /// The relay's as last fetched (the relay is out of reach now).
    Cached,
    /// The devices' own (no provenance known): changes count at the time they were made.
    Devices,
}

/// The provenance of record `id`: fetched if the relay answers (newer rows only), else what is held.
pub async fn provenance(ctx: Ctx, id: &DocId, kind: RecordKind) -> (ProvenanceMap, Clock) {
    let Some(me) = ctx.me_id() else { return (ProvenanceMap::new(), Clock::Devices) };
    let key = (me, id.clone());
    let since = CACHE.with(|c| c.borrow().get(&key).and_then(|h| h.newest));
    let token = ctx.store.session().with_untracked(|s| s.as_ref().map(|s| s.token.clone())).unwrap_or_default();
    let mut path = format!("/api/v1/{}/{id}/provenance", collection(kind));
    if let Some(s) = since {
        path.push_str(&format!("?since={}", s.millis() - OVERLAP_MS));
    }
    let fresh = api::get::<Vec<DocProvenance>>(&token, &path).await.ok();
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        let held = c.entry(key).or_default();
        let clock = match fresh {
            Some(docs) => {
                for d in docs {
                    held.newest = d.changes.iter().map(|r| r.provenance.received_at).chain(held.newest).max();
                    held.map.extend(provenance_map(&d.changes));
                }
                Clock::Relay
            }
            None if held.map.is_empty() => Clock::Devices,
            None => Clock::Cached,
        };
        (held.map.clone(), clock)
    })
}
