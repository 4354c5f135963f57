//! Two choices the office makes per holder: whether its liaisons may book weekend visits
//! (shopping malls and enterprises hold drives on weekends), and whether it gets the term
//! reminders (universities by default; a vocational school may too).
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::shared::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Unit {
    Table,
    Kind,
    AcceptsWeekendVisits,
    TermBound,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns =
            [Unit::AcceptsWeekendVisits, Unit::TermBound].map(|c| boolean(c).default(false).to_owned());
        add_columns(manager, Unit::Table, columns).await?;
        let universities = Query::update()
            .table(Unit::Table)
            .value(Unit::TermBound, true)
            .and_where(Expr::col(Unit::Kind).eq("university"))
            .to_owned();
        manager.exec_stmt(universities).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(manager, Unit::Table, [Unit::AcceptsWeekendVisits, Unit::TermBound]).await
    }
}
