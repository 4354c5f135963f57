//! `outbox.kind` holds a `MessageKind` code (issue 9 item 2): the same check as the other
//! stored codes of migration m20261129_000301, for the column that became an enum after it.
use sea_orm_migration::prelude::*;

use super::m20261129_000301_stored_code_checks::{add, drop};
use super::shared::execute_all;

#[derive(DeriveMigrationName)]
pub struct Migration;

const KINDS: &[&str] = &["TERM", "VISIT", "DIGEST", "ACTIVITY", "NOTICE"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_all(manager, add(manager.get_database_backend(), "outbox", "kind", KINDS)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_all(manager, drop(manager.get_database_backend(), "outbox", "kind")).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::reminders::MessageKind;

    #[test]
    fn the_check_allows_exactly_the_message_kinds() {
        assert_eq!(KINDS, MessageKind::ALL.map(MessageKind::code));
    }
}
