//! Term calendars, reminder rules and the outbox of emails waiting to be sent.
//!
//! `term_calendar.unit_id` is 0 for the default of a year (no foreign key), because NULLs are
//! never equal in a unique index on any of our backends: with a sentinel the unique index on
//! (year, unit_id) keeps one default per year without a partial index.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

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
        manager
            .create_table(
                Table::create()
                    .table(TermCalendar::Table)
                    .col(pk_auto(TermCalendar::Id))
                    .col(integer(TermCalendar::Year))
                    .col(integer(TermCalendar::UnitId).default(0))
                    .col(date(TermCalendar::SpringStart))
                    .col(date(TermCalendar::SpringEnd))
                    .col(date(TermCalendar::AutumnStart))
                    .col(date(TermCalendar::AutumnEnd))
                    .col(timestamp_with_time_zone(TermCalendar::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_term_calendar_year_unit")
                    .table(TermCalendar::Table)
                    .col(TermCalendar::Year)
                    .col(TermCalendar::UnitId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReminderRule::Table)
                    .col(pk_auto(ReminderRule::Id))
                    .col(string_len_uniq(ReminderRule::Kind, 16))
                    // Days before the event, comma-separated (e.g. "21,7"); for the digest the
                    // ISO weekday it goes out on (1 = Monday).
                    .col(string_len(ReminderRule::Offsets, 100))
                    .col(boolean(ReminderRule::Enabled).default(true))
                    .col(timestamp_with_time_zone(ReminderRule::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // The defaults of issue 6, so a fresh installation reminds without any setup.
        let epoch = chrono::DateTime::<chrono::Utc>::from_timestamp(0, 0).unwrap_or_default();
        let mut insert = Query::insert()
            .into_table(ReminderRule::Table)
            .columns([
                ReminderRule::Kind,
                ReminderRule::Offsets,
                ReminderRule::Enabled,
                ReminderRule::UpdatedAt,
            ])
            .to_owned();
        for (kind, offsets) in [("TERM", "21,7"), ("VISIT", "3"), ("DIGEST", "1")] {
            insert.values_panic([kind.into(), offsets.into(), true.into(), epoch.into()]);
        }
        manager.exec_stmt(insert).await?;

        manager
            .create_table(
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
                    .col(string_len_null(Outbox::RefVisitSession, 16))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("ix_outbox_status_due", vec![Outbox::Status, Outbox::NextAttemptAt]),
            ("ix_outbox_ref_visit", vec![Outbox::RefVisitId]),
        ] {
            let mut index = Index::create().name(name).table(Outbox::Table).to_owned();
            for c in cols {
                index.col(c);
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in
            [Outbox::Table.into_iden(), ReminderRule::Table.into_iden(), TermCalendar::Table.into_iden()]
        {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
