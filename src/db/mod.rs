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

/// Opens a pool on `url`. SQLite gets what a server database gives for free: foreign keys
/// enforced, WAL so readers never block the writer, and a busy timeout so that concurrent
/// writers queue instead of failing.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options.sqlx_logging(false).acquire_timeout(Duration::from_secs(30));
    if url.starts_with("sqlite:") {
        options.map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .foreign_keys(true)
                .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(30))
        });
        // sea-orm opens one SQLite connection unless told otherwise; WAL lets readers share.
        options.max_connections(8);
    } else {
        options.max_connections(20);
    }
    Database::connect(options).await
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
