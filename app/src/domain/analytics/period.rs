//! Reporting periods: which deals count in "this quarter", "this year" or "all time".
//!
//! The open pipeline is a snapshot of now, so every open deal counts in every period; a closed (won,
//! lost or closed) deal counts in a period when it was closed inside it. Win rate, sales cycle and lost
//! reasons of a period are therefore about the deals decided in that period.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::domain::{OpportunityStatus, OpportunityView, Timestamp};

/// A reporting period, relative to now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// The calendar quarter containing now.
    Quarter,
    /// The calendar year containing now.
    Year,
    /// No limit.
    #[default]
    All,
}

impl Period {
    pub const ALL: [Period; 3] = [Period::Quarter, Period::Year, Period::All];

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Quarter => "quarter",
            Period::Year => "year",
            Period::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<Period> {
        Period::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The first instant of the period containing `now`, for a reader whose local time is
    /// `utc_offset_minutes` east of UTC (the quarter starts at local midnight); `None` for [`Period::All`].
    pub fn start(self, now: Timestamp, utc_offset_minutes: i32) -> Option<Timestamp> {
        let offset_ms = i64::from(utc_offset_minutes) * 60_000;
        let local = Timestamp::from_millis(now.millis().saturating_add(offset_ms)).date();
        let first = match self {
            Period::All => return None,
            Period::Year => NaiveDate::from_ymd_opt(local.year(), 1, 1),
            Period::Quarter => NaiveDate::from_ymd_opt(local.year(), (local.month0() / 3) * 3 + 1, 1),
        }?;
        Some(Timestamp::from_millis(Timestamp::start_of(first).millis().saturating_sub(offset_ms)))
    }
}

/// The deals that count in a period starting at `start` (`None`: all): every open deal, and every
/// closed deal whose `closed_at` is at or after `start`. A closed deal without `closed_at` counts only
/// without a limit.
pub fn in_period<'a>(opps: &[&'a OpportunityView], start: Option<Timestamp>) -> Vec<&'a OpportunityView> {
    let Some(start) = start else { return opps.to_vec() };
    opps.iter()
        .copied()
        .filter(|o| o.base.status == OpportunityStatus::Active || o.base.closed_at.is_some_and(|c| c >= start))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse("t", s).unwrap()
    }

    #[test]
    fn quarter_and_year_start_at_local_midnight() {
        let now = at("2026-05-20T10:00:00Z");
        assert_eq!(Period::Quarter.start(now, 0), Some(at("2026-04-01")));
        assert_eq!(Period::Year.start(now, 0), Some(at("2026-01-01")));
        assert_eq!(Period::All.start(now, 0), None);
        // Beijing (UTC+8): local midnight of 1 April is 16:00 UTC on 31 March.
        assert_eq!(Period::Quarter.start(now, 480), Some(at("2026-03-31T16:00:00Z")));
        // 31 March 20:00 UTC is already 1 April in Beijing: the new quarter there, the old one in UTC.
        let edge = at("2026-03-31T20:00:00Z");
        assert_eq!(Period::Quarter.start(edge, 480), Some(at("2026-03-31T16:00:00Z")));
        assert_eq!(Period::Quarter.start(edge, 0), Some(at("2026-01-01")));
        assert_eq!(Period::Quarter.start(at("2026-12-31T23:59:59Z"), 0), Some(at("2026-10-01")));
    }

    #[test]
    fn periods_round_trip_through_their_names() {
        for p in Period::ALL {
            assert_eq!(Period::parse(p.as_str()), Some(p));
        }
        assert_eq!(Period::parse("week"), None);
    }
}
