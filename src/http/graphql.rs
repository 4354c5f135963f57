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
use crate::graphql::auth::RequestAuth;
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

fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    Response::builder().status(status).content_type("application/json").body(body.to_string())
}

fn json_response(response: &BatchResponse) -> Response {
    match serde_json::to_string(response) {
        Ok(body) => Response::builder().content_type("application/json").body(body),
        Err(e) => {
            tracing::error!(error = %e, "could not serialise a GraphQL response");
            error_response(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "服务器内部错误")
        }
    }
}

fn is_json(req: &Request) -> bool {
    req.content_type()
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

#[handler]
pub async fn graphql_post(req: &Request, body: Body, Data(gql): Data<&GraphqlHttp>) -> Response {
    if !is_json(req) {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "请求体必须是 JSON (Content-Type: application/json)",
        );
    }
    let bytes = match body.into_bytes_limit(gql.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(poem::error::ReadBodyError::PayloadTooLarge) => {
            return error_response(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", "请求体过大")
        }
        Err(_) => return error_response(StatusCode::BAD_REQUEST, "BAD_REQUEST", "无法读取请求体"),
    };
    let batch: BatchRequest = match serde_json::from_slice(&bytes) {
        Ok(batch) => batch,
        Err(_) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "请求体不是有效的 GraphQL JSON 请求",
            )
        }
    };
    let operations = match &batch {
        BatchRequest::Single(_) => 1,
        BatchRequest::Batch(requests) => requests.len(),
    };
    if operations == 0 || operations > gql.max_batch {
        return error_response(
            StatusCode::BAD_REQUEST,
            "BATCH_LIMIT",
            &format!("一次最多提交 {} 个操作", gql.max_batch),
        );
    }
    let auth = match request_auth(req, &gql.state).await {
        Ok(auth) => auth,
        Err(response) => return response,
    };
    json_response(&gql.schema.execute_batch(batch.data(auth)).await)
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
        Err(e) => {
            tracing::error!(error = %e, "could not check a bearer token");
            Err(error_response(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "服务器内部错误"))
        }
    }
}

/// GraphiQL for people; read-only queries for scripts. A mutation over GET gets 405.
#[handler]
pub async fn graphql_get(req: &Request, Data(gql): Data<&GraphqlHttp>) -> Response {
    let query_string = req.uri().query().unwrap_or("");
    if query_string.is_empty() {
        return Html(crate::web::assets::GRAPHIQL_HTML).into_response();
    }
    let request = match async_graphql::http::parse_query_string(query_string) {
        Ok(request) => request,
        Err(_) => return error_response(StatusCode::BAD_REQUEST, "BAD_REQUEST", "无法解析查询参数"),
    };
    if !is_read_only(&request.query) {
        return Response::builder()
            .status(StatusCode::METHOD_NOT_ALLOWED)
            .header(header::ALLOW, "POST")
            .content_type("application/json")
            .body(
                json!({ "errors": [{ "message": "修改操作只能通过 POST 提交", "extensions": { "code": "METHOD_NOT_ALLOWED" } }] })
                    .to_string(),
            );
    }
    let auth = match request_auth(req, &gql.state).await {
        Ok(auth) => auth,
        Err(response) => return response,
    };
    json_response(&BatchResponse::Single(gql.schema.execute(request.data(auth)).await))
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
