//! Booking, confirming, moving and cancelling collection-vehicle visits.
//!
//! The one guarantee: a vehicle never has two live visits whose sessions overlap. It is kept
//! by the unique index on `visit_slot (vehicle, date, half-day)`: a booking inserts one row
//! per half-day inside its transaction, and whoever inserts second gets `SLOT_TAKEN`. No
//! code here checks a slot and then writes it.
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
};
use serde_json::json;

use super::audit::{self, Change, Performer};
use super::{Page, ServiceError};
use crate::clock::Clock;
use crate::db::entities::{plan, plan_quota, unit, vehicle, vehicle_blackout, visit, visit_slot};
use crate::domain::auth::{Actor, Role};
use crate::domain::booking::{self, Blackout, BookingPolicy, BookingRejection, BookingRequest};
use crate::domain::visit::{Session, VisitStatus};
use crate::domain::work_calendar::WorkCalendar;
use crate::domain::Section;

pub mod codes {
    pub const SLOT_TAKEN: &str = "SLOT_TAKEN";
    pub const VEHICLE_INACTIVE: &str = "VEHICLE_INACTIVE";
    pub const RANGE_TOO_LONG: &str = "RANGE_TOO_LONG";
    pub const IDEMPOTENCY_KEY_REUSED: &str = "IDEMPOTENCY_KEY_REUSED";
}

/// The booking rules' settings and the holiday calendar, shared by every request.
#[derive(Debug, Clone, Default)]
pub struct BookingSettings {
    pub policy: BookingPolicy,
    pub calendar: Arc<WorkCalendar>,
    /// The fulfilment's behind-schedule margin, for the figures a booking warning quotes.
    pub behind_margin_points: i64,
}

fn rejection(r: BookingRejection) -> ServiceError {
    ServiceError::rejected(r.code(), r.to_string())
}

/// Said whether the other booking came a moment or a month ago: it never claims "刚刚".
fn slot_taken() -> ServiceError {
    ServiceError::rejected(codes::SLOT_TAKEN, "该车该时段已被预约，请另选时段或车辆")
}

/// A client key names one request: repeating it with other details is a client bug, not
/// a retry, and silently answering with the first visit would hide it.
fn key_reused(key: &str) -> ServiceError {
    ServiceError::rejected(
        codes::IDEMPOTENCY_KEY_REUSED,
        format!("clientKey“{key}”已用于另一次内容不同的预约；重试请保持内容一致，新的预约请换一个 clientKey"),
    )
}

#[derive(Debug, Clone)]
pub struct VisitView {
    pub id: i32,
    pub unit_id: i32,
    pub unit_name: String,
    pub vehicle_id: i32,
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
}

fn visit_json(v: &visit::Model) -> serde_json::Value {
    json!({
        "unitId": v.unit_id, "vehicleId": v.vehicle_id, "date": v.date, "session": v.session,
        "status": v.status, "expectedDonors": v.expected_donors, "siteContact": v.site_contact,
        "note": v.note, "cancelReason": v.cancel_reason,
    })
}

async fn view(db: &impl ConnectionTrait, v: visit::Model) -> Result<VisitView, ServiceError> {
    let unit_name = unit::Entity::find_by_id(v.unit_id).one(db).await?.map(|u| u.name).unwrap_or_default();
    let vehicle_name =
        vehicle::Entity::find_by_id(v.vehicle_id).one(db).await?.map(|u| u.name).unwrap_or_default();
    Ok(view_with(v, unit_name, vehicle_name))
}

fn view_with(v: visit::Model, unit_name: String, vehicle_name: String) -> VisitView {
    VisitView {
        id: v.id,
        unit_id: v.unit_id,
        unit_name,
        vehicle_id: v.vehicle_id,
        vehicle_name,
        date: v.date,
        session: Session::parse(&v.session).unwrap_or(Session::FullDay),
        status: VisitStatus::parse(&v.status).unwrap_or(VisitStatus::Requested),
        expected_donors: v.expected_donors,
        site_contact: v.site_contact,
        note: v.note,
        cancel_reason: v.cancel_reason,
        created_at: v.created_at,
        updated_at: v.updated_at,
        warnings: Vec::new(),
    }
}

pub struct BookingInput {
    pub unit_id: i32,
    pub vehicle_id: i32,
    pub date: NaiveDate,
    pub session: Session,
    pub expected_donors: i32,
    pub site_contact: Option<String>,
    pub note: Option<String>,
    pub client_key: Option<String>,
    /// The office books at short notice; the reason goes to the audit trail.
    pub lead_time_override: Option<String>,
    /// The office books a weekend or holiday; the reason goes to the audit trail.
    pub day_override: Option<String>,
}

fn clean(text: Option<String>, max: usize, what: &str) -> Result<Option<String>, ServiceError> {
    match text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) {
        Some(t) if t.chars().count() > max => {
            Err(ServiceError::BadInput(format!("{what}不能超过 {max} 个字")))
        }
        other => Ok(other),
    }
}

/// What a booking or a move asks for, checked by [`check_rules`].
struct Proposal {
    unit_id: i32,
    vehicle_id: i32,
    date: NaiveDate,
    session: Session,
    expected_donors: i32,
    lead_time_override: bool,
    day_override: bool,
}

/// Checks the rules for a vehicle, holder, date and session inside the transaction.
async fn check_rules(
    txn: &DatabaseTransaction,
    today: NaiveDate,
    settings: &BookingSettings,
    p: &Proposal,
) -> Result<vehicle::Model, ServiceError> {
    let vehicle = super::vehicles::find(txn, p.vehicle_id).await?;
    if !vehicle.active {
        return Err(ServiceError::rejected(
            codes::VEHICLE_INACTIVE,
            format!("采血车 {} 已停用, 请另选车辆", vehicle.name),
        ));
    }
    let quota = quota_in_year(txn, p.unit_id, p.date.year()).await?;
    let weekends_allowed =
        unit::Entity::find_by_id(p.unit_id).one(txn).await?.is_some_and(|u| u.accepts_weekend_visits);
    let blackouts: Vec<Blackout> = super::vehicles::blackouts_of(txn, p.vehicle_id)
        .await?
        .into_iter()
        .map(|b| Blackout { from: b.from_date, to: b.to_date, reason: b.reason })
        .collect();
    let request = BookingRequest {
        date: p.date,
        session: p.session,
        expected_donors: p.expected_donors,
        capacity_per_day: vehicle.capacity_per_day,
        plan_year: quota.map(|_| p.date.year()),
        lead_time_override: p.lead_time_override,
        day_override: p.day_override,
        weekends_allowed,
    };
    booking::check_booking(&request, today, &settings.calendar, &blackouts, settings.policy)
        .map_err(rejection)?;
    Ok(vehicle)
}

/// An override reason, which only the office may give.
fn office_reason(actor: &Actor, text: Option<String>, what: &str) -> Result<Option<String>, ServiceError> {
    let reason = clean(text, 500, what)?;
    if reason.is_some() && actor.role != Role::Office {
        return Err(ServiceError::Forbidden);
    }
    Ok(reason)
}

async fn quota_in_year(
    db: &impl ConnectionTrait,
    unit_id: i32,
    year: i32,
) -> Result<Option<i32>, ServiceError> {
    let row = plan_quota::Entity::find()
        .inner_join(plan::Entity)
        .filter(plan::Column::Year.eq(year))
        .filter(plan_quota::Column::UnitId.eq(unit_id))
        .one(db)
        .await?;
    Ok(row.map(|q| q.quota))
}

/// Holds the visit's half-days; a unique violation means another visit holds one of them.
async fn take_slots(
    txn: &DatabaseTransaction,
    v: &visit::Model,
    session: Session,
) -> Result<(), ServiceError> {
    for half in session.halves() {
        let inserted = visit_slot::ActiveModel {
            visit_id: Set(v.id),
            vehicle_id: Set(v.vehicle_id),
            date: Set(v.date),
            half_day: Set(half.code().to_owned()),
            ..Default::default()
        }
        .insert(txn)
        .await;
        match inserted {
            Ok(_) => {}
            Err(e) if crate::db::is_unique_violation(&e) => return Err(slot_taken()),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

async fn free_slots(txn: &DatabaseTransaction, visit_id: i32) -> Result<(), DbErr> {
    visit_slot::Entity::delete_many().filter(visit_slot::Column::VisitId.eq(visit_id)).exec(txn).await?;
    Ok(())
}

pub async fn book_visit(
    db: &DatabaseConnection,
    clock: &Clock,
    settings: &BookingSettings,
    actor: &Actor,
    input: BookingInput,
) -> Result<VisitView, ServiceError> {
    if !actor.may_act_for_unit(input.unit_id) {
        return Err(ServiceError::Forbidden);
    }
    let override_reason = office_reason(actor, input.lead_time_override, "提前量豁免原因")?;
    let day_reason = office_reason(actor, input.day_override, "非工作日采血原因")?;
    let client_key = clean(input.client_key, 100, "clientKey ")?;
    let site_contact = clean(input.site_contact, 200, "现场联系人")?;
    let note = clean(input.note, 500, "备注")?;

    let same_request = |v: &visit::Model| {
        v.unit_id == input.unit_id
            && v.vehicle_id == input.vehicle_id
            && v.date == input.date
            && v.session == input.session.code()
            && v.expected_donors == input.expected_donors
            && v.site_contact == site_contact
            && v.note == note
    };
    if let Some(key) = &client_key {
        if let Some(first) = visit_by_key(db, actor.user_id, key).await? {
            if !same_request(&first) {
                return Err(key_reused(key));
            }
            return with_warnings(db, clock, settings, view(db, first).await?).await;
        }
    }
    let result = async {
        let txn = crate::db::begin_write(db).await?;
        let proposal = Proposal {
            unit_id: input.unit_id,
            vehicle_id: input.vehicle_id,
            date: input.date,
            session: input.session,
            expected_donors: input.expected_donors,
            lead_time_override: override_reason.is_some(),
            day_override: day_reason.is_some(),
        };
        check_rules(&txn, clock.today(), settings, &proposal).await?;
        let now = clock.now();
        let created = visit::ActiveModel {
            unit_id: Set(input.unit_id),
            vehicle_id: Set(input.vehicle_id),
            date: Set(input.date),
            session: Set(input.session.code().to_owned()),
            status: Set(VisitStatus::Requested.code().to_owned()),
            expected_donors: Set(input.expected_donors),
            site_contact: Set(site_contact.clone()),
            note: Set(note.clone()),
            cancel_reason: Set(None),
            client_key: Set(client_key.clone()),
            requested_by: Set(Some(actor.user_id)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|e| if crate::db::is_unique_violation(&e) { slot_taken() } else { e.into() })?;
        take_slots(&txn, &created, input.session).await?;
        let mut after = visit_json(&created);
        if let Some(reason) = &override_reason {
            after["leadTimeOverride"] = json!(reason);
        }
        if let Some(reason) = &day_reason {
            after["dayOverride"] = json!(reason);
        }
        audit::record(
            &txn,
            clock,
            Change {
                entity: "visit",
                entity_id: Some(created.id.to_string()),
                action: "book",
                before: None,
                after: Some(after),
                by: Performer::User(actor),
            },
        )
        .await?;
        txn.commit().await?;
        Ok::<_, ServiceError>(created)
    }
    .await;
    let created = match result {
        Ok(created) => created,
        // Two requests with one key raced: the loser answers with the winner's visit.
        Err(ServiceError::Rejected { code: codes::SLOT_TAKEN, .. }) if client_key.is_some() => {
            let key = client_key.as_deref().unwrap_or_default();
            match visit_by_key(db, actor.user_id, key).await? {
                Some(first) if same_request(&first) => first,
                Some(_) => return Err(key_reused(key)),
                None => return Err(slot_taken()),
            }
        }
        Err(e) => return Err(e),
    };
    with_warnings(db, clock, settings, view(db, created).await?).await
}

async fn visit_by_key(
    db: &DatabaseConnection,
    user_id: i32,
    key: &str,
) -> Result<Option<visit::Model>, DbErr> {
    visit::Entity::find()
        .filter(visit::Column::RequestedBy.eq(user_id))
        .filter(visit::Column::ClientKey.eq(key))
        .one(db)
        .await
}

/// Adds a warning when the visit expects more donors than the holder's quota still needs,
/// by the fulfilment's own figures (collected and booked as of today).
async fn with_warnings(
    db: &DatabaseConnection,
    clock: &Clock,
    settings: &BookingSettings,
    mut v: VisitView,
) -> Result<VisitView, ServiceError> {
    if !v.status.is_live() {
        return Ok(v);
    }
    let today = clock.today();
    let figures = super::fulfilment::holder_fulfilment(
        db,
        v.date.year(),
        today,
        settings.behind_margin_points,
        v.unit_id,
    )
    .await?;
    let Some(holder) = figures else { return Ok(v) };
    let p = holder.progress;
    // The fulfilment counts visits after today as booked: this one among them.
    let own = if v.date > today { i64::from(v.expected_donors) } else { 0 };
    if let Some(w) =
        booking::remaining_quota_warning(p.remaining, p.booked_donors - own, i64::from(v.expected_donors))
    {
        v.warnings.push(w);
    }
    Ok(v)
}

/// Loads a visit for a change by `actor` (whose role the caller has checked): the office and
/// the station any, a liaison only their own — and a liaison cannot tell a missing visit
/// from someone else's.
async fn visit_for_change(
    txn: &DatabaseTransaction,
    actor: &Actor,
    id: i32,
) -> Result<visit::Model, ServiceError> {
    let staff = actor.is(&[Role::Office, Role::Station]);
    match visit::Entity::find_by_id(id).one(txn).await? {
        Some(v) if staff || actor.may_act_for_unit(v.unit_id) => Ok(v),
        None if staff => Err(ServiceError::NotFound(format!("没有编号为 {id} 的采血活动"))),
        _ => Err(ServiceError::Forbidden),
    }
}

fn status_of(v: &visit::Model) -> VisitStatus {
    VisitStatus::parse(&v.status).unwrap_or(VisitStatus::Requested)
}

async fn record_change(
    txn: &DatabaseTransaction,
    clock: &Clock,
    actor: &Actor,
    action: &'static str,
    before: &visit::Model,
    after: &visit::Model,
) -> Result<(), DbErr> {
    audit::record(
        txn,
        clock,
        Change {
            entity: "visit",
            entity_id: Some(after.id.to_string()),
            action,
            before: Some(visit_json(before)),
            after: Some(visit_json(after)),
            by: Performer::User(actor),
        },
    )
    .await
}

/// Cancelling frees the vehicle's half-days at once and releases the client key.
pub async fn cancel_visit(
    db: &DatabaseConnection,
    clock: &Clock,
    settings: &BookingSettings,
    actor: &Actor,
    id: i32,
    reason: String,
) -> Result<VisitView, ServiceError> {
    if !actor.is(&[Role::Office, Role::Liaison]) {
        return Err(ServiceError::Forbidden);
    }
    let reason = clean(Some(reason), 500, "取消原因")?
        .ok_or_else(|| ServiceError::BadInput("请填写取消原因".into()))?;
    let txn = crate::db::begin_write(db).await?;
    let current = visit_for_change(&txn, actor, id).await?;
    let confirmed = status_of(&current) == VisitStatus::Confirmed;
    booking::may_change_visit(
        actor.role == Role::Office,
        confirmed,
        current.date,
        clock.today(),
        settings.policy,
    )
    .map_err(rejection)?;
    status_of(&current)
        .transition(VisitStatus::Cancelled)
        .map_err(|e| ServiceError::rejected(e.code(), e.to_string()))?;
    free_slots(&txn, id).await?;
    let mut changed: visit::ActiveModel = current.clone().into();
    changed.status = Set(VisitStatus::Cancelled.code().to_owned());
    changed.cancel_reason = Set(Some(reason));
    changed.client_key = Set(None);
    changed.updated_at = Set(clock.now());
    let changed = changed.update(&txn).await?;
    // Its reminders go with it; the worker checks the visit again before sending anyway.
    super::outbox::cancel_for_visit(&txn, id, "采血活动已取消").await?;
    record_change(&txn, clock, actor, "cancel", &current, &changed).await?;
    let v = view(&txn, changed).await?;
    txn.commit().await?;
    Ok(v)
}

/// A status change that needs no other edit: confirming, a no-show.
async fn set_status(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    id: i32,
    to: VisitStatus,
    action: &'static str,
) -> Result<VisitView, ServiceError> {
    let txn = crate::db::begin_write(db).await?;
    let current = visit_for_change(&txn, actor, id).await?;
    status_of(&current).transition(to).map_err(|e| ServiceError::rejected(e.code(), e.to_string()))?;
    // Read inside the transaction: a concurrent move cannot slip a future visit past this.
    if to == VisitStatus::NoShow && current.date > clock.today() {
        return Err(ServiceError::rejected("VISIT_NOT_YET_DUE", "采血日期未到, 不能登记为未到场"));
    }
    let mut changed: visit::ActiveModel = current.clone().into();
    changed.status = Set(to.code().to_owned());
    changed.updated_at = Set(clock.now());
    let changed = changed.update(&txn).await?;
    record_change(&txn, clock, actor, action, &current, &changed).await?;
    let v = view(&txn, changed).await?;
    txn.commit().await?;
    Ok(v)
}

pub async fn confirm_visit(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    id: i32,
) -> Result<VisitView, ServiceError> {
    if actor.role != Role::Office {
        return Err(ServiceError::Forbidden);
    }
    set_status(db, clock, actor, id, VisitStatus::Confirmed, "confirm").await
}

/// The vehicle went and nobody came. Only once the day has come.
pub async fn mark_no_show(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    id: i32,
) -> Result<VisitView, ServiceError> {
    if !actor.is(&[Role::Office, Role::Station]) {
        return Err(ServiceError::Forbidden);
    }
    set_status(db, clock, actor, id, VisitStatus::NoShow, "no_show").await
}

pub struct RescheduleInput {
    pub date: NaiveDate,
    pub session: Session,
    pub vehicle_id: Option<i32>,
    pub expected_donors: Option<i32>,
    pub lead_time_override: Option<String>,
    pub day_override: Option<String>,
}

/// Moves a visit to another date, session or vehicle; its history stays in the audit trail.
/// A liaison's move sends a confirmed visit back to the office for confirmation.
pub async fn reschedule_visit(
    db: &DatabaseConnection,
    clock: &Clock,
    settings: &BookingSettings,
    actor: &Actor,
    id: i32,
    input: RescheduleInput,
) -> Result<VisitView, ServiceError> {
    if !actor.is(&[Role::Office, Role::Liaison]) {
        return Err(ServiceError::Forbidden);
    }
    let override_reason = office_reason(actor, input.lead_time_override, "提前量豁免原因")?;
    let day_reason = office_reason(actor, input.day_override, "非工作日采血原因")?;
    let txn = crate::db::begin_write(db).await?;
    let current = visit_for_change(&txn, actor, id).await?;
    let status = status_of(&current);
    if !matches!(status, VisitStatus::Requested | VisitStatus::Confirmed) {
        return Err(ServiceError::rejected(
            "INVALID_TRANSITION",
            format!("「{}」的采血活动不能改期", status.label_zh()),
        ));
    }
    let confirmed = status == VisitStatus::Confirmed;
    booking::may_change_visit(
        actor.role == Role::Office,
        confirmed,
        current.date,
        clock.today(),
        settings.policy,
    )
    .map_err(rejection)?;
    let vehicle_id = input.vehicle_id.unwrap_or(current.vehicle_id);
    let expected = input.expected_donors.unwrap_or(current.expected_donors);
    // A move that changes nothing changes nothing: no demotion, no history, no reminders lost.
    if vehicle_id == current.vehicle_id
        && input.date == current.date
        && input.session.code() == current.session
        && expected == current.expected_donors
    {
        let v = view(&txn, current).await?;
        txn.rollback().await?;
        return Ok(v);
    }
    let proposal = Proposal {
        unit_id: current.unit_id,
        vehicle_id,
        date: input.date,
        session: input.session,
        expected_donors: expected,
        lead_time_override: override_reason.is_some(),
        day_override: day_reason.is_some(),
    };
    check_rules(&txn, clock.today(), settings, &proposal).await?;
    free_slots(&txn, id).await?;
    let mut changed: visit::ActiveModel = current.clone().into();
    changed.vehicle_id = Set(vehicle_id);
    changed.date = Set(input.date);
    changed.session = Set(input.session.code().to_owned());
    changed.expected_donors = Set(expected);
    if actor.role == Role::Liaison {
        changed.status = Set(VisitStatus::Requested.code().to_owned());
    }
    changed.updated_at = Set(clock.now());
    let changed = changed.update(&txn).await?;
    take_slots(&txn, &changed, input.session).await?;
    // A reminder names the old date: withdraw it; the new date gets its own.
    super::outbox::cancel_for_visit(&txn, id, "采血活动已改期").await?;
    let mut after = visit_json(&changed);
    if let Some(reason) = &override_reason {
        after["leadTimeOverride"] = json!(reason);
    }
    if let Some(reason) = &day_reason {
        after["dayOverride"] = json!(reason);
    }
    audit::record(
        &txn,
        clock,
        Change {
            entity: "visit",
            entity_id: Some(changed.id.to_string()),
            action: "reschedule",
            before: Some(visit_json(&current)),
            after: Some(after),
            by: Performer::User(actor),
        },
    )
    .await?;
    let v = view(&txn, changed).await?;
    txn.commit().await?;
    Ok(v)
}

pub async fn visit_by_id(db: &DatabaseConnection, actor: &Actor, id: i32) -> Result<VisitView, ServiceError> {
    let found = visit::Entity::find_by_id(id).one(db).await?;
    match found {
        Some(v) if actor.is(&[Role::Office, Role::Station]) || actor.may_act_for_unit(v.unit_id) => {
            view(db, v).await
        }
        None if actor.is(&[Role::Office, Role::Station]) => {
            Err(ServiceError::NotFound(format!("没有编号为 {id} 的采血活动")))
        }
        _ => Err(ServiceError::Forbidden),
    }
}

#[derive(Debug, Clone, Default)]
pub struct VisitFilter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub statuses: Vec<VisitStatus>,
    pub section: Option<Section>,
    pub unit_id: Option<i32>,
    pub vehicle_id: Option<i32>,
}

/// Visits in date order. A liaison sees only their own holder's, whatever the filter says.
pub async fn list_visits(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: &VisitFilter,
    page: Page,
) -> Result<(u64, Vec<VisitView>), ServiceError> {
    let own_unit = match actor.role {
        Role::Liaison => Some(actor.unit_id.unwrap_or(-1)),
        _ => filter.unit_id,
    };
    let section_units = filter.section.map(|s| {
        plan_quota::Entity::find()
            .select_only()
            .column(plan_quota::Column::UnitId)
            .filter(plan_quota::Column::Section.eq(s.code()))
            .into_query()
    });
    let query = visit::Entity::find()
        .apply_if(filter.from, |q, d| q.filter(visit::Column::Date.gte(d)))
        .apply_if(filter.to, |q, d| q.filter(visit::Column::Date.lte(d)))
        .apply_if((!filter.statuses.is_empty()).then_some(&filter.statuses), |q, s| {
            q.filter(visit::Column::Status.is_in(s.iter().map(|s| s.code())))
        })
        .apply_if(own_unit, |q, u| q.filter(visit::Column::UnitId.eq(u)))
        .apply_if(filter.vehicle_id, |q, v| q.filter(visit::Column::VehicleId.eq(v)))
        .apply_if(section_units, |q, sub| q.filter(visit::Column::UnitId.in_subquery(sub)));
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_asc(visit::Column::Date)
        .order_by_asc(visit::Column::VehicleId)
        .order_by_asc(visit::Column::Id)
        .offset(page.offset)
        .limit(page.first)
        .find_also_related(unit::Entity)
        .all(db)
        .await?;
    let vehicles: std::collections::HashMap<i32, String> =
        vehicle::Entity::find().all(db).await?.into_iter().map(|v| (v.id, v.name)).collect();
    let views = rows
        .into_iter()
        .map(|(v, u)| {
            let vehicle_name = vehicles.get(&v.vehicle_id).cloned().unwrap_or_default();
            view_with(v, u.map(|u| u.name).unwrap_or_default(), vehicle_name)
        })
        .collect();
    Ok((total, views))
}

/// The holder id of a county (section `COUNTY`) by its name.
pub async fn county_unit_id(db: &DatabaseConnection, name: &str) -> Result<i32, ServiceError> {
    let found = plan_quota::Entity::find()
        .inner_join(unit::Entity)
        .filter(plan_quota::Column::Section.eq(Section::County.code()))
        .filter(unit::Column::Name.eq(name.trim()))
        .one(db)
        .await?;
    found
        .map(|q| q.unit_id)
        .ok_or_else(|| ServiceError::NotFound(format!("没有名为 \"{name}\" 的县(市、区)")))
}

pub const MAX_RANGE_DAYS: i64 = 92;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreeSession {
    pub vehicle_id: i32,
    pub vehicle_name: String,
    pub date: NaiveDate,
    pub session: Session,
}

/// The free sessions of active vehicles (or one vehicle) in `[from, to]` that a booking made
/// on `today` may take: past the lead time, in years with a work calendar, working days only,
/// holidays and vehicle blackouts left out, make-up working days included.
/// With `for_unit` (a liaison's own holder) only the years that holder has a quota in.
pub async fn availability(
    db: &DatabaseConnection,
    settings: &BookingSettings,
    today: NaiveDate,
    from: NaiveDate,
    to: NaiveDate,
    vehicle_id: Option<i32>,
    for_unit: Option<i32>,
) -> Result<Vec<FreeSession>, ServiceError> {
    if to < from {
        return Err(ServiceError::BadInput("结束日期不能早于开始日期".into()));
    }
    if (to - from).num_days() >= MAX_RANGE_DAYS {
        return Err(ServiceError::rejected(
            codes::RANGE_TOO_LONG,
            format!("一次最多查询 {MAX_RANGE_DAYS} 天"),
        ));
    }
    let vehicles = vehicle::Entity::find()
        .filter(vehicle::Column::Active.eq(true))
        .apply_if(vehicle_id, |q, id| q.filter(vehicle::Column::Id.eq(id)))
        .order_by_asc(vehicle::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i32> = vehicles.iter().map(|v| v.id).collect();
    let blackouts = vehicle_blackout::Entity::find()
        .filter(vehicle_blackout::Column::VehicleId.is_in(ids.clone()))
        .filter(vehicle_blackout::Column::ToDate.gte(from))
        .filter(vehicle_blackout::Column::FromDate.lte(to))
        .all(db)
        .await?;
    let with_blackouts: Vec<(i32, Vec<Blackout>)> = vehicles
        .iter()
        .map(|v| {
            let own = blackouts
                .iter()
                .filter(|b| b.vehicle_id == v.id)
                .map(|b| Blackout { from: b.from_date, to: b.to_date, reason: b.reason.clone() })
                .collect();
            (v.id, own)
        })
        .collect();
    let taken = visit_slot::Entity::find()
        .filter(visit_slot::Column::VehicleId.is_in(ids))
        .filter(visit_slot::Column::Date.between(from, to))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|s| crate::domain::visit::HalfDay::parse(&s.half_day).map(|h| (s.vehicle_id, s.date, h)))
        .collect();
    let names: std::collections::HashMap<i32, String> =
        vehicles.into_iter().map(|v| (v.id, v.name)).collect();
    let mut plan_years = std::collections::HashSet::new();
    let mut weekends_allowed = false;
    if let Some(unit_id) = for_unit {
        weekends_allowed =
            unit::Entity::find_by_id(unit_id).one(db).await?.is_some_and(|u| u.accepts_weekend_visits);
        for year in from.year()..=to.year() {
            if quota_in_year(db, unit_id, year).await?.is_some() {
                plan_years.insert(year);
            }
        }
    }
    Ok(booking::free_sessions(
        from.iter_days().take_while(|d| *d <= to),
        booking::earliest_bookable(today, settings.policy),
        weekends_allowed,
        &with_blackouts,
        &taken,
        &settings.calendar,
    )
    .into_iter()
    .filter(|(_, date, _)| for_unit.is_none() || plan_years.contains(&date.year()))
    .map(|(vehicle_id, date, session)| FreeSession {
        vehicle_name: names.get(&vehicle_id).cloned().unwrap_or_default(),
        vehicle_id,
        date,
        session,
    })
    .collect())
}
