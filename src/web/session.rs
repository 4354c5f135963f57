//! Cookie sessions on the API's token store, and the CSRF and Origin checks of every form.
//!
//! The cookie carries the same bearer token `login` issues (so expiry, logout, revocation and
//! lock-out are the API's). The CSRF token is derived from that secret token: a page can
//! show it, another site cannot compute it, and it dies with the session.
use poem::http::{header, Method, StatusCode};
use poem::web::Data;
use poem::{Endpoint, FromRequest, IntoResponse, Request, RequestBody, Response};
use sha2::{Digest, Sha256};

use super::render;
use crate::domain::auth::{Actor, Role, ANY_ROLE, LIAISON, OFFICE, OFFICE_OR_LIAISON, STAFF};
use crate::http::auth::{session_cookie, SESSION_COOKIE};
use crate::services::accounts;
use crate::state::AppState;

/// The form field (or `x-csrf-token` header, or `csrf` query parameter for uploads).
pub const CSRF_FIELD: &str = "csrf";
/// Forms are small; an upload has its own limit.
const MAX_FORM_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Session {
    pub actor: Actor,
    pub token_hash: String,
    pub csrf: String,
}

pub fn csrf_of(token: &str) -> String {
    hex::encode(Sha256::digest(format!("bloodplan-csrf:{token}").as_bytes()))
}

/// The `Set-Cookie` value that starts a session (or ends it with an empty token).
pub fn set_cookie(state: &AppState, token: &str, max_age_secs: i64) -> String {
    let secure = if state.public_url.starts_with("https://") { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}")
}

/// The session of a request, if its cookie holds a live token.
pub async fn session_of(req: &Request, state: &AppState) -> Result<Option<Session>, Response> {
    let Some(token) = session_cookie(req) else { return Ok(None) };
    match accounts::authenticate(&state.db, &state.clock, &token).await {
        Ok(Ok((actor, token_hash))) => Ok(Some(Session { actor, token_hash, csrf: csrf_of(&token) })),
        Ok(Err(_)) => Ok(None),
        Err(e) => Err(render::service_error(e)),
    }
}

/// The signed-in user with one of `roles`; without a session, a redirect to the login page
/// that comes back here; with another role, 403.
async fn require(req: &Request, state: &AppState, roles: &[Role]) -> Result<Session, Response> {
    match session_of(req, state).await? {
        Some(s) if s.actor.is(roles) => Ok(s),
        Some(s) => Err(render::error_page(Some(&s), StatusCode::FORBIDDEN, render::FORBIDDEN)),
        None => Err(to_login(req)),
    }
}

/// Declares a handler argument per set of roles: the app state and the signed-in user with
/// one of those roles. Extracting it answers as `require` does (login redirect, or 403) and
/// the handler does not run; it is the last argument, so the path, query and form are read
/// first.
macro_rules! signed_in {
    ($($(#[$doc:meta])* $name:ident = $roles:expr;)*) => {$(
        $(#[$doc])*
        pub struct $name<'a>(pub &'a AppState, pub Session);

        impl<'a> FromRequest<'a> for $name<'a> {
            async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
                let Data(state) = Data::<&AppState>::from_request(req, body).await?;
                match require(req, state, $roles).await {
                    Ok(s) => Ok($name(state, s)),
                    Err(refusal) => Err(poem::Error::from_response(refusal)),
                }
            }
        }
    )*};
}

signed_in! {
    /// The office.
    OfficeUser = OFFICE;
    /// A liaison of a holder.
    LiaisonUser = LIAISON;
    /// The station or the office.
    StaffUser = STAFF;
    /// A liaison or the office (a visit's own changes).
    LiaisonOrOffice = OFFICE_OR_LIAISON;
    /// Anyone signed in.
    AnyUser = ANY_ROLE;
}

pub fn to_login(req: &Request) -> Response {
    let here = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let next: String = url::form_urlencoded::byte_serialize(here.as_bytes()).collect();
    render::redirect(&format!("/login?next={next}"))
}

/// Only a path on this server is a place to go back to (never `//host` or `https://…`).
pub fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/\\") => p,
        _ => "/",
    }
}

/// The origins this server answers as: its public address, and the address the request
/// was sent to.
fn same_origin(req: &Request, state: &AppState, origin: &str) -> bool {
    let public = url::Url::parse(&state.public_url).ok().map(|u| u.origin().ascii_serialization());
    if public.as_deref() == Some(origin) {
        return true;
    }
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    !host.is_empty() && (origin == format!("http://{host}") || origin == format!("https://{host}"))
}

/// Wraps the web routes: every request other than GET/HEAD must come from this origin and,
/// except the login form, carry the session's CSRF token. Refusals are 403 and run no handler.
pub struct CsrfGuard<E>(pub E, pub AppState);

impl<E: Endpoint> Endpoint for CsrfGuard<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        if matches!(*req.method(), Method::GET | Method::HEAD) {
            return self.0.call(req).await.map(IntoResponse::into_response);
        }
        let refuse = || render::error_page(None, StatusCode::FORBIDDEN, render::CSRF_REFUSED);
        let origin = req.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok()).map(str::to_owned);
        if let Some(origin) = origin {
            if !same_origin(&req, &self.1, &origin) {
                tracing::warn!(%origin, path = %req.uri().path(), "refused a cross-origin form post");
                return Ok(refuse());
            }
        }
        if req.uri().path() == "/login" {
            return self.0.call(req).await.map(IntoResponse::into_response);
        }
        let Some(token) = session_cookie(&req) else { return Ok(refuse()) };
        let expected = csrf_of(&token);
        let from_header = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let from_query = req.uri().query().and_then(|q| field(q.as_bytes(), CSRF_FIELD));
        let is_form =
            req.content_type().is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        let presented = match (from_header.or(from_query), is_form) {
            (Some(t), _) => Some(t),
            (None, true) => {
                let body = match req.take_body().into_bytes_limit(MAX_FORM_BYTES).await {
                    Ok(b) => b,
                    Err(_) => return Ok(refuse()),
                };
                let found = field(&body, CSRF_FIELD);
                req.set_body(body);
                found
            }
            (None, false) => None,
        };
        if presented.as_deref() != Some(expected.as_str()) {
            tracing::warn!(path = %req.uri().path(), "refused a form post without a valid CSRF token");
            return Ok(refuse());
        }
        self.0.call(req).await.map(IntoResponse::into_response)
    }
}

fn field(body: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(body).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}
