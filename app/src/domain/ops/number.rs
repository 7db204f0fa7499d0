//! Human-readable record numbers: `PREFIX-YEAR-SEQ`, e.g. `OPP-2026-0042`, unique per company.
//!
//! The relay owns one counter per prefix and year and hands out blocks of numbers ([`NumberBlock`]) to
//! whoever asks while online; a device keeps its unused blocks ([`NumberPool`]) and takes numbers from
//! them, online or offline. A record made with no number left gets a provisional number
//! ([`provisional_number`], `CUS-2026-P7K2QX`) that the device replaces from its next block. The relay's
//! write gate ([`check_number`]) accepts a new number only if it was issued to the writer and no other
//! record has it, so two devices, two people with different slices, or an import never collide.

use chrono::Datelike;
use serde::{Deserialize, Serialize};

use crate::domain::{DomainError, Timestamp, UserId};

pub const OPPORTUNITY_PREFIX: &str = "OPP";
pub const CUSTOMER_PREFIX: &str = "CUS";
/// The prefixes the relay counts (the record kinds that carry a number).
pub const PREFIXES: [&str; 2] = [OPPORTUNITY_PREFIX, CUSTOMER_PREFIX];

/// How many numbers a device reserves at once, and below how many left it reserves more.
pub const BLOCK_SIZE: u32 = 20;
pub const LOW_WATER: u32 = 5;

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

/// The year numbers made at `now` carry (UTC).
pub fn number_year(now: Timestamp) -> i32 {
    now.date().year()
}

/// The next number for `prefix` in the year of `now`, one above the highest of `existing`. Only for
/// numbering inside one batch that the relay then stores whole (an import, the demo company).
pub fn next_number<'a>(prefix: &str, now: Timestamp, existing: impl IntoIterator<Item = &'a str>) -> String {
    let year = number_year(now);
    format_number(prefix, year, highest(prefix, year, existing).saturating_add(1))
}

/// The highest sequence among `numbers` for `prefix` and `year` (0 if none).
pub fn highest<'a>(prefix: &str, year: i32, numbers: impl IntoIterator<Item = &'a str>) -> u32 {
    numbers
        .into_iter()
        .filter_map(parse_number)
        .filter(|(p, y, _)| *p == prefix && *y == year)
        .map(|(_, _, s)| s)
        .max()
        .unwrap_or(0)
}

/// A range of numbers the relay issued: `first..=last` of `prefix` in `year`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberBlock {
    pub prefix: String,
    pub year: i32,
    pub first: u32,
    pub last: u32,
}

impl NumberBlock {
    /// The block of `count` (at least one) numbers a counter standing at `next` issues, never at or below
    /// `floor` (the highest number already stored); the counter then stands at `block.last + 1`.
    pub fn issue(prefix: &str, year: i32, next: u32, floor: u32, count: u32) -> Self {
        let first = next.max(1).max(floor.saturating_add(1));
        NumberBlock { prefix: prefix.to_string(), year, first, last: first.saturating_add(count.max(1) - 1) }
    }

    /// Does this block hold `number`?
    pub fn contains(&self, number: &str) -> bool {
        parse_number(number)
            .is_some_and(|(p, y, s)| p == self.prefix && y == self.year && (self.first..=self.last).contains(&s))
    }

    fn len(&self) -> u32 {
        (self.last + 1).saturating_sub(self.first)
    }
}

/// A device's reserved numbers not used yet (kept in its store, used offline too).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberPool {
    /// Unused parts of issued blocks: `first` is the next number to hand out.
    pub blocks: Vec<NumberBlock>,
}

impl NumberPool {
    /// Takes the next reserved number for `prefix` in the year of `now`; `None` when none is left
    /// (then the record gets a [`provisional_number`]). Blocks of past years are dropped.
    pub fn take(&mut self, prefix: &str, now: Timestamp) -> Option<String> {
        let year = number_year(now);
        self.blocks.retain(|b| b.year >= year && b.first <= b.last);
        let b = self.blocks.iter_mut().find(|b| b.prefix == prefix && b.year == year)?;
        let n = format_number(prefix, year, b.first);
        b.first += 1;
        self.blocks.retain(|b| b.first <= b.last);
        Some(n)
    }

    /// How many numbers for `prefix` in the year of `now` are left.
    pub fn remaining(&self, prefix: &str, now: Timestamp) -> u32 {
        let year = number_year(now);
        self.blocks.iter().filter(|b| b.prefix == prefix && b.year == year).map(NumberBlock::len).sum()
    }

    /// Should the device reserve more numbers for `prefix`?
    pub fn wants_more(&self, prefix: &str, now: Timestamp) -> bool {
        self.remaining(prefix, now) < LOW_WATER
    }

    pub fn add(&mut self, block: NumberBlock) {
        if block.first <= block.last {
            self.blocks.push(block);
        }
    }
}

/// Crockford base32 without look-alikes, for provisional numbers.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A stand-in number for a record made with no reserved number left: `CUS-2026-P7K2QX` (`P` and six
/// characters from `entropy`). Never of the `PREFIX-YEAR-SEQ` shape, so it never collides with an
/// issued number; the device replaces it once it has a block.
pub fn provisional_number(prefix: &str, now: Timestamp, entropy: u64) -> String {
    let tail: String = (0..6).map(|i| ALPHABET[((entropy >> (i * 5)) & 31) as usize] as char).collect();
    format!("{prefix}-{}-P{tail}", number_year(now))
}

/// Is `number` a provisional one (made by [`provisional_number`])?
pub fn is_provisional(number: &str) -> bool {
    let mut parts = number.rsplitn(3, '-');
    let (Some(tail), Some(year), Some(prefix)) = (parts.next(), parts.next(), parts.next()) else { return false };
    !prefix.is_empty()
        && year.parse::<i32>().is_ok()
        && tail.len() == 7
        && tail.starts_with('P')
        && tail[1..].bytes().all(|c| ALPHABET.contains(&c))
}

/// A block as the relay keeps it: to whom it was issued.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedBlock {
    pub user: UserId,
    #[serde(flatten)]
    pub block: NumberBlock,
}

/// The write gate's rule for a record's number. `before` is the number the relay has for the record
/// (`None`: a new record); `taken` says whether another record already has `number`. A number may stay;
/// a new record may carry a provisional number; any other new number must have been issued to `writer`
/// and be unused.
pub fn check_number(
    number: &str,
    before: Option<&str>,
    writer: &UserId,
    issued: &[IssuedBlock],
    taken: bool,
) -> Result<(), DomainError> {
    if before == Some(number) || (before.is_none() && is_provisional(number)) {
        return Ok(());
    }
    if parse_number(number).is_none() {
        return Err(DomainError::refused("number", format!("{number:?} is not a record number like OPP-2026-0042")));
    }
    if !issued.iter().any(|b| &b.user == writer && b.block.contains(number)) {
        return Err(DomainError::refused(
            "number",
            format!(
                "{number} was not issued to you: reserve numbers with POST /api/v1/numbers, or give a new \
                 record a provisional number"
            ),
        ));
    }
    if taken {
        return Err(DomainError::refused("number", format!("{number} is already used by another record")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::parse("t", "2026-05-01").unwrap()
    }

    #[test]
    fn a_block_starts_above_the_counter_and_the_stored_numbers() {
        let b = NumberBlock::issue("CUS", 2026, 1, 0, 50);
        assert_eq!((b.first, b.last), (1, 50));
        // Numbers stored before the counter existed (floor) are skipped.
        let b = NumberBlock::issue("CUS", 2026, 1, 12, 50);
        assert_eq!((b.first, b.last), (13, 62));
        let b = NumberBlock::issue("CUS", 2026, 63, 12, 0);
        assert_eq!((b.first, b.last), (63, 63), "at least one number");
        assert!(b.contains("CUS-2026-0063") && !b.contains("CUS-2026-0062"));
    }

    fn block(prefix: &str, first: u32, last: u32) -> NumberBlock {
        NumberBlock { prefix: prefix.into(), year: 2026, first, last }
    }

    #[test]
    fn formats_parses_and_counts_per_year() {
        assert_eq!(format_number("OPP", 2026, 42), "OPP-2026-0042");
        assert_eq!(format_number("CUS", 2026, 12345), "CUS-2026-12345");
        assert_eq!(parse_number("OPP-2026-0042"), Some(("OPP", 2026, 42)));
        assert_eq!(parse_number("OPP-2026"), None);
        assert_eq!(parse_number("-2026-1"), None);
        let existing = ["OPP-2026-0041", "OPP-2026-0007", "OPP-2025-0999", "CUS-2026-0100", "junk"];
        assert_eq!(next_number("OPP", now(), existing), "OPP-2026-0042");
        assert_eq!(next_number("CUS", now(), existing), "CUS-2026-0101");
        assert_eq!(next_number("OPP", now().plus_days(365), existing), "OPP-2027-0001");
        assert_eq!(highest("OPP", 2025, existing), 999);
    }

    #[test]
    fn a_pool_hands_out_each_reserved_number_once() {
        let mut pool = NumberPool::default();
        assert_eq!(pool.take("CUS", now()), None);
        assert!(pool.wants_more("CUS", now()));
        pool.add(block("CUS", 13, 14));
        pool.add(block("OPP", 40, 59));
        pool.add(block("CUS", 31, 31));
        assert_eq!(pool.remaining("CUS", now()), 3);
        let taken: Vec<_> = std::iter::from_fn(|| pool.take("CUS", now())).collect();
        assert_eq!(taken, ["CUS-2026-0013", "CUS-2026-0014", "CUS-2026-0031"]);
        assert_eq!(pool.remaining("OPP", now()), 20);
        assert!(!pool.wants_more("OPP", now()));
        // A block of last year is not used in the new year.
        assert_eq!(pool.take("OPP", now().plus_days(365)), None);
        assert!(pool.blocks.is_empty());
    }

    #[test]
    fn provisional_numbers_never_look_issued() {
        let p = provisional_number("CUS", now(), 0x1234_5678_9abc);
        assert!(p.starts_with("CUS-2026-P") && p.len() == "CUS-2026-P".len() + 6, "{p}");
        assert!(is_provisional(&p));
        assert_eq!(parse_number(&p), None);
        assert_ne!(p, provisional_number("CUS", now(), 0x1234_5678_9abd));
        for n in ["CUS-2026-0012", "CUS-2026-PIL000", "CUS-2026-P12345", "P123456", ""] {
            assert!(!is_provisional(n), "{n}");
        }
    }

    #[test]
    fn the_gate_accepts_only_numbers_issued_to_the_writer_and_unused() {
        let rep1 = UserId::new("rep1");
        let rep2 = UserId::new("rep2");
        let issued = [IssuedBlock { user: rep1.clone(), block: block("CUS", 13, 32) }];
        check_number("CUS-2026-0013", None, &rep1, &issued, false).unwrap();
        let reason = |r: Result<(), DomainError>| match r {
            Err(DomainError::Refused { path, reason }) if path == "number" => reason,
            other => panic!("expected a refusal at number, got {other:?}"),
        };
        assert!(reason(check_number("CUS-2026-0013", None, &rep2, &issued, false)).contains("not issued to you"));
        assert!(reason(check_number("CUS-2026-0012", None, &rep1, &issued, false)).contains("not issued"));
        assert!(reason(check_number("CUS-2026-0013", None, &rep1, &issued, true)).contains("already used"));
        assert!(reason(check_number("whatever", None, &rep1, &issued, false)).contains("not a record number"));
        // Provisional: for new records only; replacing one takes an issued number.
        let p = provisional_number("CUS", now(), 7);
        check_number(&p, None, &rep2, &issued, false).unwrap();
        reason(check_number(&p, Some("CUS-2026-0013"), &rep1, &issued, false));
        check_number("CUS-2026-0014", Some(&p), &rep1, &issued, false).unwrap();
        // An unchanged number is fine whoever edits (existing stores, imports).
        check_number("CUS-2025-0001", Some("CUS-2025-0001"), &rep2, &issued, true).unwrap();
    }
}
