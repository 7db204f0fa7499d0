//! What the import page needs before it asks the relay anything: the file's columns and row count, the
//! format and kind its header tells, suggested fields for the columns of a file in no known layout, the
//! owner names it holds with a suggested user for each, and the file rewritten in our generic layout once
//! its columns are mapped. Pure, so the page and its tests agree on what a file means.

use std::collections::BTreeMap;

use super::table::Table;
use super::{generic_columns, Format, ImportError, MAX_ROWS};
use crate::domain::{may_assign, normalize_name, Directory, DocId, RecordKind, UserId};

/// A file read for the import page.
#[derive(Clone, Debug, PartialEq)]
pub struct FilePreview {
    /// Column names as the file writes them.
    pub headers: Vec<String>,
    /// Record rows (the header not counted, blank rows skipped).
    pub rows: usize,
    /// The format and kind the header tells, if it tells one.
    pub detected: Option<(Format, RecordKind)>,
}

/// Reads the header and counts the rows; a file that is not CSV is an error naming the row.
pub fn preview(bytes: &[u8]) -> Result<FilePreview, ImportError> {
    let t = Table::read(bytes, MAX_ROWS)?;
    let detected = detect(&t.headers);
    Ok(FilePreview { rows: t.len(), detected, headers: t.headers })
}

fn has(headers: &[String], names: &[&str]) -> bool {
    names.iter().all(|n| headers.iter().any(|h| h.eq_ignore_ascii_case(n)))
}

/// The format and kind a header tells: Maven's pipeline, Datablist's leads, or our generic columns of
/// exactly one kind (a header that fits several kinds, e.g. only `name`, tells none).
pub fn detect(headers: &[String]) -> Option<(Format, RecordKind)> {
    if has(headers, &["opportunity_id", "sales_agent", "deal_stage", "account"]) {
        return Some((Format::Maven, RecordKind::Opportunity));
    }
    if has(headers, &["Lead Owner", "First Name", "Last Name", "Company", "Deal Stage"]) {
        return Some((Format::Datablist, RecordKind::Lead));
    }
    if !has(headers, &["name"]) {
        return None;
    }
    let fits: Vec<RecordKind> = IMPORT_KINDS
        .into_iter()
        .filter(|k| headers.iter().all(|h| generic_columns(*k).iter().any(|c| c.eq_ignore_ascii_case(h))))
        .collect();
    match fits.as_slice() {
        [one] => Some((Format::Generic, *one)),
        _ => None,
    }
}

/// May `me` import records of `kind`: may they create one they own (or, for leads, an unassigned one)?
/// The relay's import answers 403 otherwise; the import page offers only these kinds.
pub fn may_import(me: &UserId, dir: &Directory, kind: RecordKind) -> bool {
    may_assign(me, dir, kind, None, Some(me), true)
        || (kind == RecordKind::Lead && may_assign(me, dir, kind, None, None, true))
}

/// The kinds a file can import.
pub const IMPORT_KINDS: [RecordKind; 4] =
    [RecordKind::Lead, RecordKind::Opportunity, RecordKind::Customer, RecordKind::Contact];

/// The column of a format that names owners.
pub fn owner_column(format: Format) -> &'static str {
    match format {
        Format::Maven => "sales_agent",
        Format::Datablist => "Lead Owner",
        Format::Generic => "owner",
    }
}

/// Other names people give our generic columns (compared after [`key`]).
const SYNONYMS: &[(&str, &[&str])] = &[
    (
        "name",
        &["full_name", "deal_name", "opportunity", "opportunity_name", "title_of_deal", "organization", "organisation"],
    ),
    ("owner", &["lead_owner", "sales_agent", "assigned_to", "salesperson", "sales_rep", "account_owner"]),
    ("company", &["account", "company_name", "organization_name"]),
    ("customer", &["account", "company", "account_name", "company_name"]),
    ("contact_name", &["contact", "person"]),
    ("phone", &["phone_1", "telephone", "tel", "mobile", "phone_number"]),
    ("email", &["email_1", "e_mail", "mail", "email_address"]),
    ("notes", &["note", "description", "comments", "comment"]),
    ("expected_amount", &["amount", "value", "deal_value", "close_value", "expected_value"]),
    ("expected_close", &["close_date", "closing_date", "expected_close_date"]),
    ("stage", &["deal_stage", "pipeline_stage"]),
    ("created_at", &["created", "created_date", "engage_date", "subscription_date"]),
    ("industry", &["sector"]),
    ("region", &["country", "city", "office_location", "location"]),
    ("title", &["job_title", "position"]),
    ("source", &["lead_source"]),
];

/// A header as a comparable key: lowercase, runs of anything but letters and digits as one `_`.
fn key(s: &str) -> String {
    let mut out = String::new();
    for c in s.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

/// The fields a column of a `kind` file may go to: our generic columns, then the kind's custom fields
/// (by their key).
pub fn targets(kind: RecordKind, dir: &Directory) -> Vec<String> {
    let mut out: Vec<String> = generic_columns(kind).iter().map(|c| c.to_string()).collect();
    out.extend(dir.custom_fields.iter().filter(|d| d.kind == kind).map(|d| d.id.to_string()));
    out
}

/// A suggested field per column (`None`: not imported). A column goes to a field of the same name, a known
/// other name of it, or a custom field whose key or label it is; no field is suggested twice.
pub fn suggest_columns(headers: &[String], kind: RecordKind, dir: &Directory) -> Vec<Option<String>> {
    let targets = targets(kind, dir);
    let custom: Vec<(String, String)> =
        dir.custom_fields.iter().filter(|d| d.kind == kind).map(|d| (d.id.to_string(), key(&d.label))).collect();
    let mut taken: Vec<String> = Vec::new();
    let mut out = Vec::with_capacity(headers.len());
    for h in headers {
        let k = key(h);
        let exact = targets.iter().find(|t| **t == k).cloned();
        let custom_label = || custom.iter().find(|(_, label)| *label == k).map(|(id, _)| id.clone());
        let synonym = || {
            SYNONYMS
                .iter()
                .find(|(t, names)| names.contains(&k.as_str()) && targets.iter().any(|x| x == t))
                .map(|(t, _)| t.to_string())
        };
        let pick = exact.or_else(custom_label).or_else(synonym).filter(|t| !taken.contains(t));
        if let Some(t) = &pick {
            taken.push(t.clone());
        }
        out.push(pick);
    }
    // "First Name" + "Last Name" make the name of a person when nothing else is the name.
    if matches!(kind, RecordKind::Contact | RecordKind::Lead)
        && !taken.iter().any(|t| t == "name" || t == "contact_name")
    {
        let person = if kind == RecordKind::Contact { "name" } else { "contact_name" };
        for (i, h) in headers.iter().enumerate() {
            if matches!(key(h).as_str(), "first_name" | "last_name") && out[i].is_none() {
                out[i] = Some(person.to_string());
            }
        }
    }
    out
}

/// Why a mapping cannot be applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error("no column goes to the name (every record needs one)")]
    NoName,
    #[error("{0:?} is not a field of this kind")]
    UnknownField(String),
    #[error("{0} column(s) mapped for a file of {1}")]
    WrongLength(usize, usize),
    #[error(transparent)]
    File(#[from] ImportError),
}

/// The file rewritten in the generic layout: column `i` goes to `mapping[i]` (`None`: left out). Several
/// columns going to one field are joined with a space, or for `notes` as "Column: value · Column: value".
/// Rows keep their row numbers (blank rows stand in for lines the left-out columns took), so the dry run's
/// "row 17" is row 17 of the person's file.
pub fn remap(bytes: &[u8], mapping: &[Option<String>], allowed: &[String]) -> Result<String, MappingError> {
    let t = Table::read(bytes, MAX_ROWS)?;
    if mapping.len() != t.headers.len() {
        return Err(MappingError::WrongLength(mapping.len(), t.headers.len()));
    }
    let mut fields: Vec<&str> = Vec::new();
    for m in mapping.iter().flatten() {
        if !allowed.contains(m) {
            return Err(MappingError::UnknownField(m.clone()));
        }
        if !fields.contains(&m.as_str()) {
            fields.push(m);
        }
    }
    if !fields.contains(&"name") {
        return Err(MappingError::NoName);
    }
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let io = |e: csv::Error| MappingError::File(ImportError::Malformed { row: 1, reason: e.to_string() });
    w.write_record(&fields).map_err(io)?;
    // The line the next written row starts at.
    let mut line = 2;
    for (row, rec) in &t.rows {
        while line < *row {
            w.write_record(fields.iter().map(|_| "")).map_err(io)?;
            line += 1;
        }
        let mut out: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (i, m) in mapping.iter().enumerate() {
            let (Some(m), Some(v)) = (m, rec.get(i)) else { continue };
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            let parts = out.entry(m.as_str()).or_default();
            let several = mapping.iter().filter(|x| x.as_deref() == Some(m.as_str())).count() > 1;
            parts.push(if m == "notes" && several { format!("{}: {v}", t.headers[i]) } else { v.to_string() });
        }
        let cells = fields.iter().map(|f| {
            let sep = if *f == "notes" { " · " } else { " " };
            out.get(f).map(|p| p.join(sep)).unwrap_or_default()
        });
        let cells: Vec<String> = cells.collect();
        line += 1 + cells.iter().map(|c| c.matches('\n').count()).sum::<usize>();
        w.write_record(&cells).map_err(io)?;
    }
    let bytes = w.into_inner().map_err(|e| io(e.into_error().into()))?;
    Ok(String::from_utf8(bytes).unwrap_or_default())
}

/// The distinct names in the owner column of a file in `format` (in the order they first appear) with how
/// many rows name each; empty cells are not listed.
pub fn owner_names(bytes: &[u8], format: Format) -> Result<Vec<(String, usize)>, ImportError> {
    let t = Table::read(bytes, MAX_ROWS)?;
    let Some(col) = t.column(owner_column(format)) else { return Ok(Vec::new()) };
    let mut out: Vec<(String, usize)> = Vec::new();
    let mut at: BTreeMap<String, usize> = BTreeMap::new();
    for (_, rec) in &t.rows {
        let name = rec.get(col).unwrap_or("").trim();
        if name.is_empty() {
            continue;
        }
        match at.get(&name.to_lowercase()) {
            Some(i) => out[*i].1 += 1,
            None => {
                at.insert(name.to_lowercase(), out.len());
                out.push((name.to_string(), 1));
            }
        }
    }
    Ok(out)
}

/// The active user a name in a file most likely means: the user id or display name (case and spacing
/// ignored), the same the relay matches without a mapping.
pub fn suggest_owner(dir: &Directory, name: &str) -> Option<UserId> {
    let k = normalize_name(name);
    let id = name.trim().to_lowercase();
    dir.users
        .iter()
        .filter(|u| !u.disabled)
        .find(|u| u.id.as_str() == id || normalize_name(&u.name) == k)
        .map(|u| u.id.clone())
}

/// A row that may repeat a record: one that exists already (and the importer can see), or an earlier row
/// of the same file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Duplicate {
    pub row: usize,
    pub kind: RecordKind,
    pub name: String,
    pub existing: Option<DocId>,
    pub earlier_row: Option<usize>,
}

/// The planned records (row, kind, name) whose name (compared as [`normalize_name`]) is that of an existing
/// record of the same kind, or, for leads, customers and contacts, of an earlier planned record. Deals of
/// one file often share a name (a product sold to one account twice), so those are compared with existing
/// deals only.
pub fn likely_duplicates(
    planned: &[(usize, RecordKind, String)],
    existing: &[(DocId, RecordKind, String)],
) -> Vec<Duplicate> {
    let known: BTreeMap<(RecordKind, String), &DocId> =
        existing.iter().map(|(id, k, n)| ((*k, normalize_name(n)), id)).filter(|((_, n), _)| !n.is_empty()).collect();
    let mut seen: BTreeMap<(RecordKind, String), usize> = BTreeMap::new();
    let mut out = Vec::new();
    for (row, kind, name) in planned {
        let key = (*kind, normalize_name(name));
        if key.1.is_empty() {
            continue;
        }
        let existing = known.get(&key).map(|id| (*id).clone());
        let earlier_row = match kind {
            RecordKind::Opportunity => None,
            _ => seen.get(&key).copied(),
        };
        if existing.is_some() || earlier_row.is_some() {
            out.push(Duplicate { row: *row, kind: *kind, name: name.clone(), existing, earlier_row });
        }
        seen.entry(key).or_insert(*row);
    }
    out
}

#[cfg(test)]
mod tests;
