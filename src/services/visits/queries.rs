//! Reading visits: one, a filtered page, and the donors a holder has booked.
use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};

use super::{view, view_with, VisitView};
use crate::db::entities::{plan_quota, unit, vehicle, visit};
use crate::domain::auth::Actor;
use crate::domain::ids::{UnitId, VehicleId, VisitId};
use crate::domain::visit::VisitStatus;
use crate::domain::Section;
use crate::services::{Page, ServiceError};

pub async fn visit_by_id(
    db: &DatabaseConnection,
    actor: &Actor,
    id: VisitId,
) -> Result<VisitView, ServiceError> {
    let found = visit::Entity::find_by_id(id).one(db).await?;
    actor.may_read_record(found.as_ref().map(|v| v.unit_id))?;
    view(db, found.ok_or_else(|| ServiceError::not_found(crate::services::noun::VISIT, id))?).await
}

#[derive(Debug, Clone, Default)]
pub struct VisitFilter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub statuses: Vec<VisitStatus>,
    pub section: Option<Section>,
    pub unit_id: Option<UnitId>,
    pub vehicle_id: Option<VehicleId>,
}

/// Visits in date order. A liaison sees only their own holder's, whatever the filter says.
pub async fn list_visits(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: &VisitFilter,
    page: Page,
) -> Result<(u64, Vec<VisitView>), ServiceError> {
    crate::services::check_dates(filter.from.into_iter().chain(filter.to))?;
    let own_unit = actor.holder_scope()?.or(filter.unit_id);
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
    let vehicles: std::collections::HashMap<VehicleId, String> =
        vehicle::Entity::find().all(db).await?.into_iter().map(|v| (VehicleId(v.id), v.name)).collect();
    let views = rows
        .into_iter()
        .map(|(v, u)| {
            let vehicle_name = vehicles.get(&v.vehicle_id).cloned().unwrap_or_default();
            view_with(v, u.map(|u| u.name).unwrap_or_default(), vehicle_name)
        })
        .collect();
    Ok((total, views))
}

/// How many visits one vehicle's calendar lists at most.
pub const CALENDAR_ROWS: u64 = 500;

/// Each vehicle's visits in `[from, to]`, in date order, at most [`CALENDAR_ROWS`] per
/// vehicle: the calendars of a whole fleet in one query (and one for the vehicles' names).
/// A liaison sees only their own holder's visits, as in [`list_visits`].
pub async fn vehicle_calendars(
    db: &DatabaseConnection,
    actor: &Actor,
    vehicle_ids: &[VehicleId],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<HashMap<VehicleId, Vec<VisitView>>, ServiceError> {
    crate::services::check_dates([from, to])?;
    let own_unit = actor.holder_scope()?;
    let in_range = Condition::all()
        .add(visit::Column::VehicleId.is_in(vehicle_ids.iter().copied()))
        .add(visit::Column::Date.gte(from))
        .add(visit::Column::Date.lte(to))
        .add_option(own_unit.map(|u| visit::Column::UnitId.eq(u)));
    let first = crate::db::first_per_key::<visit::Entity>(
        visit::Column::Id,
        visit::Column::VehicleId,
        in_range,
        &[(visit::Column::Date, Order::Asc), (visit::Column::Id, Order::Asc)],
        CALENDAR_ROWS,
    );
    let rows = visit::Entity::find()
        .filter(visit::Column::Id.in_subquery(first))
        .order_by_asc(visit::Column::Date)
        .order_by_asc(visit::Column::Id)
        .find_also_related(unit::Entity)
        .all(db)
        .await?;
    let names = crate::services::vehicles::names_of(db, vehicle_ids.iter().copied()).await?;
    let mut calendars: HashMap<VehicleId, Vec<VisitView>> = HashMap::new();
    for (v, u) in rows {
        let vehicle_name = names.get(&v.vehicle_id).cloned().unwrap_or_default();
        calendars.entry(v.vehicle_id).or_default().push(view_with(
            v,
            u.map(|u| u.name).unwrap_or_default(),
            vehicle_name,
        ));
    }
    Ok(calendars)
}

/// The holder id of a county (section `COUNTY`) by its name.
pub async fn county_unit_id(db: &DatabaseConnection, name: &str) -> Result<UnitId, ServiceError> {
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
