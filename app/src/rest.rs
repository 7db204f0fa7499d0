//! Wire types of the relay's REST API that both sides name: the relay serializes them, the browser client
//! (and the test harness) deserialize the same structs, so a field renamed on one side cannot silently
//! vanish on the other.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{DocId, Role, TeamId, UserId};

/// The signed-in user, as the relay describes them (`POST /api/login`, `GET /api/me`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: UserId,
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub team: Option<TeamId>,
}

impl From<&crate::domain::User> for SessionUser {
    fn from(u: &crate::domain::User) -> Self {
        SessionUser { id: u.id.clone(), name: u.name.clone(), role: u.role, team: u.team.clone() }
    }
}

/// The answer of `POST /api/login` (with `token`) and `GET /api/me` (without).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub user: SessionUser,
    pub index_doc: DocId,
    pub directory_doc: DocId,
    pub expires_at: DateTime<Utc>,
    /// The password is one-time: the client must have the user set their own before anything else.
    #[serde(default)]
    pub must_change_password: bool,
}

/// The state of an export request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportStatus {
    Pending,
    Approved,
    Rejected,
}

impl ExportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportStatus::Pending => "pending",
            ExportStatus::Approved => "approved",
            ExportStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<ExportStatus> {
        [ExportStatus::Pending, ExportStatus::Approved, ExportStatus::Rejected].into_iter().find(|x| x.as_str() == s)
    }
}

/// A request to export records of one kind, which a manager (or admin) approves before it can be downloaded
/// (`GET/POST /api/v1/exports`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportRequest {
    pub id: i64,
    pub requested_by: UserId,
    /// The record collection (`leads`, `opportunities`, ...).
    pub kind: String,
    pub reason: String,
    pub status: ExportStatus,
    pub created_at: DateTime<Utc>,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_request_reads_back_what_the_relay_writes() {
        let r = ExportRequest {
            id: 7,
            requested_by: UserId::new("rep1"),
            kind: "customers".into(),
            reason: "Visit planning".into(),
            status: ExportStatus::Approved,
            created_at: DateTime::from_timestamp_millis(1_764_000_000_000).unwrap(),
            decided_by: Some(UserId::new("manager")),
            decided_at: None,
        };
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["status"], "approved");
        assert_eq!(serde_json::from_value::<ExportRequest>(json).unwrap(), r);
        assert_eq!(ExportStatus::parse("rejected"), Some(ExportStatus::Rejected));
    }
}
