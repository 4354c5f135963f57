//! Term calendars, reminder rules and the outbox of emails waiting to be sent.
//!
//! `term_calendar.unit_id` is 0 for the default of a year (no foreign key), because NULLs are
//! never equal in a unique index on any of our backends: with a sentinel the unique index on
//! (year, unit_id) keeps one default per year without a partial index.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::shared::{create_table, drop_tables, index, insert_reminder_rules, tables, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TermCalendar {
    Table,
    Id,
    Year,
    UnitId,
    SpringStart,
    SpringEnd,
    AutumnStart,
    AutumnEnd,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ReminderRule {
    Table,
    Id,
    Kind,
    Offsets,
    Enabled,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    DedupKey,
    Kind,
    Recipient,
    RecipientName,
    Subject,
    Text,
    Html,
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    ClaimedBy,
    ClaimedAt,
    SentAt,
    CreatedAt,
    RefVisitId,
    RefVisitDate,
    RefVisitSession,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_table(
            manager,
            Table::create()
                .table(TermCalendar::Table)
                .col(pk_auto(TermCalendar::Id))
                .col(integer(TermCalendar::Year))
                .col(integer(TermCalendar::UnitId).default(0))
                .col(date(TermCalendar::SpringStart))
                .col(date(TermCalendar::SpringEnd))
                .col(date(TermCalendar::AutumnStart))
                .col(date(TermCalendar::AutumnEnd))
                .col(timestamp_with_time_zone(TermCalendar::UpdatedAt)),
        )
        .await?;
        unique_index(
            manager,
            "ux_term_calendar_year_unit",
            TermCalendar::Table,
            [TermCalendar::Year, TermCalendar::UnitId],
        )
        .await?;

        create_table(
            manager,
            Table::create()
                .table(ReminderRule::Table)
                .col(pk_auto(ReminderRule::Id))
                .col(string_len_uniq(ReminderRule::Kind, 16))
                // Days before the event, comma-separated (e.g. "21,7"); for the digest the
                // ISO weekday it goes out on (1 = Monday).
                .col(string_len(ReminderRule::Offsets, 100))
                .col(boolean(ReminderRule::Enabled).default(true))
                .col(timestamp_with_time_zone(ReminderRule::UpdatedAt)),
        )
        .await?;
        // The defaults of issue 6, so a fresh installation reminds without any setup.
        insert_reminder_rules(manager, &[("TERM", "21,7"), ("VISIT", "3"), ("DIGEST", "1")]).await?;

        create_table(
            manager,
            Table::create()
                .table(Outbox::Table)
                .col(pk_auto(Outbox::Id))
                .col(string_len_uniq(Outbox::DedupKey, 200))
                .col(string_len(Outbox::Kind, 16))
                .col(string_len(Outbox::Recipient, 320))
                .col(string_len_null(Outbox::RecipientName, 100))
                .col(string_len(Outbox::Subject, 500))
                .col(text(Outbox::Text))
                .col(text(Outbox::Html))
                .col(string_len(Outbox::Status, 16))
                .col(integer(Outbox::Attempts).default(0))
                .col(timestamp_with_time_zone(Outbox::NextAttemptAt))
                .col(text_null(Outbox::LastError))
                .col(string_len_null(Outbox::ClaimedBy, 100))
                .col(timestamp_with_time_zone_null(Outbox::ClaimedAt))
                .col(timestamp_with_time_zone_null(Outbox::SentAt))
                .col(timestamp_with_time_zone(Outbox::CreatedAt))
                // No foreign key: the message outlives whatever happens to the visit.
                .col(integer_null(Outbox::RefVisitId))
                .col(date_null(Outbox::RefVisitDate))
                .col(string_len_null(Outbox::RefVisitSession, 16)),
        )
        .await?;
        index(manager, "ix_outbox_status_due", Outbox::Table, [Outbox::Status, Outbox::NextAttemptAt])
            .await?;
        index(manager, "ix_outbox_ref_visit", Outbox::Table, [Outbox::RefVisitId]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, tables![Outbox, ReminderRule, TermCalendar]).await
    }
}
