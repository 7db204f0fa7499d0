//! The audit log: logins (ok and failed), refused changes, REST reads of records, role/team/account changes,
//! exports. Append-only (the SQLite table refuses UPDATE and DELETE), readable by admins at
//! `GET /api/v1/audit` (served by `api/audit.rs`, so this module does not import the HTTP extractors).

use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::{fmt, net::IpAddr};

use app::domain::{Directory, DocId, UserId};

use crate::{
    accounts::{Accounts, AuditEntry, AuditQuery, NewAuditEntry},
    error::ApiError,
};

/// What happened. Stored as its snake_case name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    LoginOk,
    LoginFailed,
    LoginRateLimited,
    Logout,
    SessionRevoked,
    PasswordChanged,
    /// An admin set someone's password (one-time unless a script said otherwise).
    PasswordReset,
    /// A record (or a list of records) read through the REST API.
    RecordRead,
    /// A change refused by the sync write gate.
    RefusedChange,
    UserCreated,
    RoleChanged,
    TeamChanged,
    ManagerChanged,
    UserDisabled,
    UserEnabled,
    TeamCreated,
    ExportRequested,
    ExportDecided,
    ExportDownloaded,
    /// The first-run admin account was created.
    SetupAdminCreated,
    /// A CSV import (dry run, refused for rejected rows, or written): `POST /api/v1/import`.
    Import,
    /// An admin erased a lead's or contact's personal data (`POST /api/v1/{kind}/{id}/erase`). The entry
    /// names the record, never the values erased.
    ErasePii,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::LoginOk => "login_ok",
            AuditAction::LoginFailed => "login_failed",
            AuditAction::LoginRateLimited => "login_rate_limited",
            AuditAction::Logout => "logout",
            AuditAction::SessionRevoked => "session_revoked",
            AuditAction::PasswordChanged => "password_changed",
            AuditAction::PasswordReset => "password_reset",
            AuditAction::RecordRead => "record_read",
            AuditAction::RefusedChange => "refused_change",
            AuditAction::UserCreated => "user_created",
            AuditAction::RoleChanged => "role_changed",
            AuditAction::TeamChanged => "team_changed",
            AuditAction::ManagerChanged => "manager_changed",
            AuditAction::UserDisabled => "user_disabled",
            AuditAction::UserEnabled => "user_enabled",
            AuditAction::TeamCreated => "team_created",
            AuditAction::ExportRequested => "export_requested",
            AuditAction::ExportDecided => "export_decided",
            AuditAction::ExportDownloaded => "export_downloaded",
            AuditAction::SetupAdminCreated => "setup_admin_created",
            AuditAction::Import => "import",
            AuditAction::ErasePii => "erase_pii",
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event to append: build with [`AuditEvent::new`] and the chained setters.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEvent {
    pub action: AuditAction,
    pub actor: Option<UserId>,
    pub target: Option<String>,
    pub detail: serde_json::Value,
    pub address: Option<IpAddr>,
}

impl AuditEvent {
    pub fn new(action: AuditAction, actor: Option<&UserId>) -> AuditEvent {
        AuditEvent { action, actor: actor.cloned(), target: None, detail: serde_json::Value::Null, address: None }
    }

    pub fn target(mut self, target: impl fmt::Display) -> Self {
        self.target = Some(target.to_string());
        self
    }

    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }

    pub fn address(mut self, address: Option<IpAddr>) -> Self {
        self.address = address;
        self
    }

    /// The sync write gate refused `user`'s change to `doc` at `path`.
    pub fn refused_change(user: &UserId, doc: &DocId, path: &str, reason: &str) -> AuditEvent {
        AuditEvent::new(AuditAction::RefusedChange, Some(user))
            .target(doc)
            .detail(serde_json::json!({ "path": path, "reason": reason }))
    }
}

/// The audit events a directory change implies (role, team, manager, disabled, new users and teams), so
/// every path that changes the directory (REST admin endpoints, an admin's client through sync) logs alike.
pub fn directory_changes(actor: Option<&UserId>, before: &Directory, after: &Directory) -> Vec<AuditEvent> {
    let mut out = Vec::new();
    let ev = |action, target: &dyn fmt::Display, detail| AuditEvent::new(action, actor).target(target).detail(detail);
    for u in &after.users {
        let Some(old) = before.user(&u.id) else {
            out.push(ev(
                AuditAction::UserCreated,
                &u.id,
                serde_json::json!({ "name": u.name, "role": u.role, "team": u.team }),
            ));
            continue;
        };
        if old.role != u.role {
            out.push(ev(AuditAction::RoleChanged, &u.id, serde_json::json!({ "from": old.role, "to": u.role })));
        }
        if old.team != u.team {
            out.push(ev(AuditAction::TeamChanged, &u.id, serde_json::json!({ "from": old.team, "to": u.team })));
        }
        if old.disabled != u.disabled {
            let action = if u.disabled { AuditAction::UserDisabled } else { AuditAction::UserEnabled };
            out.push(ev(action, &u.id, serde_json::Value::Null));
        }
    }
    for t in &after.teams {
        match before.team(&t.id) {
            None => out.push(ev(
                AuditAction::TeamCreated,
                &t.id,
                serde_json::json!({ "name": t.name, "manager": t.manager, "parent": t.parent }),
            )),
            Some(old) if old.manager != t.manager => out.push(ev(
                AuditAction::ManagerChanged,
                &t.id,
                serde_json::json!({ "from": old.manager, "to": t.manager }),
            )),
            Some(_) => {}
        }
    }
    out
}

/// The append-only log. Cheap to clone.
#[derive(Clone)]
pub struct Audit {
    accounts: Accounts,
}

impl Audit {
    pub fn new(accounts: Accounts) -> Audit {
        Audit { accounts }
    }

    /// Appends an event now. Never fails the caller: a storage error is logged.
    pub async fn append(&self, event: AuditEvent) {
        self.append_all(vec![event]).await
    }

    pub async fn append_all(&self, events: Vec<AuditEvent>) {
        if events.is_empty() {
            return;
        }
        let at = Utc::now();
        let entries: Vec<NewAuditEntry> = events
            .into_iter()
            .map(|e| NewAuditEntry {
                at,
                actor: e.actor,
                action: e.action.as_str().to_string(),
                target: e.target,
                detail: e.detail,
                address: e.address.map(|a| a.to_string()),
            })
            .collect();
        let res = self
            .accounts
            .run(move |s| {
                for e in &entries {
                    s.append_audit(e)?;
                }
                Ok(())
            })
            .await;
        if let Err(e) = res {
            tracing::error!(error = %e, "could not append to the audit log");
        }
    }

    pub async fn list(&self, query: AuditQuery) -> Result<Vec<AuditEntry>, ApiError> {
        Ok(self.accounts.run(move |s| s.audit(&query)).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::{Role, Team, TeamId, User};

    #[test]
    fn directory_diff_names_each_change() {
        let mut before = Directory::new();
        before.users.push(User {
            id: UserId::new("rep1"),
            name: "Rep One".into(),
            role: Role::SalesRep,
            team: None,
            disabled: false,
        });
        before.teams.push(Team { id: TeamId::new("east"), name: "East".into(), manager: None, parent: None });
        let mut after = before.clone();
        after.users[0].role = Role::SalesManager;
        after.users[0].team = Some(TeamId::new("east"));
        after.users[0].disabled = true;
        after.teams[0].manager = Some(UserId::new("rep1"));
        after.users.push(User {
            id: UserId::new("new"),
            name: "New".into(),
            role: Role::Analyst,
            team: None,
            disabled: false,
        });
        let admin = UserId::new("admin");
        let actions: Vec<_> = directory_changes(Some(&admin), &before, &after).into_iter().map(|e| e.action).collect();
        assert_eq!(
            actions,
            [
                AuditAction::RoleChanged,
                AuditAction::TeamChanged,
                AuditAction::UserDisabled,
                AuditAction::UserCreated,
                AuditAction::ManagerChanged
            ]
        );
        assert!(directory_changes(Some(&admin), &after, &after).is_empty());
    }
}
