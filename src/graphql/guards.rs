//! The role set of each field, declared on the field: `#[graphql(guard = "role(STAFF)")]`.
//!
//! A guard refuses a wrong role before the resolver runs, with the same `UNAUTHENTICATED` /
//! `FORBIDDEN` answers as everywhere else. It is the early, visible half of the check: the
//! service the resolver calls asks `Actor::require` with the same role set again (the web
//! pages have no guards) and decides the ownership rules ("the office, or this holder's
//! liaison"), which need the object and live only in `domain::auth`.
use async_graphql::{Context, Guard, Result};

use super::auth;
use crate::domain::auth::Role;
pub use crate::domain::auth::{ANY_ROLE, OFFICE, OFFICE_OR_LIAISON, STAFF};

/// Signed in, with one of `roles`.
pub struct RoleGuard(&'static [Role]);

pub fn role(roles: &'static [Role]) -> RoleGuard {
    RoleGuard(roles)
}

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        auth::require(ctx, self.0).map(|_| ())
    }
}
