//! Imports that run in the background (`background=true`): the request is answered at once with a job id,
//! and `GET /api/v1/import/jobs/{id}` tells its progress (phase, done of total) and, once finished, the
//! status and body the import would have answered. Only the person who started a job may read it; finished
//! jobs are forgotten after [`KEEP`].

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use axum::{
    extract::{Path, State},
    routing::get,
    Json, Router,
};
use serde::Serialize;
use serde_json::{json, Value};

use app::domain::UserId;

use crate::{auth::AuthUser, error::ApiError, AppState};

/// How long a finished job's result is kept for its owner to read.
const KEEP: Duration = Duration::from_secs(60 * 60);

/// Where an import is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Reading what exists already and checking every row.
    Checking,
    /// Making the records' documents (`done` of `total` records).
    Building,
    /// Storing the documents and updating who sees what.
    Storing,
    Finished,
}

#[derive(Clone, Debug, Serialize)]
struct JobState {
    phase: Phase,
    done: usize,
    total: usize,
    /// Once finished: the HTTP status and body the import answered.
    status: Option<u16>,
    result: Option<Value>,
    #[serde(skip)]
    finished_at: Option<Instant>,
}

/// One job's progress, shared between the import task and the progress endpoint.
#[derive(Clone)]
pub struct Progress(Arc<(UserId, Mutex<JobState>)>);

impl Progress {
    pub fn set(&self, phase: Phase, done: usize, total: usize) {
        let mut s = lock(&self.0 .1);
        s.phase = phase;
        s.done = done;
        s.total = total;
    }

    pub fn finish(&self, status: u16, result: Value) {
        let mut s = lock(&self.0 .1);
        s.phase = Phase::Finished;
        s.done = s.total;
        s.status = Some(status);
        s.result = Some(result);
        s.finished_at = Some(Instant::now());
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

static JOBS: LazyLock<Mutex<HashMap<String, Progress>>> = LazyLock::new(Default::default);

/// Registers a new job of `owner` (forgetting jobs finished long ago) and returns its id and progress.
pub fn start(owner: &UserId, rows: usize) -> (String, Progress) {
    let id = format!("{:032x}", rand::random::<u128>());
    let state =
        JobState { phase: Phase::Checking, done: 0, total: rows, status: None, result: None, finished_at: None };
    let p = Progress(Arc::new((owner.clone(), Mutex::new(state))));
    let mut jobs = lock(&JOBS);
    jobs.retain(|_, j| lock(&j.0 .1).finished_at.is_none_or(|t| t.elapsed() < KEEP));
    jobs.insert(id.clone(), p.clone());
    (id, p)
}

async fn job(user: AuthUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    user.profile(&state)?;
    let p = lock(&JOBS).get(&id).cloned().filter(|p| p.0 .0 == user.user);
    let p = p.ok_or_else(|| ApiError::NotFound(format!("no import job {id}")))?;
    let s = lock(&p.0 .1).clone();
    let mut body = serde_json::to_value(&s).map_err(anyhow::Error::from)?;
    body["job"] = json!(id);
    body["finished"] = json!(s.phase == Phase::Finished);
    Ok(Json(body))
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/import/jobs/{id}", get(job))
}
