//! The relay's integration tests over real sockets, in one test binary: each file used to be its own, and
//! linking the whole relay sixteen times was a large part of `./test`'s time. Run one group with
//! `cargo test -p server --test relay api_write::`.

mod support;

mod api_admin;
mod api_auth;
mod api_backup;
mod api_erase;
mod api_history;
mod api_import;
mod api_import_jobs;
mod api_people;
mod api_records;
mod api_relationship_rules;
mod api_reports;
mod api_write;
mod https;
mod security;
mod sync_bad_input;
mod sync_crash;
mod sync_forward;
mod sync_numbers;
mod sync_roles;
mod sync_writes;
