//! Operations on records: pure functions with `now` and new ids passed in, each returning a typed error
//! that names the field and the reason.
//!
//! - `number`: human-readable numbers (`OPP-2026-0042`, `CUS-2026-0007`), unique per company: blocks issued
//!   by the relay, provisional numbers offline, the write gate's number rule.
//! - `convert`: a lead into an opportunity + a new or existing customer + a contact.
//! - `pipeline`: move stage, win (cooperation history, exactly once), lose, close, reopen.
//! - `followups`: follow-ups due today / overdue for a user; logging an activity on a deal; a deal's timeline.
//! - `churn`: churn warnings for a customer.
//! - `risk`: which stage moves ask for a confirmation (winning, skipping stages).
//! - `archive`: archive and restore a record (who may, and the gate's rule).
//! - `erase`: the permanent mark of a lead's or contact's erased personal data (the gate's rule).

mod archive;
mod churn;
mod convert;
mod erase;
mod followups;
mod number;
mod pipeline;
mod risk;

pub use archive::{archive, check_archive_change, may_archive, may_restore, restore, Archived};
pub use churn::{churn_warnings, ChurnWarning};
pub use convert::{
    convert_lead, customer_matches, Conversion, ConversionIds, ConvertOutcome, ConvertRequest, CustomerChoice,
    CustomerMatch,
};
pub use erase::{check_pii_erased_change, mark_pii_erased, Erasable, PiiErased};
pub use followups::{
    deal_timeline, follow_ups, log_activity, split_kind_prefix, FollowUpDue, FollowUpSource, FollowUps, TimelineEntry,
};
pub use number::{
    check_number, format_number, highest, is_provisional, next_number, number_year, parse_number, provisional_number,
    IssuedBlock, NumberBlock, NumberPool, BLOCK_SIZE, CUSTOMER_PREFIX, LOW_WATER, OPPORTUNITY_PREFIX, PREFIXES,
};
pub use pipeline::{close, lose, move_stage, record_win, reopen, sync_cooperation_history, win};
pub use risk::{move_risk, MoveRisk};
