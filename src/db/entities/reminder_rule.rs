use sea_orm::entity::prelude::*;

use crate::domain::reminders::ReminderKind;

/// When reminders of one kind go out; the office edits it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reminder_rule")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// `ReminderKind::code()`
    #[sea_orm(unique)]
    pub kind: ReminderKind,
    /// Comma-separated days before the event; for the digest, the ISO weekday.
    pub offsets: String,
    pub enabled: bool,
    pub updated_at: DateTimeUtc,
}

relations!();
