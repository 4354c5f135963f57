//! Booking, confirming, moving and cancelling collection-vehicle visits.
//!
//! The one guarantee: a vehicle never has two live visits whose sessions overlap. It is kept
//! by the unique index on `visit_slot (vehicle, date, half-day)`: a booking inserts one row
//! per half-day inside its transaction, and whoever inserts second gets `SLOT_TAKEN`. No
//! code here checks a slot and then writes it.
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait, QueryFilter,
    QuerySelect, QueryTrait,
};
use serde_json::json;

use crate::db::entities::{plan_quota, unit, vehicle, visit};
use crate::domain::booking::{BookingPolicy, BookingRejection};
use crate::domain::ids::{SubUnitId, UnitId, VehicleId};
use crate::domain::visit::{Session, VisitStatus};
use crate::domain::work_calendar::WorkCalendar;
use crate::services::ServiceError;

mod availability;
mod booking;
mod queries;

pub use availability::{availability, FreeSession, MAX_RANGE_DAYS};
pub use booking::{
    book_visit, cancel_visit, confirm_visit, mark_no_show, reschedule_visit, BookingInput, RescheduleInput,
};
pub(crate) use booking::{insert_visit, NewVisit, Overrides};
pub use queries::{county_unit_id, list_visits, vehicle_calendars, visit_by_id, VisitFilter, CALENDAR_ROWS};

pub mod codes {
    error_codes! {
        SLOT_TAKEN,
        VEHICLE_INACTIVE,
        RANGE_TOO_LONG,
        IDEMPOTENCY_KEY_REUSED,
    }
}

/// The booking rules' settings and the holiday calendar, shared by every request.
#[derive(Debug, Clone, Default)]
pub struct BookingSettings {
    pub policy: BookingPolicy,
    pub calendar: Arc<WorkCalendar>,
    /// The fulfilment's behind-schedule margin, for the figures a booking warning quotes.
    pub behind_margin_points: i64,
    /// `BLOODPLAN_MAX_REQUESTED_VISITS`: a holder's cap on requested visits; unset, it is
    /// derived from its quota and the vehicle's capacity (`domain::booking_limit`).
    pub max_requested_visits: Option<i64>,
    /// Who signs the notices to holders when the office confirms, moves or cancels a
    /// visit; `None` sends none.
    pub office: Option<crate::email::OfficeContact>,
}

pub(super) fn rejection(r: BookingRejection) -> ServiceError {
    ServiceError::rejected(r.code(), r.to_string())
}

/// Said whether the other booking came a moment or a month ago: it never claims "刚刚".
pub(super) fn slot_taken() -> ServiceError {
    ServiceError::rejected(codes::SLOT_TAKEN, "该车该时段已被预约，请另选时段或车辆")
}

/// A client key names one request: repeating it with other details is a client bug, not
/// a retry, and silently answering with the first visit would hide it.
pub(super) fn key_reused(key: &str) -> ServiceError {
    ServiceError::rejected(
        codes::IDEMPOTENCY_KEY_REUSED,
        format!("clientKey“{key}”已用于另一次内容不同的预约；重试请保持内容一致，新的预约请换一个 clientKey"),
    )
}

#[derive(Debug, Clone)]
pub struct VisitView {
    pub id: i32,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub vehicle_id: VehicleId,
    pub vehicle_name: String,
    pub date: NaiveDate,
    pub session: Session,
    pub status: VisitStatus,
    pub expected_donors: i32,
    pub site_contact: Option<String>,
    pub note: Option<String>,
    pub cancel_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// For a fresh booking: expected donors beyond what the quota still needs.
    pub warnings: Vec<String>,
    /// The holder's sub-unit the visit is for, if it names one.
    pub sub_unit_id: Option<SubUnitId>,
}

pub(super) fn visit_json(v: &visit::Model) -> serde_json::Value {
    json!({
        "unitId": v.unit_id, "vehicleId": v.vehicle_id, "date": v.date, "session": v.session.code(),
        "status": v.status.code(), "expectedDonors": v.expected_donors, "siteContact": v.site_contact,
        "note": v.note, "cancelReason": v.cancel_reason, "subUnitId": v.sub_unit_id,
    })
}

pub(super) async fn view(db: &impl ConnectionTrait, v: visit::Model) -> Result<VisitView, ServiceError> {
    let unit_name = unit::Entity::find_by_id(v.unit_id).one(db).await?.map(|u| u.name).unwrap_or_default();
    let vehicle_name =
        vehicle::Entity::find_by_id(v.vehicle_id).one(db).await?.map(|u| u.name).unwrap_or_default();
    Ok(view_with(v, unit_name, vehicle_name))
}

pub(crate) fn view_with(v: visit::Model, unit_name: String, vehicle_name: String) -> VisitView {
    VisitView {
        id: v.id,
        unit_id: v.unit_id,
        unit_name,
        vehicle_id: v.vehicle_id,
        vehicle_name,
        date: v.date,
        session: v.session,
        status: v.status,
        expected_donors: v.expected_donors,
        site_contact: v.site_contact,
        note: v.note,
        cancel_reason: v.cancel_reason,
        created_at: v.created_at,
        updated_at: v.updated_at,
        warnings: Vec::new(),
        sub_unit_id: v.sub_unit_id,
    }
}

pub(super) async fn quota_in_year(
    db: &impl ConnectionTrait,
    unit_id: UnitId,
    year: i32,
) -> Result<Option<i32>, ServiceError> {
    let row = crate::services::plans::quotas_of_year(year)
        .filter(plan_quota::Column::UnitId.eq(unit_id))
        .one(db)
        .await?;
    Ok(row.map(|q| q.quota))
}

/// Reads a visit that the transaction is about to change, locked until it commits
/// (`FOR UPDATE` on PostgreSQL; on SQLite `BEGIN IMMEDIATE` already holds the write lock).
/// The change's difference goes into the kept totals, so no other change of the visit may
/// land between this read and the write.
pub(crate) async fn lock(
    txn: &DatabaseTransaction,
    id: impl Into<i32>,
) -> Result<Option<visit::Model>, DbErr> {
    let postgres = txn.get_database_backend() != DbBackend::Sqlite;
    visit::Entity::find_by_id(id.into())
        .apply_if(postgres.then_some(()), |q, _| q.lock_exclusive())
        .one(txn)
        .await
}
