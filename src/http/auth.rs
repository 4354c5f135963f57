//! The one reading of `Authorization: Bearer <token>`, for /graphql and /exports.
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
