//! Quota holders' liaison contacts.
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::auth;
use super::guards::{role, ANY_ROLE, OFFICE_OR_LIAISON};
use super::page::{requested_page, PageOf};
use super::plan::parse_id;
use crate::domain::ids::UnitId;
use crate::error::ApiResult;
use crate::services::contacts::{self, ContactInput, ContactView};
use crate::services::ServiceError;

#[derive(Default)]
pub struct ContactQuery;

#[Object]
impl ContactQuery {
    /// Contacts the caller may see: all of them for the office and the station, a liaison's
    /// own holder's for a liaison.
    #[graphql(guard = "role(ANY_ROLE)", complexity = "crate::graphql::list_cost(first, child_complexity)")]
    async fn unit_contacts(
        &self,
        ctx: &Context<'_>,
        first: Option<i64>,
        offset: Option<i64>,
    ) -> ApiResult<PageOf<UnitContact>> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let page = requested_page(first, offset)?;
        Ok(PageOf::listed(page, contacts::list(&state.db, actor, page).await?))
    }
}

#[derive(Default)]
pub struct ContactMutation;

#[derive(InputObject)]
pub struct UnitContactInput {
    name: String,
    /// A mobile number or a landline with area code, e.g. 0715-8123456.
    phone: String,
    email: String,
}

#[Object]
impl ContactMutation {
    /// Sets a holder's liaison contact (the office, or that holder's own liaisons).
    #[graphql(guard = "role(OFFICE_OR_LIAISON)")]
    async fn update_unit_contact(
        &self,
        ctx: &Context<'_>,
        unit_id: ID,
        input: UnitContactInput,
    ) -> ApiResult<UnitContact> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let input = ContactInput { name: input.name, phone: input.phone, email: input.email };
        let saved =
            contacts::update_unit_contact(&state.db, &state.clock, actor, parse_id(&unit_id)?, input).await?;
        Ok(saved.into())
    }
}

/// A holder's liaison contact; `id` is the holder's id.
#[derive(SimpleObject)]
pub struct UnitContact {
    id: ID,
    unit_name: String,
    name: String,
    phone: String,
    email: String,
    updated_at: DateTime<Utc>,
}

impl From<ContactView> for UnitContact {
    fn from(v: ContactView) -> Self {
        UnitContact {
            id: ID(v.unit_id.to_string()),
            unit_name: v.unit_name,
            name: v.name,
            phone: v.phone,
            email: v.email,
            updated_at: v.updated_at,
        }
    }
}

/// The `contact` field of a holder, for whoever may read it.
pub async fn contact_field(ctx: &Context<'_>, unit_id: UnitId) -> ApiResult<Option<UnitContact>> {
    let actor = auth::signed_in(ctx)?;
    actor.may_read_holder(unit_id).map_err(ServiceError::from)?;
    Ok(super::loaders::contact(ctx, unit_id).await?.map(UnitContact::from))
}
