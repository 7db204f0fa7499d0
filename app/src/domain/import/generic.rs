//! Our own format: one file per kind, snake_case columns named like the record's fields. `name` is
//! required, every other column optional; a column we do not know rejects the file (a typo such as
//! `expected_amout` must not silently drop a column).
//!
//! - Every kind: `name`, `owner` (user id or display name; empty = the importer, for leads the pool),
//!   `notes`, `created_at` (date; default the import time).
//! - leads: `company`, `contact_name`, `phone`, `email`, `source`, `status` (not `converted`: that comes
//!   from converting in the CRM), `score` (0-100).
//! - opportunities: `number` (default the next `OPP-YEAR-NNNN`), `customer` (a name: an existing customer
//!   the importer can see, else a new one), `source`, `stage` (id or English or Chinese name; default the
//!   first stage), `status` (default won in the won stage, else active), `expected_amount` (e.g. 1234.50),
//!   `currency` (default the request's, else CNY), `expected_close`, `win_probability` (default the
//!   stage's), `lost_reason`, `closed_at` (default: expected close for won deals, else the import time).
//! - customers: `number` (default the next `CUS-YEAR-NNNN`), `industry`, `region`, `tier`, `tags`
//!   (separated by `;`). A name that an existing customer (or an earlier row) has rejects the row.
//! - contacts: `title`, `customer` (as for opportunities), `phone`, `email`.
//! - any kind: a column named like one of the kind's custom fields (its key) fills it (`generic/custom.rs`).

use std::collections::BTreeMap;

use super::build::Builder;
use super::cells::Row;
use super::table::Table;

mod custom;
use super::{ImportError, NewRecord};
use crate::domain::ops::{CUSTOMER_PREFIX, OPPORTUNITY_PREFIX};
use crate::domain::{
    normalize_name, Companion, Contact, ContactPii, Customer, CustomerTier, Lead, LeadPii, LeadSource, LeadStatus,
    LongText, Money, Opportunity, OpportunityMoney, OpportunityStatus, Record, RecordKind, StageDef, UserId,
};

const LEAD: &[&str] =
    &["name", "owner", "notes", "created_at", "company", "contact_name", "phone", "email", "source", "status", "score"];
const OPPORTUNITY: &[&str] = &[
    "name",
    "owner",
    "notes",
    "created_at",
    "number",
    "customer",
    "source",
    "stage",
    "status",
    "expected_amount",
    "currency",
    "expected_close",
    "win_probability",
    "lost_reason",
    "closed_at",
];
const CUSTOMER: &[&str] = &["name", "owner", "notes", "created_at", "number", "industry", "region", "tier", "tags"];
const CONTACT: &[&str] = &["name", "owner", "notes", "created_at", "title", "customer", "phone", "email"];

pub(crate) fn columns(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Lead => LEAD,
        RecordKind::Opportunity => OPPORTUNITY,
        RecordKind::Customer => CUSTOMER,
        RecordKind::Contact => CONTACT,
        RecordKind::Activity => &[],
    }
}

pub(crate) fn import(t: &Table, b: &mut Builder<'_, '_>) -> Result<(), ImportError> {
    let kind = b.req.kind;
    let cols = columns(kind);
    t.require(super::Format::Generic, kind, &["name"])?;
    let defs = custom::defs(b.req.dir, kind);
    let known = |h: &str| cols.iter().any(|c| c.eq_ignore_ascii_case(h)) || defs.iter().any(|d| d.id.as_str() == h);
    if let Some(h) = t.headers.iter().find(|h| !known(h)) {
        let mut allowed: Vec<&str> = cols.to_vec();
        allowed.extend(defs.iter().map(|d| d.id.as_str()));
        return Err(ImportError::UnknownColumn { column: h.clone(), kind: kind.plural(), allowed: allowed.join(", ") });
    }
    let fields: Vec<(&str, &str)> = cols.iter().map(|c| (*c, *c)).collect();
    let currency = b.currency("CNY");
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    for (line, rec) in &t.rows {
        let mut row = Row::new(t, *line, rec);
        let name = row.required("name");
        let owner = b.owner(&mut row, kind, "owner");
        let created = row.date("created_at").unwrap_or(b.req.now);
        let notes = LongText::new(row.text("notes"));
        let custom = custom::values(&mut row, &defs, &currency);
        let common = Common { name, owner, created, notes, custom };
        let record = match kind {
            RecordKind::Lead => lead(&mut row, b, common, &fields),
            RecordKind::Opportunity => opportunity(&mut row, b, common, &fields),
            RecordKind::Customer => customer(&mut row, b, &mut names, common, &fields),
            RecordKind::Contact => contact(&mut row, b, common, &fields),
            RecordKind::Activity => None,
        };
        b.finish_row(row, record);
    }
    Ok(())
}

type Planned = Option<(crate::domain::DocId, NewRecord)>;

/// The cells every kind has.
struct Common<'a> {
    name: &'a str,
    owner: Option<Option<UserId>>,
    created: crate::domain::Timestamp,
    notes: LongText,
    custom: BTreeMap<crate::domain::FieldId, crate::domain::CustomValue>,
}

/// A snake_case enum cell (empty = `default`).
fn choice<T: Copy>(
    row: &mut Row<'_>,
    col: &str,
    default: T,
    parse: fn(&str) -> Result<T, crate::domain::DomainError>,
) -> Option<T> {
    if row.text(col).is_empty() {
        return Some(default);
    }
    row.parse(col, |s| parse(&s.to_ascii_lowercase()))
}

fn lead(row: &mut Row<'_>, b: &mut Builder<'_, '_>, common: Common<'_>, fields: &[(&str, &str)]) -> Planned {
    let Common { name, owner, created, notes, custom } = common;
    let source = choice(row, "source", LeadSource::Other, LeadSource::parse);
    let status = choice(row, "status", LeadStatus::New, LeadStatus::parse);
    if status == Some(LeadStatus::Converted) {
        row.fail(Some("status"), "converted leads come from converting a lead in the CRM");
    }
    let score = row.number("score", 100).unwrap_or(0);
    let pii = LeadPii { phone: row.phone("phone"), email: row.email("email") };
    let (Some(owner), Some(source), Some(status), true) = (owner, source, status, row.errors.is_empty()) else {
        return None;
    };
    let mut l = Lead::new(name, owner.clone(), b.req.importer, created).map_err(|e| row.fail_domain(e, fields)).ok()?;
    l.team = b.owners.team(owner.as_ref());
    l.updated_at = b.req.now.max(created);
    l.company = row.text("company").to_string();
    l.contact_name = row.text("contact_name").to_string();
    l.source = source;
    l.status = status;
    l.score = score;
    l.notes = notes;
    l.custom = custom;
    if let Err(e) = l.validate(b.req.dir) {
        row.fail_domain(e, fields);
    }
    Some((b.new_id(), NewRecord::Lead(l, pii)))
}

fn find_stage<'d>(stages: &'d [StageDef], s: &str) -> Option<&'d StageDef> {
    let s = s.trim();
    stages.iter().find(|d| d.id.as_str().eq_ignore_ascii_case(s) || d.name_en.eq_ignore_ascii_case(s) || d.name_zh == s)
}

fn opportunity(row: &mut Row<'_>, b: &mut Builder<'_, '_>, common: Common<'_>, fields: &[(&str, &str)]) -> Planned {
    let Common { name, owner, created, notes, custom } = common;
    let dir = b.req.dir;
    let number = match row.text("number") {
        "" => b.next_number(OPPORTUNITY_PREFIX),
        n => {
            b.take_number(row, "number", n);
            n.to_string()
        }
    };
    let stage_text = row.text("stage");
    let stage = if stage_text.is_empty() { dir.stages.first() } else { find_stage(&dir.stages, stage_text) };
    if stage.is_none() {
        let known: Vec<&str> = dir.stages.iter().map(|s| s.id.as_str()).collect();
        row.fail(Some("stage"), format!("unknown stage {stage_text:?} (stages: {})", known.join(", ")));
    }
    let default_status = if stage.is_some_and(|s| s.won) { OpportunityStatus::Won } else { OpportunityStatus::Active };
    let status = choice(row, "status", default_status, OpportunityStatus::parse);
    let source = choice(row, "source", LeadSource::Other, LeadSource::parse);
    let currency = match row.text("currency") {
        "" => b.currency("CNY"),
        c => c.to_ascii_uppercase(),
    };
    if Money::new(0, &currency).is_err() {
        row.fail(Some("currency"), format!("{currency:?} is not a currency code like CNY"));
    }
    let amount = row.amount("expected_amount", &currency);
    let expected_close = row.date("expected_close");
    let closed_at = row.date("closed_at");
    let probability = row.number("win_probability", 100);
    if status == Some(OpportunityStatus::Active) && closed_at.is_some() {
        row.fail(Some("closed_at"), "only a won, lost or closed deal has a closing time");
    }
    let (Some(owner), Some(stage), Some(status), Some(source), true) =
        (owner.flatten(), stage, status, source, row.errors.is_empty())
    else {
        return None;
    };
    let importer = b.req.importer;
    let mut o = Opportunity::new(name, &number, &stage.id, Some(owner.clone()), importer, created, dir)
        .map_err(|e| row.fail_domain(e, fields))
        .ok()?;
    o.team = b.owners.team(Some(&owner));
    o.stage_history[0].by = owner.clone();
    o.source = source;
    o.status = status;
    o.notes = notes;
    o.custom = custom;
    o.expected_close = expected_close;
    let now = b.req.now;
    match status {
        OpportunityStatus::Won => {
            o.closed_at = closed_at.or(expected_close).or(Some(now.max(created)));
            o.expected_close = expected_close.or(o.closed_at);
        }
        OpportunityStatus::Lost | OpportunityStatus::Closed => o.closed_at = closed_at.or(Some(now.max(created))),
        OpportunityStatus::Active => {}
    }
    let lost_reason = row.text("lost_reason");
    o.lost_reason = (!lost_reason.is_empty()).then(|| lost_reason.to_string());
    o.updated_at = now.max(created).max(o.closed_at.unwrap_or(created));
    let win_probability = probability.unwrap_or(match status {
        OpportunityStatus::Won => 100,
        OpportunityStatus::Lost | OpportunityStatus::Closed => 0,
        OpportunityStatus::Active => stage.probability,
    });
    let money = OpportunityMoney { expected_amount: amount, win_probability, quotes: Vec::new() };
    if let Err(e) = o.validate(dir) {
        row.fail_domain(e, fields);
    }
    if let Err(e) = money.validate() {
        row.fail_domain(e, fields);
    }
    let id = b.new_id();
    let customer = row.text("customer");
    if !customer.is_empty() && row.errors.is_empty() {
        o.customer = b.link_customer(row, "customer", customer, &owner, created);
        if let (Some(c), OpportunityStatus::Won) = (o.customer.clone(), status) {
            b.record_win(&c, &id, &o, &money);
        }
    }
    Some((id, NewRecord::Opportunity(o, money)))
}

fn customer(
    row: &mut Row<'_>,
    b: &mut Builder<'_, '_>,
    names: &mut BTreeMap<String, usize>,
    common: Common<'_>,
    fields: &[(&str, &str)],
) -> Planned {
    let Common { name, owner, created, notes, custom } = common;
    let key = normalize_name(name);
    if let Some(first) = names.get(&key) {
        row.fail(Some("name"), format!("{name:?} appears twice (first in row {first})"));
    } else if !name.is_empty() && b.has_customer(name) {
        row.fail(Some("name"), format!("a customer named {name:?} exists already"));
    }
    if !name.is_empty() {
        names.entry(key).or_insert(row.line);
    }
    let number = match row.text("number") {
        "" => b.next_number(CUSTOMER_PREFIX),
        n => {
            b.take_number(row, "number", n);
            n.to_string()
        }
    };
    let tier = choice(row, "tier", CustomerTier::Normal, CustomerTier::parse);
    let (Some(owner), Some(tier), true) = (owner.flatten(), tier, row.errors.is_empty()) else {
        return None;
    };
    let mut c = Customer::new(name, &number, Some(owner.clone()), b.req.importer, created)
        .map_err(|e| row.fail_domain(e, fields))
        .ok()?;
    c.team = b.owners.team(Some(&owner));
    c.updated_at = b.req.now.max(created);
    c.industry = row.text("industry").to_string();
    c.region = row.text("region").to_string();
    c.tier = tier;
    c.tags = row.text("tags").split(';').map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect();
    c.notes = notes;
    c.custom = custom;
    if let Err(e) = c.validate(b.req.dir) {
        row.fail_domain(e, fields);
    }
    Some((b.new_id(), NewRecord::Customer(c, None)))
}

fn contact(row: &mut Row<'_>, b: &mut Builder<'_, '_>, common: Common<'_>, fields: &[(&str, &str)]) -> Planned {
    let Common { name, owner, created, notes, custom } = common;
    let pii = ContactPii { phone: row.phone("phone"), email: row.email("email") };
    let (Some(owner), true) = (owner.flatten(), row.errors.is_empty()) else {
        return None;
    };
    let mut c = Contact::new(name, None, Some(owner.clone()), b.req.importer, created)
        .map_err(|e| row.fail_domain(e, fields))
        .ok()?;
    c.team = b.owners.team(Some(&owner));
    c.updated_at = b.req.now.max(created);
    c.title = row.text("title").to_string();
    c.notes = notes;
    c.custom = custom;
    if let Err(e) = c.validate(b.req.dir) {
        row.fail_domain(e, fields);
    }
    let customer = row.text("customer");
    if !customer.is_empty() && row.errors.is_empty() {
        c.customer = b.link_customer(row, "customer", customer, &owner, created);
    }
    Some((b.new_id(), NewRecord::Contact(c, pii)))
}

#[cfg(test)]
mod tests;
