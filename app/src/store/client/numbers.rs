//! Record numbers on this device (see `domain::ops::number`): blocks reserved from the relay, kept in
//! IndexedDB's kv so they work offline, taken synchronously when a record is built, topped up whenever the
//! socket is connected, and provisional numbers replaced once a block arrives.
//!
//! A taken number is saved (the pool written back) before the record that uses it, so a reload can never
//! hand the same number out twice.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{now, ClientStore, Core};
use crate::domain::ops::{is_provisional, provisional_number, NumberBlock, BLOCK_SIZE, PREFIXES};
use crate::domain::records::Record;
use crate::domain::{may_assign, Customer, DocId, Opportunity, RecordKind, RecordView};
use crate::store::{Storage as _, StoreError};
use crate::sync::SyncStatus;

/// The kv key of the device's unused numbers.
const NUMBERS_KEY: &str = "numbers";

fn kind_of(prefix: &str) -> RecordKind {
    if prefix == crate::domain::ops::CUSTOMER_PREFIX {
        RecordKind::Customer
    } else {
        RecordKind::Opportunity
    }
}

/// Reads the stored pool into memory (at start-up and sign-in, after the replica is open).
pub(super) async fn load(core: &Rc<Core>) -> Result<(), StoreError> {
    let stored = core.replica()?.storage().get_kv(NUMBERS_KEY).await?;
    *core.numbers.borrow_mut() = stored.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default();
    Ok(())
}

async fn save(core: &Rc<Core>) -> Result<(), StoreError> {
    let json = serde_json::to_string(&*core.numbers.borrow()).map_err(StoreError::storage)?;
    core.replica()?.storage().put_kv(NUMBERS_KEY, Some(json)).await
}

fn entropy() -> u64 {
    let mut b = [0u8; 8];
    // Without randomness the time still tells two provisional numbers of one device apart.
    if getrandom::fill(&mut b).is_err() {
        return js_sys::Date::now() as u64;
    }
    u64::from_le_bytes(b)
}

/// Tops the pool up each time the socket connects (the relay is reachable then) once the directory is
/// known (it says which kinds this user may create; on a first sign-in it arrives by sync).
pub(super) fn watch(core: &Rc<Core>) {
    let core = core.clone();
    let (status, directory) = (core.sigs.status, core.sigs.directory);
    Effect::new(move |was_ready: Option<bool>| {
        let connected = matches!(status.get(), SyncStatus::Syncing { .. } | SyncStatus::UpToDate);
        let ready = connected && directory.with(Option::is_some);
        if ready && was_ready != Some(true) {
            top_up(&core);
        }
        ready
    });
}

/// Reserves more numbers where few are left, then replaces this user's provisional numbers. Best effort:
/// offline it does nothing and is tried again on the next connection.
pub(super) fn top_up(core: &Rc<Core>) {
    if core.numbers_busy.replace(true) {
        return;
    }
    let core = core.clone();
    spawn_local(async move {
        if let Err(e) = reserve(&core).await {
            leptos::logging::log!("record numbers not reserved now: {e}");
        }
        core.numbers_busy.set(false);
    });
}

async fn reserve(core: &Rc<Core>) -> Result<(), String> {
    let (Some(s), Some(dir)) = (core.session(), core.sigs.directory.get_untracked()) else { return Ok(()) };
    let me = s.user.id.clone();
    for prefix in PREFIXES {
        let kind = kind_of(prefix);
        let wants = core.numbers.borrow().wants_more(prefix, now());
        if !wants || !may_assign(&me, &dir, kind, None, Some(&me), true) {
            continue;
        }
        let body = serde_json::json!({ "prefix": prefix, "count": BLOCK_SIZE });
        let block: NumberBlock =
            crate::ui::api::post(&s.token, "/api/v1/numbers", Some(body)).await.map_err(|e| e.to_string())?;
        core.numbers.borrow_mut().add(block);
        save(core).await.map_err(|e| e.to_string())?;
    }
    replace_provisional(core, &me).await.map_err(|e| e.to_string())
}

/// Gives this user's records that carry a provisional number a reserved one.
async fn replace_provisional(core: &Rc<Core>, me: &crate::domain::UserId) -> Result<(), StoreError> {
    let mine = |v: &RecordView| match v {
        RecordView::Customer(c) if &c.base.created_by == me && is_provisional(&c.base.number) => {
            Some((c.id.clone(), crate::domain::ops::CUSTOMER_PREFIX))
        }
        RecordView::Opportunity(o) if &o.base.created_by == me && is_provisional(&o.base.number) => {
            Some((o.id.clone(), crate::domain::ops::OPPORTUNITY_PREFIX))
        }
        _ => None,
    };
    let pending: Vec<(DocId, &str)> = [RecordKind::Customer, RecordKind::Opportunity]
        .iter()
        .flat_map(|k| core.sigs.views[super::kind_index(*k)].get_untracked())
        .filter_map(|v| mine(&v))
        .collect();
    for (id, prefix) in pending {
        let Some(number) = core.numbers.borrow_mut().take(prefix, now()) else { continue };
        save(core).await?;
        let r = match kind_of(prefix) {
            RecordKind::Customer => renumber::<Customer>(core, &id, number, |r| &mut r.number).await,
            _ => renumber::<Opportunity>(core, &id, number, |r| &mut r.number).await,
        };
        // One record that cannot be renumbered now (e.g. reassigned meanwhile) keeps its provisional number.
        if let Err(e) = r {
            leptos::logging::log!("provisional number of {id} kept: {e}");
        }
    }
    Ok(())
}

async fn renumber<R: Record>(
    core: &Rc<Core>,
    id: &DocId,
    number: String,
    field: impl FnOnce(&mut R) -> &mut String,
) -> Result<(), StoreError> {
    let summary = format!("number → {number}");
    let view = core
        .replica()?
        .update_record::<R>(id, summary, move |r| {
            *field(r) = number;
            Ok(())
        })
        .await?;
    core.after_local(id, Some(view), std::slice::from_ref(id));
    Ok(())
}

impl ClientStore {
    /// The next record number for `prefix` (`OPP`, `CUS`): a reserved one, or a provisional one when none is
    /// left (replaced once the device has a block). Call [`ClientStore::save_numbers`] before creating the
    /// record.
    pub fn take_number(&self, prefix: &str) -> String {
        let core = self.core();
        let t = now();
        let taken = core.numbers.borrow_mut().take(prefix, t);
        if core.numbers.borrow().wants_more(prefix, t) {
            top_up(&core);
        }
        taken.unwrap_or_else(|| provisional_number(prefix, t, entropy()))
    }

    /// Writes the device's unused numbers back to IndexedDB (after [`ClientStore::take_number`]).
    pub async fn save_numbers(self) -> Result<(), StoreError> {
        save(&self.core()).await
    }
}
