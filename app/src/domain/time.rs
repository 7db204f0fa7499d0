//! Instants: UTC milliseconds since the Unix epoch in documents, chrono in code.

use autosurgeon::{reconcile::NoKey, Hydrate, HydrateError, Reconcile, Reconciler};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

use super::DomainError;

/// One day in milliseconds.
pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// A UTC instant, stored in documents as an integer of milliseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn from_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    pub fn from_datetime(t: DateTime<Utc>) -> Self {
        Timestamp(t.timestamp_millis())
    }

    /// The chrono instant, or `None` when the value is outside chrono's range.
    pub fn to_datetime(self) -> Option<DateTime<Utc>> {
        Utc.timestamp_millis_opt(self.0).single()
    }

    /// The UTC calendar day this instant falls on.
    pub fn date(self) -> NaiveDate {
        self.to_datetime().map(|t| t.date_naive()).unwrap_or_default()
    }

    /// Midnight UTC at the start of `date`.
    pub fn start_of(date: NaiveDate) -> Self {
        Timestamp(date.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis()).unwrap_or_default())
    }

    /// Parses `YYYY-MM-DD` (midnight UTC) or an RFC 3339 instant; `field` names the field in the error.
    pub fn parse(field: &str, s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Ok(Timestamp::start_of(d));
        }
        DateTime::parse_from_rfc3339(s)
            .map(|t| Timestamp(t.timestamp_millis()))
            .map_err(|_| DomainError::invalid(field, format!("{s:?} is not a date (YYYY-MM-DD) or RFC 3339 time")))
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier), rounding toward zero.
    pub fn days_until(self, later: Timestamp) -> i64 {
        (later.0 - self.0) / DAY_MS
    }

    pub fn plus_days(self, days: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(days.saturating_mul(DAY_MS)))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_datetime() {
            Some(t) => write!(f, "{}", t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            None => write!(f, "{}ms", self.0),
        }
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(t: DateTime<Utc>) -> Self {
        Timestamp::from_datetime(t)
    }
}

// Written as a signed integer (the documents' contract); read leniently from any integer or an
// Automerge timestamp, since other clients (JS automerge-repo) may write either.
impl Reconcile for Timestamp {
    type Key<'a> = NoKey;
    fn reconcile<R: Reconciler>(&self, mut r: R) -> Result<(), R::Error> {
        r.i64(self.0)
    }
}

impl Hydrate for Timestamp {
    fn hydrate_int(i: i64) -> Result<Self, HydrateError> {
        Ok(Timestamp(i))
    }
    fn hydrate_uint(u: u64) -> Result<Self, HydrateError> {
        i64::try_from(u)
            .map(Timestamp)
            .map_err(|_| HydrateError::unexpected("milliseconds since the epoch", "a too large integer".into()))
    }
    fn hydrate_timestamp(t: i64) -> Result<Self, HydrateError> {
        Ok(Timestamp(t))
    }
    fn hydrate_f64(f: f64) -> Result<Self, HydrateError> {
        if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 {
            Ok(Timestamp(f as i64))
        } else {
            Err(HydrateError::unexpected("milliseconds since the epoch", format!("{f}")))
        }
    }
}

/// Lenient integer readers for `#[autosurgeon(hydrate = "...")]`: JS clients write integers as signed
/// `int`, Rust writes `u8`/`u64` as `uint`; both must read back.
pub(crate) mod lenient {
    use automerge::ObjId;
    use autosurgeon::{Hydrate, HydrateError, Prop, ReadDoc};

    struct AnyInt(i128);

    impl Hydrate for AnyInt {
        fn hydrate_int(i: i64) -> Result<Self, HydrateError> {
            Ok(AnyInt(i.into()))
        }
        fn hydrate_uint(u: u64) -> Result<Self, HydrateError> {
            Ok(AnyInt(u.into()))
        }
        fn hydrate_f64(f: f64) -> Result<Self, HydrateError> {
            if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 {
                Ok(AnyInt(f as i128))
            } else {
                Err(HydrateError::unexpected("an integer", format!("{f}")))
            }
        }
    }

    fn any<D: ReadDoc, T: TryFrom<i128>>(doc: &D, obj: &ObjId, prop: Prop<'_>) -> Result<T, HydrateError> {
        let AnyInt(v) = AnyInt::hydrate(doc, obj, prop)?;
        T::try_from(v).map_err(|_| HydrateError::unexpected("an integer in range", format!("{v}")))
    }

    fn opt<D: ReadDoc, T: TryFrom<i128>>(doc: &D, obj: &ObjId, prop: Prop<'_>) -> Result<Option<T>, HydrateError> {
        match Option::<AnyInt>::hydrate(doc, obj, prop)? {
            None => Ok(None),
            Some(AnyInt(v)) => {
                T::try_from(v).map(Some).map_err(|_| HydrateError::unexpected("an integer in range", format!("{v}")))
            }
        }
    }

    pub fn u8<D: ReadDoc>(doc: &D, obj: &ObjId, prop: Prop<'_>) -> Result<u8, HydrateError> {
        any(doc, obj, prop)
    }
    pub fn opt_u8<D: ReadDoc>(doc: &D, obj: &ObjId, prop: Prop<'_>) -> Result<Option<u8>, HydrateError> {
        opt(doc, obj, prop)
    }
    pub fn i64<D: ReadDoc>(doc: &D, obj: &ObjId, prop: Prop<'_>) -> Result<i64, HydrateError> {
        any(doc, obj, prop)
    }
    pub fn u64<D: ReadDoc>(doc: &D, obj: &ObjId, prop: Prop<'_>) -> Result<u64, HydrateError> {
        any(doc, obj, prop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_to_and_from_chrono() {
        let t = Timestamp::parse("d", "2026-03-01").unwrap();
        assert_eq!(t.to_datetime().unwrap().to_rfc3339(), "2026-03-01T00:00:00+00:00");
        assert_eq!(Timestamp::from_datetime(t.to_datetime().unwrap()), t);
        assert_eq!(t.date(), NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
        assert_eq!(Timestamp::parse("d", "2026-03-01T08:00:00+08:00").unwrap(), t);
        assert_eq!(t.plus_days(2).date().to_string(), "2026-03-03");
        assert_eq!(t.days_until(t.plus_days(9)), 9);
    }

    #[test]
    fn rejects_bad_dates_with_the_field_name() {
        let e = Timestamp::parse("close_date", "31/02/2026").unwrap_err();
        assert!(e.to_string().starts_with("close_date:"), "{e}");
    }

    #[test]
    fn reads_any_integer_encoding() {
        use automerge::{transaction::Transactable, AutoCommit, ROOT};
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "a", 5_i64).unwrap();
        doc.put(ROOT, "b", 5_u64).unwrap();
        doc.put(ROOT, "c", automerge::ScalarValue::Timestamp(5)).unwrap();
        for k in ["a", "b", "c"] {
            let t: Timestamp = autosurgeon::hydrate_prop(&doc, ROOT, k).unwrap();
            assert_eq!(t, Timestamp(5));
        }
        let v: u8 = lenient::u8(&doc, &ROOT, "a".into()).unwrap();
        assert_eq!(v, 5);
    }
}
