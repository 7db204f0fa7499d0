//! Erasing a person's data (a privacy-law request): a lead's or contact's `pii` companion is removed from the
//! relay and from every device, and the record keeps a permanent mark of when and by whom.
//!
//! The mark (`pii_erased: {at, by}` on the main document, beside `archived`) is what makes the erasure stick:
//! the write gate refuses every write to the `pii` companion of a marked record, so no device (nor a stock
//! automerge-repo client replaying its old copy) can bring the data back, and it refuses any change to the
//! mark itself. Only an admin sets it, naming themself (`policy::may_erase_pii`); the relay's erase endpoint
//! sets it for the admin and then deletes the companion (ARCHITECTURE.md §10, "Erasure").

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::domain::records::Record;
use crate::domain::{may_erase_pii, Contact, Directory, DomainError, Lead, RecordKind, Timestamp, UserId};

/// The erasure mark on a main record document (`pii_erased` key): when and by whom. Never changes once set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hydrate, Reconcile)]
pub struct PiiErased {
    pub at: Timestamp,
    pub by: UserId,
}

/// A record kind with a `pii` group, and so an erasure mark.
pub trait Erasable: Record {
    fn pii_erased(&self) -> Option<&PiiErased>;
    fn set_pii_erased(&mut self, mark: PiiErased);
}

impl Erasable for Lead {
    fn pii_erased(&self) -> Option<&PiiErased> {
        self.pii_erased.as_ref()
    }
    fn set_pii_erased(&mut self, mark: PiiErased) {
        self.pii_erased = Some(mark);
    }
}

impl Erasable for Contact {
    fn pii_erased(&self) -> Option<&PiiErased> {
        self.pii_erased.as_ref()
    }
    fn set_pii_erased(&mut self, mark: PiiErased) {
        self.pii_erased = Some(mark);
    }
}

/// Marks `rec` as erased by `by` at `now`. A record erased already is refused (the first mark stays: it says
/// when the data went).
pub fn mark_pii_erased<R: Erasable>(rec: &mut R, by: &UserId, now: Timestamp) -> Result<(), DomainError> {
    if rec.pii_erased().is_some() {
        return Err(DomainError::invalid("pii_erased", "the personal data was erased already"));
    }
    rec.set_pii_erased(PiiErased { at: now.max(rec.created_at()), by: by.clone() });
    Ok(())
}

/// The gate's rule for the mark in a change of a `kind` record from `before` to `after`: it may appear only
/// when `user` may erase and names `user`; once there it never changes or goes.
pub fn check_pii_erased_change(
    user: &UserId,
    dir: &Directory,
    kind: RecordKind,
    before: Option<&PiiErased>,
    after: Option<&PiiErased>,
) -> Result<(), DomainError> {
    match (before, after) {
        (None, None) => Ok(()),
        (Some(b), Some(a)) if a == b => Ok(()),
        (Some(_), _) => Err(DomainError::refused("pii_erased", "an erasure is permanent")),
        (None, Some(_)) if !may_erase_pii(user, dir, kind) => {
            Err(DomainError::refused("pii_erased", "only an admin may erase personal data"))
        }
        (None, Some(a)) if &a.by != user => {
            Err(DomainError::refused("pii_erased", "an erasure names the admin who made it"))
        }
        (None, Some(_)) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testkit::{company, u};

    const NOW: Timestamp = Timestamp(1_767_225_600_000);

    #[test]
    fn only_active_admins_erase_and_only_kinds_with_personal_data() {
        let mut dir = company();
        for who in ["manager", "rep1", "accountmgr", "marketing", "aftersales", "analyst", "gone", "nobody"] {
            assert!(!may_erase_pii(&u(who), &dir, RecordKind::Contact), "{who}");
            assert!(!may_erase_pii(&u(who), &dir, RecordKind::Lead), "{who}");
        }
        assert!(may_erase_pii(&u("admin"), &dir, RecordKind::Contact));
        assert!(may_erase_pii(&u("admin"), &dir, RecordKind::Lead));
        for kind in [RecordKind::Opportunity, RecordKind::Customer, RecordKind::Activity] {
            assert!(!may_erase_pii(&u("admin"), &dir, kind), "a {} has no personal data group", kind.as_str());
        }
        dir.users.iter_mut().find(|x| x.id == u("admin")).unwrap().disabled = true;
        assert!(!may_erase_pii(&u("admin"), &dir, RecordKind::Contact), "a disabled admin");
    }

    #[test]
    fn the_mark_is_set_once() {
        let mut c = Contact::new("Ms Li", None, Some(u("rep1")), &u("rep1"), NOW).unwrap();
        mark_pii_erased(&mut c, &u("admin"), NOW.plus_days(2)).unwrap();
        assert_eq!(c.pii_erased, Some(PiiErased { at: NOW.plus_days(2), by: u("admin") }));
        let e = mark_pii_erased(&mut c, &u("admin"), NOW.plus_days(3)).unwrap_err();
        assert_eq!(e.to_string(), "pii_erased: the personal data was erased already");
        assert_eq!(c.pii_erased.as_ref().unwrap().at, NOW.plus_days(2), "the first mark stays");
        // A clock behind the record's creation still gives a mark after it.
        let mut l = Lead::new("Expo", None, &u("marketing"), NOW).unwrap();
        mark_pii_erased(&mut l, &u("admin"), Timestamp(0)).unwrap();
        assert_eq!(l.pii_erased.unwrap().at, NOW);
    }

    #[test]
    fn the_gate_rule_admits_an_admins_own_mark_and_nothing_after_it() {
        let dir = company();
        let k = RecordKind::Contact;
        let mark = PiiErased { at: NOW, by: u("admin") };
        check_pii_erased_change(&u("rep1"), &dir, k, None, None).unwrap();
        check_pii_erased_change(&u("admin"), &dir, k, None, Some(&mark)).unwrap();
        check_pii_erased_change(&u("rep1"), &dir, k, Some(&mark), Some(&mark)).unwrap();
        let refused = |r: Result<(), DomainError>| match r {
            Err(DomainError::Refused { path, reason }) if path == "pii_erased" => reason,
            other => panic!("expected a refusal at pii_erased, got {other:?}"),
        };
        assert_eq!(
            refused(check_pii_erased_change(&u("rep1"), &dir, k, None, Some(&PiiErased { at: NOW, by: u("rep1") }))),
            "only an admin may erase personal data"
        );
        assert_eq!(
            refused(check_pii_erased_change(&u("manager"), &dir, k, None, Some(&mark))),
            "only an admin may erase personal data"
        );
        let forged = PiiErased { at: NOW, by: u("manager") };
        assert_eq!(
            refused(check_pii_erased_change(&u("admin"), &dir, k, None, Some(&forged))),
            "an erasure names the admin who made it"
        );
        for who in ["rep1", "manager", "admin"] {
            assert_eq!(
                refused(check_pii_erased_change(&u(who), &dir, k, Some(&mark), None)),
                "an erasure is permanent"
            );
            let later = PiiErased { at: NOW.plus_days(1), by: u("admin") };
            assert_eq!(
                refused(check_pii_erased_change(&u(who), &dir, k, Some(&mark), Some(&later))),
                "an erasure is permanent"
            );
        }
        assert!(check_pii_erased_change(&u("admin"), &dir, RecordKind::Opportunity, None, Some(&mark)).is_err());
    }
}
