//! HTTP routes.
use poem::{get, EndpointExt, Route};

use crate::graphql::AppSchema;
use crate::state::AppState;

mod auth;
mod calendar;
mod exports;
mod graphql;

pub fn routes(
    schema: AppSchema,
    state: AppState,
    max_body_bytes: usize,
    max_batch: usize,
) -> impl poem::Endpoint {
    Route::new()
        .nest("/", crate::web::routes(state.clone()))
        .at("/graphql", get(graphql::graphql_get).post(graphql::graphql_post))
        .at("/health", get(graphql::health))
        .at("/calendar/vehicles/:file", get(calendar::vehicle_ics))
        .at("/calendar/units/:file", get(calendar::unit_ics))
        .at("/exports/:file", get(exports::fulfilment_export))
        .data(state.clone())
        .data(graphql::GraphqlHttp { schema, state, max_body_bytes, max_batch })
        .catch_error(|_: poem::error::NotFoundError| async { crate::web::not_found() })
}
