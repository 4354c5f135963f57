//! Gives every holder its calendar feed token now, so that reading `Unit.calendarUrl` never
//! writes: holders created from here on get theirs in the transaction that creates them.
use sea_orm::ConnectionTrait;
use sea_orm_migration::prelude::*;

use super::shared::refs::Unit;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UnitCalendar {
    Table,
    UnitId,
    Token,
}

/// 32 random bytes from the operating system, hex-encoded, as the service makes them.
fn random_token() -> String {
    use rand_core::RngCore;
    let mut bytes = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let without = Query::select()
            .column((Unit::Table, Unit::Id))
            .from(Unit::Table)
            .and_where(Expr::col((Unit::Table, Unit::Id)).not_in_subquery(
                Query::select().column(UnitCalendar::UnitId).from(UnitCalendar::Table).to_owned(),
            ))
            .to_owned();
        let rows = db.query_all_raw(backend.build(&without)).await?;
        for row in rows {
            let id: i32 = row.try_get_by_index(0)?;
            let insert = Query::insert()
                .into_table(UnitCalendar::Table)
                .columns([UnitCalendar::UnitId, UnitCalendar::Token])
                .values_panic([id.into(), random_token().into()])
                .to_owned();
            db.execute_raw(backend.build(&insert)).await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // Tokens made here stay: they are indistinguishable from ones made later.
        Ok(())
    }
}
