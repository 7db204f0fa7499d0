//! One file per page.

pub mod audit;
pub mod board;
pub mod customer;
pub mod dashboard;
pub mod exports;
pub mod import;
pub mod lead;
pub mod list;
pub mod new_record;
pub mod opportunity;
pub mod people;
pub mod profile;
pub mod record;
pub mod settings;
pub mod sign_in;
pub mod today;
