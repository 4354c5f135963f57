//! Breakdown plans (分解计划): a holder's liaison submits its year's quota divided among its
//! sub-units; the office accepts it or returns it with a comment. Every version is kept and
//! every step audited. The rules are in `domain::breakdown`.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, Set,
};
use serde_json::json;

use super::audit::Change;
use super::{clean, Page, ServiceError};
use crate::clock::Clock;
use crate::db::entities::{breakdown, breakdown_deadline, breakdown_row, plan_quota, unit};
use crate::domain::auth::{Actor, OFFICE, STAFF};
use crate::domain::breakdown::{self as rules, BreakdownProblem, BreakdownStatus, SubUnitRow};
use crate::domain::ids::UnitId;
use crate::domain::plan_table::{self, Problem};
use crate::domain::{Section, UnitKind};

pub mod codes {
    error_codes! {
        /// The rows add up to less than the holder's quota.
        BREAKDOWN_SHORT,
        /// The holder is neither a county nor a row that includes sub-units.
        BREAKDOWN_NOT_REQUIRED,
        /// The office decides only on a version that is waiting for it.
        BREAKDOWN_NOT_SUBMITTED,
        /// Another version was submitted at the same moment.
        BREAKDOWN_CHANGED,
        /// The holder has no quota in that year's plan.
        NO_QUOTA_FOR_YEAR,
        /// An uploaded breakdown file has problems (each with its line and column).
        BREAKDOWN_FILE_INVALID,
        /// The deadline of a year's breakdowns is not a day of that year.
        BREAKDOWN_DEADLINE_INVALID,
    }
}

/// How many versions of one holder's breakdown a list shows, newest first.
pub const MAX_VERSIONS: u64 = 50;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubUnitView {
    pub name: String,
    pub kind: UnitKind,
    pub quota: i64,
}

#[derive(Debug, Clone)]
pub struct BreakdownView {
    pub id: i32,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub year: i32,
    pub version: i32,
    pub status: BreakdownStatus,
    pub quota: i64,
    pub total: i64,
    pub comment: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub sub_units: Vec<SubUnitView>,
}

impl BreakdownView {
    /// How far the breakdown exceeds the quota it was submitted against.
    pub fn surplus(&self) -> i64 {
        self.total - self.quota
    }
}

/// A holder's line in the office's overview of a year: asked for a breakdown, and where its
/// latest version stands (none submitted yet: `latest` is `None`).
#[derive(Debug, Clone)]
pub struct OverviewRow {
    pub unit_id: UnitId,
    pub unit_name: String,
    pub section: Section,
    pub quota: i64,
    pub latest: Option<(i32, BreakdownStatus)>,
    /// The latest version's sub-units added up.
    pub latest_total: Option<i64>,
    /// Has a version waiting for the office or accepted (已上报, [`rules::HANDED_IN`]): a
    /// holder whose only versions were returned has not.
    pub handed_in: bool,
}

impl OverviewRow {
    /// How far the latest version exceeds the holder's quota now; none before one is submitted.
    pub fn surplus(&self) -> Option<i64> {
        self.latest_total.map(|t| t.saturating_sub(self.quota))
    }
}

/// A holder's row in a year's plan as its breakdown pages show it.
#[derive(Debug, Clone)]
pub struct HolderYear {
    pub unit_name: String,
    pub quota: i64,
    /// Asked for a breakdown (`domain::breakdown::required`).
    pub required: bool,
}

/// The holder's quota in `year` and whether it is asked for a breakdown: for staff and the
/// holder's own liaison. `NO_QUOTA_FOR_YEAR` when the holder is not in that year's plan.
pub async fn holder_year(
    db: &DatabaseConnection,
    actor: &Actor,
    unit_id: UnitId,
    year: i32,
) -> Result<HolderYear, ServiceError> {
    actor.may_read_holder(unit_id)?;
    let (row, holder) = plan_row(db, unit_id, year).await?;
    Ok(HolderYear {
        unit_name: holder.name,
        quota: i64::from(row.quota),
        required: rules::required(row.section, row.note.as_deref()),
    })
}

/// The holder's row in `year`'s plan: quota, section and note, with its name.
async fn plan_row(
    db: &impl ConnectionTrait,
    unit_id: UnitId,
    year: i32,
) -> Result<(plan_quota::Model, unit::Model), ServiceError> {
    let holder = super::find_or_not_found(db, unit::Entity, unit_id, super::noun::UNIT).await?;
    let row = super::plans::quotas_of_year(year)
        .filter(plan_quota::Column::UnitId.eq(unit_id))
        .one(db)
        .await?
        .ok_or_else(|| {
            ServiceError::rejected(
                codes::NO_QUOTA_FOR_YEAR,
                format!("{}在 {year} 年计划中没有计划人数", holder.name),
            )
        })?;
    Ok((row, holder))
}

/// Submits a new version of `unit_id`'s breakdown for `year`: the office, or the holder's own
/// liaison. A version still waiting for the office is superseded by it.
pub async fn submit(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    unit_id: UnitId,
    year: i32,
    rows: Vec<SubUnitRow>,
) -> Result<BreakdownView, ServiceError> {
    actor.may_manage_holder(unit_id)?;
    crate::domain::text::check_year(year).map_err(ServiceError::BadInput)?;
    let txn = crate::db::begin_write(db).await?;
    let (row, holder) = plan_row(&txn, unit_id, year).await?;
    if !rules::required(row.section, row.note.as_deref()) {
        return Err(ServiceError::rejected(
            codes::BREAKDOWN_NOT_REQUIRED,
            format!("{}不是县(市、区)，计划中也未注明含二级单位，无需上报分解计划", holder.name),
        ));
    }
    let quota = i64::from(row.quota);
    let checked = rules::check(rows, quota).map_err(|problem| match problem {
        BreakdownProblem::Short { .. } => ServiceError::rejected(codes::BREAKDOWN_SHORT, problem.message()),
        BreakdownProblem::Invalid(m) => ServiceError::BadInput(m),
    })?;
    let last: Option<i32> = breakdown::Entity::find()
        .select_only()
        .column_as(breakdown::Column::Version.max(), "v")
        .filter(breakdown::Column::UnitId.eq(unit_id))
        .filter(breakdown::Column::Year.eq(year))
        .into_tuple::<Option<i32>>()
        .one(&txn)
        .await?
        .flatten();
    let version = last.unwrap_or(0).checked_add(1).ok_or_else(|| ServiceError::Internal("version".into()))?;
    breakdown::Entity::update_many()
        .col_expr(breakdown::Column::Status, Expr::value(BreakdownStatus::Superseded))
        .filter(breakdown::Column::UnitId.eq(unit_id))
        .filter(breakdown::Column::Year.eq(year))
        .filter(breakdown::Column::Status.eq(BreakdownStatus::Submitted))
        .exec(&txn)
        .await?;
    let now = clock.now();
    let inserted = breakdown::Entity::insert(breakdown::ActiveModel {
        unit_id: Set(unit_id),
        year: Set(year),
        version: Set(version),
        status: Set(BreakdownStatus::Submitted),
        quota: Set(quota),
        total: Set(checked.total),
        comment: Set(None),
        submitted_by: Set(Some(actor.user_id.0)),
        submitted_at: Set(now),
        decided_by: Set(None),
        decided_at: Set(None),
        ..Default::default()
    })
    .exec(&txn)
    .await;
    let id = match inserted {
        Ok(r) => r.last_insert_id,
        Err(e) if crate::db::is_unique_violation(&e) => {
            return Err(ServiceError::rejected(
                codes::BREAKDOWN_CHANGED,
                "同一时间另有一份分解计划提交，请刷新后再提交",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    insert_rows(&txn, id, &checked.rows).await?;
    Change::new("breakdown", id, "submit", actor)
        .after(json!({
            "unitId": unit_id, "year": year, "version": version, "quota": quota,
            "total": checked.total, "subUnits": checked.rows.len(),
        }))
        .record(&txn, clock)
        .await?;
    txn.commit().await?;
    Ok(BreakdownView {
        id,
        unit_id,
        unit_name: holder.name,
        year,
        version,
        status: BreakdownStatus::Submitted,
        quota,
        total: checked.total,
        comment: None,
        submitted_at: now,
        decided_at: None,
        sub_units: checked
            .rows
            .into_iter()
            .map(|r| SubUnitView { name: r.name, kind: r.kind, quota: r.quota })
            .collect(),
    })
}

async fn insert_rows(
    txn: &DatabaseTransaction,
    breakdown_id: i32,
    rows: &[SubUnitRow],
) -> Result<(), ServiceError> {
    let numbered: Vec<_> = rows.iter().enumerate().collect();
    for chunk in numbered.chunks(super::INSERT_CHUNK) {
        let models = chunk.iter().map(|(i, r)| breakdown_row::ActiveModel {
            breakdown_id: Set(breakdown_id),
            seq: Set(i32::try_from(*i + 1).unwrap_or(i32::MAX)),
            name: Set(r.name.clone()),
            kind: Set(r.kind),
            // `rules::check` bounds a row's quota far below i32::MAX.
            quota: Set(i32::try_from(r.quota).unwrap_or(i32::MAX)),
            ..Default::default()
        });
        breakdown_row::Entity::insert_many(models).exec(txn).await?;
    }
    Ok(())
}

/// The office accepts a submitted version; the version accepted before it is superseded.
pub async fn accept(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    id: i32,
) -> Result<BreakdownView, ServiceError> {
    decide(db, clock, actor, id, BreakdownStatus::Accepted, None).await
}

/// The office returns a submitted version with a comment; the holder submits a new one.
pub async fn send_back(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    id: i32,
    comment: String,
) -> Result<BreakdownView, ServiceError> {
    let comment = clean(Some(comment), rules::MAX_COMMENT_CHARS, "退回意见")?
        .ok_or_else(|| ServiceError::BadInput("请填写退回意见，说明需要修改的地方".into()))?;
    decide(db, clock, actor, id, BreakdownStatus::Returned, Some(comment)).await
}

async fn decide(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    id: i32,
    to: BreakdownStatus,
    comment: Option<String>,
) -> Result<BreakdownView, ServiceError> {
    actor.require(OFFICE)?;
    let txn = crate::db::begin_write(db).await?;
    let found = super::find_or_not_found(&txn, breakdown::Entity, id, super::noun::BREAKDOWN).await?;
    let now = clock.now();
    // Conditional: a version returned or superseded a moment ago is not decided again.
    let changed = breakdown::Entity::update_many()
        .col_expr(breakdown::Column::Status, Expr::value(to))
        .col_expr(breakdown::Column::Comment, Expr::value(comment.clone()))
        .col_expr(breakdown::Column::DecidedBy, Expr::value(Some(actor.user_id.0)))
        .col_expr(breakdown::Column::DecidedAt, Expr::value(Some(now)))
        .filter(breakdown::Column::Id.eq(id))
        .filter(breakdown::Column::Status.eq(BreakdownStatus::Submitted))
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Err(ServiceError::rejected(
            codes::BREAKDOWN_NOT_SUBMITTED,
            format!("第 {} 版分解计划{}，不能再审核", found.version, found.status.label_zh()),
        ));
    }
    if to == BreakdownStatus::Accepted {
        mark_accepted(&txn, found.unit_id, found.year, id).await?;
    }
    let action = if to == BreakdownStatus::Accepted { "accept" } else { "return" };
    Change::new("breakdown", id, action, actor)
        .before(json!({ "status": found.status.code() }))
        .after(json!({ "status": to.code(), "comment": comment }))
        .record(&txn, clock)
        .await?;
    let view = views(&txn, vec![breakdown::Model { status: to, comment, decided_at: Some(now), ..found }])
        .await?
        .pop()
        .ok_or_else(|| ServiceError::Internal("a decided breakdown vanished".into()))?;
    txn.commit().await?;
    Ok(view)
}

/// What follows when version `id` of `unit_id`'s breakdown for `year` is accepted, however
/// it came to be (the office's decision, or a plan import): the version accepted before it is
/// superseded, and its names become the holder's sub-units of the year — names kept from the
/// version accepted before keep their identity, and with it their visits and records.
async fn mark_accepted(
    txn: &DatabaseTransaction,
    unit_id: UnitId,
    year: i32,
    id: i32,
) -> Result<(), ServiceError> {
    breakdown::Entity::update_many()
        .col_expr(breakdown::Column::Status, Expr::value(BreakdownStatus::Superseded))
        .filter(breakdown::Column::UnitId.eq(unit_id))
        .filter(breakdown::Column::Year.eq(year))
        .filter(breakdown::Column::Status.eq(BreakdownStatus::Accepted))
        .filter(breakdown::Column::Id.ne(id))
        .exec(txn)
        .await?;
    let names: Vec<String> = breakdown_row::Entity::find()
        .select_only()
        .column(breakdown_row::Column::Name)
        .filter(breakdown_row::Column::BreakdownId.eq(id))
        .order_by_asc(breakdown_row::Column::Seq)
        .into_tuple()
        .all(txn)
        .await?;
    super::sub_units::register_accepted(txn, unit_id, year, &names).await
}

/// The versions of a holder's breakdown for `year`, newest first (at most [`MAX_VERSIONS`]):
/// for staff and the holder's own liaison.
pub async fn versions(
    db: &DatabaseConnection,
    actor: &Actor,
    unit_id: UnitId,
    year: i32,
) -> Result<Vec<BreakdownView>, ServiceError> {
    actor.may_read_holder(unit_id)?;
    let rows = breakdown::Entity::find()
        .filter(breakdown::Column::UnitId.eq(unit_id))
        .filter(breakdown::Column::Year.eq(year))
        .order_by_desc(breakdown::Column::Version)
        .limit(MAX_VERSIONS)
        .all(db)
        .await?;
    views(db, rows).await
}

/// Views of `rows` with their sub-units and holder names, in two queries however many.
async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<breakdown::Model>,
) -> Result<Vec<BreakdownView>, ServiceError> {
    let ids: Vec<i32> = rows.iter().map(|b| b.id).collect();
    let mut sub_units: HashMap<i32, Vec<SubUnitView>> = HashMap::new();
    for r in breakdown_row::Entity::find()
        .filter(breakdown_row::Column::BreakdownId.is_in(ids))
        .order_by_asc(breakdown_row::Column::BreakdownId)
        .order_by_asc(breakdown_row::Column::Seq)
        .all(db)
        .await?
    {
        sub_units.entry(r.breakdown_id).or_default().push(SubUnitView {
            name: r.name,
            kind: r.kind,
            quota: i64::from(r.quota),
        });
    }
    let unit_ids: Vec<UnitId> = rows.iter().map(|b| b.unit_id).collect();
    let names = super::units::names_of(db, unit_ids).await?;
    Ok(rows
        .into_iter()
        .map(|b| BreakdownView {
            id: b.id,
            unit_id: b.unit_id,
            unit_name: names.get(&b.unit_id).cloned().unwrap_or_default(),
            year: b.year,
            version: b.version,
            status: b.status,
            quota: b.quota,
            total: b.total,
            comment: b.comment,
            submitted_at: b.submitted_at,
            decided_at: b.decided_at,
            sub_units: sub_units.remove(&b.id).unwrap_or_default(),
        })
        .collect())
}

/// Every holder of `year`'s plan that is asked for a breakdown, in table order, with its
/// latest version's number and status, and how many they are: for the office and the station.
pub async fn overview(
    db: &DatabaseConnection,
    actor: &Actor,
    year: i32,
    page: Page,
) -> Result<(u64, Vec<OverviewRow>), ServiceError> {
    actor.require(STAFF)?;
    let total = asked_quotas(year).count(db).await?;
    Ok((total, overview_rows(db, actor, year, page).await?))
}

/// A page of [`overview`]'s holders, without counting them all (the office's page counts
/// with [`overview_counts`]).
pub async fn overview_rows(
    db: &DatabaseConnection,
    actor: &Actor,
    year: i32,
    page: Page,
) -> Result<Vec<OverviewRow>, ServiceError> {
    actor.require(STAFF)?;
    let rows = asked_quotas(year)
        .order_by_asc(plan_quota::Column::SectionRank)
        .order_by_asc(plan_quota::Column::Seq)
        .offset(page.offset)
        .limit(page.first)
        .find_also_related(unit::Entity)
        .all(db)
        .await?;
    let unit_ids: Vec<UnitId> = rows.iter().map(|(q, _)| q.unit_id).collect();
    let mut latest: HashMap<UnitId, (i32, BreakdownStatus, i64)> = HashMap::new();
    let mut handed_in: HashSet<UnitId> = HashSet::new();
    for b in breakdown::Entity::find()
        .filter(breakdown::Column::Year.eq(year))
        .filter(breakdown::Column::UnitId.is_in(unit_ids))
        .order_by_asc(breakdown::Column::Version)
        .all(db)
        .await?
    {
        if rules::handed_in(b.status) {
            handed_in.insert(b.unit_id);
        }
        latest.insert(b.unit_id, (b.version, b.status, b.total));
    }
    let out: Vec<OverviewRow> = rows
        .into_iter()
        .map(|(q, u)| OverviewRow {
            unit_id: q.unit_id,
            unit_name: u.map(|u| u.name).unwrap_or_default(),
            section: q.section,
            quota: i64::from(q.quota),
            latest: latest.get(&q.unit_id).map(|&(v, s, _)| (v, s)),
            latest_total: latest.get(&q.unit_id).map(|&(_, _, t)| t),
            handed_in: handed_in.contains(&q.unit_id),
        })
        .collect();
    Ok(out)
}

/// How far `year`'s breakdowns have come, over every holder asked for one (the overview's
/// pages show a page of holders; these count them all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverviewCounts {
    /// Holders of the year's plan asked for a breakdown.
    pub asked: u64,
    /// Of them, the ones that handed one in ([`rules::HANDED_IN`]: a version waiting for the
    /// office or accepted).
    pub handed_in: u64,
    /// Whose latest version waits for the office.
    pub waiting: u64,
    /// Whose latest version is accepted.
    pub accepted: u64,
}

/// The counts of the overview, in one statement over the asked holders: for the office and
/// the station.
pub async fn overview_counts(
    db: &DatabaseConnection,
    actor: &Actor,
    year: i32,
) -> Result<OverviewCounts, ServiceError> {
    actor.require(STAFF)?;
    // A version waiting for the office is always its holder's latest (a new version
    // supersedes the one waiting); an accepted one is the latest when none came after it.
    let newer = Query::select()
        .expr(Expr::val(1))
        .from_as(breakdown::Entity, Alias::new("newer"))
        .and_where(
            Expr::col((Alias::new("newer"), breakdown::Column::UnitId))
                .equals((breakdown::Entity, breakdown::Column::UnitId)),
        )
        .and_where(
            Expr::col((Alias::new("newer"), breakdown::Column::Year))
                .equals((breakdown::Entity, breakdown::Column::Year)),
        )
        .and_where(
            Expr::col((Alias::new("newer"), breakdown::Column::Version))
                .gt(Expr::col((breakdown::Entity, breakdown::Column::Version))),
        )
        .to_owned();
    let latest_accepted = holders_with(year, &[BreakdownStatus::Accepted]).filter(Expr::exists(newer).not());
    // How many asked holders are among `holders`.
    let among = |holders: SelectStatement| {
        let one =
            Expr::case(Expr::col((plan_quota::Entity, plan_quota::Column::UnitId)).in_subquery(holders), 1);
        let one: Expr = one.finally(0).into();
        crate::db::sum_i64(one)
    };
    /// SUM over no rows is NULL: none asked, none of anything.
    #[derive(sea_orm::FromQueryResult, Default)]
    struct Counted {
        asked: i64,
        handed_in: Option<i64>,
        waiting: Option<i64>,
        accepted: Option<i64>,
    }
    let counted = asked_quotas(year)
        .select_only()
        .expr_as(Expr::cust("COUNT(*)").cast_as("BIGINT"), "asked")
        .expr_as(among(holders_with(year, &rules::HANDED_IN).into_query()), "handed_in")
        .expr_as(among(holders_with(year, &[BreakdownStatus::Submitted]).into_query()), "waiting")
        .expr_as(among(latest_accepted.into_query()), "accepted")
        .into_model::<Counted>()
        .one(db)
        .await?
        .unwrap_or_default();
    let count = |n: Option<i64>| u64::try_from(n.unwrap_or(0)).unwrap_or(0);
    Ok(OverviewCounts {
        asked: count(Some(counted.asked)),
        handed_in: count(counted.handed_in),
        waiting: count(counted.waiting),
        accepted: count(counted.accepted),
    })
}

/// What a plan import did with a holder's breakdown (`import_accepted`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Imported {
    /// Written as the year's first version, accepted.
    Added(i32),
    /// The holder's latest version has these very rows.
    Same,
    /// The holder has a version of its own for the year, which stays.
    Kept,
}

/// A breakdown a plan folder carries (`bloodplan plan copy` writes last year's accepted
/// ones), written by the import of the plan as the holder's accepted version 1 of `year`:
/// the office imports it, so the office accepts it — with what accepting brings
/// ([`mark_accepted`]: its names become the holder's sub-units of `year`). A holder that
/// already has a version for the year keeps it; the holder submits a new version to change
/// the imported one.
pub(crate) async fn import_accepted(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    unit_id: UnitId,
    year: i32,
    quota: i64,
    rows: &[SubUnitRow],
) -> Result<Imported, sea_orm::DbErr> {
    let latest = breakdown::Entity::find()
        .filter(breakdown::Column::UnitId.eq(unit_id))
        .filter(breakdown::Column::Year.eq(year))
        .order_by_desc(breakdown::Column::Version)
        .one(txn)
        .await?;
    if let Some(latest) = latest {
        let stored: Vec<SubUnitRow> = breakdown_row::Entity::find()
            .filter(breakdown_row::Column::BreakdownId.eq(latest.id))
            .order_by_asc(breakdown_row::Column::Seq)
            .all(txn)
            .await?
            .into_iter()
            .map(|r| SubUnitRow { name: r.name, kind: r.kind, quota: i64::from(r.quota) })
            .collect();
        return Ok(if stored == rows { Imported::Same } else { Imported::Kept });
    }
    let total: i64 = rows.iter().map(|r| r.quota).sum();
    let id = breakdown::Entity::insert(breakdown::ActiveModel {
        unit_id: Set(unit_id),
        year: Set(year),
        version: Set(1),
        status: Set(BreakdownStatus::Accepted),
        quota: Set(quota),
        total: Set(total),
        comment: Set(None),
        submitted_by: Set(None),
        submitted_at: Set(now),
        decided_by: Set(None),
        decided_at: Set(Some(now)),
        ..Default::default()
    })
    .exec(txn)
    .await?
    .last_insert_id;
    let as_db_err = |e: ServiceError| match e {
        ServiceError::Database(e) => e,
        other => sea_orm::DbErr::Custom(other.to_string()),
    };
    insert_rows(txn, id, rows).await.map_err(as_db_err)?;
    mark_accepted(txn, unit_id, year, id).await.map_err(as_db_err)?;
    Ok(Imported::Added(id))
}

/// Each holder's accepted breakdown of `year`, by holder id, its rows in order.
pub(crate) async fn accepted_of_year(
    db: &impl ConnectionTrait,
    year: i32,
) -> Result<HashMap<UnitId, Vec<SubUnitRow>>, ServiceError> {
    let accepted = breakdown::Entity::find()
        .filter(breakdown::Column::Year.eq(year))
        .filter(breakdown::Column::Status.eq(BreakdownStatus::Accepted))
        .all(db)
        .await?;
    let owner: HashMap<i32, UnitId> = accepted.iter().map(|b| (b.id, b.unit_id)).collect();
    let mut out: HashMap<UnitId, Vec<SubUnitRow>> = HashMap::new();
    for r in breakdown_row::Entity::find()
        .filter(breakdown_row::Column::BreakdownId.is_in(owner.keys().copied()))
        .order_by_asc(breakdown_row::Column::BreakdownId)
        .order_by_asc(breakdown_row::Column::Seq)
        .all(db)
        .await?
    {
        if let Some(unit) = owner.get(&r.breakdown_id) {
            out.entry(*unit).or_default().push(SubUnitRow {
                name: r.name,
                kind: r.kind,
                quota: i64::from(r.quota),
            });
        }
    }
    Ok(out)
}

/// A breakdown file is a few hundred rows; a larger upload is refused before it is read.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// Submits a breakdown uploaded as a `.csv` or `.xlsx` file (its first sheet): the columns
/// `name,kind,quota` (or 二级单位, 类别, 计划人数; a `holder` column, as in the breakdowns file
/// `bloodplan plan copy` writes, must name this holder on every line). The file is checked as
/// the plan import checks its rows — every problem with its line and column
/// (`BREAKDOWN_FILE_INVALID`), nothing submitted — and then as `submit`.
pub async fn submit_file(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    unit_id: UnitId,
    year: i32,
    file_name: String,
    bytes: Vec<u8>,
) -> Result<BreakdownView, ServiceError> {
    actor.may_manage_holder(unit_id)?;
    let holder = super::find_or_not_found(db, unit::Entity, unit_id, super::noun::UNIT).await?;
    // Unzipping and reading a workbook is CPU work: off the async workers.
    let rows = tokio::task::spawn_blocking(move || file_rows(&file_name, &bytes, &holder.name))
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))??;
    submit(db, clock, actor, unit_id, year, rows).await
}

/// The sub-units of an uploaded breakdown file, or every problem with its line and column.
pub fn file_rows(file_name: &str, bytes: &[u8], holder: &str) -> Result<Vec<SubUnitRow>, ServiceError> {
    let file = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name).trim().to_owned();
    let lower = file.to_ascii_lowercase();
    if !(lower.ends_with(".csv") || lower.ends_with(".xlsx")) {
        return Err(ServiceError::BadInput("请上传 .csv 或 .xlsx 文件".into()));
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ServiceError::BadInput(format!("文件超过 {} KB，未读取", MAX_FILE_BYTES / 1024)));
    }
    let invalid = |problems: Vec<Problem>| {
        let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
        ServiceError::rejected(
            codes::BREAKDOWN_FILE_INVALID,
            format!("分解计划文件有 {} 处问题，未提交：{}", listed.len(), listed.join("；")),
        )
    };
    let text = super::plan_import::rows_text(&file, bytes).map_err(|p| invalid(vec![p]))?;
    let (lines, mut problems) = plan_table::parse_breakdown_rows(&file, &text, false);
    for l in &lines {
        if let Some(other) = l.holder.as_deref().filter(|h| *h != holder) {
            problems.push(Problem {
                file: file.clone(),
                line: Some(l.line),
                column: Some("holder"),
                message: format!("这一行属于“{other}”，不是{holder}"),
            });
        }
    }
    if lines.is_empty() && problems.is_empty() {
        problems.push(Problem {
            file: file.clone(),
            line: None,
            column: None,
            message: "文件中没有二级单位".into(),
        });
    }
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    Ok(lines.into_iter().map(|l| l.row).collect())
}

/// The rows of `year`'s plan whose holders are asked for a breakdown ([`rules::required`],
/// as SQL).
fn asked_quotas(year: i32) -> Select<plan_quota::Entity> {
    let asked = Condition::any()
        .add(plan_quota::Column::Section.eq(Section::County))
        .add(plan_quota::Column::Note.like(format!("%{}%", rules::SUB_UNITS_NOTE)));
    super::plans::quotas_of_year(year).filter(asked)
}

/// The holders with a version of `year` in one of `statuses`, as a subquery.
fn holders_with(year: i32, statuses: &[BreakdownStatus]) -> Select<breakdown::Entity> {
    breakdown::Entity::find()
        .select_only()
        .column(breakdown::Column::UnitId)
        .filter(breakdown::Column::Year.eq(year))
        .filter(breakdown::Column::Status.is_in(statuses.iter().copied()))
}

/// The office sets (or moves) the deadline for `year`'s breakdown plans: a day of that year.
pub async fn set_deadline(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    year: i32,
    due_on: NaiveDate,
) -> Result<NaiveDate, ServiceError> {
    actor.require(OFFICE)?;
    rules::check_deadline(year, due_on)
        .map_err(|m| ServiceError::rejected(codes::BREAKDOWN_DEADLINE_INVALID, m))?;
    let txn = crate::db::begin_write(db).await?;
    let before = breakdown_deadline::Entity::find_by_id(year).one(&txn).await?.map(|d| d.due_on);
    // One atomic upsert: two offices setting it at once leave one of the two days.
    super::upsert(
        &txn,
        breakdown_deadline::ActiveModel {
            year: Set(year),
            due_on: Set(due_on),
            set_by: Set(Some(actor.user_id.0)),
            set_at: Set(clock.now()),
        },
        [breakdown_deadline::Column::Year],
        [
            breakdown_deadline::Column::DueOn,
            breakdown_deadline::Column::SetBy,
            breakdown_deadline::Column::SetAt,
        ],
    )
    .await?;
    Change::new("breakdown_deadline", year, "set", actor)
        .before(json!({ "dueOn": before }))
        .after(json!({ "year": year, "dueOn": due_on }))
        .record(&txn, clock)
        .await?;
    txn.commit().await?;
    Ok(due_on)
}

/// The deadline of `year`'s breakdown plans, if the office set one.
pub async fn deadline(db: &impl ConnectionTrait, year: i32) -> Result<Option<NaiveDate>, ServiceError> {
    Ok(breakdown_deadline::Entity::find_by_id(year).one(db).await?.map(|d| d.due_on))
}

/// A holder that has not submitted its breakdown by the deadline.
#[derive(Debug, Clone)]
pub struct OverdueHolder {
    pub unit_id: UnitId,
    pub name: String,
    pub quota: i64,
}

/// The holders of `year` that are overdue on `today`, in table order: asked for a breakdown,
/// not handed in ([`rules::HANDED_IN`]: no version waiting for the office or accepted), the
/// day after the deadline or later (none before it, or without a deadline). One query for
/// all of them.
pub async fn overdue(
    db: &impl ConnectionTrait,
    year: i32,
    today: NaiveDate,
) -> Result<Option<(NaiveDate, Vec<OverdueHolder>)>, ServiceError> {
    let Some(due_on) = deadline(db, year).await? else { return Ok(None) };
    if !rules::overdue(due_on, today) {
        return Ok(None);
    }
    let handed_in = holders_with(year, &rules::HANDED_IN).into_query();
    let rows = asked_quotas(year)
        .filter(plan_quota::Column::UnitId.not_in_subquery(handed_in))
        .order_by_asc(plan_quota::Column::SectionRank)
        .order_by_asc(plan_quota::Column::Seq)
        .find_also_related(unit::Entity)
        .all(db)
        .await?;
    let holders = rows
        .into_iter()
        .map(|(q, u)| OverdueHolder {
            unit_id: q.unit_id,
            name: u.map(|u| u.name).unwrap_or_default(),
            quota: i64::from(q.quota),
        })
        .collect();
    Ok(Some((due_on, holders)))
}
