//! Collections (采血记录): the current figures of each record, and every revision of it.
//!
//! `collection` holds the figures that count, one row per record, so that fulfilment is a
//! plain GROUP BY with no "latest revision" subquery. `collection_revision` keeps each
//! version ever recorded. Two unique indexes carry the rules that must survive concurrent
//! requests: a visit has at most one collection (`visit_id`; NULLs, the fixed-site records,
//! are distinct in SQLite, PostgreSQL and MySQL alike), and a record's revision numbers never
//! repeat (`collection_id, revision`), so two corrections made from the same revision cannot
//! both land. `year` and `month` are stored at write time to group by month portably.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::shared::refs::{AppUser, Unit, Visit};
use super::shared::{count, create_table, drop_tables, index, unique_index, References};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Collection {
    Table,
    Id,
    UnitId,
    VisitId,
    Site,
    Date,
    Year,
    Month,
    Bags200,
    Bags300,
    Bags400,
    Donations,
    VolumeMl,
    Deferred,
    TypeA,
    TypeB,
    TypeO,
    TypeAb,
    RhNegative,
    Note,
    Revision,
    RecordedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CollectionRevision {
    Table,
    Id,
    CollectionId,
    Revision,
    Site,
    Date,
    Bags200,
    Bags300,
    Bags400,
    Deferred,
    TypeA,
    TypeB,
    TypeO,
    TypeAb,
    RhNegative,
    Note,
    Reason,
    RecordedBy,
    RecordedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_table(
            manager,
            Table::create()
                .table(Collection::Table)
                .col(pk_auto(Collection::Id))
                .col(integer(Collection::UnitId))
                .col(integer_null(Collection::VisitId))
                .col(string_len(Collection::Site, 20))
                .col(date(Collection::Date))
                .col(integer(Collection::Year))
                .col(integer(Collection::Month))
                .col(count(Collection::Bags200))
                .col(count(Collection::Bags300))
                .col(count(Collection::Bags400))
                .col(count(Collection::Donations))
                .col(count(Collection::VolumeMl))
                .col(count(Collection::Deferred))
                .col(integer_null(Collection::TypeA))
                .col(integer_null(Collection::TypeB))
                .col(integer_null(Collection::TypeO))
                .col(integer_null(Collection::TypeAb))
                .col(integer_null(Collection::RhNegative))
                .col(string_len_null(Collection::Note, 500))
                .col(integer(Collection::Revision))
                .col(integer_null(Collection::RecordedBy))
                .col(timestamp_with_time_zone(Collection::CreatedAt))
                .col(timestamp_with_time_zone(Collection::UpdatedAt))
                .references(Collection::UnitId, Unit::Table, Unit::Id, None)
                .references(Collection::VisitId, Visit::Table, Visit::Id, None)
                .references(Collection::RecordedBy, AppUser::Table, AppUser::Id, None),
        )
        .await?;
        unique_index(manager, "ux_collection_visit", Collection::Table, [Collection::VisitId]).await?;
        index(manager, "ix_collection_year_unit", Collection::Table, [Collection::Year, Collection::UnitId])
            .await?;
        index(manager, "ix_collection_year_month", Collection::Table, [Collection::Year, Collection::Month])
            .await?;

        create_table(
            manager,
            Table::create()
                .table(CollectionRevision::Table)
                .col(pk_auto(CollectionRevision::Id))
                .col(integer(CollectionRevision::CollectionId))
                .col(integer(CollectionRevision::Revision))
                .col(string_len(CollectionRevision::Site, 20))
                .col(date(CollectionRevision::Date))
                .col(count(CollectionRevision::Bags200))
                .col(count(CollectionRevision::Bags300))
                .col(count(CollectionRevision::Bags400))
                .col(count(CollectionRevision::Deferred))
                .col(integer_null(CollectionRevision::TypeA))
                .col(integer_null(CollectionRevision::TypeB))
                .col(integer_null(CollectionRevision::TypeO))
                .col(integer_null(CollectionRevision::TypeAb))
                .col(integer_null(CollectionRevision::RhNegative))
                .col(string_len_null(CollectionRevision::Note, 500))
                .col(string_len_null(CollectionRevision::Reason, 500))
                .col(integer_null(CollectionRevision::RecordedBy))
                .col(timestamp_with_time_zone(CollectionRevision::RecordedAt))
                .references(CollectionRevision::CollectionId, Collection::Table, Collection::Id, None)
                .references(CollectionRevision::RecordedBy, AppUser::Table, AppUser::Id, None),
        )
        .await?;
        unique_index(
            manager,
            "ux_collection_revision_number",
            CollectionRevision::Table,
            [CollectionRevision::CollectionId, CollectionRevision::Revision],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, [CollectionRevision::Table.into_iden(), Collection::Table.into_iden()]).await
    }
}
