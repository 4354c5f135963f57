//! Visits: booking, confirming, moving, cancelling; availability.
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::auth;
use super::guards::{role, ANY_ROLE, OFFICE, OFFICE_OR_LIAISON, STAFF};
use super::page::{requested_page, PageOf};
use super::plan::parse_id;
use super::scalars::Date;
use super::types::{SectionGql, SessionGql, VisitStatusGql};
use super::vehicles::Vehicle;
use crate::domain::ids::{VehicleId, VisitId};
use crate::error::ApiResult;
use crate::services::visits::{self, BookingInput, RescheduleInput, VisitFilter, VisitView};
use crate::services::ServiceError;

#[derive(Default)]
pub struct VisitQuery;

#[Object]
impl VisitQuery {
    /// Free vehicle sessions in `[from, to]` (at most 92 days) the caller could book today:
    /// past the lead time, on working days of years with a holiday calendar (and, for a
    /// liaison, years their holder has a quota in).
    #[graphql(
        guard = "role(ANY_ROLE)",
        complexity = "crate::graphql::availability_cost(from.0, to.0, vehicle_id.is_some(), child_complexity)"
    )]
    async fn availability(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Date,
        vehicle_id: Option<ID>,
    ) -> ApiResult<Vec<FreeSession>> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let vehicle_id = vehicle_id.as_ref().map(parse_id).transpose()?;
        let today = state.clock.today();
        // A liaison is offered only what they could book for their own holder.
        let own = actor.holder_scope().map_err(ServiceError::from)?;
        let free =
            visits::availability(&state.db, &state.booking, today, from.0, to.0, vehicle_id, own).await?;
        Ok(free
            .into_iter()
            .map(|f| FreeSession { vehicle_id: f.vehicle_id, date: f.date.into(), session: f.session.into() })
            .collect())
    }

    /// Visits in date order: all of them for the office and the station, a liaison's own.
    #[graphql(guard = "role(ANY_ROLE)", complexity = "crate::graphql::list_cost(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn visits(
        &self,
        ctx: &Context<'_>,
        from: Option<Date>,
        to: Option<Date>,
        status: Option<Vec<VisitStatusGql>>,
        section: Option<SectionGql>,
        unit_id: Option<ID>,
        #[graphql(desc = "A county's name (e.g. 咸安): that county's own visits.")] county: Option<String>,
        vehicle_id: Option<ID>,
        first: Option<i64>,
        offset: Option<i64>,
    ) -> ApiResult<PageOf<Visit>> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let page = requested_page(first, offset)?;
        let county = match county {
            Some(name) => Some(visits::county_unit_id(&state.db, &name).await?),
            None => None,
        };
        let filter = VisitFilter {
            from: from.map(Into::into),
            to: to.map(Into::into),
            statuses: status.unwrap_or_default().into_iter().map(Into::into).collect(),
            section: section.map(Into::into),
            unit_id: county.or(unit_id.as_ref().map(parse_id).transpose()?),
            vehicle_id: vehicle_id.as_ref().map(parse_id).transpose()?,
        };
        Ok(PageOf::listed(page, visits::list_visits(&state.db, actor, &filter, page).await?))
    }

    #[graphql(guard = "role(ANY_ROLE)")]
    async fn visit(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Visit> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        Ok(visits::visit_by_id(&state.db, actor, VisitId(parse_id(&id)?)).await?.into())
    }
}

#[derive(Default)]
pub struct VisitMutation;

#[derive(InputObject)]
pub struct BookVisitInput {
    unit_id: ID,
    vehicle_id: ID,
    date: Date,
    session: SessionGql,
    expected_donors: i32,
    /// Who meets the vehicle on site, with a phone number.
    site_contact: Option<String>,
    note: Option<String>,
    /// Repeating a request with the same key returns the first answer instead of booking twice.
    client_key: Option<String>,
    /// Office only: book inside the lead time, giving the reason (audited).
    lead_time_override: Option<String>,
    /// Office only: book a weekend or a public holiday (e.g. 世界献血者日), giving the reason
    /// (audited).
    day_override: Option<String>,
    /// A sub-unit (二级单位) of the holder's accepted breakdown of the date's year
    /// (`fulfilment { units { subUnits { id } } }`); moves keep it.
    sub_unit_id: Option<ID>,
}

#[derive(InputObject)]
pub struct RescheduleVisitInput {
    date: Date,
    session: SessionGql,
    /// Another vehicle; default the same.
    vehicle_id: Option<ID>,
    expected_donors: Option<i32>,
    /// Office only, as in `bookVisit`.
    lead_time_override: Option<String>,
    /// Office only, as in `bookVisit`.
    day_override: Option<String>,
}

#[Object]
impl VisitMutation {
    /// Requests a vehicle visit for a holder (its liaison, or the office).
    #[graphql(guard = "role(OFFICE_OR_LIAISON)")]
    async fn book_visit(&self, ctx: &Context<'_>, input: BookVisitInput) -> ApiResult<Visit> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let input = BookingInput {
            sub_unit_id: input.sub_unit_id.as_ref().map(parse_id).transpose()?,
            unit_id: parse_id(&input.unit_id)?,
            vehicle_id: parse_id(&input.vehicle_id)?,
            date: input.date.into(),
            session: input.session.into(),
            expected_donors: input.expected_donors,
            site_contact: input.site_contact,
            note: input.note,
            client_key: input.client_key,
            lead_time_override: input.lead_time_override,
            day_override: input.day_override,
        };
        Ok(visits::book_visit(&state.db, &state.clock, &state.booking, actor, input).await?.into())
    }

    /// Accepts a requested visit (office).
    #[graphql(guard = "role(OFFICE)")]
    async fn confirm_visit(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Visit> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        Ok(visits::confirm_visit(&state.db, &state.clock, &state.booking, actor, VisitId(parse_id(&id)?))
            .await?
            .into())
    }

    /// Cancels a visit and frees its session at once.
    #[graphql(guard = "role(OFFICE_OR_LIAISON)")]
    async fn cancel_visit(&self, ctx: &Context<'_>, id: ID, reason: String) -> ApiResult<Visit> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let id = VisitId(parse_id(&id)?);
        Ok(visits::cancel_visit(&state.db, &state.clock, &state.booking, actor, id, reason).await?.into())
    }

    /// Moves a visit to another date, session or vehicle.
    #[graphql(guard = "role(OFFICE_OR_LIAISON)")]
    async fn reschedule_visit(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: RescheduleVisitInput,
    ) -> ApiResult<Visit> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let input = RescheduleInput {
            date: input.date.into(),
            session: input.session.into(),
            vehicle_id: input.vehicle_id.as_ref().map(parse_id).transpose()?,
            expected_donors: input.expected_donors,
            lead_time_override: input.lead_time_override,
            day_override: input.day_override,
        };
        let id = VisitId(parse_id(&id)?);
        Ok(visits::reschedule_visit(&state.db, &state.clock, &state.booking, actor, id, input).await?.into())
    }

    /// The vehicle went and the donors did not come (office and station).
    #[graphql(guard = "role(STAFF)")]
    async fn mark_visit_no_show(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Visit> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        Ok(visits::mark_no_show(&state.db, &state.clock, actor, VisitId(parse_id(&id)?)).await?.into())
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct FreeSession {
    #[graphql(skip)]
    vehicle_id: VehicleId,
    date: Date,
    session: SessionGql,
}

#[async_graphql::ComplexObject]
impl FreeSession {
    async fn vehicle(&self, ctx: &Context<'_>) -> ApiResult<Vehicle> {
        super::loaders::vehicle(ctx, self.vehicle_id.0).await
    }
}

pub struct Visit(VisitView);

impl From<VisitView> for Visit {
    fn from(v: VisitView) -> Self {
        Visit(v)
    }
}

#[derive(SimpleObject)]
pub struct VisitChange {
    at: DateTime<Utc>,
    actor: String,
    action: String,
    before: Option<async_graphql::Json<serde_json::Value>>,
    after: Option<async_graphql::Json<serde_json::Value>>,
}

#[Object]
impl Visit {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn unit_id(&self) -> ID {
        ID(self.0.unit_id.to_string())
    }
    async fn unit_name(&self) -> &str {
        &self.0.unit_name
    }
    /// The holder's sub-unit the visit is for, if it names one.
    async fn sub_unit_id(&self) -> Option<ID> {
        self.0.sub_unit_id.map(|s| ID(s.to_string()))
    }
    async fn sub_unit_name(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        let Some(id) = self.0.sub_unit_id else { return Ok(None) };
        super::loaders::sub_unit_name(ctx, id).await
    }
    async fn vehicle(&self, ctx: &Context<'_>) -> ApiResult<Vehicle> {
        super::loaders::vehicle(ctx, self.0.vehicle_id.0).await
    }
    async fn vehicle_name(&self) -> &str {
        &self.0.vehicle_name
    }
    async fn date(&self) -> Date {
        self.0.date.into()
    }
    async fn session(&self) -> SessionGql {
        self.0.session.into()
    }
    async fn status(&self) -> VisitStatusGql {
        self.0.status.into()
    }
    async fn expected_donors(&self) -> i32 {
        self.0.expected_donors
    }
    async fn site_contact(&self) -> Option<&str> {
        self.0.site_contact.as_deref()
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn cancel_reason(&self) -> Option<&str> {
        self.0.cancel_reason.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// On a booking: expected donors beyond what the holder's quota still needs (welcome, but
    /// worth knowing).
    async fn warnings(&self) -> &[String] {
        &self.0.warnings
    }
    /// Every change to this visit, oldest first (office only).
    #[graphql(guard = "role(OFFICE)")]
    async fn history(&self, ctx: &Context<'_>) -> ApiResult<Vec<VisitChange>> {
        let rows = super::loaders::visit_history(ctx, self.0.id).await?;
        Ok(rows
            .into_iter()
            .map(|r| VisitChange {
                at: r.at,
                actor: r.actor,
                action: r.action,
                before: r.before.map(async_graphql::Json),
                after: r.after.map(async_graphql::Json),
            })
            .collect())
    }
}
