//! Accounts, sessions, the audit log and export requests: everything about people that must never travel in
//! an Automerge document (password hashes, session tokens).
//!
//! # Layout
//! - `accounts.rs`: the row types, the [`AccountStore`] trait and the async [`Accounts`] handle.
//! - `accounts/memory.rs`: an in-memory store (unit tests).
//! - `accounts/sqlite.rs`: the SQLite store (`<data>/crm.sqlite3`, WAL, embedded migrations).

mod memory;
mod sqlite;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::{fmt, sync::Arc};

use app::domain::UserId;

pub use memory::MemoryAccounts;
pub use sqlite::SqliteAccounts;

/// The login side of a user (the directory document holds name, role and team).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// The user's id, which is also their login name.
    pub user: UserId,
    /// An argon2id PHC string.
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    /// The password was set by someone else (first-run setup, an admin): one-time. Until its user sets
    /// their own, the relay answers only `/api/me`, `/api/me/password` and `/api/logout`.
    pub must_change_password: bool,
}

/// A session's id: the hex SHA-256 of its token. Tokens themselves are never stored.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionId(pub String);

impl SessionId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A signed-in session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Session {
    pub id: SessionId,
    pub user: UserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The client address that logged in.
    pub address: Option<String>,
}

/// An audit entry about to be appended.
#[derive(Clone, Debug, PartialEq)]
pub struct NewAuditEntry {
    pub at: DateTime<Utc>,
    pub actor: Option<UserId>,
    pub action: String,
    pub target: Option<String>,
    pub detail: serde_json::Value,
    pub address: Option<String>,
}

/// A stored audit entry. Ids grow strictly; entries are never changed or removed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: Option<UserId>,
    pub action: String,
    pub target: Option<String>,
    pub detail: serde_json::Value,
    pub address: Option<String>,
}

/// Which audit entries to read, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only entries with an id below this (paging backwards).
    pub before: Option<i64>,
    pub actor: Option<UserId>,
    pub action: Option<String>,
    /// Only entries about this target (a user id, a record's document id, a team id).
    pub target: Option<String>,
    /// Only entries at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Only entries before this instant.
    pub until: Option<DateTime<Utc>>,
    pub limit: u32,
}

pub use app::rest::{ExportRequest, ExportStatus};

/// What can go wrong in the account store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A row with this key exists already.
    #[error("{0} already exists")]
    Duplicate(String),
    /// No row with this key.
    #[error("{0} not found")]
    NotFound(String),
    /// A stored value that cannot be read back (`what` names the column).
    #[error("corrupt value in {what}: {reason}")]
    Corrupt { what: &'static str, reason: String },
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Storage of accounts, sessions, the audit log and export requests. Calls block (SQLite): use them through
/// [`Accounts`], which runs them on the blocking pool.
pub trait AccountStore: Send + Sync + 'static {
    fn insert_account(&self, account: &Account) -> StoreResult<()>;
    fn account(&self, user: &UserId) -> StoreResult<Option<Account>>;
    fn accounts(&self) -> StoreResult<Vec<Account>>;
    fn count_accounts(&self) -> StoreResult<u64>;
    /// Sets the password; `one_time` marks one set by someone else, which its user must change.
    fn set_password_hash(&self, user: &UserId, hash: &str, one_time: bool) -> StoreResult<()>;
    fn set_disabled(&self, user: &UserId, disabled: bool) -> StoreResult<()>;

    fn insert_session(&self, session: &Session) -> StoreResult<()>;
    fn session(&self, id: &SessionId) -> StoreResult<Option<Session>>;
    fn sessions_of(&self, user: &UserId) -> StoreResult<Vec<Session>>;
    /// Removes a session; `false` if there was none.
    fn delete_session(&self, id: &SessionId) -> StoreResult<bool>;
    /// Removes every session of a user; returns how many there were.
    fn delete_sessions_of(&self, user: &UserId) -> StoreResult<u64>;
    fn delete_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64>;

    /// Appends an entry and returns its id. There is no update and no delete.
    fn append_audit(&self, entry: &NewAuditEntry) -> StoreResult<i64>;
    fn audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEntry>>;

    fn insert_export(
        &self,
        requested_by: &UserId,
        kind: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<ExportRequest>;
    fn export(&self, id: i64) -> StoreResult<Option<ExportRequest>>;
    fn exports(&self) -> StoreResult<Vec<ExportRequest>>;
    /// Decides a pending request; `NotFound` if it does not exist, `Duplicate` if it was decided already.
    fn decide_export(
        &self,
        id: i64,
        status: ExportStatus,
        by: &UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<ExportRequest>;
}

/// The cloneable async handle on the account store.
#[derive(Clone)]
pub struct Accounts {
    store: Arc<dyn AccountStore>,
}

impl Accounts {
    pub fn new(store: impl AccountStore) -> Accounts {
        Accounts { store: Arc::new(store) }
    }

    pub fn memory() -> Accounts {
        Accounts::new(MemoryAccounts::default())
    }

    /// Runs `f` against the store on the blocking pool.
    pub async fn run<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&dyn AccountStore) -> StoreResult<T> + Send + 'static,
    {
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || f(store.as_ref())).await {
            Ok(r) => r,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }

    /// The store itself, for synchronous callers (start-up).
    pub fn blocking(&self) -> &dyn AccountStore {
        self.store.as_ref()
    }
}

impl From<StoreError> for crate::error::ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate(what) => crate::error::ApiError::Conflict(format!("{what} already exists")),
            StoreError::NotFound(what) => crate::error::ApiError::NotFound(format!("{what} not found")),
            other => crate::error::ApiError::Internal(anyhow::Error::new(other)),
        }
    }
}

/// Tests every store implementation must pass.
#[cfg(test)]
pub(crate) mod contract {
    use super::*;
    use chrono::Duration;

    fn account(name: &str) -> Account {
        Account {
            user: UserId::new(name),
            password_hash: format!("hash-{name}"),
            disabled: false,
            created_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            must_change_password: name == "bob",
        }
    }

    pub fn accounts_round_trip(s: &dyn AccountStore) {
        assert_eq!(s.count_accounts().unwrap(), 0);
        s.insert_account(&account("ann")).unwrap();
        assert!(matches!(s.insert_account(&account("ann")), Err(StoreError::Duplicate(_))));
        s.insert_account(&account("bob")).unwrap();
        assert_eq!(s.count_accounts().unwrap(), 2);
        assert_eq!(s.account(&UserId::new("ann")).unwrap(), Some(account("ann")));
        assert_eq!(s.account(&UserId::new("zed")).unwrap(), None);
        s.set_disabled(&UserId::new("bob"), true).unwrap();
        s.set_password_hash(&UserId::new("ann"), "new", true).unwrap();
        assert!(s.account(&UserId::new("bob")).unwrap().unwrap().disabled);
        assert_eq!(s.account(&UserId::new("ann")).unwrap().unwrap().password_hash, "new");
        assert!(s.account(&UserId::new("ann")).unwrap().unwrap().must_change_password);
        assert!(s.account(&UserId::new("bob")).unwrap().unwrap().must_change_password);
        s.set_password_hash(&UserId::new("ann"), "mine", false).unwrap();
        assert!(!s.account(&UserId::new("ann")).unwrap().unwrap().must_change_password);
        assert!(matches!(s.set_disabled(&UserId::new("zed"), true), Err(StoreError::NotFound(_))));
        let names: Vec<_> = s.accounts().unwrap().into_iter().map(|a| a.user.0).collect();
        assert_eq!(names, ["ann", "bob"]);
    }

    pub fn sessions_expire_and_revoke(s: &dyn AccountStore) {
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let mk = |id: &str, user: &str, ttl: i64| Session {
            id: SessionId(id.into()),
            user: UserId::new(user),
            created_at: now,
            expires_at: now + Duration::seconds(ttl),
            address: Some("127.0.0.1".into()),
        };
        s.insert_session(&mk("a1", "ann", 10)).unwrap();
        s.insert_session(&mk("a2", "ann", 1000)).unwrap();
        s.insert_session(&mk("b1", "bob", 1000)).unwrap();
        assert_eq!(s.session(&SessionId("a1".into())).unwrap(), Some(mk("a1", "ann", 10)));
        assert_eq!(s.sessions_of(&UserId::new("ann")).unwrap().len(), 2);
        assert_eq!(s.delete_expired_sessions(now + Duration::seconds(100)).unwrap(), 1);
        assert_eq!(s.session(&SessionId("a1".into())).unwrap(), None);
        assert!(s.delete_session(&SessionId("b1".into())).unwrap());
        assert!(!s.delete_session(&SessionId("b1".into())).unwrap());
        assert_eq!(s.delete_sessions_of(&UserId::new("ann")).unwrap(), 1);
        assert_eq!(s.session(&SessionId("a2".into())).unwrap(), None);
    }

    pub fn audit_appends_and_filters(s: &dyn AccountStore) {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let e = |actor: &str, action: &str| NewAuditEntry {
            at,
            actor: Some(UserId::new(actor)),
            action: action.into(),
            target: Some("t".into()),
            detail: serde_json::json!({"n": 1}),
            address: None,
        };
        let a = s.append_audit(&e("ann", "login_ok")).unwrap();
        let b = s.append_audit(&e("bob", "login_failed")).unwrap();
        let c = s.append_audit(&e("ann", "record_read")).unwrap();
        assert!(a < b && b < c);
        let all = s.audit(&AuditQuery { limit: 10, ..Default::default() }).unwrap();
        assert_eq!(all.iter().map(|x| x.id).collect::<Vec<_>>(), [c, b, a]);
        assert_eq!(all[0].detail, serde_json::json!({"n": 1}));
        let ann = s.audit(&AuditQuery { actor: Some(UserId::new("ann")), limit: 10, ..Default::default() }).unwrap();
        assert_eq!(ann.len(), 2);
        let fails = s.audit(&AuditQuery { action: Some("login_failed".into()), limit: 10, ..Default::default() });
        assert_eq!(fails.unwrap().len(), 1);
        let page = s.audit(&AuditQuery { before: Some(c), limit: 1, ..Default::default() }).unwrap();
        assert_eq!(page.iter().map(|x| x.id).collect::<Vec<_>>(), [b]);
        let later =
            NewAuditEntry { at: at + Duration::days(2), target: Some("deal9".into()), ..e("ann", "record_read") };
        let d = s.append_audit(&later).unwrap();
        let q = |target: Option<&str>, since, until| {
            let q = AuditQuery { target: target.map(String::from), since, until, limit: 10, ..Default::default() };
            s.audit(&q).unwrap().into_iter().map(|x| x.id).collect::<Vec<_>>()
        };
        assert_eq!(q(Some("deal9"), None, None), [d]);
        assert_eq!(q(None, Some(at + Duration::days(1)), None), [d]);
        assert_eq!(q(None, None, Some(at + Duration::days(1))), [c, b, a]);
        assert_eq!(q(None, Some(at), Some(at + Duration::seconds(1))), [c, b, a]);
    }

    pub fn exports_are_decided_once(s: &dyn AccountStore) {
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let r = s.insert_export(&UserId::new("rep1"), "leads", "campaign", now).unwrap();
        assert_eq!(r.status, ExportStatus::Pending);
        let d = s.decide_export(r.id, ExportStatus::Approved, &UserId::new("manager"), now).unwrap();
        assert_eq!(d.status, ExportStatus::Approved);
        assert_eq!(d.decided_by, Some(UserId::new("manager")));
        assert!(matches!(
            s.decide_export(r.id, ExportStatus::Rejected, &UserId::new("manager"), now),
            Err(StoreError::Duplicate(_))
        ));
        assert!(matches!(
            s.decide_export(999, ExportStatus::Rejected, &UserId::new("manager"), now),
            Err(StoreError::NotFound(_))
        ));
        assert_eq!(s.exports().unwrap().len(), 1);
        assert_eq!(s.export(r.id).unwrap(), Some(d));
    }
}
