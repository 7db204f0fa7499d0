//! Reusable pieces of the client.

pub mod ctx;
pub mod fields;
pub mod notes;
pub mod presence;
pub mod search;
pub mod shell;
pub mod virtual_list;
