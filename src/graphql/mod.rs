//! The GraphQL schema: thin resolvers that call one service and map its error.
use async_graphql::{EmptyMutation, EmptySubscription, MergedObject, Schema};

use crate::config::GraphqlLimits;
use crate::startup::AppState;

mod plan;
pub mod types;

#[derive(MergedObject, Default)]
pub struct QueryRoot(plan::PlanQuery);

pub type AppSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

pub fn build_schema(state: Option<AppState>, limits: &GraphqlLimits) -> AppSchema {
    let builder = Schema::build(QueryRoot::default(), EmptyMutation, EmptySubscription)
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
