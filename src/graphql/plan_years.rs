//! A new year: the office's draft of it from the last one (`copyPlan`), and the year-on-year
//! comparison of quotas and collected donations (`yearOnYear`).
use async_graphql::{Context, Object, SimpleObject, ID};

use super::auth;
use super::guards::{role, OFFICE, STAFF};
use super::page::{requested_page, PageOf};
use super::types::SectionGql;
use crate::error::ApiResult;
use crate::services::plan_copy;
use crate::services::year_on_year::{self, YearOnYearRow};

#[derive(Default)]
pub struct PlanYearQuery;

#[Object]
impl PlanYearQuery {
    /// Every holder of `year`'s or `previous`'s plan, in `year`'s table order (holders that
    /// left the plan after their section's), with both years' quotas and collected donations
    /// (the kept totals up to today, or the whole year once it is over) and the changes.
    #[graphql(guard = "role(STAFF)", complexity = "crate::graphql::list_cost(first, child_complexity)")]
    async fn year_on_year(
        &self,
        ctx: &Context<'_>,
        year: i32,
        previous: i32,
        first: Option<i64>,
        offset: Option<i64>,
    ) -> ApiResult<PageOf<YearOnYear>> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let page = requested_page(first, offset)?;
        Ok(PageOf::listed(page, year_on_year::compare(&state.db, actor, year, previous, page).await?))
    }
}

#[derive(Default)]
pub struct PlanYearMutation;

#[Object]
impl PlanYearMutation {
    /// The draft of year `to` from year `from`'s plan, as the files of a plan folder that
    /// `bloodplan import` (or the import page, for `units.csv`) reads: the same holders,
    /// quotas and printed totals, the accepted breakdowns, and the term dates moved on a
    /// year. Writes nothing. A `to` that already has a different plan: `PLAN_YEAR_EXISTS`.
    #[graphql(guard = "role(OFFICE)")]
    async fn copy_plan(&self, ctx: &Context<'_>, from: i32, to: i32) -> ApiResult<PlanDraft> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let draft = plan_copy::copy_plan(&state.db, actor, from, to).await?;
        Ok(PlanDraft {
            from: draft.from,
            year: draft.to,
            files: draft
                .files
                .into_iter()
                .map(|f| PlanDraftFile { name: f.name.to_owned(), content: f.content })
                .collect(),
        })
    }
}

/// A year's plan drafted from another, as a plan folder's files.
#[derive(SimpleObject)]
pub struct PlanDraft {
    /// The year copied.
    from: i32,
    /// The year drafted.
    year: i32,
    /// `plan.toml`, `units.csv` and, when a holder had an accepted breakdown, `breakdowns.csv`.
    files: Vec<PlanDraftFile>,
}

/// One file of a plan folder: its name and UTF-8 text.
#[derive(SimpleObject)]
pub struct PlanDraftFile {
    name: String,
    content: String,
}

/// A holder's quota and collected donations in two years.
#[derive(SimpleObject)]
pub struct YearOnYear {
    unit_id: ID,
    unit_name: String,
    section: SectionGql,
    /// None: not in this year's plan.
    quota: Option<i64>,
    /// None: not in the previous year's plan.
    previous_quota: Option<i64>,
    /// `quota − previousQuota`, when the holder is in both plans.
    quota_change: Option<i64>,
    collected_donations: i64,
    previous_collected_donations: i64,
    collected_change: i64,
}

impl From<YearOnYearRow> for YearOnYear {
    fn from(r: YearOnYearRow) -> Self {
        YearOnYear {
            unit_id: ID(r.unit_id.to_string()),
            quota_change: r.quota_change(),
            collected_change: r.collected_change(),
            unit_name: r.name,
            section: r.section.into(),
            quota: r.quota,
            previous_quota: r.previous_quota,
            collected_donations: r.collected,
            previous_collected_donations: r.previous_collected,
        }
    }
}
