//! Collection vehicles and their blackout periods, managed by the office and the station.
use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
};
use serde_json::json;

use super::audit::Change;
use super::ServiceError;
use crate::clock::Clock;
use crate::db::entities::{vehicle, vehicle_blackout, visit};
use crate::domain::auth::{Actor, STAFF};
use crate::domain::ids::VehicleId;
use crate::domain::text::check_text;
use crate::domain::visit::VisitStatus;

pub mod codes {
    error_codes! {
        VEHICLE_NAME_TAKEN,
        BLACKOUT_CONFLICT,
        VEHICLE_HAS_VISITS,
    }
}

pub const DEFAULT_CAPACITY_PER_DAY: i32 = 60;
pub const DEFAULT_HOME_STATION: &str = "咸宁市中心血站";
const MAX_CAPACITY_PER_DAY: i32 = 500;

fn vehicle_json(v: &vehicle::Model) -> serde_json::Value {
    json!({ "name": v.name, "capacityPerDay": v.capacity_per_day, "homeStation": v.home_station, "active": v.active })
}

fn check_fields(name: &str, capacity: i32, home_station: &str) -> Result<(), ServiceError> {
    if name.trim().is_empty() || name.chars().count() > 100 {
        return Err(ServiceError::BadInput("车辆名称或车牌不能为空，且不超过 100 个字".into()));
    }
    if !(1..=MAX_CAPACITY_PER_DAY).contains(&capacity) {
        return Err(ServiceError::BadInput(format!("每日采血人数上限须在 1 到 {MAX_CAPACITY_PER_DAY} 之间")));
    }
    if home_station.trim().is_empty() {
        return Err(ServiceError::BadInput("所属血站不能为空".into()));
    }
    check_text(name, 100).map_err(|why| ServiceError::BadInput(format!("车辆名称或车牌{why}")))?;
    check_text(home_station, 100).map_err(|why| ServiceError::BadInput(format!("所属血站{why}")))?;
    Ok(())
}

fn name_taken(e: sea_orm::DbErr, name: &str) -> ServiceError {
    if crate::db::is_unique_violation(&e) {
        ServiceError::rejected(codes::VEHICLE_NAME_TAKEN, format!("已有名为 \"{name}\" 的采血车"))
    } else {
        e.into()
    }
}

pub struct VehicleInput {
    pub name: String,
    pub capacity_per_day: Option<i32>,
    pub home_station: Option<String>,
}

pub async fn create_vehicle(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    input: VehicleInput,
) -> Result<vehicle::Model, ServiceError> {
    actor.require(STAFF)?;
    let name = input.name.trim().to_owned();
    let capacity = input.capacity_per_day.unwrap_or(DEFAULT_CAPACITY_PER_DAY);
    let home = input.home_station.map_or_else(|| DEFAULT_HOME_STATION.to_owned(), |h| h.trim().to_owned());
    check_fields(&name, capacity, &home)?;
    let txn = crate::db::begin_write(db).await?;
    let created = vehicle::ActiveModel {
        name: Set(name.clone()),
        capacity_per_day: Set(capacity),
        home_station: Set(home),
        active: Set(true),
        calendar_token: Set(super::random_token()),
        created_at: Set(clock.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| name_taken(e, &name))?;
    Change::new("vehicle", created.id, "create", actor)
        .after(vehicle_json(&created))
        .record(&txn, clock)
        .await?;
    txn.commit().await?;
    Ok(created)
}

pub struct VehicleChanges {
    pub name: Option<String>,
    pub capacity_per_day: Option<i32>,
    pub home_station: Option<String>,
    pub active: Option<bool>,
}

pub async fn update_vehicle(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    id: VehicleId,
    changes: VehicleChanges,
) -> Result<vehicle::Model, ServiceError> {
    actor.require(STAFF)?;
    let txn = crate::db::begin_write(db).await?;
    // Locked before its visits are read: a booking that commits meanwhile is seen.
    let current = lock(&txn, id).await?;
    let name = changes.name.map_or_else(|| current.name.clone(), |n| n.trim().to_owned());
    let capacity = changes.capacity_per_day.unwrap_or(current.capacity_per_day);
    let home = changes.home_station.map_or_else(|| current.home_station.clone(), |h| h.trim().to_owned());
    check_fields(&name, capacity, &home)?;
    let deactivating = current.active && changes.active == Some(false);
    if deactivating || capacity < current.capacity_per_day {
        stranded_visits(&txn, clock, &current, deactivating, capacity).await?;
    }
    let before = vehicle_json(&current);
    let mut changed: vehicle::ActiveModel = current.into();
    changed.name = Set(name.clone());
    changed.capacity_per_day = Set(capacity);
    changed.home_station = Set(home);
    if let Some(active) = changes.active {
        changed.active = Set(active);
    }
    let changed = changed.update(&txn).await.map_err(|e| name_taken(e, &name))?;
    Change::new("vehicle", id, "update", actor)
        .before(before)
        .after(vehicle_json(&changed))
        .record(&txn, clock)
        .await?;
    txn.commit().await?;
    Ok(changed)
}

/// Refuses a deactivation, or a capacity cut, that would strand live visits from today on:
/// each is listed, for the office to move or cancel first.
async fn stranded_visits(
    txn: &impl ConnectionTrait,
    clock: &Clock,
    current: &vehicle::Model,
    deactivating: bool,
    capacity: i32,
) -> Result<(), ServiceError> {
    let live = visit::Entity::find()
        .filter(visit::Column::VehicleId.eq(current.id))
        .filter(visit::Column::Date.gte(clock.today()))
        .filter(visit::Column::Status.is_in([VisitStatus::Requested.code(), VisitStatus::Confirmed.code()]))
        .order_by_asc(visit::Column::Date)
        .order_by_asc(visit::Column::Id)
        .all(txn)
        .await?;
    let stranded: Vec<String> = live
        .iter()
        .filter_map(|v| {
            let session = v.session;
            let over = v.expected_donors > session.capacity(capacity);
            (deactivating || over).then(|| {
                format!("编号{}：{} {} 预计{}人", v.id, v.date, session.label_zh(), v.expected_donors)
            })
        })
        .collect();
    if stranded.is_empty() {
        return Ok(());
    }
    let what = if deactivating {
        "停用该车".to_owned()
    } else {
        format!("将每日采血人数上限改为{capacity}")
    };
    Err(ServiceError::rejected(
        codes::VEHICLE_HAS_VISITS,
        format!("{what}会影响{}次已安排的出车（{}），请先改期或取消", stranded.len(), stranded.join("；")),
    ))
}

/// Reads a vehicle and holds its row until the transaction ends, so that a booking or move
/// onto it and a deactivation or capacity cut of it happen one after the other, never side
/// by side. A write transaction locks one vehicle, except a schedule's publish, which locks
/// all of its vehicles in ascending id order before it writes anything: so two of them cannot
/// wait on each other. On PostgreSQL this is `SELECT … FOR UPDATE`; SQLite has no row locks, but
/// every write transaction there is `BEGIN IMMEDIATE`, which already serialises writers.
pub async fn lock(txn: &DatabaseTransaction, id: VehicleId) -> Result<vehicle::Model, ServiceError> {
    let postgres = txn.get_database_backend() != DbBackend::Sqlite;
    vehicle::Entity::find_by_id(id)
        .apply_if(postgres.then_some(()), |q, _| q.lock_exclusive())
        .one(txn)
        .await?
        .ok_or_else(|| ServiceError::not_found(super::noun::VEHICLE, id))
}

pub async fn find(db: &impl ConnectionTrait, id: VehicleId) -> Result<vehicle::Model, ServiceError> {
    super::find_or_not_found(db, vehicle::Entity, id, super::noun::VEHICLE).await
}

/// Vehicles by id, in one query however many ids; unknown ids are left out.
pub async fn find_many(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<std::collections::HashMap<i32, vehicle::Model>, ServiceError> {
    let found =
        vehicle::Entity::find().filter(vehicle::Column::Id.is_in(ids.iter().copied())).all(db).await?;
    Ok(found.into_iter().map(|v| (v.id, v)).collect())
}

/// The names of the vehicles `ids`, by id; an id that names no vehicle is left out.
pub(crate) async fn names_of(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = VehicleId>,
) -> Result<std::collections::HashMap<VehicleId, String>, sea_orm::DbErr> {
    let found = vehicle::Entity::find().filter(vehicle::Column::Id.is_in(ids)).all(db).await?;
    Ok(found.into_iter().map(|v| (VehicleId(v.id), v.name)).collect())
}

pub async fn list(db: &DatabaseConnection) -> Result<Vec<vehicle::Model>, ServiceError> {
    Ok(vehicle::Entity::find().order_by_asc(vehicle::Column::Id).all(db).await?)
}

pub async fn blackouts_of(
    db: &impl ConnectionTrait,
    vehicle_id: VehicleId,
) -> Result<Vec<vehicle_blackout::Model>, ServiceError> {
    Ok(vehicle_blackout::Entity::find()
        .filter(vehicle_blackout::Column::VehicleId.eq(vehicle_id))
        .order_by_asc(vehicle_blackout::Column::FromDate)
        .all(db)
        .await?)
}

/// The blackouts of each vehicle `ids`, earliest first, in one query however many ids; a
/// vehicle without any is left out.
pub async fn blackouts_of_many(
    db: &impl ConnectionTrait,
    ids: &[VehicleId],
) -> Result<std::collections::HashMap<VehicleId, Vec<vehicle_blackout::Model>>, ServiceError> {
    let rows = vehicle_blackout::Entity::find()
        .filter(vehicle_blackout::Column::VehicleId.is_in(ids.iter().copied()))
        .order_by_asc(vehicle_blackout::Column::VehicleId)
        .order_by_asc(vehicle_blackout::Column::FromDate)
        .order_by_asc(vehicle_blackout::Column::Id)
        .all(db)
        .await?;
    let mut of: std::collections::HashMap<VehicleId, Vec<vehicle_blackout::Model>> = Default::default();
    for b in rows {
        of.entry(b.vehicle_id).or_default().push(b);
    }
    Ok(of)
}

pub struct BlackoutInput {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub reason: String,
}

/// Takes a vehicle out of service for a period. Refused while live visits fall in it: they
/// must be moved or cancelled first, so that nobody is left expecting a vehicle.
pub async fn add_blackout(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    vehicle_id: VehicleId,
    input: BlackoutInput,
) -> Result<vehicle_blackout::Model, ServiceError> {
    actor.require(STAFF)?;
    super::check_dates([input.from, input.to])?;
    if input.from > input.to {
        return Err(ServiceError::BadInput("停用开始日期不能晚于结束日期".into()));
    }
    let reason = input.reason.trim().to_owned();
    check_text(&reason, 200).map_err(|why| ServiceError::BadInput(format!("停用原因{why}")))?;
    if reason.is_empty() {
        return Err(ServiceError::BadInput("请填写停用原因".into()));
    }
    let txn = crate::db::begin_write(db).await?;
    lock(&txn, vehicle_id).await?;
    let clashes = visit::Entity::find()
        .filter(visit::Column::VehicleId.eq(vehicle_id))
        .filter(visit::Column::Date.between(input.from, input.to))
        .filter(visit::Column::Status.is_in([VisitStatus::Requested.code(), VisitStatus::Confirmed.code()]))
        .order_by_asc(visit::Column::Date)
        .all(&txn)
        .await?;
    if !clashes.is_empty() {
        let dates: Vec<String> = clashes.iter().map(|v| v.date.to_string()).collect();
        return Err(ServiceError::rejected(
            codes::BLACKOUT_CONFLICT,
            format!("该车在此期间已有 {} 次出车安排 ({})，请先改期或取消", clashes.len(), dates.join(", ")),
        ));
    }
    let created = vehicle_blackout::ActiveModel {
        vehicle_id: Set(vehicle_id),
        from_date: Set(input.from),
        to_date: Set(input.to),
        reason: Set(reason),
        created_at: Set(clock.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    Change::new("vehicle_blackout", created.id, "create", actor).after(json!({ "vehicleId": vehicle_id, "from": created.from_date, "to": created.to_date, "reason": created.reason })).record(&txn, clock)
    .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn remove_blackout(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    id: i32,
) -> Result<(), ServiceError> {
    actor.require(STAFF)?;
    let txn = crate::db::begin_write(db).await?;
    let found = super::find_or_not_found(&txn, vehicle_blackout::Entity, id, super::noun::BLACKOUT).await?;
    vehicle_blackout::Entity::delete_by_id(id).exec(&txn).await?;
    Change::new("vehicle_blackout", id, "delete", actor).before(json!({ "vehicleId": found.vehicle_id, "from": found.from_date, "to": found.to_date, "reason": found.reason })).record(&txn, clock)
    .await?;
    txn.commit().await?;
    Ok(())
}
