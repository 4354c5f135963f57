//! Term calendars, reminder rules and the outbox (office only).
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::auth;
use super::guards::{role, OFFICE};
use super::page::{requested_page, PageOf};
use super::plan::parse_id;
use super::scalars::Date;
use super::types::{OutboxStatusGql, ReminderKindGql};
use crate::domain::reminders::TermDates;
use crate::error::ApiResult;
use crate::services::outbox::{self, MessageView};
use crate::services::reminders::{self, RuleView, TermCalendarView};
use crate::state::AppState;

#[derive(Default)]
pub struct ReminderQuery;

#[Object]
impl ReminderQuery {
    /// A year's term dates: the default first, then each university's own.
    #[graphql(guard = "role(OFFICE)")]
    async fn term_calendar(&self, ctx: &Context<'_>, year: i32) -> ApiResult<Vec<TermCalendar>> {
        let state = ctx.data_unchecked::<AppState>();
        Ok(reminders::term_calendars(&state.db, year).await?.into_iter().map(TermCalendar::from).collect())
    }

    #[graphql(guard = "role(OFFICE)")]
    async fn reminder_rules(&self, ctx: &Context<'_>) -> ApiResult<Vec<ReminderRule>> {
        let state = ctx.data_unchecked::<AppState>();
        Ok(reminders::rules(&state.db).await?.into_iter().map(ReminderRule::from).collect())
    }

    /// Queued and sent emails, newest first.
    #[graphql(guard = "role(OFFICE)", complexity = "crate::graphql::list_cost(first, child_complexity)")]
    async fn outbox(
        &self,
        ctx: &Context<'_>,
        first: Option<i64>,
        offset: Option<i64>,
        status: Option<OutboxStatusGql>,
    ) -> ApiResult<PageOf<OutboxMessage>> {
        let state = ctx.data_unchecked::<AppState>();
        let page = requested_page(first, offset)?;
        Ok(PageOf::listed(page, outbox::list(&state.db, status.map(Into::into), page).await?))
    }
}

/// A term calendar's four dates, read and written alike (flattened into both types).
#[derive(SimpleObject, InputObject)]
#[graphql(name = "TermDates", input_name = "TermDatesInput")]
pub struct TermDatesGql {
    spring_start: Date,
    spring_end: Date,
    autumn_start: Date,
    autumn_end: Date,
}

impl From<TermDates> for TermDatesGql {
    fn from(d: TermDates) -> Self {
        TermDatesGql {
            spring_start: d.spring_start.into(),
            spring_end: d.spring_end.into(),
            autumn_start: d.autumn_start.into(),
            autumn_end: d.autumn_end.into(),
        }
    }
}

impl From<TermDatesGql> for TermDates {
    fn from(d: TermDatesGql) -> Self {
        TermDates {
            spring_start: d.spring_start.into(),
            spring_end: d.spring_end.into(),
            autumn_start: d.autumn_start.into(),
            autumn_end: d.autumn_end.into(),
        }
    }
}

#[derive(InputObject)]
pub struct TermCalendarInput {
    year: i32,
    /// A university's own dates; without it, the default of every university.
    unit_id: Option<ID>,
    #[graphql(flatten)]
    dates: TermDatesGql,
}

#[derive(Default)]
pub struct ReminderMutation;

#[Object]
impl ReminderMutation {
    #[graphql(guard = "role(OFFICE)")]
    async fn set_term_calendar(
        &self,
        ctx: &Context<'_>,
        input: TermCalendarInput,
    ) -> ApiResult<TermCalendar> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let unit_id = input.unit_id.as_ref().map(parse_id).transpose()?;
        let dates = input.dates.into();
        Ok(reminders::set_term_calendar(&state.db, &state.clock, actor, input.year, unit_id, dates)
            .await?
            .into())
    }

    /// Days before the event (for the digest: the weekday, 1 = Monday), and on or off.
    #[graphql(guard = "role(OFFICE)")]
    async fn set_reminder_rule(
        &self,
        ctx: &Context<'_>,
        kind: ReminderKindGql,
        offsets: Vec<i64>,
        enabled: bool,
    ) -> ApiResult<ReminderRule> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        Ok(reminders::set_rule(&state.db, &state.clock, actor, kind.into(), &offsets, enabled).await?.into())
    }

    /// Queues a FAILED message again, with its attempts counted from zero.
    #[graphql(guard = "role(OFFICE)")]
    async fn resend_message(&self, ctx: &Context<'_>, id: ID) -> ApiResult<OutboxMessage> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        Ok(outbox::resend(&state.db, &state.clock, actor, parse_id(&id)?).await?.into())
    }
}

#[derive(SimpleObject)]
pub struct TermCalendar {
    year: i32,
    /// Empty for the default.
    unit_id: Option<ID>,
    #[graphql(flatten)]
    dates: TermDatesGql,
    updated_at: DateTime<Utc>,
}

impl From<TermCalendarView> for TermCalendar {
    fn from(v: TermCalendarView) -> Self {
        TermCalendar {
            year: v.year,
            unit_id: v.unit_id.map(|u| ID(u.to_string())),
            dates: v.dates.into(),
            updated_at: v.updated_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct ReminderRule {
    kind: ReminderKindGql,
    offsets: Vec<i64>,
    enabled: bool,
}

impl From<RuleView> for ReminderRule {
    fn from(v: RuleView) -> Self {
        ReminderRule { kind: v.kind.into(), offsets: v.offsets, enabled: v.enabled }
    }
}

#[derive(SimpleObject)]
pub struct OutboxMessage {
    id: ID,
    kind: String,
    recipient: String,
    recipient_name: Option<String>,
    subject: String,
    status: OutboxStatusGql,
    attempts: i32,
    last_error: Option<String>,
    next_attempt_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
}

impl From<MessageView> for OutboxMessage {
    fn from(v: MessageView) -> Self {
        OutboxMessage {
            id: ID(v.id.to_string()),
            kind: v.kind.code().to_owned(),
            recipient: v.recipient,
            recipient_name: v.recipient_name,
            subject: v.subject,
            status: v.status.into(),
            attempts: v.attempts,
            last_error: v.last_error,
            next_attempt_at: v.next_attempt_at,
            created_at: v.created_at,
            sent_at: v.sent_at,
        }
    }
}
