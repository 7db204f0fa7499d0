//! `POST /api/v1/import`: new records from a CSV file (the mapping is `app::domain::import`, pure).
//!
//! Two ways to call it: the file as a `text/csv` body with options in the query
//! (`?kind=opportunities|leads|customers|contacts&format=maven|datablist|generic&dry_run=true`), or a JSON
//! body `{kind, format, csv, dry_run?, unknown_owner?, currency?, owners?}`. `dry_run=true` (or `1`) only
//! reports; `owners={"Moses Frase":"rep1"}` (JSON; in the query also any number of `owner=Moses Frase:rep1`)
//! maps names in the owner column to users; `unknown_owner=reject|importer|pool` (default reject);
//! `currency=USD` for amounts without one; `background=true` answers 202 `{job, progress}` at once and the
//! import runs on, its progress and final answer at `GET /api/v1/import/jobs/{id}` (`import/jobs.rs`). The answer lists every rejected row with row, column and reason,
//! warnings, ignored columns and how many records of each kind are (or would be) created. Bodies over
//! [`MAX_IMPORT_BYTES`] get a JSON 413; an unreadable file a 400.
//!
//! All or nothing: if any row is rejected, a real import answers 422 with the same report and stores
//! nothing (see `app::domain::import` for why). Otherwise every record is created through the hub at once
//! (`Hub::create_docs`, as demo seeding does: stored, indexed, fanned out to open sockets) with fresh ids,
//! so nothing stored before is touched. (The hub commits a bulk write in a few large transactions: only if
//! storage itself fails midway can part of a clean import be stored; that answers 500 and is audited as
//! `store_failed`.) Who may import: whoever may create records of that kind (admins,
//! managers for their teams, reps for themselves, marketing leads); every owner must be someone the
//! importer may assign records to. Every import, dry or real, is audited.

mod jobs;

use std::collections::BTreeMap;

use axum::{
    body::Bytes,
    extract::{
        rejection::{BytesRejection, QueryRejection},
        DefaultBodyLimit, Query, State,
    },
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};

use app::domain::{
    access,
    import::{self, ExistingCustomer, Format, ImportPlan, ImportRequest, UnknownOwner},
    DocId, RecordKind, Timestamp, UserId,
};

use crate::{
    audit::{AuditAction, AuditEvent},
    auth::{AuthUser, ClientAddr},
    error::ApiError,
    AppState,
};

/// The largest CSV body accepted (the 8,800-row sample pipeline is 0.6 MiB).
pub const MAX_IMPORT_BYTES: usize = 8 * 1024 * 1024;

/// The import options, from the query (raw CSV body) or from a JSON body.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    kind: Option<String>,
    format: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    dry_run: Option<bool>,
    #[serde(default)]
    owners: BTreeMap<String, String>,
    unknown_owner: Option<String>,
    currency: Option<String>,
    /// Answer at once with a job whose progress `GET /api/v1/import/jobs/{id}` tells (see `import/jobs.rs`).
    #[serde(default, deserialize_with = "lenient_bool")]
    background: Option<bool>,
    /// Only in a JSON body: the file's text.
    csv: Option<String>,
}

fn parse_bool(name: &str, s: &str) -> Result<bool, String> {
    match s {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" | "" => Ok(false),
        _ => Err(format!("{name}: {s:?} is not true or false")),
    }
}

fn lenient_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Value::deserialize(d)? {
        Value::Bool(b) => Ok(Some(b)),
        Value::Null => Ok(None),
        Value::String(s) => parse_bool("value", &s).map(Some).map_err(serde::de::Error::custom),
        other => Err(serde::de::Error::custom(format!("{other} is not true or false"))),
    }
}

/// Options from query pairs: `kind`, `format`, `dry_run`, `unknown_owner`, `currency`, `owners` (a JSON
/// object) and any number of `owner=Name:user`.
fn query_options(pairs: Vec<(String, String)>) -> Result<Options, ApiError> {
    let mut o = Options::default();
    for (k, v) in pairs {
        match k.as_str() {
            "kind" => o.kind = Some(v),
            "format" => o.format = Some(v),
            "dry_run" => o.dry_run = Some(parse_bool("dry_run", &v).map_err(ApiError::bad_request)?),
            "background" => o.background = Some(parse_bool("background", &v).map_err(ApiError::bad_request)?),
            "unknown_owner" => o.unknown_owner = Some(v),
            "currency" => o.currency = Some(v),
            "owners" => o
                .owners
                .extend(serde_json::from_str::<BTreeMap<String, String>>(&v).map_err(|e| {
                    ApiError::bad_request(format!("owners: not a JSON object of name → user id ({e})"))
                })?),
            "owner" => {
                let (name, user) = v
                    .rsplit_once(':')
                    .ok_or_else(|| ApiError::bad_request(format!("owner: {v:?} is not Name:user_id")))?;
                o.owners.insert(name.to_string(), user.to_string());
            }
            "token" => {}
            other => return Err(ApiError::bad_request(format!("unknown parameter {other:?}"))),
        }
    }
    Ok(o)
}

/// An error answer with our JSON shape and a status `ApiError` has no variant for (413, 415, 422).
fn error(status: StatusCode, code: &str, message: String, extra: Option<Value>) -> Response {
    let mut body = json!({ "error": code, "message": message });
    if let (Some(Value::Object(extra)), Some(obj)) = (extra, body.as_object_mut()) {
        obj.extend(extra);
    }
    (status, Json(body)).into_response()
}

fn parse_kind(s: &str) -> Result<RecordKind, ApiError> {
    RecordKind::ALL
        .into_iter()
        .find(|k| k.plural() == s || k.as_str() == s)
        .filter(|k| *k != RecordKind::Activity)
        .ok_or_else(|| {
            ApiError::bad_request(format!("kind: {s:?} is not one of opportunities, leads, customers, contacts"))
        })
}

fn media_type(headers: &HeaderMap) -> String {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

static IMPORTS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How many records the report of a real import lists (the counts cover all of them). A dry run lists every
/// planned record (row, kind, name, owner), so the import page can point out likely duplicates.
const REPORT_RECORDS: usize = 200;

/// The report of a plan: `{kind, format, dry_run, imported, rows, rejected_rows, counts, rejected, warnings,
/// ignored_columns, records}`; a record's `id` only once it is stored.
fn report(plan: &ImportPlan, dry_run: bool, imported: bool) -> Value {
    let row_error = |e: &app::domain::RowError| json!({ "row": e.row, "column": e.column, "reason": e.reason, "message": e.to_string() });
    let counts: serde_json::Map<String, Value> =
        [RecordKind::Lead, RecordKind::Opportunity, RecordKind::Customer, RecordKind::Contact]
            .into_iter()
            .filter(|k| plan.count(*k) > 0)
            .map(|k| (k.plural().to_string(), json!(plan.count(k))))
            .collect();
    let records: Vec<Value> = plan
        .records
        .iter()
        .take(if dry_run { usize::MAX } else { REPORT_RECORDS })
        .map(|r| {
            json!({
                "row": r.row,
                "kind": r.record.kind().as_str(),
                "id": imported.then_some(&r.id),
                "name": r.record.name(),
                "owner": r.record.owner(),
            })
        })
        .collect();
    json!({
        "kind": plan.kind.plural(),
        "format": plan.format.as_str(),
        "dry_run": dry_run,
        "imported": imported,
        "rows": plan.rows,
        "rejected_rows": plan.rejected_rows(),
        "counts": counts,
        "rejected": plan.rejected.iter().map(row_error).collect::<Vec<_>>(),
        "warnings": plan.warnings.iter().map(row_error).collect::<Vec<_>>(),
        "ignored_columns": plan
            .ignored_columns
            .iter()
            .map(|(c, r)| json!({ "column": c, "reason": r }))
            .collect::<Vec<_>>(),
        "records": records,
    })
}

/// What exists already: customers the importer can see (by name), and the numbers in use.
async fn context(
    state: &AppState,
    user: &UserId,
    kind: RecordKind,
) -> Result<(Vec<ExistingCustomer>, Vec<String>), ApiError> {
    let dir = state.hub.directory();
    let mut customers = Vec::new();
    let mut numbers = Vec::new();
    let number_of =
        |doc: &automerge::Automerge| autosurgeon::hydrate_prop::<_, String, _, _>(doc, automerge::ROOT, "number").ok();
    if kind != RecordKind::Lead {
        for (id, meta) in state.hub.list(RecordKind::Customer).await? {
            let Some(doc) = state.hub.load(&id).await? else { continue };
            numbers.extend(number_of(&doc));
            if access(user, &dir, &meta).visible() {
                if let Ok(name) = autosurgeon::hydrate_prop::<_, String, _, _>(&doc, automerge::ROOT, "name") {
                    customers.push(ExistingCustomer { id, name });
                }
            }
        }
    }
    if kind == RecordKind::Opportunity {
        for (id, _) in state.hub.list(RecordKind::Opportunity).await? {
            if let Some(doc) = state.hub.load(&id).await? {
                numbers.extend(number_of(&doc));
            }
        }
    }
    Ok((customers, numbers))
}

/// The record numbers an import of `kind` may make (opportunities may make customers from names).
fn import_prefixes(kind: RecordKind) -> &'static [&'static str] {
    use app::domain::ops::{CUSTOMER_PREFIX, OPPORTUNITY_PREFIX};
    match kind {
        RecordKind::Opportunity => &[OPPORTUNITY_PREFIX, CUSTOMER_PREFIX],
        RecordKind::Customer => &[CUSTOMER_PREFIX],
        _ => &[],
    }
}

/// A request read and checked: what to import and how.
struct Request {
    kind: RecordKind,
    format: Format,
    unknown_owner: UnknownOwner,
    owners: BTreeMap<String, UserId>,
    dry_run: bool,
    background: bool,
    currency: Option<String>,
    csv: Bytes,
}

/// Reads the options and the file from the query and body (an `Err(Response)` is an answer of its own:
/// 413, 415).
fn read_request(
    headers: &HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Result<Request, Response>, ApiError> {
    let body = match body {
        Ok(b) => b,
        Err(rej) if rej.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let mut res = error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the file is larger than {} MiB; split it", MAX_IMPORT_BYTES / (1024 * 1024)),
                None,
            );
            // The rest of the body was never read: this connection cannot carry another request.
            res.headers_mut().insert(axum::http::header::CONNECTION, axum::http::HeaderValue::from_static("close"));
            return Ok(Err(res));
        }
        Err(rej) => return Err(ApiError::bad_request(rej.body_text())),
    };
    let Query(pairs) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let (p, csv): (Options, Bytes) = match media_type(headers).as_str() {
        "application/json" => {
            if pairs.iter().any(|(k, _)| k != "token") {
                return Err(ApiError::bad_request("with a JSON body, give every option in the body"));
            }
            let mut o: Options = serde_json::from_slice(&body)
                .map_err(|e| ApiError::bad_request(format!("the JSON body does not read as import options: {e}")))?;
            let csv = o.csv.take().ok_or_else(|| ApiError::bad_request("csv: missing (the file's text)"))?;
            (o, Bytes::from(csv))
        }
        "text/csv" | "text/plain" | "application/csv" | "application/vnd.ms-excel" => (query_options(pairs)?, body),
        _ => {
            return Ok(Err(error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the file as the body with Content-Type: text/csv (or JSON options with a `csv` field)".into(),
                None,
            )))
        }
    };
    Ok(Ok(Request {
        kind: parse_kind(p.kind.as_deref().ok_or_else(|| ApiError::bad_request("kind: missing"))?)?,
        format: Format::parse(p.format.as_deref().unwrap_or("generic"))?,
        unknown_owner: p.unknown_owner.as_deref().map(UnknownOwner::parse).transpose()?.unwrap_or_default(),
        owners: p.owners.into_iter().map(|(k, v)| (k, UserId::new(v))).collect(),
        dry_run: p.dry_run.unwrap_or(false),
        background: p.background.unwrap_or(false),
        currency: p.currency.map(|c| c.trim().to_ascii_uppercase()),
        csv,
    }))
}

/// Records whose documents are built between two progress reports.
const BUILD_CHUNK: usize = 250;

/// Plans the import and (unless a dry run, or rows are rejected) stores it: the status and body to answer.
async fn run(
    state: &AppState,
    me: &UserId,
    addr: Option<std::net::IpAddr>,
    r: Request,
    progress: Option<&jobs::Progress>,
) -> Result<(StatusCode, Value), ApiError> {
    let Request { kind, format, unknown_owner, owners, dry_run, currency, csv, .. } = r;
    let dir = state.hub.directory();
    // Real imports run one at a time, so two uploads of the same file cannot both pass the number check.
    let _one_at_a_time = if dry_run { None } else { Some(IMPORTS.lock().await) };
    let (customers, mut numbers) = context(state, me, kind).await?;
    let now = Timestamp::from_datetime(chrono::Utc::now());
    // New numbers come from the company's counter, like every device's (one block, at most a number a row).
    let rows = csv.iter().filter(|b| **b == b'\n').count() as u32 + 1;
    numbers.extend(state.hub.numbers_for_import(me, import_prefixes(kind), now, rows, dry_run).await?);
    let importer = me.clone();
    let plan = tokio::task::spawn_blocking(move || {
        let req = ImportRequest {
            kind,
            format,
            dir: &dir,
            importer: &importer,
            now,
            owners: &owners,
            unknown_owner,
            currency: currency.as_deref(),
            customers: &customers,
            numbers: &numbers,
        };
        import::plan(&csv[..], &req, &mut || DocId::from_bytes(rand::random()))
    })
    .await?
    .map_err(|e| ApiError::bad_request(e.to_string()))?;

    let audit = |outcome: &str| {
        AuditEvent::new(AuditAction::Import, Some(me))
            .target(kind.plural())
            .detail(json!({
                "outcome": outcome,
                "imported": outcome == "imported",
                "format": format.as_str(),
                "rows": plan.rows,
                "rejected_rows": plan.rejected_rows(),
                "records": plan.records.len(),
            }))
            .address(addr)
    };
    if dry_run {
        state.audit.append(audit("dry_run")).await;
        return Ok((StatusCode::OK, report(&plan, true, false)));
    }
    if !plan.is_clean() {
        state.audit.append(audit("rejected")).await;
        let message = format!(
            "{} of {} rows cannot be imported; nothing was imported (see `rejected`)",
            plan.rejected_rows(),
            plan.rows
        );
        let mut body = json!({ "error": "rows_rejected", "message": message });
        if let (Some(obj), Value::Object(extra)) = (body.as_object_mut(), report(&plan, false, false)) {
            obj.extend(extra);
        }
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, body));
    }
    let (imported, audit_failed) = (audit("imported"), audit("store_failed"));
    let plan = std::sync::Arc::new(plan);
    let started = std::time::Instant::now();
    let total = plan.records.len();
    // Documents are built a chunk at a time on as many threads as there are cores, in file order.
    let build = |from: usize| {
        let plan = plan.clone();
        let to = (from + BUILD_CHUNK).min(total);
        tokio::task::spawn_blocking(move || import::documents(&plan.records[from..to]))
    };
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 4);
    let starts: Vec<usize> = (0..total).step_by(BUILD_CHUNK).collect();
    let mut docs = Vec::with_capacity(total * 2);
    for group in starts.chunks(threads) {
        if let Some(p) = progress {
            p.set(jobs::Phase::Building, group[0], total);
        }
        let handles: Vec<_> = group.iter().map(|from| build(*from)).collect();
        for h in handles {
            let chunk = h
                .await?
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("an import plan did not build as documents: {e}")))?;
            docs.extend(chunk);
        }
    }
    if let Some(p) = progress {
        p.set(jobs::Phase::Storing, total, total);
    }
    let built = started.elapsed();
    let n_docs = docs.len();
    if let Err(e) = state.hub.create_docs(docs, app::domain::history::Author::User(me.clone())).await {
        state.audit.append(audit_failed).await;
        return Err(e.into());
    }
    tracing::info!(
        records = total,
        documents = n_docs,
        build_ms = built.as_millis() as u64,
        store_ms = (started.elapsed() - built).as_millis() as u64,
        "import stored"
    );
    state.audit.append(imported).await;
    Ok((StatusCode::OK, report(&plan, false, true)))
}

async fn import_csv(
    user: AuthUser,
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    user.profile(&state)?;
    let r = match read_request(&headers, query, body)? {
        Ok(r) => r,
        Err(answer) => return Ok(answer),
    };
    let dir = state.hub.directory();
    let me = user.user.clone();
    let kind = r.kind;
    if !import::preview::may_import(&me, &dir, kind) {
        return Err(ApiError::forbidden(format!("you may not create {}", kind.plural())));
    }
    if !r.background {
        let (status, body) = run(&state, &me, addr, r, None).await?;
        return Ok((status, Json(body)).into_response());
    }
    // In the background: answer the job at once; its progress and result are read from the job.
    let rows = r.csv.iter().filter(|b| **b == b'\n').count().saturating_sub(1).max(1);
    let (id, progress) = jobs::start(&me, rows);
    tokio::spawn(async move {
        let (status, body) = match run(&state, &me, addr, r, Some(&progress)).await {
            Ok(answer) => answer,
            Err(e) => {
                let message = if matches!(e, ApiError::Internal(_)) {
                    tracing::error!(error = ?e, "import job failed");
                    "internal error".to_string()
                } else {
                    e.to_string()
                };
                (e.status(), json!({ "error": e.code(), "message": message }))
            }
        };
        progress.finish(status.as_u16(), body);
    });
    let body = json!({ "job": id, "progress": format!("/api/v1/import/jobs/{id}") });
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/import", post(import_csv).layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES)))
        .merge(jobs::router())
}
