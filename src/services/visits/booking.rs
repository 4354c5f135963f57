//! Booking a visit and changing it: confirm, cancel, no-show, reschedule.

use chrono::{Datelike, NaiveDate};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter,
    Set,
};
use serde_json::json;

use crate::clock::Clock;
use crate::db::entities::{unit, visit, visit_slot};
use crate::domain::auth::{Actor, Role, OFFICE, OFFICE_OR_LIAISON, STAFF};
use crate::domain::booking::{self, Blackout, BookingRequest};
use crate::domain::ids::{SubUnitId, UnitId, UserId, VehicleId, VisitId};
use crate::domain::visit::{Session, VisitStatus};
use crate::services::audit::Change;
use crate::services::notices::{self, Notice};
use crate::services::{clean, fulfilment, sub_units, totals, ServiceError};

use super::{
    codes, key_reused, quota_in_year, rejection, slot_taken, view, visit_json, BookingSettings, VisitView,
};

pub struct BookingInput {
    pub unit_id: UnitId,
    pub vehicle_id: VehicleId,
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
    /// A sub-unit of the holder's accepted breakdown of the date's year the visit is for.
    pub sub_unit_id: Option<SubUnitId>,
}

/// What a booking or a move asks for: a holder, a vehicle, a date and session, and donors.
struct Slot {
    unit_id: UnitId,
    vehicle_id: VehicleId,
    date: NaiveDate,
    session: Session,
    expected_donors: i32,
}

/// The office's reasons for booking outside the rules, audited with the visit.
#[derive(Default)]
pub(crate) struct Overrides {
    lead_time: Option<String>,
    day: Option<String>,
}

impl Overrides {
    /// Only the office may give a reason.
    fn of(actor: &Actor, lead_time: Option<String>, day: Option<String>) -> Result<Overrides, ServiceError> {
        let lead_time = clean(lead_time, 500, "提前量豁免原因")?;
        let day = clean(day, 500, "非工作日采血原因")?;
        if lead_time.is_some() || day.is_some() {
            actor.require(OFFICE)?;
        }
        Ok(Overrides { lead_time, day })
    }

    fn add_to(&self, after: &mut serde_json::Value) {
        if let Some(reason) = &self.lead_time {
            after["leadTimeOverride"] = json!(reason);
        }
        if let Some(reason) = &self.day {
            after["dayOverride"] = json!(reason);
        }
    }
}

/// What the rules read that the cap on requested visits needs too.
struct Checked {
    /// The holder's quota in the date's year (0 without one).
    quota: i64,
    capacity_per_day: i64,
}

/// Checks the rules for a vehicle, holder, date and session inside the transaction.
async fn check_rules(
    txn: &DatabaseTransaction,
    today: NaiveDate,
    settings: &BookingSettings,
    slot: Slot,
    overrides: &Overrides,
) -> Result<Checked, ServiceError> {
    let Slot { unit_id, vehicle_id, date, session, expected_donors } = slot;
    // Held until commit: a deactivation or capacity cut waits for this visit and then sees it.
    let vehicle = crate::services::vehicles::lock(txn, vehicle_id).await?;
    if !vehicle.active {
        return Err(ServiceError::rejected(
            codes::VEHICLE_INACTIVE,
            format!("采血车 {} 已停用，请另选车辆", vehicle.name),
        ));
    }
    let quota = quota_in_year(txn, unit_id, date.year()).await?;
    let weekends_allowed =
        unit::Entity::find_by_id(unit_id).one(txn).await?.is_some_and(|u| u.accepts_weekend_visits);
    let blackouts: Vec<Blackout> = crate::services::vehicles::blackouts_of(txn, vehicle_id)
        .await?
        .into_iter()
        .map(|b| Blackout { from: b.from_date, to: b.to_date, reason: b.reason })
        .collect();
    let request = BookingRequest {
        date,
        session,
        expected_donors,
        capacity_per_day: vehicle.capacity_per_day,
        plan_year: quota.map(|_| date.year()),
        lead_time_override: overrides.lead_time.is_some(),
        day_override: overrides.day.is_some(),
        weekends_allowed,
    };
    booking::check_booking(&request, today, &settings.calendar, &blackouts, settings.policy)
        .map_err(rejection)?;
    Ok(Checked { quota: quota.map_or(0, i64::from), capacity_per_day: i64::from(vehicle.capacity_per_day) })
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
            vehicle_id: Set(v.vehicle_id.0),
            date: Set(v.date),
            half_day: Set(*half),
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

async fn free_slots(txn: &DatabaseTransaction, visit_id: VisitId) -> Result<(), DbErr> {
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
    actor.may_manage_holder(input.unit_id)?;
    crate::services::check_dates([input.date])?;
    let overrides = Overrides::of(actor, input.lead_time_override, input.day_override)?;
    let client_key = clean(input.client_key, 100, "clientKey ")?;
    let site_contact = clean(input.site_contact, 200, "现场联系人")?;
    let note = clean(input.note, 500, "备注")?;

    let same_request = |v: &visit::Model| {
        v.unit_id == input.unit_id
            && v.vehicle_id == input.vehicle_id
            && v.date == input.date
            && v.session == input.session
            && v.expected_donors == input.expected_donors
            && v.site_contact == site_contact
            && v.note == note
            && v.sub_unit_id == input.sub_unit_id
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
        let new = NewVisit {
            unit_id: input.unit_id,
            vehicle_id: input.vehicle_id,
            date: input.date,
            session: input.session,
            expected_donors: input.expected_donors,
            site_contact: site_contact.clone(),
            note: note.clone(),
            client_key: client_key.clone(),
            sub_unit_id: input.sub_unit_id,
        };
        let created = insert_visit(&txn, clock, settings, actor, new, &overrides, None).await?;
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

/// A visit to create as `REQUESTED`, with what the booking form adds.
pub(crate) struct NewVisit {
    pub unit_id: UnitId,
    pub vehicle_id: VehicleId,
    pub date: NaiveDate,
    pub session: Session,
    pub expected_donors: i32,
    pub site_contact: Option<String>,
    pub note: Option<String>,
    pub client_key: Option<String>,
    /// A sub-unit of the holder's accepted breakdown of the date's year, checked here.
    pub sub_unit_id: Option<SubUnitId>,
}

/// The one booking path, inside the caller's transaction: the rules (the vehicle's row stays
/// locked until commit), a liaison's cap on requested visits, the visit, its half-days (a
/// taken one is `SLOT_TAKEN`), the kept totals and the audit record. `audit_extra` adds
/// fields to the audit record's `after` (a published schedule names its year).
pub(crate) async fn insert_visit(
    txn: &DatabaseTransaction,
    clock: &Clock,
    settings: &BookingSettings,
    actor: &Actor,
    new: NewVisit,
    overrides: &Overrides,
    audit_extra: Option<(&str, serde_json::Value)>,
) -> Result<visit::Model, ServiceError> {
    let slot = Slot {
        unit_id: new.unit_id,
        vehicle_id: new.vehicle_id,
        date: new.date,
        session: new.session,
        expected_donors: new.expected_donors,
    };
    let checked = check_rules(txn, clock.today(), settings, slot, overrides).await?;
    let sub_unit_id =
        sub_units::check(txn, actor, new.sub_unit_id, new.unit_id, new.date.year(), None).await?;
    if !actor.is_office() {
        let cap = settings.max_requested_visits;
        crate::services::booking_limit::check(txn, cap, new.unit_id, checked.quota, checked.capacity_per_day)
            .await?;
    }
    let now = clock.now();
    let created = visit::ActiveModel {
        unit_id: Set(new.unit_id),
        vehicle_id: Set(new.vehicle_id),
        date: Set(new.date),
        session: Set(new.session),
        status: Set(VisitStatus::Requested),
        expected_donors: Set(new.expected_donors),
        site_contact: Set(new.site_contact),
        note: Set(new.note),
        cancel_reason: Set(None),
        client_key: Set(new.client_key),
        requested_by: Set(Some(actor.user_id.0)),
        created_at: Set(now),
        updated_at: Set(now),
        sub_unit_id: Set(sub_unit_id),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(|e| if crate::db::is_unique_violation(&e) { slot_taken() } else { e.into() })?;
    take_slots(txn, &created, new.session).await?;
    totals::visit_changed(txn, None, Some(&created)).await?;
    let mut after = visit_json(&created);
    overrides.add_to(&mut after);
    if let Some((key, value)) = audit_extra {
        after[key] = value;
    }
    Change::new("visit", created.id, "book", actor).after(after).record(txn, clock).await?;
    Ok(created)
}

async fn visit_by_key(
    db: &DatabaseConnection,
    user_id: UserId,
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
    let margin = settings.behind_margin_points;
    let figures = fulfilment::holder_fulfilment(db, v.date.year(), today, margin, v.unit_id).await?;
    let Some(holder) = figures else { return Ok(v) };
    let p = holder.progress;
    // The fulfilment counts visits after today as booked: this one among them.
    let own = if v.date > today { i64::from(v.expected_donors) } else { 0 };
    let expected = i64::from(v.expected_donors);
    if let Some(w) = booking::remaining_quota_warning(p.remaining, p.booked_donors - own, expected) {
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
    id: VisitId,
) -> Result<visit::Model, ServiceError> {
    let found = super::lock(txn, id).await?;
    actor.may_read_record(found.as_ref().map(|v| v.unit_id))?;
    found.ok_or_else(|| ServiceError::not_found(crate::services::noun::VISIT, id))
}

async fn record_change(
    txn: &DatabaseTransaction,
    clock: &Clock,
    actor: &Actor,
    action: &'static str,
    before: &visit::Model,
    after: &visit::Model,
) -> Result<(), DbErr> {
    Change::new("visit", after.id, action, actor)
        .before(visit_json(before))
        .after(visit_json(after))
        .record(txn, clock)
        .await
}

/// Cancelling frees the vehicle's half-days at once and releases the client key.
pub async fn cancel_visit(
    db: &DatabaseConnection,
    clock: &Clock,
    settings: &BookingSettings,
    actor: &Actor,
    id: VisitId,
    reason: String,
) -> Result<VisitView, ServiceError> {
    actor.require(OFFICE_OR_LIAISON)?;
    let reason = clean(Some(reason), 500, "取消原因")?
        .ok_or_else(|| ServiceError::BadInput("请填写取消原因".into()))?;
    let txn = crate::db::begin_write(db).await?;
    let current = visit_for_change(&txn, actor, id).await?;
    let confirmed = current.status == VisitStatus::Confirmed;
    booking::may_change_visit(actor.is_office(), confirmed, current.date, clock.today(), settings.policy)
        .map_err(rejection)?;
    current
        .status
        .transition(VisitStatus::Cancelled)
        .map_err(|e| ServiceError::rejected(e.code(), e.to_string()))?;
    free_slots(&txn, id).await?;
    let mut changed: visit::ActiveModel = current.clone().into();
    changed.status = Set(VisitStatus::Cancelled);
    changed.cancel_reason = Set(Some(reason));
    changed.client_key = Set(None);
    changed.updated_at = Set(clock.now());
    let changed = changed.update(&txn).await?;
    totals::visit_changed(&txn, Some(&current), Some(&changed)).await?;
    // Its reminders go with it; the worker checks the visit again before sending anyway.
    crate::services::outbox::cancel_for_visit(&txn, id, "采血活动已取消").await?;
    record_change(&txn, clock, actor, "cancel", &current, &changed).await?;
    if let (Role::Office, Some(office)) = (actor.role, &settings.office) {
        notices::visit_changed(&txn, clock, office, actor, Notice::Cancelled, &changed).await?;
    }
    let v = view(&txn, changed).await?;
    txn.commit().await?;
    Ok(v)
}

/// A status change that needs no other edit: confirming, a no-show.
async fn set_status(
    db: &DatabaseConnection,
    clock: &Clock,
    office: Option<&crate::email::OfficeContact>,
    actor: &Actor,
    id: VisitId,
    to: VisitStatus,
    action: &'static str,
) -> Result<VisitView, ServiceError> {
    let txn = crate::db::begin_write(db).await?;
    let current = visit_for_change(&txn, actor, id).await?;
    current.status.transition(to).map_err(|e| ServiceError::rejected(e.code(), e.to_string()))?;
    // Read inside the transaction: a concurrent move cannot slip a future visit past this.
    if to == VisitStatus::NoShow && current.date > clock.today() {
        return Err(ServiceError::rejected("VISIT_NOT_YET_DUE", "采血日期未到，不能登记为未到场"));
    }
    let mut changed: visit::ActiveModel = current.clone().into();
    changed.status = Set(to);
    changed.updated_at = Set(clock.now());
    let changed = changed.update(&txn).await?;
    totals::visit_changed(&txn, Some(&current), Some(&changed)).await?;
    record_change(&txn, clock, actor, action, &current, &changed).await?;
    if let (VisitStatus::Confirmed, Some(office)) = (to, office) {
        notices::visit_changed(&txn, clock, office, actor, Notice::Confirmed, &changed).await?;
    }
    let v = view(&txn, changed).await?;
    txn.commit().await?;
    Ok(v)
}

pub async fn confirm_visit(
    db: &DatabaseConnection,
    clock: &Clock,
    settings: &BookingSettings,
    actor: &Actor,
    id: VisitId,
) -> Result<VisitView, ServiceError> {
    actor.require(OFFICE)?;
    set_status(db, clock, settings.office.as_ref(), actor, id, VisitStatus::Confirmed, "confirm").await
}

/// The vehicle went and nobody came. Only once the day has come.
pub async fn mark_no_show(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    id: VisitId,
) -> Result<VisitView, ServiceError> {
    actor.require(STAFF)?;
    set_status(db, clock, None, actor, id, VisitStatus::NoShow, "no_show").await
}

pub struct RescheduleInput {
    pub date: NaiveDate,
    pub session: Session,
    pub vehicle_id: Option<VehicleId>,
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
    id: VisitId,
    input: RescheduleInput,
) -> Result<VisitView, ServiceError> {
    actor.require(OFFICE_OR_LIAISON)?;
    crate::services::check_dates([input.date])?;
    let overrides = Overrides::of(actor, input.lead_time_override, input.day_override)?;
    let txn = crate::db::begin_write(db).await?;
    let current = visit_for_change(&txn, actor, id).await?;
    let status = current.status;
    if !matches!(status, VisitStatus::Requested | VisitStatus::Confirmed) {
        return Err(ServiceError::rejected(
            "INVALID_TRANSITION",
            format!("「{}」的采血活动不能改期", status.label_zh()),
        ));
    }
    let confirmed = status == VisitStatus::Confirmed;
    booking::may_change_visit(actor.is_office(), confirmed, current.date, clock.today(), settings.policy)
        .map_err(rejection)?;
    let vehicle_id = input.vehicle_id.unwrap_or(current.vehicle_id);
    let expected = input.expected_donors.unwrap_or(current.expected_donors);
    // A move that changes nothing changes nothing: no demotion, no history, no reminders lost.
    if vehicle_id == current.vehicle_id
        && input.date == current.date
        && input.session == current.session
        && expected == current.expected_donors
    {
        let v = view(&txn, current).await?;
        txn.rollback().await?;
        return Ok(v);
    }
    let slot = Slot {
        unit_id: current.unit_id,
        vehicle_id,
        date: input.date,
        session: input.session,
        expected_donors: expected,
    };
    let checked = check_rules(&txn, clock.today(), settings, slot, &overrides).await?;
    // The visit keeps its sub-unit, which belongs to one year's breakdown.
    let kept = current.sub_unit_id;
    sub_units::check(&txn, actor, kept, current.unit_id, input.date.year(), kept).await?;
    // A liaison's move of a confirmed visit asks for it again: it counts like a new request.
    if actor.role == Role::Liaison && confirmed {
        let cap = settings.max_requested_visits;
        crate::services::booking_limit::check(
            &txn,
            cap,
            current.unit_id,
            checked.quota,
            checked.capacity_per_day,
        )
        .await?;
    }
    free_slots(&txn, id).await?;
    let mut changed: visit::ActiveModel = current.clone().into();
    changed.vehicle_id = Set(vehicle_id);
    changed.date = Set(input.date);
    changed.session = Set(input.session);
    changed.expected_donors = Set(expected);
    if actor.role == Role::Liaison {
        changed.status = Set(VisitStatus::Requested);
    }
    changed.updated_at = Set(clock.now());
    let changed = changed.update(&txn).await?;
    totals::visit_changed(&txn, Some(&current), Some(&changed)).await?;
    take_slots(&txn, &changed, input.session).await?;
    // A reminder names the old date: withdraw it; the new date gets its own.
    crate::services::outbox::cancel_for_visit(&txn, id, "采血活动已改期").await?;
    let mut after = visit_json(&changed);
    overrides.add_to(&mut after);
    Change::new("visit", changed.id, "reschedule", actor)
        .before(visit_json(&current))
        .after(after)
        .record(&txn, clock)
        .await?;
    if let (Role::Office, Some(office)) = (actor.role, &settings.office) {
        let notice = Notice::Moved { before: &current };
        notices::visit_changed(&txn, clock, office, actor, notice, &changed).await?;
    }
    let v = view(&txn, changed).await?;
    txn.commit().await?;
    Ok(v)
}
