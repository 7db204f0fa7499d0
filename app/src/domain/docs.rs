//! Mapping records to Automerge documents (through autosurgeon) and back.
//!
//! Every document is a map with `kind` (string), `schema` ([`SCHEMA`]), `created_at` (i64 ms) and
//! `created_by`. Main record documents add `owner`, `team`, `updated_at` and the record's base fields
//! (the [`Record`] struct's fields, snake_case). Companion documents add `record` (the main document's
//! id), `record_kind` and the group's fields (the [`Companion`] struct's fields).
//!
//! Writing goes through `init_*` (a new, empty document: one change that sets the header and the
//! fields) and `write_*` (reconcile the struct against the document: only what changed is written;
//! notes edited with [`super::LongText::splice`] become text operations). Each write is one change.

pub mod index;
mod view;

pub use index::{read_index, write_index, IndexEntry};
pub use view::{ActivityView, ContactView, CustomerView, LeadView, OpportunityView, RecordView};

use automerge::{transaction::Transactable, AutoCommit, ObjType, ReadDoc as _, ScalarValue, Value, ROOT};
use autosurgeon::{hydrate, hydrate_prop, reconcile, HydrateError, ReadDoc, ReconcileError};

use super::records::{Companion, Record};
use super::time::lenient;
use super::{
    Activity, Contact, Customer, Directory, DocId, DomainError, FieldGroup, Lead, Opportunity, RecordKind, RecordMeta,
    Timestamp, UserId,
};

/// The current document schema version.
pub const SCHEMA: u64 = 1;

/// Keys no change may alter once a document exists.
pub const IMMUTABLE_KEYS: [&str; 6] = ["kind", "schema", "created_at", "created_by", "record", "record_kind"];

/// What a document is, from its `kind` key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DocKind {
    /// A main record document.
    Record(RecordKind),
    /// A companion document of a restricted group (`money`, `pii`, `service`).
    Companion(FieldGroup),
    /// The team directory.
    Directory,
    /// A user's index, written only by the relay.
    Index,
}

impl DocKind {
    pub fn parse(s: &str) -> Result<DocKind, DomainError> {
        match s {
            "directory" => Ok(DocKind::Directory),
            "index" => Ok(DocKind::Index),
            _ => match FieldGroup::parse(s) {
                Some(g) if g != FieldGroup::Base => Ok(DocKind::Companion(g)),
                _ => RecordKind::ALL
                    .into_iter()
                    .find(|k| k.as_str() == s)
                    .map(DocKind::Record)
                    .ok_or_else(|| DomainError::invalid("kind", format!("unknown document kind {s:?}"))),
            },
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Record(k) => k.as_str(),
            DocKind::Companion(g) => g.as_str(),
            DocKind::Directory => "directory",
            DocKind::Index => "index",
        }
    }
}

/// The header every document carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocHead {
    pub kind: DocKind,
    pub schema: u64,
    pub created_at: Timestamp,
    pub created_by: UserId,
}

/// A companion document's link to its record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompanionLink {
    pub group: FieldGroup,
    pub record: DocId,
    pub record_kind: RecordKind,
}

pub(crate) fn hydrate_err(e: HydrateError) -> DomainError {
    DomainError::invalid("document", e.to_string())
}

fn reconcile_err(e: ReconcileError) -> DomainError {
    match e {
        ReconcileError::StaleHeads(_) => {
            DomainError::NotAllowed("the document changed since the record was read; read it again".into())
        }
        e => DomainError::invalid("document", e.to_string()),
    }
}

/// Reads a top-level string key; `None` when absent. A `Text` object (a stock automerge-js client's plain
/// string) reads as its value, as in every other reader (`records::line`).
pub fn get_str<D: ReadDoc>(doc: &D, key: &str) -> Result<Option<String>, DomainError> {
    match doc.get(&ROOT, key).map_err(|e| DomainError::invalid(key, e.to_string()))? {
        None => Ok(None),
        Some((Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Str(s) => Ok(Some(s.to_string())),
            ScalarValue::Null => Ok(None),
            _ => Err(DomainError::invalid(key, "not a string")),
        },
        Some((Value::Object(ObjType::Text), id)) => {
            Ok(Some(doc.text(&id).map_err(|e| DomainError::invalid(key, e.to_string()))?))
        }
        Some(_) => Err(DomainError::invalid(key, "not a string")),
    }
}

fn require_str<D: ReadDoc>(doc: &D, key: &str) -> Result<String, DomainError> {
    get_str(doc, key)?.ok_or_else(|| DomainError::invalid(key, "missing"))
}

/// Reads the header (`kind`, `schema`, `created_at`, `created_by`) of any document.
pub fn read_head<D: ReadDoc>(doc: &D) -> Result<DocHead, DomainError> {
    let kind = DocKind::parse(&require_str(doc, "kind")?)?;
    let schema =
        lenient::u64(doc, &ROOT, "schema".into()).map_err(|e| DomainError::invalid("schema", e.to_string()))?;
    let created_at: Timestamp =
        hydrate_prop(doc, &ROOT, "created_at").map_err(|e| DomainError::invalid("created_at", e.to_string()))?;
    let created_by = UserId::new(require_str(doc, "created_by")?);
    Ok(DocHead { kind, schema, created_at, created_by })
}

/// The document's `kind`, or `None` for a document that has none yet (empty or foreign).
pub fn read_kind<D: ReadDoc>(doc: &D) -> Result<Option<DocKind>, DomainError> {
    get_str(doc, "kind")?.map(|k| DocKind::parse(&k)).transpose()
}

/// Reads a companion document's `record` and `record_kind`.
pub fn read_companion_link<D: ReadDoc>(doc: &D) -> Result<CompanionLink, DomainError> {
    let group = match read_head(doc)?.kind {
        DocKind::Companion(g) => g,
        k => return Err(DomainError::invalid("kind", format!("{:?} is not a companion kind", k.as_str()))),
    };
    let record =
        DocId::parse(&require_str(doc, "record")?).map_err(|e| DomainError::invalid("record", e.to_string()))?;
    let record_kind = RecordKind::parse(&require_str(doc, "record_kind")?)
        .map_err(|e| DomainError::invalid("record_kind", e.to_string()))?;
    Ok(CompanionLink { group, record, record_kind })
}

/// What the policy needs from a main record document. `customer_owner` is left `None`: it is the
/// maintainer of the customer named by [`read_customer_link`], which the caller looks up.
pub fn read_meta<D: ReadDoc>(doc: &D) -> Result<RecordMeta, DomainError> {
    let kind = match read_head(doc)?.kind {
        DocKind::Record(k) => k,
        k => return Err(DomainError::invalid("kind", format!("{:?} is not a record kind", k.as_str()))),
    };
    let owner = get_str(doc, "owner")?.map(UserId::new);
    Ok(RecordMeta { kind, owner, customer_owner: None, linked: Vec::new() })
}

/// The customer a main record document links to (`customer` key of opportunities, contacts, activities).
pub fn read_customer_link<D: ReadDoc>(doc: &D) -> Result<Option<DocId>, DomainError> {
    get_str(doc, "customer")?
        .map(|s| DocId::parse(&s).map_err(|e| DomainError::invalid("customer", e.to_string())))
        .transpose()
}

fn put_head(doc: &mut AutoCommit, kind: &str, created_at: Timestamp, created_by: &UserId) -> Result<(), DomainError> {
    let am = |e: automerge::AutomergeError| DomainError::invalid("document", e.to_string());
    doc.put(ROOT, "kind", kind).map_err(am)?;
    doc.put(ROOT, "schema", SCHEMA).map_err(am)?;
    doc.put(ROOT, "created_at", created_at.millis()).map_err(am)?;
    doc.put(ROOT, "created_by", created_by.as_str()).map_err(am)?;
    Ok(())
}

fn require_empty(doc: &mut AutoCommit) -> Result<(), DomainError> {
    if doc.is_empty() && doc.keys(ROOT).next().is_none() {
        Ok(())
    } else {
        Err(DomainError::NotAllowed("the document already exists".into()))
    }
}

/// Writes a new record into an empty document (made by the caller with its actor id): one change with
/// the header and every field.
pub fn init_record<R: Record>(doc: &mut AutoCommit, record: &R) -> Result<(), DomainError> {
    require_empty(doc)?;
    reconcile(doc, record).map_err(reconcile_err)?;
    put_head(doc, R::KIND.as_str(), record.created_at(), record.created_by())?;
    commit_at(doc, record.updated_at());
    Ok(())
}

/// Writes a record's current state into its existing main document (one change, only what differs).
pub fn write_record<R: Record>(doc: &mut AutoCommit, record: &R) -> Result<(), DomainError> {
    expect_kind(doc, DocKind::Record(R::KIND))?;
    reconcile(doc, record).map_err(reconcile_err)?;
    commit_at(doc, record.updated_at());
    Ok(())
}

/// Commits what is pending as one change stamped `at` (a record's writes are stamped with its `updated_at`,
/// which every write sets to the writer's clock). Automerge's change time is whole seconds since the epoch,
/// as automerge-js writes it; history reads it back as `made_at` (`domain::history`).
pub fn commit_at(doc: &mut AutoCommit, at: Timestamp) {
    doc.commit_with(automerge::transaction::CommitOptions::default().with_time(at.millis().div_euclid(1000)));
}

/// Reads a record from its main document, checking the document's kind and schema.
pub fn read_record<R: Record, D: ReadDoc>(doc: &D) -> Result<R, DomainError> {
    expect_kind(doc, DocKind::Record(R::KIND))?;
    hydrate(doc).map_err(hydrate_err)
}

/// Writes a new companion document for `record_id` into an empty document (made by the caller with its
/// actor id), in two changes.
///
/// The first, the *genesis*, is the same bytes whoever writes it: a fixed actor derived from the
/// companion's id, time 0, the header with the record's own creation (`record_created_at`,
/// `record_created_by`, not the writer's) and the group's empty fields. Two writers who start the same
/// companion independently (an account manager and after-sales on one customer, both offline) therefore
/// make one and the same change, which Automerge merges with itself: their entries land in the same maps
/// and lists instead of two rival documents fighting over the header. The second change, by the
/// caller's actor, writes `value` (none when `value` is empty).
pub fn init_companion<C: Companion>(
    doc: &mut AutoCommit,
    record_id: &DocId,
    record_created_at: Timestamp,
    record_created_by: &UserId,
    value: &C,
) -> Result<(), DomainError> {
    require_empty(doc)?;
    let writer = doc.get_actor().clone();
    doc.set_actor(genesis_actor(&record_id.companion(C::GROUP)));
    let genesis = (|| {
        reconcile(doc, C::default()).map_err(reconcile_err)?;
        put_head(doc, C::GROUP.as_str(), record_created_at, record_created_by)?;
        let am = |e: automerge::AutomergeError| DomainError::invalid("document", e.to_string());
        doc.put(ROOT, "record", record_id.as_str()).map_err(am)?;
        doc.put(ROOT, "record_kind", C::KIND.as_str()).map_err(am)?;
        doc.commit_with(automerge::transaction::CommitOptions::default().with_time(0));
        Ok(())
    })();
    doc.set_actor(writer);
    genesis?;
    reconcile(doc, value).map_err(reconcile_err)?;
    doc.commit();
    Ok(())
}

/// The actor of a companion's genesis change: the companion's id bytes, so it is the same on every
/// device and never the actor of any device's own edits (those are random).
fn genesis_actor(companion: &DocId) -> automerge::ActorId {
    automerge::ActorId::from(companion.bytes().to_vec())
}

/// Writes a companion's current state into its existing document (an unstamped change: prefer
/// [`write_companion_at`]).
pub fn write_companion<C: Companion>(doc: &mut AutoCommit, value: &C) -> Result<(), DomainError> {
    expect_companion::<C, _>(doc)?;
    reconcile(doc, value).map_err(reconcile_err)?;
    doc.commit();
    Ok(())
}

/// [`write_companion`], the change stamped `now` (the writer's clock; history shows it as `made_at`).
pub fn write_companion_at<C: Companion>(doc: &mut AutoCommit, value: &C, now: Timestamp) -> Result<(), DomainError> {
    expect_companion::<C, _>(doc)?;
    reconcile(doc, value).map_err(reconcile_err)?;
    commit_at(doc, now);
    Ok(())
}

/// Reads a companion, checking its kind, schema and record kind.
pub fn read_companion<C: Companion, D: ReadDoc>(doc: &D) -> Result<C, DomainError> {
    expect_companion::<C, _>(doc)?;
    hydrate(doc).map_err(hydrate_err)
}

fn expect_kind<D: ReadDoc>(doc: &D, want: DocKind) -> Result<DocHead, DomainError> {
    let head = read_head(doc)?;
    if head.kind != want {
        return Err(DomainError::invalid(
            "kind",
            format!("expected {:?}, found {:?}", want.as_str(), head.kind.as_str()),
        ));
    }
    if head.schema != SCHEMA {
        return Err(DomainError::invalid("schema", format!("unsupported schema version {}", head.schema)));
    }
    Ok(head)
}

fn expect_companion<C: Companion, D: ReadDoc>(doc: &D) -> Result<CompanionLink, DomainError> {
    expect_kind(doc, DocKind::Companion(C::GROUP))?;
    let link = read_companion_link(doc)?;
    if link.record_kind != C::KIND {
        return Err(DomainError::invalid(
            "record_kind",
            format!("expected {:?}, found {:?}", C::KIND.as_str(), link.record_kind.as_str()),
        ));
    }
    Ok(link)
}

const HEAD_KEYS: [&str; 4] = ["kind", "schema", "created_at", "created_by"];
const COMPANION_HEAD_KEYS: [&str; 6] = ["kind", "schema", "created_at", "created_by", "record", "record_kind"];

/// Refuses top-level keys that are neither header keys nor fields of the struct: a field written into
/// a document can never be hidden again, so e.g. a `phone` in a lead's main document would leak the
/// `pii` group to everyone who reads the lead.
fn only_known_keys<D: ReadDoc, T: autosurgeon::Reconcile>(
    doc: &D,
    value: &T,
    head: &[&str],
    what: &str,
) -> Result<(), DomainError> {
    let mut shape = AutoCommit::new();
    reconcile(&mut shape, value).map_err(reconcile_err)?;
    for item in doc.map_range(&ROOT, ..) {
        let key: &str = &item.key;
        if !head.contains(&key) && automerge::ReadDoc::get(&shape, ROOT, key).ok().flatten().is_none() {
            return Err(DomainError::invalid(key, format!("not a field of a {what} document")));
        }
    }
    Ok(())
}

/// Reads and validates a main record document of any kind against the directory (the relay's
/// schema check). Returns its policy metadata (without `customer_owner`).
pub fn validate_record_doc<D: ReadDoc>(doc: &D, dir: &Directory) -> Result<RecordMeta, DomainError> {
    validate_record_change(None, doc, dir)
}

/// Reads and validates a record document after a change from `before` (`None`: a new record), the way
/// [`Record::validate_change`] says: custom fields are checked for what the change touched.
pub fn validate_record_change<D: ReadDoc>(
    before: Option<&D>,
    doc: &D,
    dir: &Directory,
) -> Result<RecordMeta, DomainError> {
    fn check<R: Record, D: ReadDoc>(before: Option<&D>, doc: &D, dir: &Directory) -> Result<RecordMeta, DomainError> {
        let r: R = read_record(doc)?;
        only_known_keys(doc, &r, &HEAD_KEYS, R::KIND.as_str())?;
        match before.map(read_record::<R, D>) {
            Some(Ok(old)) => r.validate_change(&old, dir)?,
            // No readable earlier version: the whole record must hold.
            None | Some(Err(_)) => r.validate(dir)?,
        }
        Ok(r.meta(None))
    }
    match read_head(doc)?.kind {
        DocKind::Record(RecordKind::Lead) => check::<Lead, _>(before, doc, dir),
        DocKind::Record(RecordKind::Opportunity) => check::<Opportunity, _>(before, doc, dir),
        DocKind::Record(RecordKind::Customer) => check::<Customer, _>(before, doc, dir),
        DocKind::Record(RecordKind::Contact) => check::<Contact, _>(before, doc, dir),
        DocKind::Record(RecordKind::Activity) => check::<Activity, _>(before, doc, dir),
        k => Err(DomainError::invalid("kind", format!("{:?} is not a record kind", k.as_str()))),
    }
}

/// Reads and validates a companion document of any group; returns its link to the record.
pub fn validate_companion_doc<D: ReadDoc>(doc: &D) -> Result<CompanionLink, DomainError> {
    use super::{ContactPii, CustomerMoney, CustomerService, LeadPii, OpportunityMoney};
    fn check<C: Companion, D: ReadDoc>(doc: &D) -> Result<(), DomainError> {
        let c: C = read_companion(doc)?;
        only_known_keys(doc, &c, &COMPANION_HEAD_KEYS, C::GROUP.as_str())?;
        c.validate()
    }
    let link = read_companion_link(doc)?;
    match (link.record_kind, link.group) {
        (RecordKind::Lead, FieldGroup::Pii) => check::<LeadPii, _>(doc)?,
        (RecordKind::Opportunity, FieldGroup::Money) => check::<OpportunityMoney, _>(doc)?,
        (RecordKind::Customer, FieldGroup::Money) => check::<CustomerMoney, _>(doc)?,
        (RecordKind::Customer, FieldGroup::Service) => check::<CustomerService, _>(doc)?,
        (RecordKind::Contact, FieldGroup::Pii) => check::<ContactPii, _>(doc)?,
        (k, g) => {
            return Err(DomainError::invalid("record_kind", format!("a {} has no {} group", k.as_str(), g.as_str())))
        }
    }
    Ok(link)
}

#[cfg(test)]
mod convergence;
#[cfg(test)]
mod tests;
