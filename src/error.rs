//! The error a client sees: a stable `extensions.code` and a message a person can act on.
//!
//! async-graphql is built with `custom-error-conversion`, so `?` cannot turn an arbitrary
//! `Display` error (a database or I/O error) into a client message: every error a resolver
//! returns goes through [`ApiError`], which logs internal causes and shows a generic message.
use async_graphql::ErrorExtensions;

use crate::services::ServiceError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    BadInput,
    NotFound,
    Unauthenticated,
    Forbidden,
    Conflict,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadInput => "BAD_INPUT",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::Internal => "INTERNAL",
        }
    }
}

#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into() }
    }

    pub fn bad_input(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::BadInput, message)
    }

    /// Logs the cause and shows the client only that something went wrong on our side.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error while serving a request");
        ApiError::new(ErrorCode::Internal, "服务器内部错误, 请稍后再试; 如果问题持续, 请联系市献血办")
    }
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::NotFound(message) => ApiError::new(ErrorCode::NotFound, message),
            ServiceError::BadInput(message) => ApiError::new(ErrorCode::BadInput, message),
            ServiceError::Database(cause) => ApiError::internal(&cause),
        }
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        let code = err.code.as_str();
        async_graphql::Error::new(err.message).extend_with(|_, ext| ext.set("code", code))
    }
}

impl From<ServiceError> for async_graphql::Error {
    fn from(err: ServiceError) -> Self {
        ApiError::from(err).into()
    }
}

/// What resolvers return.
pub type ApiResult<T> = async_graphql::Result<T>;
