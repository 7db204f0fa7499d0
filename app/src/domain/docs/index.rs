//! The per-user index document, the one definition of its wire format: `{kind: "index", schema, created_at,
//! created_by: "relay", user, docs: {<doc id>: {kind, record}}}`, listing the record and companion documents
//! the user may read now. Only the relay writes it (`server::sync::index`); the client reads it to know what
//! its device should hold, and tests read it to check a slice.

use std::borrow::Cow;
use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{AutomergeError, ObjId, ObjType, ReadDoc, ROOT};

use super::SCHEMA;
use crate::domain::{DocId, UserId};

/// One entry of an index document.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct IndexEntry {
    /// The document's kind: a record kind (`lead`, …) for main documents, a field group (`money`, `pii`,
    /// `service`) for companions. Borrowed where the relay names it from its own tables.
    pub kind: Cow<'static, str>,
    /// The record the document belongs to (its own id for main documents).
    pub record: DocId,
}

/// Reads the `docs` map of an index document (entries it cannot read are skipped).
pub fn read_index<D: ReadDoc>(doc: &D) -> BTreeMap<DocId, IndexEntry> {
    let mut out = BTreeMap::new();
    let Ok(Some((_, docs))) = doc.get(ROOT, "docs") else { return out };
    for key in doc.keys(&docs) {
        let Ok(id) = DocId::parse(&key) else { continue };
        let Ok(Some((_, entry))) = doc.get(&docs, key.as_str()) else { continue };
        let text = |k: &str| -> Option<String> {
            let (v, _) = doc.get(&entry, k).ok().flatten()?;
            v.as_str().map(str::to_string)
        };
        let Some(kind) = text("kind") else { continue };
        let record = text("record").and_then(|r| DocId::parse(&r).ok()).unwrap_or_else(|| id.clone());
        out.insert(id, IndexEntry { kind: Cow::Owned(kind), record });
    }
    out
}

/// Applies one change to an index document: a new one gets its header (`new`), then `remove` and `add`.
pub fn write_index<T: Transactable>(
    tx: &mut T,
    new: bool,
    user: &UserId,
    now_ms: i64,
    add: &[(DocId, IndexEntry)],
    remove: &[DocId],
) -> Result<(), AutomergeError> {
    let docs: ObjId = if new {
        tx.put(ROOT, "kind", "index")?;
        tx.put(ROOT, "schema", SCHEMA)?;
        tx.put(ROOT, "created_at", now_ms)?;
        tx.put(ROOT, "created_by", "relay")?;
        tx.put(ROOT, "user", user.as_str())?;
        tx.put_object(ROOT, "docs", ObjType::Map)?
    } else {
        match tx.get(ROOT, "docs")? {
            Some((_, docs)) => docs,
            None => tx.put_object(ROOT, "docs", ObjType::Map)?,
        }
    };
    for d in remove {
        tx.delete(&docs, d.as_str())?;
    }
    for (d, e) in add {
        let entry = tx.put_object(&docs, d.as_str(), ObjType::Map)?;
        tx.put(&entry, "kind", e.kind.as_ref())?;
        tx.put(&entry, "record", e.record.as_str())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::Automerge;

    #[test]
    fn what_the_relay_writes_the_client_reads() {
        let (a, b, c) = (DocId::from_bytes([1; 16]), DocId::from_bytes([2; 16]), DocId::from_bytes([3; 16]));
        let user = UserId::new("rep1");
        let mut doc = Automerge::new();
        let add = vec![
            (a.clone(), IndexEntry { kind: Cow::Borrowed("customer"), record: a.clone() }),
            (b.clone(), IndexEntry { kind: Cow::Borrowed("money"), record: a.clone() }),
            (c.clone(), IndexEntry { kind: Cow::Borrowed("opportunity"), record: c.clone() }),
        ];
        let mut tx = doc.transaction();
        write_index(&mut tx, true, &user, 1, &add, &[]).unwrap();
        tx.commit();
        assert_eq!(read_index(&doc), add.iter().cloned().collect());
        let mut tx = doc.transaction();
        write_index(&mut tx, false, &user, 2, &[], std::slice::from_ref(&c)).unwrap();
        tx.commit();
        let got = read_index(&doc);
        assert_eq!(got.keys().collect::<Vec<_>>().len(), 2);
        assert_eq!(got[&b].record, a, "a companion names its record");
        assert_eq!(doc.get(ROOT, "user").unwrap().unwrap().0.as_str(), Some("rep1"));
    }
}
