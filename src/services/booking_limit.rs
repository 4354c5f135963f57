//! The per-holder cap on requested visits (see `domain::booking_limit`), checked inside the
//! booking's transaction.
use chrono::{Datelike, NaiveDate};
use sea_orm::sea_query::LockType;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, JoinType, PaginatorTrait,
    QueryFilter, QuerySelect, RelationTrait,
};

use super::ServiceError;
use crate::db::entities::{plan, plan_quota, unit, vehicle, visit};
use crate::domain::booking_limit::{limit_message, requested_visits_limit, BOOKING_LIMIT};
use crate::domain::ids::{UnitId, VehicleId};
use crate::domain::visit::VisitStatus;

/// Refuses a liaison's booking when the holder already has its cap of requested visits.
/// On PostgreSQL the holder's row is locked first, so that parallel bookings for one holder
/// count one after another; SQLite's write transaction already runs them one at a time.
pub async fn check(
    txn: &DatabaseTransaction,
    configured: Option<i64>,
    unit_id: UnitId,
    vehicle_id: VehicleId,
    date: NaiveDate,
) -> Result<(), ServiceError> {
    if txn.get_database_backend() != DbBackend::Sqlite {
        unit::Entity::find_by_id(unit_id)
            .select_only()
            .column(unit::Column::Id)
            .lock(LockType::Update)
            .into_tuple::<i32>()
            .one(txn)
            .await?;
    }
    let requested = visit::Entity::find()
        .filter(visit::Column::UnitId.eq(unit_id))
        .filter(visit::Column::Status.eq(VisitStatus::Requested.code()))
        .count(txn)
        .await? as i64;
    let quota: i64 = plan_quota::Entity::find()
        .join(JoinType::InnerJoin, plan_quota::Relation::Plan.def())
        .filter(plan_quota::Column::UnitId.eq(unit_id))
        .filter(plan::Column::Year.eq(date.year()))
        .all(txn)
        .await?
        .iter()
        .map(|q| i64::from(q.quota))
        .sum();
    let capacity = vehicle::Entity::find_by_id(vehicle_id).one(txn).await?.map_or(0, |v| v.capacity_per_day);
    let limit = requested_visits_limit(quota, i64::from(capacity), configured);
    if requested >= limit {
        return Err(ServiceError::rejected(BOOKING_LIMIT, limit_message(limit)));
    }
    Ok(())
}
