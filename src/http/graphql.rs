//! `/graphql` over HTTP, hardened against cross-site requests.
//!
//! The stock poem integration executes whatever arrives, including form posts a hostile page
//! can send from a browser. Here mutations run only from a POST with a JSON body, so a
//! browser cannot send one cross-site without a CORS preflight; other bodies get 415 before
//! any resolver runs, a GET mutation gets 405, and bodies and batches are bounded.
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{BatchRequest, BatchResponse};
use poem::http::{header, StatusCode};
use poem::web::{Data, Html};
use poem::{handler, Body, IntoResponse, Request, Response};
use serde_json::json;

use super::auth::Bearer;
use super::graphql_errors;
use crate::error::ApiError;
use crate::graphql::auth::{ClientAddress, RequestAuth};
use crate::graphql::loaders::Loaders;
use crate::graphql::AppSchema;
use crate::services::accounts;
use crate::state::AppState;

#[derive(Clone)]
pub struct GraphqlHttp {
    pub schema: AppSchema,
    pub state: AppState,
    pub max_body_bytes: usize,
    pub max_batch: usize,
}

/// The media type of the answer, from the request's `Accept`, as GraphQL over HTTP asks:
/// with `application/graphql-response+json` a request that fails before execution (parse,
/// validation, bad variables) is answered 4xx; with `application/json` always 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Media {
    Json,
    GraphqlResponse,
}

impl Media {
    fn content_type(self) -> &'static str {
        match self {
            Media::Json => "application/json; charset=utf-8",
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
        }
    }
}

/// The first acceptable media range in `Accept`; none at all means JSON.
fn negotiate(req: &Request) -> Option<Media> {
    let Some(accept) = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(Media::Json);
    };
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let mime = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = parts.any(|p| p.trim().replace(' ', "") == "q=0");
        if refused {
            continue;
        }
        match mime.as_str() {
            "application/graphql-response+json" => return Some(Media::GraphqlResponse),
            "application/json" | "application/*" | "*/*" => return Some(Media::Json),
            _ => {}
        }
    }
    None
}

/// A request refused before it reached the schema, answered by the one error mapping.
fn error_response(code: &'static str, message: impl Into<String>) -> Response {
    ApiError::new(code, message).into_response()
}

fn not_acceptable() -> Response {
    error_response("NOT_ACCEPTABLE", "只能以 application/json 或 application/graphql-response+json 作答")
}

/// An answer that failed before execution: 400 for `graphql-response+json`, else 200.
fn request_error(media: Media, error: serde_json::Value) -> Response {
    let status = if media == Media::GraphqlResponse { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    Response::builder()
        .status(status)
        .content_type(media.content_type())
        .body(json!({ "errors": [error] }).to_string())
}

/// True when an error of the response says the database was busy or unreachable.
fn outage(response: &BatchResponse) -> bool {
    let has_outage = |r: &async_graphql::Response| {
        r.errors.iter().any(|e| {
            let code = e.extensions.as_ref().and_then(|x| x.get("code"));
            matches!(code, Some(async_graphql::Value::String(c)) if crate::error::code::is_outage(c))
        })
    };
    match response {
        BatchResponse::Single(r) => has_outage(r),
        BatchResponse::Batch(rs) => rs.iter().any(has_outage),
    }
}

/// True when the request failed before any resolver ran: no data, and no error has a path.
fn failed_before_execution(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

fn graphql_response(media: Media, mut response: BatchResponse) -> Response {
    let mut before_execution = true;
    let mut each = |r: &mut async_graphql::Response| {
        graphql_errors::add_codes(&mut r.errors);
        before_execution &= failed_before_execution(r);
    };
    match &mut response {
        BatchResponse::Single(r) => each(r),
        BatchResponse::Batch(rs) => rs.iter_mut().for_each(each),
    }
    let failed = media == Media::GraphqlResponse && before_execution;
    let status = if failed { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    // The database was busy or down: the client should retry, whichever media it asked for.
    let status = if outage(&response) { StatusCode::SERVICE_UNAVAILABLE } else { status };
    let body = serde_json::to_value(&response).map(|mut body| {
        // A request that never executed has no `data` entry at all.
        if let (true, serde_json::Value::Object(map)) = (failed, &mut body) {
            map.remove("data");
        }
        body.to_string()
    });
    match body {
        Ok(body) => {
            let builder = Response::builder().status(status).content_type(media.content_type());
            match status {
                StatusCode::SERVICE_UNAVAILABLE => {
                    builder.header(header::RETRY_AFTER, crate::error::RETRY_AFTER_SECONDS).body(body)
                }
                _ => builder.body(body),
            }
        }
        Err(e) => ApiError::internal(&e).into_response(),
    }
}

fn is_json(req: &Request) -> bool {
    req.content_type()
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// Checks the shape of one request object as GraphQL over HTTP defines it: `query` a
/// string, `operationName` a string or null, `variables` and `extensions` maps or null.
fn well_formed(request: &serde_json::Value) -> bool {
    let Some(object) = request.as_object() else { return false };
    let field_is = |name: &str, ok: fn(&serde_json::Value) -> bool| object.get(name).is_none_or(ok);
    object.get("query").is_some_and(serde_json::Value::is_string)
        && field_is("operationName", |v| v.is_string() || v.is_null())
        && field_is("variables", |v| v.is_object() || v.is_null())
        && field_is("extensions", |v| v.is_object() || v.is_null())
}

fn bad_request(message: &str) -> Response {
    error_response("BAD_REQUEST", message)
}

/// The first document of the batch that does not parse, with the parser's explanation.
fn unparsable(batch: &BatchRequest) -> Option<String> {
    let requests: Vec<&async_graphql::Request> = match batch {
        BatchRequest::Single(r) => vec![r],
        BatchRequest::Batch(rs) => rs.iter().collect(),
    };
    requests
        .into_iter()
        .find_map(|r| async_graphql::parser::parse_query(&r.query).err().map(|e| e.to_string()))
}

/// The operation names of a batch, for the log.
fn operation_names(batch: &BatchRequest) -> String {
    let requests: Vec<&async_graphql::Request> = match batch {
        BatchRequest::Single(r) => vec![r],
        BatchRequest::Batch(rs) => rs.iter().collect(),
    };
    requests.into_iter().filter_map(operation_name).collect::<Vec<_>>().join(",")
}

/// The operation a request names, or the names its document gives its operations.
fn operation_name(request: &async_graphql::Request) -> Option<String> {
    if let Some(name) = &request.operation_name {
        return Some(name.clone());
    }
    match async_graphql::parser::parse_query(&request.query).ok()?.operations {
        DocumentOperations::Single(_) => None,
        DocumentOperations::Multiple(ops) => {
            Some(ops.keys().map(|n| n.as_str()).collect::<Vec<_>>().join(","))
        }
    }
}

/// The first NUL byte or out-of-range date anywhere in the batch.
fn unfit(batch: &BatchRequest) -> Option<String> {
    let requests: Vec<&async_graphql::Request> = match batch {
        BatchRequest::Single(r) => vec![r],
        BatchRequest::Batch(rs) => rs.iter().collect(),
    };
    requests.into_iter().find_map(|r| {
        let variables = serde_json::to_value(&r.variables).unwrap_or_default();
        graphql_errors::unfit_text(&r.query, &variables)
    })
}

#[handler]
pub async fn graphql_post(req: &Request, body: Body, Data(gql): Data<&GraphqlHttp>) -> Response {
    let Some(media) = negotiate(req) else { return not_acceptable() };
    if !is_json(req) {
        return error_response(
            "UNSUPPORTED_MEDIA_TYPE",
            "请求体必须是 JSON（Content-Type: application/json）",
        );
    }
    let bytes = match body.into_bytes_limit(gql.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(poem::error::ReadBodyError::PayloadTooLarge) => {
            return error_response("PAYLOAD_TOO_LARGE", "请求体过大")
        }
        Err(_) => return bad_request("无法读取请求体"),
    };
    let Ok(raw) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return bad_request("请求体不是有效的 JSON");
    };
    let operations = match &raw {
        serde_json::Value::Array(requests) if requests.iter().all(well_formed) => requests.len(),
        serde_json::Value::Array(_) => return bad_request("批量请求中有不符合 GraphQL 请求格式的项"),
        single if well_formed(single) => 1,
        _ => {
            return bad_request(
                "请求体不是有效的 GraphQL 请求：query 须为字符串，variables 与 extensions 须为对象",
            )
        }
    };
    if operations == 0 || operations > gql.max_batch {
        return error_response("BATCH_LIMIT", format!("一次最多提交 {} 个操作", gql.max_batch));
    }
    let batch: BatchRequest = match serde_json::from_value(raw) {
        Ok(batch) => batch,
        Err(_) => return bad_request("请求体不是有效的 GraphQL 请求"),
    };
    if let Some(detail) = unparsable(&batch) {
        return request_error(media, graphql_errors::parse_error(&detail));
    }
    if let Some(why) = unfit(&batch) {
        return request_error(media, json!({ "message": why, "extensions": { "code": "BAD_INPUT" } }));
    }
    let auth = match request_auth(req, &gql.state).await {
        Ok(auth) => auth,
        Err(response) => return response,
    };
    let address = ClientAddress(super::security::client_address(req, &gql.state.http.trusted_proxies));
    let loaders = Loaders::new(&gql.state.db, auth.actor());
    let operation = operation_names(&batch);
    let batch = batch.data(auth).data(address).data(loaders);
    let answer = crate::error::logged_once_per_request(&operation, gql.schema.execute_batch(batch)).await;
    graphql_response(media, answer)
}

/// Resolves `Authorization: Bearer <token>` once for the whole request.
async fn request_auth(req: &Request, state: &AppState) -> Result<RequestAuth, Response> {
    let token = match super::auth::bearer(req) {
        Bearer::Absent => return Ok(RequestAuth::Anonymous),
        Bearer::Malformed => return Ok(RequestAuth::Refused(accounts::TokenProblem::Invalid)),
        Bearer::Token(token) => token,
    };
    match accounts::authenticate(&state.db, &state.clock, token).await {
        Ok(Ok((actor, token_hash))) => Ok(RequestAuth::User { actor, token_hash }),
        Ok(Err(problem)) => Ok(RequestAuth::Refused(problem)),
        Err(e) => Err(ApiError::from(e).into_response()),
    }
}

/// The schema for GraphiQL's documentation and autocomplete (see `graphql::introspection`);
/// off with GraphiQL.
#[handler]
pub async fn graphiql_introspection(Data(gql): Data<&GraphqlHttp>) -> Response {
    if !gql.state.http.graphiql {
        return error_response("NOT_FOUND", "GraphiQL 已关闭");
    }
    Response::builder()
        .content_type("application/json; charset=utf-8")
        .body(crate::graphql::introspection::introspection_json().await)
}

/// GraphiQL for people; read-only queries for scripts. A mutation over GET gets 405.
#[handler]
pub async fn graphql_get(req: &Request, Data(gql): Data<&GraphqlHttp>) -> Response {
    let query_string = req.uri().query().unwrap_or("");
    if query_string.is_empty() {
        if !gql.state.http.graphiql {
            return error_response("NOT_FOUND", "GraphiQL 已关闭");
        }
        return Html(GRAPHIQL_HTML)
            .with_header("Content-Security-Policy", super::security::GRAPHIQL_CONTENT_SECURITY_POLICY)
            .into_response();
    }
    let Some(media) = negotiate(req) else { return not_acceptable() };
    let request = match async_graphql::http::parse_query_string(query_string) {
        Ok(request) => request,
        Err(_) => return bad_request("无法解析查询参数"),
    };
    if let Err(e) = async_graphql::parser::parse_query(&request.query) {
        return request_error(media, graphql_errors::parse_error(&e.to_string()));
    }
    let variables = serde_json::to_value(&request.variables).unwrap_or_default();
    if let Some(why) = graphql_errors::unfit_text(&request.query, &variables) {
        return request_error(media, json!({ "message": why, "extensions": { "code": "BAD_INPUT" } }));
    }
    if !is_read_only(&request.query) {
        return error_response("METHOD_NOT_ALLOWED", "修改操作只能通过 POST 提交");
    }
    let auth = match request_auth(req, &gql.state).await {
        Ok(auth) => auth,
        Err(response) => return response,
    };
    let address = ClientAddress(super::security::client_address(req, &gql.state.http.trusted_proxies));
    let loaders = Loaders::new(&gql.state.db, auth.actor());
    let request = request.data(auth).data(address).data(loaders);
    let operation = operation_name(&request).unwrap_or_default();
    let answer = crate::error::logged_once_per_request(&operation, gql.schema.execute(request)).await;
    graphql_response(media, BatchResponse::Single(answer))
}

/// True when every operation in the document is a query. Unparseable documents count as
/// read-only: executing them only yields the parse error.
fn is_read_only(query: &str) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(query) else { return true };
    match document.operations {
        DocumentOperations::Single(op) => op.node.ty == OperationType::Query,
        DocumentOperations::Multiple(ops) => ops.values().all(|op| op.node.ty == OperationType::Query),
    }
}

#[handler]
pub async fn health() -> &'static str {
    "ok"
}

/// GraphiQL for developers, from the embedded files. Its stylesheet inlines fonts as
/// `data:` URLs and React sets inline styles: it needs `style-src 'self' 'unsafe-inline'`
/// and `font-src 'self' data:`, but no inline script.
pub const GRAPHIQL_HTML: &str = r#"<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>bloodplan GraphiQL</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/graphiql.min.css">
<link rel="stylesheet" href="/assets/graphiql-phone.css">
<script src="/assets/react.production.min.js" defer></script>
<script src="/assets/react-dom.production.min.js" defer></script>
<script src="/assets/graphiql.min.js" defer></script>
<script src="/assets/graphiql-init.js" defer></script>
</head>
<body style="margin:0">
<div id="graphiql" style="height:100vh">GraphiQL 正在加载……</div>
</body>
</html>
"#;

#[cfg(test)]
mod tests {
    use super::is_read_only;

    #[test]
    fn only_documents_made_of_queries_are_read_only() {
        assert!(is_read_only("{ plans { year } }"));
        assert!(is_read_only("query A { plans { year } } query B { plans { year } }"));
        assert!(!is_read_only("mutation { logout }"));
        assert!(!is_read_only("query A { plans { year } } mutation B { logout }"));
        assert!(!is_read_only("subscription { ticks }"));
    }
}
