//! An in-memory account store with the same behaviour as the SQLite one (for unit tests).

use chrono::{DateTime, Utc};
use std::{collections::BTreeMap, sync::Mutex};

use app::domain::UserId;

use super::{
    Account, AccountStore, AuditEntry, AuditQuery, ExportRequest, ExportStatus, NewAuditEntry, Session, SessionId,
    StoreError, StoreResult,
};

#[derive(Default)]
struct Inner {
    accounts: BTreeMap<UserId, Account>,
    sessions: BTreeMap<SessionId, Session>,
    audit: Vec<AuditEntry>,
    exports: Vec<ExportRequest>,
}

/// Accounts, sessions and audit entries in a mutex-guarded map.
#[derive(Default)]
pub struct MemoryAccounts {
    inner: Mutex<Inner>,
}

impl MemoryAccounts {
    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        // A panic while holding the lock leaves plain data behind, still consistent per operation.
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }
}

impl AccountStore for MemoryAccounts {
    fn insert_account(&self, account: &Account) -> StoreResult<()> {
        self.with(|i| {
            if i.accounts.contains_key(&account.user) {
                return Err(StoreError::Duplicate(format!("user {}", account.user)));
            }
            i.accounts.insert(account.user.clone(), account.clone());
            Ok(())
        })
    }

    fn account(&self, user: &UserId) -> StoreResult<Option<Account>> {
        Ok(self.with(|i| i.accounts.get(user).cloned()))
    }

    fn accounts(&self) -> StoreResult<Vec<Account>> {
        Ok(self.with(|i| i.accounts.values().cloned().collect()))
    }

    fn count_accounts(&self) -> StoreResult<u64> {
        Ok(self.with(|i| i.accounts.len() as u64))
    }

    fn set_password_hash(&self, user: &UserId, hash: &str, one_time: bool) -> StoreResult<()> {
        self.with(|i| match i.accounts.get_mut(user) {
            Some(a) => {
                a.password_hash = hash.to_string();
                a.must_change_password = one_time;
                Ok(())
            }
            None => Err(StoreError::NotFound(format!("user {user}"))),
        })
    }

    fn set_disabled(&self, user: &UserId, disabled: bool) -> StoreResult<()> {
        self.with(|i| match i.accounts.get_mut(user) {
            Some(a) => {
                a.disabled = disabled;
                Ok(())
            }
            None => Err(StoreError::NotFound(format!("user {user}"))),
        })
    }

    fn insert_session(&self, session: &Session) -> StoreResult<()> {
        self.with(|i| {
            if i.sessions.contains_key(&session.id) {
                return Err(StoreError::Duplicate("session".into()));
            }
            i.sessions.insert(session.id.clone(), session.clone());
            Ok(())
        })
    }

    fn session(&self, id: &SessionId) -> StoreResult<Option<Session>> {
        Ok(self.with(|i| i.sessions.get(id).cloned()))
    }

    fn sessions_of(&self, user: &UserId) -> StoreResult<Vec<Session>> {
        Ok(self.with(|i| i.sessions.values().filter(|s| &s.user == user).cloned().collect()))
    }

    fn delete_session(&self, id: &SessionId) -> StoreResult<bool> {
        Ok(self.with(|i| i.sessions.remove(id).is_some()))
    }

    fn delete_sessions_of(&self, user: &UserId) -> StoreResult<u64> {
        Ok(self.with(|i| {
            let before = i.sessions.len();
            i.sessions.retain(|_, s| &s.user != user);
            (before - i.sessions.len()) as u64
        }))
    }

    fn delete_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        Ok(self.with(|i| {
            let before = i.sessions.len();
            i.sessions.retain(|_, s| s.expires_at > now);
            (before - i.sessions.len()) as u64
        }))
    }

    fn append_audit(&self, entry: &NewAuditEntry) -> StoreResult<i64> {
        Ok(self.with(|i| {
            let id = i.audit.len() as i64 + 1;
            i.audit.push(AuditEntry {
                id,
                at: entry.at,
                actor: entry.actor.clone(),
                action: entry.action.clone(),
                target: entry.target.clone(),
                detail: entry.detail.clone(),
                address: entry.address.clone(),
            });
            id
        }))
    }

    fn audit(&self, q: &AuditQuery) -> StoreResult<Vec<AuditEntry>> {
        Ok(self.with(|i| {
            i.audit
                .iter()
                .rev()
                .filter(|e| q.before.is_none_or(|b| e.id < b))
                .filter(|e| q.actor.as_ref().is_none_or(|a| e.actor.as_ref() == Some(a)))
                .filter(|e| q.action.as_ref().is_none_or(|a| &e.action == a))
                .filter(|e| q.target.is_none() || e.target == q.target)
                .filter(|e| q.since.is_none_or(|t| e.at >= t) && q.until.is_none_or(|t| e.at < t))
                .take(q.limit as usize)
                .cloned()
                .collect()
        }))
    }

    fn insert_export(
        &self,
        requested_by: &UserId,
        kind: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<ExportRequest> {
        Ok(self.with(|i| {
            let r = ExportRequest {
                id: i.exports.len() as i64 + 1,
                requested_by: requested_by.clone(),
                kind: kind.to_string(),
                reason: reason.to_string(),
                status: ExportStatus::Pending,
                created_at: now,
                decided_by: None,
                decided_at: None,
            };
            i.exports.push(r.clone());
            r
        }))
    }

    fn export(&self, id: i64) -> StoreResult<Option<ExportRequest>> {
        Ok(self.with(|i| i.exports.iter().find(|r| r.id == id).cloned()))
    }

    fn exports(&self) -> StoreResult<Vec<ExportRequest>> {
        Ok(self.with(|i| i.exports.clone()))
    }

    fn decide_export(
        &self,
        id: i64,
        status: ExportStatus,
        by: &UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<ExportRequest> {
        self.with(|i| {
            let Some(r) = i.exports.iter_mut().find(|r| r.id == id) else {
                return Err(StoreError::NotFound(format!("export request {id}")));
            };
            if r.status != ExportStatus::Pending {
                return Err(StoreError::Duplicate(format!("a decision on export request {id}")));
            }
            r.status = status;
            r.decided_by = Some(by.clone());
            r.decided_at = Some(now);
            Ok(r.clone())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::contract;

    #[test]
    fn accounts() {
        contract::accounts_round_trip(&MemoryAccounts::default());
    }
    #[test]
    fn sessions() {
        contract::sessions_expire_and_revoke(&MemoryAccounts::default());
    }
    #[test]
    fn audit() {
        contract::audit_appends_and_filters(&MemoryAccounts::default());
    }
    #[test]
    fn exports() {
        contract::exports_are_decided_once(&MemoryAccounts::default());
    }
}
