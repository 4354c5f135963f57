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

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Unit {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Visit {
    Table,
    Id,
}

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

fn count(col: impl IntoIden + Clone + 'static) -> ColumnDef {
    integer(col.clone()).check(Expr::col(col).gte(0)).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
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
                    .foreign_key(
                        ForeignKey::create()
                            .from(Collection::Table, Collection::UnitId)
                            .to(Unit::Table, Unit::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Collection::Table, Collection::VisitId)
                            .to(Visit::Table, Visit::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Collection::Table, Collection::RecordedBy)
                            .to(AppUser::Table, AppUser::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_collection_visit")
                    .table(Collection::Table)
                    .col(Collection::VisitId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_collection_year_unit")
                    .table(Collection::Table)
                    .col(Collection::Year)
                    .col(Collection::UnitId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_collection_year_month")
                    .table(Collection::Table)
                    .col(Collection::Year)
                    .col(Collection::Month)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
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
                    .foreign_key(
                        ForeignKey::create()
                            .from(CollectionRevision::Table, CollectionRevision::CollectionId)
                            .to(Collection::Table, Collection::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CollectionRevision::Table, CollectionRevision::RecordedBy)
                            .to(AppUser::Table, AppUser::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_collection_revision_number")
                    .table(CollectionRevision::Table)
                    .col(CollectionRevision::CollectionId)
                    .col(CollectionRevision::Revision)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(CollectionRevision::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Collection::Table).to_owned()).await
    }
}
