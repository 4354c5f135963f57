//! The GraphQL schema: thin resolvers that authorise, call one service and map its error.
use async_graphql::{EmptySubscription, MergedObject, Schema};

use crate::config::GraphqlLimits;
use crate::state::AppState;

mod accounts;
mod audit;
pub mod auth;
mod breakdowns;
mod calendars;
mod collections;
mod contacts;
mod fulfilment;
mod guards;
pub mod introspection;
pub mod loaders;
mod memo;
mod page;
mod plan;
mod plan_years;
mod population;
mod reminders;
pub mod scalars;
mod schedule;
mod schedule_publish;
pub mod types;
mod vehicles;
mod visits;

#[derive(MergedObject, Default)]
pub struct Query(
    plan::PlanQuery,
    accounts::AccountQuery,
    contacts::ContactQuery,
    audit::AuditQuery,
    vehicles::VehicleQuery,
    visits::VisitQuery,
    collections::CollectionQuery,
    fulfilment::FulfilmentQuery,
    reminders::ReminderQuery,
    breakdowns::BreakdownQuery,
    schedule::ScheduleQuery,
    plan_years::PlanYearQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    accounts::AccountMutation,
    contacts::ContactMutation,
    plan::UnitMutation,
    vehicles::VehicleMutation,
    visits::VisitMutation,
    collections::CollectionMutation,
    reminders::ReminderMutation,
    calendars::CalendarMutation,
    breakdowns::BreakdownMutation,
    population::PopulationMutation,
    plan_years::PlanYearMutation,
    schedule_publish::SchedulePublishMutation,
);

pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

pub fn build_schema(state: Option<AppState>, limits: &GraphqlLimits) -> AppSchema {
    let builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity);
    let builder = if limits.introspection { builder } else { builder.disable_introspection() };
    match state {
        Some(state) => builder.data(state).data(memo::ResolvedMemo::default()).finish(),
        None => builder.finish(),
    }
}

/// A paged list costs its page size times one row: `first` (default 50, at most 500).
pub(crate) fn list_cost(first: Option<i64>, child_complexity: usize) -> usize {
    let rows =
        first.unwrap_or(page::DEFAULT_FIRST).clamp(1, crate::services::Page::MAX_FIRST as i64) as usize;
    rows.saturating_mul(child_complexity.max(1))
}

/// Vehicles assumed for an availability over every vehicle: the limit is checked before the
/// database is read, so it counts a fleet of this size.
const FLEET_ESTIMATE: usize = 10;

/// Free sessions cost days × vehicles × two half-days, each row `child_complexity`: 400
/// aliases of a three-month availability are refused before anything runs.
pub(crate) fn availability_cost(
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    one_vehicle: bool,
    child_complexity: usize,
) -> usize {
    let days = (to - from).num_days().clamp(0, 366) as usize + 1;
    let vehicles = if one_vehicle { 1 } else { FLEET_ESTIMATE };
    days.saturating_mul(vehicles).saturating_mul(2).saturating_mul(child_complexity.max(1))
}

/// The SDL checked in at `schema/schema.graphql`.
pub fn sdl() -> String {
    build_schema(None, &GraphqlLimits::default()).sdl()
}
