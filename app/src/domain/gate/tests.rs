use super::*;
use crate::domain::docs::{init_companion, init_record, read_companion, read_record, write_companion, write_record};
use crate::domain::testkit::{company, meta, u};
use crate::domain::{Companion, Lead, Money, Opportunity, OpportunityMoney, Record, StageId, Timestamp};
use automerge::{transaction::Transactable, AutoCommit};

const NOW: Timestamp = Timestamp(1_767_225_600_000); // 2026-01-01

fn rid() -> DocId {
    DocId::from_bytes([3; 16])
}

fn main_role() -> DocRole {
    DocRole::Main { customer_owner: None }
}

fn lead(owner: Option<&str>, by: &str) -> Lead {
    Lead::new("Expo lead", owner.map(u), &u(by), NOW).unwrap()
}

fn opp(owner: &str) -> Opportunity {
    Opportunity::new("Deal", "OPP-2026-0001", &StageId::new("initial"), Some(u(owner)), &u(owner), NOW, &company())
        .unwrap()
}

fn created<R: Record>(r: &R) -> AutoCommit {
    let mut d = AutoCommit::new();
    init_record(&mut d, r).unwrap();
    d
}

fn edited<R: Record>(before: &mut AutoCommit, f: impl FnOnce(&mut R)) -> AutoCommit {
    let mut after = before.fork();
    let mut r: R = read_record(&after).unwrap();
    f(&mut r);
    write_record(&mut after, &r).unwrap();
    after
}

fn check_new(user: &str, role: &DocRole, after: &AutoCommit) -> Result<(), DomainError> {
    check_write::<AutoCommit>(&u(user), &company(), &rid(), role, None, after)
}

fn check(user: &str, role: &DocRole, before: &AutoCommit, after: &AutoCommit) -> Result<(), DomainError> {
    check_write(&u(user), &company(), &rid(), role, Some(before), after)
}

fn refused_at(r: Result<(), DomainError>, want: &str) {
    match r {
        Err(DomainError::Refused { path, .. }) if path == want => {}
        other => panic!("expected a refusal at {want:?}, got {other:?}"),
    }
}

#[test]
fn creating_records_needs_an_owner_the_writer_may_assign() {
    check_new("rep1", &main_role(), &created(&lead(Some("rep1"), "rep1"))).unwrap();
    refused_at(check_new("rep1", &main_role(), &created(&lead(Some("rep2"), "rep1"))), "owner");
    // Managers create for their team (nested teams included), not for other teams.
    check_new("manager", &main_role(), &created(&lead(Some("rep2"), "manager"))).unwrap();
    refused_at(check_new("manager", &main_role(), &created(&lead(Some("rep3"), "manager"))), "owner");
    // The lead pool: whoever may write leads may add unassigned ones; other kinds need an owner.
    check_new("marketing", &main_role(), &created(&lead(None, "marketing"))).unwrap();
    refused_at(check_new("aftersales", &main_role(), &created(&lead(None, "aftersales"))), "owner");
    let mut o = opp("rep1");
    o.owner = None;
    refused_at(check_new("rep1", &main_role(), &created(&o)), "owner");
    // Nobody creates for a disabled user; a disabled user writes nothing.
    refused_at(check_new("manager", &main_role(), &created(&lead(Some("gone"), "manager"))), "owner");
    refused_at(check_new("gone", &main_role(), &created(&lead(Some("gone"), "gone"))), "");
}

#[test]
fn creating_checks_header_and_schema() {
    refused_at(check_new("rep1", &main_role(), &created(&lead(Some("rep1"), "rep2"))), "created_by");
    let mut d = created(&lead(Some("rep1"), "rep1"));
    d.put(automerge::ROOT, "schema", 2_u64).unwrap();
    d.commit();
    refused_at(check_new("rep1", &main_role(), &d), "schema");
    let mut l = lead(Some("rep1"), "rep1");
    l.name = " ".into();
    refused_at(check_new("rep1", &main_role(), &created(&l)), "name");
    let mut o = opp("rep1");
    o.stage = StageId::new("bogus");
    refused_at(check_new("rep1", &main_role(), &created(&o)), "stage");
    let mut d = AutoCommit::new();
    d.put(automerge::ROOT, "hello", "world").unwrap();
    refused_at(check_new("rep1", &main_role(), &d), "kind");
    // Unknown keys are refused: a phone written into a lead's main document would leak its pii group.
    let mut d = created(&lead(Some("rep1"), "rep1"));
    d.put(automerge::ROOT, "phone", "13800138000").unwrap();
    d.commit();
    refused_at(check_new("rep1", &main_role(), &d), "phone");
}

#[test]
fn editing_needs_write_access_on_the_state_before() {
    let mut before = created(&opp("rep1"));
    let after = edited(&mut before, |o: &mut Opportunity| o.name = "Bigger deal".into());
    check("rep1", &main_role(), &before, &after).unwrap();
    check("manager", &main_role(), &before, &after).unwrap();
    check("admin", &main_role(), &before, &after).unwrap();
    refused_at(check("rep2", &main_role(), &before, &after), "");
    refused_at(check("manager2", &main_role(), &before, &after), "");
    // Marketing and analysts read opportunities but may not move a stage.
    let moved = edited(&mut before, |o: &mut Opportunity| o.stage = StageId::new("needs"));
    refused_at(check("marketing", &main_role(), &before, &moved), "");
    refused_at(check("analyst", &main_role(), &before, &moved), "");
    // Account managers read opportunities of customers they maintain, never write them.
    let am = DocRole::Main { customer_owner: Some(u("accountmgr")) };
    refused_at(check("accountmgr", &am, &before, &moved), "");
    // No change at all is always fine (a reader's sync message carrying nothing new).
    check("analyst", &main_role(), &before, &before.clone()).unwrap();
}

#[test]
fn after_state_must_validate() {
    let mut before = created(&opp("rep1"));
    let after = edited(&mut before, |o: &mut Opportunity| o.stage = StageId::new("nowhere"));
    refused_at(check("rep1", &main_role(), &before, &after), "stage");
    let after = edited(&mut before, |o: &mut Opportunity| o.expected_close = Some(NOW.plus_days(-3)));
    refused_at(check("rep1", &main_role(), &before, &after), "expected_close");
}

#[test]
fn owner_changes_only_through_may_assign() {
    let mut own = created(&lead(Some("rep1"), "rep1"));
    let give_away = edited(&mut own, |l: &mut Lead| l.owner = Some(u("rep2")));
    refused_at(check("rep1", &main_role(), &own, &give_away), "owner");
    // Claiming from the pool: to oneself only.
    let mut pool = created(&lead(None, "marketing"));
    let claim = edited(&mut pool, |l: &mut Lead| l.owner = Some(u("rep1")));
    check("rep1", &main_role(), &pool, &claim).unwrap();
    refused_at(check("rep3", &main_role(), &pool, &claim), "owner");
    // Marketing writes leads but does not assign them.
    refused_at(check("marketing", &main_role(), &pool, &claim), "owner");
    // A manager reassigns within the team (nested included), not outside it.
    let mut o = created(&opp("rep1"));
    let to_rep2 = edited(&mut o, |o: &mut Opportunity| o.owner = Some(u("rep2")));
    check("manager", &main_role(), &o, &to_rep2).unwrap();
    let to_rep3 = edited(&mut o, |o: &mut Opportunity| o.owner = Some(u("rep3")));
    refused_at(check("manager", &main_role(), &o, &to_rep3), "owner");
    check("admin", &main_role(), &o, &to_rep3).unwrap();
}

#[test]
fn immutable_keys_never_change() {
    let mut before = created(&lead(Some("rep1"), "rep1"));
    for (key, value) in [
        ("kind", automerge::ScalarValue::from("customer")),
        ("schema", 2_u64.into()),
        ("created_at", 1_i64.into()),
        ("created_by", "rep2".into()),
        ("record", "x".into()),
    ] {
        let mut after = before.fork();
        after.put(automerge::ROOT, key, value).unwrap();
        after.commit();
        refused_at(check("rep1", &main_role(), &before, &after), key);
    }
}

fn money_doc(record: &DocId, by: &str, m: &OpportunityMoney) -> AutoCommit {
    let mut d = AutoCommit::new();
    init_companion(&mut d, record, NOW, &u(by), m).unwrap();
    d
}

#[test]
fn companions_need_group_write_and_must_match_their_record() {
    let record = rid();
    let id = record.companion(OpportunityMoney::GROUP);
    let m = meta(crate::domain::RecordKind::Opportunity, Some("rep1"), None);
    let role = DocRole::Companion { record: record.clone(), meta: m.clone(), pii_erased: false };
    let money = OpportunityMoney {
        expected_amount: Some(Money::new(10_000, "CNY").unwrap()),
        win_probability: 10,
        quotes: vec![],
    };
    let dir = company();
    let new = money_doc(&record, "rep1", &money);
    check_write::<AutoCommit>(&u("rep1"), &dir, &id, &role, None, &new).unwrap();
    check_write::<AutoCommit>(&u("manager"), &dir, &id, &role, None, &money_doc(&record, "manager", &money)).unwrap();
    // Marketing reads the opportunity but never its money; analysts read money but do not write it.
    for who in ["marketing", "analyst", "rep2", "accountmgr"] {
        let r = check_write::<AutoCommit>(&u(who), &dir, &id, &role, None, &money_doc(&record, who, &money));
        refused_at(r, "money");
    }
    // The companion's id must be derived from its record and group.
    let other = DocId::from_bytes([4; 16]);
    refused_at(check_write::<AutoCommit>(&u("rep1"), &dir, &other, &role, None, &new), "record");
    let wrong_record = money_doc(&other, "rep1", &money);
    refused_at(check_write::<AutoCommit>(&u("rep1"), &dir, &id, &role, None, &wrong_record), "record");
    // The record kind must match the record's.
    let lead_role = DocRole::Companion {
        record: record.clone(),
        meta: meta(crate::domain::RecordKind::Lead, Some("rep1"), None),
        pii_erased: false,
    };
    refused_at(check_write::<AutoCommit>(&u("rep1"), &dir, &id, &lead_role, None, &new), "record_kind");
    // Edits: validated, immutable link.
    let mut before = new;
    let mut neg = before.fork();
    let mut v: OpportunityMoney = read_companion(&neg).unwrap();
    v.expected_amount = Some(Money { amount_minor: -1, currency: "CNY".into() });
    write_companion(&mut neg, &v).unwrap();
    refused_at(check_write(&u("rep1"), &dir, &id, &role, Some(&before), &neg), "expected_amount.amount_minor");
    let mut ok = before.fork();
    v.expected_amount = Some(Money::new(20_000, "CNY").unwrap());
    write_companion(&mut ok, &v).unwrap();
    check_write(&u("rep1"), &dir, &id, &role, Some(&before), &ok).unwrap();
    let mut relink = before.fork();
    relink.put(automerge::ROOT, "record", other.as_str()).unwrap();
    relink.commit();
    refused_at(check_write(&u("rep1"), &dir, &id, &role, Some(&before), &relink), "record");
}

fn directory_doc(dir: &Directory) -> AutoCommit {
    let mut d = AutoCommit::new();
    autosurgeon::reconcile(&mut d, dir).unwrap();
    d.put(automerge::ROOT, "kind", "directory").unwrap();
    d.put(automerge::ROOT, "schema", 1_u64).unwrap();
    d.put(automerge::ROOT, "created_at", 0_i64).unwrap();
    d.put(automerge::ROOT, "created_by", "admin").unwrap();
    d.commit();
    d
}

#[test]
fn directory_is_written_only_by_admins_and_stays_consistent() {
    let dir = company();
    let mut before = directory_doc(&dir);
    let edit = |before: &mut AutoCommit, f: &dyn Fn(&mut Directory)| {
        let mut after = before.fork();
        let mut d: Directory = autosurgeon::hydrate(&after).unwrap();
        f(&mut d);
        autosurgeon::reconcile(&mut after, &d).unwrap();
        after.commit();
        after
    };
    let renamed = edit(&mut before, &|d| d.stages[0].name_en = "First call".into());
    let id = DocId::from_bytes([9; 16]);
    let dir_role = DocRole::Directory { deals_per_stage: Default::default() };
    check_write(&u("admin"), &dir, &id, &dir_role, Some(&before), &renamed).unwrap();
    for who in ["manager", "rep1", "analyst"] {
        refused_at(check_write(&u(who), &dir, &id, &dir_role, Some(&before), &renamed), "");
    }
    let no_admin = edit(&mut before, &|d| d.users.retain(|u| u.role != Role::Admin));
    refused_at(check_write(&u("admin"), &dir, &id, &dir_role, Some(&before), &no_admin), "users");
    let dup = edit(&mut before, &|d| {
        let s = d.stages[0].clone();
        d.stages.push(s)
    });
    refused_at(check_write(&u("admin"), &dir, &id, &dir_role, Some(&before), &dup), "stages");
    // Removing a stage: fine while no deal is in it, refused (naming the stage) while deals are.
    let removed = edit(&mut before, &|d| d.stages.retain(|s| s.id.as_str() != "proposal"));
    check_write(&u("admin"), &dir, &id, &dir_role, Some(&before), &removed).unwrap();
    let in_use = DocRole::Directory { deals_per_stage: [(crate::domain::StageId::new("proposal"), 2)].into() };
    let e = check_write(&u("admin"), &dir, &id, &in_use, Some(&before), &removed).unwrap_err();
    assert_eq!(
        e,
        DomainError::refused(
            "stages",
            "stage \"Proposal / quote\" still has 2 deal(s): move them to another stage first"
        )
    );
    check_write(&u("admin"), &dir, &id, &in_use, Some(&before), &renamed).unwrap();
}

#[test]
fn index_documents_are_never_client_writable() {
    let mut d = AutoCommit::new();
    d.put(automerge::ROOT, "kind", "index").unwrap();
    for who in ["admin", "rep1"] {
        refused_at(check_write::<AutoCommit>(&u(who), &company(), &rid(), &DocRole::Index, None, &d), "");
    }
}

#[test]
fn validate_directory_accepts_the_fixture_and_names_problems() {
    validate_directory(&company()).unwrap();
    let mut d = company();
    d.users[2].team = Some(crate::domain::TeamId::new("nowhere"));
    assert_eq!(validate_directory(&d).unwrap_err().to_string(), "users.rep1.team: unknown team TeamId(\"nowhere\")");
    let mut d = company();
    d.stages.iter_mut().for_each(|s| s.won = false);
    assert!(validate_directory(&d).is_err());
}

mod fuzz {
    //! Random edits by random users: the gate never panics, and whatever it accepts is a valid record
    //! whose owner change the policy allows.
    use super::*;
    use crate::domain::docs::{read_meta, validate_record_doc};
    use automerge::ScalarValue;
    use proptest::prelude::*;

    const USERS: [&str; 9] = ["admin", "manager", "rep1", "rep2", "rep3", "accountmgr", "marketing", "analyst", "gone"];
    const KEYS: [&str; 12] = [
        "owner",
        "name",
        "stage",
        "status",
        "score",
        "kind",
        "created_by",
        "expected_close",
        "lost_reason",
        "closed_at",
        "notes",
        "custom",
    ];

    fn value() -> impl Strategy<Value = ScalarValue> {
        prop_oneof![
            Just(ScalarValue::Null),
            prop::sample::select(vec!["rep1", "rep2", "rep3", "won", "needs", "lost", "active", "", "x"])
                .prop_map(ScalarValue::from),
            (-5i64..200).prop_map(ScalarValue::Int),
            (0u64..200).prop_map(ScalarValue::Uint),
            any::<bool>().prop_map(ScalarValue::Boolean),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        #[test]
        fn gate_is_total_and_sound(
            user in prop::sample::select(USERS.to_vec()),
            owner in prop::sample::select(vec!["rep1", "rep2", "rep3"]),
            edits in prop::collection::vec((prop::sample::select(KEYS.to_vec()), value()), 1..4),
        ) {
            let dir = company();
            let mut before = created(&opp(owner));
            let mut after = before.fork();
            for (k, v) in &edits {
                after.put(automerge::ROOT, *k, v.clone()).unwrap();
            }
            after.commit();
            let role = main_role();
            let verdict = check_write(&u(user), &dir, &rid(), &role, Some(&before), &after);
            // Putting a value equal to the current one may write nothing: no change is always fine.
            let changed = before.get_heads() != after.get_heads();
            if verdict.is_ok() && changed {
                validate_record_doc(&after, &dir).unwrap();
                let (old, new) = (read_meta(&before).unwrap(), read_meta(&after).unwrap());
                prop_assert!(access(&u(user), &dir, &old).base.can_write());
                if old.owner != new.owner {
                    prop_assert!(may_assign(&u(user), &dir, old.kind, old.owner.as_ref(), new.owner.as_ref(), false));
                }
            } else if !changed {
                prop_assert!(verdict.is_ok());
            } else {
                let refused = matches!(verdict, Err(DomainError::Refused { .. }));
                prop_assert!(refused, "not a refusal: {:?}", verdict);
            }
        }
    }
}

#[test]
fn custom_fields_are_checked_for_what_a_change_touches() {
    use crate::domain::{CustomFieldDef, CustomFieldType, CustomValue, FieldId, RecordKind};
    let field = |id: &str, required: bool| CustomFieldDef {
        id: FieldId::new(id),
        kind: RecordKind::Opportunity,
        label: id.to_string(),
        field_type: CustomFieldType::Text,
        required,
    };
    let with = |defs: Vec<CustomFieldDef>| Directory { custom_fields: defs, ..company() };
    let at = |dir: &Directory, before: &AutoCommit, after: &AutoCommit| {
        check_write(&u("rep1"), dir, &rid(), &main_role(), Some(before), after)
    };
    let mut o = opp("rep1");
    o.custom.insert(FieldId::new("old"), CustomValue::Text("kept".into()));
    let mut before = created(&o);
    let rename = edited::<Opportunity>(&mut before, |r| r.name = "Deal, renamed".into());

    // The field `old` was removed since and `contract` was added as required: a rename still goes through.
    let now = with(vec![field("contract", true)]);
    at(&now, &before, &rename).unwrap();
    // A value the change sets must fit a defined field.
    let bad = edited::<Opportunity>(&mut before, |r| {
        r.custom.insert(FieldId::new("nope"), CustomValue::Text("x".into()));
    });
    refused_at(at(&now, &before, &bad), "custom.nope");
    let changed_old = edited::<Opportunity>(&mut before, |r| {
        r.custom.insert(FieldId::new("old"), CustomValue::Text("changed".into()));
    });
    refused_at(at(&now, &before, &changed_old), "custom.old");
    let wrong_type = edited::<Opportunity>(&mut before, |r| {
        r.custom.insert(FieldId::new("contract"), CustomValue::Number(7.0));
    });
    refused_at(at(&now, &before, &wrong_type), "custom.contract");
    let filled = edited::<Opportunity>(&mut before, |r| {
        r.custom.insert(FieldId::new("contract"), CustomValue::Text("C-7".into()));
    });
    at(&now, &before, &filled).unwrap();
    // Once filled, a required value may not be cleared.
    let mut before = filled;
    let cleared = edited::<Opportunity>(&mut before, |r| {
        r.custom.remove(&FieldId::new("contract"));
    });
    refused_at(at(&now, &before, &cleared), "custom.contract");
    // A new record must have every required field.
    refused_at(
        check_write::<AutoCommit>(&u("rep1"), &now, &rid(), &main_role(), None, &created(&opp("rep1"))),
        "custom.contract",
    );
}

fn contact(owner: &str) -> crate::domain::Contact {
    crate::domain::Contact::new("Ms Li", None, Some(u(owner)), &u(owner), NOW).unwrap()
}

#[test]
fn the_erasure_mark_is_set_by_admins_only_and_never_changes() {
    use crate::domain::ops::{mark_pii_erased, PiiErased};
    use crate::domain::Contact;
    let mut before = created(&contact("rep1"));
    // The owner (who writes the contact) and their manager may not set it; an admin naming themself may.
    for who in ["rep1", "manager"] {
        let after = edited(&mut before, |c: &mut Contact| mark_pii_erased(c, &u(who), NOW).unwrap());
        refused_at(check(who, &main_role(), &before, &after), "pii_erased");
    }
    let forged = edited(&mut before, |c: &mut Contact| mark_pii_erased(c, &u("manager"), NOW).unwrap());
    refused_at(check("admin", &main_role(), &before, &forged), "pii_erased");
    let mut erased = edited(&mut before, |c: &mut Contact| mark_pii_erased(c, &u("admin"), NOW).unwrap());
    check("admin", &main_role(), &before, &erased).unwrap();
    // Other edits keep it and pass; nobody (the admin included) changes or clears it.
    let renamed = edited(&mut erased, |c: &mut Contact| c.title = "CTO".into());
    check("rep1", &main_role(), &erased, &renamed).unwrap();
    for who in ["rep1", "manager", "admin"] {
        let cleared = edited(&mut erased, |c: &mut Contact| c.pii_erased = None);
        refused_at(check(who, &main_role(), &erased, &cleared), "pii_erased");
        let moved = edited(&mut erased, |c: &mut Contact| {
            c.pii_erased = Some(PiiErased { at: NOW.plus_days(1), by: u("admin") })
        });
        refused_at(check(who, &main_role(), &erased, &moved), "pii_erased");
    }
    // A raw write of the key by a stock client is judged the same way.
    let mut raw = erased.fork();
    raw.put(automerge::ROOT, "pii_erased", automerge::ScalarValue::Null).unwrap();
    raw.commit();
    refused_at(check("admin", &main_role(), &erased, &raw), "pii_erased");
    // A new record may not arrive marked by someone else.
    let mut c = contact("rep1");
    c.pii_erased = Some(PiiErased { at: NOW, by: u("rep1") });
    refused_at(check_new("rep1", &main_role(), &created(&c)), "pii_erased");
}

#[test]
fn an_erased_records_pii_is_never_written_again() {
    use crate::domain::ContactPii;
    let record = rid();
    let id = record.companion(crate::domain::FieldGroup::Pii);
    let m = meta(crate::domain::RecordKind::Contact, Some("rep1"), None);
    let live = DocRole::Companion { record: record.clone(), meta: m.clone(), pii_erased: false };
    let erased = DocRole::Companion { record: record.clone(), meta: m, pii_erased: true };
    let pii = ContactPii { phone: "+86 138 0000 0000".into(), email: String::new() };
    let mut doc = AutoCommit::new();
    init_companion(&mut doc, &record, NOW, &u("rep1"), &pii).unwrap();
    check_write::<AutoCommit>(&u("rep1"), &company(), &id, &live, None, &doc).unwrap();
    // Re-created (the same genesis a stock client would replay), edited, or written by an admin: refused.
    for who in ["rep1", "manager", "admin"] {
        refused_at(check_write::<AutoCommit>(&u(who), &company(), &id, &erased, None, &doc), "pii");
    }
    let mut edit = doc.fork();
    write_companion(&mut edit, &ContactPii { phone: String::new(), email: "li@example.com".into() }).unwrap();
    refused_at(check_write(&u("rep1"), &company(), &id, &erased, Some(&doc), &edit), "pii");
    // An empty companion (no values at all) is refused too: nothing of it comes back.
    let mut empty = AutoCommit::new();
    init_companion(&mut empty, &record, NOW, &u("admin"), &ContactPii::default()).unwrap();
    refused_at(check_write::<AutoCommit>(&u("admin"), &company(), &id, &erased, None, &empty), "pii");
}
