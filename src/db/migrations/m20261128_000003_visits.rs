//! Collection vehicles, their blackouts, and visits.
//!
//! A live visit holds one `visit_slot` row per half-day it occupies; the unique index on
//! (vehicle, date, half-day) is what makes double-booking impossible, whatever the number of
//! server processes.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use ForeignKeyAction::Cascade;

use super::shared::refs::{AppUser, Unit};
use super::shared::{create_table, drop_tables, index, positive, tables, unique_index, References};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
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

#[derive(DeriveIden, Clone, Copy)]
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
        create_table(
            manager,
            Table::create()
                .table(Vehicle::Table)
                .col(pk_auto(Vehicle::Id))
                .col(string_len_uniq(Vehicle::Name, 100))
                .col(positive(Vehicle::CapacityPerDay))
                .col(string_len(Vehicle::HomeStation, 100))
                .col(boolean(Vehicle::Active).default(true))
                .col(string_len_uniq(Vehicle::CalendarToken, 64))
                .col(timestamp_with_time_zone(Vehicle::CreatedAt)),
        )
        .await?;
        create_table(
            manager,
            Table::create()
                .table(VehicleBlackout::Table)
                .col(pk_auto(VehicleBlackout::Id))
                .col(integer(VehicleBlackout::VehicleId))
                .col(date(VehicleBlackout::FromDate))
                .col(date(VehicleBlackout::ToDate))
                .col(string_len(VehicleBlackout::Reason, 200))
                .col(timestamp_with_time_zone(VehicleBlackout::CreatedAt))
                .references(VehicleBlackout::VehicleId, Vehicle::Table, Vehicle::Id, Cascade),
        )
        .await?;
        create_table(
            manager,
            Table::create()
                .table(Visit::Table)
                .col(pk_auto(Visit::Id))
                .col(integer(Visit::UnitId))
                .col(integer(Visit::VehicleId))
                .col(date(Visit::Date))
                .col(string_len(Visit::Session, 16))
                .col(string_len(Visit::Status, 16))
                .col(positive(Visit::ExpectedDonors))
                .col(string_len_null(Visit::SiteContact, 200))
                .col(string_len_null(Visit::Note, 500))
                .col(string_len_null(Visit::CancelReason, 500))
                .col(string_len_null(Visit::ClientKey, 100))
                .col(integer_null(Visit::RequestedBy))
                .col(timestamp_with_time_zone(Visit::CreatedAt))
                .col(timestamp_with_time_zone(Visit::UpdatedAt))
                .references(Visit::UnitId, Unit::Table, Unit::Id, None)
                .references(Visit::VehicleId, Vehicle::Table, Vehicle::Id, None)
                .references(Visit::RequestedBy, AppUser::Table, AppUser::Id, None),
        )
        .await?;
        // A client key is unique per requester while its visit is live; cancelling clears it.
        unique_index(
            manager,
            "ux_visit_requester_client_key",
            Visit::Table,
            [Visit::RequestedBy, Visit::ClientKey],
        )
        .await?;
        index(manager, "ix_visit_unit", Visit::Table, [Visit::UnitId]).await?;
        index(manager, "ix_visit_date", Visit::Table, [Visit::Date]).await?;

        create_table(
            manager,
            Table::create()
                .table(VisitSlot::Table)
                .col(pk_auto(VisitSlot::Id))
                .col(integer(VisitSlot::VisitId))
                .col(integer(VisitSlot::VehicleId))
                .col(date(VisitSlot::Date))
                .col(string_len(VisitSlot::HalfDay, 2))
                .references(VisitSlot::VisitId, Visit::Table, Visit::Id, Cascade)
                .references(VisitSlot::VehicleId, Vehicle::Table, Vehicle::Id, None),
        )
        .await?;
        unique_index(
            manager,
            "ux_visit_slot_vehicle_date_half",
            VisitSlot::Table,
            [VisitSlot::VehicleId, VisitSlot::Date, VisitSlot::HalfDay],
        )
        .await?;
        index(manager, "ix_visit_slot_visit", VisitSlot::Table, [VisitSlot::VisitId]).await?;

        create_table(
            manager,
            Table::create()
                .table(UnitCalendar::Table)
                .col(pk_auto(UnitCalendar::Id))
                .col(integer_uniq(UnitCalendar::UnitId))
                .col(string_len_uniq(UnitCalendar::Token, 64))
                .references(UnitCalendar::UnitId, Unit::Table, Unit::Id, Cascade),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, tables![UnitCalendar, VisitSlot, Visit, VehicleBlackout, Vehicle]).await
    }
}
