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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            return Ok(());
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Collection::Table)
                    .modify_column(ColumnDef::new(Collection::VolumeMl).big_integer().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            return Ok(());
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Collection::Table)
                    .modify_column(ColumnDef::new(Collection::VolumeMl).integer().not_null())
                    .to_owned(),
            )
            .await
    }
}
