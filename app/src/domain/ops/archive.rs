//! Archiving a record: it disappears from lists, boards and search but is kept whole (a won deal's stage
//! history and its line in the customer's cooperation history stay, and reports still count it), and it
//! can be brought back.
//!
//! Who: whoever may write the record archives it; only the owner's sales manager or an admin restores it
//! (so a rep cannot quietly un-archive what their manager put away, and an archived record is reviewed by
//! someone above its owner). The write gate (`gate::check_write`) enforces [`may_restore`].

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::domain::records::Record;
use crate::domain::{access, Directory, DomainError, RecordMeta, Role, Timestamp, UserId};

/// The archive mark on a main record document (`archived` key): when and by whom.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct Archived {
    pub at: Timestamp,
    pub by: UserId,
}

/// May `user` archive this record? Whoever may write it.
pub fn may_archive(user: &UserId, dir: &Directory, meta: &RecordMeta) -> bool {
    access(user, dir, meta).base.can_write()
}

/// May `user` restore this archived record? An admin, or the sales manager of its owner (not the owner
/// themself, even when they are a manager). A record without an owner: admins only.
pub fn may_restore(user: &UserId, dir: &Directory, meta: &RecordMeta) -> bool {
    let Some(u) = dir.user(user).filter(|u| !u.disabled) else { return false };
    match (u.role, meta.owner.as_ref()) {
        (Role::Admin, _) => true,
        (Role::SalesManager, Some(owner)) => owner != user && dir.manages(user, owner),
        _ => false,
    }
}

/// Archives `rec` (by `by`, at `now`). Archiving an archived record is refused: it would hide who did it.
pub fn archive<R: Record>(rec: &mut R, by: &UserId, now: Timestamp) -> Result<(), DomainError> {
    if rec.archived().is_some() {
        return Err(DomainError::invalid("archived", "the record is archived already"));
    }
    rec.set_archived(Some(Archived { at: now.max(rec.created_at()), by: by.clone() }));
    Ok(())
}

/// Brings an archived record back into lists.
pub fn restore<R: Record>(rec: &mut R) -> Result<(), DomainError> {
    if rec.archived().is_none() {
        return Err(DomainError::invalid("archived", "the record is not archived"));
    }
    rec.set_archived(None);
    Ok(())
}

/// The gate's archive rule for a change from `before` to `after` of the record `meta`: setting the mark
/// needs [`may_archive`] (which every change of a record already needs); clearing it needs [`may_restore`].
/// Changing who/when of an existing mark counts as a restore.
pub fn check_archive_change(
    user: &UserId,
    dir: &Directory,
    meta: &RecordMeta,
    before: Option<&Archived>,
    after: Option<&Archived>,
) -> Result<(), DomainError> {
    match (before, after) {
        (None, None) => Ok(()),
        (None, Some(_)) if may_archive(user, dir, meta) => Ok(()),
        (Some(b), Some(a)) if a == b => Ok(()),
        (Some(_), _) if may_restore(user, dir, meta) => Ok(()),
        (None, Some(_)) => Err(DomainError::refused("archived", "you may not archive this record")),
        (Some(_), _) => Err(DomainError::refused(
            "archived",
            "only the owner's sales manager or an admin may restore an archived record",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testkit::{company, u};
    use crate::domain::{Lead, RecordKind};

    const NOW: Timestamp = Timestamp(1_767_225_600_000);

    fn meta(owner: Option<&str>) -> RecordMeta {
        RecordMeta { kind: RecordKind::Opportunity, owner: owner.map(u), customer_owner: None, linked: Vec::new() }
    }

    #[test]
    fn archive_and_restore_mark_the_record() {
        let mut lead = Lead::new("Lead", Some(u("rep1")), &u("rep1"), NOW).unwrap();
        archive(&mut lead, &u("rep1"), NOW.plus_days(1)).unwrap();
        assert_eq!(lead.archived, Some(Archived { at: NOW.plus_days(1), by: u("rep1") }));
        assert_eq!(
            archive(&mut lead, &u("rep1"), NOW).unwrap_err().to_string(),
            "archived: the record is archived already"
        );
        restore(&mut lead).unwrap();
        assert_eq!(lead.archived, None);
        assert!(restore(&mut lead).is_err());
    }

    #[test]
    fn restoring_is_for_the_owners_manager_or_an_admin() {
        let dir = company();
        let m = meta(Some("rep1"));
        assert!(may_archive(&u("rep1"), &dir, &m));
        assert!(!may_archive(&u("rep3"), &dir, &m));
        assert!(may_restore(&u("admin"), &dir, &m));
        assert!(may_restore(&u("manager"), &dir, &m));
        assert!(!may_restore(&u("rep1"), &dir, &m), "the owner does not restore");
        assert!(!may_restore(&u("rep2"), &dir, &m));
        assert!(!may_restore(&u("manager"), &dir, &meta(Some("rep3"))), "another team's manager");
        assert!(!may_restore(&u("manager"), &dir, &meta(None)));
        let mark = Archived { at: NOW, by: u("rep1") };
        check_archive_change(&u("rep1"), &dir, &m, None, Some(&mark)).unwrap();
        check_archive_change(&u("rep1"), &dir, &m, Some(&mark), Some(&mark)).unwrap();
        let e = check_archive_change(&u("rep1"), &dir, &m, Some(&mark), None).unwrap_err();
        assert!(matches!(e, DomainError::Refused { ref path, .. } if path == "archived"), "{e}");
        check_archive_change(&u("manager"), &dir, &m, Some(&mark), None).unwrap();
        let other = Archived { at: NOW, by: u("manager") };
        assert!(check_archive_change(&u("rep1"), &dir, &m, Some(&mark), Some(&other)).is_err());
    }
}
