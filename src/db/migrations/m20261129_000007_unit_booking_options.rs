//! Two choices the office makes per holder: whether its liaisons may book weekend visits
//! (shopping malls and enterprises hold drives on weekends), and whether it gets the term
//! reminders (universities by default; a vocational school may too).
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

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
        // One column per ALTER: SQLite takes one change per statement.
        for column in [Unit::AcceptsWeekendVisits, Unit::TermBound] {
            manager
                .alter_table(
                    Table::alter().table(Unit::Table).add_column(boolean(column).default(false)).to_owned(),
                )
                .await?;
        }
        let universities = Query::update()
            .table(Unit::Table)
            .value(Unit::TermBound, true)
            .and_where(Expr::col(Unit::Kind).eq("university"))
            .to_owned();
        manager.exec_stmt(universities).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Unit::AcceptsWeekendVisits, Unit::TermBound] {
            manager.alter_table(Table::alter().table(Unit::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
