//! Breakdown plans (分解计划): submit, accept, return, and read them.
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::auth;
use super::guards::{role, ANY_ROLE, OFFICE, OFFICE_OR_LIAISON, STAFF};
use super::page::{requested_page, PageOf};
use super::plan::parse_id;
use super::scalars::Date;
use super::types::{SectionGql, UnitKindGql};
use crate::domain::breakdown::SubUnitRow;
use crate::error::ApiResult;
use crate::services::breakdowns::{self, BreakdownView, OverviewRow, SubUnitView};
use crate::services::ServiceError;

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "BreakdownStatus", remote = "crate::domain::breakdown::BreakdownStatus")]
pub enum BreakdownStatusGql {
    /// 待审核
    Submitted,
    /// 已通过
    Accepted,
    /// 已退回
    Returned,
    /// 已被新版本取代
    Superseded,
}

#[derive(Default)]
pub struct BreakdownQuery;

#[Object]
impl BreakdownQuery {
    /// Every version of a holder's breakdown plan for a year, newest first (at most 50): for
    /// the office, the station and the holder's own liaison.
    #[graphql(guard = "role(ANY_ROLE)")]
    async fn breakdowns(&self, ctx: &Context<'_>, unit_id: ID, year: i32) -> ApiResult<Vec<Breakdown>> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let found = breakdowns::versions(&state.db, actor, parse_id(&unit_id)?, year).await?;
        Ok(found.into_iter().map(Breakdown).collect())
    }

    /// The holders asked for a breakdown plan in a year (the counties and the rows that
    /// include sub-units), in table order, with where their latest version stands.
    #[graphql(guard = "role(STAFF)", complexity = "crate::graphql::list_cost(first, child_complexity)")]
    async fn breakdown_overview(
        &self,
        ctx: &Context<'_>,
        year: i32,
        first: Option<i64>,
        offset: Option<i64>,
    ) -> ApiResult<PageOf<BreakdownOverviewRow>> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let page = requested_page(first, offset)?;
        Ok(PageOf::listed(page, breakdowns::overview(&state.db, actor, year, page).await?))
    }

    /// The office's deadline for a year's breakdown plans (none set: null). Holders asked for
    /// a breakdown that have not handed one in (no version waiting for the office or accepted)
    /// are reminded once from the day after it and listed in the office's weekly digest.
    #[graphql(guard = "role(ANY_ROLE)")]
    async fn breakdown_deadline(&self, ctx: &Context<'_>, year: i32) -> ApiResult<Option<BreakdownDeadline>> {
        let (_, state) = auth::signed_in_with_state(ctx)?;
        let due = breakdowns::deadline(&state.db, year).await?;
        Ok(due.map(|d| BreakdownDeadline { year, due_on: d.into() }))
    }
}

/// The last day to submit a year's breakdown plans.
#[derive(SimpleObject)]
pub struct BreakdownDeadline {
    year: i32,
    due_on: Date,
}

#[derive(Default)]
pub struct BreakdownMutation;

/// One sub-unit of a breakdown plan.
#[derive(InputObject)]
pub struct SubUnitInput {
    name: String,
    quota: i64,
    kind: UnitKindGql,
}

#[Object]
impl BreakdownMutation {
    /// Submits a new version of a holder's breakdown plan (the office, or the holder's own
    /// liaison). It must cover the holder's quota (`BREAKDOWN_SHORT` names the shortfall);
    /// more is allowed and shown as `surplus`. A version still waiting is superseded.
    #[graphql(guard = "role(OFFICE_OR_LIAISON)")]
    async fn submit_breakdown(
        &self,
        ctx: &Context<'_>,
        unit_id: ID,
        year: i32,
        rows: Vec<SubUnitInput>,
    ) -> ApiResult<Breakdown> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let rows = rows
            .into_iter()
            .map(|r| SubUnitRow { name: r.name, kind: r.kind.into(), quota: r.quota })
            .collect();
        let saved =
            breakdowns::submit(&state.db, &state.clock, actor, parse_id(&unit_id)?, year, rows).await?;
        Ok(Breakdown(saved))
    }

    /// Submits a new version from an uploaded `.csv` or `.xlsx` file (its first sheet), the
    /// file's bytes in base64: columns `name,kind,quota` (or 二级单位, 类别, 计划人数). Checked as
    /// the plan import checks its rows: every problem with its line and column
    /// (`BREAKDOWN_FILE_INVALID`); then as `submitBreakdown`.
    #[graphql(guard = "role(OFFICE_OR_LIAISON)")]
    async fn submit_breakdown_file(
        &self,
        ctx: &Context<'_>,
        unit_id: ID,
        year: i32,
        file_name: String,
        content_base64: String,
    ) -> ApiResult<Breakdown> {
        use base64::Engine;
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        if content_base64.len() > breakdowns::MAX_FILE_BYTES / 3 * 4 + 4 {
            return Err(ServiceError::BadInput(format!(
                "文件超过 {} KB，未读取",
                breakdowns::MAX_FILE_BYTES / 1024
            ))
            .into());
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(content_base64.trim())
            .map_err(|_| ServiceError::BadInput("contentBase64 不是有效的 Base64 编码".into()))?;
        let saved = breakdowns::submit_file(
            &state.db,
            &state.clock,
            actor,
            parse_id(&unit_id)?,
            year,
            file_name,
            bytes,
        )
        .await?;
        Ok(Breakdown(saved))
    }

    /// The office sets (or moves) the deadline of a year's breakdown plans: a day of that
    /// year (`BREAKDOWN_DEADLINE_INVALID` otherwise). Audited.
    #[graphql(guard = "role(OFFICE)")]
    async fn set_breakdown_deadline(
        &self,
        ctx: &Context<'_>,
        year: i32,
        date: Date,
    ) -> ApiResult<BreakdownDeadline> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let due = breakdowns::set_deadline(&state.db, &state.clock, actor, year, date.into()).await?;
        Ok(BreakdownDeadline { year, due_on: due.into() })
    }

    /// The office accepts a submitted version.
    #[graphql(guard = "role(OFFICE)")]
    async fn accept_breakdown(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Breakdown> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        Ok(Breakdown(breakdowns::accept(&state.db, &state.clock, actor, parse_id(&id)?).await?))
    }

    /// The office returns a submitted version with a comment saying what to change.
    #[graphql(guard = "role(OFFICE)")]
    async fn return_breakdown(&self, ctx: &Context<'_>, id: ID, comment: String) -> ApiResult<Breakdown> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        Ok(Breakdown(breakdowns::send_back(&state.db, &state.clock, actor, parse_id(&id)?, comment).await?))
    }
}

/// One version of a holder's breakdown plan (分解计划).
pub struct Breakdown(BreakdownView);

#[Object]
impl Breakdown {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn unit_id(&self) -> ID {
        ID(self.0.unit_id.to_string())
    }
    async fn unit_name(&self) -> &str {
        &self.0.unit_name
    }
    async fn year(&self) -> i32 {
        self.0.year
    }
    /// 1 for the first version submitted, then 2, 3, …
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn status(&self) -> BreakdownStatusGql {
        self.0.status.into()
    }
    /// The holder's quota when this version was submitted.
    async fn quota(&self) -> i64 {
        self.0.quota
    }
    /// The sub-units' quotas added up.
    async fn total(&self) -> i64 {
        self.0.total
    }
    /// How far `total` exceeds `quota`.
    async fn surplus(&self) -> i64 {
        self.0.surplus()
    }
    /// The office's comment when it returned this version.
    async fn comment(&self) -> Option<&str> {
        self.0.comment.as_deref()
    }
    async fn submitted_at(&self) -> DateTime<Utc> {
        self.0.submitted_at
    }
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }
    async fn sub_units(&self) -> Vec<SubUnit> {
        self.0.sub_units.iter().cloned().map(SubUnit::from).collect()
    }
}

#[derive(SimpleObject)]
pub struct SubUnit {
    name: String,
    kind: UnitKindGql,
    quota: i64,
}

impl From<SubUnitView> for SubUnit {
    fn from(v: SubUnitView) -> Self {
        SubUnit { name: v.name, kind: v.kind.into(), quota: v.quota }
    }
}

/// A holder asked for a breakdown plan, and its latest version (none: not submitted yet).
#[derive(SimpleObject)]
pub struct BreakdownOverviewRow {
    unit_id: ID,
    unit_name: String,
    section: SectionGql,
    quota: i64,
    latest_version: Option<i32>,
    latest_status: Option<BreakdownStatusGql>,
    /// Handed in (已上报): a version is waiting for the office or was accepted. A holder
    /// whose versions were all returned has not, and is overdue after the deadline.
    handed_in: bool,
}

impl From<OverviewRow> for BreakdownOverviewRow {
    fn from(r: OverviewRow) -> Self {
        BreakdownOverviewRow {
            unit_id: ID(r.unit_id.to_string()),
            unit_name: r.unit_name,
            section: r.section.into(),
            quota: r.quota,
            latest_version: r.latest.map(|(v, _)| v),
            latest_status: r.latest.map(|(_, s)| s.into()),
            handed_in: r.handed_in,
        }
    }
}
