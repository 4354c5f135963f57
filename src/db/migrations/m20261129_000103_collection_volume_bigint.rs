//! A collection's volume in a 64-bit column. SQLite's INTEGER is 64-bit already; PostgreSQL's
//! `integer` is not, and a volume computed in i64 must never be cut to fit it.
use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Collection {
    Table,
    VolumeMl,
}

/// Gives `collection.volume_ml` the type of `column`, not null; nothing to do on SQLite.
async fn set_volume_type(manager: &SchemaManager<'_>, column: &mut ColumnDef) -> Result<(), DbErr> {
    if manager.get_database_backend() == DbBackend::Sqlite {
        return Ok(());
    }
    manager
        .alter_table(Table::alter().table(Collection::Table).modify_column(column.not_null()).to_owned())
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_volume_type(manager, ColumnDef::new(Collection::VolumeMl).big_integer()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_volume_type(manager, ColumnDef::new(Collection::VolumeMl).integer()).await
    }
}
