//! Plans, quota holders and their yearly quotas.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

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

#[derive(DeriveIden)]
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
        manager
            .create_table(
                Table::create()
                    .table(Unit::Table)
                    .col(pk_auto(Unit::Id))
                    .col(string_len_uniq(Unit::Name, 200))
                    .col(string_len(Unit::Kind, 32))
                    .col(timestamp_with_time_zone(Unit::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
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
                    .col(timestamp_with_time_zone(Plan::ImportedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PlanQuota::Table)
                    .col(pk_auto(PlanQuota::Id))
                    .col(integer(PlanQuota::PlanId))
                    .col(integer(PlanQuota::UnitId))
                    .col(string_len(PlanQuota::Section, 16))
                    .col(integer(PlanQuota::Seq))
                    .col(integer(PlanQuota::Quota).check(Expr::col(PlanQuota::Quota).gt(0)))
                    .col(string_len_null(PlanQuota::Site, 100))
                    .col(string_len_null(PlanQuota::Note, 200))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PlanQuota::Table, PlanQuota::PlanId)
                            .to(Plan::Table, Plan::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PlanQuota::Table, PlanQuota::UnitId)
                            .to(Unit::Table, Unit::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_plan_quota_plan_unit")
                    .table(PlanQuota::Table)
                    .col(PlanQuota::PlanId)
                    .col(PlanQuota::UnitId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_plan_quota_plan_section_seq")
                    .table(PlanQuota::Table)
                    .col(PlanQuota::PlanId)
                    .col(PlanQuota::Section)
                    .col(PlanQuota::Seq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_plan_quota_unit")
                    .table(PlanQuota::Table)
                    .col(PlanQuota::UnitId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PlanSection::Table)
                    .col(pk_auto(PlanSection::Id))
                    .col(integer(PlanSection::PlanId))
                    .col(string_len(PlanSection::Section, 16))
                    .col(big_integer(PlanSection::PrintedTotal))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PlanSection::Table, PlanSection::PlanId)
                            .to(Plan::Table, Plan::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_plan_section_plan_section")
                    .table(PlanSection::Table)
                    .col(PlanSection::PlanId)
                    .col(PlanSection::Section)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PlanWarning::Table)
                    .col(pk_auto(PlanWarning::Id))
                    .col(integer(PlanWarning::PlanId))
                    .col(string_len_null(PlanWarning::Section, 16))
                    .col(text(PlanWarning::Message))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PlanWarning::Table, PlanWarning::PlanId)
                            .to(Plan::Table, Plan::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PlanWarning::Table.into_iden(),
            PlanSection::Table.into_iden(),
            PlanQuota::Table.into_iden(),
            Plan::Table.into_iden(),
            Unit::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
