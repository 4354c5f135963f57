//! Rotating calendar feed links.
use async_graphql::{Context, Object, ID};

use super::auth;
use super::guards::{role, OFFICE_OR_LIAISON, STAFF};
use super::plan::parse_id;
use crate::error::ApiResult;
use crate::services::calendars;
use crate::state::CalendarFeed;

#[derive(Default)]
pub struct CalendarMutation;

#[Object]
impl CalendarMutation {
    /// Gives a holder's calendar feed a new link and returns it; the old link stops working
    /// (the office, and the holder's own liaisons).
    #[graphql(guard = "role(OFFICE_OR_LIAISON)")]
    async fn rotate_unit_calendar_url(&self, ctx: &Context<'_>, unit_id: ID) -> ApiResult<String> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let token =
            calendars::rotate_unit_calendar(&state.db, &state.clock, actor, parse_id(&unit_id)?).await?;
        Ok(state.calendar_url(CalendarFeed::Units, &token))
    }

    /// Gives a vehicle's calendar feed a new link and returns it; the old link stops working
    /// (the office and the station).
    #[graphql(guard = "role(STAFF)")]
    async fn rotate_vehicle_calendar_url(&self, ctx: &Context<'_>, vehicle_id: ID) -> ApiResult<String> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let token =
            calendars::rotate_vehicle_calendar(&state.db, &state.clock, actor, parse_id(&vehicle_id)?)
                .await?;
        Ok(state.calendar_url(CalendarFeed::Vehicles, &token))
    }
}
