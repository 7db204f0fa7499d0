//! Shared test fixture, and the import of the real sample files in `/work/shared/data`.

use std::collections::BTreeMap;

use super::*;
use crate::domain::{Role, Team, TeamId, User};

/// A demo-like company: team east (manager; rep1, rep2), team west (rep3), marketing, analyst, admin.
pub(super) struct Fixture {
    pub dir: Directory,
    pub now: Timestamp,
    pub customers: Vec<ExistingCustomer>,
    pub numbers: Vec<String>,
}

pub(super) fn fixture() -> Fixture {
    let mut dir = Directory::new();
    dir.teams = vec![
        Team { id: TeamId::new("east"), name: "East".into(), manager: Some(UserId::new("manager")), parent: None },
        Team { id: TeamId::new("west"), name: "West".into(), manager: None, parent: None },
    ];
    let people = [
        ("admin", "Admin", Role::Admin, None),
        ("manager", "李娜 Li Na", Role::SalesManager, Some("east")),
        ("rep1", "张伟 Zhang Wei", Role::SalesRep, Some("east")),
        ("rep2", "王芳 Wang Fang", Role::SalesRep, Some("east")),
        ("rep3", "陈杰 Chen Jie", Role::SalesRep, Some("west")),
        ("marketing", "赵敏 Zhao Min", Role::Marketing, None),
        ("analyst", "周婷 Zhou Ting", Role::Analyst, None),
    ];
    dir.users = people
        .into_iter()
        .map(|(id, name, role, team)| User {
            id: UserId::new(id),
            name: name.into(),
            role,
            team: team.map(TeamId::new),
            disabled: false,
        })
        .collect();
    Fixture { dir, now: Timestamp::parse("now", "2026-06-01").unwrap(), customers: Vec::new(), numbers: Vec::new() }
}

/// Plans `csv` as `importer`, with ids 1, 2, 3, ...
pub(super) fn plan_with(
    f: &Fixture,
    csv: &str,
    kind: RecordKind,
    format: Format,
    importer: &str,
    owners: &BTreeMap<String, UserId>,
    unknown_owner: UnknownOwner,
) -> Result<ImportPlan, ImportError> {
    plan_bytes(f, csv.as_bytes(), kind, format, importer, owners, unknown_owner)
}

fn plan_bytes(
    f: &Fixture,
    csv: &[u8],
    kind: RecordKind,
    format: Format,
    importer: &str,
    owners: &BTreeMap<String, UserId>,
    unknown_owner: UnknownOwner,
) -> Result<ImportPlan, ImportError> {
    let importer = UserId::new(importer);
    let req = ImportRequest {
        kind,
        format,
        dir: &f.dir,
        importer: &importer,
        now: f.now,
        owners,
        unknown_owner,
        currency: None,
        customers: &f.customers,
        numbers: &f.numbers,
    };
    let mut n: u64 = 0;
    let mut ids = move || {
        n += 1;
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&n.to_be_bytes());
        DocId::from_bytes(b)
    };
    plan(csv, &req, &mut ids)
}

#[test]
fn request_errors_are_typed() {
    let f = fixture();
    let none = BTreeMap::new();
    let e = plan_with(&f, "a\n1\n", RecordKind::Lead, Format::Maven, "admin", &none, UnknownOwner::Reject).unwrap_err();
    assert_eq!(e.to_string(), "the maven format imports opportunities, not leads");
    let e = plan_with(&f, "name\nx\n", RecordKind::Customer, Format::Generic, "admin", &none, UnknownOwner::Pool)
        .unwrap_err();
    assert_eq!(e.to_string(), "unknown_owner: only leads can be left unassigned (pool)");
    let bad: BTreeMap<String, UserId> = [("Someone".to_string(), UserId::new("ghost"))].into_iter().collect();
    let e =
        plan_with(&f, "name\nx\n", RecordKind::Lead, Format::Generic, "admin", &bad, UnknownOwner::Reject).unwrap_err();
    assert_eq!(e.to_string(), "owners: \"Someone\" maps to UserId(\"ghost\"), not a user");
    let e = plan_with(
        &f,
        "opportunity_id,product\nA,B\n",
        RecordKind::Opportunity,
        Format::Maven,
        "admin",
        &none,
        UnknownOwner::Reject,
    )
    .unwrap_err();
    assert!(e.to_string().starts_with("missing column(s) sales_agent, account, deal_stage"), "{e}");
}

#[test]
fn the_plan_is_deterministic() {
    let f = fixture();
    let none = BTreeMap::new();
    let csv = "name,customer,expected_amount\nA,Acme,10\nB,Acme,20\n";
    let a = plan_with(&f, csv, RecordKind::Opportunity, Format::Generic, "rep1", &none, UnknownOwner::Reject).unwrap();
    let b = plan_with(&f, csv, RecordKind::Opportunity, Format::Generic, "rep1", &none, UnknownOwner::Reject).unwrap();
    assert_eq!(a, b);
    let saves = |p: &ImportPlan| p.documents().unwrap().into_iter().map(|(id, d)| (id, d.save())).collect::<Vec<_>>();
    assert_eq!(saves(&a), saves(&b));
}

fn sample(path: &str) -> Option<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data");
    if !dir.is_dir() {
        println!("note: {} is absent; skipping the sample-file import test", dir.display());
        return None;
    }
    Some(std::fs::read(dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}")))
}

/// The real files: every row of the Maven pipeline maps once its agents are mapped (accounts become 85
/// customers); unmapped agents reject exactly their rows; the datablist leads import with warnings for
/// phone extensions only.
#[test]
fn imports_the_sample_files() {
    let Some(pipeline) = sample("maven-crm/sales_pipeline.csv") else { return };
    let Some(teams) = sample("maven-crm/sales_teams.csv") else { return };
    let f = fixture();
    // Map every agent to rep1, except those of one regional office.
    let mut owners = BTreeMap::new();
    let mut west_agents = 0;
    for line in String::from_utf8(teams).unwrap().lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        if cols[2].trim() == "West" {
            west_agents += 1;
        } else {
            owners.insert(cols[0].to_string(), UserId::new("rep1"));
        }
    }
    assert!(west_agents > 0);
    let plan =
        plan_bytes(&f, &pipeline, RecordKind::Opportunity, Format::Maven, "manager", &owners, UnknownOwner::Reject)
            .unwrap();
    assert_eq!(plan.rows, 8800);
    assert!(!plan.rejected.is_empty());
    assert!(plan.rejected.iter().all(|e| e.column.as_deref() == Some("sales_agent")), "{:?}", &plan.rejected[..3]);
    assert_eq!(plan.count(RecordKind::Opportunity) + plan.rejected_rows(), 8800);

    // With every agent known, all 8,800 rows import, with one customer per distinct account.
    let plan =
        plan_bytes(&f, &pipeline, RecordKind::Opportunity, Format::Maven, "admin", &owners, UnknownOwner::Importer)
            .unwrap();
    assert!(plan.is_clean(), "{:?}", &plan.rejected[..plan.rejected.len().min(3)]);
    assert_eq!(plan.count(RecordKind::Opportunity), 8800);
    assert_eq!(plan.count(RecordKind::Customer), 85);
    let won = plan
        .records
        .iter()
        .filter(
            |r| matches!(&r.record, NewRecord::Opportunity(o, _) if o.status == crate::domain::OpportunityStatus::Won),
        )
        .count();
    assert_eq!(won, 4238);

    let Some(leads) = sample("datablist/leads-100.csv") else { return };
    let plan =
        plan_bytes(&f, &leads, RecordKind::Lead, Format::Datablist, "admin", &BTreeMap::new(), UnknownOwner::Pool)
            .unwrap();
    assert!(plan.is_clean(), "{:?}", plan.rejected);
    assert_eq!(plan.count(RecordKind::Lead), 100);
    assert!(plan.warnings.iter().all(|w| w.reason.starts_with("extension")), "{:?}", plan.warnings);
    assert!(plan.records.iter().all(|r| matches!(&r.record, NewRecord::Lead(_, pii) if !pii.email.is_empty())));
    assert_eq!(plan.documents().unwrap().len(), 200);
}
