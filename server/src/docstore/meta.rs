//! What the relay needs to know about a document without loading it: its kind and the keys the policy reads.

pub use app::domain::DocKind;
use app::domain::{DocId, RecordKind, StageId, UserId};

/// Per-document metadata, read from the document's top-level keys and stored beside its chunks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocMeta {
    /// `None`: no `kind`, or one we do not know: never served, never accepted.
    pub kind: Option<DocKind>,
    /// Companions: the main document's id (`record`).
    pub record: Option<DocId>,
    /// Companions: the main record's kind (`record_kind`).
    pub record_kind: Option<RecordKind>,
    /// Records: `owner` (customers: the maintainer). `None` = unassigned.
    pub owner: Option<UserId>,
    /// Opportunities, contacts, activities: the linked customer (`customer`).
    pub customer: Option<DocId>,
    /// Index documents: whose index (`user`).
    pub user: Option<UserId>,
    /// Opportunities and customers: the record number (`number`), for the number gate and counters.
    pub number: Option<String>,
    /// Records: archived (an `archived` mark is set), so lists skip it.
    pub archived: bool,
    /// Opportunities: the stage (`stage`), so a pipeline change that would strand deals is refused.
    pub stage: Option<StageId>,
    /// Leads and contacts: the erasure mark is set (`pii_erased`), so the write gate refuses their `pii`
    /// companion and the hub removes it.
    pub pii_erased: bool,
}

impl DocMeta {
    pub fn unknown() -> DocMeta {
        DocMeta {
            kind: None,
            record: None,
            record_kind: None,
            owner: None,
            customer: None,
            user: None,
            number: None,
            archived: false,
            stage: None,
            pii_erased: false,
        }
    }

    /// Reads the metadata of a document. Missing or mistyped keys read as `None` (the write gate refuses
    /// documents whose keys are wrong; this never fails).
    pub fn read(doc: &automerge::Automerge) -> DocMeta {
        // The domain's reader, so a Text value (a stock automerge-js client's plain string) means what the
        // write gate judged it to mean.
        let text = |key: &str| -> Option<String> { app::domain::docs::get_str(doc, key).ok().flatten() };
        let kind = text("kind").and_then(|k| DocKind::parse(&k).ok());
        let id = |key: &str| text(key).and_then(|s| DocId::parse(&s).ok());
        // A mark (`archived`, `pii_erased`) is a map; absent or null means unset.
        let has_mark = |key: &str| {
            matches!(automerge::ReadDoc::get(doc, automerge::ROOT, key), Ok(Some((automerge::Value::Object(_), _))))
        };
        DocMeta {
            kind,
            record: id("record"),
            record_kind: text("record_kind").and_then(|s| RecordKind::parse(&s).ok()),
            owner: text("owner").filter(|s| !s.is_empty()).map(UserId::new),
            customer: id("customer"),
            user: text("user").map(UserId::new),
            number: match kind {
                Some(DocKind::Record(RecordKind::Opportunity | RecordKind::Customer)) => text("number"),
                _ => None,
            },
            archived: has_mark("archived"),
            stage: match kind {
                Some(DocKind::Record(RecordKind::Opportunity)) => text("stage").map(StageId::new),
                _ => None,
            },
            pii_erased: matches!(kind, Some(DocKind::Record(RecordKind::Lead | RecordKind::Contact)))
                && has_mark("pii_erased"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::ROOT;

    #[test]
    fn reads_kinds_and_keys() {
        let rec = DocId::from_bytes([1; 16]);
        let mut d = automerge::Automerge::new();
        let mut tx = d.transaction();
        tx.put(ROOT, "kind", "money").unwrap();
        tx.put(ROOT, "record", rec.as_str()).unwrap();
        tx.put(ROOT, "record_kind", "opportunity").unwrap();
        tx.put(ROOT, "owner", automerge::ScalarValue::Null).unwrap();
        tx.commit();
        let m = DocMeta::read(&d);
        assert_eq!(m.kind, Some(DocKind::Companion(app::domain::FieldGroup::Money)));
        assert_eq!(m.record, Some(rec));
        assert_eq!(m.record_kind, Some(RecordKind::Opportunity));
        assert_eq!(m.owner, None);
        assert_eq!(DocMeta::read(&automerge::Automerge::new()).kind, None);
    }
}
