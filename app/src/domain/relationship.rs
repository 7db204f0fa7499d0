//! The customer relationship (客户关系): what the relationship half of the CRM computes, pure.
//!
//! # Layout
//! - `history`: a customer's cooperation history, read from its won deals and its hand-written entries.
//! - `entry`: hand-written orders, contracts and renewals in the customer's `money` group.
//! - `log`: logging a call, visit (回访), meeting, e-mail, complaint or service ticket; case statuses.
//! - `satisfaction`: a customer's satisfaction from recent visit scores, with its trend.
//! - `rules`: the admin's settings (visit interval per tier, tier thresholds), in the directory.
//! - `tiers`: the tier a customer's revenue suggests.
//! - `visits`: customers due for a visit.
//! - `facts`: last contact, satisfaction and lifetime value per customer (the customer list's sorts).
//! - `reminders`: one user's visits due, overdue cases and churn warnings (the Today page).
//! - `metrics`: the customer base's figures over a period (the dashboard and the `customers` report).
//!
//! Nothing here writes documents; the client and the relay call these with the views the reader holds,
//! so every role sees what its policy lets it read and nothing is stored twice.

mod entry;
mod facts;
mod history;
mod log;
mod metrics;
mod reminders;
mod rules;
mod satisfaction;
mod tiers;
mod visits;

pub use entry::{add_entry, entry_key, NewEntry};
pub use facts::{compare_facts, customer_facts, CustomerFacts, FactSort};
pub use history::{cooperation_history, history_value, HistoryEntry, HistorySource};
pub use log::{assign_case, log_activity, may_log, overdue_case, set_case_status, LogEntry};
pub use metrics::{customer_metrics, CustomerMetrics};
pub use reminders::{reminders, CaseDue, ChurnItem, Reminders};
pub use rules::{RelationshipRules, TierRules, VisitIntervals};
pub use satisfaction::{satisfaction, Satisfaction, Trend, RECENT, WINDOW_DAYS};
pub use tiers::{revenue, suggested_tier};
pub use visits::{visits_due, VisitDue};
