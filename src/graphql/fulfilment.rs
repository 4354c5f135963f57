//! Fulfilment: every quota's progress as of a date, rolled up, and by month.
use async_graphql::{ComplexObject, Context, Enum, Object, SimpleObject, ID};

use super::auth;
use super::guards::{role, ANY_ROLE};
use super::loaders;
use super::page::{requested_page, PageOf};
use super::plan::parse_id;
use super::scalars::Date;
use super::types::{SectionGql, UnitKindGql};
use crate::domain::ids::UnitId;
use crate::error::ApiResult;
use crate::services::clinical_use::{self, CountySupply, SupplyBalance, SupplyMonth};
use crate::services::fulfilment::{
    self, Progress, ProgressFilter, ProgressOrder, Scope, SectionProgress, SubUnitProgress, UnitProgress,
};
use crate::services::population::{self, Rate};
use crate::state::AppState;

#[derive(Default)]
pub struct FulfilmentQuery;

#[Object]
impl FulfilmentQuery {
    /// How the year's plan is being fulfilled as of `asOf` (default today, or the year's last
    /// day once it is over). Everyone signed in sees the city, sections and counties; a
    /// liaison sees only their own holder among `units`.
    #[graphql(guard = "role(ANY_ROLE)")]
    async fn fulfilment(&self, ctx: &Context<'_>, year: i32, as_of: Option<Date>) -> ApiResult<Fulfilment> {
        let state = ctx.data_unchecked::<AppState>();
        let as_of = as_of.map_or_else(|| fulfilment::default_as_of(year, state.clock.today()), Into::into);
        let scope =
            fulfilment::scope(&state.db, &state.answers, year, as_of, state.behind_margin_points).await?;
        Ok(Fulfilment {
            scope,
            sections: tokio::sync::OnceCell::new(),
            city_rate: tokio::sync::OnceCell::new(),
        })
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
#[graphql(remote = "crate::services::fulfilment::ProgressOrder")]
pub enum FulfilmentOrderBy {
    /// As printed: counties, city-level units, enterprises, each by sequence number.
    #[default]
    Table,
    ShareAsc,
    ShareDesc,
    RemainingDesc,
    Name,
}

/// A year's fulfilment as of a date. Each field asks the database only what it needs: the
/// city and section figures are one GROUP BY (asked once, whichever fields want them), the
/// counties and a page of holders their own statements.
pub struct Fulfilment {
    scope: Scope,
    sections: tokio::sync::OnceCell<Vec<SectionProgress>>,
    city_rate: tokio::sync::OnceCell<Rate>,
}

impl Fulfilment {
    async fn sections(&self, ctx: &Context<'_>) -> ApiResult<&[SectionProgress]> {
        let state = ctx.data_unchecked::<AppState>();
        let sections = self.sections.get_or_try_init(|| fulfilment::sections(&state.db, &self.scope)).await?;
        Ok(sections)
    }

    async fn city(&self, ctx: &Context<'_>) -> ApiResult<Progress> {
        Ok(fulfilment::city(&self.scope, self.sections(ctx).await?))
    }

    async fn city_rate(&self, ctx: &Context<'_>) -> ApiResult<Rate> {
        let state = ctx.data_unchecked::<AppState>();
        Ok(*self.city_rate.get_or_try_init(|| population::city_rate(&state.db, &self.scope)).await?)
    }
}

#[Object]
impl Fulfilment {
    async fn year(&self) -> i32 {
        self.scope.plan.year
    }
    async fn as_of(&self) -> Date {
        self.scope.as_of.into()
    }
    /// Share of the year elapsed as of `asOf` (days elapsed / days in the year).
    async fn elapsed_share(&self) -> f64 {
        self.scope.schedule.elapsed_days as f64 / self.scope.schedule.days_in_year as f64
    }
    /// Points the collected share may trail the elapsed share before a holder is behind.
    async fn margin_points(&self) -> i64 {
        self.scope.schedule.margin_points
    }
    /// The city's figures: every holder's summed (the group plan and its progress).
    #[graphql(flatten)]
    async fn figures(&self, ctx: &Context<'_>) -> ApiResult<Figures> {
        Ok(Figures::from(&self.city(ctx).await?))
    }
    /// The notice's city-wide donation target (group quotas are only part of it).
    async fn donation_target(&self) -> Option<i64> {
        self.scope.plan.donation_target
    }
    async fn volume_target_ml(&self) -> Option<i64> {
        self.scope.plan.volume_target_ml
    }
    /// Collected donations over the city's donation target.
    async fn donation_target_share(&self, ctx: &Context<'_>) -> ApiResult<Option<f64>> {
        let Some(t) = self.scope.plan.donation_target.filter(|t| *t > 0) else { return Ok(None) };
        Ok(Some(self.city(ctx).await?.collected_donations as f64 / t as f64))
    }
    async fn volume_target_share(&self, ctx: &Context<'_>) -> ApiResult<Option<f64>> {
        let Some(t) = self.scope.plan.volume_target_ml.filter(|t| *t > 0) else { return Ok(None) };
        Ok(Some(self.city(ctx).await?.collected_volume_ml as f64 / t as f64))
    }
    /// The city's resident population entered for the year (null: not entered).
    async fn population(&self, ctx: &Context<'_>) -> ApiResult<Option<i64>> {
        Ok(self.city_rate(ctx).await?.population)
    }
    /// Every collection of the year as of `asOf` (every holder, fixed sites included) per
    /// 1,000 residents of the city: donations × 1000 / population (null without a population).
    async fn donations_per_thousand(&self, ctx: &Context<'_>) -> ApiResult<Option<f64>> {
        Ok(self.city_rate(ctx).await?.per_thousand)
    }
    /// The notice's target: more than this many donations per 1,000 residents (2020: 15).
    async fn target_donations_per_thousand(&self) -> Option<i64> {
        population::target(self.scope.plan.year)
    }
    /// Whether the city's rate is above the target (null without a population or target).
    async fn meets_donation_rate_target(&self, ctx: &Context<'_>) -> ApiResult<Option<bool>> {
        Ok(self.city_rate(ctx).await?.meets_target)
    }
    /// 采供平衡: each county's collected volume against its hospitals' clinical use, month by
    /// month (the months with recorded use, up to `asOf`'s month), counties in deficit first;
    /// and the city's share of clinical blood from voluntary donation.
    async fn supply_balance(&self, ctx: &Context<'_>) -> ApiResult<SupplyBalanceGql> {
        let state = ctx.data_unchecked::<AppState>();
        Ok(SupplyBalanceGql(clinical_use::supply_balance(&state.db, &self.scope).await?))
    }
    async fn by_section(&self, ctx: &Context<'_>) -> ApiResult<Vec<SectionFulfilment>> {
        Ok(self.sections(ctx).await?.iter().map(SectionFulfilment::from).collect())
    }
    /// Each county's own quota and progress (section COUNTY).
    async fn by_county(&self, ctx: &Context<'_>) -> ApiResult<Vec<UnitFulfilment>> {
        let state = ctx.data_unchecked::<AppState>();
        let counties = fulfilment::counties(&state.db, &self.scope).await?;
        Ok(counties.iter().map(|u| UnitFulfilment::of(u, &self.scope)).collect())
    }
    /// Holders, filtered, sorted and paged: `first` 1–500 (default 50), `offset` default 0.
    #[graphql(complexity = "crate::graphql::list_cost(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn units(
        &self,
        ctx: &Context<'_>,
        first: Option<i64>,
        offset: Option<i64>,
        section: Option<SectionGql>,
        kind: Option<UnitKindGql>,
        behind_schedule: Option<bool>,
        name_contains: Option<String>,
        order_by: Option<FulfilmentOrderBy>,
    ) -> ApiResult<PageOf<UnitFulfilment>> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let page = requested_page(first, offset)?;
        let filter = ProgressFilter {
            section: section.map(Into::into),
            kind: kind.map(Into::into),
            behind_schedule,
            name_contains,
        };
        let order: ProgressOrder = order_by.unwrap_or_default().into();
        // Counted only when the query asks for the count.
        let count = ctx.look_ahead().field("totalCount").exists();
        let found = fulfilment::units(&state.db, &self.scope, actor, &filter, order, page, count).await?;
        let nodes = found.rows.iter().map(|u| UnitFulfilment::of(u, &self.scope)).collect();
        Ok(PageOf::known(found.total, found.has_next_page, nodes))
    }
    /// Collected donations and volume for each month of the year up to `asOf`, city-wide or
    /// for one holder (a liaison: their own).
    async fn monthly(&self, ctx: &Context<'_>, unit_id: Option<ID>) -> ApiResult<Vec<MonthCollected>> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let unit_id = unit_id.as_ref().map(parse_id).transpose()?;
        let months =
            fulfilment::monthly(&state.db, actor, self.scope.plan.year, unit_id, Some(self.scope.as_of))
                .await?;
        Ok(months
            .into_iter()
            .map(|m| MonthCollected { month: m.month as i32, donations: m.donations, volume_ml: m.volume_ml })
            .collect())
    }
}

#[derive(SimpleObject)]
pub struct MonthCollected {
    month: i32,
    donations: i64,
    volume_ml: i64,
}

/// The progress figures of every level (the city, a section, a holder, a sub-unit), as
/// `services::fulfilment::Progress` computes them, flattened into each level's type.
#[derive(SimpleObject)]
pub struct Figures {
    /// The quota: a holder's own, a sub-unit's in the accepted breakdown, or the quotas of
    /// the holders below it summed (a section's, the city's group plan).
    quota: i64,
    /// Expected donors of requested and confirmed visits after `asOf` in the year.
    booked_donors: i64,
    collected_donations: i64,
    collected_volume_ml: i64,
    /// Collected donations over the quota (1.0 = fulfilled).
    share: f64,
    remaining: i64,
    behind_schedule: bool,
}

impl From<&Progress> for Figures {
    fn from(p: &Progress) -> Self {
        Figures {
            quota: p.quota,
            booked_donors: p.booked_donors,
            collected_donations: p.collected_donations,
            collected_volume_ml: p.collected_volume_ml,
            share: p.share,
            remaining: p.remaining,
            behind_schedule: p.behind_schedule,
        }
    }
}

#[derive(SimpleObject)]
pub struct SectionFulfilment {
    kind: SectionGql,
    label: String,
    unit_count: i64,
    /// Holders of the section behind schedule.
    behind_count: i64,
    #[graphql(flatten)]
    figures: Figures,
    /// The section's total as the notice printed it (`quota` is what its rows add up to).
    printed_total: Option<i64>,
    /// printed_total − quota, when a total was printed: the notice's own arithmetic error,
    /// reported, never corrected.
    difference: Option<i64>,
}

impl From<&SectionProgress> for SectionFulfilment {
    fn from(s: &SectionProgress) -> Self {
        SectionFulfilment {
            kind: s.section.into(),
            label: s.section.label_zh().to_owned(),
            unit_count: s.unit_count,
            behind_count: s.behind_count,
            figures: Figures::from(&s.progress),
            printed_total: s.printed_total,
            difference: s.difference(),
        }
    }
}

/// A holder's progress.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct UnitFulfilment {
    #[graphql(skip)]
    year: i32,
    #[graphql(skip)]
    unit_id: UnitId,
    id: ID,
    name: String,
    section: SectionGql,
    seq: i32,
    kind: UnitKindGql,
    #[graphql(flatten)]
    figures: Figures,
    #[graphql(skip)]
    sub_units_key: loaders::SubUnitFiguresKey,
}

impl UnitFulfilment {
    fn of(u: &UnitProgress, scope: &Scope) -> Self {
        let year = scope.plan.year;
        let schedule = scope.schedule;
        UnitFulfilment {
            year,
            unit_id: u.unit_id,
            id: ID(u.unit_id.to_string()),
            name: u.name.clone(),
            section: u.section.into(),
            seq: u.seq,
            kind: u.kind.into(),
            figures: Figures::from(&u.progress),
            sub_units_key: (u.unit_id, scope.plan.year, scope.as_of, schedule.margin_points),
        }
    }
}

#[ComplexObject]
impl UnitFulfilment {
    /// The holder's sub-units (二级单位) with their own figures: those its accepted breakdown
    /// lists, in its order, then any an earlier accepted version listed that still have
    /// figures (`removed`, quota 0). Empty for a holder without an accepted breakdown, and
    /// for a liaison reading another holder: the sub-units are the holder's own data (staff
    /// and its own liaison), while every holder's totals are shown to everyone signed in.
    async fn sub_units(&self, ctx: &Context<'_>) -> ApiResult<Vec<SubUnitFulfilment>> {
        let rows = loaders::sub_unit_figures(ctx, self.sub_units_key).await?;
        Ok(rows.iter().map(SubUnitFulfilment::from).collect())
    }
    /// The county's resident population entered for the year (null: not entered, or the
    /// holder is no county).
    async fn population(&self, ctx: &Context<'_>) -> ApiResult<Option<i64>> {
        Ok(self.rate(ctx).await?.population)
    }
    /// The holder's collected donations (its sub-units and donation houses included) per
    /// 1,000 residents: collectedDonations × 1000 / population (null without a population).
    async fn donations_per_thousand(&self, ctx: &Context<'_>) -> ApiResult<Option<f64>> {
        Ok(self.rate(ctx).await?.per_thousand)
    }
    /// Whether that rate is above the year's `targetDonationsPerThousand`.
    async fn meets_donation_rate_target(&self, ctx: &Context<'_>) -> ApiResult<Option<bool>> {
        Ok(self.rate(ctx).await?.meets_target)
    }
}

/// A sub-unit's progress, counted from the visits and collection records that name it.
#[derive(SimpleObject)]
pub struct SubUnitFulfilment {
    id: ID,
    name: String,
    /// Its kind in the accepted breakdown; null once a newer accepted version dropped it.
    kind: Option<UnitKindGql>,
    /// A newer accepted breakdown no longer lists it: its quota is 0, its figures stay.
    removed: bool,
    #[graphql(flatten)]
    figures: Figures,
}

impl From<&SubUnitProgress> for SubUnitFulfilment {
    fn from(s: &SubUnitProgress) -> Self {
        SubUnitFulfilment {
            id: ID(s.sub_unit_id.to_string()),
            name: s.name.clone(),
            kind: s.kind.map(Into::into),
            removed: s.removed,
            figures: Figures::from(&s.progress),
        }
    }
}

impl UnitFulfilment {
    /// The rate over the population loaded with every other row's.
    async fn rate(&self, ctx: &Context<'_>) -> ApiResult<Rate> {
        let population = super::loaders::county_population(ctx, self.year, self.unit_id).await?;
        Ok(Rate::of(self.year, self.figures.collected_donations, population))
    }
}

/// 采供平衡 of a year: every county of the plan, the counties in deficit first.
pub struct SupplyBalanceGql(SupplyBalance);

#[Object(name = "SupplyBalance")]
impl SupplyBalanceGql {
    /// The months compared: 1 to this (the month of `asOf`).
    async fn through_month(&self) -> i32 {
        self.0.through_month
    }
    /// Every county: those whose recorded months used more than they collected first, then
    /// the others, each group in table order.
    async fn counties(&self) -> Vec<CountySupplyGql> {
        self.0.counties.iter().cloned().map(CountySupplyGql).collect()
    }
    /// Clinical blood used in the counties' recorded months, in mL.
    async fn used_ml(&self) -> i64 {
        self.0.used_ml
    }
    async fn non_voluntary_ml(&self) -> i64 {
        self.0.non_voluntary_ml
    }
    /// Share of that clinical blood from voluntary donation (1.0 = 100 %); null before any
    /// use is recorded.
    async fn voluntary_share(&self) -> Option<f64> {
        self.0.voluntary_share
    }
    /// The notice's target share (2020: 1.0, all clinical blood from voluntary donation).
    async fn target_voluntary_share(&self) -> Option<f64> {
        self.0.target_voluntary_share
    }
    async fn meets_voluntary_target(&self) -> Option<bool> {
        self.0.meets_target
    }
}

/// A county's collected volume against its clinical use, over its recorded months.
pub struct CountySupplyGql(CountySupply);

#[Object(name = "CountySupply")]
impl CountySupplyGql {
    async fn county(&self, ctx: &Context<'_>) -> ApiResult<super::plan::Unit> {
        super::loaders::unit(ctx, self.0.unit_id.0).await
    }
    /// Collected in the months with recorded use (the county holder's kept totals).
    async fn collected_ml(&self) -> i64 {
        self.0.collected_ml
    }
    async fn used_ml(&self) -> i64 {
        self.0.used_ml
    }
    async fn non_voluntary_ml(&self) -> i64 {
        self.0.non_voluntary_ml
    }
    /// collectedMl − usedMl: below zero the county used more than it collected.
    async fn balance_ml(&self) -> i64 {
        self.0.balance_ml
    }
    async fn in_deficit(&self) -> bool {
        self.0.in_deficit()
    }
    /// The months with recorded use, in order.
    async fn months(&self) -> Vec<SupplyMonthGql> {
        self.0.months.iter().map(SupplyMonthGql::from).collect()
    }
}

/// One county's month: collected against used.
#[derive(SimpleObject)]
#[graphql(name = "SupplyMonth")]
pub struct SupplyMonthGql {
    month: i32,
    collected_ml: i64,
    used_ml: i64,
    non_voluntary_ml: i64,
    balance_ml: i64,
}

impl From<&SupplyMonth> for SupplyMonthGql {
    fn from(m: &SupplyMonth) -> Self {
        SupplyMonthGql {
            month: m.month,
            collected_ml: m.collected_ml,
            used_ml: m.used_ml,
            non_voluntary_ml: m.non_voluntary_ml,
            balance_ml: m.balance_ml,
        }
    }
}
