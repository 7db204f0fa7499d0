//! Visibility and write policy: one truth, used by the relay's gates, the REST API and the UI.
//!
//! The policy is data (admins may change it in the directory); [`Policy::default`] is the table of
//! ARCHITECTURE.md §3. A record is split into documents by field group (`base` in the main document, `money`,
//! `pii`, `service` in companions), so a group is shared whole or not at all.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::{Directory, RecordKind, Role, UserId};

/// A group of fields that is shared or hidden as one (one Automerge document each).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldGroup {
    Base,
    Money,
    Pii,
    Service,
}

impl FieldGroup {
    pub const ALL: [FieldGroup; 4] = [FieldGroup::Base, FieldGroup::Money, FieldGroup::Pii, FieldGroup::Service];
    pub const COMPANIONS: [FieldGroup; 3] = [FieldGroup::Money, FieldGroup::Pii, FieldGroup::Service];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldGroup::Base => "base",
            FieldGroup::Money => "money",
            FieldGroup::Pii => "pii",
            FieldGroup::Service => "service",
        }
    }

    pub fn parse(s: &str) -> Option<FieldGroup> {
        FieldGroup::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// What a user may do with one field group of one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Perm {
    None,
    Read,
    Write,
}

impl Perm {
    pub fn can_read(self) -> bool {
        self >= Perm::Read
    }
    pub fn can_write(self) -> bool {
        self == Perm::Write
    }
}

/// Which records a rule reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub enum Scope {
    /// Nothing.
    Nothing,
    /// Records the user owns, or whose customer the user maintains.
    Own,
    /// [`Scope::Own`] plus unassigned records (the lead pool, which the user may claim).
    OwnOrPool,
    /// Records owned by the user or anyone in the teams they manage, transitively.
    Team,
    /// Records whose customer the user maintains (account managers' view of opportunities).
    OwnCustomers,
    /// Every record.
    All,
}

/// One cell of the policy table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct Rule {
    pub scope: Scope,
    pub write: bool,
}

impl Rule {
    const NONE: Rule = Rule { scope: Scope::Nothing, write: false };
    const fn read(scope: Scope) -> Rule {
        Rule { scope, write: false }
    }
    const fn write(scope: Scope) -> Rule {
        Rule { scope, write: true }
    }
}

/// One row of the policy table: a role's rules per record kind and per restricted field group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct RoleRules {
    pub role: Role,
    pub leads: Rule,
    pub opportunities: Rule,
    pub money: Rule,
    pub customers: Rule,
    pub contacts: Rule,
    pub pii: Rule,
    pub activities: Rule,
    pub service: Rule,
    /// May move records between owners within their scope (managers, admins).
    pub reassign: bool,
}

/// The policy table (ARCHITECTURE.md §3 by default).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct Policy {
    pub roles: Vec<RoleRules>,
}

impl Default for Policy {
    fn default() -> Self {
        use Scope::*;
        let w = Rule::write;
        let r = Rule::read;
        let n = Rule::NONE;
        #[rustfmt::skip]
        let row = |role, leads, opportunities, money, customers, contacts, pii, activities, service, reassign| RoleRules {
            role, leads, opportunities, money, customers, contacts, pii, activities, service, reassign,
        };
        #[rustfmt::skip]
        let roles = vec![
            //   role                 leads           opportunities  money     customers  contacts  pii       activities service   reassign
            row(Role::Admin,          w(All),         w(All),        w(All),   w(All),    w(All),   w(All),   w(All),    w(All),   true),
            row(Role::SalesManager,   w(Team),        w(Team),       w(Team),  w(Team),   w(Team),  w(Team),  w(Team),   w(Team),  true),
            row(Role::SalesRep,       w(OwnOrPool),   w(Own),        w(Own),   w(Own),    w(Own),   w(Own),   w(Own),    w(Own),   false),
            row(Role::AccountManager, n,              r(OwnCustomers), w(Own),  w(Own),    w(Own),   w(Own),   w(Own),    w(Own),   false),
            row(Role::Marketing,      w(All),         r(All),        n,        r(All),    n,        n,        n,         n,        false),
            row(Role::AfterSales,     n,              n,             n,        r(All),    r(All),   r(All),   w(All),    w(All),   false),
            row(Role::Analyst,        r(All),         r(All),        r(All),   r(All),    n,        n,        r(All),    r(All),   false),
        ];
        Policy { roles }
    }
}

impl Policy {
    pub fn rules(&self, role: Role) -> Option<&RoleRules> {
        self.roles.iter().find(|r| r.role == role)
    }
}

/// What the policy needs to know about a record (kept by the relay beside each main document).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordMeta {
    pub kind: RecordKind,
    /// Owner (for customers: the maintainer). `None` = unassigned (the lead pool).
    pub owner: Option<UserId>,
    /// For opportunities, contacts and activities: the maintainer of the linked customer, if any.
    pub customer_owner: Option<UserId>,
    /// For customers: the records that link to it. Whoever may read one of them may read the customer's
    /// main document (see [`access`]). Filled by whoever knows the links (the relay); empty means none known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub linked: Vec<LinkedRecord>,
}

/// A record that links to a customer, as the policy needs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedRecord {
    pub kind: RecordKind,
    pub owner: Option<UserId>,
}

/// A user's permissions on one record, per field group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    pub base: Perm,
    pub money: Perm,
    pub pii: Perm,
    pub service: Perm,
}

impl Access {
    pub const NONE: Access = Access { base: Perm::None, money: Perm::None, pii: Perm::None, service: Perm::None };

    pub fn group(&self, group: FieldGroup) -> Perm {
        match group {
            FieldGroup::Base => self.base,
            FieldGroup::Money => self.money,
            FieldGroup::Pii => self.pii,
            FieldGroup::Service => self.service,
        }
    }

    /// May the user see the record at all?
    pub fn visible(&self) -> bool {
        self.base.can_read()
    }
}

/// Which companion groups a record kind has. A group a kind does not have is always `Perm::None`.
pub fn companion_groups(kind: RecordKind) -> &'static [FieldGroup] {
    match kind {
        RecordKind::Lead => &[FieldGroup::Pii],
        RecordKind::Opportunity => &[FieldGroup::Money],
        RecordKind::Customer => &[FieldGroup::Money, FieldGroup::Service],
        RecordKind::Contact => &[FieldGroup::Pii],
        RecordKind::Activity => &[],
    }
}

fn in_scope(scope: Scope, user: &UserId, dir: &Directory, meta: &RecordMeta) -> bool {
    let is_user = |o: &Option<UserId>| o.as_ref() == Some(user);
    let in_team = |o: &Option<UserId>| o.as_ref().is_some_and(|o| dir.manages(user, o));
    match scope {
        Scope::Nothing => false,
        Scope::Own => is_user(&meta.owner) || is_user(&meta.customer_owner),
        Scope::OwnOrPool => is_user(&meta.owner) || is_user(&meta.customer_owner) || meta.owner.is_none(),
        Scope::Team => in_team(&meta.owner) || in_team(&meta.customer_owner),
        Scope::OwnCustomers => is_user(&meta.customer_owner),
        Scope::All => true,
    }
}

fn perm(rule: Rule, user: &UserId, dir: &Directory, meta: &RecordMeta) -> Perm {
    match (in_scope(rule.scope, user, dir, meta), rule.write) {
        (false, _) => Perm::None,
        (true, false) => Perm::Read,
        (true, true) => Perm::Write,
    }
}

/// The one function that says what `user` may do with a record. Disabled or unknown users get nothing.
/// A restricted group is never more open than the record itself.
///
/// Implicit read of a parent: whoever may read a deal (or a contact or activity) of a customer may read the
/// customer's main document, so a deal never shows its customer as a bare id (Salesforce grants the same
/// on a child record's account). Read only, base only: the customer's companions (money, service) follow
/// the customer's own rules.
pub fn access(user: &UserId, dir: &Directory, meta: &RecordMeta) -> Access {
    let own = direct_access(user, dir, meta);
    if own.visible() || meta.kind != RecordKind::Customer {
        return own;
    }
    let reads_linked = meta.linked.iter().filter(|l| l.kind != RecordKind::Customer).any(|l| {
        let child =
            RecordMeta { kind: l.kind, owner: l.owner.clone(), customer_owner: meta.owner.clone(), linked: Vec::new() };
        direct_access(user, dir, &child).visible()
    });
    if reads_linked {
        Access { base: Perm::Read, ..Access::NONE }
    } else {
        Access::NONE
    }
}

fn direct_access(user: &UserId, dir: &Directory, meta: &RecordMeta) -> Access {
    let Some(u) = dir.user(user).filter(|u| !u.disabled) else { return Access::NONE };
    let Some(rules) = dir.policy.rules(u.role) else { return Access::NONE };
    let base_rule = match meta.kind {
        RecordKind::Lead => rules.leads,
        RecordKind::Opportunity => rules.opportunities,
        RecordKind::Customer => rules.customers,
        RecordKind::Contact => rules.contacts,
        RecordKind::Activity => rules.activities,
    };
    let base = perm(base_rule, user, dir, meta);
    if !base.can_read() {
        return Access::NONE;
    }
    let groups = companion_groups(meta.kind);
    let group = |g: FieldGroup, rule: Rule| if groups.contains(&g) { perm(rule, user, dir, meta) } else { Perm::None };
    let mut money = group(FieldGroup::Money, rules.money);
    if meta.kind == RecordKind::Opportunity && !base.can_write() {
        // A deal's amount is part of the deal: who may only read the deal (an account manager on the deals
        // of their customers) may only read its amount. Their customers' cooperation histories they write.
        money = money.min(Perm::Read);
    }
    Access { base, money, pii: group(FieldGroup::Pii, rules.pii), service: group(FieldGroup::Service, rules.service) }
}

/// May `user` set a record's owner from `from` to `to`? Creating a record is the case `from == None`
/// for a new record (`creating`). Reps may take unassigned leads (claim) and create records for themselves;
/// managers assign within their team; admins assign to anyone.
pub fn may_assign(
    user: &UserId,
    dir: &Directory,
    kind: RecordKind,
    from: Option<&UserId>,
    to: Option<&UserId>,
    creating: bool,
) -> bool {
    let Some(u) = dir.user(user).filter(|u| !u.disabled) else { return false };
    let Some(rules) = dir.policy.rules(u.role) else { return false };
    if from == to && !creating {
        return true;
    }
    // The new owner must be a real, active user (or nobody, returning a lead to the pool).
    if let Some(to) = to {
        if dir.user(to).is_none_or(|t| t.disabled) {
            return false;
        }
    }
    let meta =
        |owner: Option<&UserId>| RecordMeta { kind, owner: owner.cloned(), customer_owner: None, linked: Vec::new() };
    let write_after = perm_for_kind(rules, kind, user, dir, &meta(to)).can_write();
    if rules.reassign {
        // A manager (or admin) may move records among the people they manage, and to or from the pool.
        let from_ok =
            creating || from.is_none_or(|f| in_scope(kind_rule(rules, kind).scope, user, dir, &meta(Some(f))));
        let to_ok = match to {
            Some(_) => write_after,
            None => kind == RecordKind::Lead,
        };
        return from_ok && to_ok;
    }
    // Everyone else: only themselves, either when creating or when claiming from the lead pool; and whoever
    // may write the pool may add an unassigned lead to it.
    let to_self = to == Some(user);
    (creating && to_self && write_after)
        || (creating && to.is_none() && kind == RecordKind::Lead && write_after)
        || (kind == RecordKind::Lead && from.is_none() && to_self && kind_rule(rules, kind).scope == Scope::OwnOrPool)
}

fn kind_rule(rules: &RoleRules, kind: RecordKind) -> Rule {
    match kind {
        RecordKind::Lead => rules.leads,
        RecordKind::Opportunity => rules.opportunities,
        RecordKind::Customer => rules.customers,
        RecordKind::Contact => rules.contacts,
        RecordKind::Activity => rules.activities,
    }
}

fn perm_for_kind(rules: &RoleRules, kind: RecordKind, user: &UserId, dir: &Directory, meta: &RecordMeta) -> Perm {
    perm(kind_rule(rules, kind), user, dir, meta)
}

/// May `user` erase the personal data (the `pii` companion) of a record of this kind? Only active admins, and
/// only kinds that have a `pii` group (leads, contacts). Erasure is for requests under privacy law, not for
/// tidying: it removes the data from the relay and every device for good (ARCHITECTURE.md §3, "Erasure").
pub fn may_erase_pii(user: &UserId, dir: &Directory, kind: RecordKind) -> bool {
    companion_groups(kind).contains(&FieldGroup::Pii)
        && dir.user(user).is_some_and(|u| !u.disabled && u.role == Role::Admin)
}

/// May `user` write the directory document? Only admins.
pub fn may_write_directory(user: &UserId, dir: &Directory) -> bool {
    dir.user(user).is_some_and(|u| !u.disabled && u.role == Role::Admin)
}

#[cfg(test)]
mod tests;
