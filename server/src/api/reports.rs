//! `GET /api/v1/reports/{name}`: the dashboard's figures, computed by the same domain functions
//! (`app::domain::analytics`) over the records the caller may read, as the REST reads materialize them
//! (a hidden group is absent, so amounts appear only for roles that see money). Archived records count:
//! archiving hides a record from lists, not from history.
//!
//! Names: `summary`, `funnel` (active deals per stage and the conversion to each next stage),
//! `win-rate`, `cycle` (won and lost: average and median days), `lost-reasons`, `by-owner`, `by-team`,
//! `by-region`, `customers` (`relationship::customer_metrics`: tiers, average satisfaction and lifetime
//! value, repurchase and churn over the period, the customers at risk, as on the dashboard). Query:
//! `period=quarter|year|all` (default all; as on the dashboard, the funnel is a snapshot of the open
//! pipeline and ignores it) and `utc_offset_minutes` (where the quarter
//! starts). JSON by default; `Accept: text/csv` gives one row per stage / reason / group.

use axum::{
    extract::{rejection::QueryRejection, Path, Query, State},
    http::{header, HeaderMap, HeaderValue},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use app::domain::analytics::{self, GroupBy, Period};
use app::domain::{Activity, CustomerView, OpportunityStatus, OpportunityView, RecordKind, RecordView, Timestamp};

use crate::{auth::AuthUser, error::ApiError, AppState};

/// Every report name, for the 404 message.
pub const REPORTS: [&str; 9] =
    ["summary", "funnel", "win-rate", "cycle", "lost-reasons", "by-owner", "by-team", "by-region", "customers"];

#[derive(Deserialize)]
struct Params {
    period: Option<String>,
    utc_offset_minutes: Option<i32>,
}

/// What a report is computed from: the records the caller may read, already redacted.
pub struct Inputs {
    pub opportunities: Vec<OpportunityView>,
    pub customers: Vec<CustomerView>,
    pub activities: Vec<Activity>,
}

/// Computes report `name` for the period starting at `start` (`None`: all time). Returns the JSON answer
/// and the table its CSV is made of. Pure, so tests compare it with the domain directly.
pub fn compute(
    name: &str,
    input: &Inputs,
    dir: &app::domain::Directory,
    start: Option<Timestamp>,
    now: Timestamp,
) -> Option<(Value, Value)> {
    let all: Vec<&OpportunityView> = input.opportunities.iter().collect();
    let deals = analytics::in_period(&all, start);
    let by = |g: GroupBy| {
        let customers: Vec<&CustomerView> = input.customers.iter().collect();
        let v = j(&analytics::summary_by(&deals, g, &customers));
        (v.clone(), v)
    };
    Some(match name {
        "summary" => {
            let v = j(&analytics::summary(&deals));
            (v.clone(), v)
        }
        "win-rate" => {
            let s = analytics::summary(&deals);
            let v = json!({ "win_rate": s.win_rate, "won": s.won, "lost": s.lost, "decided": s.won + s.lost });
            (v.clone(), v)
        }
        "cycle" => {
            let won = analytics::sales_cycle(&deals, OpportunityStatus::Won);
            let lost = analytics::sales_cycle(&deals, OpportunityStatus::Lost);
            let v = json!({ "won": j(&won), "lost": j(&lost) });
            (v.clone(), v)
        }
        "lost-reasons" => {
            let v = j(&analytics::lost_reasons(&deals));
            (v.clone(), v)
        }
        "by-owner" => by(GroupBy::Owner),
        "by-team" => by(GroupBy::Team),
        "by-region" => by(GroupBy::Region),
        "funnel" => {
            let stages = analytics::per_stage(&all, dir);
            let conversion = analytics::stage_conversion(&all, dir);
            let table: Vec<Value> = stages
                .iter()
                .map(|s| {
                    let next = conversion.iter().find(|c| c.from == s.stage);
                    json!({
                        "stage": s.stage, "count": s.count, "amount": s.amount,
                        "next_stage": next.map(|c| &c.to), "reached": next.map(|c| c.reached_from),
                        "reached_next": next.map(|c| c.reached_to), "conversion": next.and_then(|c| c.rate),
                    })
                })
                .collect();
            (json!({ "stages": j(&stages), "conversion": j(&conversion) }), Value::Array(table))
        }
        "customers" => {
            let customers: Vec<&CustomerView> = input.customers.iter().collect();
            let acts: Vec<&Activity> = input.activities.iter().collect();
            let m = app::domain::relationship::customer_metrics(&customers, &all, &acts, dir, start, now);
            let v = j(&m);
            (v.clone(), v)
        }
        _ => return None,
    })
}

/// The figures as JSON (they always serialize).
fn j<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// One CSV cell: amounts as `12345.67 CNY` joined by `; `, other lists and objects as JSON.
fn cell(v: &Value) -> String {
    let money = |m: &Value| -> Option<String> {
        let minor = m.get("amount_minor")?.as_i64()?;
        let cur = m.get("currency")?.as_str()?;
        let sign = if minor < 0 { "-" } else { "" };
        Some(format!("{sign}{}.{:02} {cur}", minor.unsigned_abs() / 100, minor.unsigned_abs() % 100))
    };
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().all(|m| money(m).is_some()) => {
            items.iter().filter_map(money).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    }
}

/// An object's fields as columns, nested objects as `outer.inner`.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                flatten(&if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") }, x, out);
            }
        }
        other => out.push((prefix.to_string(), cell(other))),
    }
}

fn rows(table: &Value) -> Vec<Vec<(String, String)>> {
    let row = |v: &Value| {
        let mut r = Vec::new();
        flatten("", v, &mut r);
        r
    };
    match table {
        Value::Array(items) => items.iter().map(row).collect(),
        // Groups (by-owner, cycle): one row per group, its name first.
        Value::Object(m) if !m.is_empty() && m.values().all(Value::is_object) => m
            .iter()
            .map(|(k, x)| {
                let mut r = vec![("group".to_string(), k.clone())];
                r.extend(row(x));
                r
            })
            .collect(),
        other => vec![row(other)],
    }
}

/// The table as CSV: a header of every column met, what names a row first (group, stage, reason), then
/// the rest in first-seen order.
pub fn to_csv(table: &Value) -> Result<String, ApiError> {
    let rows = rows(table);
    let mut columns: Vec<String> = Vec::new();
    for r in &rows {
        for (c, _) in r {
            if !columns.contains(c) {
                columns.push(c.clone());
            }
        }
    }
    columns.sort_by_key(|c| match c.as_str() {
        "group" => 0,
        "stage" | "reason" => 1,
        _ => 2,
    });
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| ApiError::Internal(e.into());
    w.write_record(&columns).map_err(err)?;
    for r in &rows {
        let line: Vec<&str> =
            columns.iter().map(|c| r.iter().find(|(k, _)| k == c).map_or("", |(_, v)| v.as_str())).collect();
        w.write_record(line).map_err(err)?;
    }
    let bytes = w.into_inner().map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))?;
    String::from_utf8(bytes).map_err(|e| ApiError::Internal(e.into()))
}

/// The records a report reads, as `user` may see them.
pub async fn inputs(state: &AppState, user: &app::domain::UserId) -> Result<Inputs, ApiError> {
    let views = |vs: Vec<RecordView>| vs.into_iter();
    let opportunities = views(super::records::visible(state, user, RecordKind::Opportunity).await?)
        .filter_map(|v| if let RecordView::Opportunity(o) = v { Some(o) } else { None })
        .collect();
    let customers = views(super::records::visible(state, user, RecordKind::Customer).await?)
        .filter_map(|v| if let RecordView::Customer(c) = v { Some(c) } else { None })
        .collect();
    let activities = views(super::records::visible(state, user, RecordKind::Activity).await?)
        .filter_map(|v| if let RecordView::Activity(a) = v { Some(a.base) } else { None })
        .collect();
    Ok(Inputs { opportunities, customers, activities })
}

fn wants_csv(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/csv"))
}

async fn report(
    user: AuthUser,
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<Response, ApiError> {
    user.profile(&state)?;
    let Query(p) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    if !REPORTS.contains(&name.as_str()) {
        return Err(ApiError::not_found(format!("no report {name:?}; there are {}", REPORTS.join(", "))));
    }
    let period = match p.period.as_deref() {
        None => Period::All,
        Some(s) => Period::parse(s)
            .ok_or_else(|| ApiError::bad_request(format!("period: {s:?} is not quarter, year or all")))?,
    };
    let offset = p.utc_offset_minutes.unwrap_or(0);
    if !(-14 * 60..=14 * 60).contains(&offset) {
        return Err(ApiError::bad_request("utc_offset_minutes: not between -840 and 840"));
    }
    let now = super::write::now();
    let input = inputs(&state, &user.user).await?;
    let dir = state.hub.directory();
    let (body, table) = compute(&name, &input, &dir, period.start(now, offset), now)
        .ok_or_else(|| ApiError::not_found(format!("no report {name:?}")))?;
    if wants_csv(&headers) {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
        let disposition = format!("attachment; filename=\"{name}-{}.csv\"", period.as_str());
        if let Ok(v) = HeaderValue::from_str(&disposition) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        return Ok((h, to_csv(&table)?).into_response());
    }
    let mut out = Map::new();
    out.insert("report".into(), json!(name));
    out.insert("period".into(), json!(period.as_str()));
    out.insert("data".into(), body);
    Ok(Json(Value::Object(out)).into_response())
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/reports/{name}", get(report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_flatten_groups_and_amounts() {
        let table = json!({
            "rep1": { "count": 2, "won_amount": [{"amount_minor": 123456, "currency": "CNY"}], "cycle_won": {"count": 1} },
            "rep2": { "count": 0, "won_amount": [] }
        });
        let csv = to_csv(&table).unwrap();
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("group,count,cycle_won.count,won_amount"));
        assert_eq!(lines.next(), Some("rep1,2,1,1234.56 CNY"));
        assert_eq!(lines.next(), Some("rep2,0,,"));
    }
}
