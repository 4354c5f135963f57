//! Who is asking: resolved once per HTTP request from its bearer token.
use async_graphql::Context;

use crate::domain::auth::{Actor, Role};
use crate::error::{ApiError, ApiResult};
use crate::services::accounts::TokenProblem;
use crate::state::AppState;

#[derive(Debug, Clone)]
pub enum RequestAuth {
    Anonymous,
    User {
        actor: Actor,
        token_hash: String,
    },
    /// A token was presented and refused; only public fields still answer.
    Refused(TokenProblem),
}

impl RequestAuth {
    /// The signed-in user, if any.
    pub fn actor(&self) -> Option<&Actor> {
        match self {
            RequestAuth::User { actor, .. } => Some(actor),
            RequestAuth::Anonymous | RequestAuth::Refused(_) => None,
        }
    }
}

/// The client's address, as the HTTP layer resolved it (behind trusted proxies too).
#[derive(Debug, Clone)]
pub struct ClientAddress(pub String);

pub fn client_address(ctx: &Context<'_>) -> String {
    ctx.data_opt::<ClientAddress>().map_or_else(|| "unknown".to_owned(), |a| a.0.clone())
}

fn auth<'a>(ctx: &'a Context<'_>) -> &'a RequestAuth {
    ctx.data_opt::<RequestAuth>().unwrap_or(&RequestAuth::Anonymous)
}

/// The signed-in user, or `UNAUTHENTICATED` (with the token's problem as `reason`).
pub fn signed_in<'a>(ctx: &'a Context<'_>) -> ApiResult<&'a Actor> {
    match auth(ctx) {
        RequestAuth::User { actor, .. } => Ok(actor),
        RequestAuth::Anonymous => Err(ApiError::unauthenticated(None, "请先登录").into()),
        RequestAuth::Refused(problem) => {
            Err(ApiError::unauthenticated(Some(problem.reason()), problem.message()).into())
        }
    }
}

/// The signed-in user and the application state: what a resolver calling a service needs.
pub fn signed_in_with_state<'a>(ctx: &'a Context<'_>) -> ApiResult<(&'a Actor, &'a AppState)> {
    Ok((signed_in(ctx)?, ctx.data_unchecked::<AppState>()))
}

/// The signed-in user if their role is one of `roles`, else `UNAUTHENTICATED` or `FORBIDDEN`.
pub fn require<'a>(ctx: &'a Context<'_>, roles: &[Role]) -> ApiResult<&'a Actor> {
    let actor = signed_in(ctx)?;
    actor.require(roles).map_err(|_| ApiError::forbidden())?;
    Ok(actor)
}

pub fn token_hash<'a>(ctx: &'a Context<'_>) -> Option<&'a str> {
    match auth(ctx) {
        RequestAuth::User { token_hash, .. } => Some(token_hash),
        _ => None,
    }
}
