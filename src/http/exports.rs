//! `GET /exports/fulfilment.xlsx?year=2020[&asOf=2020-06-30]` and `.csv`: the office's
//! report upward. Office only, by bearer token: 401 without a valid one, 403 for other roles.
use chrono::NaiveDate;
use poem::http::{header, StatusCode};
use poem::web::{Data, Path, Query};
use poem::{handler, Request, Response};
use serde::Deserialize;
use serde_json::json;

use super::auth::Bearer;
use crate::domain::auth::OFFICE;
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

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    let response = Response::builder().status(status).content_type("application/json");
    let response = if status == StatusCode::UNAUTHORIZED {
        response.header(header::WWW_AUTHENTICATE, "Bearer")
    } else {
        response
    };
    response.body(body.to_string())
}

#[handler]
pub async fn fulfilment_export(
    req: &Request,
    Path(file): Path<String>,
    Query(params): Query<ExportParams>,
    Data(state): Data<&AppState>,
) -> Response {
    // The office's export buttons send the web session's cookie instead of a bearer token.
    let cookie = super::auth::session_cookie(req);
    let token = match super::auth::bearer(req) {
        Bearer::Token(token) => Some(token),
        _ => cookie.as_deref(),
    };
    let Some(token) = token else {
        return error(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", "请先登录");
    };
    let actor = match accounts::authenticate(&state.db, &state.clock, token).await {
        Ok(Ok((actor, _))) => actor,
        Ok(Err(problem)) => return error(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", problem.message()),
        Err(e) => return internal(&e),
    };
    if actor.require(OFFICE).is_err() {
        return error(StatusCode::FORBIDDEN, "FORBIDDEN", "您没有执行此操作的权限");
    }
    let format = match file.as_str() {
        "fulfilment.xlsx" => ExportFormat::Xlsx,
        "fulfilment.csv" => ExportFormat::Csv,
        _ => return error(StatusCode::NOT_FOUND, "NOT_FOUND", "没有这个导出文件"),
    };
    let Some(year) = params.year else {
        return error(StatusCode::BAD_REQUEST, "BAD_INPUT", "请指定年度 year");
    };
    let Some(year) = year.trim().parse::<i32>().ok().filter(|y| (2000..=2100).contains(y)) else {
        return error(
            StatusCode::BAD_REQUEST,
            "BAD_INPUT",
            "年度 year 须为 2000 到 2100 之间的整数，例如 2020",
        );
    };
    let as_of = match params.as_of.map(|d| d.trim().parse::<NaiveDate>()) {
        None => fulfilment::default_as_of(year, state.clock.today()),
        Some(Ok(date)) => date,
        Some(Err(_)) => {
            return error(
                StatusCode::BAD_REQUEST,
                "BAD_INPUT",
                "截至日期 asOf 须写作 YYYY-MM-DD，例如 2020-06-30",
            )
        }
    };
    let report = match fulfilment::fulfilment(&state.db, year, as_of, state.behind_margin_points).await {
        Ok(report) => report,
        Err(ServiceError::NotFound(message)) => return error(StatusCode::NOT_FOUND, "NOT_FOUND", &message),
        Err(e) => return internal(&e),
    };
    match exports::render(&report, format) {
        Ok(body) => Response::builder()
            .content_type(format.content_type())
            .header(
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"fulfilment-{year}.{}\"", extension(format)),
            )
            .body(body),
        Err(e) => internal(&e),
    }
}

fn extension(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Csv => "csv",
        ExportFormat::Xlsx => "xlsx",
    }
}

fn internal(cause: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %cause, "could not build an export");
    error(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "服务器内部错误")
}
