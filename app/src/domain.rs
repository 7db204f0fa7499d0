//! The pure CRM domain: record schema, stage rules, conversions, visibility policy, analytics and the
//! mapping of records to Automerge documents. No I/O here: time, randomness and ids come in as arguments.
//!
//! # Layout
//! - `ids`, `role`, `record_kind`, `error`: small shared vocabulary.
//! - `directory`: users, teams, stages, custom fields, policy (the admin-written directory document).
//! - `policy`: `access(user, directory, meta) -> Access`, the one truth of who sees and writes what.
//! - `stage`, `custom_field`: pipeline stages and custom field definitions (data, not enums) and the
//!   validation of custom values.
//! - `time`, `money`, `vocab`: `Timestamp` (ms since the epoch), `Money` (minor units + currency), snake_case
//!   string enums, `LongText` (Automerge Text for notes).
//! - `records/`: one file per record kind: the main struct (`base` fields) and its companion structs
//!   (`LeadPii`, `OpportunityMoney`, `CustomerMoney`, `CustomerService`, `ContactPii`).
//! - `docs/`: records ⇄ Automerge documents (autosurgeon), document headers, `RecordView` (materialized
//!   record with the companion groups the reader has).
//! - `gate`: the relay's write gate, `check_write(user, dir, doc_id, role, before, after)`.
//! - `analytics`: pipeline and customer-base numbers over slices of views.
//! - `import/`: CSV files → new records (maven pipeline, datablist leads, our generic columns), pure.
//! - `search`: search normalisation (case, full-width forms, pinyin and pinyin initials of Chinese names).
//! - `relationship/`: the customer relationship: cooperation history (read from won deals), satisfaction
//!   from visit scores, tiers from data, visits due and reminders.
//! - `people`: user ids, pasted rosters, the effect of a directory change on who sees what.
//! - `history/`: a record's history from its documents and the relay's provenance (who sent each change,
//!   when it arrived), the record as of a time, undo and restore.
//! - `ops/`: operations (lead conversion, stage moves, win/lose/reopen, follow-ups, churn, numbers).

mod custom_field;
mod directory;
mod error;
mod ids;
mod policy;
mod record_kind;
mod role;
mod stage;

pub mod analytics;
pub mod docs;
pub mod gate;
pub mod history;
pub mod import;
mod money;
pub mod ops;
pub mod people;
pub mod records;
#[allow(clippy::inconsistent_digit_grouping)] // money literals read as yuan_fen: 5_000_00
pub mod relationship;
pub mod search;
mod time;
mod vocab;

#[cfg(test)]
mod testkit;

pub use custom_field::{validate_custom, validate_custom_change, CustomFieldDef, CustomFieldType, CustomValue};
pub use directory::{ChurnRules, Directory, Team, User};
pub use error::DomainError;
pub use ids::{DocId, FieldId, StageId, TeamId, UserId};
pub use policy::{
    access, companion_groups, may_assign, may_erase_pii, may_write_directory, Access, FieldGroup, LinkedRecord, Perm,
    Policy, RecordMeta, RoleRules, Rule, Scope,
};
pub use record_kind::RecordKind;
pub use role::Role;
pub use stage::{pipeline, StageDef};

pub use docs::{ActivityView, ContactView, CustomerView, DocKind, LeadView, OpportunityView, RecordView};
pub use gate::{check_write, DocRole};
pub use import::{ImportError, ImportPlan, ImportRequest, RowError};
pub use money::{parse_amount, totals_by_currency, Money};
pub use records::{
    Activity, ActivityKind, CaseStatus, Companion, Contact, ContactPii, CooperationEntry, Customer, CustomerEvent,
    CustomerMoney, CustomerService, CustomerTier, EntryKind, FollowUp, Lead, LeadPii, LeadSource, LeadStatus,
    Opportunity, OpportunityMoney, OpportunityStatus, Quote, Record, ServiceEvent, ServiceEventKind, StageEntry,
};
pub use time::{Timestamp, DAY_MS};
pub use vocab::{normalize_name, LongText};
