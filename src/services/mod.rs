//! Use-cases. Each writing use-case runs in one transaction.
use sea_orm::DbErr;

pub mod accounts;
pub mod audit;
pub mod calendars;
pub mod collections;
pub mod contacts;
pub mod exports;
pub mod fulfilment;
pub mod outbox;
pub mod plan_import;
pub mod plans;
pub mod reminders;
pub mod units;
pub mod vehicles;
pub mod visits;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadInput(String),
    /// The caller may not do this. Says nothing about the object, so ids cannot be probed.
    #[error("forbidden")]
    Forbidden,
    /// A rule said no, with the rule's own code (e.g. `USERNAME_TAKEN`, `SLOT_TAKEN`).
    #[error("{code}: {message}")]
    Rejected { code: &'static str, message: String },
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    pub fn rejected(code: &'static str, message: impl Into<String>) -> Self {
        ServiceError::Rejected { code, message: message.into() }
    }
}

/// 32 random bytes from the operating system, hex-encoded: bearer tokens, calendar links.
pub(crate) fn random_token() -> String {
    use rand_core::RngCore;
    let mut bytes = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A page request as every list takes it.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub first: u64,
    pub offset: u64,
}

impl Page {
    pub const MAX_FIRST: u64 = 500;

    pub fn new(first: i64, offset: i64) -> Result<Page, ServiceError> {
        if !(1..=Self::MAX_FIRST as i64).contains(&first) {
            return Err(ServiceError::BadInput(format!("first 必须在 1 到 {} 之间", Self::MAX_FIRST)));
        }
        if offset < 0 {
            return Err(ServiceError::BadInput("offset 不能为负数".into()));
        }
        Ok(Page { first: first as u64, offset: offset as u64 })
    }
}
