//! The SQLite account store: its own connection and tables in `<data>/crm.sqlite3` (WAL mode; the document
//! store shares the file through its own connection). Migrations are embedded and run when it opens; they are
//! tracked in `accounts_migrations`, not `PRAGMA user_version`, which the file's other tables may use.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::{path::Path, sync::Mutex, time::Duration};

use app::domain::UserId;

use super::{
    Account, AccountStore, AuditEntry, AuditQuery, ExportRequest, ExportStatus, NewAuditEntry, Session, SessionId,
    StoreError, StoreResult,
};

/// Embedded migrations, applied in order, each once.
const MIGRATIONS: &[(i64, &str)] =
    &[(1, include_str!("migrations/0001_accounts.sql")), (2, include_str!("migrations/0002_one_time_password.sql"))];

/// Accounts in SQLite behind one mutex-guarded connection (the calls are short; they run on the blocking pool).
pub struct SqliteAccounts {
    conn: Mutex<Connection>,
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_ms(what: &'static str, v: i64) -> StoreResult<DateTime<Utc>> {
    DateTime::from_timestamp_millis(v).ok_or_else(|| StoreError::Corrupt { what, reason: format!("{v} is not a time") })
}

/// A column conversion failure inside a row mapper, carried out as a rusqlite error.
fn corrupt(idx: usize, e: StoreError) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Integer, Box::new(e))
}

fn time_col(row: &Row, idx: usize, what: &'static str) -> rusqlite::Result<DateTime<Utc>> {
    from_ms(what, row.get(idx)?).map_err(|e| corrupt(idx, e))
}

fn opt_time_col(row: &Row, idx: usize, what: &'static str) -> rusqlite::Result<Option<DateTime<Utc>>> {
    row.get::<_, Option<i64>>(idx)?.map(|v| from_ms(what, v).map_err(|e| corrupt(idx, e))).transpose()
}

fn account_row(row: &Row) -> rusqlite::Result<Account> {
    Ok(Account {
        user: UserId(row.get(0)?),
        password_hash: row.get(1)?,
        disabled: row.get(2)?,
        created_at: time_col(row, 3, "accounts.created_at")?,
        must_change_password: row.get(4)?,
    })
}

fn session_row(row: &Row) -> rusqlite::Result<Session> {
    Ok(Session {
        id: SessionId(row.get(0)?),
        user: UserId(row.get(1)?),
        created_at: time_col(row, 2, "sessions.created_at")?,
        expires_at: time_col(row, 3, "sessions.expires_at")?,
        address: row.get(4)?,
    })
}

fn audit_row(row: &Row) -> rusqlite::Result<AuditEntry> {
    let detail: String = row.get(5)?;
    let detail = serde_json::from_str(&detail)
        .map_err(|e| corrupt(5, StoreError::Corrupt { what: "audit_log.detail", reason: e.to_string() }))?;
    Ok(AuditEntry {
        id: row.get(0)?,
        at: time_col(row, 1, "audit_log.at")?,
        actor: row.get::<_, Option<String>>(2)?.map(UserId),
        action: row.get(3)?,
        target: row.get(4)?,
        detail,
        address: row.get(6)?,
    })
}

fn export_row(row: &Row) -> rusqlite::Result<ExportRequest> {
    let status: String = row.get(4)?;
    let status = ExportStatus::parse(&status).ok_or_else(|| {
        corrupt(4, StoreError::Corrupt { what: "export_requests.status", reason: format!("unknown status {status:?}") })
    })?;
    Ok(ExportRequest {
        id: row.get(0)?,
        requested_by: UserId(row.get(1)?),
        kind: row.get(2)?,
        reason: row.get(3)?,
        status,
        created_at: time_col(row, 5, "export_requests.created_at")?,
        decided_by: row.get::<_, Option<String>>(6)?.map(UserId),
        decided_at: opt_time_col(row, 7, "export_requests.decided_at")?,
    })
}

const EXPORT_COLS: &str = "id, requested_by, kind, reason, status, created_at, decided_by, decided_at";

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
        || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
}

impl SqliteAccounts {
    /// Opens (creating if needed) the database file, switches it to WAL and runs pending migrations.
    pub fn open(path: &Path) -> StoreResult<SqliteAccounts> {
        let conn = Connection::open(path)?;
        Self::init(conn)
    }

    /// A private in-memory database (tests of this module).
    pub fn open_in_memory() -> StoreResult<SqliteAccounts> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> StoreResult<SqliteAccounts> {
        // Another connection (the document store) may hold the write lock for a moment.
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // In WAL mode NORMAL is durable across application crashes; FULL adds power-loss durability.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        Self::migrate(&mut conn)?;
        Ok(SqliteAccounts { conn: Mutex::new(conn) })
    }

    fn migrate(conn: &mut Connection) -> StoreResult<()> {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS accounts_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
        )?;
        let done: i64 = tx.query_row("SELECT COALESCE(MAX(version), 0) FROM accounts_migrations", [], |r| r.get(0))?;
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > done) {
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO accounts_migrations (version, applied_at) VALUES (?1, ?2)",
                params![version, ms(Utc::now())],
            )?;
            tracing::info!(version, "applied accounts migration");
        }
        tx.commit()?;
        Ok(())
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> StoreResult<T>) -> StoreResult<T> {
        let mut guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }
}

impl AccountStore for SqliteAccounts {
    fn insert_account(&self, a: &Account) -> StoreResult<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO accounts (user_id, password_hash, disabled, created_at, must_change_password)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![a.user.as_str(), a.password_hash, a.disabled, ms(a.created_at), a.must_change_password],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Duplicate(format!("user {}", a.user))
                } else {
                    e.into()
                }
            })?;
            Ok(())
        })
    }

    fn account(&self, user: &UserId) -> StoreResult<Option<Account>> {
        self.with(|c| {
            Ok(c.query_row(
                "SELECT user_id, password_hash, disabled, created_at, must_change_password FROM accounts WHERE user_id = ?1",
                [user.as_str()],
                account_row,
            )
            .optional()?)
        })
    }

    fn accounts(&self) -> StoreResult<Vec<Account>> {
        self.with(|c| {
            let mut st = c.prepare(
                "SELECT user_id, password_hash, disabled, created_at, must_change_password FROM accounts ORDER BY user_id",
            )?;
            let rows = st.query_map([], account_row)?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn count_accounts(&self) -> StoreResult<u64> {
        self.with(|c| Ok(c.query_row("SELECT COUNT(*) FROM accounts", [], |r| r.get::<_, i64>(0))? as u64))
    }

    fn set_password_hash(&self, user: &UserId, hash: &str, one_time: bool) -> StoreResult<()> {
        self.with(|c| {
            match c.execute(
                "UPDATE accounts SET password_hash = ?2, must_change_password = ?3 WHERE user_id = ?1",
                params![user.as_str(), hash, one_time],
            )? {
                0 => Err(StoreError::NotFound(format!("user {user}"))),
                _ => Ok(()),
            }
        })
    }

    fn set_disabled(&self, user: &UserId, disabled: bool) -> StoreResult<()> {
        self.with(|c| {
            match c.execute("UPDATE accounts SET disabled = ?2 WHERE user_id = ?1", params![user.as_str(), disabled])? {
                0 => Err(StoreError::NotFound(format!("user {user}"))),
                _ => Ok(()),
            }
        })
    }

    fn insert_session(&self, s: &Session) -> StoreResult<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO sessions (id, user_id, created_at, expires_at, address) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![s.id.as_str(), s.user.as_str(), ms(s.created_at), ms(s.expires_at), s.address],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Duplicate("session".into())
                } else {
                    e.into()
                }
            })?;
            Ok(())
        })
    }

    fn session(&self, id: &SessionId) -> StoreResult<Option<Session>> {
        self.with(|c| {
            Ok(c.query_row(
                "SELECT id, user_id, created_at, expires_at, address FROM sessions WHERE id = ?1",
                [id.as_str()],
                session_row,
            )
            .optional()?)
        })
    }

    fn sessions_of(&self, user: &UserId) -> StoreResult<Vec<Session>> {
        self.with(|c| {
            let mut st = c.prepare(
                "SELECT id, user_id, created_at, expires_at, address FROM sessions WHERE user_id = ?1 ORDER BY created_at",
            )?;
            let rows = st.query_map([user.as_str()], session_row)?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn delete_session(&self, id: &SessionId) -> StoreResult<bool> {
        self.with(|c| Ok(c.execute("DELETE FROM sessions WHERE id = ?1", [id.as_str()])? > 0))
    }

    fn delete_sessions_of(&self, user: &UserId) -> StoreResult<u64> {
        self.with(|c| Ok(c.execute("DELETE FROM sessions WHERE user_id = ?1", [user.as_str()])? as u64))
    }

    fn delete_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        self.with(|c| Ok(c.execute("DELETE FROM sessions WHERE expires_at <= ?1", [ms(now)])? as u64))
    }

    fn append_audit(&self, e: &NewAuditEntry) -> StoreResult<i64> {
        self.with(|c| {
            c.execute(
                "INSERT INTO audit_log (at, actor, action, target, detail, address) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    ms(e.at),
                    e.actor.as_ref().map(|a| a.as_str()),
                    e.action,
                    e.target,
                    e.detail.to_string(),
                    e.address
                ],
            )?;
            Ok(c.last_insert_rowid())
        })
    }

    fn audit(&self, q: &AuditQuery) -> StoreResult<Vec<AuditEntry>> {
        self.with(|c| {
            let mut st = c.prepare(
                "SELECT id, at, actor, action, target, detail, address FROM audit_log
                 WHERE (?1 IS NULL OR id < ?1) AND (?2 IS NULL OR actor = ?2) AND (?3 IS NULL OR action = ?3)
                   AND (?5 IS NULL OR target = ?5) AND (?6 IS NULL OR at >= ?6) AND (?7 IS NULL OR at < ?7)
                 ORDER BY id DESC LIMIT ?4",
            )?;
            let params = params![
                q.before,
                q.actor.as_ref().map(|a| a.as_str()),
                q.action,
                q.limit,
                q.target,
                q.since.map(ms),
                q.until.map(ms)
            ];
            let rows = st.query_map(params, audit_row)?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn insert_export(
        &self,
        requested_by: &UserId,
        kind: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<ExportRequest> {
        self.with(|c| {
            c.execute(
                "INSERT INTO export_requests (requested_by, kind, reason, status, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![requested_by.as_str(), kind, reason, ExportStatus::Pending.as_str(), ms(now)],
            )?;
            let id = c.last_insert_rowid();
            Ok(c.query_row(&format!("SELECT {EXPORT_COLS} FROM export_requests WHERE id = ?1"), [id], export_row)?)
        })
    }

    fn export(&self, id: i64) -> StoreResult<Option<ExportRequest>> {
        self.with(|c| {
            Ok(c.query_row(&format!("SELECT {EXPORT_COLS} FROM export_requests WHERE id = ?1"), [id], export_row)
                .optional()?)
        })
    }

    fn exports(&self) -> StoreResult<Vec<ExportRequest>> {
        self.with(|c| {
            let mut st = c.prepare(&format!("SELECT {EXPORT_COLS} FROM export_requests ORDER BY id"))?;
            let rows = st.query_map([], export_row)?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn decide_export(
        &self,
        id: i64,
        status: ExportStatus,
        by: &UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<ExportRequest> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let current: Option<String> =
                tx.query_row("SELECT status FROM export_requests WHERE id = ?1", [id], |r| r.get(0)).optional()?;
            match current.as_deref() {
                None => return Err(StoreError::NotFound(format!("export request {id}"))),
                Some(s) if s != ExportStatus::Pending.as_str() => {
                    return Err(StoreError::Duplicate(format!("a decision on export request {id}")))
                }
                Some(_) => {}
            }
            tx.execute(
                "UPDATE export_requests SET status = ?2, decided_by = ?3, decided_at = ?4 WHERE id = ?1",
                params![id, status.as_str(), by.as_str(), ms(now)],
            )?;
            let r =
                tx.query_row(&format!("SELECT {EXPORT_COLS} FROM export_requests WHERE id = ?1"), [id], export_row)?;
            tx.commit()?;
            Ok(r)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::contract;

    #[test]
    fn accounts() {
        contract::accounts_round_trip(&SqliteAccounts::open_in_memory().unwrap());
    }
    #[test]
    fn sessions() {
        let s = SqliteAccounts::open_in_memory().unwrap();
        // Sessions reference accounts.
        for u in ["ann", "bob"] {
            s.insert_account(&Account {
                user: UserId::new(u),
                password_hash: "h".into(),
                disabled: false,
                created_at: Utc::now(),
                must_change_password: false,
            })
            .unwrap();
        }
        contract::sessions_expire_and_revoke(&s);
    }
    #[test]
    fn audit() {
        contract::audit_appends_and_filters(&SqliteAccounts::open_in_memory().unwrap());
    }
    #[test]
    fn exports() {
        contract::exports_are_decided_once(&SqliteAccounts::open_in_memory().unwrap());
    }

    #[test]
    fn audit_log_refuses_edits_and_migrations_run_once() {
        let dir = std::env::temp_dir().join(format!("crm-accounts-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("crm.sqlite3");
        {
            let s = SqliteAccounts::open(&path).unwrap();
            s.append_audit(&NewAuditEntry {
                at: Utc::now(),
                actor: None,
                action: "login_ok".into(),
                target: None,
                detail: serde_json::Value::Null,
                address: None,
            })
            .unwrap();
            let c = s.conn.lock().unwrap();
            assert!(c.execute("UPDATE audit_log SET action = 'x'", []).is_err());
            assert!(c.execute("DELETE FROM audit_log", []).is_err());
            let mode: String = c.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
            assert_eq!(mode, "wal");
        }
        // Reopening applies nothing twice and keeps the data.
        let s = SqliteAccounts::open(&path).unwrap();
        assert_eq!(s.audit(&AuditQuery { limit: 10, ..Default::default() }).unwrap().len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
