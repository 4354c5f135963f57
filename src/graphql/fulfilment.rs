//! Fulfilment: every quota's progress as of a date, rolled up, and by month.
use super::scalars::Date;
use async_graphql::{Context, Enum, Object, SimpleObject, ID};

use super::auth;
use super::guards::{role, ANY_ROLE};
use super::plan::parse_id;
use super::types::{SectionGql, UnitKindGql};
use crate::error::ApiResult;
use crate::services::fulfilment::{
    self, Fulfilment as Report, Progress, ProgressFilter, ProgressOrder, SectionProgress, UnitProgress,
};
use crate::services::Page;
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
        Ok(Fulfilment(fulfilment::fulfilment(&state.db, year, as_of, state.behind_margin_points).await?))
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum FulfilmentOrderBy {
    /// As printed: counties, city-level units, enterprises, each by sequence number.
    #[default]
    Table,
    ShareAsc,
    ShareDesc,
    RemainingDesc,
    Name,
}

pub struct Fulfilment(Report);

#[Object]
impl Fulfilment {
    async fn year(&self) -> i32 {
        self.0.plan.year
    }
    async fn as_of(&self) -> Date {
        self.0.as_of.into()
    }
    /// Share of the year elapsed as of `asOf` (days elapsed / days in the year).
    async fn elapsed_share(&self) -> f64 {
        self.0.schedule.elapsed_days as f64 / self.0.schedule.days_in_year as f64
    }
    /// Points the collected share may trail the elapsed share before a holder is behind.
    async fn margin_points(&self) -> i64 {
        self.0.schedule.margin_points
    }
    /// The group plan: every holder's quota summed.
    async fn quota(&self) -> i64 {
        self.0.city.quota
    }
    async fn booked_donors(&self) -> i64 {
        self.0.city.booked_donors
    }
    async fn collected_donations(&self) -> i64 {
        self.0.city.collected_donations
    }
    async fn collected_volume_ml(&self) -> i64 {
        self.0.city.collected_volume_ml
    }
    async fn share(&self) -> f64 {
        self.0.city.share
    }
    async fn remaining(&self) -> i64 {
        self.0.city.remaining
    }
    async fn behind_schedule(&self) -> bool {
        self.0.city.behind_schedule
    }
    /// The notice's city-wide donation target (group quotas are only part of it).
    async fn donation_target(&self) -> Option<i64> {
        self.0.plan.donation_target
    }
    async fn volume_target_ml(&self) -> Option<i64> {
        self.0.plan.volume_target_ml
    }
    /// Collected donations over the city's donation target.
    async fn donation_target_share(&self) -> Option<f64> {
        self.0
            .plan
            .donation_target
            .filter(|t| *t > 0)
            .map(|t| self.0.city.collected_donations as f64 / t as f64)
    }
    async fn volume_target_share(&self) -> Option<f64> {
        self.0
            .plan
            .volume_target_ml
            .filter(|t| *t > 0)
            .map(|t| self.0.city.collected_volume_ml as f64 / t as f64)
    }
    async fn by_section(&self) -> Vec<SectionFulfilment> {
        self.0.by_section.iter().map(SectionFulfilment::from).collect()
    }
    /// Each county's own quota and progress (section COUNTY).
    async fn by_county(&self) -> Vec<UnitFulfilment> {
        self.0.by_county.iter().map(UnitFulfilment::from).collect()
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
    ) -> ApiResult<UnitFulfilmentPage> {
        let actor = auth::signed_in(ctx)?;
        let page = Page::new(first.unwrap_or(50), offset.unwrap_or(0))?;
        let filter = ProgressFilter {
            section: section.map(Into::into),
            kind: kind.map(Into::into),
            behind_schedule,
            name_contains,
        };
        let order = match order_by.unwrap_or_default() {
            FulfilmentOrderBy::Table => ProgressOrder::Table,
            FulfilmentOrderBy::ShareAsc => ProgressOrder::ShareAsc,
            FulfilmentOrderBy::ShareDesc => ProgressOrder::ShareDesc,
            FulfilmentOrderBy::RemainingDesc => ProgressOrder::RemainingDesc,
            FulfilmentOrderBy::Name => ProgressOrder::Name,
        };
        let (total, rows) = self.0.units(actor, &filter, order, page);
        Ok(UnitFulfilmentPage {
            total_count: total as i64,
            has_next_page: page.offset + (rows.len() as u64) < total,
            nodes: rows.iter().map(UnitFulfilment::from).collect(),
        })
    }
    /// Collected donations and volume for each month of the year up to `asOf`, city-wide or
    /// for one holder (a liaison: their own).
    async fn monthly(&self, ctx: &Context<'_>, unit_id: Option<ID>) -> ApiResult<Vec<MonthCollected>> {
        let actor = auth::signed_in(ctx)?;
        let state = ctx.data_unchecked::<AppState>();
        let unit_id = unit_id.as_ref().map(parse_id).transpose()?;
        let months =
            fulfilment::monthly(&state.db, actor, self.0.plan.year, unit_id, Some(self.0.as_of)).await?;
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

#[derive(SimpleObject)]
pub struct SectionFulfilment {
    kind: SectionGql,
    label: String,
    unit_count: i64,
    /// Holders of the section behind schedule.
    behind_count: i64,
    quota: i64,
    booked_donors: i64,
    collected_donations: i64,
    collected_volume_ml: i64,
    share: f64,
    remaining: i64,
    behind_schedule: bool,
    /// The section's total as the notice printed it (`quota` is what its rows add up to).
    printed_total: Option<i64>,
    /// printed_total − quota, when a total was printed: the notice's own arithmetic error,
    /// reported, never corrected.
    difference: Option<i64>,
}

impl From<&SectionProgress> for SectionFulfilment {
    fn from(s: &SectionProgress) -> Self {
        let p: &Progress = &s.progress;
        SectionFulfilment {
            kind: s.section.into(),
            label: s.section.label_zh().to_owned(),
            unit_count: s.unit_count,
            behind_count: s.behind_count,
            quota: p.quota,
            booked_donors: p.booked_donors,
            collected_donations: p.collected_donations,
            collected_volume_ml: p.collected_volume_ml,
            share: p.share,
            remaining: p.remaining,
            behind_schedule: p.behind_schedule,
            printed_total: s.printed_total,
            difference: s.difference(),
        }
    }
}

#[derive(SimpleObject)]
pub struct UnitFulfilmentPage {
    total_count: i64,
    has_next_page: bool,
    nodes: Vec<UnitFulfilment>,
}

/// A holder's progress.
#[derive(SimpleObject)]
pub struct UnitFulfilment {
    id: ID,
    name: String,
    section: SectionGql,
    seq: i32,
    kind: UnitKindGql,
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

impl From<&UnitProgress> for UnitFulfilment {
    fn from(u: &UnitProgress) -> Self {
        let p = &u.progress;
        UnitFulfilment {
            id: ID(u.unit_id.to_string()),
            name: u.name.clone(),
            section: u.section.into(),
            seq: u.seq,
            kind: u.kind.into(),
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
