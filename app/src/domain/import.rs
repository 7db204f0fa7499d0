//! CSV import: the rows of a file become new records (with their companion groups), or each row is
//! rejected with where and why ("row 17, column close_date: not a date").
//!
//! Pure: the caller hands over the bytes, the directory, the importer, `now`, a source of fresh ids and what
//! exists already (the customers the importer can see, record numbers in use). Nothing here reads a clock,
//! storage or the network, so a dry run and a real import plan exactly the same records.
//!
//! # Layout
//! - `import.rs`: the request ([`ImportRequest`], [`Format`], [`UnknownOwner`]), the outcome ([`ImportPlan`],
//!   [`RowError`], [`ImportError`]), [`plan`] and [`ImportPlan::documents`] (Automerge documents).
//! - `import/table.rs`: reading the CSV (header lookup, row numbers, file-level errors).
//! - `import/cells.rs`: one row's cells parsed (dates, amounts, phones, e-mails, enums), errors collected.
//! - `import/owners.rs`: names in the file → users, and whom the importer may assign records to.
//! - `import/build.rs`: shared state of one import: ids, numbers, customers created from names.
//! - `import/maven.rs`, `import/datablist.rs`, `import/generic.rs`: one mapping per format.
//! - `import/preview.rs`: what the import page reads before asking the relay: detected format and kind,
//!   suggested column mapping (custom fields included), the file rewritten in the generic layout, owner names.
//! - `import/tests.rs`: the shared test fixture and the import of the sample files in /work/shared/data.
//!
//! # Rows and owners
//! Rows are numbered like the lines of the file: the header is row 1, the first record row 2. A name in an
//! owner column (`sales_agent`, `Lead Owner`, `owner`) is looked up in the caller's mapping, then as a user
//! id, then as a user's display name (all case-insensitive). An empty owner cell means the importer (for
//! leads: the unassigned pool). A name that matches nobody is handled by [`UnknownOwner`]: by default the
//! row is **rejected**, because quietly giving thousands of deals to the importer would put them in the
//! wrong pipelines and team views; the dry run lists every unknown name, so the mapping can be completed.
//! Every owner must be someone the importer may assign records to (`may_assign`).
//!
//! # All or nothing
//! A plan with any rejected row must not be written (the relay answers the report and stores nothing):
//! half an import leaves the person to find out which rows went in and which did not, and re-importing
//! the file would duplicate the ones that did. Fix the file (the dry run lists every problem) and import
//! it again. Rows that pass create documents with fresh ids only, so nothing already stored is touched.

mod build;
mod cells;
mod datablist;
mod generic;
mod maven;
mod owners;
pub mod preview;
mod table;

#[cfg(test)]
mod tests;

use automerge::{ActorId, AutoCommit, Automerge};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use thiserror::Error;

use super::{
    docs, Companion, Contact, ContactPii, Customer, CustomerMoney, Directory, DocId, DomainError, Lead, LeadPii,
    Opportunity, OpportunityMoney, Record, RecordKind, Timestamp, UserId,
};

/// The most record rows one file may hold (split bigger files).
pub const MAX_ROWS: usize = 50_000;

/// The layout of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Maven Analytics' `sales_pipeline.csv` (opportunity_id, sales_agent, product, account, deal_stage,
    /// engage_date, close_date, close_value): opportunities, plus one customer per distinct account.
    Maven,
    /// Datablist's `leads-*.csv` (Index, Account Id, Lead Owner, First Name, Last Name, Company, Phone 1, ...).
    Datablist,
    /// Our own snake_case columns per kind (see [`generic_columns`]).
    Generic,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Maven, Format::Datablist, Format::Generic];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Maven => "maven",
            Format::Datablist => "datablist",
            Format::Generic => "generic",
        }
    }

    pub fn parse(s: &str) -> Result<Format, DomainError> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| DomainError::invalid("format", format!("{s:?} is not one of maven, datablist, generic")))
    }

    /// The record kinds this format imports.
    pub fn kinds(self) -> &'static [RecordKind] {
        match self {
            Format::Maven => &[RecordKind::Opportunity],
            Format::Datablist => &[RecordKind::Lead],
            Format::Generic => &[RecordKind::Lead, RecordKind::Opportunity, RecordKind::Customer, RecordKind::Contact],
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What to do with an owner name that matches no user.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownOwner {
    /// Reject the row (the default; see the module doc).
    #[default]
    Reject,
    /// Give the record to the importer.
    Importer,
    /// Leave the lead unassigned, in the pool (leads only).
    Pool,
}

impl UnknownOwner {
    pub fn parse(s: &str) -> Result<UnknownOwner, DomainError> {
        match s {
            "reject" => Ok(UnknownOwner::Reject),
            "importer" => Ok(UnknownOwner::Importer),
            "pool" => Ok(UnknownOwner::Pool),
            _ => Err(DomainError::invalid("unknown_owner", format!("{s:?} is not one of reject, importer, pool"))),
        }
    }
}

/// A customer the importer can see, which rows naming it (by normalized name) link to instead of
/// creating another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExistingCustomer {
    pub id: DocId,
    pub name: String,
}

/// Everything one import needs besides the bytes and the ids.
#[derive(Clone, Debug)]
pub struct ImportRequest<'a> {
    pub kind: RecordKind,
    pub format: Format,
    pub dir: &'a Directory,
    /// Who imports: `created_by` of every record, and whose permissions apply.
    pub importer: &'a UserId,
    pub now: Timestamp,
    /// Names as written in the file's owner column → users (e.g. a sales agent → `rep1`).
    pub owners: &'a BTreeMap<String, UserId>,
    pub unknown_owner: UnknownOwner,
    /// Currency of amounts whose row names none (default: USD for `maven`, CNY otherwise).
    pub currency: Option<&'a str>,
    /// Customers the importer can see (see [`ExistingCustomer`]).
    pub customers: &'a [ExistingCustomer],
    /// Opportunity and customer numbers in use (new numbers continue after them; a row repeating one is
    /// rejected, which also stops the same file from being imported twice).
    pub numbers: &'a [String],
}

/// Why one row cannot be imported (or, as a warning, what was changed on the way in).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// The row's line number (the header is row 1).
    pub row: usize,
    /// The column as the file names it, when one cell is at fault.
    pub column: Option<String>,
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(c) => write!(f, "row {}, column {c}: {}", self.row, self.reason),
            None => write!(f, "row {}: {}", self.row, self.reason),
        }
    }
}

/// The file cannot be read as this format at all (nothing of it is imported).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ImportError {
    #[error("the file is empty")]
    Empty,
    /// Not CSV as expected: wrong number of fields, not UTF-8, broken quoting.
    #[error("row {row}: {reason}")]
    Malformed { row: usize, reason: String },
    #[error("missing column(s) {}; a {format} file of {kind} has {expected}", .missing.join(", "))]
    MissingColumns { format: Format, kind: &'static str, missing: Vec<String>, expected: String },
    #[error("unknown column {column:?}; the columns for {kind} are {allowed}")]
    UnknownColumn { column: String, kind: &'static str, allowed: String },
    #[error("column {0:?} appears twice")]
    DuplicateColumn(String),
    #[error("more than {max} rows; split the file")]
    TooManyRows { max: usize },
    #[error("the {format} format imports {supported}, not {kind}")]
    Unsupported { format: Format, kind: &'static str, supported: String },
    /// A request option is invalid (owner mapping, currency).
    #[error(transparent)]
    Option(#[from] DomainError),
}

/// One record to create.
#[derive(Clone, Debug, PartialEq)]
pub enum NewRecord {
    Lead(Lead, LeadPii),
    Opportunity(Opportunity, OpportunityMoney),
    /// A customer with its cooperation history (the imported won deals), if any.
    Customer(Customer, Option<CustomerMoney>),
    Contact(Contact, ContactPii),
}

impl NewRecord {
    pub fn kind(&self) -> RecordKind {
        match self {
            NewRecord::Lead(..) => RecordKind::Lead,
            NewRecord::Opportunity(..) => RecordKind::Opportunity,
            NewRecord::Customer(..) => RecordKind::Customer,
            NewRecord::Contact(..) => RecordKind::Contact,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            NewRecord::Lead(r, _) => &r.name,
            NewRecord::Opportunity(r, _) => &r.name,
            NewRecord::Customer(r, _) => &r.name,
            NewRecord::Contact(r, _) => &r.name,
        }
    }

    pub fn owner(&self) -> Option<&UserId> {
        match self {
            NewRecord::Lead(r, _) => r.owner(),
            NewRecord::Opportunity(r, _) => r.owner(),
            NewRecord::Customer(r, _) => r.owner(),
            NewRecord::Contact(r, _) => r.owner(),
        }
    }
}

/// A record of the plan and the row it comes from (for a customer made from a name: the first row
/// naming it).
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedRecord {
    pub row: usize,
    pub id: DocId,
    pub record: NewRecord,
}

/// What an import would do: the records to create, every rejected row and why, and what was adjusted.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportPlan {
    pub kind: RecordKind,
    pub format: Format,
    /// Record rows read (the header not counted).
    pub rows: usize,
    pub records: Vec<PlannedRecord>,
    pub rejected: Vec<RowError>,
    /// Values changed on the way in (e.g. a phone extension that the phone field cannot hold).
    pub warnings: Vec<RowError>,
    /// Columns of the file that are not imported, with why.
    pub ignored_columns: Vec<(String, String)>,
}

impl ImportPlan {
    /// No row rejected: the plan may be written.
    pub fn is_clean(&self) -> bool {
        self.rejected.is_empty()
    }

    /// How many records of `kind` the plan creates.
    pub fn count(&self, kind: RecordKind) -> usize {
        self.records.iter().filter(|r| r.record.kind() == kind).count()
    }

    /// Rows rejected (a row may have several reasons).
    pub fn rejected_rows(&self) -> usize {
        let mut rows: Vec<usize> = self.rejected.iter().map(|e| e.row).collect();
        rows.dedup();
        rows.len()
    }

    /// The Automerge documents of every planned record (see [`documents`]).
    pub fn documents(&self) -> Result<Vec<(DocId, Automerge)>, DomainError> {
        documents(&self.records)
    }
}

/// The Automerge documents of `records`: main document, then its companions. Each document's actor is
/// derived from its own id, so building twice gives the same documents (and a plan may be built in parts).
pub fn documents(records: &[PlannedRecord]) -> Result<Vec<(DocId, Automerge)>, DomainError> {
    let mut out = Vec::with_capacity(records.len() * 2);
    for p in records {
        match &p.record {
            NewRecord::Lead(r, pii) => {
                out.push(main_doc(&p.id, r)?);
                out.push(companion_doc(&p.id, r, pii)?);
            }
            NewRecord::Opportunity(r, money) => {
                out.push(main_doc(&p.id, r)?);
                out.push(companion_doc(&p.id, r, money)?);
            }
            NewRecord::Customer(r, money) => {
                out.push(main_doc(&p.id, r)?);
                if let Some(m) = money {
                    out.push(companion_doc(&p.id, r, m)?);
                }
            }
            NewRecord::Contact(r, pii) => {
                out.push(main_doc(&p.id, r)?);
                out.push(companion_doc(&p.id, r, pii)?);
            }
        }
    }
    Ok(out)
}

fn new_doc(id: &DocId) -> AutoCommit {
    AutoCommit::new().with_actor(ActorId::from(id.bytes().to_vec()))
}

fn main_doc<R: Record>(id: &DocId, r: &R) -> Result<(DocId, Automerge), DomainError> {
    let mut doc = new_doc(id);
    docs::init_record(&mut doc, r)?;
    Ok((id.clone(), doc.document().clone()))
}

fn companion_doc<R: Record, C: Companion>(id: &DocId, r: &R, c: &C) -> Result<(DocId, Automerge), DomainError> {
    let cid = id.companion(C::GROUP);
    let mut doc = new_doc(&cid);
    docs::init_companion(&mut doc, id, r.created_at(), r.created_by(), c)?;
    Ok((cid, doc.document().clone()))
}

/// The columns of the generic format for `kind` (`name` is required; the others are optional).
pub fn generic_columns(kind: RecordKind) -> &'static [&'static str] {
    generic::columns(kind)
}

/// Reads `input` as `req.format` and maps every row to records of `req.kind`; `new_id` gives a fresh
/// document id per record. Rows that cannot be imported are listed in [`ImportPlan::rejected`]; a file that
/// cannot be read as that format at all is an [`ImportError`].
pub fn plan(
    input: impl std::io::Read,
    req: &ImportRequest<'_>,
    new_id: &mut dyn FnMut() -> DocId,
) -> Result<ImportPlan, ImportError> {
    if !req.format.kinds().contains(&req.kind) {
        let supported: Vec<&str> = req.format.kinds().iter().map(|k| k.plural()).collect();
        return Err(ImportError::Unsupported {
            format: req.format,
            kind: req.kind.plural(),
            supported: supported.join(", "),
        });
    }
    let owners = owners::Owners::new(req)?;
    let table = table::Table::read(input, MAX_ROWS)?;
    let mut b = build::Builder::new(req, owners, new_id)?;
    match req.format {
        Format::Maven => maven::import(&table, &mut b)?,
        Format::Datablist => datablist::import(&table, &mut b)?,
        Format::Generic => generic::import(&table, &mut b)?,
    }
    Ok(b.finish(table.len()))
}
