//! The office's daily digest of liaison bookings, moves and withdrawals (issue 10, item 17):
//! on by default, on working days (Monday to Friday).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReminderRule {
    Table,
    Kind,
    Offsets,
    Enabled,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let epoch = chrono::DateTime::<chrono::Utc>::from_timestamp(0, 0).unwrap_or_default();
        let insert = Query::insert()
            .into_table(ReminderRule::Table)
            .columns([
                ReminderRule::Kind,
                ReminderRule::Offsets,
                ReminderRule::Enabled,
                ReminderRule::UpdatedAt,
            ])
            .values_panic(["ACTIVITY".into(), "1,2,3,4,5".into(), true.into(), epoch.into()])
            .to_owned();
        manager.exec_stmt(insert).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let delete = Query::delete()
            .from_table(ReminderRule::Table)
            .and_where(Expr::col(ReminderRule::Kind).eq("ACTIVITY"))
            .to_owned();
        manager.exec_stmt(delete).await
    }
}
