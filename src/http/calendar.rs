//! `GET /calendar/vehicles/{token}.ics` and `GET /calendar/units/{token}.ics`.
use poem::web::{Data, Path};
use poem::{handler, IntoResponse, Response};

use crate::error::{code, ApiError};
use crate::services::calendars;
use crate::state::AppState;

fn ics_response(result: Result<Option<String>, crate::services::ServiceError>) -> Response {
    match result {
        Ok(Some(body)) => Response::builder().content_type("text/calendar; charset=utf-8").body(body),
        Ok(None) => ApiError::new(code::NOT_FOUND, "没有这个日历，链接可能已更换").into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

fn token(file: &str) -> &str {
    file.strip_suffix(".ics").unwrap_or(file)
}

#[handler]
pub async fn vehicle_ics(Path(file): Path<String>, Data(state): Data<&AppState>) -> Response {
    ics_response(calendars::vehicle_feed(&state.db, &state.clock, token(&file)).await)
}

#[handler]
pub async fn unit_ics(Path(file): Path<String>, Data(state): Data<&AppState>) -> Response {
    ics_response(calendars::unit_feed(&state.db, &state.clock, token(&file)).await)
}
