//! Money: an integer of minor units plus a currency, never a float.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use std::fmt;

use super::time::lenient;
use super::DomainError;

/// An amount of money in minor units (fen, cents) of an ISO 4217 currency.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct Money {
    #[autosurgeon(hydrate = "lenient::i64")]
    pub amount_minor: i64,
    #[autosurgeon(hydrate = "super::records::line::one")]
    pub currency: String,
}

impl Money {
    /// A validated amount: the currency is three upper-case ASCII letters; amounts may not be negative.
    pub fn new(amount_minor: i64, currency: &str) -> Result<Money, DomainError> {
        let m = Money { amount_minor, currency: currency.to_string() };
        m.validate("amount")?;
        Ok(m)
    }

    /// Checks currency and sign; `field` names the field in the error.
    pub fn validate(&self, field: &str) -> Result<(), DomainError> {
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(DomainError::invalid(
                format!("{field}.currency"),
                format!("{:?} is not a currency code like CNY", self.currency),
            ));
        }
        if self.amount_minor < 0 {
            return Err(DomainError::invalid(format!("{field}.amount_minor"), "must not be negative"));
        }
        Ok(())
    }

    pub fn zero(currency: &str) -> Money {
        Money { amount_minor: 0, currency: currency.to_string() }
    }

    /// The sum, or `None` when currencies differ or it overflows.
    pub fn checked_add(&self, other: &Money) -> Option<Money> {
        if self.currency != other.currency {
            return None;
        }
        Some(Money {
            amount_minor: self.amount_minor.checked_add(other.amount_minor)?,
            currency: self.currency.clone(),
        })
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let a = self.amount_minor.unsigned_abs();
        write!(f, "{sign}{}.{:02} {}", a / 100, a % 100, self.currency)
    }
}

/// Totals per currency (amounts in different currencies are never added together).
pub fn totals_by_currency<'a>(items: impl IntoIterator<Item = &'a Money>) -> Vec<Money> {
    let mut out: std::collections::BTreeMap<&str, i64> = Default::default();
    for m in items {
        let e = out.entry(m.currency.as_str()).or_default();
        *e = e.saturating_add(m.amount_minor);
    }
    out.into_iter().map(|(c, a)| Money { amount_minor: a, currency: c.to_string() }).collect()
}

/// An amount in major units, as people type it and spreadsheets export it, in minor units (two digits):
/// "1054" → 105400, "12,345.5" → 1234550, "¥100" → 10000, ".5" → 50, "12 345" → 1234500. The one rule for
/// the app's forms and imports. A comma separates groups of three digits and nothing else, so "1,5" (a
/// decimal comma) is refused rather than read as 15; no signs, no more than two decimals.
pub fn parse_amount(s: &str) -> Option<i64> {
    let s = s.trim();
    let s = s.strip_prefix(['¥', '￥']).unwrap_or(s).trim_start();
    let clean: String = s.chars().filter(|c| !matches!(c, ' ' | '_' | '\u{a0}')).collect();
    let (whole, frac) = clean.split_once('.').unwrap_or((&clean, ""));
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || frac.len() > 2 || !digits(frac) {
        return None;
    }
    let mut groups = whole.split(',');
    let first = groups.next().unwrap_or_default();
    let rest: Vec<&str> = groups.collect();
    let grouped_ok = rest.is_empty() || (!first.is_empty() && first.len() <= 3 && rest.iter().all(|g| g.len() == 3));
    if !grouped_ok || !digits(first) || !rest.iter().all(|g| digits(g)) {
        return None;
    }
    let whole: String = whole.chars().filter(|c| *c != ',').collect();
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let frac: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().ok()? };
    whole.checked_mul(100)?.checked_add(frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_to_exact_minor_units() {
        for (typed, minor) in [
            ("1054", 105_400),
            ("12.5", 1_250),
            ("0.07", 7),
            ("12,345.5", 1_234_550),
            ("1,000", 100_000),
            ("1,234,567.89", 123_456_789),
            ("¥100", 10_000),
            ("￥ 100", 10_000),
            ("12 345", 1_234_500),
            (".5", 50),
            ("5.", 500),
            (" 42 ", 4_200),
        ] {
            assert_eq!(parse_amount(typed), Some(minor), "{typed}");
        }
        for bad in
            ["", ".", "-5", "1.234", "1,5", "12,34", ",100", "1,0000", "$5", "1e3", "abc", "99999999999999999999"]
        {
            assert_eq!(parse_amount(bad), None, "{bad}");
        }
    }

    #[test]
    fn validates_currency_and_sign() {
        assert!(Money::new(100, "CNY").is_ok());
        assert_eq!(Money::new(-1, "CNY").unwrap_err().to_string(), "amount.amount_minor: must not be negative");
        assert!(Money::new(1, "cny").is_err());
        assert!(Money::new(1, "YUAN").is_err());
    }

    #[test]
    fn adds_only_same_currency() {
        let a = Money::new(150, "CNY").unwrap();
        assert_eq!(a.checked_add(&a).unwrap().amount_minor, 300);
        assert!(a.checked_add(&Money::new(1, "USD").unwrap()).is_none());
        assert_eq!(a.to_string(), "1.50 CNY");
        let t = totals_by_currency([&a, &a, &Money::zero("USD")]);
        assert_eq!(t, vec![Money::new(300, "CNY").unwrap(), Money::zero("USD")]);
    }
}
