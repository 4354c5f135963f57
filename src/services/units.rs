//! The office's per-holder choices: weekend visits and term reminders.
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};
use serde_json::json;

use super::audit::{self, Change, Performer};
use super::plans::{self, UnitView};
use super::ServiceError;
use crate::clock::Clock;
use crate::db::entities::unit;
use crate::domain::auth::{Actor, OFFICE};
use crate::domain::ids::UnitId;

#[derive(Debug, Clone, Copy, Default)]
pub struct BookingOptions {
    /// Its liaisons may book weekends (not holidays).
    pub accepts_weekend_visits: Option<bool>,
    /// It gets the term reminders.
    pub term_bound: Option<bool>,
}

/// Sets a holder's booking options (office only); what is left out stays as it is.
pub async fn set_booking_options(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    unit_id: UnitId,
    options: BookingOptions,
) -> Result<UnitView, ServiceError> {
    actor.require(OFFICE)?;
    let txn = crate::db::begin_write(db).await?;
    let current = unit::Entity::find_by_id(unit_id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("没有编号为 {unit_id} 的献血单位")))?;
    let as_json = |u: &unit::Model| json!({ "acceptsWeekendVisits": u.accepts_weekend_visits, "termBound": u.term_bound });
    let mut changed: unit::ActiveModel = current.clone().into();
    if let Some(weekends) = options.accepts_weekend_visits {
        changed.accepts_weekend_visits = Set(weekends);
    }
    if let Some(term_bound) = options.term_bound {
        changed.term_bound = Set(term_bound);
    }
    let changed = changed.update(&txn).await?;
    audit::record(
        &txn,
        clock,
        Change {
            entity: "unit",
            entity_id: Some(unit_id.to_string()),
            action: "set_booking_options",
            before: Some(as_json(&current)),
            after: Some(as_json(&changed)),
            by: Performer::User(actor),
        },
    )
    .await?;
    let view = plans::unit_by_id(&txn, unit_id).await?;
    txn.commit().await?;
    Ok(view)
}
