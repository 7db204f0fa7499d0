//! [`ClientStore`]: the Leptos context through which the UI reads (signals) and acts (async methods).
//!
//! Every action runs in this order: local Automerge change → IndexedDB (awaited) → view signal → sync.
//! When an action's future resolves `Ok`, the edit is durable on this device.
//!
//! `client/signals.rs` holds the reactive state ([`Signals`]); `client/start.rs` opening the device's
//! store at start-up and sign-in; `client/numbers.rs` the device's reserved record numbers.

mod as_of;
mod numbers;
mod signals;
mod start;

pub(crate) use signals::Signals;
use signals::{kind_index, position};
pub(crate) use start::mark;
use start::{open_replica, register_service_worker};

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::notes::{self, NotesSeen};
use super::{
    ConvertInput, Converted, CustomerPick, IdbStorage, Known, NewIds, NewNumbers, PaceAction, Replica, Storage as _,
    StoreError, Touched, ViewPace,
};
use crate::domain::records::{Companion, Record};
use crate::domain::{
    Activity, Directory, DocId, DomainError, FieldGroup, RecordKind, RecordView, StageId, Timestamp, UserId,
};
use crate::session::{self, Session};
use crate::sync::socket::{self, Net};
use crate::sync::{Presence, Refusal, SyncStatus};

/// How many documents nobody holds stay loaded (≈ 20 KB each).
const LOADED_CAP: usize = 256;
/// Repack stored views at start-up when more than this many changed since the last pack.
const REPACK_AT_START: usize = 200;
/// Repack when sync settles and more than this many changed.
pub(crate) const REPACK_WHEN_SYNCED: usize = 1000;
/// The kv key of the user whose data this device holds.
const USER_KEY: &str = "user";

/// The client's state behind the signals.
pub(crate) struct Core {
    pub sigs: Signals,
    pub replica: RefCell<Option<Rc<Replica<IdbStorage>>>>,
    pub net: RefCell<Net>,
    /// Records the UI has open (document holds and presence), with open counts.
    pub open: RefCell<HashMap<DocId, u32>>,
    /// View changes from sync waiting for a paced publication (see [`ViewPace`]).
    pub pending_views: RefCell<Option<BTreeMap<DocId, Option<RecordView>>>>,
    /// When sync's view changes are published: at once, or spaced while a bulk sync runs.
    pub pace: RefCell<ViewPace>,
    /// A repack of the stored views is running.
    pub repacking: std::cell::Cell<bool>,
    /// A repack asked for while one was running (its read of the views may predate what changed): the
    /// threshold to run again with when it ends.
    pub repack_again: std::cell::Cell<Option<usize>>,
    /// Record numbers reserved from the relay and not used yet (see `client/numbers.rs`).
    pub numbers: RefCell<crate::domain::ops::NumberPool>,
    /// A reservation of numbers is under way.
    pub numbers_busy: std::cell::Cell<bool>,
}

impl Core {
    /// Publishes views changed by sync: at once when sync is quiet (a live edit from someone else), else
    /// together with others at most every [`crate::store::pace::BUSY_GAP_MS`] (a bulk sync). A local edit
    /// in between publishes at once and drops the kept (older) view.
    pub fn publish_remote(self: &Rc<Self>, views: Vec<(DocId, Option<RecordView>)>) {
        if views.is_empty() {
            return;
        }
        let pending = self.net.borrow().unsynced_len();
        let now = js_sys::Date::now();
        let action = self.pace.borrow_mut().offer(now, pending);
        match action {
            PaceAction::Now => self.sigs.set_views(views),
            PaceAction::Join | PaceAction::After(_) => {
                self.pending_views.borrow_mut().get_or_insert_with(BTreeMap::new).extend(views);
            }
        }
        if let PaceAction::After(ms) = action {
            let core = self.clone();
            spawn_local(async move {
                gloo_timers::future::TimeoutFuture::new(ms).await;
                let views = core.pending_views.borrow_mut().take().unwrap_or_default();
                core.pace.borrow_mut().flushed(js_sys::Date::now());
                core.sigs.set_views(views.into_iter().collect());
            });
        }
    }

    /// Repacks the stored views for a fast next start when many changed since the last pack (idle work:
    /// after start-up and whenever sync settles).
    pub fn maybe_repack(self: &Rc<Self>, threshold: usize) {
        if self.repacking.replace(true) {
            // Once the running one ends (it may have read the views before this change: an erased phone
            // number must not stay in the packs until some later repack).
            let again = self.repack_again.get().map_or(threshold, |t| t.min(threshold));
            self.repack_again.set(Some(again));
            return;
        }
        let core = self.clone();
        spawn_local(async move {
            let mut threshold = threshold;
            loop {
                if let Ok(rep) = core.replica() {
                    let result = match rep.storage().unpacked_views().await {
                        Ok(n) if n > threshold => rep.storage().repack().await,
                        Ok(_) => Ok(()),
                        Err(e) => Err(e),
                    };
                    if let Err(e) = result {
                        core.sigs.error(e);
                    }
                }
                match core.repack_again.take() {
                    Some(t) => threshold = t,
                    None => break,
                }
            }
            core.repacking.set(false);
        });
    }

    /// Publishes views at once (local edits), superseding queued ones of the same records.
    pub fn publish_views(&self, views: Vec<(DocId, Option<RecordView>)>) {
        if let Some(pending) = self.pending_views.borrow_mut().as_mut() {
            for (id, _) in &views {
                pending.remove(id);
            }
        }
        self.sigs.set_views(views);
    }

    pub fn replica(&self) -> Result<Rc<Replica<IdbStorage>>, StoreError> {
        self.replica.borrow().clone().ok_or(StoreError::NotSignedIn)
    }

    pub fn session(&self) -> Option<Session> {
        self.sigs.session.get_untracked()
    }

    /// After a local change of `docs` (belonging to `record`): the view is already rebuilt; publish it and
    /// hand the documents to the sync client.
    fn after_local(self: &Rc<Self>, record: &DocId, view: Option<RecordView>, docs: &[DocId]) {
        self.publish_views(vec![(record.clone(), view)]);
        for d in docs {
            socket::local_change(self, d);
        }
    }
}

/// What a domain operation needs: the core, the replica, who acts, the directory.
type OpContext = (Rc<Core>, Rc<Replica<IdbStorage>>, UserId, Directory);

/// The client store context. Provide once with [`ClientStore::provide`], read with [`ClientStore::use_store`].
#[derive(Clone, Copy)]
pub struct ClientStore {
    core: StoredValue<Rc<Core>, LocalStorage>,
    sigs: Signals,
}

fn now() -> Timestamp {
    Timestamp::from_millis(js_sys::Date::now() as i64)
}

/// A fresh random document id.
pub fn new_doc_id() -> Result<DocId, StoreError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Storage(format!("no randomness: {e}")))?;
    Ok(DocId::from_bytes(bytes))
}

impl ClientStore {
    /// Creates the store, provides it as context, restores the remembered session (synchronously, for the
    /// first paint), then opens IndexedDB, loads the stored views and starts syncing.
    pub fn provide() -> ClientStore {
        let sigs = Signals::new();
        let core = Rc::new(Core {
            sigs,
            replica: RefCell::new(None),
            net: RefCell::new(Net::default()),
            open: RefCell::new(HashMap::new()),
            pending_views: RefCell::new(None),
            pace: RefCell::new(ViewPace::default()),
            repacking: std::cell::Cell::new(false),
            repack_again: std::cell::Cell::new(None),
            numbers: RefCell::default(),
            numbers_busy: std::cell::Cell::new(false),
        });
        let store = ClientStore { core: StoredValue::new_local(core.clone()), sigs };
        provide_context(store);
        register_service_worker();
        let remembered = session::remembered();
        sigs.session.set(remembered.clone());
        socket::install(&core);
        numbers::watch(&core);
        spawn_local(async move {
            if let Some(s) = remembered {
                if let Err(e) = open_replica(&core, &s).await {
                    sigs.error(e);
                }
                socket::start(&core);
            }
            sigs.ready.set(true);
            core.maybe_repack(REPACK_AT_START);
        });
        store
    }

    /// The store provided by an ancestor. Panics (a programming error, not user input) when none was.
    pub fn use_store() -> ClientStore {
        expect_context::<ClientStore>()
    }

    fn core(&self) -> Rc<Core> {
        self.core.with_value(Rc::clone)
    }

    // ----- reactive reads -----

    pub fn session(&self) -> Signal<Option<Session>> {
        self.sigs.session.into()
    }

    /// True once the local store has been read (lists can paint).
    pub fn ready(&self) -> Signal<bool> {
        self.sigs.ready.into()
    }

    pub fn directory(&self) -> Signal<Option<Directory>> {
        self.sigs.directory.into()
    }

    /// Every visible record of `kind`, from the materialized views.
    pub fn records(&self, kind: RecordKind) -> Signal<Vec<RecordView>> {
        self.sigs.views[kind_index(kind)].into()
    }

    /// One record's view (`None` while unknown or after deletion).
    pub fn record(&self, id: DocId) -> Signal<Option<RecordView>> {
        let views = self.sigs.views;
        Signal::derive(move || views.iter().find_map(|l| l.with(|l| position(l, &id).ok().map(|p| l[p].clone()))))
    }

    /// Bumps on every local or remote change of the record (any of its documents).
    pub fn doc_version(&self, record: DocId) -> Signal<u64> {
        let versions = self.sigs.versions;
        Signal::derive(move || versions.with(|v| v.get(&record).copied().unwrap_or(0)))
    }

    /// The record's notes as they are now (live: remote typing shows up).
    pub fn notes(&self, record: DocId) -> Signal<String> {
        let rec = self.record(record);
        Signal::derive(move || rec.with(|v| v.as_ref().map(view_notes).unwrap_or_default()))
    }

    pub fn sync_status(&self) -> Signal<SyncStatus> {
        self.sigs.status.into()
    }

    /// How many local edits are waiting for the relay (kept across reloads; offline they just wait).
    pub fn pending_changes(&self) -> Signal<usize> {
        self.sigs.pending.into()
    }

    pub fn refusals(&self) -> Signal<Vec<Refusal>> {
        self.sigs.refusals.into()
    }

    pub fn dismiss_refusal(&self, id: u64) {
        self.sigs.refusals.update(|r| r.retain(|x| x.id != id));
    }

    /// Other clients on this record.
    pub fn presence(&self, record: DocId) -> Signal<Vec<Presence>> {
        let p = self.sigs.presence;
        Signal::derive(move || p.with(|m| m.get(&record).cloned().unwrap_or_default()))
    }

    pub fn last_error(&self) -> Signal<Option<String>> {
        self.sigs.last_error.into()
    }

    pub fn clear_error(&self) {
        self.sigs.last_error.set(None);
    }

    // ----- session -----

    /// Signs in. A different user than the one whose data this device holds starts from an empty store.
    pub async fn login(self, username: String, password: String) -> Result<Session, StoreError> {
        let s = session::login(&username, &password).await?;
        self.start_session(s).await
    }

    /// Starts a session signed in elsewhere (the sign-in page, after a one-time password was replaced).
    pub async fn start_session(self, s: Session) -> Result<Session, StoreError> {
        let core = self.core();
        socket::stop(&core);
        open_replica(&core, &s).await?;
        session::remember(Some(&s));
        self.sigs.session.set(Some(s.clone()));
        socket::start(&core);
        Ok(s)
    }

    /// Signs out: ends the session at the relay and forgets this user's local data.
    pub async fn logout(self) {
        let core = self.core();
        socket::stop(&core);
        session::logout().await;
        let replica = core.replica.borrow_mut().take();
        if let Some(rep) = replica {
            if let Err(e) = rep.storage().clear().await {
                self.sigs.error(e);
            }
        }
        session::remember(None);
        self.sigs.session.set(None);
        self.sigs.directory.set(None);
        self.sigs.reset_views(Vec::new());
        self.sigs.refusals.set(Vec::new());
        self.sigs.presence.set(HashMap::new());
    }

    // ----- records -----

    /// Creates a record (its main document) and returns its id.
    pub async fn create_record<R: Record>(self, record: R) -> Result<DocId, StoreError> {
        let core = self.core();
        let rep = core.replica()?;
        let id = new_doc_id()?;
        let view = rep.create_record(&id, &record).await?;
        core.after_local(&id, Some(view), std::slice::from_ref(&id));
        Ok(id)
    }

    /// Creates the companion document of group `C::GROUP` for a record (call after `create_record`).
    pub async fn create_companion<C: Companion>(self, record: DocId, value: C) -> Result<DocId, StoreError> {
        let core = self.core();
        let rep = core.replica()?;
        let by = core.session().ok_or(StoreError::NotSignedIn)?.user.id;
        let (cid, view) = rep.create_companion(&record, &value, now(), &by).await?;
        core.after_local(&record, view, std::slice::from_ref(&cid));
        Ok(cid)
    }

    /// Runs `f` on the record's main struct (e.g. a domain operation) and saves what changed.
    /// `summary` is shown if the relay refuses it ("stage → won").
    pub async fn update_record<R: Record>(
        self,
        id: DocId,
        summary: String,
        f: impl FnOnce(&mut R) -> Result<(), DomainError>,
    ) -> Result<RecordView, StoreError> {
        let core = self.core();
        let rep = core.replica()?;
        let view = rep.update_record(&id, summary, f).await?;
        core.after_local(&id, Some(view.clone()), std::slice::from_ref(&id));
        Ok(view)
    }

    /// Runs `f` on the record's companion `C` and saves what changed.
    pub async fn update_companion<C: Companion>(
        self,
        record: DocId,
        summary: String,
        f: impl FnOnce(&mut C) -> Result<(), DomainError>,
    ) -> Result<RecordView, StoreError> {
        let core = self.core();
        let rep = core.replica()?;
        let view = rep.update_companion(&record, summary, f).await?;
        core.after_local(&record, Some(view.clone()), &[record.companion(C::GROUP)]);
        Ok(view)
    }

    /// Runs `f` on a record's main struct and its companion `C` together (`None` when this device does not
    /// hold the companion), e.g. a stage move that also sets the win probability.
    pub async fn update_with_companion<R: Record, C: Companion, T: 'static>(
        self,
        id: DocId,
        summary: String,
        f: impl FnOnce(&mut R, Option<&mut C>) -> Result<T, DomainError>,
    ) -> Result<T, StoreError> {
        let core = self.core();
        let rep = core.replica()?;
        let (out, view) = rep.update_with_companion::<R, C, T>(&id, summary, f).await?;
        core.after_local(&id, Some(view), &[id.clone(), id.companion(C::GROUP)]);
        Ok(out)
    }

    /// Runs `f` on the directory (admins only: the relay refuses anyone else's change) and saves what
    /// changed; the directory signal shows it at once.
    pub async fn update_directory(
        self,
        summary: String,
        f: impl FnOnce(&mut Directory) -> Result<(), DomainError>,
    ) -> Result<(), StoreError> {
        let core = self.core();
        let rep = core.replica()?;
        let id = core.session().ok_or(StoreError::NotSignedIn)?.directory_doc;
        let bad = |e: &dyn std::fmt::Display| DomainError::invalid("directory", e.to_string());
        let dir = rep
            .docs()
            .change(&id, summary, |doc| -> Result<Directory, StoreError> {
                let mut dir: Directory = autosurgeon::hydrate(doc).map_err(|e| bad(&e))?;
                f(&mut dir)?;
                autosurgeon::reconcile(doc, &dir).map_err(|e| bad(&e))?;
                doc.commit();
                Ok(dir)
            })
            .await?;
        self.sigs.directory.set(Some(dir));
        socket::local_change(&core, &id);
        Ok(())
    }

    fn context(&self) -> Result<OpContext, StoreError> {
        let core = self.core();
        let rep = core.replica()?;
        let by = core.session().ok_or(StoreError::NotSignedIn)?.user.id;
        let dir = self
            .sigs
            .directory
            .get_untracked()
            .ok_or_else(|| StoreError::Offline("the team directory has not been synced yet".into()))?;
        Ok((core, rep, by, dir))
    }

    /// Moves an opportunity to stage `to` (domain `ops::move_stage`).
    pub async fn move_stage(self, opp: DocId, to: StageId) -> Result<(), StoreError> {
        let (core, rep, by, dir) = self.context()?;
        let view = rep.move_stage(&opp, &to, &by, now(), &dir).await?;
        core.after_local(&opp, Some(view), &[opp.clone(), opp.companion(FieldGroup::Money)]);
        Ok(())
    }

    /// Wins a deal (needs its amount and expected close; records it in the customer's history).
    pub async fn win(self, opp: DocId) -> Result<(), StoreError> {
        let (core, rep, by, dir) = self.context()?;
        let touched = rep.win(&opp, &by, now(), &dir).await?;
        publish(&core, touched);
        Ok(())
    }

    /// Loses a deal with a reason.
    pub async fn lose(self, opp: DocId, reason: String) -> Result<(), StoreError> {
        let core = self.core();
        let rep = core.replica()?;
        let view = rep.lose(&opp, &reason, now()).await?;
        core.after_local(&opp, Some(view), &[opp.clone(), opp.companion(FieldGroup::Money)]);
        Ok(())
    }

    /// Reopens a lost or closed deal.
    pub async fn reopen(self, opp: DocId) -> Result<(), StoreError> {
        let (core, rep, _, dir) = self.context()?;
        let view = rep.reopen(&opp, now(), &dir).await?;
        core.after_local(&opp, Some(view), &[opp.clone(), opp.companion(FieldGroup::Money)]);
        Ok(())
    }

    /// Converts a lead. With [`CustomerPick::NewUnlessMatch`] and a same-named customer, nothing is created
    /// and [`Converted::Matches`] lists the candidates: ask the user, then call again with
    /// `CustomerPick::Existing(id)` or `CustomerPick::New`.
    pub async fn convert_lead(self, lead: DocId, pick: CustomerPick) -> Result<Converted, StoreError> {
        let (core, rep, by, dir) = self.context()?;
        let ids = NewIds { opportunity: new_doc_id()?, customer: new_doc_id()?, contact: new_doc_id()? };
        let mut known = Known::from_views(
            [RecordKind::Customer, RecordKind::Opportunity]
                .iter()
                .flat_map(|k| self.sigs.views[kind_index(*k)].get_untracked())
                .collect::<Vec<_>>()
                .iter(),
        );
        known.numbers = NewNumbers {
            opportunity: self.take_number(crate::domain::ops::OPPORTUNITY_PREFIX),
            customer: match pick {
                CustomerPick::Existing(_) => None,
                _ => Some(self.take_number(crate::domain::ops::CUSTOMER_PREFIX)),
            },
        };
        self.save_numbers().await?;
        let (out, touched) = rep.convert_lead(&lead, ConvertInput { pick, ids, known }, &by, now(), &dir).await?;
        publish(&core, touched);
        Ok(out)
    }

    /// Logs an activity (a new activity record, e.g. `Activity::new(..)` with `opportunity`/`customer` set).
    /// To set the next follow-up on the deal too, follow with `update_record::<Opportunity>`.
    pub async fn log_activity(self, activity: Activity) -> Result<DocId, StoreError> {
        self.create_record(activity).await
    }

    /// Edits the record's notes: delete `delete` characters at character `pos`, insert `insert`.
    pub async fn splice_notes(self, id: DocId, pos: usize, delete: usize, insert: String) -> Result<(), StoreError> {
        let core = self.core();
        let rep = core.replica()?;
        let view = rep.splice_notes(&id, pos, delete, &insert).await?;
        core.after_local(&id, Some(view), std::slice::from_ref(&id));
        Ok(())
    }

    /// Loads a record's documents and keeps them loaded until [`ClientStore::close_record`]; tells others.
    pub async fn open_record(self, id: DocId) -> Result<(), StoreError> {
        let core = self.core();
        let rep = core.replica()?;
        if !rep.docs().load(&id).await? {
            return Err(StoreError::NotFound(id));
        }
        rep.docs().hold(&id);
        for g in FieldGroup::COMPANIONS {
            let cid = id.companion(g);
            if rep.docs().load(&cid).await? {
                rep.docs().hold(&cid);
            }
        }
        *core.open.borrow_mut().entry(id.clone()).or_default() += 1;
        socket::announce(&core, &id, true, None);
        Ok(())
    }

    /// The record's notes as its loaded document has them now, with the heads they were read at (what a live
    /// notes box shows). `None` when the record is not loaded or its notes are not a text.
    pub fn notes_seen(&self, id: &DocId) -> Option<NotesSeen> {
        self.core().replica().ok()?.docs().write(id, notes::seen_now)?
    }

    /// Where character position `pos` of what a notes box showed (`seen`) is in the record's notes now.
    pub fn notes_map_pos(&self, id: &DocId, seen: &NotesSeen, pos: usize) -> Option<usize> {
        self.core().replica().ok()?.docs().read(id, |d| notes::map_pos(d, seen, pos))
    }

    /// Applies an edit a notes box made to the text it showed (`seen`) to the loaded document at once, at the
    /// characters the box showed even if others' typing has arrived since (see [`notes`]). Returns what the box
    /// shows next and where its caret goes; the change is persisted and synced right after (a failure there is
    /// reported like any other).
    pub fn splice_notes_seen(
        &self,
        id: DocId,
        seen: &NotesSeen,
        (start, deleted, inserted): (usize, usize, String),
    ) -> Result<(NotesSeen, usize), StoreError> {
        let core = self.core();
        let rep = core.replica()?;
        let out = rep
            .docs()
            .write(&id, |d| notes::splice_seen(d, seen, start, deleted, &inserted))
            .ok_or_else(|| StoreError::NotFound(id.clone()))?
            .map_err(StoreError::Storage)?;
        rep.docs().note_pending(&id, format!("notes: {inserted:?} at {start}"));
        spawn_local(async move {
            let saved = async {
                rep.docs().persist(&id).await?;
                rep.refresh_view(&id).await
            };
            match saved.await {
                Ok(view) => core.after_local(&id, view, std::slice::from_ref(&id)),
                Err(e) => core.sigs.error(e),
            }
        });
        Ok(out)
    }

    /// Lets the record's documents be dropped again.
    pub fn close_record(&self, id: DocId) {
        let core = self.core();
        let last = {
            let mut open = core.open.borrow_mut();
            match open.get_mut(&id) {
                Some(n) if *n > 1 => {
                    *n -= 1;
                    false
                }
                Some(_) => {
                    open.remove(&id);
                    true
                }
                None => return,
            }
        };
        if let Ok(rep) = core.replica() {
            rep.docs().release(&id);
            for g in FieldGroup::COMPANIONS {
                rep.docs().release(&id.companion(g));
            }
        }
        if last {
            socket::announce(&core, &id, false, None);
        }
    }

    /// Says "I am editing `field` of this record" (or nothing, with `None`) to others on it.
    pub fn set_presence(&self, record: DocId, field: Option<String>) {
        socket::announce(&self.core(), &record, true, field);
    }
}

/// Publishes the views of every record touched by `changed` documents and hands them to sync (main
/// documents are listed before companions by the callers).
fn publish(core: &Rc<Core>, touched: Touched) {
    // Later entries are newer views of the same record.
    let views: BTreeMap<DocId, Option<RecordView>> = touched.views.into_iter().collect();
    core.publish_views(views.into_iter().collect());
    for d in &touched.docs {
        socket::local_change(core, d);
    }
}

/// The notes text of any view.
pub fn view_notes(v: &RecordView) -> String {
    match v {
        RecordView::Lead(v) => v.base.notes.as_str().to_string(),
        RecordView::Opportunity(v) => v.base.notes.as_str().to_string(),
        RecordView::Customer(v) => v.base.notes.as_str().to_string(),
        RecordView::Contact(v) => v.base.notes.as_str().to_string(),
        RecordView::Activity(v) => v.base.notes.as_str().to_string(),
    }
}
