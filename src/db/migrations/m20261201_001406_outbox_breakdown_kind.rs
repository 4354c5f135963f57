//! `outbox.kind` takes `BREAKDOWN` (issue 14 item 1): the reminder to a holder that has not
//! submitted its breakdown plan by the year's deadline. The check of m20261129_000302 is
//! dropped and added again with the new list, on every backend as it was made (a named
//! CHECK on PostgreSQL and MySQL, the pair of triggers on SQLite).
use sea_orm_migration::prelude::*;

use super::m20261129_000301_stored_code_checks::{add, drop};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The kinds before this migration, as m20261129_000302 allowed them.
pub(super) const BEFORE: &[&str] = &["TERM", "VISIT", "DIGEST", "ACTIVITY", "NOTICE"];
const KINDS: &[&str] = &["TERM", "VISIT", "DIGEST", "ACTIVITY", "NOTICE", "BREAKDOWN"];

async fn replace(manager: &SchemaManager<'_>, kinds: &[&str]) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    for sql in drop(backend, "outbox", "kind").into_iter().chain(add(backend, "outbox", "kind", kinds)) {
        manager.get_connection().execute_unprepared(&sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        replace(manager, KINDS).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        replace(manager, BEFORE).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::reminders::MessageKind;

    #[test]
    fn the_check_allows_exactly_the_message_kinds() {
        assert_eq!(KINDS, MessageKind::ALL.map(MessageKind::code));
        assert_eq!(&KINDS[..BEFORE.len()], BEFORE);
    }
}
