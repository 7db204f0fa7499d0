//! The team directory: users, teams (nestable), stages, custom fields and the visibility policy.
//! One Automerge document, written only by admins.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use super::relationship::RelationshipRules;
use super::{CustomFieldDef, Policy, Role, StageDef, TeamId, UserId};

/// A person who signs in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct User {
    #[key]
    pub id: UserId,
    #[autosurgeon(hydrate = "super::records::line::one")]
    pub name: String,
    pub role: Role,
    pub team: Option<TeamId>,
    pub disabled: bool,
}

/// A team: a manager and members (users whose `team` is this id). Teams nest through `parent`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct Team {
    #[key]
    pub id: TeamId,
    #[autosurgeon(hydrate = "super::records::line::one")]
    pub name: String,
    pub manager: Option<UserId>,
    pub parent: Option<TeamId>,
}

/// Thresholds for churn warnings (configurable by admins).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct ChurnRules {
    /// Warn when a customer has had no activity for this many days.
    pub inactive_days: u32,
    /// Warn when satisfaction is at or below this (1-5).
    pub max_satisfaction: u8,
}

impl Default for ChurnRules {
    fn default() -> Self {
        ChurnRules { inactive_days: 60, max_satisfaction: 2 }
    }
}

/// The whole directory document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct Directory {
    pub users: Vec<User>,
    pub teams: Vec<Team>,
    /// Ordered pipeline stages; admins rename and reorder them.
    pub stages: Vec<StageDef>,
    pub custom_fields: Vec<CustomFieldDef>,
    pub policy: Policy,
    pub churn: ChurnRules,
    /// Visit intervals and tier rules (added later: older directories read the defaults).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub relationship: RelationshipRules,
}

impl Directory {
    /// A directory with the default stages and policy and no people.
    pub fn new() -> Self {
        Directory {
            users: Vec::new(),
            teams: Vec::new(),
            stages: StageDef::defaults(),
            custom_fields: Vec::new(),
            policy: Policy::default(),
            churn: ChurnRules::default(),
            relationship: RelationshipRules::default(),
        }
    }

    pub fn user(&self, id: &UserId) -> Option<&User> {
        self.users.iter().find(|u| &u.id == id)
    }

    pub fn team(&self, id: &TeamId) -> Option<&Team> {
        self.teams.iter().find(|t| &t.id == id)
    }

    /// The teams `manager` manages, with every team nested below them (cycles are tolerated).
    pub fn managed_teams(&self, manager: &UserId) -> BTreeSet<TeamId> {
        let mut out: BTreeSet<TeamId> =
            self.teams.iter().filter(|t| t.manager.as_ref() == Some(manager)).map(|t| t.id.clone()).collect();
        loop {
            let before = out.len();
            for t in &self.teams {
                if t.parent.as_ref().is_some_and(|p| out.contains(p)) {
                    out.insert(t.id.clone());
                }
            }
            if out.len() == before {
                return out;
            }
        }
    }

    /// Everyone in `manager`'s teams (transitively), the manager included.
    pub fn team_members(&self, manager: &UserId) -> BTreeSet<UserId> {
        let teams = self.managed_teams(manager);
        let mut out: BTreeSet<UserId> = self
            .users
            .iter()
            .filter(|u| u.team.as_ref().is_some_and(|t| teams.contains(t)))
            .map(|u| u.id.clone())
            .collect();
        out.insert(manager.clone());
        out
    }

    /// Is `member` in `manager`'s team (transitively), or the manager themself?
    pub fn manages(&self, manager: &UserId, member: &UserId) -> bool {
        manager == member || self.team_members(manager).contains(member)
    }

    /// The stage with this id.
    pub fn stage(&self, id: &super::StageId) -> Option<&StageDef> {
        self.stages.iter().find(|s| &s.id == id)
    }
}

impl Default for Directory {
    fn default() -> Self {
        Directory::new()
    }
}
