//! The REST API under `/api/v1`.
//!
//! # Layout
//! - `api/records.rs`: `GET /api/v1/{kind}` and `/{kind}/{id}`: materialized records filtered by the policy.
//! - `api/audit.rs`: `GET /api/v1/audit` (admins): filters, paging, CSV.
//! - `api/admin.rs`: users (admins), kept consistent between accounts and the directory document.
//! - `api/teams.rs`: teams and their managers.
//! - `api/exports.rs`: export requests that a manager (or an admin) approves before download.
//! - `api/import.rs`: `POST /api/v1/import`: CSV files → records, all or nothing, with a dry run.

pub mod admin;
pub mod audit;
pub mod exports;
pub mod import;
pub mod records;
pub mod teams;

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
}

/// For PATCH bodies: tells an absent field (`None`) from an explicit `null` (`Some(None)`).
pub(crate) fn double_option<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}
