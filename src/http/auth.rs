//! The one reading of a request's login token: `Authorization: Bearer <token>` (for /graphql
//! and /exports) and the web app's session cookie (for the pages and the export buttons).
use poem::http::header;
use poem::Request;

/// What a request's `Authorization` header says.
#[derive(Debug, PartialEq, Eq)]
pub enum Bearer<'a> {
    /// No `Authorization` header.
    Absent,
    /// A header that is not `Bearer <token>`.
    Malformed,
    Token(&'a str),
}

pub fn bearer(req: &Request) -> Bearer<'_> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else { return Bearer::Absent };
    value
        .to_str()
        .ok()
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
        .map_or(Bearer::Malformed, Bearer::Token)
}

/// The web app's session cookie; it carries the same token `login` issues.
pub const SESSION_COOKIE: &str = "bloodplan_session";

/// The token in the request's session cookie, if any.
pub fn session_cookie(req: &Request) -> Option<String> {
    req.headers().get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|line| {
        line.split(';').find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == SESSION_COOKIE && !value.is_empty()).then(|| value.to_owned())
        })
    })
}
