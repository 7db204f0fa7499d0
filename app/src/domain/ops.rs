//! Operations on records: pure functions with `now` and new ids passed in, each returning a typed error
//! that names the field and the reason.
//!
//! - `number`: human-readable numbers (`OPP-2026-0042`, `CUS-2026-0007`).
//! - `convert`: a lead into an opportunity + a new or existing customer + a contact.
//! - `pipeline`: move stage, win (cooperation history, exactly once), lose, close, reopen.
//! - `followups`: follow-ups due today / overdue for a user.
//! - `churn`: churn warnings for a customer.
//! - `archive`: archive and restore a record (who may, and the gate's rule).

mod archive;
mod churn;
mod convert;
mod followups;
mod number;
mod pipeline;

pub use archive::{archive, check_archive_change, may_archive, may_restore, restore, Archived};
pub use churn::{churn_warnings, ChurnWarning};
pub use convert::{
    convert_lead, customer_matches, Conversion, ConversionIds, ConvertOutcome, ConvertRequest, CustomerChoice,
    CustomerMatch,
};
pub use followups::{follow_ups, FollowUpDue, FollowUpSource, FollowUps};
pub use number::{format_number, next_number, parse_number, CUSTOMER_PREFIX, OPPORTUNITY_PREFIX};
pub use pipeline::{close, lose, move_stage, record_win, reopen, sync_cooperation_history, win};
