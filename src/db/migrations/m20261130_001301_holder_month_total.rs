//! Totals kept as they are written (issue 13 item 1): per holder, year and month, the
//! donations and volume collected (records not voided, latest revision) and the donors
//! booked (expected donors of requested and confirmed visits), keyed by the record's or the
//! visit's date. Every write that changes one of these rows' inputs adds its difference in
//! its own transaction (`services::totals`), so fulfilment sums a dozen rows per holder
//! instead of every record of the year.
//!
//! The primary key (year, unit_id, month) serves both the per-year GROUP BY unit_id of
//! fulfilment and the upsert. `ix_collection_date` serves the as-of day's own month, which
//! is summed from the records by date.
//!
//! An existing database gets its totals counted from its rows here.
use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::shared::refs::Unit;
use super::shared::{create_table, drop_index, index, month_totals, Columns, References};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum HolderMonthTotal {
    Table,
    Year,
    UnitId,
    Month,
    CollectedDonations,
    CollectedVolumeMl,
    BookedDonors,
}

#[derive(DeriveIden)]
enum Collection {
    Table,
    UnitId,
    Date,
    Year,
    Month,
    Donations,
    VolumeMl,
    VoidedAt,
}

#[derive(DeriveIden)]
enum Visit {
    Table,
    UnitId,
    Date,
    Status,
    ExpectedDonors,
}

fn sum_i64(col: impl IntoIden) -> Expr {
    Expr::col(col).sum().cast_as("BIGINT")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_table(
            manager,
            Table::create()
                .table(HolderMonthTotal::Table)
                .col(integer(HolderMonthTotal::Year))
                .col(integer(HolderMonthTotal::UnitId))
                .col(integer(HolderMonthTotal::Month))
                .cols(month_totals())
                .primary_key(
                    Index::create()
                        .col(HolderMonthTotal::Year)
                        .col(HolderMonthTotal::UnitId)
                        .col(HolderMonthTotal::Month),
                )
                .references(HolderMonthTotal::UnitId, Unit::Table, Unit::Id, None),
        )
        .await?;
        index(manager, "ix_collection_date", Collection::Table, [Collection::Date]).await?;
        backfill(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_index(manager, "ix_collection_date", Collection::Table).await?;
        manager.drop_table(Table::drop().table(HolderMonthTotal::Table).to_owned()).await
    }
}

/// (year, unit, month) → (donations, volume, booked), counted from the rows as they stand.
async fn backfill(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let backend = manager.get_database_backend();
    let mut totals: BTreeMap<(i32, i32, i32), [i64; 3]> = BTreeMap::new();
    let collected = Query::select()
        .columns([Collection::UnitId, Collection::Year, Collection::Month])
        .expr(sum_i64(Collection::Donations))
        .expr(sum_i64(Collection::VolumeMl))
        .from(Collection::Table)
        .and_where(Expr::col(Collection::VoidedAt).is_null())
        .group_by_columns([Collection::UnitId, Collection::Year, Collection::Month])
        .to_owned();
    for row in db.query_all_raw(backend.build(&collected)).await? {
        let (unit, year, month): (i32, i32, i32) =
            (row.try_get_by_index(0)?, row.try_get_by_index(1)?, row.try_get_by_index(2)?);
        let t = totals.entry((year, unit, month)).or_default();
        t[0] += row.try_get_by_index::<Option<i64>>(3)?.unwrap_or(0);
        t[1] += row.try_get_by_index::<Option<i64>>(4)?.unwrap_or(0);
    }
    // Grouped by day, not month: a date's month has no portable SQL spelling.
    let booked = Query::select()
        .columns([Visit::UnitId, Visit::Date])
        .expr(sum_i64(Visit::ExpectedDonors))
        .from(Visit::Table)
        .and_where(Expr::col(Visit::Status).is_in(["REQUESTED", "CONFIRMED"]))
        .group_by_columns([Visit::UnitId, Visit::Date])
        .to_owned();
    for row in db.query_all_raw(backend.build(&booked)).await? {
        let (unit, date): (i32, NaiveDate) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
        let t = totals.entry((date.year(), unit, date.month() as i32)).or_default();
        t[2] += row.try_get_by_index::<Option<i64>>(2)?.unwrap_or(0);
    }
    let rows: Vec<_> = totals.into_iter().collect();
    for chunk in rows.chunks(100) {
        let mut insert = Query::insert()
            .into_table(HolderMonthTotal::Table)
            .columns([
                HolderMonthTotal::Year,
                HolderMonthTotal::UnitId,
                HolderMonthTotal::Month,
                HolderMonthTotal::CollectedDonations,
                HolderMonthTotal::CollectedVolumeMl,
                HolderMonthTotal::BookedDonors,
            ])
            .to_owned();
        for ((year, unit, month), [d, v, b]) in chunk {
            insert.values_panic([
                (*year).into(),
                (*unit).into(),
                (*month).into(),
                (*d).into(),
                (*v).into(),
                (*b).into(),
            ]);
        }
        db.execute_raw(backend.build(&insert)).await?;
    }
    Ok(())
}
