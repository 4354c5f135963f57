//! Login, logout, users.
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::auth;
use super::guards::{role, ANY_ROLE, OFFICE};
use super::page::{requested_page, PageOf};
use super::plan::{parse_id, Unit};
use super::types::RoleGql;
use crate::error::ApiResult;
use crate::services::accounts::{self, NewUser, UserView};
use crate::services::audit::Performer;
use crate::state::AppState;

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in user.
    #[graphql(guard = "role(ANY_ROLE)")]
    async fn me(&self, ctx: &Context<'_>) -> ApiResult<User> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        Ok(User(accounts::user_by_id(&state.db, actor.user_id).await?))
    }

    /// Every account (office only).
    #[graphql(guard = "role(OFFICE)", complexity = "crate::graphql::list_cost(first, child_complexity)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: Option<i64>,
        offset: Option<i64>,
    ) -> ApiResult<PageOf<User>> {
        let state = ctx.data_unchecked::<AppState>();
        let page = requested_page(first, offset)?;
        Ok(PageOf::listed(page, accounts::list_users(&state.db, page).await?))
    }
}

#[derive(Default)]
pub struct AccountMutation;

#[derive(InputObject)]
pub struct CreateUserInput {
    username: String,
    /// At least 10 characters.
    password: String,
    role: RoleGql,
    /// The quota holder a liaison acts for; required for liaisons, refused for others.
    unit_id: Option<ID>,
}

#[Object]
impl AccountMutation {
    /// Signs in and returns a bearer token for `Authorization: Bearer <token>`.
    async fn login(&self, ctx: &Context<'_>, username: String, password: String) -> ApiResult<LoginPayload> {
        let state = ctx.data_unchecked::<AppState>();
        let address = auth::client_address(ctx);
        let issued =
            accounts::login(&state.db, &state.clock, &state.auth, &username, &password, &address).await?;
        Ok(LoginPayload {
            token: issued.token,
            expires_at: issued.expires_at,
            user: User(accounts::user_by_id(&state.db, issued.actor.user_id).await?),
        })
    }

    /// Revokes the token this request was made with.
    #[graphql(guard = "role(ANY_ROLE)")]
    async fn logout(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let token_hash = auth::token_hash(ctx).unwrap_or_default();
        accounts::logout(&state.db, &state.clock, actor, token_hash).await?;
        Ok(true)
    }

    /// Creates a liaison, station or office account (office only).
    #[graphql(guard = "role(OFFICE)")]
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> ApiResult<User> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let unit_id = input.unit_id.as_ref().map(parse_id).transpose()?;
        let new =
            NewUser { username: input.username, password: input.password, role: input.role.into(), unit_id };
        Ok(User(accounts::create_user(&state.db, &state.clock, Performer::User(actor), new).await?))
    }

    /// Disables (revoking every token) or re-enables an account (office only).
    #[graphql(guard = "role(OFFICE)")]
    async fn set_user_disabled(&self, ctx: &Context<'_>, id: ID, disabled: bool) -> ApiResult<User> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        Ok(User(accounts::set_user_disabled(&state.db, &state.clock, actor, parse_id(&id)?, disabled).await?))
    }

    /// Sets a new password for another user who forgot theirs, ending every session of
    /// theirs (office only). Audited; the password itself is never recorded.
    #[graphql(guard = "role(OFFICE)")]
    async fn reset_user_password(&self, ctx: &Context<'_>, id: ID, password: String) -> ApiResult<User> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let id = parse_id(&id)?;
        Ok(User(accounts::reset_user_password(&state.db, &state.clock, actor, id, &password).await?))
    }
}

#[derive(SimpleObject)]
pub struct LoginPayload {
    token: String,
    expires_at: DateTime<Utc>,
    user: User,
}

pub struct User(UserView);

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn username(&self) -> &str {
        &self.0.username
    }
    async fn role(&self) -> RoleGql {
        self.0.role.into()
    }
    /// The quota holder a liaison acts for.
    async fn unit(&self, ctx: &Context<'_>) -> ApiResult<Option<Unit>> {
        let Some(unit_id) = self.0.unit_id else { return Ok(None) };
        Ok(Some(super::loaders::unit(ctx, unit_id.0).await?))
    }
    async fn disabled(&self) -> bool {
        self.0.disabled
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

impl From<UserView> for User {
    fn from(v: UserView) -> Self {
        User(v)
    }
}
