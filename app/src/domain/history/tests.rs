use std::collections::HashMap;

use automerge::{ActorId, AutoCommit, Automerge, ChangeHash};
use serde_json::json;

use super::*;
use crate::domain::docs::{init_companion, init_record, read_companion, read_record, write_companion_at, write_record};
use crate::domain::testkit::{company, meta, u};
use crate::domain::{access, Money, Opportunity, OpportunityMoney, RecordKind, RecordView, StageId};

const T0: i64 = 1_767_225_600_000; // 2026-01-01

fn at(minutes: i64) -> Timestamp {
    Timestamp::from_millis(T0 + minutes * 60_000)
}

fn actor(n: u8) -> AutoCommit {
    AutoCommit::new().with_actor(ActorId::from(vec![n; 16]))
}

fn id() -> DocId {
    DocId::from_bytes([7; 16])
}

use crate::domain::DocId;

/// A rep1 deal in `needs` with a money companion of 10,000.00 CNY, both written at minute 0.
fn deal() -> (AutoCommit, AutoCommit) {
    let dir = company();
    let o = Opportunity::new(
        "ERP rollout",
        "OPP-2026-0001",
        &StageId::new("needs"),
        Some(u("rep1")),
        &u("rep1"),
        at(0),
        &dir,
    )
    .unwrap();
    let mut main = actor(1);
    init_record(&mut main, &o).unwrap();
    let m = OpportunityMoney {
        expected_amount: Some(Money::new(1_000_000, "CNY").unwrap()),
        win_probability: 30,
        quotes: vec![],
    };
    let mut money = actor(1);
    init_companion(&mut money, &id(), at(0), &u("rep1"), &m).unwrap();
    (main, money)
}

fn edit_main(doc: &mut AutoCommit, when: Timestamp, f: impl FnOnce(&mut Opportunity)) -> ChangeHash {
    let mut o: Opportunity = read_record(doc).unwrap();
    f(&mut o);
    o.updated_at = when;
    write_record(doc, &o).unwrap();
    doc.get_heads()[0]
}

fn edit_money(doc: &mut AutoCommit, when: Timestamp, f: impl FnOnce(&mut OpportunityMoney)) -> ChangeHash {
    let mut m: OpportunityMoney = read_companion(doc).unwrap();
    f(&mut m);
    write_companion_at(doc, &m, when).unwrap();
    doc.get_heads()[0]
}

fn amount(minor: i64) -> Option<Money> {
    Some(Money::new(minor, "CNY").unwrap())
}

fn docs<'a>(main: &'a Automerge, money: &'a Automerge) -> Vec<(FieldGroup, &'a Automerge)> {
    vec![(FieldGroup::Base, main), (FieldGroup::Money, money)]
}

fn reader(user: &str) -> Access {
    access(&u(user), &company(), &meta(RecordKind::Opportunity, Some("rep1"), None))
}

fn value(e: &HistoryEntry, field: &str) -> (serde_json::Value, serde_json::Value) {
    match &e.fields.iter().find(|f| f.field == field).unwrap().diff {
        FieldDiff::Value { old, new } => (old.clone(), new.clone()),
        d => panic!("{field} is not a value change: {d:?}"),
    }
}

#[test]
fn field_diffs_across_companions_and_only_readable_groups() {
    let (mut main, mut money) = deal();
    edit_main(&mut main, at(5), |o| o.stage = StageId::new("proposal"));
    edit_money(&mut money, at(6), |m| m.expected_amount = amount(1_500_000));
    edit_main(&mut main, at(7), |o| o.notes.set("call back on Monday"));
    let (main, money) = (main.document().clone(), money.document().clone());

    let h = history(&docs(&main, &money), &ProvenanceMap::new(), &reader("rep1")).unwrap();
    // Creation, the money companion's first write, the stage move, the amount, the notes.
    assert!(h[0].created);
    assert_eq!(h[0].group, FieldGroup::Base);
    assert!(h.iter().all(|e| e.fields.iter().all(|f| f.field != "updated_at" && f.field != "kind")));
    let stage = h.iter().find(|e| e.fields.iter().any(|f| f.field == "stage") && !e.created).unwrap();
    assert_eq!(value(stage, "stage"), (json!("needs"), json!("proposal")));
    assert_eq!(stage.made_at, Some(at(5)));
    let money_entries: Vec<_> = h.iter().filter(|e| e.group == FieldGroup::Money).collect();
    assert_eq!(
        money_entries.len(),
        2,
        "the companion's first write and the amount; the shared genesis is not a change of anyone's"
    );
    let raised = money_entries.iter().find(|e| e.made_at == Some(at(6))).unwrap();
    assert_eq!(
        value(raised, "expected_amount"),
        (json!({"amount_minor": 1_000_000, "currency": "CNY"}), json!({"amount_minor": 1_500_000, "currency": "CNY"}))
    );
    let notes = h.iter().find(|e| e.made_at == Some(at(7))).unwrap();
    assert_eq!(notes.fields.len(), 1);
    let FieldDiff::Text { edits } = &notes.fields[0].diff else { panic!("notes are a text diff") };
    assert_eq!(edits, &vec![TextEdit { op: text::TextOp::Insert, text: "call back on Monday".into() }]);
    // Ordered by when they were made; the companion's first write (unstamped, unconfirmed) last.
    assert!(h.windows(2).all(|w| w[0].made_at <= w[1].made_at || w[1].made_at.is_none()));

    // Marketing reads deals but not money: no money entry at all, whatever documents are passed.
    let h = history(&docs(&main, &money), &ProvenanceMap::new(), &reader("marketing")).unwrap();
    assert!(!h.is_empty());
    assert!(h.iter().all(|e| e.group == FieldGroup::Base));
    assert!(!serde_json::to_string(&h).unwrap().contains("amount_minor"));
    // rep3 (another team) may not read the deal: nothing.
    assert!(history(&docs(&main, &money), &ProvenanceMap::new(), &reader("rep3")).unwrap().is_empty());
}

#[test]
fn provenance_is_joined_and_unconfirmed_changes_have_no_author() {
    let (mut main, mut money) = deal();
    let created = main.get_heads()[0];
    // An edit made offline at minute 10 that reached the relay at minute 50.
    let offline = edit_main(&mut main, at(10), |o| o.name = "ERP rollout, phase 2".into());
    let unsent = edit_main(&mut main, at(60), |o| o.name = "ERP phase 2".into());
    let mut prov = ProvenanceMap::new();
    prov.insert(created, Provenance { author: Author::User(u("rep1")), received_at: at(0) });
    prov.insert(offline, Provenance { author: Author::User(u("manager")), received_at: at(50) });
    let (main, money) = (main.document().clone(), money.document().clone());
    let mut h = history(&docs(&main, &money), &prov, &reader("manager")).unwrap();
    name_authors(&mut h, &company());
    let e = h.iter().find(|e| e.change == offline.to_string()).unwrap();
    assert_eq!(e.author, Some(Author::User(u("manager"))));
    assert_eq!(e.author_name.as_deref(), Some("manager"));
    assert_eq!((e.made_at, e.received_at), (Some(at(10)), Some(at(50))), "both when it was made and when it arrived");
    let e = h.iter().find(|e| e.change == unsent.to_string()).unwrap();
    assert_eq!((e.author.as_ref(), e.received_at), (None, None), "never a name guessed from the actor id");

    let by_manager = filter(h.clone(), None, Some(&u("manager")));
    assert_eq!(by_manager.len(), 1, "{by_manager:#?}");
    let names = filter(h.clone(), Some("name"), None);
    assert_eq!(names.len(), 3, "created, renamed offline, renamed unsent");
    assert!(names.iter().all(|e| e.fields.len() == 1 && e.fields[0].field == "name"));

    // Rows survive the wire form.
    let rows: Vec<ProvenanceEntry> =
        prov.iter().map(|(h, p)| ProvenanceEntry { change: h.to_string(), provenance: p.clone() }).collect();
    let back: Vec<ProvenanceEntry> = serde_json::from_str(&serde_json::to_string(&rows).unwrap()).unwrap();
    assert_eq!(provenance_map(&back), prov);
}

#[test]
fn as_of_follows_the_relays_clock() {
    let (mut main, mut money) = deal();
    let mut prov = ProvenanceMap::new();
    let by = |m| Provenance { author: Author::User(u("rep1")), received_at: at(m) };
    for c in main.get_changes(&[]).iter().chain(money.get_changes(&[]).iter()) {
        prov.insert(c.hash(), by(0));
    }
    let to_proposal = edit_main(&mut main, at(5), |o| o.stage = StageId::new("proposal"));
    prov.insert(to_proposal, by(5));
    let raised = edit_money(&mut money, at(6), |m| m.expected_amount = amount(2_000_000));
    prov.insert(raised, by(6));
    // Made at minute 7 offline, arrived at minute 30.
    let to_negotiation = edit_main(&mut main, at(7), |o| o.stage = StageId::new("negotiation"));
    prov.insert(to_negotiation, by(30));
    let (main, money) = (main.document().clone(), money.document().clone());
    let comps = [(FieldGroup::Money, &money)];
    let view = |m: i64, user: &str| as_of(&id(), &main, &comps, &prov, &reader(user), at(m)).unwrap();

    let stage = |v: Option<RecordView>| match v {
        Some(RecordView::Opportunity(o)) => (o.base.stage.to_string(), o.money.and_then(|m| m.expected_amount)),
        v => panic!("not a deal: {v:?}"),
    };
    assert_eq!(stage(view(1, "rep1")), ("needs".into(), amount(1_000_000)));
    assert_eq!(stage(view(6, "rep1")), ("proposal".into(), amount(2_000_000)));
    assert_eq!(stage(view(10, "rep1")), ("proposal".into(), amount(2_000_000)), "not yet arrived at minute 10");
    assert_eq!(stage(view(30, "rep1")), ("negotiation".into(), amount(2_000_000)));
    assert_eq!(stage(view(6, "marketing")), ("proposal".into(), None), "redacted as any view");
    assert!(view(-1, "rep1").is_none(), "before the record existed");
}

#[test]
fn undo_puts_back_only_what_was_not_changed_again() {
    let (mut main, mut money) = deal();
    let first = edit_money(&mut money, at(1), |m| {
        m.expected_amount = amount(2_000_000);
        m.win_probability = 50;
    });
    let second = edit_money(&mut money, at(2), |m| m.expected_amount = amount(3_000_000));
    // The first change's amount was overwritten since: only its probability goes back.
    let out = undo(&mut money, &first, at(3)).unwrap();
    assert_eq!(out.restored, vec!["win_probability".to_string()]);
    assert_eq!(out.skipped.len(), 1);
    assert_eq!(out.skipped[0].field, "expected_amount");
    let m: OpportunityMoney = read_companion(&money).unwrap();
    assert_eq!((m.expected_amount.clone(), m.win_probability), (amount(3_000_000), 30));
    // The latest change undoes fully, to the value before it, and the undo is itself in the history.
    let out = undo(&mut money, &second, at(4)).unwrap();
    assert_eq!(out.restored, vec!["expected_amount".to_string()]);
    let m: OpportunityMoney = read_companion(&money).unwrap();
    assert_eq!(m.expected_amount, amount(2_000_000));
    let undo_hash = money.get_heads()[0];
    let (main_doc, money_doc) = (main.document().clone(), money.document().clone());
    let h = history(&docs(&main_doc, &money_doc), &ProvenanceMap::new(), &reader("rep1")).unwrap();
    let last = h.iter().find(|e| e.change == undo_hash.to_string()).unwrap();
    assert_eq!(value(last, "expected_amount").1, json!({"amount_minor": 2_000_000, "currency": "CNY"}));
    assert_eq!(last.made_at, Some(at(4)));
    // Undoing it again changes nothing: the value is already what it was.
    let name_change = edit_main(&mut main, at(5), |o| o.name = "Renamed".into());
    let heads = money.get_heads();
    let out = restore(&mut money, "expected_amount", &second, at(6)).unwrap();
    assert_eq!(out.restored, vec!["expected_amount".to_string()]);
    assert_ne!(money.get_heads(), heads);
    assert_eq!(read_companion::<OpportunityMoney, _>(&money).unwrap().expected_amount, amount(3_000_000));
    let out = restore(&mut money, "expected_amount", &second, at(7)).unwrap();
    assert!(out.restored.is_empty(), "already that value: no change");
    // A change of another document is not found here.
    assert!(undo(&mut money, &name_change, at(8)).is_err());
    assert!(restore(&mut main, "updated_at", &name_change, at(8)).is_err());
}

#[test]
fn undo_merges_with_a_concurrent_edit() {
    let (mut alice, _) = deal();
    let move_ = edit_main(&mut alice, at(1), |o| o.stage = StageId::new("proposal"));
    let mut bob = alice.fork().with_actor(ActorId::from(vec![2; 16]));
    // Bob renames the deal while Alice undoes the stage move; neither has seen the other's change.
    edit_main(&mut bob, at(2), |o| o.name = "ERP rollout (Bob)".into());
    let out = undo(&mut alice, &move_, at(2)).unwrap();
    assert_eq!(out.restored, vec!["stage".to_string()]);
    alice.merge(&mut bob).unwrap();
    bob.merge(&mut alice).unwrap();
    for d in [&alice, &bob] {
        let o: Opportunity = read_record(d).unwrap();
        assert_eq!((o.stage.as_str(), o.name.as_str()), ("needs", "ERP rollout (Bob)"));
    }
    assert_eq!(alice.get_heads(), bob.get_heads());
    // The history shows the move, the rename and the undo.
    let doc = alice.document().clone();
    let h = history(&[(FieldGroup::Base, &doc)], &HashMap::new(), &reader("rep1")).unwrap();
    let stages: Vec<_> = h.iter().filter(|e| e.fields.iter().any(|f| f.field == "stage") && !e.created).collect();
    assert_eq!(stages.len(), 2);
    assert_eq!(value(stages[1], "stage"), (json!("proposal"), json!("needs")));
    assert!(h.iter().any(|e| e.fields.iter().any(|f| f.field == "name")));
}

#[test]
fn custom_fields_are_fields_of_their_own() {
    let (mut main, _) = deal();
    let c = edit_main(&mut main, at(1), |o| {
        o.custom.insert(crate::domain::FieldId::new("budget"), crate::domain::CustomValue::Text("big".into()));
    });
    let doc = main.document().clone();
    let h = history(&[(FieldGroup::Base, &doc)], &HashMap::new(), &reader("rep1")).unwrap();
    let e = h.iter().find(|e| e.change == c.to_string()).unwrap();
    assert_eq!(e.fields.len(), 1);
    assert_eq!(e.fields[0].field, "custom.budget");
    let out = undo(&mut main, &c, at(2)).unwrap();
    assert_eq!(out.restored, vec!["custom.budget".to_string()]);
    assert!(read_record::<Opportunity, _>(&main).unwrap().custom.is_empty());
}

#[test]
fn the_board_as_of_a_time_places_each_deal_at_its_stage_then() {
    let (mut moved, _) = deal();
    let other_id = DocId::from_bytes([8; 16]);
    let (mut late, _) = deal();
    // `moved`: needs at 0, proposal at 5 (provenance), won at 9 (no provenance: its own time).
    let mut prov = ProvenanceMap::new();
    let by = |m| Provenance { author: Author::User(u("rep1")), received_at: at(m) };
    for c in moved.get_changes(&[]) {
        prov.insert(c.hash(), by(0));
    }
    prov.insert(edit_main(&mut moved, at(5), |o| o.stage = StageId::new("proposal")), by(5));
    edit_main(&mut moved, at(9), |o| o.stage = StageId::new("negotiation"));
    // `late` was made at minute 20 (no provenance: its change's own time).
    let mut made = AutoCommit::new();
    let o: Opportunity = read_record(&late).unwrap();
    init_record(&mut made, &Opportunity { name: "Later deal".into(), updated_at: at(20), ..o }).unwrap();
    late = made;
    let (moved, late) = (moved.document().clone(), late.document().clone());
    let deals = [(id(), &moved), (other_id.clone(), &late)];
    let board = |m: i64| -> Vec<(String, String)> {
        board_as_of(&deals, &prov, at(m)).into_iter().map(|o| (o.base.name, o.base.stage.to_string())).collect()
    };

    assert_eq!(board(1), [("ERP rollout".to_string(), "needs".to_string())], "the later deal did not exist");
    assert_eq!(board(6), [("ERP rollout".to_string(), "proposal".to_string())]);
    assert_eq!(board(21)[0].1, "negotiation", "no provenance: the change's own time");
    assert_eq!(board(21)[1], ("Later deal".to_string(), "needs".to_string()));
    assert!(board(-1).is_empty());
}

#[test]
fn main_fields_follow_the_redacted_view() {
    let (mut main, mut money) = deal();
    let (main, money) = (main.document().clone(), money.document().clone());
    let comps = [(FieldGroup::Money, &money)];
    let fields = |user: &str| {
        let v = as_of(&id(), &main, &comps, &ProvenanceMap::new(), &reader(user), at(1)).unwrap().unwrap();
        main_fields(&v)
    };
    let rep: Vec<&str> = fields("rep1").iter().map(|(k, _)| *k).collect();
    assert_eq!(rep, ["name", "stage", "status", "expected_amount", "owner", "expected_close", "customer"]);
    let rep = fields("rep1");
    assert_eq!(rep[1].1, json!("needs"));
    assert_eq!(rep[3].1, json!({"amount_minor": 1_000_000, "currency": "CNY"}));
    assert!(fields("marketing").iter().all(|(k, _)| *k != "expected_amount"), "no money for marketing");
}
