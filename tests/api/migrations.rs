//! The migrations go down as well as up: all the way down leaves only the migrations' own
//! table, and up again gives back every table, index, constraint and trigger.
use bloodplan::db::migrations::Migrator;
use bloodplan::db::PoolSettings;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use sea_orm_migration::MigratorTrait;

use crate::helpers::fresh_database;

/// The names of the schema's objects, each with its kind, sorted.
async fn objects(db: &DatabaseConnection, postgres: bool) -> Vec<String> {
    let sql = if postgres {
        "SELECT 'table ' || tablename FROM pg_tables WHERE schemaname = 'public' \
         UNION ALL SELECT 'index ' || indexname FROM pg_indexes WHERE schemaname = 'public' \
         UNION ALL SELECT 'constraint ' || conname FROM pg_constraint \
           WHERE connamespace = 'public'::regnamespace"
    } else {
        "SELECT type || ' ' || name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
    };
    let rows = db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await;
    let mut names: Vec<String> =
        rows.expect("list schema objects").iter().map(|r| r.try_get_by_index(0).expect("name")).collect();
    names.sort();
    names
}

#[tokio::test]
async fn every_migration_goes_down_and_up_again_to_the_same_schema() {
    let database = fresh_database().await;
    let postgres = database.is_postgres();
    // One connection: on SQLite, a pooled connection that did not run the DROP INDEX may still
    // believe the index exists when "up again" creates it.
    let pool = PoolSettings { max_connections: Some(1), ..PoolSettings::default() };
    let db = bloodplan::db::connect_with(&database.url, &pool).await.expect("connect");
    Migrator::up(&db, None).await.expect("up");
    let migrated = objects(&db, postgres).await;
    assert!(migrated.contains(&"index ux_visit_slot_vehicle_date_half".to_owned()), "{migrated:?}");

    Migrator::down(&db, None).await.expect("down");
    let left: Vec<String> = objects(&db, postgres).await;
    let expected: &[&str] = if postgres {
        &["constraint seaql_migrations_pkey", "index seaql_migrations_pkey", "table seaql_migrations"]
    } else {
        &["table seaql_migrations"]
    };
    assert_eq!(left, expected);

    Migrator::up(&db, None).await.expect("up again");
    assert_eq!(objects(&db, postgres).await, migrated);
    db.close().await.ok();
}
