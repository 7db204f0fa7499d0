//! The HTTP API's error type: every handler returns `Result<T, ApiError>`.
//!
//! Errors render as JSON `{ "error": code, "message": text }` with the matching status. Internal errors are
//! logged with their cause and answered with a bare "internal error": nothing of the inside leaks out.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;

use app::domain::DomainError;

/// An error answered to an HTTP client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed or a value is invalid (400).
    #[error("{0}")]
    BadRequest(String),
    /// No valid session, wrong credentials, expired session (401). `code` tells which.
    #[error("{message}")]
    Unauthorized { code: &'static str, message: String },
    /// Signed in, but not allowed (403).
    #[error("{0}")]
    Forbidden(String),
    /// The session's password is one-time (set by an admin or at first run): the user must set their own
    /// (`POST /api/me/password`) before anything else is served (403 `password_change_required`).
    #[error("set your own password first: this one was one-time (POST /api/me/password)")]
    PasswordChangeRequired,
    /// Nothing there, or nothing this user may see (404: existence is not revealed).
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the current state (409), e.g. a username that is taken.
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts (429); retry after this many seconds.
    #[error("too many attempts; retry in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    /// Something broke inside (500). Logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: String,
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::BadRequest(message.into())
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Unauthorized { code, message: message.into() }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::Forbidden(message.into())
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::NotFound(message.into())
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        ApiError::Conflict(message.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::PasswordChangeRequired => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code in the `error` field.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unauthorized { code, .. } => code,
            ApiError::Forbidden(_) => "forbidden",
            ApiError::PasswordChangeRequired => "password_change_required",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::TooManyRequests { .. } => "rate_limited",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Refused { .. } => ApiError::Forbidden(e.to_string()),
            _ => ApiError::BadRequest(e.to_string()),
        }
    }
}

impl From<crate::sync::SyncError> for ApiError {
    fn from(e: crate::sync::SyncError) -> Self {
        ApiError::Internal(anyhow::Error::new(e).context("document store"))
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        ApiError::Internal(anyhow::Error::new(e).context("blocking task failed"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                "internal error".to_string()
            }
            other => other.to_string(),
        };
        let mut res = (status, Json(ErrorBody { error: self.code(), message })).into_response();
        if let ApiError::TooManyRequests { retry_after_secs } = self {
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res
    }
}

/// Turns axum's JSON body rejections into our JSON error shape.
pub fn json_rejection(rej: axum::extract::rejection::JsonRejection) -> ApiError {
    ApiError::BadRequest(rej.body_text())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn internal_errors_do_not_leak() {
        let res = ApiError::Internal(anyhow::anyhow!("secret path /etc/shadow")).into_response();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(res.into_body(), 1 << 16).await.unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(!text.contains("shadow"), "{text}");
        assert!(text.contains("\"error\":\"internal\""), "{text}");
    }

    #[tokio::test]
    async fn rate_limit_sets_retry_after() {
        let res = ApiError::TooManyRequests { retry_after_secs: 42 }.into_response();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(res.headers()[header::RETRY_AFTER], "42");
    }
}
