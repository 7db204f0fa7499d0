use super::*;
use crate::domain::LongText;
use crate::domain::{
    ActivityKind, CooperationEntry, CustomerMoney, CustomerService, CustomerTier, FollowUp, LeadPii, LeadSource, Money,
    OpportunityMoney, Quote, ServiceEvent, ServiceEventKind, StageId,
};
use automerge::ActorId;

fn actor(n: u8) -> AutoCommit {
    AutoCommit::new().with_actor(ActorId::from(vec![n; 16]))
}

fn rep() -> UserId {
    UserId::new("rep1")
}

fn id(n: u8) -> DocId {
    DocId::from_bytes([n; 16])
}

fn lead() -> Lead {
    let mut l = Lead::new("Trade show contact", Some(rep()), &rep(), Timestamp(1_700_000_000_000)).unwrap();
    l.company = "华为".into();
    l.source = LeadSource::Exhibition;
    l.score = 70;
    l.notes = "met at booth 7".into();
    l
}

#[test]
fn lead_round_trips_with_header_and_companion() {
    let l = lead();
    let mut main = actor(1);
    init_record(&mut main, &l).unwrap();
    assert_eq!(main.get_changes(&[]).len(), 1, "creation is one change");
    let back: Lead = read_record(&main).unwrap();
    assert_eq!(back, l);
    let head = read_head(&main).unwrap();
    assert_eq!(
        head,
        DocHead {
            kind: DocKind::Record(RecordKind::Lead),
            schema: SCHEMA,
            created_at: l.created_at,
            created_by: rep()
        }
    );
    assert!(matches!(automerge::ReadDoc::get(&main, ROOT, "notes").unwrap(), Some((Value::Object(ObjType::Text), _))));
    assert_eq!(get_str(&main, "source").unwrap().as_deref(), Some("exhibition"));
    assert_eq!(get_str(&main, "status").unwrap().as_deref(), Some("new"));

    let pii = LeadPii { phone: "+86 138 0000 0000".into(), email: "li@example.cn".into() };
    let mut comp = actor(1);
    init_companion(&mut comp, &id(1), l.created_at, &rep(), &pii).unwrap();
    assert_eq!(read_companion::<LeadPii, _>(&comp).unwrap(), pii);
    let link = read_companion_link(&comp).unwrap();
    assert_eq!(link, CompanionLink { group: FieldGroup::Pii, record: id(1), record_kind: RecordKind::Lead });
    assert!(read_companion::<crate::domain::ContactPii, _>(&comp).unwrap_err().to_string().starts_with("record_kind:"));

    let meta = read_meta(&main).unwrap();
    assert_eq!(
        meta,
        RecordMeta { kind: RecordKind::Lead, owner: Some(rep()), customer_owner: None, linked: Vec::new() }
    );
}

#[test]
fn every_kind_round_trips() {
    let dir = Directory::new();
    let now = Timestamp(1_700_000_000_000);
    let mut o =
        Opportunity::new("ERP rollout", "OPP-2026-0042", &StageId::new("needs"), Some(rep()), &rep(), now, &dir)
            .unwrap();
    o.customer = Some(id(9));
    o.follow_ups.push(FollowUp { id: "f1".into(), at: now, by: rep(), note: "called".into() });
    o.expected_close = Some(now.plus_days(30));
    let money = OpportunityMoney {
        expected_amount: Some(Money::new(1_000_000, "CNY").unwrap()),
        win_probability: 30,
        quotes: vec![Quote {
            id: "q1".into(),
            title: "v1".into(),
            amount: Money::new(990_000, "CNY").unwrap(),
            at: now,
        }],
    };
    let mut d = actor(2);
    init_record(&mut d, &o).unwrap();
    let mut m = actor(2);
    init_companion(&mut m, &id(2), now, &rep(), &money).unwrap();
    assert_eq!(read_record::<Opportunity, _>(&d).unwrap(), o);
    assert_eq!(read_companion::<OpportunityMoney, _>(&m).unwrap(), money);
    assert_eq!(read_customer_link(&d).unwrap(), Some(id(9)));
    assert_eq!(validate_record_doc(&d, &dir).unwrap().kind, RecordKind::Opportunity);
    assert_eq!(validate_companion_doc(&m).unwrap().record, id(2));

    let mut c = Customer::new("Acme", "CUS-2026-0001", Some(rep()), &rep(), now).unwrap();
    c.tier = CustomerTier::Key;
    c.tags = vec!["VIP".into()];
    let mut cm = CustomerMoney::default();
    cm.orders.insert(
        id(2).to_string(),
        CooperationEntry {
            title: "ERP".into(),
            amount: Money::new(5, "CNY").unwrap(),
            signed_at: now,
            opportunity: Some(id(2)),
            entry_kind: Default::default(),
            product: String::new(),
            note: String::new(),
        },
    );
    let cs = CustomerService {
        satisfaction: Some(4),
        events: vec![ServiceEvent {
            id: "s1".into(),
            kind: ServiceEventKind::Complaint,
            at: now,
            title: "late".into(),
            open: true,
            resolved_at: None,
        }],
    };
    let (mut cd, mut cmd, mut csd) = (actor(3), actor(3), actor(3));
    init_record(&mut cd, &c).unwrap();
    init_companion(&mut cmd, &id(3), now, &rep(), &cm).unwrap();
    init_companion(&mut csd, &id(3), now, &rep(), &cs).unwrap();
    let v = RecordView::from_docs(&id(3), &cd, &[(FieldGroup::Money, &cmd), (FieldGroup::Service, &csd)]).unwrap();
    let RecordView::Customer(cv) = &v else { panic!("not a customer view") };
    assert_eq!(cv.base, c);
    assert_eq!(cv.money.as_ref(), Some(&cm));
    assert_eq!(cv.service.as_ref(), Some(&cs));
    assert_eq!(cv.lifetime_value, Some(vec![Money::new(5, "CNY").unwrap()]));

    let ct = Contact::new("Li Lei", Some(id(3)), Some(rep()), &rep(), now).unwrap();
    let mut ctd = actor(4);
    init_record(&mut ctd, &ct).unwrap();
    assert_eq!(read_record::<Contact, _>(&ctd).unwrap(), ct);

    let mut a = Activity::new(ActivityKind::Visit, "On-site demo", now, &rep(), now).unwrap();
    a.customer = Some(id(3));
    let mut ad = actor(5);
    init_record(&mut ad, &a).unwrap();
    assert_eq!(read_record::<Activity, _>(&ad).unwrap(), a);
    assert_eq!(get_str(&ad, "kind").unwrap().as_deref(), Some("activity"));
    assert_eq!(get_str(&ad, "activity_kind").unwrap().as_deref(), Some("visit"));
}

#[test]
fn view_json_leaves_hidden_groups_absent() {
    let l = lead();
    let (mut main, mut comp) = (actor(1), actor(1));
    init_record(&mut main, &l).unwrap();
    init_companion(&mut comp, &id(1), l.created_at, &rep(), &LeadPii { phone: String::new(), email: "a@b.cn".into() })
        .unwrap();
    let full = RecordView::from_docs(&id(1), &main, &[(FieldGroup::Pii, &comp)]).unwrap();
    let json = serde_json::to_value(&full).unwrap();
    assert_eq!(json["kind"], "lead");
    assert_eq!(json["id"], id(1).to_string());
    assert_eq!(json["name"], "Trade show contact");
    assert_eq!(json["notes"], "met at booth 7");
    assert_eq!(json["pii"]["email"], "a@b.cn");
    let back: RecordView = serde_json::from_value(json).unwrap();
    assert_eq!(back, full);

    let hidden = RecordView::from_docs(&id(1), &main, &[]).unwrap();
    let json = serde_json::to_value(&hidden).unwrap();
    assert!(json.get("pii").is_none(), "{json}");
    assert_eq!(serde_json::from_value::<RecordView>(json).unwrap(), hidden);

    let mut redacted = full.clone();
    redacted.redact(&crate::domain::Access { pii: crate::domain::Perm::None, ..crate::domain::Access::NONE });
    assert_eq!(redacted, hidden);
    assert_eq!(full.groups(), vec![FieldGroup::Pii]);

    assert!(RecordView::from_docs(&id(1), &main, &[(FieldGroup::Money, &comp)]).is_err());
}

#[test]
fn rewriting_only_writes_what_changed() {
    let mut l = lead();
    let mut doc = actor(1);
    init_record(&mut doc, &l).unwrap();
    let before = doc.get_heads();
    write_record(&mut doc, &l).unwrap();
    assert_eq!(doc.get_heads(), before, "an unchanged record writes nothing, even with notes not read from it");
    let notes_obj = automerge::ReadDoc::get(&doc, ROOT, "notes").unwrap().unwrap().1;
    l.score = 80;
    write_record(&mut doc, &l).unwrap();
    assert_ne!(doc.get_heads(), before);
    assert_eq!(read_record::<Lead, _>(&doc).unwrap().score, 80);
    l.notes = LongText::new("met at booth 7 again");
    write_record(&mut doc, &l).unwrap();
    assert_eq!(automerge::ReadDoc::get(&doc, ROOT, "notes").unwrap().unwrap().1, notes_obj, "text object kept");
    assert_eq!(read_record::<Lead, _>(&doc).unwrap().notes.as_str(), "met at booth 7 again");
    assert!(write_record(&mut doc, &Customer::new("x", "CUS-1", None, &rep(), Timestamp(0)).unwrap()).is_err());
    assert!(init_record(&mut doc, &l).is_err(), "init refuses an existing document");
}

#[test]
fn concurrent_note_typing_merges_character_by_character() {
    let mut a = actor(1);
    init_record(&mut a, &lead()).unwrap();
    let mut b = a.fork().with_actor(ActorId::from(vec![2; 16]));

    let mut la: Lead = read_record(&a).unwrap();
    la.notes.splice(0, 0, "Today: ").unwrap();
    write_record(&mut a, &la).unwrap();

    let mut lb: Lead = read_record(&b).unwrap();
    let end = lb.notes.char_len();
    lb.notes.splice(end, 0, ", wants a demo").unwrap();
    lb.notes.set(&lb.notes.as_str().replace("booth", "stand"));
    write_record(&mut b, &lb).unwrap();

    a.merge(&mut b).unwrap();
    b.merge(&mut a).unwrap();
    assert_eq!(a.get_heads(), b.get_heads());
    let merged: Lead = read_record(&a).unwrap();
    assert_eq!(merged.notes.as_str(), "Today: met at stand 7, wants a demo");
}

#[test]
fn stale_text_edits_are_refused_not_lost_silently() {
    let mut a = actor(1);
    init_record(&mut a, &lead()).unwrap();
    let mut l: Lead = read_record(&a).unwrap();
    let mut other: Lead = read_record(&a).unwrap();
    other.score = 1;
    write_record(&mut a, &other).unwrap();
    l.notes.splice(0, 0, "x").unwrap();
    assert!(matches!(write_record(&mut a, &l), Err(DomainError::NotAllowed(_))));
}

#[test]
fn reads_documents_written_by_other_clients() {
    // A JS automerge-repo client writes integers as signed ints, may write notes as a plain string and
    // may leave out optional keys (`team`, `opportunity`, `custom`).
    let mut d = actor(7);
    d.put(ROOT, "kind", "lead").unwrap();
    d.put(ROOT, "schema", 1_i64).unwrap();
    d.put(ROOT, "created_at", 5_i64).unwrap();
    d.put(ROOT, "created_by", "rep1").unwrap();
    d.put(ROOT, "updated_at", 5_i64).unwrap();
    d.put(ROOT, "owner", ScalarValue::Null).unwrap();
    for k in ["name", "company", "contact_name"] {
        d.put(ROOT, k, "x").unwrap();
    }
    d.put(ROOT, "source", "website").unwrap();
    d.put(ROOT, "status", "contacted").unwrap();
    d.put(ROOT, "score", 42_i64).unwrap();
    d.put(ROOT, "notes", "plain").unwrap();
    let l: Lead = read_record(&d).unwrap();
    assert_eq!((l.score, l.notes.as_str(), l.owner), (42, "plain", None));
    assert_eq!(read_meta(&d).unwrap().owner, None);

    d.put(ROOT, "status", "hot").unwrap();
    let e = read_record::<Lead, _>(&d).unwrap_err().to_string();
    assert!(e.contains("status"), "{e}");
    d.put(ROOT, "kind", "invoice").unwrap();
    assert_eq!(read_head(&d).unwrap_err().to_string(), "kind: unknown document kind \"invoice\"");
}

/// Two writers who each start a customer's `service` companion on their own (offline) end up with one
/// document: the genesis change is the same bytes, so their entries merge instead of competing.
#[test]
fn companions_started_independently_merge_into_one() {
    let now = Timestamp(1_767_225_600_000);
    let event = |id: &str, title: &str| ServiceEvent {
        id: id.into(),
        kind: ServiceEventKind::Complaint,
        at: now,
        title: title.into(),
        open: true,
        resolved_at: None,
    };
    let (mut a, mut b) = (actor(1), actor(2));
    let one = CustomerService { satisfaction: None, events: vec![event("a", "late delivery")] };
    let two = CustomerService { satisfaction: None, events: vec![event("b", "wrong invoice")] };
    init_companion(&mut a, &id(3), now, &rep(), &one).unwrap();
    init_companion(&mut b, &id(3), now, &rep(), &two).unwrap();
    assert_eq!(a.get_changes(&[])[0].hash(), b.get_changes(&[])[0].hash(), "one genesis");
    assert_ne!(a.get_actor(), &ActorId::from(id(3).companion(FieldGroup::Service).bytes().to_vec()));
    a.merge(&mut b).unwrap();
    let merged: CustomerService = read_companion(&a).unwrap();
    let mut titles: Vec<_> = merged.events.iter().map(|e| e.title.as_str()).collect();
    titles.sort();
    assert_eq!(titles, ["late delivery", "wrong invoice"]);
    let head = read_head(&a).unwrap();
    assert_eq!((head.created_at, head.created_by), (now, rep()), "the header is the record's creation");
    validate_companion_doc(&a).unwrap();
}
