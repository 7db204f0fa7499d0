//! The generic format: opportunities, leads, customers, contacts; errors named by row and column.

use crate::domain::import::tests::{fixture, plan_with};
use crate::domain::import::*;
use crate::domain::{LeadStatus, OpportunityStatus};

fn none() -> BTreeMap<String, UserId> {
    BTreeMap::new()
}

#[test]
fn opportunities_with_stage_names_amounts_and_customers() {
    let f = fixture();
    let csv = "name,owner,stage,expected_amount,currency,expected_close,customer,status,lost_reason\n\
        Big deal,rep1,Proposal / quote,1200.50,,2026-12-31,Acme,,\n\
        Signed,张伟 Zhang Wei,签约成交,99,usd,2026-11-01,acme,,\n\
        Gone,rep2,needs,,,,,lost,Price\n\
        Odd,rep1,Closing,1,,,,,\n\
        Cheap,rep1,initial,-5,,,,,\n\
        Half,rep1,won,10,,,,active,\n";
    let plan =
        plan_with(&f, csv, RecordKind::Opportunity, Format::Generic, "manager", &none(), UnknownOwner::Reject).unwrap();
    let msgs: Vec<String> = plan.rejected.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        msgs,
        [
            "row 5, column stage: unknown stage \"Closing\" (stages: initial, needs, proposal, negotiation, won)",
            "row 6, column expected_amount: \"-5\" is not an amount (like 1234.50)",
            "row 7, column status: a deal in the won stage is won",
        ]
    );
    assert_eq!(plan.count(RecordKind::Opportunity), 3);
    assert_eq!(plan.count(RecordKind::Customer), 1, "Acme and acme are one customer");
    let opps: Vec<(&Opportunity, &OpportunityMoney)> = plan
        .records
        .iter()
        .filter_map(|r| match &r.record {
            NewRecord::Opportunity(o, m) => Some((o, m)),
            _ => None,
        })
        .collect();
    assert_eq!(opps[0].0.stage.as_str(), "proposal");
    assert_eq!(opps[0].0.number, "OPP-2026-0001");
    assert_eq!(opps[0].1.expected_amount, Some(crate::domain::Money::new(120_050, "CNY").unwrap()));
    assert_eq!(opps[0].1.win_probability, 50);
    assert_eq!((opps[1].0.status, opps[1].0.owner.clone()), (OpportunityStatus::Won, Some(UserId::new("rep1"))));
    assert_eq!(opps[1].1.expected_amount.as_ref().unwrap().currency, "USD");
    assert_eq!(opps[0].0.customer, opps[1].0.customer);
    assert_eq!((opps[2].0.status, opps[2].0.lost_reason.as_deref()), (OpportunityStatus::Lost, Some("Price")));
}

#[test]
fn existing_numbers_and_customers_are_respected() {
    let mut f = fixture();
    f.numbers = vec!["OPP-2026-0007".into(), "X-1".into()];
    f.customers = vec![ExistingCustomer { id: DocId::from_bytes([9; 16]), name: "ACME Ltd.".into() }];
    let csv = "name,number,customer\nA,,Acme Ltd\nB,x-1,\nC,,\n";
    let plan =
        plan_with(&f, csv, RecordKind::Opportunity, Format::Generic, "rep1", &none(), UnknownOwner::Reject).unwrap();
    assert_eq!(
        plan.rejected[0].to_string(),
        "row 3, column number: x-1 exists already (was this file imported before?)"
    );
    let numbers: Vec<(String, Option<DocId>)> = plan
        .records
        .iter()
        .filter_map(|r| match &r.record {
            NewRecord::Opportunity(o, _) => Some((o.number.clone(), o.customer.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        numbers,
        [("OPP-2026-0008".to_string(), Some(DocId::from_bytes([9; 16]))), ("OPP-2026-0009".to_string(), None)]
    );
    assert_eq!(plan.count(RecordKind::Customer), 0, "linked to the existing customer");
}

#[test]
fn leads_customers_contacts_and_unknown_columns() {
    let f = fixture();
    let plan = plan_with(
        &f,
        "name,company,phone,email,status,owner\nA,Acme,+86 138 0000 0000,a@acme.cn,contacted,\nB,,12,b@x,converted,rep1\n",
        RecordKind::Lead,
        Format::Generic,
        "marketing",
        &none(),
        UnknownOwner::Reject,
    )
    .unwrap();
    let msgs: Vec<String> = plan.rejected.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        msgs,
        [
            "row 3, column owner: you may not create leads owned by rep1",
            "row 3, column status: converted leads come from converting a lead in the CRM",
            "row 3, column phone: \"12\" is not a phone number",
            "row 3, column email: \"b@x\" is not an e-mail address",
        ]
    );
    let NewRecord::Lead(l, pii) = &plan.records[0].record else { panic!() };
    assert_eq!((l.owner.clone(), l.status, pii.phone.as_str()), (None, LeadStatus::Contacted, "+86 138 0000 0000"));

    let plan = plan_with(
        &f,
        "name,tier,tags\nAcme,key,VIP; big\nacme,,\n",
        RecordKind::Customer,
        Format::Generic,
        "rep1",
        &none(),
        UnknownOwner::Reject,
    )
    .unwrap();
    assert_eq!(plan.rejected[0].to_string(), "row 3, column name: \"acme\" appears twice (first in row 2)");
    let NewRecord::Customer(c, None) = &plan.records[0].record else { panic!() };
    assert_eq!(
        (c.number.as_str(), c.tags.clone(), c.owner.clone()),
        ("CUS-2026-0001", vec!["VIP".to_string(), "big".to_string()], Some(UserId::new("rep1")))
    );

    let plan = plan_with(
        &f,
        "name,customer,email\nLi Lei,Acme,li@acme.cn\n",
        RecordKind::Contact,
        Format::Generic,
        "rep1",
        &none(),
        UnknownOwner::Reject,
    )
    .unwrap();
    assert_eq!((plan.count(RecordKind::Contact), plan.count(RecordKind::Customer)), (1, 1));

    let e = plan_with(
        &f,
        "name,expected_amout\nA,1\n",
        RecordKind::Opportunity,
        Format::Generic,
        "rep1",
        &none(),
        UnknownOwner::Reject,
    )
    .unwrap_err();
    assert!(
        e.to_string().starts_with("unknown column \"expected_amout\"; the columns for opportunities are name, owner"),
        "{e}"
    );
    let e = plan_with(&f, "title\nA\n", RecordKind::Contact, Format::Generic, "rep1", &none(), UnknownOwner::Reject)
        .unwrap_err();
    assert_eq!(e.to_string(), "missing column(s) name; a generic file of contacts has name");
}
