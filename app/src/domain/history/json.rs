//! A document's values as plain JSON, read generically (no record struct): maps as objects, lists as
//! arrays, text as strings, scalars as themselves. This is what history entries show, so a field added to
//! a record appears in history without a change here. Values are read at given heads (the document as it
//! was just before or just after a change).

use automerge::{Automerge, ChangeHash, ObjId, ObjType, ReadDoc, ScalarValue, Value as AmValue, ROOT};
use serde_json::{Map, Value};

/// The JSON of the top-level `key` at `heads` (`null` when absent), and whether it is a Text object.
pub(super) fn at_root(doc: &Automerge, key: &str, heads: &[ChangeHash]) -> (Value, bool) {
    match doc.get_at(ROOT, key, heads) {
        Ok(Some((v, id))) => {
            let text = matches!(v, AmValue::Object(ObjType::Text));
            (value(doc, v, &id, heads), text)
        }
        _ => (Value::Null, false),
    }
}

fn value(doc: &Automerge, v: AmValue<'_>, id: &ObjId, heads: &[ChangeHash]) -> Value {
    match v {
        AmValue::Scalar(s) => scalar(&s),
        AmValue::Object(ObjType::Text) => Value::String(doc.text_at(id, heads).unwrap_or_default()),
        AmValue::Object(ObjType::Map | ObjType::Table) => {
            let mut m = Map::new();
            for item in doc.map_range_at(id, .., heads) {
                let id = item.id();
                m.insert(item.key.to_string(), value(doc, item.value.into(), &id, heads));
            }
            Value::Object(m)
        }
        AmValue::Object(ObjType::List) => {
            let items = doc.list_range_at(id, .., heads).map(|item| {
                let id = item.id();
                value(doc, item.value.into(), &id, heads)
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
