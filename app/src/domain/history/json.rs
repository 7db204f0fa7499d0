//! A document's values as plain JSON, read generically (no record struct): maps as objects, lists as
//! arrays, text as strings, scalars as themselves. This is what history entries show, so a field added to
//! a record appears in history without a change here.

use automerge::{Automerge, ObjId, ObjType, ReadDoc, ScalarValue, Value as AmValue, ROOT};
use serde_json::{Map, Value};

/// The JSON of the top-level `key` (`null` when absent).
pub(super) fn at_root(doc: &Automerge, key: &str) -> Value {
    match doc.get(ROOT, key) {
        Ok(Some((v, id))) => value(doc, v, &id),
        _ => Value::Null,
    }
}

/// Is the top-level `key` a Text object (notes)?
pub(super) fn is_text(doc: &Automerge, key: &str) -> bool {
    matches!(doc.get(ROOT, key), Ok(Some((AmValue::Object(ObjType::Text), _))))
}

fn value(doc: &Automerge, v: AmValue<'_>, id: &ObjId) -> Value {
    match v {
        AmValue::Scalar(s) => scalar(&s),
        AmValue::Object(ObjType::Text) => Value::String(doc.text(id).unwrap_or_default()),
        AmValue::Object(ObjType::Map | ObjType::Table) => {
            let mut m = Map::new();
            for item in doc.map_range(id, ..) {
                let id = item.id();
                m.insert(item.key.to_string(), value(doc, item.value.into(), &id));
            }
            Value::Object(m)
        }
        AmValue::Object(ObjType::List) => {
            let items = doc.list_range(id, ..).map(|item| {
                let id = item.id();
                value(doc, item.value.into(), &id)
            });
            Value::Array(items.collect())
        }
    }
}

fn scalar(s: &ScalarValue) -> Value {
    match s {
        ScalarValue::Str(s) => Value::String(s.to_string()),
        ScalarValue::Int(i) => Value::from(*i),
        ScalarValue::Uint(u) => Value::from(*u),
        ScalarValue::F64(f) => Value::from(*f),
        ScalarValue::Counter(c) => Value::from(i64::from(c)),
        ScalarValue::Timestamp(t) => Value::from(*t),
        ScalarValue::Boolean(b) => Value::Bool(*b),
        ScalarValue::Null => Value::Null,
        ScalarValue::Bytes(b) => Value::String(format!("<{} bytes>", b.len())),
        ScalarValue::Unknown { .. } => Value::Null,
    }
}
