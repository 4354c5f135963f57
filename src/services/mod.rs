//! Use-cases. Each writing use-case runs in one transaction.
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, PrimaryKeyTrait};

/// Declares error codes as `pub const`s, each spelled as its own name
/// (`SLOT_TAKEN: &str = "SLOT_TAKEN"`), so a name and its code cannot drift apart.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $name:ident),+ $(,)?) => {
        $($(#[$doc])* pub const $name: &str = stringify!($name);)+
    };
}

pub mod accounts;
pub mod activity_import;
pub mod answers;
pub mod audit;
pub mod booking_limit;
pub mod breakdowns;
pub mod calendars;
pub mod clinical_use;
pub mod collections;
pub mod contacts;
pub mod exports;
pub mod fulfilment;
pub mod notices;
pub mod outbox;
pub mod plan_cache;
pub mod plan_copy;
pub mod plan_import;
pub mod plans;
pub mod population;
pub mod reminders;
pub mod schedule;
pub mod schedule_publish;
pub mod sub_units;
pub mod totals;
pub mod units;
pub mod vehicles;
pub mod visits;
pub mod year_on_year;

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

impl From<crate::domain::auth::AuthError> for ServiceError {
    fn from(_: crate::domain::auth::AuthError) -> Self {
        ServiceError::Forbidden
    }
}

impl ServiceError {
    pub fn rejected(code: &'static str, message: impl Into<String>) -> Self {
        ServiceError::Rejected { code, message: message.into() }
    }

    /// "没有编号为 {id} 的{what}": `what` names the kind of thing, e.g. 采血活动.
    pub fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        ServiceError::NotFound(format!("没有编号为 {id} 的{what}"))
    }
}

/// What each kind of object is called in a not-found message.
pub mod noun {
    pub const VISIT: &str = "采血活动";
    pub const UNIT: &str = "献血单位";
    pub const COLLECTION: &str = "采血记录";
    pub const VEHICLE: &str = "采血车";
    pub const BLACKOUT: &str = "停用记录";
    pub const USER: &str = "用户";
    pub const MESSAGE: &str = "邮件";
    pub const BREAKDOWN: &str = "分解计划";
}

/// The row of `entity` whose primary key is `id`, or NOT_FOUND naming it as `what` (a [`noun`]).
pub(crate) async fn find_or_not_found<E, K>(
    db: &impl ConnectionTrait,
    _entity: E,
    id: K,
    what: &str,
) -> Result<E::Model, ServiceError>
where
    E: EntityTrait,
    K: Into<<E::PrimaryKey as PrimaryKeyTrait>::ValueType> + std::fmt::Display + Copy,
{
    E::find_by_id(id).one(db).await?.ok_or_else(|| ServiceError::not_found(what, id))
}

/// One atomic upsert: inserts `row`, or where a row with the same `key` columns exists,
/// overwrites that row's `update` columns with `row`'s.
pub(crate) async fn upsert<A: ActiveModelTrait>(
    db: &impl ConnectionTrait,
    row: A,
    key: impl IntoIterator<Item = <A::Entity as EntityTrait>::Column>,
    update: impl IntoIterator<Item = <A::Entity as EntityTrait>::Column>,
) -> Result<(), DbErr> {
    A::Entity::insert(row)
        .on_conflict(OnConflict::columns(key).update_columns(update).to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// A free-text input trimmed; blank means none; more than `max` characters or a NUL byte is
/// refused (`domain::text`), so both backends answer alike.
pub(crate) fn clean(text: Option<String>, max: usize, what: &str) -> Result<Option<String>, ServiceError> {
    let text = text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    if let Some(t) = &text {
        crate::domain::text::check_text(t, max)
            .map_err(|why| ServiceError::BadInput(format!("{what}{why}")))?;
    }
    Ok(text)
}

/// Refuses a date outside the years the service deals in (`domain::text::check_date`)
/// before it reaches a query: PostgreSQL cannot store year −262143, SQLite can.
pub(crate) fn check_dates(dates: impl IntoIterator<Item = chrono::NaiveDate>) -> Result<(), ServiceError> {
    dates.into_iter().try_for_each(crate::domain::text::check_date).map_err(ServiceError::BadInput)
}

/// 32 random bytes from the operating system, hex-encoded: bearer tokens, calendar links.
pub(crate) fn random_token() -> String {
    use rand_core::RngCore;
    let mut bytes = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A page request as every list takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// Rows per multi-row INSERT: well under every backend's limit on bound parameters
/// (SQLite 32,766, PostgreSQL 65,535), and small enough that a statement fits one loopback
/// TCP segment: at 500 rows each PostgreSQL insert waited ~45 ms on a delayed ACK (a 45,000
/// holder import took 13 s; at 100 rows, 1.6 s — BENCHMARKS.md).
pub const INSERT_CHUNK: usize = 100;
