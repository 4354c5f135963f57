//! The database refuses a stored code that is not one (issue 9 item 2): every column that
//! holds a domain enum accepts exactly that enum's codes, as they were on the day this
//! migration landed (a later variant needs a later migration that widens the check).
//!
//! PostgreSQL and MySQL (8.0.16+) get a named CHECK constraint, `ck_<table>_<column>`.
//! SQLite cannot add a constraint to an existing table, and rebuilding eleven tables that
//! others point to by foreign key (with `foreign_keys` off, which cannot be switched inside
//! the migration's transaction) risks more than it gives; so SQLite gets the same rule as a
//! pair of triggers, `ck_<table>_<column>_insert` and `_update`, that abort the statement
//! with "CHECK constraint failed: ck_<table>_<column>". A NULL passes, as it passes a CHECK.
use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

use super::shared::{drop_check, execute_all, NamedCheck};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The holder kinds as they were on the day this migration landed (`breakdown_row.kind`
/// takes the same list).
pub(super) const UNIT_KINDS: &[&str] = &[
    "university",
    "school",
    "hospital",
    "government",
    "military",
    "bank",
    "insurer",
    "enterprise",
    "hotel",
    "retail",
    "other",
];
const SECTIONS: &[&str] = &["COUNTY", "CITY_UNIT", "ENTERPRISE"];
const SESSIONS: &[&str] = &["MORNING", "AFTERNOON", "FULL_DAY"];
const SITES: &[&str] = &["AT_UNIT", "CENTRAL_STATION", "DONATION_HOUSE"];

/// (table, column, codes) of every column that stores a domain enum.
pub(crate) const CODE_COLUMNS: &[(&str, &str, &[&str])] = &[
    ("unit", "kind", UNIT_KINDS),
    ("app_user", "role", &["OFFICE", "LIAISON", "STATION"]),
    ("plan_quota", "section", SECTIONS),
    ("plan_section", "section", SECTIONS),
    ("plan_warning", "section", SECTIONS),
    ("visit", "session", SESSIONS),
    ("visit", "status", &["REQUESTED", "CONFIRMED", "COMPLETED", "CANCELLED", "NO_SHOW"]),
    ("visit_slot", "half_day", &["AM", "PM"]),
    ("collection", "site", SITES),
    ("collection_revision", "site", SITES),
    ("reminder_rule", "kind", &["TERM", "VISIT", "DIGEST", "ACTIVITY"]),
    ("outbox", "status", &["PENDING", "SENDING", "SENT", "FAILED", "CANCELLED"]),
    ("outbox", "ref_visit_session", SESSIONS),
];

fn listed(codes: &[&str]) -> String {
    codes.iter().map(|c| format!("'{c}'")).collect::<Vec<_>>().join(", ")
}

pub(super) fn add(backend: DbBackend, table: &str, column: &str, codes: &[&str]) -> Vec<String> {
    let allowed = listed(codes);
    NamedCheck {
        table,
        name: &format!("ck_{table}_{column}"),
        check: &format!("{column} IN ({allowed})"),
        update_of: column,
        violated: &format!("NEW.{column} IS NOT NULL AND NEW.{column} NOT IN ({allowed})"),
    }
    .add(backend)
}

pub(super) fn drop(backend: DbBackend, table: &str, column: &str) -> Vec<String> {
    drop_check(backend, table, &format!("ck_{table}_{column}"))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        for (table, column, codes) in CODE_COLUMNS {
            execute_all(manager, add(backend, table, column, codes)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        for (table, column, _) in CODE_COLUMNS {
            execute_all(manager, drop(backend, table, column)).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::auth::Role;
    use crate::domain::collection::CollectionSite;
    use crate::domain::reminders::{OutboxStatus, ReminderKind};
    use crate::domain::visit::{HalfDay, Session, VisitStatus};
    use crate::domain::{Section, UnitKind};

    fn codes(table: &str, column: &str) -> Vec<&'static str> {
        let found = CODE_COLUMNS.iter().find(|(t, c, _)| *t == table && *c == column);
        found.unwrap_or_else(|| panic!("{table}.{column} has no check")).2.to_vec()
    }

    /// Today's enums and this migration's lists agree. When a variant is added, this fails:
    /// widen the check in a new migration and point this test at it.
    #[test]
    fn the_checks_allow_exactly_the_codes_of_todays_enums() {
        assert_eq!(codes("unit", "kind"), UnitKind::ALL.map(UnitKind::code));
        assert_eq!(codes("app_user", "role"), Role::ALL.map(Role::code));
        for table in ["plan_quota", "plan_section", "plan_warning"] {
            assert_eq!(codes(table, "section"), Section::ALL.map(Section::code));
        }
        assert_eq!(codes("visit", "session"), Session::ALL.map(Session::code));
        assert_eq!(codes("outbox", "ref_visit_session"), Session::ALL.map(Session::code));
        assert_eq!(codes("visit", "status"), VisitStatus::ALL.map(VisitStatus::code));
        assert_eq!(codes("visit_slot", "half_day"), HalfDay::ALL.map(HalfDay::code));
        for table in ["collection", "collection_revision"] {
            assert_eq!(codes(table, "site"), CollectionSite::ALL.map(CollectionSite::code));
        }
        assert_eq!(codes("reminder_rule", "kind"), ReminderKind::ALL.map(ReminderKind::code));
        let statuses = [
            OutboxStatus::Pending,
            OutboxStatus::Sending,
            OutboxStatus::Sent,
            OutboxStatus::Failed,
            OutboxStatus::Cancelled,
        ];
        assert_eq!(codes("outbox", "status"), statuses.map(OutboxStatus::code));
        assert_eq!(CODE_COLUMNS.len(), 13, "every column that stores a domain enum, once");
    }

    #[test]
    fn sqlite_gets_a_trigger_per_write_and_the_others_a_named_check() {
        let sqlite = add(DbBackend::Sqlite, "visit_slot", "half_day", &["AM", "PM"]);
        assert_eq!(sqlite.len(), 2);
        assert!(sqlite[1].starts_with(
            "CREATE TRIGGER ck_visit_slot_half_day_update BEFORE UPDATE OF half_day ON visit_slot"
        ));
        assert!(sqlite[1].contains("NOT IN ('AM', 'PM')"));
        let postgres = add(DbBackend::Postgres, "visit_slot", "half_day", &["AM", "PM"]);
        assert_eq!(
            postgres,
            ["ALTER TABLE visit_slot ADD CONSTRAINT ck_visit_slot_half_day CHECK (half_day IN ('AM', 'PM'))"]
        );
    }
}
