//! An import job on the relay: `POST /api/v1/import` with `background: true` answers a job id at once;
//! its progress is read every few hundred milliseconds until it is finished with the import's answer.

use serde::Deserialize;

use crate::ui::api::{self, ApiError};

/// A job's progress as `GET /api/v1/import/jobs/{id}` tells it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct JobState {
    /// checking, building, storing, finished.
    pub phase: String,
    pub done: usize,
    pub total: usize,
    pub finished: bool,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    result: Option<serde_json::Value>,
}

impl JobState {
    /// The bar's position, 0-100: checking the rows is the first tenth, making the records the bulk,
    /// storing them the last tenth.
    pub fn percent(&self) -> u32 {
        let part = if self.total == 0 { 1.0 } else { (self.done as f64 / self.total as f64).clamp(0.0, 1.0) };
        match self.phase.as_str() {
            "checking" => 2,
            "building" => 10 + (part * 80.0) as u32,
            "storing" => 90,
            _ => 100,
        }
    }
}

/// One row's problem, as the import report lists it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct RowProblem {
    pub row: usize,
    pub column: Option<String>,
    pub reason: String,
}

/// A planned (or stored) record as the report lists it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Planned {
    pub row: usize,
    pub kind: String,
    pub id: Option<String>,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct IgnoredColumn {
    pub column: String,
    pub reason: String,
}

/// The import's answer (a report, or an error with its message).
#[derive(Clone, Debug, PartialEq, Default, Deserialize)]
pub struct Report {
    /// The kind imported (plural: "opportunities").
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub rows: usize,
    #[serde(default)]
    pub rejected_rows: usize,
    #[serde(default)]
    pub counts: std::collections::BTreeMap<String, usize>,
    #[serde(default)]
    pub rejected: Vec<RowProblem>,
    #[serde(default)]
    pub warnings: Vec<RowProblem>,
    #[serde(default)]
    pub ignored_columns: Vec<IgnoredColumn>,
    #[serde(default)]
    pub records: Vec<Planned>,
    #[serde(default)]
    pub imported: bool,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Deserialize)]
struct Started {
    job: String,
}

/// Starts the job and follows it; `on_progress` sees every state read. Returns the import's status and
/// answer.
pub async fn run(
    token: &str,
    body: serde_json::Value,
    on_progress: impl Fn(JobState),
) -> Result<(u16, Report), ApiError> {
    let started: Started = api::post(token, "/api/v1/import", Some(body)).await?;
    let path = format!("/api/v1/import/jobs/{}", started.job);
    loop {
        gloo_timers::future::TimeoutFuture::new(250).await;
        let mut s: JobState = api::get(token, &path).await?;
        let result = s.result.take();
        let (finished, status) = (s.finished, s.status);
        on_progress(s);
        if finished {
            let report =
                serde_json::from_value(result.unwrap_or_default()).map_err(|e| ApiError::BadResponse(e.to_string()))?;
            return Ok((status.unwrap_or(500), report));
        }
    }
}
