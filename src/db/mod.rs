//! The database: connection, entities and migrations.
use std::time::Duration;

use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

pub mod codes;
pub mod entities;
pub mod migrations;

/// The connection pool: how many connections at most, and how long a request waits for one
/// before it is answered `SERVICE_BUSY` instead of queueing without end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// `None`: 8 on SQLite (WAL lets readers share the file), 20 on a server database.
    pub max_connections: Option<u32>,
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings { max_connections: None, acquire_timeout: Duration::from_secs(5) }
    }
}

/// Opens a pool on `url` with the default pool settings.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, &PoolSettings::default()).await
}

/// Opens a pool on `url`. SQLite gets what a server database gives for free: foreign keys
/// enforced, WAL so readers never block the writer, and a busy timeout so that concurrent
/// writers queue instead of failing.
pub async fn connect_with(url: &str, pool: &PoolSettings) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options.sqlx_logging(false).acquire_timeout(pool.acquire_timeout);
    let sqlite = url.starts_with("sqlite:");
    if sqlite {
        options.map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .foreign_keys(true)
                .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(30))
        });
    }
    options.max_connections(pool.max_connections.unwrap_or(if sqlite { 8 } else { 20 }));
    Database::connect(options).await
}

/// Why the database could not serve a request when the request itself is not at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    /// No connection came free within the acquire timeout: every one is in use, or the
    /// server does not answer new connections in time.
    Busy,
    /// The server refused or dropped the connection (stopped, restarting, not accepting
    /// connections).
    Down,
}

/// The outage behind `err`, if it is one rather than a bug or a refused statement.
pub fn outage(err: &DbErr) -> Option<Outage> {
    use sea_orm::error::{ConnAcquireErr, RuntimeErr};
    use sea_orm::sqlx::Error as Sqlx;
    match err {
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout) => Some(Outage::Busy),
        DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed) | DbErr::Conn(_) => Some(Outage::Down),
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => match &**e {
            Sqlx::PoolTimedOut => Some(Outage::Busy),
            Sqlx::Io(_) | Sqlx::PoolClosed | Sqlx::WorkerCrashed | Sqlx::Protocol(_) => Some(Outage::Down),
            // The server ending the session: admin_shutdown, crash_shutdown, cannot_connect_now.
            Sqlx::Database(db) if db.code().is_some_and(|c| c.starts_with("57P")) => Some(Outage::Down),
            _ => None,
        },
        _ => None,
    }
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    migrations::Migrator::up(db, None).await
}

/// `CAST(SUM(column) AS BIGINT)`: PostgreSQL sums integers as NUMERIC and SQLite as
/// INTEGER; the cast makes both answer an `i64`.
pub fn sum_i64(column: impl sea_orm::IntoSimpleExpr) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::ExprTrait;
    column.into_simple_expr().sum().cast_as("BIGINT")
}

/// The ids of the first `limit` rows of each `key` among the rows of `E` that `filter`
/// matches, each key's rows taken in `order`: one list read for many parents (each vehicle's
/// visits, each visit's history) in one statement that still bounds every parent's list.
/// `ROW_NUMBER() OVER (PARTITION BY …)` is in SQLite (3.25), PostgreSQL and MySQL (8.0).
pub fn first_per_key<E: sea_orm::EntityTrait>(
    id: E::Column,
    key: E::Column,
    filter: sea_orm::Condition,
    order: &[(E::Column, sea_orm::Order)],
    limit: u64,
) -> sea_orm::sea_query::SelectStatement {
    use sea_orm::sea_query::{Alias, Expr, Func, Query, WindowStatement};
    use sea_orm::ExprTrait;
    let mut window = WindowStatement::partition_by(key);
    for (column, direction) in order {
        window.order_by(*column, direction.clone());
    }
    let ranked = Query::select()
        .column(id)
        .expr_window_as(Func::cust(Alias::new("ROW_NUMBER")), window, Alias::new("rank_in_key"))
        .from(E::default())
        .cond_where(filter)
        .to_owned();
    Query::select()
        .column(id)
        .from_subquery(ranked, Alias::new("ranked"))
        .and_where(Expr::col(Alias::new("rank_in_key")).lte(limit))
        .to_owned()
}

/// True when the error is a violated unique constraint; callers turn it into a precise code.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}

/// Begins a transaction that will write. On SQLite it takes the write lock up front
/// (`BEGIN IMMEDIATE`), so concurrent writers queue on the busy timeout instead of failing
/// when a read lock cannot be upgraded.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Refreshes the planner's statistics of `tables` after a bulk load has committed. The rows
/// are in by then and statistics only aid the planner, so a failure is logged, not returned.
///
/// PostgreSQL plans every statement from its statistics; right after a load they describe
/// the tables as they were (often empty), and autovacuum analyzes them only later, or never
/// on a server that runs without it. A fulfilment read then took a nested loop over 45,000
/// holders (23 ms) instead of a hash join (1.8 ms) — BENCHMARKS.md. MySQL and MariaDB
/// recompute theirs on their own; SQLite's planner works from its indexes without any.
pub async fn refresh_statistics(db: &impl sea_orm::ConnectionTrait, tables: &[&str]) {
    if db.get_database_backend() != sea_orm::DbBackend::Postgres || tables.is_empty() {
        return;
    }
    if let Err(e) = db.execute_unprepared(&format!("ANALYZE {}", tables.join(", "))).await {
        tracing::warn!(error = %e, ?tables, "could not refresh the statistics after a bulk load");
    }
}
