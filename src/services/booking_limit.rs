//! The per-holder cap on requested visits (see `domain::booking_limit`), checked inside the
//! booking's transaction.
use sea_orm::sea_query::LockType;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect,
};

use super::ServiceError;
use crate::db::entities::{unit, visit};
use crate::domain::booking_limit::{limit_message, requested_visits_limit, BOOKING_LIMIT};
use crate::domain::ids::UnitId;
use crate::domain::visit::VisitStatus;

/// Refuses a liaison's booking when the holder already has its cap of requested visits, the
/// cap following from the holder's `quota` and the vehicle's `capacity_per_day` (as the
/// booking rules read them in this transaction). On PostgreSQL the holder's row is locked
/// first, so that parallel bookings for one holder count one after another; SQLite's write
/// transaction already runs them one at a time.
pub async fn check(
    txn: &DatabaseTransaction,
    configured: Option<i64>,
    unit_id: UnitId,
    quota: i64,
    capacity_per_day: i64,
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
    let limit = requested_visits_limit(quota, capacity_per_day, configured);
    if requested >= limit {
        return Err(ServiceError::rejected(BOOKING_LIMIT, limit_message(limit)));
    }
    Ok(())
}
