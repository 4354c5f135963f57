//! Sub-units in booking and fulfilment (issue 14 item 2).
//!
//! `sub_unit` gives each name of a holder's accepted breakdown a stable identity per
//! (holder, year, name): a newer accepted version that keeps a name keeps its sub-unit, so
//! the visits and collection records that name it keep pointing to it; a name the newer
//! version drops keeps its row (its records are shown, with no quota, never lost). Rows are
//! added when a version is accepted and never deleted; existing accepted versions get theirs
//! here.
//!
//! `visit.sub_unit_id` and `collection.sub_unit_id` (optional) name one. PostgreSQL and MySQL
//! get foreign keys for them; SQLite cannot add a key to an existing table, so there the
//! services are what keeps them right (they only ever write ids they read from `sub_unit`).
//!
//! `sub_unit_month_total` keeps the sub-units' figures per year and month exactly as
//! `holder_month_total` keeps the holders' (same writes, same transaction); it carries the
//! holder (`unit_id`) so that a holder's sub-units are read on one index.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::shared::refs::{Unit, Visit};
use super::shared::{
    accepted_breakdown_names, add_columns, create_table, drop_columns, drop_index, drop_tables, index,
    insert_sub_units, month_totals, tables, unique_index, Columns, References,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum SubUnit {
    Table,
    Id,
    UnitId,
    Year,
    Name,
}

#[derive(DeriveIden, Clone, Copy)]
enum SubUnitMonthTotal {
    Table,
    Year,
    SubUnitId,
    Month,
    UnitId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Collection {
    Table,
}

/// The column `visit` and `collection` both get.
#[derive(DeriveIden, Clone, Copy)]
enum Named {
    SubUnitId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_table(
            manager,
            Table::create()
                .table(SubUnit::Table)
                .col(pk_auto(SubUnit::Id))
                .col(integer(SubUnit::UnitId))
                .col(integer(SubUnit::Year))
                .col(string_len(SubUnit::Name, 100))
                .references(SubUnit::UnitId, Unit::Table, Unit::Id, None),
        )
        .await?;
        // One identity per name: an accepted version's names are inserted with
        // ON CONFLICT DO NOTHING, so a name already known keeps its id.
        unique_index(
            manager,
            "ux_sub_unit_unit_year_name",
            SubUnit::Table,
            [SubUnit::UnitId, SubUnit::Year, SubUnit::Name],
        )
        .await?;

        create_table(
            manager,
            Table::create()
                .table(SubUnitMonthTotal::Table)
                .col(integer(SubUnitMonthTotal::Year))
                .col(integer(SubUnitMonthTotal::SubUnitId))
                .col(integer(SubUnitMonthTotal::Month))
                .col(integer(SubUnitMonthTotal::UnitId))
                .cols(month_totals())
                .primary_key(
                    Index::create()
                        .col(SubUnitMonthTotal::Year)
                        .col(SubUnitMonthTotal::SubUnitId)
                        .col(SubUnitMonthTotal::Month),
                )
                .references(SubUnitMonthTotal::SubUnitId, SubUnit::Table, SubUnit::Id, None)
                .references(SubUnitMonthTotal::UnitId, Unit::Table, Unit::Id, None),
        )
        .await?;
        index(
            manager,
            "ix_sub_unit_month_total_unit",
            SubUnitMonthTotal::Table,
            [SubUnitMonthTotal::Year, SubUnitMonthTotal::UnitId],
        )
        .await?;

        add_columns(manager, Visit::Table, [integer_null(Named::SubUnitId)]).await?;
        add_columns(manager, Collection::Table, [integer_null(Named::SubUnitId)]).await?;
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Sqlite {
            for (name, table) in [
                ("fk_visit_sub_unit", Visit::Table.into_iden()),
                ("fk_collection_sub_unit", Collection::Table.into_iden()),
            ] {
                let key = ForeignKey::create()
                    .name(name)
                    .from_tbl(table)
                    .from_col(Named::SubUnitId)
                    .to(SubUnit::Table, SubUnit::Id)
                    .to_owned();
                manager.create_foreign_key(key).await?;
            }
        }
        index(manager, "ix_visit_sub_unit", Visit::Table, [Named::SubUnitId]).await?;
        index(manager, "ix_collection_sub_unit", Collection::Table, [Named::SubUnitId]).await?;
        // The names of every version accepted so far (at most one per holder and year).
        insert_sub_units(manager, accepted_breakdown_names()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_index(manager, "ix_visit_sub_unit", Visit::Table).await?;
        drop_index(manager, "ix_collection_sub_unit", Collection::Table).await?;
        // Dropping a column drops its foreign key with it.
        drop_columns(manager, Visit::Table, [Named::SubUnitId]).await?;
        drop_columns(manager, Collection::Table, [Named::SubUnitId]).await?;
        drop_tables(manager, tables![SubUnitMonthTotal, SubUnit]).await
    }
}
