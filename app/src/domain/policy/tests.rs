//! Every cell of ARCHITECTURE.md §3 against `access`, written out independently of `Policy::default`.

use super::*;
use crate::domain::testkit::{company, meta, u};
use crate::domain::{Role, TeamId};

/// Where a record sits relative to the user asking.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Case {
    /// The user owns it (maintains it, for customers).
    Own,
    /// Owned by `rep2`, in `manager`'s nested team `east-1`.
    Team,
    /// Owned by `rep3`, in the other team.
    Other,
    /// Unassigned (the lead pool).
    Pool,
    /// Owned by `rep3`, but its customer is maintained by the user.
    OwnCustomer,
}

const CASES: [Case; 5] = [Case::Own, Case::Team, Case::Other, Case::Pool, Case::OwnCustomer];

/// The demo user holding each role.
fn user_for(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::SalesManager => "manager",
        Role::SalesRep => "rep1",
        Role::AccountManager => "accountmgr",
        Role::Marketing => "marketing",
        Role::AfterSales => "aftersales",
        Role::Analyst => "analyst",
    }
}

fn meta_for(kind: RecordKind, case: Case, user: &str) -> RecordMeta {
    match case {
        Case::Own => meta(kind, Some(user), None),
        Case::Team => meta(kind, Some("rep2"), None),
        Case::Other => meta(kind, Some("rep3"), None),
        Case::Pool => meta(kind, None, None),
        Case::OwnCustomer => meta(kind, Some("rep3"), Some(user)),
    }
}

/// A cell of the table: which cases it reaches and whether it writes.
#[derive(Clone, Copy)]
enum Cell {
    None,
    All(Perm),
    /// Own records (and records of customers the user maintains).
    Own(Perm),
    /// Own plus the unassigned pool.
    OwnOrPool(Perm),
    /// The manager's team, nested teams included.
    Team(Perm),
    /// Only records whose customer the user maintains.
    OwnCustomers(Perm),
}

fn reaches(cell: Cell, case: Case, role: Role) -> Perm {
    let manager_team = role == Role::SalesManager;
    match cell {
        Cell::None => Perm::None,
        Cell::All(p) => p,
        Cell::Own(p) => match case {
            Case::Own | Case::OwnCustomer => p,
            _ => Perm::None,
        },
        Cell::OwnOrPool(p) => match case {
            Case::Own | Case::OwnCustomer | Case::Pool => p,
            _ => Perm::None,
        },
        Cell::Team(p) => match case {
            Case::Own | Case::OwnCustomer => p,
            Case::Team if manager_team => p,
            _ => Perm::None,
        },
        Cell::OwnCustomers(p) => match case {
            Case::OwnCustomer => p,
            _ => Perm::None,
        },
    }
}

/// ARCHITECTURE.md §3, one row per role: leads, opportunities, money, customers, contacts, pii, activities, service.
fn row(role: Role) -> [Cell; 8] {
    use Cell::*;
    use Perm::{Read as R, Write as W};
    match role {
        Role::Admin => [All(W), All(W), All(W), All(W), All(W), All(W), All(W), All(W)],
        Role::SalesManager => [Team(W), Team(W), Team(W), Team(W), Team(W), Team(W), Team(W), Team(W)],
        Role::SalesRep => [OwnOrPool(W), Own(W), Own(W), Own(W), Own(W), Own(W), Own(W), Own(W)],
        Role::AccountManager => [None, OwnCustomers(R), Own(W), Own(W), Own(W), Own(W), Own(W), Own(W)],
        Role::Marketing => [All(W), All(R), None, All(R), None, None, None, None],
        Role::AfterSales => [None, None, None, All(R), All(R), All(R), All(W), All(W)],
        Role::Analyst => [All(R), All(R), All(R), All(R), None, None, All(R), All(R)],
    }
}

fn expected(role: Role, kind: RecordKind, case: Case) -> Access {
    let [leads, opps, money, customers, contacts, pii, activities, service] = row(role);
    let base_cell = match kind {
        RecordKind::Lead => leads,
        RecordKind::Opportunity => opps,
        RecordKind::Customer => customers,
        RecordKind::Contact => contacts,
        RecordKind::Activity => activities,
    };
    let base = reaches(base_cell, case, role);
    if base == Perm::None {
        return Access::NONE;
    }
    let group = |g: FieldGroup, cell: Cell| {
        if companion_groups(kind).contains(&g) {
            reaches(cell, case, role)
        } else {
            Perm::None
        }
    };
    let mut money = group(FieldGroup::Money, money);
    // Only who may write a deal writes its amount.
    if kind == RecordKind::Opportunity && base == Perm::Read {
        money = money.min(Perm::Read);
    }
    Access { base, money, pii: group(FieldGroup::Pii, pii), service: group(FieldGroup::Service, service) }
}

#[test]
fn every_cell_of_the_table() {
    let dir = company();
    let mut checked = 0;
    for role in Role::ALL {
        let user = user_for(role);
        assert_eq!(dir.user(&u(user)).unwrap().role, role);
        for kind in RecordKind::ALL {
            for case in CASES {
                // Leads and customers have no linked customer.
                if case == Case::OwnCustomer && matches!(kind, RecordKind::Lead | RecordKind::Customer) {
                    continue;
                }
                let got = access(&u(user), &dir, &meta_for(kind, case, user));
                assert_eq!(got, expected(role, kind, case), "{role:?} on {kind:?} ({case:?})");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 7 * (5 * 5 - 2));
}

#[test]
fn groups_a_kind_does_not_have_are_never_granted() {
    let dir = company();
    let a = access(&u("admin"), &dir, &meta(RecordKind::Activity, Some("admin"), None));
    assert_eq!((a.money, a.pii, a.service), (Perm::None, Perm::None, Perm::None));
    let a = access(&u("admin"), &dir, &meta(RecordKind::Lead, None, None));
    assert_eq!((a.money, a.pii, a.service), (Perm::None, Perm::Write, Perm::None));
}

#[test]
fn nested_teams_reach_down_not_sideways_or_up() {
    let mut dir = company();
    let opp = |owner: &str| meta(RecordKind::Opportunity, Some(owner), None);
    assert!(access(&u("manager"), &dir, &opp("rep2")).base.can_write(), "east-1 is below east");
    assert_eq!(access(&u("manager2"), &dir, &opp("rep2")), Access::NONE, "west does not reach east-1");
    assert_eq!(access(&u("manager"), &dir, &opp("manager2")), Access::NONE);
    // A third level: east-1-a below east-1.
    dir.teams.push(crate::domain::Team {
        id: TeamId::new("east-1-a"),
        name: "a".into(),
        manager: None,
        parent: Some(TeamId::new("east-1")),
    });
    dir.users.iter_mut().find(|x| x.id == u("rep3")).unwrap().team = Some(TeamId::new("east-1-a"));
    assert!(access(&u("manager"), &dir, &opp("rep3")).base.can_write());
    assert_eq!(access(&u("manager2"), &dir, &opp("rep3")), Access::NONE);
    // Cycles in the team tree do not hang.
    dir.teams.iter_mut().find(|t| t.id == TeamId::new("east")).unwrap().parent = Some(TeamId::new("east-1-a"));
    assert!(access(&u("manager"), &dir, &opp("rep3")).base.can_write());
}

#[test]
fn disabled_and_unknown_users_get_nothing() {
    let dir = company();
    for kind in RecordKind::ALL {
        assert_eq!(access(&u("gone"), &dir, &meta(kind, Some("gone"), None)), Access::NONE);
        assert_eq!(access(&u("nobody"), &dir, &meta(kind, None, None)), Access::NONE);
    }
    // Records a disabled rep owned are still the manager's team's.
    assert!(access(&u("manager"), &dir, &meta(RecordKind::Opportunity, Some("gone"), None)).base.can_write());
}

#[test]
fn reassignment_moves_access_with_the_owner() {
    let dir = company();
    let before = meta(RecordKind::Opportunity, Some("rep1"), None);
    let after = meta(RecordKind::Opportunity, Some("rep3"), None);
    assert!(may_assign(&u("admin"), &dir, RecordKind::Opportunity, Some(&u("rep1")), Some(&u("rep3")), false));
    assert!(access(&u("rep1"), &dir, &before).money.can_write());
    assert_eq!(access(&u("rep1"), &dir, &after), Access::NONE, "the old owner loses the deal and its money");
    assert!(access(&u("rep3"), &dir, &after).money.can_write());
    assert!(access(&u("manager"), &dir, &before).base.can_write());
    assert_eq!(access(&u("manager"), &dir, &after), Access::NONE);
    assert!(access(&u("manager2"), &dir, &after).base.can_write());
}

#[test]
fn assigning_follows_role_and_team() {
    let dir = company();
    let k = RecordKind::Lead;
    let (rep1, rep2, rep3) = (u("rep1"), u("rep2"), u("rep3"));
    // Reps: create for themselves, claim from the pool, nothing else.
    assert!(may_assign(&rep1, &dir, k, None, Some(&rep1), true));
    assert!(may_assign(&rep1, &dir, k, None, Some(&rep1), false));
    assert!(!may_assign(&rep1, &dir, k, None, Some(&rep2), false));
    assert!(!may_assign(&rep1, &dir, k, Some(&rep1), Some(&rep2), false));
    assert!(!may_assign(&rep1, &dir, RecordKind::Opportunity, None, Some(&rep1), false));
    // Whoever may write the pool may add an unassigned lead to it; not an unassigned opportunity.
    assert!(may_assign(&rep1, &dir, k, None, None, true));
    assert!(may_assign(&u("marketing"), &dir, k, None, None, true));
    assert!(!may_assign(&rep1, &dir, RecordKind::Opportunity, None, None, true));
    assert!(!may_assign(&u("analyst"), &dir, k, None, None, true));
    // Managers: within their (nested) team, and back to the pool for leads.
    let m = u("manager");
    assert!(may_assign(&m, &dir, k, Some(&rep1), Some(&rep2), false));
    assert!(may_assign(&m, &dir, k, Some(&rep1), None, false));
    assert!(!may_assign(&m, &dir, k, Some(&rep1), Some(&rep3), false));
    assert!(!may_assign(&m, &dir, k, Some(&rep3), Some(&rep1), false));
    assert!(!may_assign(&m, &dir, RecordKind::Opportunity, Some(&rep1), None, false));
    // Nobody assigns to a disabled or unknown user; unchanged owners are always fine.
    assert!(!may_assign(&u("admin"), &dir, k, None, Some(&u("gone")), false));
    assert!(!may_assign(&u("admin"), &dir, k, None, Some(&u("nobody")), false));
    assert!(may_assign(&rep1, &dir, k, Some(&rep2), Some(&rep2), false));
    assert!(!may_write_directory(&m, &dir) && may_write_directory(&u("admin"), &dir));
}

/// Implicit read of a deal's customer: the readers of any linked record read the customer's main
/// document, nothing more.
#[test]
fn readers_of_a_linked_record_read_the_customer_base_only() {
    let dir = company();
    let linked = |kind, owner: &str| LinkedRecord { kind, owner: Some(u(owner)) };
    // accountmgr maintains the customer; rep1 owns a deal of it.
    let mut customer = meta(RecordKind::Customer, Some("accountmgr"), None);
    assert!(!access(&u("rep1"), &dir, &customer).visible());
    customer.linked = vec![linked(RecordKind::Opportunity, "rep1")];
    let read_only = Access { base: Perm::Read, ..Access::NONE };
    assert_eq!(access(&u("rep1"), &dir, &customer), read_only);
    // rep1's manager reads rep1's deals, so the customer too; rep2 and rep3 do not (until a deal is theirs).
    assert_eq!(access(&u("manager"), &dir, &customer), read_only);
    assert!(!access(&u("rep2"), &dir, &customer).visible());
    assert!(!access(&u("rep3"), &dir, &customer).visible());
    customer.linked.push(linked(RecordKind::Opportunity, "rep2"));
    assert_eq!(access(&u("rep2"), &dir, &customer), read_only);
    // Direct access is unchanged (the maintainer writes, after-sales reads its service group).
    assert!(access(&u("accountmgr"), &dir, &customer).base.can_write());
    assert!(access(&u("aftersales"), &dir, &customer).service.can_read());
    // Contacts and activities count too; a disabled user gets nothing.
    let mut other = meta(RecordKind::Customer, Some("rep3"), None);
    other.linked = vec![linked(RecordKind::Activity, "rep1")];
    assert_eq!(access(&u("rep1"), &dir, &other), read_only);
    other.linked = vec![linked(RecordKind::Contact, "gone")];
    assert!(!access(&u("gone"), &dir, &other).visible());
    // Only customers are read through links.
    let mut lead = meta(RecordKind::Lead, Some("rep3"), None);
    lead.linked = vec![linked(RecordKind::Opportunity, "rep1")];
    assert!(!access(&u("rep1"), &dir, &lead).visible());
}
