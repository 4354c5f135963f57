//! HTTP routes.
use std::sync::Arc;

use poem::http::StatusCode;
use poem::{get, Endpoint, EndpointExt, IntoResponse, Request, Response, Route};

use crate::graphql::AppSchema;
use crate::state::{AppState, CalendarFeed};

pub mod auth;
mod calendar;
mod exports;
mod graphql;
mod graphql_errors;
pub mod limits;
pub mod security;

pub use security::CONTENT_SECURITY_POLICY;

pub fn routes(
    schema: AppSchema,
    state: AppState,
    max_body_bytes: usize,
    max_batch: usize,
) -> impl poem::Endpoint {
    let request_timeout = state.http.request_timeout;
    Route::new()
        .nest("/", crate::web::routes(state.clone()))
        .at("/graphql", get(graphql::graphql_get).post(graphql::graphql_post))
        .at("/graphql/introspection.json", get(graphql::graphiql_introspection))
        .at("/health", get(graphql::health))
        .at(format!("{}/:file", CalendarFeed::Vehicles.path()), get(calendar::vehicle_ics))
        .at(format!("{}/:file", CalendarFeed::Units.path()), get(calendar::unit_ics))
        .at("/exports/:file", get(exports::fulfilment_export))
        .data(state.clone())
        .data(graphql::GraphqlHttp { schema, state, max_body_bytes, max_batch })
        .catch_error(|_: poem::error::NotFoundError| async { crate::web::not_found() })
        .around(
            move |endpoint: Arc<_>, req: Request| async move { within(request_timeout, endpoint, req).await },
        )
        .after(|answer: poem::Result<Response>| async move {
            Ok::<_, poem::Error>(security::add_headers(answer.unwrap_or_else(|e| e.into_response())))
        })
}

/// Answers `503 REQUEST_TIMEOUT` when reading the body and answering take too long; the
/// request's work is dropped (its transaction rolls back) and its connection freed.
async fn within<E: Endpoint>(
    limit: std::time::Duration,
    endpoint: Arc<E>,
    req: Request,
) -> poem::Result<Response> {
    let path = req.uri().path().to_owned();
    match tokio::time::timeout(limit, endpoint.call(req)).await {
        Ok(answer) => answer.map(IntoResponse::into_response),
        Err(_) => {
            tracing::warn!(path, seconds = limit.as_secs(), "a request ran out of time");
            let body = serde_json::json!({
                "errors": [{ "message": "请求处理超时，请缩小查询范围后重试", "extensions": { "code": "REQUEST_TIMEOUT" } }]
            });
            Ok(Response::builder()
                .status(StatusCode::SERVICE_UNAVAILABLE)
                .content_type("application/json")
                .body(body.to_string()))
        }
    }
}
