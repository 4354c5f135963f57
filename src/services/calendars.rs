//! iCalendar feeds of visits, one per vehicle and one per holder, behind unguessable tokens
//! so phone calendars can subscribe without logging in.
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::visits::{self, VisitFilter, VisitView};
use super::{Page, ServiceError};
use crate::db::entities::{unit, unit_calendar, vehicle};
use crate::domain::auth::{Actor, Role};
use crate::domain::ics::{self, CalendarEvent};
use crate::domain::visit::VisitStatus;

/// The token of a holder's feed, made on first request (for its liaisons and the office).
pub async fn unit_calendar_token(
    db: &DatabaseConnection,
    actor: &Actor,
    unit_id: i32,
) -> Result<String, ServiceError> {
    if !actor.may_act_for_unit(unit_id) && actor.role != Role::Station {
        return Err(ServiceError::Forbidden);
    }
    unit::Entity::find_by_id(unit_id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found(super::noun::UNIT, unit_id))?;
    unit_calendar::Entity::insert(unit_calendar::ActiveModel {
        unit_id: Set(unit_id),
        token: Set(super::random_token()),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([unit_calendar::Column::UnitId])
    .exec(db)
    .await?;
    let row = unit_calendar::Entity::find()
        .filter(unit_calendar::Column::UnitId.eq(unit_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::Internal("calendar token vanished".into()))?;
    Ok(row.token)
}

/// Everyone who may see the feed already holds its token: read as the station would.
fn feed_reader() -> Actor {
    Actor { user_id: 0, username: "calendar".into(), role: Role::Station, unit_id: None }
}

async fn feed(db: &DatabaseConnection, name: &str, filter: VisitFilter) -> Result<String, ServiceError> {
    let (_, visits) =
        visits::list_visits(db, &feed_reader(), &filter, Page { first: Page::MAX_FIRST, offset: 0 }).await?;
    let events: Vec<CalendarEvent> = visits.iter().map(event).collect();
    Ok(ics::render(name, &events))
}

fn event(v: &VisitView) -> CalendarEvent {
    let (start, end) = ics::session_times(v.date, v.session);
    let mut description = format!(
        "单位: {}\n采血车: {}\n场次: {}\n预计献血人数: {}\n状态: {}",
        v.unit_name,
        v.vehicle_name,
        v.session.label_zh(),
        v.expected_donors,
        v.status.label_zh()
    );
    if let Some(contact) = &v.site_contact {
        description.push_str(&format!("\n现场联系人: {contact}"));
    }
    if let Some(note) = &v.note {
        description.push_str(&format!("\n备注: {note}"));
    }
    CalendarEvent {
        uid: format!("visit-{}@bloodplan", v.id),
        start,
        end,
        summary: format!("采血车进单位: {} ({})", v.unit_name, v.vehicle_name),
        description,
        location: Some(v.unit_name.clone()),
        cancelled: v.status == VisitStatus::Cancelled,
    }
}

/// The feed behind a vehicle token, or `None` for an unknown token.
pub async fn vehicle_feed(db: &DatabaseConnection, token: &str) -> Result<Option<String>, ServiceError> {
    let Some(v) = vehicle::Entity::find().filter(vehicle::Column::CalendarToken.eq(token)).one(db).await?
    else {
        return Ok(None);
    };
    let filter = VisitFilter { vehicle_id: Some(v.id), ..Default::default() };
    Ok(Some(feed(db, &format!("采血车 {}", v.name), filter).await?))
}

pub async fn unit_feed(db: &DatabaseConnection, token: &str) -> Result<Option<String>, ServiceError> {
    let Some(row) =
        unit_calendar::Entity::find().filter(unit_calendar::Column::Token.eq(token)).one(db).await?
    else {
        return Ok(None);
    };
    let name = unit::Entity::find_by_id(row.unit_id).one(db).await?.map(|u| u.name).unwrap_or_default();
    let filter = VisitFilter { unit_id: Some(row.unit_id), ..Default::default() };
    Ok(Some(feed(db, &format!("{name} 采血安排"), filter).await?))
}
