//! `GET /exports/fulfilment.xlsx?year=2020[&asOf=2020-06-30]` and `.csv`: the office's
//! report upward. Office only, by bearer token: 401 without a valid one, 403 for other roles.
use chrono::NaiveDate;
use poem::http::header;
use poem::web::{Data, Path, Query};
use poem::{handler, IntoResponse, Request, Response};
use serde::Deserialize;

use super::auth::Bearer;
use crate::domain::auth::OFFICE;
use crate::error::{code, ApiError};
use crate::services::exports::{self, ExportFormat};
use crate::services::{accounts, fulfilment, ServiceError};
use crate::state::AppState;

/// The query string as text: a bad `year` or `asOf` gets our code and message, not the
/// extractor's English plain-text 400.
#[derive(Deserialize)]
pub struct ExportParams {
    year: Option<String>,
    #[serde(rename = "asOf")]
    as_of: Option<String>,
}

#[handler]
pub async fn fulfilment_export(
    req: &Request,
    Path(file): Path<String>,
    Query(params): Query<ExportParams>,
    Data(state): Data<&AppState>,
) -> Response {
    export(req, &file, params, state).await.unwrap_or_else(IntoResponse::into_response)
}

async fn export(
    req: &Request,
    file: &str,
    params: ExportParams,
    state: &AppState,
) -> Result<Response, ApiError> {
    // The office's export buttons send the web session's cookie instead of a bearer token.
    let cookie = super::auth::session_cookie(req);
    let token = match super::auth::bearer(req) {
        Bearer::Token(token) => Some(token),
        _ => cookie.as_deref(),
    };
    let Some(token) = token else {
        return Err(ApiError::unauthenticated(None, "请先登录"));
    };
    let actor = match accounts::authenticate(&state.db, &state.clock, token).await? {
        Ok((actor, _)) => actor,
        Err(problem) => return Err(ApiError::unauthenticated(Some(problem.reason()), problem.message())),
    };
    actor.require(OFFICE).map_err(ServiceError::from)?;
    let format = match file {
        "fulfilment.xlsx" => ExportFormat::Xlsx,
        "fulfilment.csv" => ExportFormat::Csv,
        _ => return Err(ApiError::new(code::NOT_FOUND, "没有这个导出文件")),
    };
    let year = params.year.ok_or_else(|| ApiError::bad_input("请指定年度 year"))?;
    let year = year
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(|| ApiError::bad_input("年度 year 须为 2000 到 2100 之间的整数，例如 2020"))?;
    let as_of = match params.as_of.map(|d| d.trim().parse::<NaiveDate>()) {
        None => fulfilment::default_as_of(year, state.clock.today()),
        Some(Ok(date)) => date,
        Some(Err(_)) => return Err(ApiError::bad_input("截至日期 asOf 须写作 YYYY-MM-DD，例如 2020-06-30")),
    };
    let report = fulfilment::fulfilment(&state.db, year, as_of, state.behind_margin_points).await?;
    // Writing every holder's row is CPU work: off the async workers.
    let body = tokio::task::spawn_blocking(move || exports::render(&report, format))
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(|e| ApiError::internal(&e))?;
    Ok(Response::builder()
        .content_type(format.content_type())
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"fulfilment-{year}.{}\"", extension(format)),
        )
        .body(body))
}

fn extension(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Csv => "csv",
        ExportFormat::Xlsx => "xlsx",
    }
}
