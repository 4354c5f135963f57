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
use super::shared::{count, create_table, drop_tables, index, tables, unique_index, Columns, References};

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
    Donations,
    VolumeMl,
    Deferred,
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
    Deferred,
    Note,
    Reason,
    RecordedBy,
    RecordedAt,
}

/// The figures `collection` and `collection_revision` both have.
#[derive(DeriveIden, Clone, Copy)]
enum Figure {
    Bags200,
    Bags300,
    Bags400,
    TypeA,
    TypeB,
    TypeO,
    TypeAb,
    RhNegative,
}

/// The bags collected, by size.
fn bags() -> [ColumnDef; 3] {
    [Figure::Bags200, Figure::Bags300, Figure::Bags400].map(count)
}

/// The donors by blood group, and the Rh-negative ones: each optional.
fn blood_groups() -> [ColumnDef; 5] {
    [Figure::TypeA, Figure::TypeB, Figure::TypeO, Figure::TypeAb, Figure::RhNegative].map(integer_null)
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
                .cols(bags())
                .col(count(Collection::Donations))
                .col(count(Collection::VolumeMl))
                .col(count(Collection::Deferred))
                .cols(blood_groups())
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
                .cols(bags())
                .col(count(CollectionRevision::Deferred))
                .cols(blood_groups())
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
        drop_tables(manager, tables![CollectionRevision, Collection]).await
    }
}
