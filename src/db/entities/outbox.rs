use sea_orm::entity::prelude::*;

use crate::domain::reminders::{MessageKind, OutboxStatus};
use crate::domain::visit::Session;

/// One email to one recipient, written in the transaction that decided to send it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// (holder, term or visit, rule, offset): a second scheduler run inserts nothing.
    #[sea_orm(unique)]
    pub dedup_key: String,
    pub kind: MessageKind,
    pub recipient: String,
    pub recipient_name: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub status: OutboxStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub last_error: Option<String>,
    pub claimed_by: Option<String>,
    pub claimed_at: Option<DateTimeUtc>,
    pub sent_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// For a visit reminder: the visit, and the date and session the reminder announces.
    pub ref_visit_id: Option<i32>,
    pub ref_visit_date: Option<Date>,
    pub ref_visit_session: Option<Session>,
}

relations!();
