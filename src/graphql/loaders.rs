//! DataLoaders: the lookups a list makes for each of its rows (each visit's vehicle and
//! history, each vehicle's blackouts and calendar, each holder's contact) gathered into one
//! query per list. Built per request (`Loaders::new`, in `http::graphql`) with the caller, so
//! nothing is cached from one request to the next and a batch is read as the caller may.
//!
//! A loader runs its batch in a task of its own: its error is handed back to every row as
//! it came from the service and turned into the client's error in the row's resolver, where
//! an error that every row meets is logged once for the request.
use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use async_graphql::Context;
use chrono::NaiveDate;
use sea_orm::DatabaseConnection;

use super::plan::Unit;
use super::vehicles::Vehicle;
use crate::db::entities::{vehicle, vehicle_blackout};
use crate::domain::auth::Actor;
use crate::domain::ids::{SubUnitId, UnitId, VehicleId};
use crate::error::{ApiError, ApiResult};
use crate::services::audit::{self, AuditEntry};
use crate::services::collections::{self, RevisionView};
use crate::services::contacts::{self, ContactView};
use crate::services::fulfilment::{self, SubUnitProgress};
use crate::services::plans::{self, SectionSummary, UnitView};
use crate::services::visits::{self, VisitView};
use crate::services::{calendars, noun, population, sub_units, vehicles, ServiceError};

/// A service error shared by every row of a failed batch.
type Shared = Arc<ServiceError>;

fn shared(e: ServiceError) -> Shared {
    Arc::new(e)
}

/// The caller a batch is read for; the guards refused anonymous callers before any loads.
fn caller(actor: &Option<Actor>) -> Result<&Actor, Shared> {
    actor.as_ref().ok_or_else(|| shared(ServiceError::Forbidden))
}

/// A loader that hands its whole batch of keys to one service function, `load(db, keys)`,
/// or, declared `as caller`, `load(db, actor, keys)`; the function answers a map by key.
macro_rules! batch_loader {
    ($(#[$doc:meta])* $name:ident: $key:ty => $value:ty, $load:path) => {
        $(#[$doc])*
        pub struct $name(DatabaseConnection);

        batch_loader!(@impl $name: $key => $value, |this, keys| $load(&this.0, keys));
    };
    ($(#[$doc:meta])* $name:ident: $key:ty => $value:ty, $load:path, as caller) => {
        $(#[$doc])*
        pub struct $name {
            db: DatabaseConnection,
            actor: Option<Actor>,
        }

        batch_loader!(@impl $name: $key => $value, |this, keys| $load(&this.db, caller(&this.actor)?, keys));
    };
    (@impl $name:ident: $key:ty => $value:ty, |$this:ident, $keys:ident| $load:expr) => {
        impl Loader<$key> for $name {
            type Value = $value;
            type Error = Shared;

            async fn load(&self, $keys: &[$key]) -> Result<HashMap<$key, $value>, Shared> {
                let $this = self;
                $load.await.map_err(shared)
            }
        }
    };
}

batch_loader!(VehicleLoader: i32 => vehicle::Model, vehicles::find_many);

batch_loader!(UnitLoader: i32 => UnitView, plans::units_by_ids);

/// Each visit's history, by visit id.
pub struct VisitHistoryLoader(DatabaseConnection);

impl Loader<i32> for VisitHistoryLoader {
    type Value = Vec<AuditEntry>;
    type Error = Shared;

    async fn load(&self, ids: &[i32]) -> Result<HashMap<i32, Vec<AuditEntry>>, Shared> {
        let keys: Vec<String> = ids.iter().map(i32::to_string).collect();
        let found = audit::histories(&self.0, "visit", &keys).await.map_err(shared)?;
        Ok(found.into_iter().filter_map(|(id, rows)| Some((id.parse().ok()?, rows))).collect())
    }
}

batch_loader!(
    /// Each collection record's revisions, by record id.
    RevisionLoader: i32 => Vec<RevisionView>,
    collections::revisions_of
);

batch_loader!(
    /// Each vehicle's blackouts, by vehicle id.
    BlackoutLoader: VehicleId => Vec<vehicle_blackout::Model>,
    vehicles::blackouts_of_many
);

/// A vehicle's calendar over a date range: the vehicle id, from, to.
type CalendarKey = (VehicleId, NaiveDate, NaiveDate);

/// Each vehicle's visits in a date range, one query per range the request asks for (one,
/// unless aliases ask for several). A range the service refuses (a date out of bounds)
/// fails only the rows that asked for it.
pub struct VehicleCalendarLoader {
    db: DatabaseConnection,
    actor: Option<Actor>,
}

impl Loader<CalendarKey> for VehicleCalendarLoader {
    type Value = Result<Vec<VisitView>, Shared>;
    type Error = Shared;

    async fn load(&self, keys: &[CalendarKey]) -> Result<HashMap<CalendarKey, Self::Value>, Shared> {
        let actor = caller(&self.actor)?;
        let mut ranges: HashMap<(NaiveDate, NaiveDate), Vec<VehicleId>> = HashMap::new();
        for &(vehicle_id, from, to) in keys {
            ranges.entry((from, to)).or_default().push(vehicle_id);
        }
        let mut loaded = HashMap::with_capacity(keys.len());
        for ((from, to), ids) in ranges {
            match visits::vehicle_calendars(&self.db, actor, &ids, from, to).await {
                Ok(mut calendars) => loaded.extend(
                    ids.iter().map(|&id| ((id, from, to), Ok(calendars.remove(&id).unwrap_or_default()))),
                ),
                Err(e) => {
                    let e = shared(e);
                    loaded.extend(ids.iter().map(|&id| ((id, from, to), Err(Arc::clone(&e)))));
                }
            }
        }
        Ok(loaded)
    }
}

batch_loader!(
    /// Each holder's liaison contact, by holder id, read as the caller.
    ContactLoader: UnitId => ContactView,
    contacts::contacts_of,
    as caller
);

batch_loader!(
    /// Each holder's calendar feed token, by holder id, read as the caller.
    UnitCalendarLoader: UnitId => String,
    calendars::unit_calendar_tokens,
    as caller
);

batch_loader!(
    /// Each plan's import warnings, by plan id.
    PlanWarningLoader: i32 => Vec<String>,
    plans::warnings_of
);

batch_loader!(
    /// Each plan's section totals, by plan id.
    PlanSectionLoader: i32 => Vec<SectionSummary>,
    plans::section_summaries_of
);

/// Whose sub-units, and as of when: the holder, the year, the as-of date, the margin.
pub type SubUnitFiguresKey = (UnitId, i32, NaiveDate, i64);

/// Each holder's sub-units with their figures, one statement per scope a request asks about
/// (one, unless aliases ask for several years or dates), read as the caller: another
/// holder's liaison gets none.
pub struct SubUnitFiguresLoader {
    db: DatabaseConnection,
    actor: Option<Actor>,
}

impl Loader<SubUnitFiguresKey> for SubUnitFiguresLoader {
    type Value = Vec<SubUnitProgress>;
    type Error = Shared;

    async fn load(
        &self,
        keys: &[SubUnitFiguresKey],
    ) -> Result<HashMap<SubUnitFiguresKey, Vec<SubUnitProgress>>, Shared> {
        let mut scopes: HashMap<(i32, NaiveDate, i64), Vec<UnitId>> = HashMap::new();
        for &(unit_id, year, as_of, margin) in keys {
            scopes.entry((year, as_of, margin)).or_default().push(unit_id);
        }
        let actor = caller(&self.actor)?;
        let mut loaded = HashMap::with_capacity(keys.len());
        for ((year, as_of, margin), ids) in scopes {
            let mut found =
                fulfilment::sub_units(&self.db, actor, year, as_of, margin, &ids).await.map_err(shared)?;
            loaded.extend(
                ids.iter().map(|&id| ((id, year, as_of, margin), found.remove(&id).unwrap_or_default())),
            );
        }
        Ok(loaded)
    }
}

/// A county's population of a year: the year and the holder.
type PopulationKey = (i32, UnitId);

/// Each county's resident population, by year and holder: one query per year asked (one,
/// unless aliases ask for several).
pub struct PopulationLoader(DatabaseConnection);

impl Loader<PopulationKey> for PopulationLoader {
    type Value = i64;
    type Error = Shared;

    async fn load(&self, keys: &[PopulationKey]) -> Result<HashMap<PopulationKey, i64>, Shared> {
        let mut years: HashMap<i32, Vec<UnitId>> = HashMap::new();
        for &(year, unit_id) in keys {
            years.entry(year).or_default().push(unit_id);
        }
        let mut loaded = HashMap::with_capacity(keys.len());
        for (year, ids) in years {
            let found = population::county_populations(&self.0, year, &ids).await.map_err(shared)?;
            loaded.extend(found.into_iter().map(|(unit_id, p)| ((year, unit_id), p)));
        }
        Ok(loaded)
    }
}

batch_loader!(
    /// Each sub-unit's name, by id.
    SubUnitNameLoader: SubUnitId => String,
    sub_units::names_of
);

type Batched<T> = Arc<DataLoader<T, HashMapCache>>;

fn batched<T: Send + Sync + 'static>(loader: T) -> Batched<T> {
    Arc::new(DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default()))
}

/// The loaders of one request, shared by every operation of a batch.
#[derive(Clone)]
pub struct Loaders {
    vehicles: Batched<VehicleLoader>,
    units: Batched<UnitLoader>,
    visit_histories: Batched<VisitHistoryLoader>,
    revisions: Batched<RevisionLoader>,
    blackouts: Batched<BlackoutLoader>,
    vehicle_calendars: Batched<VehicleCalendarLoader>,
    contacts: Batched<ContactLoader>,
    unit_calendars: Batched<UnitCalendarLoader>,
    plan_warnings: Batched<PlanWarningLoader>,
    plan_sections: Batched<PlanSectionLoader>,
    sub_unit_figures: Batched<SubUnitFiguresLoader>,
    sub_unit_names: Batched<SubUnitNameLoader>,
    populations: Batched<PopulationLoader>,
}

impl Loaders {
    /// The loaders of a request made by `actor` (`None`: not signed in).
    pub fn new(db: &DatabaseConnection, actor: Option<&Actor>) -> Loaders {
        let actor = actor.cloned();
        Loaders {
            vehicles: batched(VehicleLoader(db.clone())),
            units: batched(UnitLoader(db.clone())),
            visit_histories: batched(VisitHistoryLoader(db.clone())),
            revisions: batched(RevisionLoader(db.clone())),
            blackouts: batched(BlackoutLoader(db.clone())),
            vehicle_calendars: batched(VehicleCalendarLoader { db: db.clone(), actor: actor.clone() }),
            contacts: batched(ContactLoader { db: db.clone(), actor: actor.clone() }),
            unit_calendars: batched(UnitCalendarLoader { db: db.clone(), actor: actor.clone() }),
            plan_warnings: batched(PlanWarningLoader(db.clone())),
            plan_sections: batched(PlanSectionLoader(db.clone())),
            sub_unit_figures: batched(SubUnitFiguresLoader { db: db.clone(), actor }),
            sub_unit_names: batched(SubUnitNameLoader(db.clone())),
            populations: batched(PopulationLoader(db.clone())),
        }
    }
}

fn loaders<'a>(ctx: &Context<'a>) -> ApiResult<&'a Loaders> {
    ctx.data::<Loaders>().map_err(|_| ApiError::internal(&"a request without its data loaders").into())
}

/// The client's error for a batch that failed.
fn failed(e: Shared) -> async_graphql::Error {
    ApiError::from(&*e).into()
}

/// The vehicle `id`, loaded with every other vehicle the request's rows ask for.
pub async fn vehicle(ctx: &Context<'_>, id: i32) -> ApiResult<Vehicle> {
    let found = loaders(ctx)?.vehicles.load_one(id).await.map_err(failed)?;
    Ok(Vehicle(found.ok_or_else(|| ServiceError::not_found(noun::VEHICLE, id))?))
}

/// The holder `id`, loaded with every other holder the request's rows ask for.
pub async fn unit(ctx: &Context<'_>, id: i32) -> ApiResult<Unit> {
    let found = loaders(ctx)?.units.load_one(id).await.map_err(failed)?;
    Ok(Unit::from(found.ok_or_else(|| ServiceError::not_found(noun::UNIT, id))?))
}

/// The visit's history (its latest records, oldest first), with every other visit's.
pub async fn visit_history(ctx: &Context<'_>, visit_id: i32) -> ApiResult<Vec<AuditEntry>> {
    Ok(loaders(ctx)?.visit_histories.load_one(visit_id).await.map_err(failed)?.unwrap_or_default())
}

/// The record's revisions, oldest first, with every other record's.
pub async fn revisions(ctx: &Context<'_>, collection_id: i32) -> ApiResult<Vec<RevisionView>> {
    Ok(loaders(ctx)?.revisions.load_one(collection_id).await.map_err(failed)?.unwrap_or_default())
}

/// The vehicle's blackouts, earliest first, with every other vehicle's.
pub async fn blackouts(ctx: &Context<'_>, vehicle_id: VehicleId) -> ApiResult<Vec<vehicle_blackout::Model>> {
    Ok(loaders(ctx)?.blackouts.load_one(vehicle_id).await.map_err(failed)?.unwrap_or_default())
}

/// The vehicle's visits in `[from, to]`, with every other vehicle's over the same range.
pub async fn vehicle_calendar(
    ctx: &Context<'_>,
    vehicle_id: VehicleId,
    from: NaiveDate,
    to: NaiveDate,
) -> ApiResult<Vec<VisitView>> {
    let found = loaders(ctx)?.vehicle_calendars.load_one((vehicle_id, from, to)).await.map_err(failed)?;
    found.unwrap_or(Ok(Vec::new())).map_err(failed)
}

/// The holder's contact, with every other holder's; the caller checked they may read it.
pub async fn contact(ctx: &Context<'_>, unit_id: UnitId) -> ApiResult<Option<ContactView>> {
    loaders(ctx)?.contacts.load_one(unit_id).await.map_err(failed)
}

/// The holder's feed token, with every other holder's; the caller checked they may read it.
pub async fn unit_calendar_token(ctx: &Context<'_>, unit_id: UnitId) -> ApiResult<String> {
    let found = loaders(ctx)?.unit_calendars.load_one(unit_id).await.map_err(failed)?;
    Ok(found.ok_or_else(|| calendars::no_unit_calendar(unit_id))?)
}

/// The plan's import warnings, with every other plan's.
pub async fn plan_warnings(ctx: &Context<'_>, plan_id: i32) -> ApiResult<Vec<String>> {
    Ok(loaders(ctx)?.plan_warnings.load_one(plan_id).await.map_err(failed)?.unwrap_or_default())
}

/// The plan's sections with their totals, with every other plan's.
pub async fn plan_sections(ctx: &Context<'_>, plan_id: i32) -> ApiResult<Vec<SectionSummary>> {
    Ok(loaders(ctx)?.plan_sections.load_one(plan_id).await.map_err(failed)?.unwrap_or_default())
}

/// A holder's sub-units with their figures, with every other holder's of the list.
pub async fn sub_unit_figures(ctx: &Context<'_>, key: SubUnitFiguresKey) -> ApiResult<Vec<SubUnitProgress>> {
    Ok(loaders(ctx)?.sub_unit_figures.load_one(key).await.map_err(failed)?.unwrap_or_default())
}

/// A sub-unit's name, with every other sub-unit's a list names.
pub async fn sub_unit_name(ctx: &Context<'_>, id: SubUnitId) -> ApiResult<Option<String>> {
    loaders(ctx)?.sub_unit_names.load_one(id).await.map_err(failed)
}

/// The county's resident population entered for `year`, with every other row's.
pub async fn county_population(ctx: &Context<'_>, year: i32, unit_id: UnitId) -> ApiResult<Option<i64>> {
    loaders(ctx)?.populations.load_one((year, unit_id)).await.map_err(failed)
}
