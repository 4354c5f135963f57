//! iCalendar feeds of visits, one per vehicle and one per holder, behind unguessable tokens
//! so phone calendars can subscribe without logging in.
use std::collections::HashMap;

use chrono::TimeDelta;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, Set,
};

use super::audit::{self, Change, Performer};
use super::visits::{self, VisitFilter, VisitView};
use super::{Page, ServiceError};
use crate::clock::Clock;
use crate::db::entities::{unit, unit_calendar, vehicle};
use crate::domain::auth::{Actor, Role, STAFF};
use crate::domain::ics::{self, CalendarEvent};
use crate::domain::ids::{UnitId, UserId, VehicleId};
use crate::domain::visit::VisitStatus;

/// The token of a holder's feed, for its liaisons, the office and the station. Made when
/// the holder is created (and backfilled by a migration): reading it never writes.
pub async fn unit_calendar_token(
    db: &DatabaseConnection,
    actor: &Actor,
    unit_id: UnitId,
) -> Result<String, ServiceError> {
    actor.may_read_holder(unit_id)?;
    let row = unit_calendar::Entity::find()
        .filter(unit_calendar::Column::UnitId.eq(unit_id))
        .one(db)
        .await?
        .ok_or_else(|| no_unit_calendar(unit_id))?;
    Ok(row.token)
}

/// The feed tokens of the holders `unit_ids`, in one query however many; refused unless the
/// caller may read every one of them (a list checks each row first, as
/// [`unit_calendar_token`] does).
pub async fn unit_calendar_tokens(
    db: &DatabaseConnection,
    actor: &Actor,
    unit_ids: &[UnitId],
) -> Result<HashMap<UnitId, String>, ServiceError> {
    for unit_id in unit_ids {
        actor.may_read_holder(*unit_id)?;
    }
    let rows = unit_calendar::Entity::find()
        .filter(unit_calendar::Column::UnitId.is_in(unit_ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (UnitId(r.unit_id), r.token)).collect())
}

/// What a holder without a feed token answers (none should be: a migration backfilled them).
pub fn no_unit_calendar(unit_id: UnitId) -> ServiceError {
    ServiceError::NotFound(format!("没有编号为 {unit_id} 的献血单位的日历"))
}

/// Gives a new holder its feed token, in the transaction that creates it.
pub async fn create_unit_calendar(txn: &impl ConnectionTrait, unit_id: UnitId) -> Result<(), sea_orm::DbErr> {
    create_unit_calendars(txn, &[unit_id]).await
}

/// Feed tokens for many new holders (a plan import), a few hundred rows per statement.
pub async fn create_unit_calendars(
    txn: &impl ConnectionTrait,
    unit_ids: &[UnitId],
) -> Result<(), sea_orm::DbErr> {
    for chunk in unit_ids.chunks(super::INSERT_CHUNK) {
        let rows = chunk.iter().map(|&unit_id| unit_calendar::ActiveModel {
            unit_id: Set(unit_id.0),
            token: Set(super::random_token()),
            ..Default::default()
        });
        unit_calendar::Entity::insert_many(rows).exec(txn).await?;
    }
    Ok(())
}

/// Replaces a holder's feed token: the old link stops working at once (a liaison who left,
/// a link that leaked). Its liaisons and the office may.
pub async fn rotate_unit_calendar(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    unit_id: UnitId,
) -> Result<String, ServiceError> {
    actor.may_manage_holder(unit_id)?;
    let txn = crate::db::begin_write(db).await?;
    let row = unit_calendar::Entity::find()
        .filter(unit_calendar::Column::UnitId.eq(unit_id))
        .one(&txn)
        .await?
        .ok_or_else(|| no_unit_calendar(unit_id))?;
    let mut changed: unit_calendar::ActiveModel = row.into();
    let token = super::random_token();
    changed.token = Set(token.clone());
    changed.update(&txn).await?;
    record_rotation(&txn, clock, actor, "unit", unit_id).await?;
    txn.commit().await?;
    Ok(token)
}

/// Replaces a vehicle's feed token (the office and the station).
pub async fn rotate_vehicle_calendar(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    vehicle_id: VehicleId,
) -> Result<String, ServiceError> {
    actor.require(STAFF)?;
    let txn = crate::db::begin_write(db).await?;
    let found = super::find_or_not_found(&txn, vehicle::Entity, vehicle_id, super::noun::VEHICLE).await?;
    let mut changed: vehicle::ActiveModel = found.into();
    let token = super::random_token();
    changed.calendar_token = Set(token.clone());
    changed.update(&txn).await?;
    record_rotation(&txn, clock, actor, "vehicle", vehicle_id).await?;
    txn.commit().await?;
    Ok(token)
}

/// Replaces the feed tokens a disabled account could read, in the transaction that disables
/// it: a liaison's holder feed; for the office and the station, every vehicle feed (only
/// staff see those). Holder feeds stay as they are when staff leave: rotating them would cut
/// off every holder's subscribed phones; the office rotates one that leaked.
pub(crate) async fn rotate_feeds_of(
    txn: &DatabaseTransaction,
    clock: &Clock,
    actor: &Actor,
    disabled: &Actor,
) -> Result<(), ServiceError> {
    match (disabled.role, disabled.unit_id) {
        (Role::Liaison, Some(unit_id)) => {
            if let Some(row) = unit_calendar::Entity::find()
                .filter(unit_calendar::Column::UnitId.eq(unit_id))
                .one(txn)
                .await?
            {
                let mut changed: unit_calendar::ActiveModel = row.into();
                changed.token = Set(super::random_token());
                changed.update(txn).await?;
                record_rotation(txn, clock, actor, "unit", unit_id).await?;
            }
        }
        (Role::Liaison, None) => {}
        (Role::Office | Role::Station, _) => {
            for found in vehicle::Entity::find().all(txn).await? {
                let id = found.id;
                let mut changed: vehicle::ActiveModel = found.into();
                changed.calendar_token = Set(super::random_token());
                changed.update(txn).await?;
                record_rotation(txn, clock, actor, "vehicle", id).await?;
            }
        }
    }
    Ok(())
}

async fn record_rotation(
    txn: &DatabaseTransaction,
    clock: &Clock,
    actor: &Actor,
    entity: &'static str,
    id: impl Into<i32>,
) -> Result<(), ServiceError> {
    audit::record(
        txn,
        clock,
        Change {
            entity,
            entity_id: Some(id.into().to_string()),
            action: "rotate_calendar",
            before: None,
            after: None,
            by: Performer::User(actor),
        },
    )
    .await?;
    Ok(())
}

/// Everyone who may see the feed already holds its token: read as the station would.
fn feed_reader() -> Actor {
    Actor { user_id: UserId(0), username: "calendar".into(), role: Role::Station, unit_id: None }
}

/// Days of past visits a feed keeps, and how far ahead it looks.
pub const FEED_PAST_DAYS: i64 = 30;
pub const FEED_AHEAD_DAYS: i64 = 400;
/// How long a cancelled visit stays in a feed after its cancellation, so that subscribed
/// phones see it go; after that it is left out.
pub const FEED_CANCELLED_DAYS: i64 = 7;

/// A feed is a date window around today. Live visits are read on their own, so that no
/// number of cancelled visits can push a confirmed one out of the feed; a vehicle has at most
/// two sessions a day, so the window bounds them. Cancelled visits follow, only recent ones.
async fn feed(
    db: &DatabaseConnection,
    clock: &Clock,
    name: &str,
    filter: VisitFilter,
) -> Result<String, ServiceError> {
    let today = clock.today();
    let window = VisitFilter {
        from: Some(today - TimeDelta::days(FEED_PAST_DAYS)),
        to: Some(today + TimeDelta::days(FEED_AHEAD_DAYS)),
        ..filter
    };
    let live = VisitFilter {
        statuses: VisitStatus::ALL.into_iter().filter(|s| *s != VisitStatus::Cancelled).collect(),
        ..window.clone()
    };
    let cancelled = VisitFilter { statuses: vec![VisitStatus::Cancelled], ..window };
    let reader = feed_reader();
    let (_, mut visits) = visits::list_visits(db, &reader, &live, Page { first: 2_000, offset: 0 }).await?;
    let since = clock.now() - TimeDelta::days(FEED_CANCELLED_DAYS);
    let (_, gone) = visits::list_visits(db, &reader, &cancelled, Page { first: 2_000, offset: 0 }).await?;
    visits.extend(gone.into_iter().filter(|v| v.updated_at >= since));
    visits.sort_by_key(|v| (v.date, v.session, v.id));
    let events: Vec<CalendarEvent> = visits.iter().map(event).collect();
    Ok(ics::render(name, &events))
}

fn event(v: &VisitView) -> CalendarEvent {
    let (start, end) = ics::session_times(v.date, v.session);
    let mut description = format!(
        "单位：{}\n采血车：{}\n场次：{}\n预计献血人数：{}\n状态：{}",
        v.unit_name,
        v.vehicle_name,
        v.session.label_zh(),
        v.expected_donors,
        v.status.label_zh()
    );
    if let Some(contact) = &v.site_contact {
        description.push_str(&format!("\n现场联系人：{contact}"));
    }
    if let Some(note) = &v.note {
        description.push_str(&format!("\n备注：{note}"));
    }
    CalendarEvent {
        uid: format!("visit-{}@bloodplan", v.id),
        start,
        end,
        summary: format!("采血车进单位：{} ({})", v.unit_name, v.vehicle_name),
        description,
        location: Some(v.unit_name.clone()),
        cancelled: v.status == VisitStatus::Cancelled,
    }
}

/// The feed behind a vehicle token, or `None` for an unknown token.
pub async fn vehicle_feed(
    db: &DatabaseConnection,
    clock: &Clock,
    token: &str,
) -> Result<Option<String>, ServiceError> {
    let Some(v) = vehicle::Entity::find().filter(vehicle::Column::CalendarToken.eq(token)).one(db).await?
    else {
        return Ok(None);
    };
    let filter = VisitFilter { vehicle_id: Some(VehicleId(v.id)), ..Default::default() };
    Ok(Some(feed(db, clock, &format!("采血车 {}", v.name), filter).await?))
}

pub async fn unit_feed(
    db: &DatabaseConnection,
    clock: &Clock,
    token: &str,
) -> Result<Option<String>, ServiceError> {
    let Some(row) =
        unit_calendar::Entity::find().filter(unit_calendar::Column::Token.eq(token)).one(db).await?
    else {
        return Ok(None);
    };
    let name = unit::Entity::find_by_id(row.unit_id).one(db).await?.map(|u| u.name).unwrap_or_default();
    let filter = VisitFilter { unit_id: Some(UnitId(row.unit_id)), ..Default::default() };
    Ok(Some(feed(db, clock, &format!("{name} 采血安排"), filter).await?))
}
