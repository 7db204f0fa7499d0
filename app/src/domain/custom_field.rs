//! Custom fields: admins define extra fields per record kind; records carry values that follow them.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::{DomainError, FieldId, Money, RecordKind};

/// The type of a custom field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub enum CustomFieldType {
    Text,
    Number,
    Date,
    /// One of the listed options.
    Choice {
        #[autosurgeon(hydrate = "super::records::line::many")]
        options: Vec<String>,
    },
    Money,
}

/// An admin-defined extra field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct CustomFieldDef {
    #[key]
    pub id: FieldId,
    pub kind: RecordKind,
    #[autosurgeon(hydrate = "super::records::line::one")]
    pub label: String,
    pub field_type: CustomFieldType,
    pub required: bool,
}

/// A record's value for a custom field. Stored in documents as `{"<type>": value}`; in JSON as
/// `{"type": "<type>", "value": value}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Hydrate, Reconcile)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum CustomValue {
    #[autosurgeon(rename = "text")]
    Text(#[autosurgeon(hydrate = "super::records::line::one")] String),
    #[autosurgeon(rename = "number")]
    Number(f64),
    /// A calendar day, `YYYY-MM-DD`.
    #[autosurgeon(rename = "date")]
    Date(#[autosurgeon(hydrate = "super::records::line::one")] String),
    #[autosurgeon(rename = "choice")]
    Choice(#[autosurgeon(hydrate = "super::records::line::one")] String),
    #[autosurgeon(rename = "money")]
    Money(Money),
}

impl CustomValue {
    fn type_name(&self) -> &'static str {
        match self {
            CustomValue::Text(_) => "text",
            CustomValue::Number(_) => "number",
            CustomValue::Date(_) => "date",
            CustomValue::Choice(_) => "choice",
            CustomValue::Money(_) => "money",
        }
    }

    fn is_blank(&self) -> bool {
        match self {
            CustomValue::Text(s) | CustomValue::Date(s) | CustomValue::Choice(s) => s.trim().is_empty(),
            CustomValue::Number(_) | CustomValue::Money(_) => false,
        }
    }
}

impl CustomFieldType {
    fn name(&self) -> &'static str {
        match self {
            CustomFieldType::Text => "text",
            CustomFieldType::Number => "number",
            CustomFieldType::Date => "date",
            CustomFieldType::Choice { .. } => "choice",
            CustomFieldType::Money => "money",
        }
    }
}

impl CustomFieldDef {
    /// Checks one value against this definition. Errors name the field as `custom.<id>`.
    pub fn validate(&self, value: &CustomValue) -> Result<(), DomainError> {
        let field = format!("custom.{}", self.id);
        let mismatch = || {
            DomainError::invalid(
                &field,
                format!("{} needs a {} value, not {}", self.label, self.field_type.name(), value.type_name()),
            )
        };
        match (&self.field_type, value) {
            (CustomFieldType::Text, CustomValue::Text(s)) => {
                if s.chars().count() > 2000 {
                    return Err(DomainError::invalid(&field, "longer than 2000 characters"));
                }
            }
            (CustomFieldType::Number, CustomValue::Number(n)) => {
                if !n.is_finite() {
                    return Err(DomainError::invalid(&field, "not a finite number"));
                }
            }
            (CustomFieldType::Date, CustomValue::Date(d)) => {
                if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
                    return Err(DomainError::invalid(&field, format!("{d:?} is not a date (YYYY-MM-DD)")));
                }
            }
            (CustomFieldType::Choice { options }, CustomValue::Choice(c)) => {
                if !options.iter().any(|o| o == c) {
                    return Err(DomainError::invalid(
                        &field,
                        format!("{c:?} is not allowed (choose one of {})", options.join(", ")),
                    ));
                }
            }
            (CustomFieldType::Money, CustomValue::Money(m)) => m.validate(&field)?,
            _ => return Err(mismatch()),
        }
        Ok(())
    }
}

/// Checks a record's custom values against the directory's definitions for its kind: every value must
/// belong to a defined field of this kind and follow its type; every required field must be present and
/// not blank.
pub fn validate_custom(
    kind: RecordKind,
    defs: &[CustomFieldDef],
    values: &BTreeMap<FieldId, CustomValue>,
) -> Result<(), DomainError> {
    for (id, value) in values {
        let def = defs.iter().find(|d| &d.id == id && d.kind == kind).ok_or_else(|| {
            DomainError::invalid(format!("custom.{id}"), format!("no such custom field for {}", kind.as_str()))
        })?;
        def.validate(value)?;
    }
    for def in defs.iter().filter(|d| d.kind == kind && d.required) {
        match values.get(&def.id) {
            Some(v) if !v.is_blank() => {}
            _ => return Err(DomainError::invalid(format!("custom.{}", def.id), format!("{} is required", def.label))),
        }
    }
    Ok(())
}

/// Checks the custom values of an existing record after a change: each value the change set or altered must
/// fit its field; values kept as they were stay valid even if their field was removed since; a required field
/// may not be cleared, but one made required after the record was created does not block other edits.
pub fn validate_custom_change(
    kind: RecordKind,
    defs: &[CustomFieldDef],
    before: &BTreeMap<FieldId, CustomValue>,
    after: &BTreeMap<FieldId, CustomValue>,
) -> Result<(), DomainError> {
    for (id, value) in after.iter().filter(|(id, v)| before.get(*id) != Some(*v)) {
        let def = defs.iter().find(|d| &d.id == id && d.kind == kind).ok_or_else(|| {
            DomainError::invalid(format!("custom.{id}"), format!("no such custom field for {}", kind.as_str()))
        })?;
        def.validate(value)?;
    }
    for def in defs.iter().filter(|d| d.kind == kind && d.required) {
        let filled = |m: &BTreeMap<FieldId, CustomValue>| m.get(&def.id).is_some_and(|v| !v.is_blank());
        if filled(before) && !filled(after) {
            return Err(DomainError::invalid(format!("custom.{}", def.id), format!("{} is required", def.label)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(id: &str, field_type: CustomFieldType, required: bool) -> CustomFieldDef {
        CustomFieldDef {
            id: FieldId::new(id),
            kind: RecordKind::Opportunity,
            label: id.to_uppercase(),
            field_type,
            required,
        }
    }

    fn defs() -> Vec<CustomFieldDef> {
        vec![
            def("note", CustomFieldType::Text, false),
            def("seats", CustomFieldType::Number, false),
            def("visit", CustomFieldType::Date, false),
            def("channel", CustomFieldType::Choice { options: vec!["direct".into(), "partner".into()] }, true),
            def("budget", CustomFieldType::Money, false),
        ]
    }

    fn values(pairs: Vec<(&str, CustomValue)>) -> BTreeMap<FieldId, CustomValue> {
        pairs.into_iter().map(|(k, v)| (FieldId::new(k), v)).collect()
    }

    #[test]
    fn accepts_values_that_follow_their_definitions() {
        let v = values(vec![
            ("note", CustomValue::Text("x".into())),
            ("seats", CustomValue::Number(12.5)),
            ("visit", CustomValue::Date("2026-04-01".into())),
            ("channel", CustomValue::Choice("partner".into())),
            ("budget", CustomValue::Money(Money::new(100, "CNY").unwrap())),
        ]);
        validate_custom(RecordKind::Opportunity, &defs(), &v).unwrap();
    }

    #[test]
    fn refuses_each_kind_of_bad_value_naming_the_field() {
        let base = || vec![("channel", CustomValue::Choice("direct".into()))];
        let bad = |extra: (&str, CustomValue)| {
            let mut v = base();
            v.push(extra);
            validate_custom(RecordKind::Opportunity, &defs(), &values(v)).unwrap_err().to_string()
        };
        assert_eq!(
            bad(("seats", CustomValue::Text("ten".into()))),
            "custom.seats: SEATS needs a number value, not text"
        );
        assert!(bad(("seats", CustomValue::Number(f64::NAN))).starts_with("custom.seats: not a finite"));
        assert!(bad(("visit", CustomValue::Date("2026-02-30".into()))).starts_with("custom.visit:"));
        assert!(bad(("budget", CustomValue::Money(Money { amount_minor: -5, currency: "CNY".into() })))
            .starts_with("custom.budget.amount_minor:"));
        assert!(bad(("nope", CustomValue::Text("x".into()))).contains("no such custom field"));
        let mut v = base();
        v[0].1 = CustomValue::Choice("retail".into());
        let e = validate_custom(RecordKind::Opportunity, &defs(), &values(v)).unwrap_err().to_string();
        assert_eq!(e, "custom.channel: \"retail\" is not allowed (choose one of direct, partner)");
    }

    #[test]
    fn requires_required_fields_and_ignores_other_kinds() {
        let e = validate_custom(RecordKind::Opportunity, &defs(), &BTreeMap::new()).unwrap_err();
        assert_eq!(e.to_string(), "custom.channel: CHANNEL is required");
        let blank = values(vec![("channel", CustomValue::Choice(" ".into()))]);
        assert!(validate_custom(RecordKind::Opportunity, &defs(), &blank).is_err());
        validate_custom(RecordKind::Lead, &defs(), &BTreeMap::new()).unwrap();
        let wrong_kind = values(vec![("seats", CustomValue::Number(1.0))]);
        assert!(validate_custom(RecordKind::Lead, &defs(), &wrong_kind).is_err());
    }

    #[test]
    fn round_trips_through_a_document_and_json() {
        let v = values(vec![
            ("channel", CustomValue::Choice("direct".into())),
            ("budget", CustomValue::Money(Money::new(100, "CNY").unwrap())),
            ("seats", CustomValue::Number(3.0)),
        ]);
        let mut doc = automerge::AutoCommit::new();
        autosurgeon::reconcile_prop(&mut doc, automerge::ROOT, "custom", &v).unwrap();
        let back: BTreeMap<FieldId, CustomValue> = autosurgeon::hydrate_prop(&doc, automerge::ROOT, "custom").unwrap();
        assert_eq!(back, v);
        let json = serde_json::to_string(&v).unwrap();
        assert!(json.contains(r#""channel":{"type":"choice","value":"direct"}"#), "{json}");
        let back: BTreeMap<FieldId, CustomValue> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, v);
    }
}
