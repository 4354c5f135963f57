//! The office's deadline for the breakdown plans of a year (issue 14 item 1): one row per
//! year. Holders asked for a breakdown that have no submitted or accepted version once the
//! day has passed get one reminder, and the office's weekly digest lists them.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::shared::refs::AppUser;
use super::shared::{create_table, drop_tables, tables, References};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum BreakdownDeadline {
    Table,
    Year,
    DueOn,
    SetBy,
    SetAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_table(
            manager,
            Table::create()
                .table(BreakdownDeadline::Table)
                .col(integer(BreakdownDeadline::Year).primary_key())
                .col(date(BreakdownDeadline::DueOn))
                .col(integer_null(BreakdownDeadline::SetBy))
                .col(timestamp_with_time_zone(BreakdownDeadline::SetAt))
                .references(BreakdownDeadline::SetBy, AppUser::Table, AppUser::Id, None),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, tables![BreakdownDeadline]).await
    }
}
