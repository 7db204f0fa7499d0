//! The state of one import: fresh ids, record numbers, customers made from names (each once), and the
//! rows accepted or rejected so far.

use std::collections::BTreeMap;

use chrono::Datelike;

use super::cells::Row;
use super::owners::Owners;
use super::{ImportError, ImportPlan, ImportRequest, NewRecord, PlannedRecord, RowError};
use crate::domain::ops::{self, format_number, parse_number, CUSTOMER_PREFIX};
use crate::domain::{
    normalize_name, Customer, CustomerMoney, DocId, Money, Opportunity, OpportunityMoney, RecordKind, Timestamp, UserId,
};

/// A customer this import creates because rows name it.
struct PendingCustomer {
    row: usize,
    id: DocId,
    customer: Customer,
    money: CustomerMoney,
}

pub(crate) struct Builder<'r, 'a> {
    pub req: &'r ImportRequest<'a>,
    pub owners: Owners<'a>,
    new_id: &'r mut dyn FnMut() -> DocId,
    records: Vec<PlannedRecord>,
    rejected: Vec<RowError>,
    warnings: Vec<RowError>,
    pub ignored_columns: Vec<(String, String)>,
    /// Numbers in use: the row that took it, or `None` when it existed before.
    numbers: BTreeMap<String, Option<usize>>,
    /// Highest sequence per prefix in the current year.
    sequences: BTreeMap<String, u32>,
    /// Normalized name → customer (existing and visible to the importer).
    existing: BTreeMap<String, DocId>,
    /// Normalized name → index into `pending`.
    pending_by_name: BTreeMap<String, usize>,
    pending: Vec<PendingCustomer>,
}

impl<'r, 'a> Builder<'r, 'a> {
    pub fn new(
        req: &'r ImportRequest<'a>,
        owners: Owners<'a>,
        new_id: &'r mut dyn FnMut() -> DocId,
    ) -> Result<Builder<'r, 'a>, ImportError> {
        if let Some(c) = req.currency {
            Money::new(0, c).map_err(|_| {
                crate::domain::DomainError::invalid("currency", format!("{c:?} is not a currency code like CNY"))
            })?;
        }
        let year = req.now.date().year();
        let mut sequences = BTreeMap::new();
        for (prefix, y, seq) in req.numbers.iter().filter_map(|n| parse_number(n)) {
            if y == year {
                let e = sequences.entry(prefix.to_string()).or_insert(0);
                *e = (*e).max(seq);
            }
        }
        Ok(Builder {
            req,
            owners,
            new_id,
            records: Vec::new(),
            rejected: Vec::new(),
            warnings: Vec::new(),
            ignored_columns: Vec::new(),
            numbers: req.numbers.iter().map(|n| (n.to_lowercase(), None)).collect(),
            sequences,
            existing: req.customers.iter().map(|c| (normalize_name(&c.name), c.id.clone())).collect(),
            pending_by_name: BTreeMap::new(),
            pending: Vec::new(),
        })
    }

    pub fn new_id(&mut self) -> DocId {
        (self.new_id)()
    }

    /// Amounts without a currency of their own are in this one.
    pub fn currency(&self, default: &'static str) -> String {
        self.req.currency.unwrap_or(default).to_string()
    }

    /// Takes a number given by the file; a number in use (before, or by an earlier row) rejects the row.
    pub fn take_number(&mut self, row: &mut Row<'_>, col: &str, number: &str) {
        match self.numbers.get(&number.to_lowercase()) {
            Some(None) => row.fail(Some(col), format!("{number} exists already (was this file imported before?)")),
            Some(Some(first)) => row.fail(Some(col), format!("{number} appears twice (first in row {first})")),
            None => {
                self.numbers.insert(number.to_lowercase(), Some(row.line));
            }
        }
    }

    /// The next free `PREFIX-YEAR-SEQ` number.
    pub fn next_number(&mut self, prefix: &str) -> String {
        let year = self.req.now.date().year();
        loop {
            let seq = self.sequences.entry(prefix.to_string()).or_insert(0);
            *seq = seq.saturating_add(1);
            let n = format_number(prefix, year, *seq);
            if let std::collections::btree_map::Entry::Vacant(e) = self.numbers.entry(n.to_lowercase()) {
                e.insert(None);
                return n;
            }
        }
    }

    /// The owner a cell names, if the importer may give this kind of record to them (else the row fails).
    pub fn owner(&self, row: &mut Row<'_>, kind: RecordKind, col: &str) -> Option<Option<UserId>> {
        let owner = match self.owners.resolve(kind, row.text(col)) {
            Ok(o) => o,
            Err(reason) => {
                row.fail(Some(col), reason);
                return None;
            }
        };
        match self.owners.check(kind, owner.as_ref()) {
            Ok(()) => Some(owner),
            Err(reason) => {
                row.fail(Some(col), reason);
                None
            }
        }
    }

    /// Is there already a customer (visible, or made by this import) of this name?
    pub fn has_customer(&self, name: &str) -> bool {
        let key = normalize_name(name);
        self.existing.contains_key(&key) || self.pending_by_name.contains_key(&key)
    }

    /// The customer a row names: an existing one the importer can see, one this import creates already, or a
    /// new one maintained by `owner`. Call it last, on a row without errors: a new customer is registered.
    pub fn link_customer(
        &mut self,
        row: &mut Row<'_>,
        col: &str,
        name: &str,
        owner: &UserId,
        at: Timestamp,
    ) -> Option<DocId> {
        let key = normalize_name(name);
        if let Some(id) = self.existing.get(&key) {
            return Some(id.clone());
        }
        if let Some(&i) = self.pending_by_name.get(&key) {
            let p = &mut self.pending[i];
            p.customer.created_at = p.customer.created_at.min(at);
            return Some(p.id.clone());
        }
        if let Err(reason) = self.owners.check(RecordKind::Customer, Some(owner)) {
            row.fail(Some(col), format!("a new customer: {reason}"));
            return None;
        }
        let number = self.next_number(CUSTOMER_PREFIX);
        match Customer::new(name, &number, Some(owner.clone()), self.req.importer, at) {
            Ok(mut customer) => {
                customer.team = self.owners.team(Some(owner));
                let id = self.new_id();
                self.pending_by_name.insert(key, self.pending.len());
                self.pending.push(PendingCustomer {
                    row: row.line,
                    id: id.clone(),
                    customer,
                    money: CustomerMoney::default(),
                });
                Some(id)
            }
            Err(e) => {
                row.fail_domain(e, &[("name", col)]);
                None
            }
        }
    }

    /// Adds a won deal to the cooperation history of a customer this import creates.
    pub fn record_win(&mut self, customer: &DocId, opp_id: &DocId, opp: &Opportunity, money: &OpportunityMoney) {
        if let Some(p) = self.pending.iter_mut().find(|p| &p.id == customer) {
            // Only fails for deals that are not won or have no amount: then there is nothing to record.
            let _ = ops::record_win(&mut p.money, opp_id, opp, money);
        }
    }

    /// Ends a row: its record is planned when it has no errors, else every error is reported.
    pub fn finish_row(&mut self, row: Row<'_>, record: Option<(DocId, NewRecord)>) {
        let line = row.line;
        if !row.errors.is_empty() {
            self.rejected.extend(row.errors);
            return;
        }
        self.warnings.extend(row.warnings);
        if let Some((id, record)) = record {
            self.records.push(PlannedRecord { row: line, id, record });
        }
    }

    pub fn finish(self, rows: usize) -> ImportPlan {
        let now = self.req.now;
        let mut records: Vec<PlannedRecord> = self
            .pending
            .into_iter()
            .map(|p| {
                let mut customer = p.customer;
                customer.updated_at = now.max(customer.created_at);
                let money = (!p.money.orders.is_empty()).then_some(p.money);
                PlannedRecord { row: p.row, id: p.id, record: NewRecord::Customer(customer, money) }
            })
            .collect();
        records.extend(self.records);
        let mut rejected = self.rejected;
        rejected.sort_by_key(|e| e.row);
        ImportPlan {
            kind: self.req.kind,
            format: self.req.format,
            rows,
            records,
            rejected,
            warnings: self.warnings,
            ignored_columns: self.ignored_columns,
        }
    }
}
