//! Custom-field columns of the generic format: a column named like a custom field's key (defined for the
//! kind being imported) fills that field, parsed by its type and checked by its definition.

use std::collections::BTreeMap;

use super::super::cells::Row;
use crate::domain::{CustomFieldDef, CustomFieldType, CustomValue, Directory, FieldId, RecordKind};

/// The custom fields of `kind`.
pub(crate) fn defs(dir: &Directory, kind: RecordKind) -> Vec<&CustomFieldDef> {
    dir.custom_fields.iter().filter(|d| d.kind == kind).collect()
}

/// The custom values of one row (empty cells set nothing); a cell that does not fit its field fails the row
/// at that column.
pub(crate) fn values(row: &mut Row<'_>, defs: &[&CustomFieldDef], currency: &str) -> BTreeMap<FieldId, CustomValue> {
    let mut out = BTreeMap::new();
    for d in defs {
        let col = d.id.as_str();
        let v = row.text(col);
        if v.is_empty() {
            if d.required {
                row.fail(Some(col), format!("{} is required", d.label));
            }
            continue;
        }
        let value = match &d.field_type {
            CustomFieldType::Text => Some(CustomValue::Text(v.to_string())),
            CustomFieldType::Number => match v.replace([',', ' '], "").parse::<f64>() {
                Ok(n) if n.is_finite() => Some(CustomValue::Number(n)),
                _ => {
                    row.fail(Some(col), format!("{v:?} is not a number"));
                    None
                }
            },
            CustomFieldType::Date => match chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
                Ok(day) => Some(CustomValue::Date(day.format("%Y-%m-%d").to_string())),
                Err(_) => {
                    row.fail(Some(col), format!("{v:?} is not a date (YYYY-MM-DD)"));
                    None
                }
            },
            CustomFieldType::Choice { options } => match options.iter().find(|o| o.eq_ignore_ascii_case(v)) {
                Some(o) => Some(CustomValue::Choice(o.clone())),
                None => {
                    row.fail(Some(col), format!("{v:?} is not one of {}", options.join(", ")));
                    None
                }
            },
            CustomFieldType::Money => row.amount(col, currency).map(CustomValue::Money),
        };
        if let Some(value) = value {
            match d.validate(&value) {
                Ok(()) => {
                    out.insert(d.id.clone(), value);
                }
                Err(crate::domain::DomainError::Invalid { reason, .. }) => row.fail(Some(col), reason),
                Err(e) => row.fail(Some(col), e.to_string()),
            }
        }
    }
    out
}
