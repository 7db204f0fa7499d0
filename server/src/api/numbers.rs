//! `POST /api/v1/numbers {"prefix": "CUS", "count": 20}`: issues a block of record numbers to the caller
//! from the company's counter (see `app::domain::ops::number`); `GET /api/v1/numbers`: the blocks issued to
//! the caller so far. Devices reserve blocks while online and
//! use them offline; the write gate accepts a new record's number only if it was issued to its writer.

use axum::{
    extract::{rejection::JsonRejection, State},
    routing::get,
    Json, Router,
};
use serde::Deserialize;

use app::domain::ops::{NumberBlock, BLOCK_SIZE, CUSTOMER_PREFIX, OPPORTUNITY_PREFIX};
use app::domain::{may_assign, RecordKind, Timestamp};

use crate::{
    auth::AuthUser,
    error::{json_rejection, ApiError},
    AppState,
};

/// The most numbers one request may take.
const MAX_COUNT: u32 = 100;

#[derive(Deserialize)]
struct Reserve {
    prefix: String,
    #[serde(default)]
    count: Option<u32>,
}

async fn reserve(
    user: AuthUser,
    State(state): State<AppState>,
    body: Result<Json<Reserve>, JsonRejection>,
) -> Result<Json<NumberBlock>, ApiError> {
    user.profile(&state)?;
    let Json(req) = body.map_err(json_rejection)?;
    let kind = match req.prefix.as_str() {
        OPPORTUNITY_PREFIX => RecordKind::Opportunity,
        CUSTOMER_PREFIX => RecordKind::Customer,
        p => {
            return Err(ApiError::bad_request(format!(
                "prefix: {p:?} is not numbered (use {OPPORTUNITY_PREFIX} or {CUSTOMER_PREFIX})"
            )))
        }
    };
    let count = req.count.unwrap_or(BLOCK_SIZE);
    if !(1..=MAX_COUNT).contains(&count) {
        return Err(ApiError::bad_request(format!("count: between 1 and {MAX_COUNT}")));
    }
    if !may_assign(&user.user, &state.hub.directory(), kind, None, Some(&user.user), true) {
        return Err(ApiError::forbidden(format!("you may not create {}", kind.plural())));
    }
    let now = Timestamp::from_datetime(chrono::Utc::now());
    Ok(Json(state.hub.reserve_numbers(&user.user, &req.prefix, now, count).await?))
}

async fn issued(user: AuthUser, State(state): State<AppState>) -> Result<Json<Vec<NumberBlock>>, ApiError> {
    user.profile(&state)?;
    Ok(Json(state.hub.issued_numbers(&user.user)))
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/numbers", get(issued).post(reserve))
}
