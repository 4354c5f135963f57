//! How every quota is being fulfilled, as of a date.
//!
//! Every question is answered by the database in one statement over the kept totals
//! (`services::totals`) joined with the plan's quotas: a section's or the city's figures are
//! a GROUP BY, a page of holders is filtered, sorted and cut there, and only the rows asked
//! for come back. The holder figures every statement starts from are built by one function,
//! [`holder_figures`], so every level adds up the same numbers.
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use sea_orm::sea_query::{
    Alias, Cond, Expr, ExprTrait, Func, JoinType, Order, Query, SelectStatement, SimpleExpr,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, StreamTrait,
};

use super::answers::{self, AnswerCache, Snapshot};
use super::plans::{self, PlanView};
use super::{totals, Page, ServiceError};
use crate::db::entities::{plan_quota, plan_section, unit};
use crate::domain::auth::Actor;
use crate::domain::fulfilment as rules;
use crate::domain::ids::{SubUnitId, UnitId};
use crate::domain::{Section, UnitKind};

/// The figures every level shares: a holder, a section, a county, the city.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Progress {
    pub quota: i64,
    pub booked_donors: i64,
    pub collected_donations: i64,
    pub collected_volume_ml: i64,
    pub share: f64,
    pub remaining: i64,
    pub behind_schedule: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub elapsed_days: i64,
    pub days_in_year: i64,
    pub margin_points: i64,
}

impl Schedule {
    /// `rules::behind_schedule` over the columns `collected` and `quota` of a statement:
    /// collected × days × 100 < (elapsed × 100 − margin × days) × quota, in whole numbers.
    fn behind(&self, collected: Expr, quota: Expr) -> SimpleExpr {
        let days = self.days_in_year;
        let bar = self.elapsed_days * 100 - self.margin_points * days;
        if days <= 0 {
            return Expr::cust("1 = 0");
        }
        quota.clone().gt(0).and(collected.mul(days * 100).lt(Expr::val(bar).mul(quota)))
    }
}

impl Progress {
    fn of(quota: i64, booked: i64, donations: i64, volume: i64, s: Schedule) -> Progress {
        Progress {
            quota,
            booked_donors: booked,
            collected_donations: donations,
            collected_volume_ml: volume,
            share: rules::share(donations, quota),
            remaining: rules::remaining(quota, donations),
            behind_schedule: rules::behind_schedule(
                donations,
                quota,
                s.elapsed_days,
                s.days_in_year,
                s.margin_points,
            ),
        }
    }

    fn sum<'a>(rows: impl Iterator<Item = &'a Progress>, s: Schedule) -> Progress {
        let (mut q, mut b, mut d, mut v) = (0i64, 0i64, 0i64, 0i64);
        for p in rows {
            q = q.saturating_add(p.quota);
            b = b.saturating_add(p.booked_donors);
            d = d.saturating_add(p.collected_donations);
            v = v.saturating_add(p.collected_volume_ml);
        }
        Progress::of(q, b, d, v, s)
    }
}

#[derive(Debug, Clone)]
pub struct UnitProgress {
    pub unit_id: UnitId,
    pub name: String,
    pub kind: UnitKind,
    pub section: Section,
    pub seq: i32,
    pub progress: Progress,
}

#[derive(Debug, Clone)]
pub struct SectionProgress {
    pub section: Section,
    pub unit_count: i64,
    pub behind_count: i64,
    pub progress: Progress,
    /// The section's total as the notice printed it; `progress.quota` is what its rows sum to.
    pub printed_total: Option<i64>,
}

impl SectionProgress {
    /// Printed total − row sum (2020 city-level units: 8,517 − 8,417 = 100); never "fixed".
    pub fn difference(&self) -> Option<i64> {
        self.printed_total.map(|p| p - self.progress.quota)
    }
}

/// What a fulfilment question is about: a year's plan as of a date. Cheap to make (the
/// plan's row, and on PostgreSQL the snapshot); each figure is asked of the database when it
/// is wanted, or taken from the answers kept under the same snapshot (`services::answers`).
#[derive(Debug, Clone)]
pub struct Scope {
    pub plan: PlanView,
    pub as_of: NaiveDate,
    pub schedule: Schedule,
    pub snapshot: Option<Snapshot>,
}

/// The scope of `year` as of `as_of`; `NOT_FOUND` when the year has no plan. Its answers are
/// kept in `answers`.
pub async fn scope(
    db: &impl ConnectionTrait,
    answers: &Arc<AnswerCache>,
    year: i32,
    as_of: NaiveDate,
    margin_points: i64,
) -> Result<Scope, ServiceError> {
    let scope = unkept_scope(db, year, as_of, margin_points).await?;
    // Taken before any figure is computed: every answer kept under it is at least as new.
    Ok(Scope { snapshot: answers::snapshot(db, answers).await?, ..scope })
}

/// [`scope`] whose answers are not kept.
async fn unkept_scope(
    db: &impl ConnectionTrait,
    year: i32,
    as_of: NaiveDate,
    margin_points: i64,
) -> Result<Scope, ServiceError> {
    super::check_dates([as_of])?;
    let plan = plans::plan_by_year(db, year).await?;
    Ok(Scope { plan, as_of, schedule: schedule(year, as_of, margin_points), snapshot: None })
}

impl Scope {
    /// `question` about this scope, kept under its snapshot (if any) once computed.
    async fn kept<T, F>(&self, question: impl FnOnce() -> String, compute: F) -> Result<T, ServiceError>
    where
        T: Clone + Send + Sync + 'static,
        F: std::future::Future<Output = Result<T, ServiceError>>,
    {
        let Scope { plan, as_of, schedule, .. } = self;
        let question =
            || format!("plan {} v{} as of {as_of} {schedule:?}: {}", plan.id, plan.version, question());
        answers::kept(self.snapshot.as_ref(), question, compute).await
    }
}

/// The whole report, every holder's row included: for the exports and the digest, which
/// need each holder. Questions about a part of it ask for that part ([`sections`],
/// [`counties`], [`units`]).
#[derive(Debug, Clone)]
pub struct Fulfilment {
    pub plan: PlanView,
    pub as_of: NaiveDate,
    pub schedule: Schedule,
    /// The group plan: every holder's quota and what they collected.
    pub city: Progress,
    pub by_section: Vec<SectionProgress>,
    /// The county holders (section COUNTY), in table order.
    pub by_county: Vec<UnitProgress>,
    /// Every holder in table order.
    pub units: Vec<UnitProgress>,
}

/// Figures of `year` as of `as_of` (collections dated up to that day, counted with their
/// latest revision; bookings still to come after it), every holder's row included.
pub async fn fulfilment(
    db: &(impl ConnectionTrait + StreamTrait),
    year: i32,
    as_of: NaiveDate,
    margin_points: i64,
) -> Result<Fulfilment, ServiceError> {
    // Every holder's row, once per report (the digest, the exports): not kept.
    let scope = unkept_scope(db, year, as_of, margin_points).await?;
    let units = every_holder(db, &scope).await?;
    // Rolled up from these rows, not asked again: a report's totals are the sums of its
    // rows even when a write commits meanwhile.
    let printed = printed_totals(db, &scope).await?;
    let by_section = Section::ALL
        .into_iter()
        .map(|section| {
            let rows: Vec<&UnitProgress> = units.iter().filter(|u| u.section == section).collect();
            SectionProgress {
                section,
                unit_count: rows.len() as i64,
                behind_count: rows.iter().filter(|u| u.progress.behind_schedule).count() as i64,
                progress: Progress::sum(rows.iter().map(|u| &u.progress), scope.schedule),
                printed_total: printed(section),
            }
        })
        .collect::<Vec<_>>();
    let city = city(&scope, &by_section);
    let by_county = units.iter().filter(|u| u.section == Section::County).cloned().collect();
    let Scope { plan, as_of, schedule, .. } = scope;
    Ok(Fulfilment { plan, as_of, schedule, city, by_section, by_county, units })
}

fn schedule(year: i32, as_of: NaiveDate, margin_points: i64) -> Schedule {
    let (elapsed_days, days_in_year) = rules::elapsed_days(year, as_of);
    Schedule { elapsed_days, days_in_year, margin_points }
}

/// One holder's figures of `year` as of `as_of`, exactly as every other question gives
/// them; `None` when the year has no plan or the holder no quota in it. Reminders and
/// booking warnings quote these, so an email never contradicts the dashboard.
pub async fn holder_fulfilment(
    db: &impl ConnectionTrait,
    year: i32,
    as_of: NaiveDate,
    margin_points: i64,
    unit_id: UnitId,
) -> Result<Option<UnitProgress>, ServiceError> {
    let scope = match unkept_scope(db, year, as_of, margin_points).await {
        Ok(scope) => scope,
        // The year has no plan.
        Err(ServiceError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let only = Listing { holders: Holders::Only(vec![unit_id]), ..Listing::default() };
    Ok(holder_rows(db, &scope, &only, ProgressOrder::Table, None).await?.into_iter().next())
}

/// Each section of the plan in table order: one GROUP BY over the holders' figures.
pub async fn sections(
    db: &impl ConnectionTrait,
    scope: &Scope,
) -> Result<Vec<SectionProgress>, ServiceError> {
    scope.kept(|| "sections".to_owned(), count_sections(db, scope)).await
}

async fn count_sections(
    db: &impl ConnectionTrait,
    scope: &Scope,
) -> Result<Vec<SectionProgress>, ServiceError> {
    #[derive(FromQueryResult)]
    struct SectionRow {
        section: Section,
        unit_count: i64,
        behind_count: Option<i64>,
        quota: Option<i64>,
        booked: Option<i64>,
        donations: Option<i64>,
        volume_ml: Option<i64>,
    }
    let h = |c: &str| Expr::col((Alias::new("h"), Alias::new(c)));
    let behind: Expr = Expr::case(scope.schedule.behind(h("donations"), h("quota")), 1).finally(0).into();
    let backend = db.get_database_backend();
    let query = Query::select()
        .expr_as(h("section"), Alias::new("section"))
        .expr_as(Expr::cust("COUNT(*)").cast_as("BIGINT"), Alias::new("unit_count"))
        .expr_as(crate::db::sum_i64(behind), Alias::new("behind_count"))
        .expr_as(crate::db::sum_i64(h("quota")), Alias::new("quota"))
        .expr_as(crate::db::sum_i64(h("booked")), Alias::new("booked"))
        .expr_as(crate::db::sum_i64(h("donations")), Alias::new("donations"))
        .expr_as(crate::db::sum_i64(h("volume_ml")), Alias::new("volume_ml"))
        .from_subquery(holder_figures(scope, &Listing::default(), backend, false), Alias::new("h"))
        .group_by_col((Alias::new("h"), Alias::new("section")))
        .to_owned();
    let rows = SectionRow::find_by_statement(backend.build(&query)).all(db).await?;
    let printed = printed_totals(db, scope).await?;
    let s = scope.schedule;
    Ok(Section::ALL
        .into_iter()
        .map(|section| {
            let row = rows.iter().find(|r| r.section == section);
            let get = |f: fn(&SectionRow) -> Option<i64>| row.and_then(f).unwrap_or(0);
            SectionProgress {
                section,
                unit_count: row.map_or(0, |r| r.unit_count),
                behind_count: get(|r| r.behind_count),
                progress: Progress::of(
                    get(|r| r.quota),
                    get(|r| r.booked),
                    get(|r| r.donations),
                    get(|r| r.volume_ml),
                    s,
                ),
                printed_total: printed(section),
            }
        })
        .collect())
}

/// Each section's total as the notice printed it.
async fn printed_totals(
    db: &impl ConnectionTrait,
    scope: &Scope,
) -> Result<impl Fn(Section) -> Option<i64>, ServiceError> {
    let printed =
        plan_section::Entity::find().filter(plan_section::Column::PlanId.eq(scope.plan.id)).all(db).await?;
    Ok(move |section| printed.iter().find(|p| p.section == section).map(|p| p.printed_total))
}

/// The group plan: the sections summed.
pub fn city(scope: &Scope, sections: &[SectionProgress]) -> Progress {
    Progress::sum(sections.iter().map(|s| &s.progress), scope.schedule)
}

/// The county holders (section COUNTY) in table order.
pub async fn counties(db: &impl ConnectionTrait, scope: &Scope) -> Result<Vec<UnitProgress>, ServiceError> {
    let filter = Listing { section: Some(Section::County), ..Listing::default() };
    scope.kept(|| "counties".to_owned(), holder_rows(db, scope, &filter, ProgressOrder::Table, None)).await
}

#[derive(Debug, Clone, Default)]
pub struct ProgressFilter {
    pub section: Option<Section>,
    pub kind: Option<UnitKind>,
    pub behind_schedule: Option<bool>,
    pub name_contains: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProgressOrder {
    #[default]
    Table,
    ShareAsc,
    ShareDesc,
    RemainingDesc,
    Name,
}

/// A page of holders and, when asked for, how many match over all pages.
#[derive(Debug, Clone)]
pub struct UnitsPage {
    pub total: Option<u64>,
    pub has_next_page: bool,
    pub rows: Vec<UnitProgress>,
}

/// The holders `actor` may see in detail (all for the office and the station, a liaison's
/// own only), filtered, sorted and paged by the database. `count`: also count every match.
pub async fn units(
    db: &impl ConnectionTrait,
    scope: &Scope,
    actor: &Actor,
    filter: &ProgressFilter,
    order: ProgressOrder,
    page: Page,
    count: bool,
) -> Result<UnitsPage, ServiceError> {
    let holders = match actor.holder_scope() {
        Ok(None) => Holders::All,
        Ok(Some(own)) => Holders::Only(vec![own]),
        Err(_) => Holders::Only(Vec::new()),
    };
    let needle = filter.name_contains.clone().filter(|s| !s.is_empty());
    // No name is longer, and none holds a NUL: such a filter matches nothing.
    let hopeless = needle
        .as_deref()
        .is_some_and(|n| n.contains('\0') || n.chars().count() > plans::MAX_NAME_FILTER_CHARS);
    if hopeless || matches!(&holders, Holders::Only(ids) if ids.is_empty()) {
        return Ok(UnitsPage { total: count.then_some(0), has_next_page: false, rows: Vec::new() });
    }
    let listing = Listing {
        holders,
        section: filter.section,
        kind: filter.kind,
        behind_schedule: filter.behind_schedule,
        name_contains: needle,
    };
    let question = || format!("units {listing:?} {order:?} {page:?} count {count}");
    scope.kept(question, page_of_holders(db, scope, &listing, order, page, count)).await
}

async fn page_of_holders(
    db: &impl ConnectionTrait,
    scope: &Scope,
    listing: &Listing,
    order: ProgressOrder,
    page: Page,
    count: bool,
) -> Result<UnitsPage, ServiceError> {
    // One row past the page says whether another page follows, without counting.
    let limit = page.first.saturating_add(1);
    let mut rows = holder_rows(db, scope, listing, order, Some((limit, page.offset))).await?;
    let has_next_page = rows.len() as u64 > page.first;
    rows.truncate(page.first as usize);
    let total = if count { Some(count_holders(db, scope, listing).await?) } else { None };
    Ok(UnitsPage { total, has_next_page, rows })
}

/// Which holders of the plan a statement is about.
#[derive(Debug, Clone, Default)]
enum Holders {
    #[default]
    All,
    Only(Vec<UnitId>),
}

/// The holders a listing keeps.
#[derive(Debug, Clone, Default)]
struct Listing {
    holders: Holders,
    section: Option<Section>,
    kind: Option<UnitKind>,
    behind_schedule: Option<bool>,
    name_contains: Option<String>,
}

impl Listing {
    /// Whether the listing filters on the figures themselves (not only the plan's rows).
    fn needs_figures(&self, order: ProgressOrder) -> bool {
        self.behind_schedule.is_some() || !matches!(order, ProgressOrder::Table | ProgressOrder::Name)
    }

    /// The conditions on the plan's rows and the holders (`plan_quota`, `unit`).
    fn plan_conditions(&self, backend: DbBackend) -> Cond {
        let mut cond = Cond::all();
        if let Holders::Only(ids) = &self.holders {
            cond = cond
                .add(Expr::col((plan_quota::Entity, plan_quota::Column::UnitId)).is_in(ids.iter().copied()));
        }
        if let Some(s) = self.section {
            cond = cond.add(Expr::col((plan_quota::Entity, plan_quota::Column::Section)).eq(s.code()));
        }
        if let Some(k) = self.kind {
            cond = cond.add(Expr::col((unit::Entity, unit::Column::Kind)).eq(k.code()));
        }
        if let Some(needle) = &self.name_contains {
            cond = cond.add(contains(backend, Expr::col((unit::Entity, unit::Column::Name)), needle));
        }
        cond
    }

    fn needs_unit(&self) -> bool {
        self.kind.is_some() || self.name_contains.is_some()
    }
}

/// `haystack` contains `needle`, byte for byte (LIKE would ignore ASCII case on SQLite).
fn contains(backend: DbBackend, haystack: Expr, needle: &str) -> SimpleExpr {
    let position = match backend {
        DbBackend::Postgres => Func::cust(Alias::new("strpos")).arg(haystack).arg(needle),
        _ => Func::cust(Alias::new("instr")).arg(haystack).arg(needle),
    };
    Expr::expr(position).gt(0)
}

/// `plan_quota ⋈ unit` of the scope's plan: the rows a listing is cut from.
fn plan_rows(scope: &Scope, join_unit: bool) -> SelectStatement {
    let mut q = Query::select()
        .from(plan_quota::Entity)
        .and_where(Expr::col((plan_quota::Entity, plan_quota::Column::PlanId)).eq(scope.plan.id))
        .to_owned();
    if join_unit {
        q.join(
            JoinType::InnerJoin,
            unit::Entity,
            Expr::col((unit::Entity, unit::Column::Id))
                .equals((plan_quota::Entity, plan_quota::Column::UnitId)),
        );
    }
    q
}

/// One row per holder the listing keeps (its holders, section, kind and name; not yet its
/// `behind_schedule`, a figure): `unit_id`, `section`, `seq`, `quota`, `donations`,
/// `volume_ml`, `booked` (every figure a BIGINT, 0 when nothing was kept), with `with_unit`
/// also `name` and `kind`. Every question starts from this statement; the sums are read
/// only for the holders kept.
fn holder_figures(scope: &Scope, listing: &Listing, backend: DbBackend, with_unit: bool) -> SelectStatement {
    let conditions = listing.plan_conditions(backend);
    let join_unit = with_unit || listing.needs_unit();
    let chosen = match &listing.holders {
        Holders::Only(ids) => Some(totals::Holders::Only(ids)),
        Holders::All => None,
    };
    // Some of the plan's holders: their sums only (a semi-join the indexes serve).
    let mut kept = plan_rows(scope, listing.needs_unit());
    kept.expr(Expr::col((plan_quota::Entity, plan_quota::Column::UnitId))).cond_where(conditions.clone());
    let narrowed = listing.section.is_some() || listing.needs_unit();
    let holders = match (chosen, narrowed) {
        (Some(only), _) => only,
        (None, true) => totals::Holders::In(&kept),
        (None, false) => totals::Holders::All,
    };
    let sums = totals::sums_as_of(&totals::AsOf::new(scope.plan.year, scope.as_of), holders);
    let q = |c: plan_quota::Column| Expr::col((plan_quota::Entity, c));
    let s = |c: &str| Expr::col((Alias::new("s"), Alias::new(c)));
    let mut select = plan_rows(scope, join_unit);
    select
        .expr_as(q(plan_quota::Column::UnitId), Alias::new("unit_id"))
        .expr_as(q(plan_quota::Column::Section), Alias::new("section"))
        .expr_as(q(plan_quota::Column::Seq), Alias::new("seq"))
        .expr_as(q(plan_quota::Column::Quota).cast_as("BIGINT"), Alias::new("quota"))
        .expr_as(Expr::expr(s("donations")).if_null(0i64), Alias::new("donations"))
        .expr_as(Expr::expr(s("volume_ml")).if_null(0i64), Alias::new("volume_ml"))
        .expr_as(Expr::expr(s("booked")).if_null(0i64), Alias::new("booked"))
        .join_subquery(
            JoinType::LeftJoin,
            sums,
            Alias::new("s"),
            Expr::col((Alias::new("s"), Alias::new("unit_id")))
                .equals((plan_quota::Entity, plan_quota::Column::UnitId)),
        )
        .cond_where(conditions);
    if with_unit {
        select
            .expr_as(Expr::col((unit::Entity, unit::Column::Name)), Alias::new("name"))
            .expr_as(Expr::col((unit::Entity, unit::Column::Kind)), Alias::new("kind"));
    }
    select
}

/// The sort of a listing over the columns of [`holder_figures`] (`h`). Shares compare as
/// exact decimals on PostgreSQL and MySQL (25 places tell apart any two shares of quotas up
/// to 2³¹) and as doubles on SQLite (exact while quota × quota × share < 2⁵²); ids break ties.
fn order_by(
    select: &mut SelectStatement,
    backend: DbBackend,
    order: ProgressOrder,
    col: impl Fn(&str) -> Expr,
) {
    let share = || {
        let exact = match backend {
            DbBackend::Sqlite => "REAL",
            _ => "DECIMAL(45, 25)",
        };
        let quota = Expr::case(col("quota").gt(0), col("quota")).finally(1);
        col("donations").cast_as(exact).div(quota)
    };
    let table_rank = Expr::case(col("section").eq(Section::County.code()), 0)
        .case(col("section").eq(Section::CityUnit.code()), 1)
        .finally(2);
    let remaining =
        Expr::case(col("quota").gt(col("donations")), col("quota").sub(col("donations"))).finally(0);
    match order {
        ProgressOrder::Table => {
            select.order_by_expr(table_rank.into(), Order::Asc).order_by_expr(col("seq"), Order::Asc);
        }
        ProgressOrder::ShareAsc => {
            select.order_by_expr(share(), Order::Asc);
        }
        ProgressOrder::ShareDesc => {
            select.order_by_expr(share(), Order::Desc);
        }
        ProgressOrder::RemainingDesc => {
            select.order_by_expr(remaining.into(), Order::Desc);
        }
        ProgressOrder::Name => {
            select.order_by_expr(col("name"), Order::Asc);
        }
    }
    select.order_by_expr(col("unit_id"), Order::Asc);
}

#[derive(FromQueryResult)]
struct HolderRow {
    unit_id: UnitId,
    name: String,
    kind: UnitKind,
    section: Section,
    seq: i32,
    quota: i64,
    donations: i64,
    volume_ml: i64,
    booked: i64,
}

impl HolderRow {
    fn progress(self, s: Schedule) -> UnitProgress {
        UnitProgress {
            unit_id: self.unit_id,
            name: self.name,
            kind: self.kind,
            section: self.section,
            seq: self.seq,
            progress: Progress::of(self.quota, self.booked, self.donations, self.volume_ml, s),
        }
    }
}

/// The holders of a listing in `order`, `page` = (limit, offset) of them or all.
async fn holder_rows(
    db: &impl ConnectionTrait,
    scope: &Scope,
    listing: &Listing,
    order: ProgressOrder,
    page: Option<(u64, u64)>,
) -> Result<Vec<UnitProgress>, ServiceError> {
    let backend = db.get_database_backend();
    let rows = if page.is_none() || listing.needs_figures(order) {
        let select = figures_in_order(scope, listing, backend, order, page);
        HolderRow::find_by_statement(backend.build(&select)).all(db).await?
    } else {
        // The plan's rows decide: cut the page from them, then add only its figures.
        let ids = page_of_plan_rows(db, scope, listing, order, page).await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let page = Listing { holders: Holders::Only(ids), ..Listing::default() };
        let mut select = holder_figures(scope, &page, backend, true);
        let h = |c: &str| match c {
            "unit_id" | "section" | "seq" => Expr::col((plan_quota::Entity, Alias::new(c))),
            "name" => Expr::col((unit::Entity, unit::Column::Name)),
            _ => Expr::col(Alias::new(c)),
        };
        order_by(&mut select, backend, order, h);
        HolderRow::find_by_statement(backend.build(&select)).all(db).await?
    };
    Ok(rows.into_iter().map(|r| r.progress(scope.schedule)).collect())
}

/// Every holder's row in table order, read as a stream: a national plan's 45,000 rows are
/// decoded one at a time instead of being held as database rows and as results at once.
async fn every_holder(
    db: &(impl ConnectionTrait + StreamTrait),
    scope: &Scope,
) -> Result<Vec<UnitProgress>, ServiceError> {
    use futures_util::TryStreamExt;
    let backend = ConnectionTrait::get_database_backend(db);
    let select = figures_in_order(scope, &Listing::default(), backend, ProgressOrder::Table, None);
    let mut rows = HolderRow::find_by_statement(backend.build(&select)).stream(db).await?;
    let mut units = Vec::new();
    while let Some(r) = rows.try_next().await? {
        units.push(r.progress(scope.schedule));
    }
    Ok(units)
}

/// The listing's holders with their figures, filtered and sorted on the figures, and the
/// page (`(limit, offset)`) cut when one is given.
fn figures_in_order(
    scope: &Scope,
    listing: &Listing,
    backend: DbBackend,
    order: ProgressOrder,
    page: Option<(u64, u64)>,
) -> SelectStatement {
    let h = |c: &str| Expr::col((Alias::new("h"), Alias::new(c)));
    let mut select = Query::select()
        .column(sea_orm::sea_query::Asterisk)
        .from_subquery(holder_figures(scope, listing, backend, true), Alias::new("h"))
        .to_owned();
    select.cond_where(figure_conditions(scope, listing, h));
    order_by(&mut select, backend, order, h);
    if let Some((limit, offset)) = page {
        select.limit(limit).offset(offset);
    }
    select
}

/// The listing's condition on the figures (`behind_schedule`) over the columns of
/// [`holder_figures`] (`h`); the others were applied by `holder_figures` itself.
fn figure_conditions(scope: &Scope, listing: &Listing, h: impl Fn(&str) -> Expr) -> Cond {
    let mut cond = Cond::all();
    if let Some(b) = listing.behind_schedule {
        let behind = scope.schedule.behind(h("donations"), h("quota"));
        cond = cond.add(if b { behind } else { behind.not() });
    }
    cond
}

/// The ids of a page of the plan's rows in TABLE or NAME order (the indexes on
/// `plan_quota (plan_id, section, seq)` and `unit (name)` serve them).
async fn page_of_plan_rows(
    db: &impl ConnectionTrait,
    scope: &Scope,
    listing: &Listing,
    order: ProgressOrder,
    page: Option<(u64, u64)>,
) -> Result<Vec<UnitId>, ServiceError> {
    let backend = db.get_database_backend();
    let join_unit = listing.needs_unit() || order == ProgressOrder::Name;
    let mut select = plan_rows(scope, join_unit);
    select.expr_as(Expr::col((plan_quota::Entity, plan_quota::Column::UnitId)), Alias::new("unit_id"));
    select.cond_where(listing.plan_conditions(backend));
    let h = |c: &str| match c {
        "name" => Expr::col((unit::Entity, unit::Column::Name)),
        _ => Expr::col((plan_quota::Entity, Alias::new(c))),
    };
    order_by(&mut select, backend, order, h);
    if let Some((limit, offset)) = page {
        select.limit(limit).offset(offset);
    }
    let rows = db.query_all(&select).await?;
    Ok(rows.iter().map(|r| r.try_get::<UnitId>("", "unit_id")).collect::<Result<_, _>>()?)
}

/// How many holders a listing keeps, over all pages.
async fn count_holders(
    db: &impl ConnectionTrait,
    scope: &Scope,
    listing: &Listing,
) -> Result<u64, ServiceError> {
    let backend = db.get_database_backend();
    let select = if listing.behind_schedule.is_some() {
        let h = |c: &str| Expr::col((Alias::new("h"), Alias::new(c)));
        Query::select()
            .expr_as(Expr::cust("COUNT(*)").cast_as("BIGINT"), Alias::new("n"))
            .from_subquery(holder_figures(scope, listing, backend, false), Alias::new("h"))
            .cond_where(figure_conditions(scope, listing, h))
            .to_owned()
    } else {
        let mut select = plan_rows(scope, listing.needs_unit());
        select.expr_as(Expr::cust("COUNT(*)").cast_as("BIGINT"), Alias::new("n"));
        select.cond_where(listing.plan_conditions(backend));
        select
    };
    let row = db.query_one(&select).await?;
    let n = row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthTotal {
    pub month: u32,
    pub donations: i64,
    pub volume_ml: i64,
}

/// Twelve months of `year` (empty months as zeros), city-wide or for one holder. A liaison
/// may ask for the city or their own holder.
pub async fn monthly(
    db: &impl ConnectionTrait,
    actor: &Actor,
    year: i32,
    unit_id: Option<UnitId>,
    as_of: Option<NaiveDate>,
) -> Result<Vec<MonthTotal>, ServiceError> {
    super::check_dates(as_of)?;
    if let Some(u) = unit_id {
        actor.may_read_holder(u)?;
    }
    let sums = totals::collected_by_month(db, year, unit_id, as_of).await?;
    Ok((1..=12)
        .map(|month| {
            let (donations, volume_ml) = sums.get(&(month as i32)).copied().unwrap_or((0, 0));
            MonthTotal { month, donations, volume_ml }
        })
        .collect())
}

/// The as-of date a query means when it names none: today, but never past the year's end
/// (a finished year is reported whole).
pub fn default_as_of(year: i32, today: NaiveDate) -> NaiveDate {
    if today.year() > year {
        NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(today)
    } else {
        today
    }
}

/// A sub-unit's figures under its holder.
#[derive(Debug, Clone, PartialEq)]
pub struct SubUnitProgress {
    pub sub_unit_id: SubUnitId,
    pub unit_id: UnitId,
    pub name: String,
    /// Its kind in the accepted breakdown; `None` once a newer accepted version dropped it.
    pub kind: Option<UnitKind>,
    /// A newer accepted version no longer lists it: its quota is 0, its figures stay.
    pub removed: bool,
    pub progress: Progress,
}

/// The sub-units of `holders` in `year` as of `as_of`, per holder: every sub-unit the
/// holder's accepted breakdown lists, in its order, with its quota from there, then the
/// sub-units an earlier accepted version listed that still have figures (quota 0,
/// `removed`), by name. Figures and the behind-schedule rule are the holders' own
/// ([`Progress`]). One statement for all the holders asked (a list's DataLoader batch).
///
/// A holder's sub-units are its internal breakdown, read as its own data
/// ([`Actor::may_read_holder`]): staff get every holder's, a liaison only their own holder's.
/// A holder the actor may not read is left out, as one without sub-units: everyone signed
/// in sees every county's totals (`byCounty`), and its row just lists none.
pub async fn sub_units(
    db: &impl ConnectionTrait,
    actor: &Actor,
    year: i32,
    as_of: NaiveDate,
    margin_points: i64,
    holders: &[UnitId],
) -> Result<std::collections::HashMap<UnitId, Vec<SubUnitProgress>>, ServiceError> {
    use crate::db::entities::{breakdown, breakdown_row, sub_unit};
    use sea_orm::{QuerySelect, QueryTrait};
    #[derive(FromQueryResult)]
    struct Row {
        sub_unit_id: SubUnitId,
        unit_id: UnitId,
        name: String,
        quota: Option<i32>,
        kind: Option<UnitKind>,
        seq: Option<i32>,
        donations: Option<i64>,
        volume_ml: Option<i64>,
        booked: Option<i64>,
    }
    super::check_dates([as_of])?;
    let mut out: std::collections::HashMap<UnitId, Vec<SubUnitProgress>> = std::collections::HashMap::new();
    let readable: Vec<UnitId> =
        holders.iter().copied().filter(|&h| actor.may_read_holder(h).is_ok()).collect();
    let holders = readable.as_slice();
    if holders.is_empty() {
        return Ok(out);
    }
    let backend = db.get_database_backend();
    let current = super::sub_units::accepted_rows(year)
        .select_only()
        .column_as(breakdown::Column::UnitId, "unit_id")
        .column_as(breakdown_row::Column::Name, "name")
        .column_as(breakdown_row::Column::Quota, "quota")
        .column_as(breakdown_row::Column::Kind, "kind")
        .column_as(breakdown_row::Column::Seq, "seq")
        .filter(breakdown::Column::UnitId.is_in(holders.iter().copied()))
        .into_query();
    let sums = totals::sub_unit_sums_as_of(&totals::AsOf::new(year, as_of), totals::Holders::Only(holders));
    let su = |c: sub_unit::Column| Expr::col((sub_unit::Entity, c));
    let cur = |c: &str| Expr::col((Alias::new("cur"), Alias::new(c)));
    let s = |c: &str| Expr::col((Alias::new("s"), Alias::new(c)));
    let select = Query::select()
        .expr_as(su(sub_unit::Column::Id), Alias::new("sub_unit_id"))
        .expr_as(su(sub_unit::Column::UnitId), Alias::new("unit_id"))
        .expr_as(su(sub_unit::Column::Name), Alias::new("name"))
        .expr_as(cur("quota"), Alias::new("quota"))
        .expr_as(cur("kind"), Alias::new("kind"))
        .expr_as(cur("seq"), Alias::new("seq"))
        .expr_as(s("donations"), Alias::new("donations"))
        .expr_as(s("volume_ml"), Alias::new("volume_ml"))
        .expr_as(s("booked"), Alias::new("booked"))
        .from(sub_unit::Entity)
        .join_subquery(
            JoinType::LeftJoin,
            current,
            Alias::new("cur"),
            cur("unit_id")
                .equals((sub_unit::Entity, sub_unit::Column::UnitId))
                .and(cur("name").equals((sub_unit::Entity, sub_unit::Column::Name))),
        )
        .join_subquery(
            JoinType::LeftJoin,
            sums,
            Alias::new("s"),
            s("sub_unit_id").equals((sub_unit::Entity, sub_unit::Column::Id)),
        )
        .and_where(su(sub_unit::Column::Year).eq(year))
        .and_where(su(sub_unit::Column::UnitId).is_in(holders.iter().copied()))
        .to_owned();
    let mut rows = Row::find_by_statement(backend.build(&select)).all(db).await?;
    rows.retain(|r| {
        r.quota.is_some() || [r.donations, r.volume_ml, r.booked].iter().any(|f| f.unwrap_or(0) != 0)
    });
    rows.sort_by(|a, b| {
        (a.unit_id, a.seq.is_none(), a.seq, &a.name).cmp(&(b.unit_id, b.seq.is_none(), b.seq, &b.name))
    });
    let schedule = schedule(year, as_of, margin_points);
    for r in rows {
        let progress = Progress::of(
            r.quota.map_or(0, i64::from),
            r.booked.unwrap_or(0),
            r.donations.unwrap_or(0),
            r.volume_ml.unwrap_or(0),
            schedule,
        );
        out.entry(r.unit_id).or_default().push(SubUnitProgress {
            sub_unit_id: r.sub_unit_id,
            unit_id: r.unit_id,
            name: r.name,
            kind: r.kind,
            removed: r.quota.is_none(),
            progress,
        });
    }
    Ok(out)
}
