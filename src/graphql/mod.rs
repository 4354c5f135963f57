//! The GraphQL schema: thin resolvers that authorise, call one service and map its error.
use async_graphql::{EmptySubscription, MergedObject, Schema};

use crate::config::GraphqlLimits;
use crate::state::AppState;

mod accounts;
mod audit;
pub mod auth;
mod collections;
mod contacts;
mod fulfilment;
mod plan;
mod reminders;
pub mod scalars;
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
);

pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

pub fn build_schema(state: Option<AppState>, limits: &GraphqlLimits) -> AppSchema {
    let builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity);
    match state {
        Some(state) => builder.data(state).finish(),
        None => builder.finish(),
    }
}

/// The SDL checked in at `schema/schema.graphql`.
pub fn sdl() -> String {
    build_schema(None, &GraphqlLimits::default()).sdl()
}
