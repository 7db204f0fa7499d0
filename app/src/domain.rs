//! The pure CRM domain: record schema, stage rules, conversions, visibility policy, analytics and the
//! mapping of records to Automerge documents. No I/O here: time, randomness and ids come in as arguments.
//!
//! # Layout
//! - `ids`, `role`, `record_kind`, `error`: small shared vocabulary.
//! - `directory`: users, teams, stages, custom fields, policy (the admin-written directory document).
//! - `policy`: `access(user, directory, meta) -> Access`, the one truth of who sees and writes what.
//! - `stage`, `custom_field`: pipeline stages and custom field definitions (data, not enums).

mod custom_field;
mod directory;
mod error;
mod ids;
mod policy;
mod record_kind;
mod role;
mod stage;

pub use custom_field::{CustomFieldDef, CustomFieldType};
pub use directory::{ChurnRules, Directory, Team, User};
pub use error::DomainError;
pub use ids::{DocId, FieldId, StageId, TeamId, UserId};
pub use policy::{
    access, companion_groups, may_assign, may_write_directory, Access, FieldGroup, Perm, Policy, RecordMeta,
    RoleRules, Rule, Scope,
};
pub use record_kind::RecordKind;
pub use role::Role;
pub use stage::StageDef;
