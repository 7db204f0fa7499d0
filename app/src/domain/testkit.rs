//! Test fixtures shared by the domain's unit tests: a company shaped like the demo one.
//!
//! Teams: `east` (manager `manager`) with the nested team `east-1` below it; `west` (manager `manager2`).
//! Users: admin; manager; rep1 (east); rep2 (east-1, nested); rep3 (west); manager2 (west); accountmgr;
//! marketing; aftersales; analyst; gone (a disabled rep in east).

use super::{Directory, RecordKind, RecordMeta, Role, Team, TeamId, User, UserId};

pub fn u(id: &str) -> UserId {
    UserId::new(id)
}

pub fn company() -> Directory {
    let user = |id: &str, role: Role, team: Option<&str>| User {
        id: u(id),
        name: id.to_string(),
        role,
        team: team.map(TeamId::new),
        disabled: false,
    };
    let team = |id: &str, manager: Option<&str>, parent: Option<&str>| Team {
        id: TeamId::new(id),
        name: id.to_string(),
        manager: manager.map(u),
        parent: parent.map(TeamId::new),
    };
    let mut dir = Directory::new();
    dir.teams = vec![
        team("east", Some("manager"), None),
        team("east-1", None, Some("east")),
        team("west", Some("manager2"), None),
    ];
    dir.users = vec![
        user("admin", Role::Admin, None),
        user("manager", Role::SalesManager, Some("east")),
        user("rep1", Role::SalesRep, Some("east")),
        user("rep2", Role::SalesRep, Some("east-1")),
        user("rep3", Role::SalesRep, Some("west")),
        user("manager2", Role::SalesManager, Some("west")),
        user("accountmgr", Role::AccountManager, None),
        user("marketing", Role::Marketing, None),
        user("aftersales", Role::AfterSales, None),
        user("analyst", Role::Analyst, None),
        User { disabled: true, ..user("gone", Role::SalesRep, Some("east")) },
    ];
    dir
}

pub fn meta(kind: RecordKind, owner: Option<&str>, customer_owner: Option<&str>) -> RecordMeta {
    RecordMeta { kind, owner: owner.map(u), customer_owner: customer_owner.map(u), linked: Vec::new() }
}
