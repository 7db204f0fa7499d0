//! Follow-ups due today and overdue, per user; logging an activity on a deal; a deal's timeline.

use serde::{Deserialize, Serialize};

use crate::domain::{
    Activity, ActivityKind, ActivityView, DocId, DomainError, FollowUp, Opportunity, OpportunityStatus, RecordKind,
    RecordView, Timestamp, UserId, DAY_MS,
};

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

/// Records on the deal that `activity` (document `activity_id`, linked to the deal) was logged: a follow-up
/// entry whose note is the activity's subject as typed (the kind lives on the activity, never as a text
/// prefix) and whose id is the activity's, so a timeline shows the two as one entry; the activity's next
/// step, when it has a date, becomes the deal's next follow-up.
pub fn log_activity(o: &mut Opportunity, activity_id: &DocId, activity: &Activity) -> Result<(), DomainError> {
    if o.status != OpportunityStatus::Active {
        return Err(DomainError::invalid("status", "only an active opportunity takes follow-ups"));
    }
    let by = activity.owner.clone().unwrap_or_else(|| activity.created_by.clone());
    let id = activity_id.to_string();
    if !o.follow_ups.iter().any(|f| f.id == id) {
        o.follow_ups.push(FollowUp { id, at: activity.at, by, note: activity.subject.clone() });
    }
    if activity.next_step_at.is_some() {
        o.next_follow_up = activity.next_step_at;
    }
    o.updated_at = activity.updated_at.max(o.updated_at);
    Ok(())
}

/// Splits the kind prefix older clients wrote into follow-up notes (`"call: Demo booked"`) from the text.
/// Notes without a known kind prefix come back whole.
pub fn split_kind_prefix(note: &str) -> (Option<ActivityKind>, &str) {
    if let Some((head, rest)) = note.split_once(": ") {
        if let Ok(kind) = ActivityKind::parse(head) {
            return (Some(kind), rest.trim_start());
        }
    }
    (None, note)
}

/// One line of a deal's timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineEntry {
    pub at: Timestamp,
    /// The activity kind, shown through the string table (never as a raw code).
    pub kind: Option<ActivityKind>,
    pub text: String,
    pub by: Option<UserId>,
    /// The activity record this entry is, when there is one (a link).
    pub activity: Option<DocId>,
}

/// A deal's follow-ups and the activities linked to it, newest first, each logged activity once: a
/// follow-up written with an activity (same id, or from older clients the same time and subject with a
/// kind prefix) is that activity's entry.
pub fn deal_timeline<'a>(
    follow_ups: &[FollowUp],
    activities: impl IntoIterator<Item = &'a ActivityView>,
) -> Vec<TimelineEntry> {
    let mut out: Vec<TimelineEntry> = activities
        .into_iter()
        .map(|a| TimelineEntry {
            at: a.base.at,
            kind: Some(a.base.kind),
            text: a.base.subject.clone(),
            by: a.base.owner.clone(),
            activity: Some(a.id.clone()),
        })
        .collect();
    let linked = out.len();
    for f in follow_ups {
        let (kind, text) = split_kind_prefix(&f.note);
        let same = |e: &TimelineEntry| {
            e.activity.as_ref().is_some_and(|id| id.as_str() == f.id) || (e.at == f.at && e.text == text)
        };
        if out[..linked].iter().any(same) {
            continue;
        }
        out.push(TimelineEntry { at: f.at, kind, text: text.to_string(), by: Some(f.by.clone()), activity: None });
    }
    out.sort_by_key(|e| std::cmp::Reverse(e.at));
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

    fn deal() -> Opportunity {
        let RecordView::Opportunity(o) = opp(1, "rep1", None, OpportunityStatus::Active) else { unreachable!() };
        o.base
    }

    #[test]
    fn a_logged_activity_is_one_timeline_entry_without_a_kind_prefix() {
        let mut o = deal();
        let RecordView::Activity(mut a) = act(9, "rep1", Some("2026-04-01")) else { unreachable!() };
        a.base.subject = "Demo booked".into();
        log_activity(&mut o, &a.id, &a.base).unwrap();
        log_activity(&mut o, &a.id, &a.base).unwrap();
        assert_eq!(o.follow_ups.len(), 1, "logging twice (a retry) stays one entry");
        assert_eq!(o.follow_ups[0].note, "Demo booked");
        assert_eq!(o.next_follow_up, Some(at("2026-04-01")));
        let t = deal_timeline(&o.follow_ups, [&a]);
        assert_eq!(t.len(), 1);
        assert_eq!((t[0].kind, t[0].text.as_str()), (Some(ActivityKind::Call), "Demo booked"));
        assert_eq!(t[0].activity.as_ref(), Some(&a.id));
    }

    #[test]
    fn old_prefixed_notes_render_cleanly_and_once() {
        let RecordView::Activity(a) = act(9, "rep1", None) else { unreachable!() };
        let old = |id: &str, note: &str, when: Timestamp| FollowUp {
            id: id.into(),
            at: when,
            by: u("rep1"),
            note: note.into(),
        };
        let fus = vec![
            old("f1", "call: call 9", a.base.at), // written with the activity by an old client
            old("f2", "meeting: Budget review", at("2026-02-01")), // no activity: kind from the prefix
            old("f3", "Sent the price list: v2", at("2026-02-02")), // a colon, but no kind
        ];
        let t = deal_timeline(&fus, [&a]);
        let lines: Vec<_> = t.iter().map(|e| (e.kind, e.text.as_str())).collect();
        assert_eq!(
            lines,
            vec![
                (None, "Sent the price list: v2"),
                (Some(ActivityKind::Meeting), "Budget review"),
                (Some(ActivityKind::Call), "call 9"),
            ]
        );
    }

    #[test]
    fn closed_deals_take_no_follow_ups() {
        let mut o = deal();
        o.status = OpportunityStatus::Lost;
        let RecordView::Activity(a) = act(9, "rep1", None) else { unreachable!() };
        assert!(log_activity(&mut o, &a.id, &a.base).is_err());
    }
}
