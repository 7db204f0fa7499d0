use std::collections::BTreeMap;

use super::super::tests::{fixture, plan_with};
use super::*;
use crate::domain::import::UnknownOwner;
use crate::domain::{CustomFieldDef, CustomFieldType, FieldId};

fn h(cols: &[&str]) -> Vec<String> {
    cols.iter().map(|c| c.to_string()).collect()
}

#[test]
fn the_header_tells_the_format_and_kind() {
    let maven = h(&[
        "opportunity_id",
        "sales_agent",
        "product",
        "account",
        "deal_stage",
        "engage_date",
        "close_date",
        "close_value",
    ]);
    assert_eq!(detect(&maven), Some((Format::Maven, RecordKind::Opportunity)));
    let leads = h(&[
        "Index",
        "Account Id",
        "Lead Owner",
        "First Name",
        "Last Name",
        "Company",
        "Phone 1",
        "Phone 2",
        "Email 1",
        "Email 2",
        "Website",
        "Source",
        "Deal Stage",
        "Notes",
    ]);
    assert_eq!(detect(&leads), Some((Format::Datablist, RecordKind::Lead)));
    assert_eq!(detect(&h(&["name", "company", "email"])), Some((Format::Generic, RecordKind::Lead)));
    assert_eq!(detect(&h(&["Name", "Expected_Amount", "stage"])), Some((Format::Generic, RecordKind::Opportunity)));
    assert_eq!(detect(&h(&["name", "title", "customer"])), Some((Format::Generic, RecordKind::Contact)));
    // Fits every kind, or none: the person chooses.
    assert_eq!(detect(&h(&["name", "owner"])), None);
    assert_eq!(detect(&h(&["Index", "Customer Id", "First Name"])), None);
}

#[test]
fn columns_are_suggested_from_their_names_custom_fields_included() {
    let mut f = fixture();
    f.dir.custom_fields.push(CustomFieldDef {
        id: FieldId::new("employees"),
        kind: RecordKind::Customer,
        label: "Number of employees".into(),
        field_type: CustomFieldType::Number,
        required: false,
    });
    let orgs = h(&[
        "Index",
        "Organization Id",
        "Name",
        "Website",
        "Country",
        "Description",
        "Founded",
        "Industry",
        "Number of employees",
    ]);
    let s = suggest_columns(&orgs, RecordKind::Customer, &f.dir);
    let want =
        [None, None, Some("name"), None, Some("region"), Some("notes"), None, Some("industry"), Some("employees")];
    assert_eq!(s, want.map(|w| w.map(str::to_string)).to_vec());
    let people = h(&[
        "Index",
        "Customer Id",
        "First Name",
        "Last Name",
        "Company",
        "City",
        "Country",
        "Phone 1",
        "Phone 2",
        "Email",
        "Subscription Date",
        "Website",
    ]);
    let s = suggest_columns(&people, RecordKind::Contact, &f.dir);
    assert_eq!(s[2].as_deref(), Some("name"));
    assert_eq!(s[3].as_deref(), Some("name"));
    assert_eq!(s[4].as_deref(), Some("customer"));
    assert_eq!(s[7].as_deref(), Some("phone"));
    assert_eq!(s[8], None, "phone is suggested once");
    assert_eq!(s[9].as_deref(), Some("email"));
    assert_eq!(s[10].as_deref(), Some("created_at"));
}

#[test]
fn remapping_joins_columns_and_keeps_row_numbers() {
    let csv = "First,Last,Company,Web,Extra\r\nAda,Lovelace,Acme,a.example,x\r\n,,,,\r\nBob,\"Multi\nline\",Beta,,y\r\nCy,Z,Gamma,c.example,z\r\n";
    let m = [Some("name"), Some("name"), Some("customer"), Some("notes"), Some("notes")].map(|x| x.map(str::to_string));
    let allowed = h(&["name", "customer", "notes"]);
    let out = remap(csv.as_bytes(), &m, &allowed).unwrap();
    let t = Table::read(out.as_bytes(), 100).unwrap();
    assert_eq!(t.headers, ["name", "customer", "notes"]);
    let rows: Vec<(usize, Vec<&str>)> = t.rows.iter().map(|(l, r)| (*l, r.iter().collect())).collect();
    assert_eq!(rows[0], (2, vec!["Ada Lovelace", "Acme", "Web: a.example · Extra: x"]));
    assert_eq!(rows[1], (4, vec!["Bob Multi\nline", "Beta", "Extra: y"]));
    assert_eq!(rows[2], (6, vec!["Cy Z", "Gamma", "Web: c.example · Extra: z"]), "row numbers as in the file");
    assert_eq!(remap(csv.as_bytes(), &[None, None, None, None, None], &allowed), Err(MappingError::NoName));
    let bad = [Some("name"), None, Some("salary"), None, None].map(|x| x.map(str::to_string));
    assert_eq!(remap(csv.as_bytes(), &bad, &allowed), Err(MappingError::UnknownField("salary".into())));
    assert_eq!(remap(csv.as_bytes(), &[None], &allowed), Err(MappingError::WrongLength(1, 5)));
}

#[test]
fn owner_names_are_counted_and_matched_to_users() {
    let f = fixture();
    let csv = "name,owner\r\nA,Zhang Wei\r\nB,rep2\r\nC,\r\nD,zhang wei\r\nE,Moses Frase\r\n";
    let names = owner_names(csv.as_bytes(), Format::Generic).unwrap();
    assert_eq!(names, vec![("Zhang Wei".into(), 2), ("rep2".into(), 1), ("Moses Frase".into(), 1)]);
    assert_eq!(suggest_owner(&f.dir, "rep2"), Some(UserId::new("rep2")));
    assert_eq!(suggest_owner(&f.dir, "  王芳 Wang Fang "), Some(UserId::new("rep2")));
    assert_eq!(suggest_owner(&f.dir, "Moses Frase"), None);
    assert_eq!(owner_names(b"name\r\nA\r\n", Format::Generic).unwrap(), vec![]);
}

/// A sample file from `shared/data` beside the repository (or at /work/shared/data, for a worktree).
fn sample(path: &str) -> Option<Vec<u8>> {
    let beside = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data");
    let dir = [beside, "/work/shared/data".into()].into_iter().find(|d| d.is_dir());
    match dir {
        Some(d) => Some(std::fs::read(d.join(path)).unwrap()),
        None => {
            println!("note: no shared/data; skipping the sample files");
            None
        }
    }
}

/// The Datablist files without a layout of their own import cleanly with the suggested columns:
/// organizations as customers, customers (people) as contacts.
#[test]
fn the_sample_files_import_with_the_suggested_columns() {
    let f = fixture();
    for (file, kind, n) in [
        ("datablist/organizations-100.csv", RecordKind::Customer, 100),
        ("datablist/customers-100.csv", RecordKind::Contact, 100),
    ] {
        let Some(bytes) = sample(file) else { return };
        let p = preview(&bytes).unwrap();
        assert_eq!(p.rows, 100);
        assert_eq!(p.detected, None, "{file}");
        let m = suggest_columns(&p.headers, kind, &f.dir);
        let csv = remap(&bytes, &m, &targets(kind, &f.dir)).unwrap();
        let plan = plan_with(&f, &csv, kind, Format::Generic, "admin", &BTreeMap::new(), UnknownOwner::Reject).unwrap();
        assert!(plan.is_clean(), "{file}: {:?}", &plan.rejected[..plan.rejected.len().min(3)]);
        assert_eq!(plan.count(kind), n, "{file}");
    }
}

#[test]
fn custom_field_columns_import_by_their_type() {
    let mut f = fixture();
    f.dir.custom_fields.push(CustomFieldDef {
        id: FieldId::new("employees"),
        kind: RecordKind::Customer,
        label: "Employees".into(),
        field_type: CustomFieldType::Number,
        required: true,
    });
    let csv = "name,employees\r\nAcme,\"1,200\"\r\nBeta,many\r\nGamma,\r\n";
    let plan =
        plan_with(&f, csv, RecordKind::Customer, Format::Generic, "admin", &BTreeMap::new(), UnknownOwner::Reject)
            .unwrap();
    let reasons: Vec<String> = plan.rejected.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        reasons,
        ["row 3, column employees: \"many\" is not a number", "row 4, column employees: Employees is required"]
    );
    let acme = plan.records.iter().find_map(|r| match &r.record {
        crate::domain::import::NewRecord::Customer(c, _) => Some(c),
        _ => None,
    });
    assert_eq!(acme.unwrap().custom.get(&FieldId::new("employees")), Some(&crate::domain::CustomValue::Number(1200.0)));
    // A column that is neither ours nor a custom field still rejects the file.
    let e = plan_with(
        &f,
        "name,salary\r\nA,1\r\n",
        RecordKind::Customer,
        Format::Generic,
        "admin",
        &BTreeMap::new(),
        UnknownOwner::Reject,
    )
    .unwrap_err();
    assert!(e.to_string().contains("unknown column \"salary\""), "{e}");
    assert!(e.to_string().contains("employees"), "{e}");
}

#[test]
fn likely_duplicates_name_existing_records_and_earlier_rows() {
    let acme = crate::domain::DocId::from_bytes([1; 16]);
    let existing = vec![
        (acme.clone(), RecordKind::Customer, "ACME Ltd.".to_string()),
        (crate::domain::DocId::from_bytes([2; 16]), RecordKind::Lead, "Acme Ltd".to_string()),
    ];
    let planned = vec![
        (2, RecordKind::Customer, "Acme Ltd".to_string()),
        (3, RecordKind::Customer, "Beta".to_string()),
        (4, RecordKind::Customer, "beta".to_string()),
        (5, RecordKind::Opportunity, "Deal".to_string()),
        (6, RecordKind::Opportunity, "Deal".to_string()),
    ];
    let d = likely_duplicates(&planned, &existing);
    assert_eq!(d.len(), 2, "{d:?}");
    assert_eq!((d[0].row, d[0].existing.as_ref(), d[0].earlier_row), (2, Some(&acme), None));
    assert_eq!((d[1].row, d[1].existing.as_ref(), d[1].earlier_row), (4, None, Some(3)));
}
