//! The outbox: emails written in the transaction that decided to send them, and the worker
//! that hands them to the SMTP server.
//!
//! Claiming is atomic, so several `serve` processes never send one message twice: on
//! PostgreSQL the due rows are selected `FOR UPDATE SKIP LOCKED` (two workers take different
//! rows without waiting for each other); on SQLite the claim runs in a `BEGIN IMMEDIATE`
//! transaction, which holds the database's one write lock. A claimed message is sent
//! outside any transaction, so a slow SMTP server holds no lock and no API request waits.
//!
//! A worker claims one message at a time and sends it at once; one SMTP conversation is cut
//! off after `send_timeout` (2 minutes), well inside the claim's 5-minute lease. So a slow
//! SMTP server cannot make a live worker's lease run out, and another worker never takes a
//! message that is still being sent (claiming a batch did: 13 messages at 45 s each were
//! delivered 18 times by two workers).
//!
//! Delivery is at least once, not exactly once: if the process dies after the SMTP server
//! accepted a message but before it was marked SENT, the claim's lease runs out and the
//! message is sent again. SMTP offers no way to ask whether it already has a message, so
//! this one window stays; it is as short as one database write.
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set, TryInsertResult,
};
use serde_json::json;

use super::audit::Change;
use super::{Page, ServiceError};
use crate::clock::Clock;
use crate::db::entities::{outbox, visit};
use crate::domain::auth::{Actor, OFFICE};
use crate::domain::ids::VisitId;
use crate::domain::reminders::{backoff, MessageKind, OutboxStatus};
use crate::domain::visit::{Session, VisitStatus};
use crate::email::{Mailer, OutgoingEmail, RenderedEmail, SendError};

/// `REMINDER_*` settings of the worker.
#[derive(Debug, Clone)]
pub struct OutboxSettings {
    /// `REMINDER_MAX_ATTEMPTS` (default 5): attempts before a message that keeps failing
    /// transiently (server down, 4xx) is marked FAILED.
    pub max_attempts: i32,
    /// `REMINDER_PERMANENT_ATTEMPTS` (default 1): attempts before a message the server
    /// rejects outright (5xx, bad address) is marked FAILED.
    pub permanent_attempts: i32,
    /// `REMINDER_BACKOFF_SECONDS` (default 60): the first retry's wait; each next one doubles.
    pub backoff_base: TimeDelta,
    pub backoff_cap: TimeDelta,
    /// `REMINDER_POLL_SECONDS` (default 30): how often the worker in `serve` looks for work.
    pub poll_interval: std::time::Duration,
    /// A claim older than this is taken for a crashed worker's and released. Longer than
    /// `send_timeout`, and a worker claims one message at a time, so a live worker's claim
    /// never runs out while it is still sending: a slow SMTP server cannot make a second
    /// worker send the same message.
    pub lease: TimeDelta,
    /// The longest one SMTP conversation may take before it counts as a transient failure.
    pub send_timeout: std::time::Duration,
    /// Off in tests that drive [`run_once`] themselves.
    pub run_worker: bool,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        OutboxSettings {
            max_attempts: 5,
            permanent_attempts: 1,
            backoff_base: TimeDelta::seconds(60),
            backoff_cap: TimeDelta::hours(6),
            poll_interval: std::time::Duration::from_secs(30),
            lease: TimeDelta::minutes(5),
            send_timeout: std::time::Duration::from_secs(120),
            run_worker: true,
        }
    }
}

/// A message to enqueue.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub dedup_key: String,
    pub kind: MessageKind,
    pub recipient: String,
    pub recipient_name: Option<String>,
    pub email: RenderedEmail,
    /// For a visit reminder: (visit id, date, session) as the reminder announces them.
    pub visit: Option<(i32, NaiveDate, Session)>,
}

/// Inserts the message unless one with its key exists; true when it was inserted. Runs in
/// the caller's transaction, the one that made the decision.
pub async fn enqueue(txn: &DatabaseTransaction, clock: &Clock, m: &NewMessage) -> Result<bool, ServiceError> {
    let now = clock.now();
    let row = outbox::ActiveModel {
        dedup_key: Set(m.dedup_key.clone()),
        kind: Set(m.kind),
        recipient: Set(m.recipient.clone()),
        recipient_name: Set(m.recipient_name.clone()),
        subject: Set(m.email.subject.clone()),
        text: Set(m.email.text.clone()),
        html: Set(m.email.html.clone()),
        status: Set(OutboxStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
        claimed_by: Set(None),
        claimed_at: Set(None),
        sent_at: Set(None),
        created_at: Set(now),
        ref_visit_id: Set(m.visit.as_ref().map(|v| v.0)),
        ref_visit_date: Set(m.visit.as_ref().map(|v| v.1)),
        ref_visit_session: Set(m.visit.as_ref().map(|v| v.2)),
        ..Default::default()
    };
    let result = outbox::Entity::insert(row)
        .on_conflict(OnConflict::column(outbox::Column::DedupKey).do_nothing().to_owned())
        .try_insert()
        .exec_without_returning(txn)
        .await?;
    Ok(matches!(result, TryInsertResult::Inserted(n) if n > 0))
}

/// Withdraws a visit's reminders that have not gone out; called when it is cancelled or moved.
pub async fn cancel_for_visit(
    txn: &DatabaseTransaction,
    visit_id: VisitId,
    why: &str,
) -> Result<u64, ServiceError> {
    let result = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(OutboxStatus::Cancelled.code()))
        .col_expr(outbox::Column::LastError, Expr::value(why))
        .filter(outbox::Column::RefVisitId.eq(visit_id))
        .filter(outbox::Column::Status.eq(OutboxStatus::Pending.code()))
        .exec(txn)
        .await?;
    Ok(result.rows_affected)
}

/// Returns claims older than the lease to PENDING: their worker crashed or was killed.
pub async fn release_stale_claims(
    db: &DatabaseConnection,
    clock: &Clock,
    lease: TimeDelta,
) -> Result<u64, ServiceError> {
    let result = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(OutboxStatus::Pending.code()))
        .col_expr(outbox::Column::ClaimedBy, Expr::value(Option::<String>::None))
        .filter(outbox::Column::Status.eq(OutboxStatus::Sending.code()))
        .filter(outbox::Column::ClaimedAt.lt(clock.now() - lease))
        .exec(db)
        .await?;
    if result.rows_affected > 0 {
        tracing::warn!(
            count = result.rows_affected,
            "released outbox claims of a worker that did not finish"
        );
    }
    Ok(result.rows_affected)
}

/// Claims up to `batch` due messages for `worker`.
pub async fn claim(
    db: &DatabaseConnection,
    clock: &Clock,
    worker: &str,
    batch: u64,
) -> Result<Vec<outbox::Model>, ServiceError> {
    let now = clock.now();
    let txn = crate::db::begin_write(db).await?;
    let due = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .filter(outbox::Column::Status.eq(OutboxStatus::Pending.code()))
        .filter(outbox::Column::NextAttemptAt.lte(now))
        .order_by_asc(outbox::Column::Id)
        .limit(batch)
        // SQLite has no row locks: its BEGIN IMMEDIATE already excludes other writers.
        .apply_if((db.get_database_backend() != DbBackend::Sqlite).then_some(()), |q, _| {
            q.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        });
    let ids: Vec<i32> = due.into_tuple().all(&txn).await?;
    if ids.is_empty() {
        txn.commit().await?;
        return Ok(Vec::new());
    }
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(OutboxStatus::Sending.code()))
        .col_expr(outbox::Column::ClaimedBy, Expr::value(worker))
        .col_expr(outbox::Column::ClaimedAt, Expr::value(now))
        .filter(outbox::Column::Id.is_in(ids.clone()))
        .exec(&txn)
        .await?;
    let claimed = outbox::Entity::find()
        .filter(outbox::Column::Id.is_in(ids))
        .order_by_asc(outbox::Column::Id)
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(claimed)
}

/// Why a visit reminder must not go out any more, checked just before sending: cancelling
/// a visit also withdraws its reminders, but this check is what guarantees it.
async fn stale_visit_reminder(
    db: &DatabaseConnection,
    m: &outbox::Model,
) -> Result<Option<String>, ServiceError> {
    let Some(visit_id) = m.ref_visit_id else { return Ok(None) };
    let current = visit::Entity::find_by_id(visit_id).one(db).await?;
    Ok(match current {
        None => Some("采血活动已不存在".into()),
        Some(v) if v.status != VisitStatus::Confirmed => Some(format!("采血活动状态已变为 {}", v.status)),
        Some(v) if Some(v.date) != m.ref_visit_date || Some(v.session) != m.ref_visit_session => {
            Some("采血活动已改期".into())
        }
        Some(_) => None,
    })
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SendReport {
    pub sent: u32,
    pub retrying: u32,
    pub failed: u32,
    pub cancelled: u32,
}

/// Sends everything due now, batch by batch, and returns what happened. The loop in `serve`
/// and `bloodplan remind run-once` both call it; tests call it instead of waiting.
pub async fn run_once(
    db: &DatabaseConnection,
    clock: &Clock,
    mailer: &Mailer,
    settings: &OutboxSettings,
    worker: &str,
) -> Result<SendReport, ServiceError> {
    release_stale_claims(db, clock, settings.lease).await?;
    let mut report = SendReport::default();
    // One at a time: a claimed message is sent right away, within its lease.
    while let Some(message) = claim(db, clock, worker, 1).await?.pop() {
        deliver(db, clock, mailer, settings, worker, message, &mut report).await?;
    }
    Ok(report)
}

async fn deliver(
    db: &DatabaseConnection,
    clock: &Clock,
    mailer: &Mailer,
    settings: &OutboxSettings,
    worker: &str,
    m: outbox::Model,
    report: &mut SendReport,
) -> Result<(), ServiceError> {
    let mut row: outbox::ActiveModel = m.clone().into();
    row.claimed_by = Set(None);
    if let Some(why) = stale_visit_reminder(db, &m).await? {
        row.status = Set(OutboxStatus::Cancelled);
        row.last_error = Set(Some(why));
        report.cancelled += 1;
        return finish(db, worker, row).await;
    }
    let email = OutgoingEmail {
        to_name: m.recipient_name.clone(),
        to_address: m.recipient.clone(),
        subject: m.subject.clone(),
        text: m.text.clone(),
        html: m.html.clone(),
    };
    let attempts = m.attempts + 1;
    row.attempts = Set(attempts);
    // The mailer has its own per-command timeout; this bounds the whole conversation.
    let outcome = match tokio::time::timeout(settings.send_timeout, mailer.send(&email)).await {
        Ok(result) => result,
        Err(_) => Err(SendError::Transient(format!(
            "the SMTP conversation took over {} s",
            settings.send_timeout.as_secs()
        ))),
    };
    let now = clock.now();
    match outcome {
        Ok(()) => {
            row.status = Set(OutboxStatus::Sent);
            row.sent_at = Set(Some(now));
            row.last_error = Set(None);
            report.sent += 1;
        }
        Err(e) => {
            let limit = if e.is_transient() { settings.max_attempts } else { settings.permanent_attempts };
            row.last_error = Set(Some(e.to_string()));
            if attempts >= limit {
                tracing::warn!(id = m.id, attempts, error = %e, "outbox message failed for good");
                row.status = Set(OutboxStatus::Failed);
                report.failed += 1;
            } else {
                row.status = Set(OutboxStatus::Pending);
                row.next_attempt_at =
                    Set(now + backoff(attempts, settings.backoff_base, settings.backoff_cap));
                report.retrying += 1;
            }
        }
    }
    finish(db, worker, row).await
}

/// Writes the outcome only while the claim is still ours: after a lease ran out another
/// worker may own the message now.
async fn finish(db: &DatabaseConnection, worker: &str, row: outbox::ActiveModel) -> Result<(), ServiceError> {
    let id = row.id.clone().unwrap();
    let mut update = outbox::Entity::update_many().set(row).filter(outbox::Column::Id.eq(id));
    update = update
        .filter(outbox::Column::ClaimedBy.eq(worker))
        .filter(outbox::Column::Status.eq(OutboxStatus::Sending.code()));
    update.exec(db).await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct MessageView {
    pub id: i32,
    pub kind: MessageKind,
    pub recipient: String,
    pub recipient_name: Option<String>,
    pub subject: String,
    pub status: OutboxStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

fn view(m: outbox::Model) -> MessageView {
    MessageView {
        id: m.id,
        kind: m.kind,
        recipient: m.recipient,
        recipient_name: m.recipient_name,
        subject: m.subject,
        status: m.status,
        attempts: m.attempts,
        last_error: m.last_error,
        next_attempt_at: m.next_attempt_at,
        created_at: m.created_at,
        sent_at: m.sent_at,
    }
}

/// Newest first. The resolver lets only the office in.
pub async fn list(
    db: &DatabaseConnection,
    status: Option<OutboxStatus>,
    page: Page,
) -> Result<(u64, Vec<MessageView>), ServiceError> {
    let query = outbox::Entity::find().apply_if(status, |q, s| q.filter(outbox::Column::Status.eq(s.code())));
    let total = query.clone().count(db).await?;
    let rows = query.order_by_desc(outbox::Column::Id).offset(page.offset).limit(page.first).all(db).await?;
    Ok((total, rows.into_iter().map(view).collect()))
}

/// Puts a FAILED message back in the queue with a fresh count of attempts.
pub async fn resend(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    id: i32,
) -> Result<MessageView, ServiceError> {
    actor.require(OFFICE)?;
    let txn = crate::db::begin_write(db).await?;
    let found = super::find_or_not_found(&txn, outbox::Entity, id, super::noun::MESSAGE).await?;
    if found.status != OutboxStatus::Failed {
        return Err(ServiceError::rejected("NOT_FAILED", "只有发送失败的邮件才能重新发送"));
    }
    let mut row: outbox::ActiveModel = found.clone().into();
    row.status = Set(OutboxStatus::Pending);
    row.attempts = Set(0);
    row.next_attempt_at = Set(clock.now());
    let saved = row.update(&txn).await?;
    Change::new("outbox", id, "resend", actor)
        .before(json!({ "status": found.status.code(), "attempts": found.attempts, "lastError": found.last_error }))
        .after(json!({ "status": saved.status.code(), "attempts": saved.attempts }))
        .record(&txn, clock)
        .await?;
    txn.commit().await?;
    Ok(view(saved))
}
