//! Human-readable record numbers: `PREFIX-YEAR-SEQ`, e.g. `OPP-2026-0042`.
//!
//! Numbers are for people, not identity (the document id is the identity): two devices offline at the
//! same time may hand out the same number, which is harmless and visible.

use chrono::Datelike;

use crate::domain::Timestamp;

pub const OPPORTUNITY_PREFIX: &str = "OPP";
pub const CUSTOMER_PREFIX: &str = "CUS";

/// `OPP-2026-0042` (at least four digits).
pub fn format_number(prefix: &str, year: i32, seq: u32) -> String {
    format!("{prefix}-{year}-{seq:04}")
}

/// Splits a number into prefix, year and sequence; `None` if it is not of that shape.
pub fn parse_number(s: &str) -> Option<(&str, i32, u32)> {
    let mut parts = s.rsplitn(3, '-');
    let seq = parts.next()?.parse().ok()?;
    let year = parts.next()?.parse().ok()?;
    let prefix = parts.next()?;
    (!prefix.is_empty()).then_some((prefix, year, seq))
}

/// The next number for `prefix` in the year of `now` (UTC), one above the highest existing one.
pub fn next_number<'a>(prefix: &str, now: Timestamp, existing: impl IntoIterator<Item = &'a str>) -> String {
    let year = now.date().year();
    let max = existing
        .into_iter()
        .filter_map(parse_number)
        .filter(|(p, y, _)| *p == prefix && *y == year)
        .map(|(_, _, s)| s)
        .max()
        .unwrap_or(0);
    format_number(prefix, year, max.saturating_add(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parses_and_counts_per_year() {
        assert_eq!(format_number("OPP", 2026, 42), "OPP-2026-0042");
        assert_eq!(format_number("CUS", 2026, 12345), "CUS-2026-12345");
        assert_eq!(parse_number("OPP-2026-0042"), Some(("OPP", 2026, 42)));
        assert_eq!(parse_number("OPP-2026"), None);
        assert_eq!(parse_number("-2026-1"), None);
        let now = Timestamp::parse("t", "2026-05-01").unwrap();
        let existing = ["OPP-2026-0041", "OPP-2026-0007", "OPP-2025-0999", "CUS-2026-0100", "junk"];
        assert_eq!(next_number("OPP", now, existing), "OPP-2026-0042");
        assert_eq!(next_number("CUS", now, existing), "CUS-2026-0101");
        assert_eq!(next_number("OPP", now.plus_days(365), existing), "OPP-2027-0001");
    }
}
