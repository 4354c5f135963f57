//! Year on year (同比): each holder's quota and collected donations in a year beside another,
//! one page at a time, in one statement: the two plans' rows joined with each year's kept
//! totals (`totals::sums_as_of` as of 31 December, so a year still running counts what is
//! collected so far).
use sea_orm::sea_query::{Alias, Expr, JoinType, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, ExprTrait, FromQueryResult};

use super::{totals, Page, ServiceError};
use crate::db::entities::{plan, plan_quota, unit};
use crate::domain::auth::{Actor, STAFF};
use crate::domain::ids::UnitId;
use crate::domain::Section;

/// One holder in either year's plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearOnYearRow {
    pub unit_id: UnitId,
    pub name: String,
    /// The holder's section this year, or in the previous year when it left the plan.
    pub section: Section,
    pub quota: Option<i64>,
    pub previous_quota: Option<i64>,
    pub collected: i64,
    pub previous_collected: i64,
}

impl YearOnYearRow {
    /// This year's quota less the previous year's; none when the holder is not in both.
    pub fn quota_change(&self) -> Option<i64> {
        self.quota?.checked_sub(self.previous_quota?)
    }

    pub fn collected_change(&self) -> i64 {
        self.collected.saturating_sub(self.previous_collected)
    }
}

#[derive(FromQueryResult)]
struct Row {
    unit_id: UnitId,
    name: String,
    section: Option<Section>,
    previous_section: Option<Section>,
    quota: Option<i64>,
    previous_quota: Option<i64>,
    collected: Option<i64>,
    previous_collected: Option<i64>,
}

#[derive(FromQueryResult)]
struct Count {
    n: i64,
}

/// `year`'s plan rows as `alias`: `unit_id`, `section`, `section_rank`, `seq`, `quota`.
fn plan_of(year: i32) -> SelectStatement {
    let q = |c: plan_quota::Column| Expr::col((plan_quota::Entity, c));
    Query::select()
        .expr_as(q(plan_quota::Column::UnitId), Alias::new("unit_id"))
        .expr_as(q(plan_quota::Column::Section), Alias::new("section"))
        .expr_as(q(plan_quota::Column::SectionRank), Alias::new("section_rank"))
        .expr_as(q(plan_quota::Column::Seq), Alias::new("seq"))
        .expr_as(q(plan_quota::Column::Quota).cast_as("BIGINT"), Alias::new("quota"))
        .from(plan_quota::Entity)
        .join(
            JoinType::InnerJoin,
            plan::Entity,
            Expr::col((plan::Entity, plan::Column::Id))
                .equals((plan_quota::Entity, plan_quota::Column::PlanId)),
        )
        .and_where(Expr::col((plan::Entity, plan::Column::Year)).eq(year))
        .to_owned()
}

/// `unit ⟕ this ⟕ prev`, only the holders in either plan.
fn holders(year: i32, previous: i32) -> SelectStatement {
    let on = |alias: &str| {
        Expr::col((Alias::new(alias), Alias::new("unit_id"))).equals((unit::Entity, unit::Column::Id))
    };
    Query::select()
        .from(unit::Entity)
        .join_subquery(JoinType::LeftJoin, plan_of(year), Alias::new("this"), on("this"))
        .join_subquery(JoinType::LeftJoin, plan_of(previous), Alias::new("prev"), on("prev"))
        .and_where(
            Expr::col((Alias::new("this"), Alias::new("unit_id"))).is_not_null().or(Expr::col((
                Alias::new("prev"),
                Alias::new("unit_id"),
            ))
            .is_not_null()),
        )
        .to_owned()
}

fn collected(year: i32) -> SelectStatement {
    let (_, last) = crate::domain::work_calendar::year_bounds(year);
    totals::sums_as_of(&totals::AsOf::new(year, last), totals::Holders::All)
}

/// A page of the holders of `year`'s or `previous`'s plan, in `year`'s table order, the
/// holders that left the plan after those of their section: for the office and the station.
pub async fn compare(
    db: &impl ConnectionTrait,
    actor: &Actor,
    year: i32,
    previous: i32,
    page: Page,
) -> Result<(u64, Vec<YearOnYearRow>), ServiceError> {
    actor.require(STAFF)?;
    for y in [year, previous] {
        crate::domain::text::check_year(y).map_err(ServiceError::BadInput)?;
    }
    super::plans::plan_by_year(db, year).await?;
    super::plans::plan_by_year(db, previous).await?;
    let backend = db.get_database_backend();
    let mut count = holders(year, previous);
    count.expr_as(Expr::col((unit::Entity, unit::Column::Id)).count().cast_as("BIGINT"), Alias::new("n"));
    let total = Count::find_by_statement(backend.build(&count)).one(db).await?.map_or(0, |c| c.n);

    let col = |alias: &str, c: &str| Expr::col((Alias::new(alias), Alias::new(c)));
    let mut select = holders(year, previous);
    select
        .expr_as(Expr::col((unit::Entity, unit::Column::Id)), Alias::new("unit_id"))
        .expr_as(Expr::col((unit::Entity, unit::Column::Name)), Alias::new("name"))
        .expr_as(col("this", "section"), Alias::new("section"))
        .expr_as(col("prev", "section"), Alias::new("previous_section"))
        .expr_as(col("this", "quota"), Alias::new("quota"))
        .expr_as(col("prev", "quota"), Alias::new("previous_quota"))
        .expr_as(col("c", "donations"), Alias::new("collected"))
        .expr_as(col("p", "donations"), Alias::new("previous_collected"))
        .join_subquery(
            JoinType::LeftJoin,
            collected(year),
            Alias::new("c"),
            col("c", "unit_id").equals((unit::Entity, unit::Column::Id)),
        )
        .join_subquery(
            JoinType::LeftJoin,
            collected(previous),
            Alias::new("p"),
            col("p", "unit_id").equals((unit::Entity, unit::Column::Id)),
        )
        .order_by_expr(
            Expr::expr(col("this", "section_rank")).if_null(col("prev", "section_rank")),
            Order::Asc,
        )
        .order_by_expr(Expr::case(col("this", "unit_id").is_null(), 1).finally(0).into(), Order::Asc)
        .order_by_expr(Expr::expr(col("this", "seq")).if_null(col("prev", "seq")), Order::Asc)
        .order_by_expr(Expr::col((unit::Entity, unit::Column::Id)), Order::Asc)
        .limit(page.first)
        .offset(page.offset);
    let rows = Row::find_by_statement(backend.build(&select)).all(db).await?;
    let rows = rows
        .into_iter()
        .map(|r| YearOnYearRow {
            unit_id: r.unit_id,
            name: r.name,
            section: r.section.or(r.previous_section).unwrap_or(Section::CityUnit),
            quota: r.quota,
            previous_quota: r.previous_quota,
            collected: r.collected.unwrap_or(0),
            previous_collected: r.previous_collected.unwrap_or(0),
        })
        .collect();
    Ok((u64::try_from(total).unwrap_or(0), rows))
}
