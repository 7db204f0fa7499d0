use super::*;
use crate::domain::testkit::{company, meta, u};

#[test]
fn ids_are_plain_login_names() {
    for ok in ["rep1", "a", "li.wei", "east-1", "x_y"] {
        assert!(valid_id(ok), "{ok}");
    }
    for bad in ["", "Rep1", "-rep", "li wei", "王", &"a".repeat(65)] {
        assert!(!valid_id(bad), "{bad}");
    }
}

#[test]
fn a_pasted_roster_becomes_people() {
    let dir = company();
    let text = "id,name,role,team\n\nrep10, 李雷 Li Lei, sales_rep, east\nrep11\tHan Meimei\tSales Rep\twest\nan1, Ann, analyst\n";
    let people = parse_roster(text, &dir).unwrap();
    assert_eq!(
        people,
        [
            RosterEntry {
                id: u("rep10"),
                name: "李雷 Li Lei".into(),
                role: Role::SalesRep,
                team: Some(TeamId::new("east"))
            },
            RosterEntry {
                id: u("rep11"),
                name: "Han Meimei".into(),
                role: Role::SalesRep,
                team: Some(TeamId::new("west"))
            },
            RosterEntry { id: u("an1"), name: "Ann".into(), role: Role::Analyst, team: None },
        ]
    );
    // Ids are folded to lower case, as logins are.
    assert_eq!(parse_roster("Rep12, R, rep", &dir).unwrap()[0].id, u("rep12"));
}

#[test]
fn every_bad_line_is_named_and_nothing_is_half_accepted() {
    let dir = company();
    let text = "rep10, Ok, sales_rep, east\nrep1, Taken, sales_rep\nrep10, Twice, sales_rep\nx y, Bad id, analyst\n\
                rep12, , emperor, nowhere\njust-one-column\n";
    let errors = parse_roster(text, &dir).unwrap_err();
    let got: Vec<_> = errors.iter().map(|e| (e.line, e.column())).collect();
    assert_eq!(got, [(2, "id"), (3, "id"), (4, "id"), (5, "name"), (5, "role"), (5, "team"), (6, "line")]);
    assert_eq!(errors[0].problem, RosterProblem::IdTaken("rep1".into()));
    assert_eq!(errors[1].problem, RosterProblem::IdTwice("rep10".into()));
    assert_eq!(errors[6].problem, RosterProblem::Columns(1));
    assert!(errors[4].to_string().contains("sales_rep"), "the message lists the roles: {}", errors[4]);
    assert_eq!(errors[0].to_string(), "line 2, id: \"rep1\" exists already");
}

fn deals() -> Vec<RecordMeta> {
    let mut out = Vec::new();
    for (owner, n) in [("rep1", 2), ("rep2", 3), ("rep3", 1)] {
        out.extend((0..n).map(|_| meta(RecordKind::Opportunity, Some(owner), None)));
    }
    out.push(meta(RecordKind::Lead, None, None));
    out
}

fn change(user: &str, kind: RecordKind, group: Option<FieldGroup>, gained: usize, lost: usize) -> AccessChange {
    AccessChange { user: u(user), seen: Seen { kind, group }, gained, lost }
}

#[test]
fn moving_a_rep_to_another_team_moves_their_deals_between_managers() {
    let before = company();
    let mut after = before.clone();
    after.users.iter_mut().find(|x| x.id == u("rep2")).unwrap().team = Some(TeamId::new("west"));
    let opp = RecordKind::Opportunity;
    let money = Some(FieldGroup::Money);
    assert_eq!(
        access_effect(&before, &after, &deals()),
        [
            change("manager", opp, None, 0, 3),
            change("manager", opp, money, 0, 3),
            change("manager2", opp, None, 3, 0),
            change("manager2", opp, money, 3, 0),
        ]
    );
}

#[test]
fn a_new_manager_gains_their_team_and_a_disabled_user_loses_everything() {
    let before = company();
    let mut after = before.clone();
    after.users.iter_mut().find(|x| x.id == u("rep1")).unwrap().role = Role::SalesManager;
    after.teams.iter_mut().find(|t| t.id == TeamId::new("west")).unwrap().manager = Some(u("rep1"));
    after.users.iter_mut().find(|x| x.id == u("rep3")).unwrap().disabled = true;
    let effect = access_effect(&before, &after, &deals());
    let opp = RecordKind::Opportunity;
    // rep1 now manages west: rep3's deal (and its money); manager2 no longer manages west.
    assert!(effect.contains(&change("rep1", opp, None, 1, 0)), "{effect:?}");
    assert!(effect.contains(&change("manager2", opp, None, 0, 1)), "{effect:?}");
    assert!(effect.contains(&change("rep3", opp, None, 0, 1)), "{effect:?}");
    assert!(effect.contains(&change("rep3", RecordKind::Lead, None, 0, 1)), "the pool lead: {effect:?}");
    assert!(effect.iter().all(|c| c.user != u("admin")), "admins see all either way");
}

#[test]
fn no_change_no_effect() {
    let dir = company();
    assert!(access_effect(&dir, &dir, &deals()).is_empty());
    assert!(access_effect(&dir, &dir, &[]).is_empty());
}
