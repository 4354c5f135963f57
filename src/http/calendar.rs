//! `GET /calendar/vehicles/{token}.ics` and `GET /calendar/units/{token}.ics`.
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{handler, Response};

use crate::services::calendars;
use crate::state::AppState;

fn ics_response(result: Result<Option<String>, crate::services::ServiceError>) -> Response {
    match result {
        Ok(Some(body)) => Response::builder().content_type("text/calendar; charset=utf-8").body(body),
        Ok(None) => Response::builder().status(StatusCode::NOT_FOUND).body("unknown calendar"),
        Err(e) => {
            tracing::error!(error = %e, "could not render a calendar feed");
            Response::builder().status(StatusCode::INTERNAL_SERVER_ERROR).body("internal error")
        }
    }
}

fn token(file: &str) -> &str {
    file.strip_suffix(".ics").unwrap_or(file)
}

#[handler]
pub async fn vehicle_ics(Path(file): Path<String>, Data(state): Data<&AppState>) -> Response {
    ics_response(calendars::vehicle_feed(&state.db, token(&file)).await)
}

#[handler]
pub async fn unit_ics(Path(file): Path<String>, Data(state): Data<&AppState>) -> Response {
    ics_response(calendars::unit_feed(&state.db, token(&file)).await)
}
