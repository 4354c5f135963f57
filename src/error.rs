//! The error a client sees: a stable `extensions.code` and a message a person can act on.
//!
//! async-graphql is built with `custom-error-conversion`, so `?` cannot turn an arbitrary
//! `Display` error (a database or I/O error) into a client message: every error a resolver
//! returns goes through [`ApiError`], which logs internal causes and shows a generic message.
use async_graphql::ErrorExtensions;

use crate::services::ServiceError;

/// The codes every part of the API shares; rules add their own (e.g. `SLOT_TAKEN`).
pub mod code {
    pub const BAD_INPUT: &str = "BAD_INPUT";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const FORBIDDEN: &str = "FORBIDDEN";
    pub const INTERNAL: &str = "INTERNAL";
    /// No database connection came free in time (HTTP 503, `Retry-After`).
    pub const SERVICE_BUSY: &str = "SERVICE_BUSY";
    /// The database refused or dropped the connection (HTTP 503, `Retry-After`).
    pub const SERVICE_UNAVAILABLE: &str = "SERVICE_UNAVAILABLE";

    /// Codes that say "try again shortly" rather than "this request is wrong".
    pub fn is_outage(code: &str) -> bool {
        code == SERVICE_BUSY || code == SERVICE_UNAVAILABLE
    }
}

/// Requests answered `SERVICE_BUSY` since the process started, for the log.
static BUSY_ANSWERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

#[derive(Debug)]
pub struct ApiError {
    pub code: &'static str,
    pub message: String,
    /// Why a token was refused (`TOKEN_EXPIRED`, `TOKEN_REVOKED`, `TOKEN_INVALID`).
    pub reason: Option<&'static str>,
}

impl ApiError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into(), reason: None }
    }

    pub fn bad_input(message: impl Into<String>) -> Self {
        ApiError::new(code::BAD_INPUT, message)
    }

    pub fn unauthenticated(reason: Option<&'static str>, message: impl Into<String>) -> Self {
        ApiError { code: code::UNAUTHENTICATED, message: message.into(), reason }
    }

    pub fn forbidden() -> Self {
        ApiError::new(code::FORBIDDEN, "您没有执行此操作的权限")
    }

    /// A database error: an outage (busy pool, server gone) tells the client to retry and is
    /// logged as a warning with a running count; anything else is a bug.
    pub fn database(cause: &sea_orm::DbErr) -> Self {
        match crate::db::outage(cause) {
            Some(crate::db::Outage::Busy) => {
                let total = BUSY_ANSWERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                tracing::warn!(busy_answers = total, error = %cause, "no database connection came free in time: answered SERVICE_BUSY");
                ApiError::new(code::SERVICE_BUSY, "系统繁忙，请稍后再试")
            }
            Some(crate::db::Outage::Down) => {
                tracing::error!(error = %cause, "the database is unreachable: answered SERVICE_UNAVAILABLE");
                ApiError::new(
                    code::SERVICE_UNAVAILABLE,
                    "数据库暂时无法连接，请稍后再试；如果问题持续，请联系市献血办",
                )
            }
            None => ApiError::internal(cause),
        }
    }

    /// Logs the cause and shows the client only that something went wrong on our side.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error while serving a request");
        ApiError::new(code::INTERNAL, "服务器内部错误，请稍后再试；如果问题持续，请联系市献血办")
    }
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::NotFound(message) => ApiError::new(code::NOT_FOUND, message),
            ServiceError::BadInput(message) => ApiError::new(code::BAD_INPUT, message),
            ServiceError::Forbidden => ApiError::forbidden(),
            ServiceError::Rejected { code, message } => ApiError::new(code, message),
            ServiceError::Database(cause) => ApiError::database(&cause),
            ServiceError::Internal(cause) => ApiError::internal(&cause),
        }
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        let (code, reason) = (err.code, err.reason);
        async_graphql::Error::new(err.message).extend_with(|_, ext| {
            ext.set("code", code);
            if let Some(reason) = reason {
                ext.set("reason", reason);
            }
        })
    }
}

impl From<ServiceError> for async_graphql::Error {
    fn from(err: ServiceError) -> Self {
        ApiError::from(err).into()
    }
}

/// What resolvers return.
pub type ApiResult<T> = async_graphql::Result<T>;
