//! The office's daily digest of liaison bookings, moves and withdrawals (issue 10, item 17):
//! on by default, on working days (Monday to Friday).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

use super::shared::insert_reminder_rules;
use super::shared::refs::ReminderRule;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        insert_reminder_rules(manager, &[("ACTIVITY", "1,2,3,4,5")]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let delete = Query::delete()
            .from_table(ReminderRule::Table)
            .and_where(Expr::col(ReminderRule::Kind).eq("ACTIVITY"))
            .to_owned();
        manager.exec_stmt(delete).await
    }
}
