//! Hand-written cooperation-history entries (an order, contract or renewal an account manager records),
//! kept in the customer's `money` group. Won deals are never written here: they are read from the deals
//! (see `history`).

use crate::domain::records::{CooperationEntry, CustomerMoney, EntryKind, MAX_LINE};
use crate::domain::{vocab, DocId, DomainError, Money, Timestamp};

/// What the person filled in for one entry.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEntry {
    pub kind: EntryKind,
    pub signed_at: Timestamp,
    pub amount: Money,
    /// What was sold (the entry's title in the history).
    pub product: String,
    pub note: String,
}

/// The key a hand-written entry gets in `orders`: never a bare document id, which the history reads as
/// "the entry of that deal" (imported wins are keyed by their deal).
pub fn entry_key(fresh: &DocId) -> String {
    format!("entry-{fresh}")
}

/// Adds `entry` to the customer's history under `key` (see [`entry_key`]). The product is required (it
/// titles the line); amounts may not be negative; an existing key is never overwritten, so a retried
/// save adds nothing twice.
pub fn add_entry(money: &mut CustomerMoney, key: &str, entry: NewEntry) -> Result<(), DomainError> {
    vocab::required_text("product", &entry.product, MAX_LINE)?;
    vocab::max_text("note", &entry.note, 2000)?;
    entry.amount.validate("amount")?;
    if money.orders.contains_key(key) {
        return Ok(());
    }
    let product = entry.product.trim().to_string();
    money.orders.insert(
        key.to_string(),
        CooperationEntry {
            title: product.clone(),
            amount: entry.amount,
            signed_at: entry.signed_at,
            opportunity: None,
            entry_kind: entry.kind,
            product,
            note: entry.note.trim().to_string(),
        },
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::records::Companion;
    use crate::domain::relationship::{cooperation_history, history_value, HistorySource};

    const T0: Timestamp = Timestamp(1_767_225_600_000);

    fn entry(product: &str, amount: i64) -> NewEntry {
        NewEntry {
            kind: EntryKind::Renewal,
            signed_at: T0,
            amount: Money::new(amount, "CNY").unwrap(),
            product: product.into(),
            note: " yearly ".into(),
        }
    }

    #[test]
    fn an_entry_joins_the_history_once_and_counts_in_the_lifetime_value() {
        let mut m = CustomerMoney::default();
        let key = entry_key(&DocId::from_bytes([5; 16]));
        assert!(DocId::parse(&key).is_err(), "a hand-written key is never read as a deal id");
        add_entry(&mut m, &key, entry(" ERP licence ", 12_000_00)).unwrap();
        add_entry(&mut m, &key, entry("ERP licence", 99_00)).unwrap();
        m.validate().unwrap();
        let h = cooperation_history(&DocId::from_bytes([1; 16]), Some(&m), &[]);
        assert_eq!(h.len(), 1, "a retried save adds nothing");
        assert_eq!((h[0].title.as_str(), h[0].note.as_str()), ("ERP licence", "yearly"));
        assert_eq!(h[0].source, HistorySource::Entry { kind: EntryKind::Renewal, opportunity: None });
        assert_eq!(history_value(&h), vec![Money::new(12_000_00, "CNY").unwrap()]);
    }

    #[test]
    fn bad_input_is_refused_and_changes_nothing() {
        let mut m = CustomerMoney::default();
        let err = add_entry(&mut m, "entry-1", entry("  ", 1_00)).unwrap_err();
        assert_eq!(err.to_string(), "product: must not be empty");
        let negative = NewEntry { amount: Money { amount_minor: -1, currency: "CNY".into() }, ..entry("ERP", 0) };
        assert!(add_entry(&mut m, "entry-1", negative).unwrap_err().to_string().starts_with("amount.amount_minor"));
        assert!(m.orders.is_empty());
    }
}
