//! The REST API under `/api/v1`.
//!
//! # Layout
//! - `api/records.rs`: `GET /api/v1/{kind}` and `/{kind}/{id}`: materialized records filtered by the policy.
//! - `api/audit.rs`: `GET /api/v1/audit` (admins): filters, paging, CSV.
//! - `api/admin.rs`: users (admins), kept consistent between accounts and the directory document.
//! - `api/teams.rs`: teams and their managers.
//! - `api/exports.rs`: export requests that a manager (or an admin) approves before download.
//! - `api/import.rs`: `POST /api/v1/import`: CSV files → records, all or nothing, with a dry run.
//! - `api/numbers.rs`: `POST /api/v1/numbers`: blocks of record numbers from the company's counter.
//! - `api/write.rs`: `POST /api/v1/{kind}`, `PATCH /api/v1/{kind}/{id}`: writes through the sync write gate.
//! - `api/archive.rs`: `POST /api/v1/{kind}/{id}/archive` and `/restore`.
//! - `api/history.rs`: `GET /api/v1/{kind}/{id}/history` and `/provenance`, `POST .../undo`; the loading
//!   behind `GET /api/v1/{kind}/{id}?as_of=`.
//! - `api/erase.rs`: `POST /api/v1/{leads|contacts}/{id}/erase`: an admin erases a person's data.
//! - `api/data_export.rs`: `GET /api/v1/exports/{id}/archive`: an approved export as JSON + Automerge files (zip).
//! - `api/reports.rs`: `GET /api/v1/reports/{name}`: the dashboard's figures (JSON or CSV).
//! - `api/relationship_rules.rs`: `GET/PUT /api/v1/settings/relationship`: churn rules, visit intervals, tiers.

pub mod admin;
pub mod archive;
pub mod audit;
pub mod data_export;
pub mod erase;
pub mod exports;
pub mod history;
pub mod import;
pub mod numbers;
pub mod records;
pub mod relationship_rules;
pub mod reports;
pub mod teams;
pub mod write;

use axum::Router;
use serde::{Deserialize, Deserializer};

use crate::AppState;

/// Every `/api/v1` route.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(records::router())
        .merge(admin::router())
        .merge(audit::router())
        .merge(exports::router())
        .merge(import::router())
        .merge(teams::router())
        .merge(numbers::router())
        .merge(write::router())
        .merge(archive::router())
        .merge(history::router())
        .merge(erase::router())
        .merge(reports::router())
        .merge(data_export::router())
        .merge(relationship_rules::router())
}

/// For PATCH bodies: tells an absent field (`None`) from an explicit `null` (`Some(None)`).
pub(crate) fn double_option<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}
