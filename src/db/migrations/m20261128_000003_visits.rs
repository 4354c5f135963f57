//! Collection vehicles, their blackouts, and visits.
//!
//! A live visit holds one `visit_slot` row per half-day it occupies; the unique index on
//! (vehicle, date, half-day) is what makes double-booking impossible, whatever the number of
//! server processes.
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
enum Vehicle {
    Table,
    Id,
    Name,
    CapacityPerDay,
    HomeStation,
    Active,
    CalendarToken,
    CreatedAt,
}

#[derive(DeriveIden)]
enum VehicleBlackout {
    Table,
    Id,
    VehicleId,
    FromDate,
    ToDate,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Visit {
    Table,
    Id,
    UnitId,
    VehicleId,
    Date,
    Session,
    Status,
    ExpectedDonors,
    SiteContact,
    Note,
    CancelReason,
    ClientKey,
    RequestedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum VisitSlot {
    Table,
    Id,
    VisitId,
    VehicleId,
    Date,
    HalfDay,
}

#[derive(DeriveIden)]
enum UnitCalendar {
    Table,
    Id,
    UnitId,
    Token,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Vehicle::Table)
                    .col(pk_auto(Vehicle::Id))
                    .col(string_len_uniq(Vehicle::Name, 100))
                    .col(integer(Vehicle::CapacityPerDay).check(Expr::col(Vehicle::CapacityPerDay).gt(0)))
                    .col(string_len(Vehicle::HomeStation, 100))
                    .col(boolean(Vehicle::Active).default(true))
                    .col(string_len_uniq(Vehicle::CalendarToken, 64))
                    .col(timestamp_with_time_zone(Vehicle::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(VehicleBlackout::Table)
                    .col(pk_auto(VehicleBlackout::Id))
                    .col(integer(VehicleBlackout::VehicleId))
                    .col(date(VehicleBlackout::FromDate))
                    .col(date(VehicleBlackout::ToDate))
                    .col(string_len(VehicleBlackout::Reason, 200))
                    .col(timestamp_with_time_zone(VehicleBlackout::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(VehicleBlackout::Table, VehicleBlackout::VehicleId)
                            .to(Vehicle::Table, Vehicle::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Visit::Table)
                    .col(pk_auto(Visit::Id))
                    .col(integer(Visit::UnitId))
                    .col(integer(Visit::VehicleId))
                    .col(date(Visit::Date))
                    .col(string_len(Visit::Session, 16))
                    .col(string_len(Visit::Status, 16))
                    .col(integer(Visit::ExpectedDonors).check(Expr::col(Visit::ExpectedDonors).gt(0)))
                    .col(string_len_null(Visit::SiteContact, 200))
                    .col(string_len_null(Visit::Note, 500))
                    .col(string_len_null(Visit::CancelReason, 500))
                    .col(string_len_null(Visit::ClientKey, 100))
                    .col(integer_null(Visit::RequestedBy))
                    .col(timestamp_with_time_zone(Visit::CreatedAt))
                    .col(timestamp_with_time_zone(Visit::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create().from(Visit::Table, Visit::UnitId).to(Unit::Table, Unit::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Visit::Table, Visit::VehicleId)
                            .to(Vehicle::Table, Vehicle::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Visit::Table, Visit::RequestedBy)
                            .to(AppUser::Table, AppUser::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // A client key is unique per requester while its visit is live; cancelling clears it.
        manager
            .create_index(
                Index::create()
                    .name("ux_visit_requester_client_key")
                    .table(Visit::Table)
                    .col(Visit::RequestedBy)
                    .col(Visit::ClientKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        for (name, column) in [("ix_visit_unit", Visit::UnitId), ("ix_visit_date", Visit::Date)] {
            manager
                .create_index(Index::create().name(name).table(Visit::Table).col(column).to_owned())
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(VisitSlot::Table)
                    .col(pk_auto(VisitSlot::Id))
                    .col(integer(VisitSlot::VisitId))
                    .col(integer(VisitSlot::VehicleId))
                    .col(date(VisitSlot::Date))
                    .col(string_len(VisitSlot::HalfDay, 2))
                    .foreign_key(
                        ForeignKey::create()
                            .from(VisitSlot::Table, VisitSlot::VisitId)
                            .to(Visit::Table, Visit::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(VisitSlot::Table, VisitSlot::VehicleId)
                            .to(Vehicle::Table, Vehicle::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_visit_slot_vehicle_date_half")
                    .table(VisitSlot::Table)
                    .col(VisitSlot::VehicleId)
                    .col(VisitSlot::Date)
                    .col(VisitSlot::HalfDay)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_visit_slot_visit")
                    .table(VisitSlot::Table)
                    .col(VisitSlot::VisitId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UnitCalendar::Table)
                    .col(pk_auto(UnitCalendar::Id))
                    .col(integer_uniq(UnitCalendar::UnitId))
                    .col(string_len_uniq(UnitCalendar::Token, 64))
                    .foreign_key(
                        ForeignKey::create()
                            .from(UnitCalendar::Table, UnitCalendar::UnitId)
                            .to(Unit::Table, Unit::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            UnitCalendar::Table.into_iden(),
            VisitSlot::Table.into_iden(),
            Visit::Table.into_iden(),
            VehicleBlackout::Table.into_iden(),
            Vehicle::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
