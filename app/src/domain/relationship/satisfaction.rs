//! A customer's satisfaction (满意度), from the scores of recent visits (回访), never typed by hand.
//!
//! The score is the mean of the latest [`RECENT`] scored visits within [`WINDOW_DAYS`]; the trend
//! compares it with the mean of the [`RECENT`] visits before those. A customer with no scored visit
//! keeps the number imported from an older system (`service.satisfaction`), without a trend.

use serde::{Deserialize, Serialize};

use crate::domain::{Activity, ActivityKind, DocId, Timestamp};

/// How many recent scores make the current satisfaction.
pub const RECENT: usize = 3;
/// Scores older than this no longer count.
pub const WINDOW_DAYS: i64 = 365;

/// Which way satisfaction is moving.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    Up,
    Flat,
    Down,
}

/// A customer's satisfaction as derived from visits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Satisfaction {
    /// 1.0-5.0.
    pub score: f64,
    /// How many visit scores it is the mean of (0: imported, not from visits).
    pub from_visits: usize,
    /// `None` until there are earlier scores to compare with.
    pub trend: Option<Trend>,
}

impl Satisfaction {
    /// The score rounded to whole points (what churn rules compare with).
    pub fn rounded(&self) -> u8 {
        self.score.round().clamp(1.0, 5.0) as u8
    }
}

/// `customer`'s satisfaction at `now` from the scored visits among `activities` (others ignored);
/// `imported` is the stored number used when there is no scored visit.
pub fn satisfaction(
    customer: &DocId,
    activities: &[&Activity],
    imported: Option<u8>,
    now: Timestamp,
) -> Option<Satisfaction> {
    let mut scored: Vec<(Timestamp, u8)> = activities
        .iter()
        .filter(|a| a.kind == ActivityKind::Visit && a.customer.as_ref() == Some(customer))
        .filter(|a| a.at <= now && a.at.days_until(now) <= WINDOW_DAYS)
        .filter_map(|a| Some((a.at, a.satisfaction?)))
        .collect();
    if scored.is_empty() {
        return imported.map(|s| Satisfaction { score: f64::from(s), from_visits: 0, trend: None });
    }
    scored.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mean = |s: &[(Timestamp, u8)]| s.iter().map(|(_, v)| f64::from(*v)).sum::<f64>() / s.len() as f64;
    let recent = &scored[..scored.len().min(RECENT)];
    let earlier = &scored[recent.len()..scored.len().min(2 * RECENT)];
    let score = mean(recent);
    let trend = (!earlier.is_empty()).then(|| {
        let before = mean(earlier);
        // Half a point either way is a move; less is noise.
        if score >= before + 0.5 {
            Trend::Up
        } else if score <= before - 0.5 {
            Trend::Down
        } else {
            Trend::Flat
        }
    });
    Some(Satisfaction { score, from_visits: recent.len(), trend })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testkit::u;

    const T0: Timestamp = Timestamp(1_767_225_600_000);

    fn visit(customer: u8, day: i64, score: Option<u8>) -> Activity {
        let at = T0.plus_days(day);
        let mut a = Activity::new(ActivityKind::Visit, "回访", at, &u("accountmgr"), at).unwrap();
        a.customer = Some(DocId::from_bytes([customer; 16]));
        a.satisfaction = score;
        a
    }

    fn of(acts: &[Activity], imported: Option<u8>, day: i64) -> Option<Satisfaction> {
        let refs: Vec<&Activity> = acts.iter().collect();
        satisfaction(&DocId::from_bytes([1; 16]), &refs, imported, T0.plus_days(day))
    }

    #[test]
    fn follows_the_latest_scores_with_a_trend() {
        assert_eq!(of(&[], None, 0), None);
        assert_eq!(of(&[], Some(4), 0), Some(Satisfaction { score: 4.0, from_visits: 0, trend: None }));
        let one = [visit(1, 1, Some(5)), visit(1, 2, None), visit(2, 3, Some(1))];
        assert_eq!(of(&one, Some(2), 10), Some(Satisfaction { score: 5.0, from_visits: 1, trend: None }));
        // Latest three: 2, 2, 3 (mean 2.33) after 5, 5, 4 (mean 4.67): down.
        let falling: Vec<Activity> =
            [5, 5, 4, 3, 2, 2].iter().enumerate().map(|(i, s)| visit(1, i as i64, Some(*s))).collect();
        let s = of(&falling, None, 10).unwrap();
        assert_eq!((s.from_visits, s.trend, s.rounded()), (3, Some(Trend::Down), 2));
        assert!((s.score - 7.0 / 3.0).abs() < 1e-9);
        let rising: Vec<Activity> =
            [2, 2, 3, 4, 4, 5].iter().enumerate().map(|(i, s)| visit(1, i as i64, Some(*s))).collect();
        assert_eq!(of(&rising, None, 10).unwrap().trend, Some(Trend::Up));
        let steady: Vec<Activity> =
            [4, 4, 4, 4].iter().enumerate().map(|(i, s)| visit(1, i as i64, Some(*s))).collect();
        assert_eq!(of(&steady, None, 10).unwrap().trend, Some(Trend::Flat));
    }

    #[test]
    fn old_and_future_scores_do_not_count() {
        let acts = [visit(1, 0, Some(1)), visit(1, 400, Some(4)), visit(1, 500, Some(5))];
        // At day 450: day 0 is older than a year, day 500 has not happened.
        assert_eq!(of(&acts, None, 450), Some(Satisfaction { score: 4.0, from_visits: 1, trend: None }));
    }
}
