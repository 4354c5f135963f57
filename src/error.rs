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
                if first_in_request(code::SERVICE_BUSY) {
                    tracing::warn!(busy_answers = total, error = %cause, "no database connection came free in time: answered SERVICE_BUSY");
                }
                ApiError::new(code::SERVICE_BUSY, "系统繁忙，请稍后再试")
            }
            Some(crate::db::Outage::Down) => {
                if first_in_request(code::SERVICE_UNAVAILABLE) {
                    tracing::error!(error = %cause, "the database is unreachable: answered SERVICE_UNAVAILABLE");
                }
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
        if first_in_request(code::INTERNAL) {
            tracing::error!(error = %cause, "internal error while serving a request");
        }
        ApiError::new(code::INTERNAL, "服务器内部错误，请稍后再试；如果问题持续，请联系市献血办")
    }
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::NotFound(message) => ApiError::new(code::NOT_FOUND, message),
            ServiceError::BadInput(message) => ApiError::new(code::BAD_INPUT, message),
            ServiceError::Rejected { code, message } => ApiError::new(code, message),
            other => ApiError::from(&other),
        }
    }
}

/// One error shared by many rows (a DataLoader's failed batch): each row answers it, and it
/// is logged once for the request like any error every row meets.
impl From<&ServiceError> for ApiError {
    fn from(err: &ServiceError) -> Self {
        match err {
            ServiceError::NotFound(message) => ApiError::new(code::NOT_FOUND, message.clone()),
            ServiceError::BadInput(message) => ApiError::new(code::BAD_INPUT, message.clone()),
            ServiceError::Forbidden => ApiError::forbidden(),
            ServiceError::Rejected { code, message } => ApiError::new(code, message.clone()),
            ServiceError::Database(cause) => ApiError::database(cause),
            ServiceError::Internal(cause) => ApiError::internal(cause),
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

tokio::task_local! {
    /// How often each logged error code arose in the request being served.
    static SEEN: std::cell::RefCell<std::collections::BTreeMap<&'static str, u64>>;
}

/// True the first time `code` arises in the request being served (always, outside one).
fn first_in_request(code: &'static str) -> bool {
    SEEN.try_with(|seen| {
        let mut seen = seen.borrow_mut();
        let count = seen.entry(code).or_insert(0);
        *count += 1;
        *count == 1
    })
    .unwrap_or(true)
}

/// Serves one request with its errors logged once each: a failure that every row of a list
/// meets (500 rows, one broken lookup) writes its line once, then one line that counts the
/// repeats, instead of a line per row.
pub async fn logged_once_per_request<F: std::future::Future>(operation: &str, work: F) -> F::Output {
    SEEN.scope(Default::default(), async {
        let answer = work.await;
        SEEN.with(|seen| {
            for (code, count) in seen.borrow().iter().filter(|(_, n)| **n > 1) {
                let repeats = count - 1;
                tracing::warn!(
                    operation,
                    code,
                    repeats,
                    "the same error recurred in this request; logged once above"
                );
            }
        });
        answer
    })
    .await
}

/// What resolvers return.
pub type ApiResult<T> = async_graphql::Result<T>;

/// Seconds a client should wait after a 503 before it tries again.
pub const RETRY_AFTER_SECONDS: &str = "5";

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

/// The one mapping from an error to an HTTP answer, for everything outside a GraphQL
/// response's 200 (`/exports`, the `.ics` feeds, `/graphql` requests refused before they
/// run): the status follows the code, the body is GraphQL's error shape.
impl poem::error::ResponseError for ApiError {
    fn status(&self) -> poem::http::StatusCode {
        use poem::http::StatusCode;
        match self.code {
            code::UNAUTHENTICATED => StatusCode::UNAUTHORIZED,
            code::FORBIDDEN => StatusCode::FORBIDDEN,
            code::NOT_FOUND => StatusCode::NOT_FOUND,
            code::INTERNAL => StatusCode::INTERNAL_SERVER_ERROR,
            c if code::is_outage(c) => StatusCode::SERVICE_UNAVAILABLE,
            "REQUEST_TIMEOUT" => StatusCode::SERVICE_UNAVAILABLE,
            "METHOD_NOT_ALLOWED" => StatusCode::METHOD_NOT_ALLOWED,
            "NOT_ACCEPTABLE" => StatusCode::NOT_ACCEPTABLE,
            "PAYLOAD_TOO_LARGE" => StatusCode::PAYLOAD_TOO_LARGE,
            "UNSUPPORTED_MEDIA_TYPE" => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn as_response(&self) -> poem::Response {
        use poem::http::{header, StatusCode};
        let mut extensions = serde_json::json!({ "code": self.code });
        if let Some(reason) = self.reason {
            extensions["reason"] = reason.into();
        }
        let body = serde_json::json!({ "errors": [{ "message": self.message, "extensions": extensions }] });
        let status = poem::error::ResponseError::status(self);
        let answer = poem::Response::builder().status(status).content_type("application/json; charset=utf-8");
        let answer = match status {
            StatusCode::UNAUTHORIZED => answer.header(header::WWW_AUTHENTICATE, "Bearer"),
            StatusCode::SERVICE_UNAVAILABLE => answer.header(header::RETRY_AFTER, RETRY_AFTER_SECONDS),
            StatusCode::METHOD_NOT_ALLOWED => answer.header(header::ALLOW, "POST"),
            _ => answer,
        };
        answer.body(body.to_string())
    }
}

impl poem::IntoResponse for ApiError {
    fn into_response(self) -> poem::Response {
        poem::error::ResponseError::as_response(&self)
    }
}
