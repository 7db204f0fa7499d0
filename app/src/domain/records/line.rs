//! Readers for single-line strings that also accept an Automerge `Text` object.
//!
//! Our schema writes single-line values (names, numbers, stages, ids) as scalar strings. A stock
//! automerge-js 3 client turns a plain JS string (`d.name = "x"`) into a collaborative `Text` object, so
//! every reader reads a `Text` as its string value; everything else about the value (length, one line,
//! known stage, ...) is checked as before. Writing through `reconcile` turns it back into a scalar.
//! Used as `#[autosurgeon(hydrate = "line::one")]` (and `opt`, `many`), and by the hand-written
//! `Hydrate` impls of ids and vocabulary enums ([`text_value`]).

use automerge::ObjId;
use autosurgeon::{Hydrate, HydrateError, Prop, ReadDoc};

/// A string read from a scalar or a `Text` object.
struct Line(String);

impl Hydrate for Line {
    fn hydrate_string(s: &str) -> Result<Self, HydrateError> {
        Ok(Line(s.to_string()))
    }
    fn hydrate_text<D: ReadDoc>(doc: &D, obj: &ObjId) -> Result<Self, HydrateError> {
        text_value(doc, obj).map(Line)
    }
}

/// The string value of the `Text` object `obj`.
pub(crate) fn text_value<D: ReadDoc>(doc: &D, obj: &ObjId) -> Result<String, HydrateError> {
    doc.text(obj).map_err(HydrateError::from)
}

/// A required single-line string.
pub(crate) fn one<D: ReadDoc>(doc: &D, obj: &ObjId, prop: Prop<'_>) -> Result<String, HydrateError> {
    Line::hydrate(doc, obj, prop).map(|l| l.0)
}

/// An optional single-line string (absent or null: `None`).
pub(crate) fn opt<D: ReadDoc>(doc: &D, obj: &ObjId, prop: Prop<'_>) -> Result<Option<String>, HydrateError> {
    Option::<Line>::hydrate(doc, obj, prop).map(|l| l.map(|l| l.0))
}

/// A list of single-line strings (tags).
pub(crate) fn many<D: ReadDoc>(doc: &D, obj: &ObjId, prop: Prop<'_>) -> Result<Vec<String>, HydrateError> {
    Vec::<Line>::hydrate(doc, obj, prop).map(|v| v.into_iter().map(|l| l.0).collect())
}

#[cfg(test)]
mod tests {
    use automerge::{transaction::Transactable, AutoCommit, ObjType, ROOT};

    use crate::domain::docs::{init_record, read_meta, read_record};
    use crate::domain::testkit::{company, u};
    use crate::domain::{check_write, DocId, DocRole, DomainError, Opportunity, StageId, Timestamp};

    const NOW: Timestamp = Timestamp(1_767_225_600_000);

    /// What automerge-js 3 does with `d[key] = value` for a plain string.
    fn put_text(doc: &mut AutoCommit, key: &str, value: &str) {
        let t = doc.put_object(ROOT, key, ObjType::Text).unwrap();
        doc.splice_text(&t, 0, 0, value).unwrap();
        doc.commit();
    }

    fn deal() -> AutoCommit {
        let o = Opportunity::new(
            "Deal",
            "OPP-2026-0001",
            &StageId::new("initial"),
            Some(u("rep1")),
            &u("rep1"),
            NOW,
            &company(),
        )
        .unwrap();
        let mut d = AutoCommit::new();
        init_record(&mut d, &o).unwrap();
        d
    }

    fn gate(before: &AutoCommit, after: &AutoCommit) -> Result<(), DomainError> {
        let role = DocRole::Main { customer_owner: None };
        check_write(&u("rep1"), &company(), &DocId::from_bytes([3; 16]), &role, Some(before), after)
    }

    #[test]
    fn text_reads_as_its_string_and_passes_the_gate() {
        let before = deal();
        let mut after = before.clone();
        put_text(&mut after, "name", "plain");
        put_text(&mut after, "stage", "needs");
        // Same value as before, written as Text: not a change of an immutable key or of the owner.
        put_text(&mut after, "kind", "opportunity");
        put_text(&mut after, "owner", "rep1");
        gate(&before, &after).unwrap();
        let o: Opportunity = read_record(&after).unwrap();
        assert_eq!((o.name.as_str(), o.stage.as_str()), ("plain", "needs"));
        assert_eq!(read_meta(&after).unwrap().owner, Some(u("rep1")));
    }

    #[test]
    fn text_keeps_every_other_check() {
        let before = deal();
        let refused = |key: &str, value: &str| {
            let mut after = before.clone();
            put_text(&mut after, key, value);
            match gate(&before, &after) {
                Err(DomainError::Refused { path, .. }) => path,
                other => panic!("{key} = {value:?}: expected a refusal, got {other:?}"),
            }
        };
        assert_eq!(refused("name", &"x".repeat(super::super::MAX_LINE + 1)), "name");
        assert_eq!(refused("name", "  "), "name");
        assert_eq!(refused("stage", "no-such-stage"), "stage");
        assert_eq!(refused("owner", "rep2"), "owner");
        assert_eq!(refused("kind", "customer"), "kind");
    }
}
