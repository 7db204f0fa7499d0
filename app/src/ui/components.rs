//! Reusable pieces of the client.

pub mod chart;
pub mod confirm;
pub mod ctx;
pub mod custom_fields;
pub mod due;
pub mod fields;
pub mod form;
pub mod log_relationship;
pub mod notes;
pub mod owner;
pub mod presence;
pub mod provenance;
pub mod search;
pub mod shell;
pub mod suggested_tier;
pub mod virtual_list;
