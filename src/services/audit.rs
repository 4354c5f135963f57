//! The audit trail: every write appends one record in the same transaction as the write.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
};
use serde_json::Value;

use super::{Page, ServiceError};
use crate::clock::Clock;
use crate::db::entities::audit_log;
use crate::domain::auth::Actor;

/// Who made a write: a signed-in user, or the command line / the service itself.
#[derive(Debug, Clone, Copy)]
pub enum Performer<'a> {
    User(&'a Actor),
    System(&'static str),
}

impl<'a> From<&'a Actor> for Performer<'a> {
    fn from(actor: &'a Actor) -> Self {
        Performer::User(actor)
    }
}

/// One write to record.
pub struct Change<'a> {
    pub entity: &'static str,
    pub entity_id: Option<String>,
    pub action: &'static str,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub by: Performer<'a>,
}

impl<'a> Change<'a> {
    /// A change of `entity` number `entity_id`; add its states with `before` and `after`.
    pub fn new(
        entity: &'static str,
        entity_id: impl ToString,
        action: &'static str,
        by: impl Into<Performer<'a>>,
    ) -> Self {
        Change {
            entity,
            entity_id: Some(entity_id.to_string()),
            action,
            before: None,
            after: None,
            by: by.into(),
        }
    }

    pub fn before(mut self, state: impl Into<Option<Value>>) -> Self {
        self.before = state.into();
        self
    }

    pub fn after(mut self, state: impl Into<Option<Value>>) -> Self {
        self.after = state.into();
        self
    }

    /// Appends the record, in the caller's transaction.
    pub async fn record(self, db: &impl ConnectionTrait, clock: &Clock) -> Result<(), sea_orm::DbErr> {
        record(db, clock, self).await
    }
}

pub async fn record(
    db: &impl ConnectionTrait,
    clock: &Clock,
    change: Change<'_>,
) -> Result<(), sea_orm::DbErr> {
    let (user_id, actor) = match change.by {
        Performer::User(a) => (Some(a.user_id.0), a.username.clone()),
        Performer::System(name) => (None, name.to_owned()),
    };
    audit_log::ActiveModel {
        at: Set(clock.now()),
        actor_user_id: Set(user_id),
        actor: Set(actor),
        entity: Set(change.entity.to_owned()),
        entity_id: Set(change.entity_id),
        action: Set(change.action.to_owned()),
        before: Set(change.before.map(|v| v.to_string())),
        after: Set(change.after.map(|v| v.to_string())),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub user_id: Option<i32>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<i32>,
    pub actor: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub action: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Newest first. Only the office reads the trail; the resolver checks that.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &AuditFilter,
    page: Page,
) -> Result<(u64, Vec<AuditEntry>), ServiceError> {
    let query = audit_log::Entity::find()
        .apply_if(filter.entity.clone(), |q, e| q.filter(audit_log::Column::Entity.eq(e)))
        .apply_if(filter.entity_id.clone(), |q, e| q.filter(audit_log::Column::EntityId.eq(e)))
        .apply_if(filter.user_id, |q, u| q.filter(audit_log::Column::ActorUserId.eq(u)))
        .apply_if(filter.from, |q, t| q.filter(audit_log::Column::At.gte(t)))
        .apply_if(filter.to, |q, t| q.filter(audit_log::Column::At.lt(t)));
    let total = query.clone().count(db).await?;
    let rows =
        query.order_by_desc(audit_log::Column::Id).offset(page.offset).limit(page.first).all(db).await?;
    Ok((total, rows.into_iter().map(entry).collect()))
}

fn entry(r: audit_log::Model) -> AuditEntry {
    let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    AuditEntry {
        id: r.id,
        at: r.at,
        actor_user_id: r.actor_user_id,
        actor: r.actor,
        entity: r.entity,
        entity_id: r.entity_id,
        action: r.action,
        before: parse(r.before),
        after: parse(r.after),
    }
}

/// How many of its latest records an object's history shows.
pub const HISTORY_ROWS: u64 = 500;

/// The history of each object `ids` of `entity` (e.g. every visit of a page): its latest
/// [`HISTORY_ROWS`] records, oldest first, all read in one query. Objects without a record
/// are left out. Only the office reads the trail; the resolver checks that.
pub async fn histories(
    db: &impl ConnectionTrait,
    entity: &str,
    ids: &[String],
) -> Result<HashMap<String, Vec<AuditEntry>>, ServiceError> {
    let of_these = Condition::all()
        .add(audit_log::Column::Entity.eq(entity))
        .add(audit_log::Column::EntityId.is_in(ids.iter().cloned()));
    let latest = crate::db::first_per_key::<audit_log::Entity>(
        audit_log::Column::Id,
        audit_log::Column::EntityId,
        of_these,
        &[(audit_log::Column::Id, Order::Desc)],
        HISTORY_ROWS,
    );
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::Id.in_subquery(latest))
        .order_by_asc(audit_log::Column::Id)
        .all(db)
        .await?;
    let mut histories: HashMap<String, Vec<AuditEntry>> = HashMap::new();
    for row in rows {
        let Some(id) = row.entity_id.clone() else { continue };
        histories.entry(id).or_default().push(entry(row));
    }
    Ok(histories)
}
