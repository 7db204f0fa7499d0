//! Follow-ups due today and overdue, per user.

use serde::{Deserialize, Serialize};

use crate::domain::{DocId, OpportunityStatus, RecordKind, RecordView, Timestamp, UserId, DAY_MS};

/// Where a follow-up comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpSource {
    /// An active opportunity's `next_follow_up`.
    Opportunity,
    /// An activity's `next_step_at`.
    Activity,
}

/// One follow-up that needs doing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpDue {
    pub record: DocId,
    pub kind: RecordKind,
    pub source: FollowUpSource,
    pub title: String,
    pub due: Timestamp,
}

/// A user's follow-ups: due today and overdue (each sorted by due time, oldest first).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUps {
    pub today: Vec<FollowUpDue>,
    pub overdue: Vec<FollowUpDue>,
}

/// The follow-ups `user` owns that are due today or earlier. "Today" is the calendar day of `now` at
/// `utc_offset_minutes` (e.g. 480 for China), so a rep in Shanghai sees their own day.
pub fn follow_ups<'a>(
    user: &UserId,
    views: impl IntoIterator<Item = &'a RecordView>,
    now: Timestamp,
    utc_offset_minutes: i32,
) -> FollowUps {
    let offset = i64::from(utc_offset_minutes) * 60_000;
    let local_day_start = (now.0 + offset).div_euclid(DAY_MS) * DAY_MS - offset;
    let (today_start, tomorrow_start) = (Timestamp(local_day_start), Timestamp(local_day_start + DAY_MS));
    let mut out = FollowUps::default();
    for v in views {
        if v.owner() != Some(user) {
            continue;
        }
        let due = match v {
            RecordView::Opportunity(o) if o.base.status == OpportunityStatus::Active => {
                o.base.next_follow_up.map(|d| (FollowUpSource::Opportunity, d))
            }
            RecordView::Activity(a) => a.base.next_step_at.map(|d| (FollowUpSource::Activity, d)),
            _ => None,
        };
        let Some((source, due)) = due else { continue };
        let item = FollowUpDue { record: v.id().clone(), kind: v.kind(), source, title: v.title().to_string(), due };
        if due < today_start {
            out.overdue.push(item);
        } else if due < tomorrow_start {
            out.today.push(item);
        }
    }
    out.today.sort_by_key(|f| f.due);
    out.overdue.sort_by_key(|f| f.due);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testkit::{company, u};
    use crate::domain::{Activity, ActivityKind, ActivityView, Opportunity, OpportunityView, StageId};

    fn at(s: &str) -> Timestamp {
        Timestamp::parse("t", s).unwrap()
    }

    fn opp(n: u8, owner: &str, next: Option<&str>, status: OpportunityStatus) -> RecordView {
        let mut o = Opportunity::new(
            &format!("deal {n}"),
            "OPP-2026-0001",
            &StageId::new("initial"),
            Some(u(owner)),
            &u(owner),
            at("2026-01-01"),
            &company(),
        )
        .unwrap();
        o.next_follow_up = next.map(at);
        o.status = status;
        RecordView::Opportunity(OpportunityView { id: DocId::from_bytes([n; 16]), base: o, money: None })
    }

    fn act(n: u8, owner: &str, next: Option<&str>) -> RecordView {
        let mut a =
            Activity::new(ActivityKind::Call, &format!("call {n}"), at("2026-01-01"), &u(owner), at("2026-01-01"))
                .unwrap();
        a.next_step_at = next.map(at);
        RecordView::Activity(ActivityView { id: DocId::from_bytes([n; 16]), base: a })
    }

    #[test]
    fn splits_today_and_overdue_for_the_owner_only() {
        let views = vec![
            opp(1, "rep1", Some("2026-03-10T09:00:00Z"), OpportunityStatus::Active), // today
            opp(2, "rep1", Some("2026-03-08T09:00:00Z"), OpportunityStatus::Active), // overdue
            opp(3, "rep1", Some("2026-03-11T09:00:00Z"), OpportunityStatus::Active), // tomorrow
            opp(4, "rep1", Some("2026-03-01T09:00:00Z"), OpportunityStatus::Lost),   // closed: ignored
            opp(5, "rep2", Some("2026-03-10T09:00:00Z"), OpportunityStatus::Active), // someone else's
            opp(6, "rep1", None, OpportunityStatus::Active),
            act(7, "rep1", Some("2026-03-10T01:00:00Z")), // today, earlier
            act(8, "rep1", Some("2026-02-01T00:00:00Z")), // overdue, older
        ];
        let f = follow_ups(&u("rep1"), &views, at("2026-03-10T12:00:00Z"), 0);
        let ids = |v: &[FollowUpDue]| v.iter().map(|f| f.record.bytes()[0]).collect::<Vec<_>>();
        assert_eq!(ids(&f.today), vec![7, 1]);
        assert_eq!(ids(&f.overdue), vec![8, 2]);
        assert_eq!(f.today[0].source, FollowUpSource::Activity);
        assert_eq!(f.today[1].title, "deal 1");
    }

    #[test]
    fn today_follows_the_users_time_zone() {
        // 2026-03-10 20:00 UTC is already 2026-03-11 04:00 in Shanghai.
        let views = vec![opp(1, "rep1", Some("2026-03-10T17:00:00Z"), OpportunityStatus::Active)];
        let now = at("2026-03-10T20:00:00Z");
        assert_eq!(follow_ups(&u("rep1"), &views, now, 0).today.len(), 1);
        let sh = follow_ups(&u("rep1"), &views, now, 480);
        assert_eq!((sh.today.len(), sh.overdue.len()), (1, 0), "01:00 local on the 11th is today there");
        let sh = follow_ups(&u("rep1"), &views, now.plus_days(1), 480);
        assert_eq!(sh.overdue.len(), 1);
    }
}
