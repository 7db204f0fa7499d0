//! `GET /api/v1/audit` (admins): the audit log, newest first, filtered by who (`actor`), what (`action`),
//! which record or person (`target`) and when (`since`, `until`: a date `YYYY-MM-DD`, UTC, both days
//! included, or an RFC 3339 instant), paged with `before`/`limit`. As CSV with `?format=csv` or
//! `Accept: text/csv` (every matching entry, up to [`CSV_MAX`], no paging).

use axum::{
    extract::{Query, State},
    http::{header, HeaderMap, HeaderValue},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use app::domain::{Role, UserId};

use crate::{
    accounts::{AuditEntry, AuditQuery},
    auth::AuthUser,
    error::ApiError,
    AppState,
};

/// Most rows of one CSV download (a year of a busy company's logins and changes).
pub const CSV_MAX: u32 = 100_000;

#[derive(Deserialize)]
struct AuditParams {
    before: Option<i64>,
    limit: Option<u32>,
    actor: Option<String>,
    action: Option<String>,
    target: Option<String>,
    since: Option<String>,
    until: Option<String>,
    format: Option<String>,
}

#[derive(Serialize)]
struct AuditPage {
    entries: Vec<AuditEntry>,
    /// Pass as `before` to read the next (older) page; absent on the last page.
    next_before: Option<i64>,
}

/// A `since`/`until` bound: a date means the start of that UTC day (`until`: of the day after, so the
/// day itself is included).
fn bound(field: &str, v: Option<&str>, end_of_day: bool) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    let day = NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| ApiError::bad_request(format!("{field}: {v:?} is not a date (YYYY-MM-DD) or an RFC 3339 time")))?;
    let day = if end_of_day { day.succ_opt().unwrap_or(day) } else { day };
    Ok(day.and_hms_opt(0, 0, 0).map(|t| t.and_utc()))
}

fn nonempty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn wants_csv(p: &AuditParams, headers: &HeaderMap) -> Result<bool, ApiError> {
    match p.format.as_deref() {
        Some("csv") => return Ok(true),
        Some("json") => return Ok(false),
        Some(other) => return Err(ApiError::bad_request(format!("format: {other:?} is not csv or json"))),
        None => {}
    }
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    Ok(accept.split(',').any(|m| m.trim().starts_with("text/csv")))
}

async fn list_audit(
    user: AuthUser,
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<AuditParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    user.require_role(&state, &[Role::Admin])?;
    let Query(p) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let csv = wants_csv(&p, &headers)?;
    let since = bound("since", p.since.as_deref(), false)?;
    let until = bound("until", p.until.as_deref(), true)?;
    if let (Some(a), Some(b)) = (since, until) {
        if a >= b {
            return Err(ApiError::bad_request("until: must not be before since"));
        }
    }
    let limit = if csv { p.limit.unwrap_or(CSV_MAX).clamp(1, CSV_MAX) } else { p.limit.unwrap_or(100) };
    if !csv && !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request(format!("limit: {limit} is not between 1 and 1000")));
    }
    let query = AuditQuery {
        before: p.before,
        actor: nonempty(p.actor).map(UserId),
        action: nonempty(p.action),
        target: nonempty(p.target),
        since,
        until,
        limit,
    };
    let entries = state.audit.list(query).await?;
    if csv {
        let body = to_csv(&entries).map_err(anyhow::Error::new)?;
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
        headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"audit.csv\""));
        return Ok((headers, body).into_response());
    }
    let next_before = if entries.len() as u32 == limit { entries.last().map(|e| e.id) } else { None };
    Ok(Json(AuditPage { entries, next_before }).into_response())
}

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) is prefixed with `'`
/// so it stays text: an audit target or detail is user-typed (a username tried at sign-in, say).
pub fn spreadsheet_safe(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

fn to_csv(entries: &[AuditEntry]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["id", "at", "actor", "action", "target", "detail", "address"])?;
    for e in entries {
        let detail = if e.detail.is_null() { String::new() } else { e.detail.to_string() };
        w.write_record([
            e.id.to_string(),
            e.at.to_rfc3339(),
            spreadsheet_safe(e.actor.as_ref().map(|a| a.as_str()).unwrap_or("")),
            e.action.clone(),
            spreadsheet_safe(e.target.as_deref().unwrap_or("")),
            spreadsheet_safe(&detail),
            e.address.clone().unwrap_or_default(),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/audit", get(list_audit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_stay_text() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_safe("rep1"), "rep1");
    }

    #[test]
    fn dates_include_the_whole_day() {
        let since = bound("since", Some("2026-03-01"), false).unwrap().unwrap();
        let until = bound("until", Some("2026-03-01"), true).unwrap().unwrap();
        assert_eq!(since.to_rfc3339(), "2026-03-01T00:00:00+00:00");
        assert_eq!(until.to_rfc3339(), "2026-03-02T00:00:00+00:00");
        assert!(bound("since", Some("March"), false).is_err());
        assert_eq!(bound("since", Some(""), false).unwrap(), None);
    }
}
