//! A customer's cooperation history (历史合作记录).
//!
//! **Derived at read time.** A won deal is listed from the deal itself (status won, `customer` = this
//! customer), never copied into the customer's `money` document. Why: the device that wins a deal
//! often cannot write (or does not hold) the customer's `money` group (a rep offline, a manager on a
//! phone that never opened the customer), and a copy would go stale when the deal is reopened. Reading
//! it from the deal works offline on every device that holds the deal, lists a deal exactly once (one
//! deal, one id: a deal reopened and won again is still one entry, and a reopened one is not listed),
//! and shows the amount exactly to whoever may read the deal's `money` group. Hand-written entries
//! (orders, contracts, renewals) and won deals imported from other systems live in the customer's
//! `money` group; an imported entry naming a deal the reader can see yields to the deal.

use serde::{Deserialize, Serialize};
use std::collections::HashSet;

use crate::domain::records::EntryKind;
use crate::domain::{totals_by_currency, CustomerMoney, DocId, Money, OpportunityStatus, OpportunityView, Timestamp};

/// Where a history line comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum HistorySource {
    /// A won deal (its id).
    WonDeal { opportunity: DocId },
    /// An entry in the customer's `money` group (by hand or imported).
    Entry { kind: EntryKind, opportunity: Option<DocId> },
}

/// One line of a customer's cooperation history, as one reader sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The deal's id, or the entry's key in the `money` group.
    pub key: String,
    pub source: HistorySource,
    pub title: String,
    pub at: Timestamp,
    /// `None` when the reader may not see it (no `money` group on the deal).
    pub amount: Option<Money>,
    pub product: String,
    pub note: String,
}

/// The cooperation history of `customer`, newest first: its won deals among `deals` (the reader's
/// views; others are ignored) and the entries of its `money` group when the reader has it.
pub fn cooperation_history(
    customer: &DocId,
    money: Option<&CustomerMoney>,
    deals: &[&OpportunityView],
) -> Vec<HistoryEntry> {
    let mine: Vec<&OpportunityView> =
        deals.iter().copied().filter(|d| d.base.customer.as_ref() == Some(customer)).collect();
    let visible: HashSet<&DocId> = mine.iter().map(|d| &d.id).collect();
    let mut seen: HashSet<DocId> = HashSet::new();
    let mut out: Vec<HistoryEntry> = mine
        .iter()
        .filter(|d| d.base.status == OpportunityStatus::Won && seen.insert(d.id.clone()))
        .map(|d| HistoryEntry {
            key: d.id.to_string(),
            source: HistorySource::WonDeal { opportunity: d.id.clone() },
            title: d.base.name.clone(),
            at: d.base.closed_at.unwrap_or(d.base.updated_at),
            amount: d.money.as_ref().and_then(|m| m.expected_amount.clone()),
            product: String::new(),
            note: String::new(),
        })
        .collect();
    for (key, e) in money.map(|m| &m.orders).into_iter().flatten() {
        let deal = e.opportunity.clone().or_else(|| DocId::parse(key).ok());
        if deal.as_ref().is_some_and(|d| visible.contains(d)) {
            continue;
        }
        out.push(HistoryEntry {
            key: key.clone(),
            source: HistorySource::Entry { kind: e.entry_kind, opportunity: e.opportunity.clone() },
            title: e.title.clone(),
            at: e.signed_at,
            amount: Some(e.amount.clone()),
            product: e.product.clone(),
            note: e.note.clone(),
        });
    }
    out.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.key.cmp(&b.key)));
    out
}

/// The history's value per currency (lines whose amount the reader sees): the customer's lifetime value.
pub fn history_value(history: &[HistoryEntry]) -> Vec<Money> {
    totals_by_currency(history.iter().filter_map(|h| h.amount.as_ref()))
}

#[cfg(test)]
mod tests;
