//! The client's view of "who am I and what may I do here": the signed-in user, the directory, and the
//! policy (`crate::domain::access`, the same function the relay enforces) applied to a record.

use leptos::prelude::*;
use std::collections::HashMap;

use crate::domain::{access, Access, Directory, DocId, RecordKind, RecordView, Role, Scope, Timestamp, UserId};
use crate::session::SessionUser;
use crate::store::ClientStore;

/// Shared reactive facts for pages (a `Copy` context newtype).
#[derive(Clone, Copy)]
pub struct Ctx {
    pub store: ClientStore,
    /// Customer id → (maintainer, name): the policy's `customer_owner` of opportunities, contacts and
    /// activities, and the name shown on cards and rows.
    customers: Memo<HashMap<DocId, (Option<UserId>, String)>>,
    /// The last failed action of this UI (shown with the store's own errors).
    pub error: RwSignal<Option<String>>,
}

impl Ctx {
    pub fn provide(store: ClientStore) -> Ctx {
        let customers = store.records(RecordKind::Customer);
        let customers = Memo::new(move |_| {
            customers
                .with(|cs| cs.iter().map(|c| (c.id().clone(), (c.owner().cloned(), c.title().to_string()))).collect())
        });
        let ctx = Ctx { store, customers, error: RwSignal::new(None) };
        provide_context(ctx);
        ctx
    }

    pub fn use_ctx() -> Ctx {
        expect_context::<Ctx>()
    }

    /// Shows a failed action to the user.
    pub fn report(&self, e: impl std::fmt::Display) {
        self.error.set(Some(e.to_string()));
    }

    /// Runs a store action in the background and reports its error, if any.
    pub fn run<F, T, E>(&self, fut: F)
    where
        F: std::future::Future<Output = Result<T, E>> + 'static,
        E: std::fmt::Display,
    {
        let ctx = *self;
        leptos::task::spawn_local(async move {
            if let Err(e) = fut.await {
                ctx.report(e);
            }
        });
    }

    /// The signed-in user (reactive).
    pub fn me(&self) -> Option<SessionUser> {
        self.store.session().with(|s| s.as_ref().map(|s| s.user.clone()))
    }

    pub fn me_id(&self) -> Option<UserId> {
        self.store.session().with(|s| s.as_ref().map(|s| s.user.id.clone()))
    }

    pub fn directory(&self) -> Signal<Option<Directory>> {
        self.store.directory()
    }

    /// What the signed-in user may do with `view`, per field group. Without a directory (not synced yet)
    /// nothing is writable: the relay would be the judge anyway.
    pub fn access(&self, view: &RecordView) -> Access {
        let Some(me) = self.me_id() else { return Access::NONE };
        let customer_owner =
            view.customer().and_then(|c| self.customers.with(|m| m.get(c).and_then(|(o, _)| o.clone())));
        self.directory().with(|d| match d {
            Some(d) => access(&me, d, &view.meta(customer_owner)),
            None => Access::NONE,
        })
    }

    /// Does the user's role see any record of `kind` at all (hides whole pages and tabs)?
    pub fn sees_kind(&self, kind: RecordKind) -> bool {
        let Some(me) = self.me() else { return false };
        self.directory().with(|d| {
            let Some(rules) = d.as_ref().and_then(|d| d.policy.rules(me.role)) else {
                // No directory yet: fall back to the default policy's answer for this role.
                return default_sees(me.role, kind);
            };
            let rule = match kind {
                RecordKind::Lead => rules.leads,
                RecordKind::Opportunity => rules.opportunities,
                RecordKind::Customer => rules.customers,
                RecordKind::Contact => rules.contacts,
                RecordKind::Activity => rules.activities,
            };
            rule.scope != Scope::Nothing
        })
    }

    /// Subscribes the running reactive scope to the directory and the customer names (for views that
    /// build rows untracked, like the windowed list).
    pub fn track_names(&self) {
        self.directory().track();
        self.customers.track();
    }

    /// A customer's name, if it is on this device.
    pub fn customer_name(&self, id: &DocId) -> Option<String> {
        self.customers.with(|m| m.get(id).map(|(_, n)| n.clone()))
    }

    /// A customer's maintainer, if the customer is on this device (the policy's `customer_owner` of what is
    /// logged on it).
    pub fn customer_owner(&self, id: &DocId) -> Option<UserId> {
        self.customers.with(|m| m.get(id).and_then(|(o, _)| o.clone()))
    }

    /// A user's display name from the directory (their id when unknown).
    pub fn user_name(&self, id: &UserId) -> String {
        self.directory()
            .with(|d| d.as_ref().and_then(|d| d.user(id)).map(|u| u.name.clone()).unwrap_or_else(|| id.to_string()))
    }
}

fn default_sees(role: Role, kind: RecordKind) -> bool {
    crate::domain::Policy::default().rules(role).is_some_and(|r| {
        let rule = match kind {
            RecordKind::Lead => r.leads,
            RecordKind::Opportunity => r.opportunities,
            RecordKind::Customer => r.customers,
            RecordKind::Contact => r.contacts,
            RecordKind::Activity => r.activities,
        };
        rule.scope != Scope::Nothing
    })
}

/// Now, from the browser clock (the domain takes time as an argument).
pub fn now() -> Timestamp {
    Timestamp::from_millis(js_sys::Date::now() as i64)
}

/// Minutes east of UTC of the browser's time zone (for "today").
pub fn utc_offset_minutes() -> i32 {
    -(js_sys::Date::new_0().get_timezone_offset() as i32)
}

/// `YYYY-MM-DD` of an instant in the browser's time zone (for `<input type=date>`).
pub fn date_input_value(t: Timestamp) -> String {
    let local = t.millis() + i64::from(utc_offset_minutes()) * 60_000;
    Timestamp::from_millis(local).date().format("%Y-%m-%d").to_string()
}

/// Parses `<input type=date>` (local calendar day) into noon of that day, local time: far from midnight,
/// so the day survives any time-zone display.
pub fn parse_date_input(s: &str) -> Option<Timestamp> {
    let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    let local_noon = Timestamp::start_of(d).millis() + 12 * 3_600_000;
    Some(Timestamp::from_millis(local_noon - i64::from(utc_offset_minutes()) * 60_000))
}

/// `YYYY-MM-DDTHH:MM` of an instant in the browser's time zone (for `<input type=datetime-local>`).
pub fn datetime_input_value(t: Timestamp) -> String {
    let local = t.millis() + i64::from(utc_offset_minutes()) * 60_000;
    chrono::DateTime::from_timestamp_millis(local).map(|d| d.format("%Y-%m-%dT%H:%M").to_string()).unwrap_or_default()
}

/// Parses `<input type=datetime-local>` (local wall time, to the minute or second) into the instant at the
/// end of that minute (or second): "as of 09:00" includes what happened during 09:00.
pub fn parse_datetime_input(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    let (t, step) = match chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
        Ok(t) => (t, 1_000),
        Err(_) => (chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").ok()?, 60_000),
    };
    let local = t.and_utc().timestamp_millis();
    // The offset of that moment, not of now (summer time).
    let offset = -(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(local as f64)).get_timezone_offset() as i64);
    Some(Timestamp::from_millis(local - offset * 60_000 + step - 1))
}

/// Initials for an avatar ("Li Lei" → "LL", "王芳" → "王").
pub fn initials(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    match words.as_slice() {
        [] => "?".into(),
        [one] => one.chars().take(if one.is_ascii() { 2 } else { 1 }).collect::<String>().to_uppercase(),
        [first, .., last] => {
            format!("{}{}", first.chars().next().unwrap_or('?'), last.chars().next().unwrap_or('?')).to_uppercase()
        }
    }
}

/// Saves an edit of a record's main document in the background (locally at once; synced after).
pub fn save<R: crate::domain::Record + 'static>(
    ctx: Ctx,
    id: DocId,
    summary: String,
    f: impl FnOnce(&mut R) -> Result<(), crate::domain::DomainError> + 'static,
) {
    let store = ctx.store;
    ctx.run(async move { store.update_record::<R>(id, summary, f).await });
}

/// The signed-in user's access to this record, reactive.
pub fn access_of(ctx: Ctx, id: DocId) -> Memo<Access> {
    let rec = ctx.store.record(id);
    Memo::new(move |_| rec.with(|r| r.as_ref().map(|v| ctx.access(v))).unwrap_or(Access::NONE))
}
