//! Plans, quota holders and their yearly quotas.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use ForeignKeyAction::{Cascade, Restrict};

use super::shared::{create_table, drop_tables, index, positive, tables, unique_index, References};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Unit {
    Table,
    Id,
    Name,
    Kind,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Plan {
    Table,
    Id,
    Year,
    DocumentNumber,
    Title,
    IssuedOn,
    DonationTarget,
    VolumeTargetMl,
    DonationRatePerThousand,
    ImportedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PlanQuota {
    Table,
    Id,
    PlanId,
    UnitId,
    Section,
    Seq,
    Quota,
    Site,
    Note,
}

#[derive(DeriveIden)]
enum PlanSection {
    Table,
    Id,
    PlanId,
    Section,
    PrintedTotal,
}

#[derive(DeriveIden)]
enum PlanWarning {
    Table,
    Id,
    PlanId,
    Section,
    Message,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_table(
            manager,
            Table::create()
                .table(Unit::Table)
                .col(pk_auto(Unit::Id))
                .col(string_len_uniq(Unit::Name, 200))
                .col(string_len(Unit::Kind, 32))
                .col(timestamp_with_time_zone(Unit::CreatedAt)),
        )
        .await?;
        create_table(
            manager,
            Table::create()
                .table(Plan::Table)
                .col(pk_auto(Plan::Id))
                .col(integer_uniq(Plan::Year))
                .col(string_len_null(Plan::DocumentNumber, 200))
                .col(string_len_null(Plan::Title, 200))
                .col(date_null(Plan::IssuedOn))
                .col(big_integer_null(Plan::DonationTarget))
                .col(big_integer_null(Plan::VolumeTargetMl))
                .col(big_integer_null(Plan::DonationRatePerThousand))
                .col(timestamp_with_time_zone(Plan::ImportedAt)),
        )
        .await?;
        create_table(
            manager,
            Table::create()
                .table(PlanQuota::Table)
                .col(pk_auto(PlanQuota::Id))
                .col(integer(PlanQuota::PlanId))
                .col(integer(PlanQuota::UnitId))
                .col(string_len(PlanQuota::Section, 16))
                .col(integer(PlanQuota::Seq))
                .col(positive(PlanQuota::Quota))
                .col(string_len_null(PlanQuota::Site, 100))
                .col(string_len_null(PlanQuota::Note, 200))
                .references(PlanQuota::PlanId, Plan::Table, Plan::Id, Cascade)
                .references(PlanQuota::UnitId, Unit::Table, Unit::Id, Restrict),
        )
        .await?;
        unique_index(
            manager,
            "ux_plan_quota_plan_unit",
            PlanQuota::Table,
            [PlanQuota::PlanId, PlanQuota::UnitId],
        )
        .await?;
        unique_index(
            manager,
            "ux_plan_quota_plan_section_seq",
            PlanQuota::Table,
            [PlanQuota::PlanId, PlanQuota::Section, PlanQuota::Seq],
        )
        .await?;
        index(manager, "ix_plan_quota_unit", PlanQuota::Table, [PlanQuota::UnitId]).await?;

        create_table(
            manager,
            Table::create()
                .table(PlanSection::Table)
                .col(pk_auto(PlanSection::Id))
                .col(integer(PlanSection::PlanId))
                .col(string_len(PlanSection::Section, 16))
                .col(big_integer(PlanSection::PrintedTotal))
                .references(PlanSection::PlanId, Plan::Table, Plan::Id, Cascade),
        )
        .await?;
        unique_index(
            manager,
            "ux_plan_section_plan_section",
            PlanSection::Table,
            [PlanSection::PlanId, PlanSection::Section],
        )
        .await?;

        create_table(
            manager,
            Table::create()
                .table(PlanWarning::Table)
                .col(pk_auto(PlanWarning::Id))
                .col(integer(PlanWarning::PlanId))
                .col(string_len_null(PlanWarning::Section, 16))
                .col(text(PlanWarning::Message))
                .references(PlanWarning::PlanId, Plan::Table, Plan::Id, Cascade),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, tables![PlanWarning, PlanSection, PlanQuota, Plan, Unit]).await
    }
}
