//! The office's per-holder choices: weekend visits and term reminders.
use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};
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

/// The names of the holders `ids`, by id; an id that names no holder is left out.
pub(crate) async fn names_of(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = UnitId>,
) -> Result<HashMap<UnitId, String>, DbErr> {
    let found = unit::Entity::find().filter(unit::Column::Id.is_in(ids)).all(db).await?;
    Ok(found.into_iter().map(|u| (UnitId(u.id), u.name)).collect())
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
    let current = super::find_or_not_found(&txn, unit::Entity, unit_id, super::noun::UNIT).await?;
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
