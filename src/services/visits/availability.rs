//! The free sessions of the vehicles over a range of days.

use chrono::{Datelike, NaiveDate};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QueryTrait};

use crate::db::entities::{unit, vehicle, vehicle_blackout, visit_slot};
use crate::domain::booking::{self, Blackout};
use crate::domain::ids::{UnitId, VehicleId};
use crate::domain::visit::Session;
use crate::services::ServiceError;

use super::{codes, quota_in_year, BookingSettings};

pub const MAX_RANGE_DAYS: i64 = 92;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreeSession {
    pub vehicle_id: VehicleId,
    pub vehicle_name: String,
    pub date: NaiveDate,
    pub session: Session,
}

/// The free sessions of active vehicles (or one vehicle) in `[from, to]` that a booking made
/// on `today` may take: past the lead time, in years with a work calendar, working days only,
/// holidays and vehicle blackouts left out, make-up working days included. With `for_unit`
/// (a liaison's own holder) only the years that holder has a quota in, and its weekends if
/// it accepts weekend visits.
pub async fn availability(
    db: &DatabaseConnection,
    settings: &BookingSettings,
    today: NaiveDate,
    from: NaiveDate,
    to: NaiveDate,
    vehicle_id: Option<VehicleId>,
    for_unit: Option<UnitId>,
) -> Result<Vec<FreeSession>, ServiceError> {
    crate::services::check_dates([from, to])?;
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
    let with_blackouts: Vec<(VehicleId, Vec<Blackout>)> = vehicles
        .iter()
        .map(|v| {
            let own = blackouts
                .iter()
                .filter(|b| b.vehicle_id == VehicleId(v.id))
                .map(|b| Blackout { from: b.from_date, to: b.to_date, reason: b.reason.clone() })
                .collect();
            (VehicleId(v.id), own)
        })
        .collect();
    let taken = visit_slot::Entity::find()
        .filter(visit_slot::Column::VehicleId.is_in(ids))
        .filter(visit_slot::Column::Date.between(from, to))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (VehicleId(s.vehicle_id), s.date, s.half_day))
        .collect();
    let names: std::collections::HashMap<VehicleId, String> =
        vehicles.into_iter().map(|v| (VehicleId(v.id), v.name)).collect();
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
