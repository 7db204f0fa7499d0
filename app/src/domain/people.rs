//! People administration, pure: the rule for user ids, a pasted roster (one person per line) checked
//! before anything is created, and the effect of a directory change on who sees what ("rep2 will see 14
//! more deals"), computed with [`access`] over the records the caller holds.
//!
//! # Layout
//! - `people.rs`: user ids, the roster parser, the access effect.
//! - `people/tests.rs`: unit tests.

use std::collections::{BTreeMap, BTreeSet};

use super::{access, Directory, FieldGroup, RecordKind, RecordMeta, Role, TeamId, UserId};

/// Is `id` a valid user (or team) id: 1-64 characters of a-z, 0-9, `.`, `_`, `-`, starting with a letter
/// or digit? Ids are login names and appear in URLs, so they stay plain.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        && id.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
}

/// One person of a pasted roster.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RosterEntry {
    pub id: UserId,
    pub name: String,
    pub role: Role,
    pub team: Option<TeamId>,
}

/// What is wrong with a roster line (`value`: the text at fault).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "problem", content = "value")]
pub enum RosterProblem {
    /// Not 3 or 4 columns (how many there were).
    Columns(usize),
    BadId(String),
    IdTaken(String),
    IdTwice(String),
    BadName,
    UnknownRole(String),
    UnknownTeam(String),
}

/// Why a roster line cannot be used (1-based line number).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RosterError {
    pub line: usize,
    #[serde(flatten)]
    pub problem: RosterProblem,
}

impl RosterError {
    /// The column at fault: `line`, `id`, `name`, `role` or `team`.
    pub fn column(&self) -> &'static str {
        match self.problem {
            RosterProblem::Columns(_) => "line",
            RosterProblem::BadId(_) | RosterProblem::IdTaken(_) | RosterProblem::IdTwice(_) => "id",
            RosterProblem::BadName => "name",
            RosterProblem::UnknownRole(_) => "role",
            RosterProblem::UnknownTeam(_) => "team",
        }
    }
}

impl std::fmt::Display for RosterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}, {}: ", self.line, self.column())?;
        match &self.problem {
            RosterProblem::Columns(n) => write!(f, "expected id, name, role[, team]: found {n} columns"),
            RosterProblem::BadId(id) => write!(f, "{id:?} must be 1-64 characters of a-z, 0-9, '.', '_', '-'"),
            RosterProblem::IdTaken(id) => write!(f, "{id:?} exists already"),
            RosterProblem::IdTwice(id) => write!(f, "{id:?} appears twice"),
            RosterProblem::BadName => write!(f, "must be 1 to 100 characters"),
            RosterProblem::UnknownRole(r) => write!(f, "unknown role {r:?} (one of: {})", role_names()),
            RosterProblem::UnknownTeam(t) => write!(f, "unknown team {t:?}"),
        }
    }
}

/// Parses a roster: one person per line, `id, name, role, team` separated by commas or tabs (a paste from a
/// spreadsheet); the team may be left out; blank lines and a first line starting with `id` (a header) are
/// skipped. Roles are their ids (`sales_rep`) or, for people typing by hand, their English names
/// (`sales rep`, or `rep`, `manager`). Every line is checked against `dir` (unknown team, id taken) and against the others
/// (the same id twice); all errors are returned, nothing is half-accepted.
pub fn parse_roster(text: &str, dir: &Directory) -> Result<Vec<RosterEntry>, Vec<RosterError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if raw.trim().is_empty() || (out.is_empty() && errors.is_empty() && is_header(raw)) {
            continue;
        }
        let sep = if raw.contains('\t') { '\t' } else { ',' };
        let cells: Vec<&str> = raw.split(sep).map(str::trim).collect();
        let mut err = |problem| errors.push(RosterError { line, problem });
        if cells.len() < 3 || cells.len() > 4 {
            err(RosterProblem::Columns(cells.len()));
            continue;
        }
        let id = cells[0].to_lowercase();
        let before = errors.len();
        let mut err = |problem| errors.push(RosterError { line, problem });
        if !valid_id(&id) {
            err(RosterProblem::BadId(id.clone()));
        } else if dir.user(&UserId::new(id.clone())).is_some() {
            err(RosterProblem::IdTaken(id.clone()));
        } else if !seen.insert(id.clone()) {
            err(RosterProblem::IdTwice(id.clone()));
        }
        let name = cells[1];
        if name.is_empty() || name.chars().count() > 100 {
            err(RosterProblem::BadName);
        }
        let role = parse_role(cells[2]);
        if role.is_none() {
            err(RosterProblem::UnknownRole(cells[2].to_string()));
        }
        let team = cells.get(3).filter(|t| !t.is_empty()).map(|t| TeamId::new(*t));
        if let Some(t) = &team {
            if dir.team(t).is_none() {
                err(RosterProblem::UnknownTeam(t.to_string()));
            }
        }
        if let (true, Some(role)) = (errors.len() == before, role) {
            out.push(RosterEntry { id: UserId::new(id), name: name.to_string(), role, team });
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn is_header(line: &str) -> bool {
    line.trim_start().to_lowercase().starts_with("id")
        && line.to_lowercase().contains("role")
        && !line.contains(|c: char| c.is_ascii_digit())
}

fn parse_role(s: &str) -> Option<Role> {
    let norm = s.trim().to_lowercase().replace([' ', '-'], "_");
    let norm = match norm.as_str() {
        "rep" | "sales" => "sales_rep",
        "manager" => "sales_manager",
        "aftersales" => "after_sales",
        "accountmanager" | "account_mgr" => "account_manager",
        other => other,
    };
    Role::parse(norm).ok()
}

fn role_names() -> String {
    Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
}

/// What a person can see of one record kind: the records themselves, or one of their field groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Seen {
    pub kind: RecordKind,
    /// `None`: the records; `Some(g)`: their `g` fields (money, pii, service).
    pub group: Option<FieldGroup>,
}

/// How a directory change moves one person's view of one kind of record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessChange {
    pub user: UserId,
    pub seen: Seen,
    /// Records (or groups) they will see and do not now.
    pub gained: usize,
    /// Records (or groups) they see now and will not.
    pub lost: usize,
}

/// The effect of changing the directory from `before` to `after` on who sees what, over `records` (the
/// records the caller holds: an admin's device holds all). Only people whose view changes appear, sorted
/// by user then kind; the same [`access`] the relay enforces decides, so the preview is what happens.
pub fn access_effect(before: &Directory, after: &Directory, records: &[RecordMeta]) -> Vec<AccessChange> {
    let mut users: BTreeSet<&UserId> = before.users.iter().map(|u| &u.id).collect();
    users.extend(after.users.iter().map(|u| &u.id));
    let mut out = Vec::new();
    for user in users {
        let mut counts: BTreeMap<Seen, (usize, usize)> = BTreeMap::new();
        for meta in records {
            let (a, b) = (access(user, before, meta), access(user, after, meta));
            let mut note = |group: Option<FieldGroup>, was: bool, will: bool| {
                if was != will {
                    let e = counts.entry(Seen { kind: meta.kind, group }).or_default();
                    if will {
                        e.0 += 1
                    } else {
                        e.1 += 1
                    }
                }
            };
            note(None, a.visible(), b.visible());
            for g in super::companion_groups(meta.kind) {
                note(Some(*g), a.group(*g).can_read(), b.group(*g).can_read());
            }
        }
        out.extend(counts.into_iter().map(|(seen, (gained, lost))| AccessChange {
            user: user.clone(),
            seen,
            gained,
            lost,
        }));
    }
    out
}

#[cfg(test)]
mod tests;
