//! Breakdown plans (分解计划, issue 14): every version a holder submits of its year's quota
//! divided among its sub-units, and the office's decision on it.
//!
//! `breakdown` is one version; `(unit_id, year, version)` is unique, so two submissions made
//! at once cannot get the same number (the later one is refused and can be sent again).
//! Status changes are conditional updates (`… WHERE status = 'SUBMITTED'`), so the office
//! cannot accept a version that was returned or superseded a moment before. The rows of a
//! version are never changed: a change is a new version. Codes are checked by the database.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::m20261129_000301_stored_code_checks::UNIT_KINDS as KINDS;
use super::shared::refs::{AppUser, Unit};
use super::shared::{create_table, drop_tables, index, positive, tables, unique_index, References};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Breakdown {
    Table,
    Id,
    UnitId,
    Year,
    Version,
    Status,
    Quota,
    Total,
    Comment,
    SubmittedBy,
    SubmittedAt,
    DecidedBy,
    DecidedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum BreakdownRow {
    Table,
    Id,
    BreakdownId,
    Seq,
    Name,
    Kind,
    Quota,
}

const STATUSES: [&str; 4] = ["SUBMITTED", "ACCEPTED", "RETURNED", "SUPERSEDED"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_table(
            manager,
            Table::create()
                .table(Breakdown::Table)
                .col(pk_auto(Breakdown::Id))
                .col(integer(Breakdown::UnitId))
                .col(integer(Breakdown::Year))
                .col(positive(Breakdown::Version))
                .col(string_len(Breakdown::Status, 16).check(Expr::col(Breakdown::Status).is_in(STATUSES)))
                .col(big_integer(Breakdown::Quota))
                .col(big_integer(Breakdown::Total))
                .col(string_len_null(Breakdown::Comment, 500))
                .col(integer_null(Breakdown::SubmittedBy))
                .col(timestamp_with_time_zone(Breakdown::SubmittedAt))
                .col(integer_null(Breakdown::DecidedBy))
                .col(timestamp_with_time_zone_null(Breakdown::DecidedAt))
                .references(Breakdown::UnitId, Unit::Table, Unit::Id, None)
                .references(Breakdown::SubmittedBy, AppUser::Table, AppUser::Id, None)
                .references(Breakdown::DecidedBy, AppUser::Table, AppUser::Id, None),
        )
        .await?;
        unique_index(
            manager,
            "ux_breakdown_unit_year_version",
            Breakdown::Table,
            [Breakdown::UnitId, Breakdown::Year, Breakdown::Version],
        )
        .await?;
        index(manager, "ix_breakdown_year_status", Breakdown::Table, [Breakdown::Year, Breakdown::Status])
            .await?;

        create_table(
            manager,
            Table::create()
                .table(BreakdownRow::Table)
                .col(pk_auto(BreakdownRow::Id))
                .col(integer(BreakdownRow::BreakdownId))
                .col(integer(BreakdownRow::Seq))
                .col(string_len(BreakdownRow::Name, 100))
                .col(
                    string_len(BreakdownRow::Kind, 16)
                        .check(Expr::col(BreakdownRow::Kind).is_in(KINDS.iter().copied())),
                )
                .col(positive(BreakdownRow::Quota))
                .references(
                    BreakdownRow::BreakdownId,
                    Breakdown::Table,
                    Breakdown::Id,
                    ForeignKeyAction::Cascade,
                ),
        )
        .await?;
        unique_index(
            manager,
            "ux_breakdown_row_name",
            BreakdownRow::Table,
            [BreakdownRow::BreakdownId, BreakdownRow::Name],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, tables![BreakdownRow, Breakdown]).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::breakdown::BreakdownStatus;
    use crate::domain::UnitKind;

    #[test]
    fn the_checks_allow_exactly_todays_codes() {
        assert_eq!(STATUSES, BreakdownStatus::ALL.map(BreakdownStatus::code));
        assert_eq!(KINDS, UnitKind::ALL.map(UnitKind::code).as_slice());
    }
}
