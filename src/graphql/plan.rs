//! The published plan: readable by anyone.
use async_graphql::{Context, Enum, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::auth;
use super::guards::{role, ANY_ROLE, OFFICE};
use super::memo::{MemoKey, Memoized};
use super::page::{requested_page, PageOf};
use super::scalars::Date;
use super::types::{SectionGql, UnitKindGql};
use crate::domain::ids::UnitId;
use crate::error::{ApiError, ApiResult};
use crate::services::plans::{self, PlanView, QuotaRow, SectionSummary, UnitFilter, UnitOrder, UnitView};
use crate::services::{plan_cache, units, ServiceError};
use crate::state::{AppState, CalendarFeed};

#[derive(Default)]
pub struct PlanQuery;

#[derive(Default)]
pub struct UnitMutation;

#[Object]
impl UnitMutation {
    /// Sets a holder's booking options (office): whether its liaisons may book weekend
    /// visits (holidays stay closed) and whether it gets the term reminders. What is left
    /// out stays as it is.
    #[graphql(guard = "role(OFFICE)")]
    async fn set_unit_booking_options(
        &self,
        ctx: &Context<'_>,
        unit_id: ID,
        accepts_weekend_visits: Option<bool>,
        term_bound: Option<bool>,
    ) -> ApiResult<Unit> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let options = units::BookingOptions { accepts_weekend_visits, term_bound };
        Ok(Unit(
            units::set_booking_options(&state.db, &state.clock, actor, parse_id(&unit_id)?, options).await?,
        ))
    }
}

#[Object]
impl PlanQuery {
    /// One year's plan (年度献血计划).
    async fn plan(&self, ctx: &Context<'_>, year: i32) -> ApiResult<Plan> {
        let state = ctx.data_unchecked::<AppState>();
        Ok(Plan(plans::plan_by_year(&state.db, year).await?))
    }

    /// Every plan loaded, oldest first.
    async fn plans(&self, ctx: &Context<'_>) -> ApiResult<Vec<Plan>> {
        let state = ctx.data_unchecked::<AppState>();
        Ok(plans::all_plans(&state.db).await?.into_iter().map(Plan).collect())
    }

    /// A quota holder with its quotas across years.
    async fn unit(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Unit> {
        let state = ctx.data_unchecked::<AppState>();
        Ok(Unit(plans::unit_by_id(&state.db, parse_id(&id)?).await?))
    }
}

/// A client's id as the id type the service asks for (`UnitId`, `VehicleId`, … or `i32`).
pub fn parse_id<T: From<i32>>(id: &ID) -> ApiResult<T> {
    id.parse::<i32>()
        .map(T::from)
        .map_err(|_| ApiError::bad_input(format!("无效的编号 \"{}\"", id.as_str())).into())
}

pub struct Plan(PlanView);

#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
#[graphql(remote = "crate::services::plans::UnitOrder")]
pub enum UnitOrderBy {
    /// As printed: counties, city-level units, enterprises, each by sequence number.
    #[default]
    Table,
    QuotaDesc,
    QuotaAsc,
    Name,
}

#[Object]
impl Plan {
    async fn year(&self) -> i32 {
        self.0.year
    }
    /// 文号, e.g. 咸政办函〔2019〕83号
    async fn document_number(&self) -> Option<&str> {
        self.0.document_number.as_deref()
    }
    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }
    async fn issued_on(&self) -> Option<Date> {
        self.0.issued_on.map(Date)
    }
    /// City-wide donations (人次) the notice asks for; group quotas are only part of it.
    async fn donation_target(&self) -> Option<i64> {
        self.0.donation_target
    }
    async fn volume_target_ml(&self) -> Option<i64> {
        self.0.volume_target_ml
    }
    /// Donations per 1,000 residents the city should exceed.
    async fn donation_rate_per_thousand(&self) -> Option<i64> {
        self.0.donation_rate_per_thousand
    }
    async fn imported_at(&self) -> DateTime<Utc> {
        self.0.imported_at
    }
    /// What the import reported, e.g. a printed section total that differs from its rows.
    async fn warnings(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        super::loaders::plan_warnings(ctx, self.0.id).await
    }
    async fn sections(&self, ctx: &Context<'_>) -> ApiResult<Vec<PlanSection>> {
        Ok(super::loaders::plan_sections(ctx, self.0.id).await?.into_iter().map(PlanSection::from).collect())
    }
    /// The plan's rows (quota holders), paged and filtered: `first` 1–500 (default 50),
    /// `offset` default 0, in table order unless `orderBy` says otherwise.
    #[graphql(complexity = "crate::graphql::list_cost(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn units(
        &self,
        ctx: &Context<'_>,
        first: Option<i64>,
        offset: Option<i64>,
        section: Option<SectionGql>,
        kind: Option<UnitKindGql>,
        name_contains: Option<String>,
        order_by: Option<UnitOrderBy>,
    ) -> ApiResult<Memoized<PageOf<PlanUnit>>> {
        let state = ctx.data_unchecked::<AppState>();
        let page = requested_page(first, offset)?;
        let filter =
            UnitFilter { section: section.map(Into::into), kind: kind.map(Into::into), name_contains };
        let order: UnitOrder = order_by.unwrap_or_default().into();
        let count = ctx.look_ahead().field("totalCount").exists();
        let snapshot = plan_cache::to_page(&state.db, &state.plan_cache, &self.0, &filter).await?;
        // The same for every reader of this plan version: kept once resolved, and the page
        // is only cut when no kept answer will do.
        let key = MemoKey {
            plan_id: self.0.id,
            version: self.0.version,
            arguments: format!("{page:?} {filter:?} {order:?} {count}"),
        };
        Ok(Memoized::new(key, move || {
            let found = snapshot.units_page(&filter, order, page, count);
            let nodes = found.rows.into_iter().map(PlanUnit::from).collect();
            PageOf::known(found.total, found.has_next_page, nodes)
        }))
    }
}

#[derive(SimpleObject)]
pub struct PlanSection {
    kind: SectionGql,
    /// 各县(市、区) / 市直各单位 / 企业
    label: String,
    /// The 合计 as printed in the table.
    printed_total: Option<i64>,
    /// What the section's rows add up to.
    row_total: i64,
    /// printed_total − row_total, when a total was printed.
    difference: Option<i64>,
    unit_count: i64,
}

impl From<SectionSummary> for PlanSection {
    fn from(s: SectionSummary) -> Self {
        PlanSection {
            kind: s.section.into(),
            label: s.section.label_zh().to_owned(),
            printed_total: s.printed_total,
            row_total: s.row_total,
            difference: s.printed_total.map(|p| p - s.row_total),
            unit_count: s.unit_count,
        }
    }
}

/// A quota holder's row in one year's plan.
#[derive(SimpleObject)]
pub struct PlanUnit {
    /// The holder's id (stable across years).
    id: ID,
    section: SectionGql,
    seq: i32,
    name: String,
    /// 计划人数(人次/年)
    quota: i32,
    /// 采血地点
    site: Option<String>,
    /// 备注, e.g. 含二级单位
    note: Option<String>,
    kind: UnitKindGql,
}

impl From<QuotaRow> for PlanUnit {
    fn from(r: QuotaRow) -> Self {
        PlanUnit {
            id: ID(r.unit_id.to_string()),
            section: r.section.into(),
            seq: r.seq,
            name: r.name,
            quota: r.quota,
            site: r.site,
            note: r.note,
            kind: r.kind.into(),
        }
    }
}

pub struct Unit(UnitView);

impl From<UnitView> for Unit {
    fn from(v: UnitView) -> Self {
        Unit(v)
    }
}

#[Object]
impl Unit {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> UnitKindGql {
        self.0.kind.into()
    }
    /// Its liaisons may book visits on weekends (holidays stay closed); set by the office.
    async fn accepts_weekend_visits(&self) -> bool {
        self.0.accepts_weekend_visits
    }
    /// It gets the term reminders (universities by default); set by the office.
    async fn term_bound(&self) -> bool {
        self.0.term_bound
    }
    /// The liaison contact: for the office and the station, and the holder's own liaisons.
    #[graphql(guard = "role(ANY_ROLE)")]
    async fn contact(&self, ctx: &Context<'_>) -> ApiResult<Option<super::contacts::UnitContact>> {
        super::contacts::contact_field(ctx, UnitId(self.0.id)).await
    }
    /// An iCalendar feed of the holder's visits for phone calendars (its liaisons, the office
    /// and the station).
    #[graphql(guard = "role(ANY_ROLE)")]
    async fn calendar_url(&self, ctx: &Context<'_>) -> ApiResult<String> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        actor.may_read_holder(UnitId(self.0.id)).map_err(ServiceError::from)?;
        let token = super::loaders::unit_calendar_token(ctx, UnitId(self.0.id)).await?;
        Ok(state.calendar_url(CalendarFeed::Units, &token))
    }
    /// The holder's quota in each plan year it appears in, oldest first.
    async fn quotas(&self) -> Vec<UnitQuota> {
        self.0
            .quotas
            .iter()
            .map(|(year, r)| UnitQuota {
                year: *year,
                section: r.section.into(),
                seq: r.seq,
                quota: r.quota,
                site: r.site.clone(),
                note: r.note.clone(),
            })
            .collect()
    }
}

#[derive(SimpleObject)]
pub struct UnitQuota {
    year: i32,
    section: SectionGql,
    seq: i32,
    quota: i32,
    site: Option<String>,
    note: Option<String>,
}
