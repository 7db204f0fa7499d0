//! Owner names in a file → users, and whether the importer may give a record to them.

use std::collections::BTreeMap;

use super::{ImportRequest, UnknownOwner};
use crate::domain::{may_assign, Directory, DomainError, RecordKind, TeamId, UserId};

pub(crate) struct Owners<'a> {
    dir: &'a Directory,
    importer: &'a UserId,
    /// Lower-cased trimmed name → user.
    explicit: BTreeMap<String, UserId>,
    unknown: UnknownOwner,
}

impl<'a> Owners<'a> {
    /// Checks the mapping: every target is an active user; `pool` only for leads.
    pub fn new(req: &ImportRequest<'a>) -> Result<Owners<'a>, DomainError> {
        let mut explicit = BTreeMap::new();
        for (name, user) in req.owners {
            match req.dir.user(user) {
                None => return Err(DomainError::invalid("owners", format!("{name:?} maps to {user:?}, not a user"))),
                Some(u) if u.disabled => {
                    return Err(DomainError::invalid("owners", format!("{name:?} maps to {user:?}, who is disabled")))
                }
                Some(_) => {}
            }
            explicit.insert(name.trim().to_lowercase(), user.clone());
        }
        if req.unknown_owner == UnknownOwner::Pool && req.kind != RecordKind::Lead {
            return Err(DomainError::invalid("unknown_owner", "only leads can be left unassigned (pool)"));
        }
        Ok(Owners { dir: req.dir, importer: req.importer, explicit, unknown: req.unknown_owner })
    }

    /// The owner a cell names: `Ok(None)` = unassigned (leads only), `Err(reason)` = the row is rejected.
    pub fn resolve(&self, kind: RecordKind, cell: &str) -> Result<Option<UserId>, String> {
        let name = cell.trim();
        if name.is_empty() {
            return Ok(if kind == RecordKind::Lead { None } else { Some(self.importer.clone()) });
        }
        let key = name.to_lowercase();
        let found = self
            .explicit
            .get(&key)
            .cloned()
            .or_else(|| self.dir.users.iter().find(|u| u.id.as_str().to_lowercase() == key).map(|u| u.id.clone()))
            .or_else(|| self.dir.users.iter().find(|u| u.name.trim().to_lowercase() == key).map(|u| u.id.clone()));
        match (found, self.unknown) {
            (Some(u), _) => Ok(Some(u)),
            (None, UnknownOwner::Reject) => Err(format!(
                "{name:?} is not a user here (map the name to a user, or import unknown owners as the importer)"
            )),
            (None, UnknownOwner::Importer) => Ok(Some(self.importer.clone())),
            (None, UnknownOwner::Pool) => Ok(None),
        }
    }

    /// May the importer create a `kind` record owned by `owner`?
    pub fn check(&self, kind: RecordKind, owner: Option<&UserId>) -> Result<(), String> {
        if let Some(o) = owner {
            match self.dir.user(o) {
                None => return Err(format!("{o} is not a user")),
                Some(u) if u.disabled => return Err(format!("{o} is disabled")),
                Some(_) => {}
            }
        }
        if may_assign(self.importer, self.dir, kind, None, owner, true) {
            return Ok(());
        }
        Err(match owner {
            Some(o) => format!("you may not create {} owned by {o}", kind.plural()),
            None => format!("you may not create unassigned {}", kind.plural()),
        })
    }

    /// Records carry their owner's team.
    pub fn team(&self, owner: Option<&UserId>) -> Option<TeamId> {
        owner.and_then(|o| self.dir.user(o)).and_then(|u| u.team.clone())
    }
}
