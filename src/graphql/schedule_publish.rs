//! Publishing a (possibly adjusted) proposed schedule as requested visits.
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};

use super::auth;
use super::guards::{role, OFFICE};
use super::plan::parse_id;
use super::scalars::Date;
use super::types::SessionGql;
use super::visits::Visit;
use crate::error::ApiResult;
use crate::services::schedule_publish::{self, ScheduledVisit};

#[derive(Default)]
pub struct SchedulePublishMutation;

/// One visit of a proposal, as the office accepts it.
#[derive(InputObject)]
pub struct ScheduledVisitInput {
    unit_id: ID,
    vehicle_id: ID,
    date: Date,
    session: SessionGql,
    expected_donors: i32,
}

#[derive(InputObject)]
pub struct PublishScheduleInput {
    year: i32,
    /// At most 5,000 visits, all in `year`.
    visits: Vec<ScheduledVisitInput>,
}

#[derive(SimpleObject)]
pub struct PublishedSchedule {
    /// The created `REQUESTED` visits, by vehicle, date and session.
    visits: Vec<Visit>,
    /// Holders whose contact was sent a notice listing their visits.
    notified_holders: i32,
}

#[Object]
impl SchedulePublishMutation {
    /// Books every visit as `REQUESTED` in one transaction, by the rules of `bookVisit`
    /// (office only): one refused visit or taken session refuses the whole publish
    /// (`SLOT_TAKEN` and the other booking codes, naming the visit) and nothing is written.
    /// Each holder's contact gets one notice listing its visits.
    #[graphql(guard = "role(OFFICE)")]
    async fn publish_schedule(
        &self,
        ctx: &Context<'_>,
        input: PublishScheduleInput,
    ) -> ApiResult<PublishedSchedule> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let visits = input
            .visits
            .iter()
            .map(|v| {
                Ok(ScheduledVisit {
                    unit_id: parse_id(&v.unit_id)?,
                    vehicle_id: parse_id(&v.vehicle_id)?,
                    date: v.date.0,
                    session: v.session.into(),
                    expected_donors: v.expected_donors,
                })
            })
            .collect::<ApiResult<Vec<_>>>()?;
        let published = schedule_publish::publish_schedule(
            &state.db,
            &state.clock,
            &state.booking,
            actor,
            input.year,
            visits,
        )
        .await?;
        Ok(PublishedSchedule {
            visits: published.visits.into_iter().map(Visit::from).collect(),
            notified_holders: i32::try_from(published.notified_holders).unwrap_or(i32::MAX),
        })
    }
}
