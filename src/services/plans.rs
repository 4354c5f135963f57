//! Reading plans: figures, section totals, the rows of a year and a holder across years. A
//! year's rows are paged from memory: `plan_cache`.
use std::collections::HashMap;

use sea_orm::sea_query::Expr;
use sea_orm::ExprTrait;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Select,
};

use super::ServiceError;
use crate::db::entities::{plan, plan_quota, plan_section, plan_warning, unit};
use crate::domain::ids::UnitId;
use crate::domain::text::check_text;
use crate::domain::{Section, UnitKind};

/// The quota rows of `year`'s plan (joined to the plan to match its year), to filter further.
pub(crate) fn quotas_of_year(year: i32) -> Select<plan_quota::Entity> {
    plan_quota::Entity::find().inner_join(plan::Entity).filter(plan::Column::Year.eq(year))
}

/// A plan as the services hand it out: the stored row itself, every column shown as it is
/// (`version` is raised by every write that changes what the plan shows, for `plan_cache`).
pub type PlanView = plan::Model;

pub async fn plan_by_year(db: &impl ConnectionTrait, year: i32) -> Result<PlanView, ServiceError> {
    plan::Entity::find()
        .filter(plan::Column::Year.eq(year))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("没有 {year} 年的献血计划")))
}

pub async fn all_plans(db: &impl ConnectionTrait) -> Result<Vec<PlanView>, ServiceError> {
    Ok(plan::Entity::find().order_by_asc(plan::Column::Year).all(db).await?)
}

pub async fn plan_warnings(db: &impl ConnectionTrait, plan_id: i32) -> Result<Vec<String>, ServiceError> {
    Ok(warnings_of(db, &[plan_id]).await?.remove(&plan_id).unwrap_or_default())
}

/// What the import reported for each plan `plan_ids`, in one query; a plan without a
/// warning is left out.
pub async fn warnings_of(
    db: &impl ConnectionTrait,
    plan_ids: &[i32],
) -> Result<HashMap<i32, Vec<String>>, ServiceError> {
    let rows = plan_warning::Entity::find()
        .filter(plan_warning::Column::PlanId.is_in(plan_ids.iter().copied()))
        .order_by_asc(plan_warning::Column::Id)
        .all(db)
        .await?;
    let mut of: HashMap<i32, Vec<String>> = HashMap::new();
    for w in rows {
        of.entry(w.plan_id).or_default().push(w.message);
    }
    Ok(of)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionSummary {
    pub section: Section,
    pub printed_total: Option<i64>,
    pub row_total: i64,
    pub unit_count: i64,
}

#[derive(FromQueryResult)]
struct SectionSum {
    plan_id: i32,
    section: String,
    row_total: i64,
    unit_count: i64,
}

/// Every section, in table order, with its printed total and what its rows add up to.
pub async fn section_summaries(
    db: &impl ConnectionTrait,
    plan_id: i32,
) -> Result<Vec<SectionSummary>, ServiceError> {
    Ok(section_summaries_of(db, &[plan_id]).await?.remove(&plan_id).unwrap_or_default())
}

/// [`section_summaries`] of each plan `plan_ids`, in two queries however many plans.
pub async fn section_summaries_of(
    db: &impl ConnectionTrait,
    plan_ids: &[i32],
) -> Result<HashMap<i32, Vec<SectionSummary>>, ServiceError> {
    let sums = plan_quota::Entity::find()
        .select_only()
        .column(plan_quota::Column::PlanId)
        .column(plan_quota::Column::Section)
        .column_as(crate::db::sum_i64(plan_quota::Column::Quota), "row_total")
        .column_as(Expr::col(plan_quota::Column::Id).count(), "unit_count")
        .filter(plan_quota::Column::PlanId.is_in(plan_ids.iter().copied()))
        .group_by(plan_quota::Column::PlanId)
        .group_by(plan_quota::Column::Section)
        .into_model::<SectionSum>()
        .all(db)
        .await?;
    let sums: HashMap<(i32, String), SectionSum> =
        sums.into_iter().map(|s| ((s.plan_id, s.section.clone()), s)).collect();
    let printed: HashMap<(i32, Section), i64> = plan_section::Entity::find()
        .filter(plan_section::Column::PlanId.is_in(plan_ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| ((p.plan_id, p.section), p.printed_total))
        .collect();
    Ok(plan_ids
        .iter()
        .map(|&plan_id| {
            let summaries = Section::ALL
                .into_iter()
                .map(|section| {
                    let sum = sums.get(&(plan_id, section.code().to_owned()));
                    SectionSummary {
                        section,
                        printed_total: printed.get(&(plan_id, section)).copied(),
                        row_total: sum.map_or(0, |s| s.row_total),
                        unit_count: sum.map_or(0, |s| s.unit_count),
                    }
                })
                .collect();
            (plan_id, summaries)
        })
        .collect())
}

/// A holder's row in one year's plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaRow {
    pub unit_id: UnitId,
    pub name: String,
    pub kind: UnitKind,
    pub plan_id: i32,
    pub section: Section,
    pub seq: i32,
    pub quota: i32,
    pub site: Option<String>,
    pub note: Option<String>,
}

pub(crate) fn quota_row(q: plan_quota::Model, u: unit::Model) -> QuotaRow {
    QuotaRow {
        unit_id: UnitId(u.id),
        name: u.name,
        kind: u.kind,
        plan_id: q.plan_id,
        section: q.section,
        seq: q.seq,
        quota: q.quota,
        site: q.site,
        note: q.note,
    }
}

#[derive(Debug, Clone, Default)]
pub struct UnitFilter {
    pub section: Option<Section>,
    pub kind: Option<UnitKind>,
    pub name_contains: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnitOrder {
    /// The order of the printed table: counties, city-level units, enterprises (the stored
    /// section rank), each by sequence.
    #[default]
    Table,
    QuotaDesc,
    QuotaAsc,
    Name,
}

/// No holder's name is longer: a longer filter matches nothing and only costs work.
pub const MAX_NAME_FILTER_CHARS: usize = 200;

/// Refuses a name filter that no holder's name could match (too long, a NUL byte).
pub(crate) fn check_unit_filter(filter: &UnitFilter) -> Result<(), ServiceError> {
    if let Some(needle) = &filter.name_contains {
        check_text(needle, MAX_NAME_FILTER_CHARS)
            .map_err(|why| ServiceError::BadInput(format!("nameContains {why}")))?;
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct UnitView {
    pub id: i32,
    pub name: String,
    pub kind: UnitKind,
    /// The holder's quotas, with the year of each, oldest first.
    pub quotas: Vec<(i32, QuotaRow)>,
    pub accepts_weekend_visits: bool,
    pub term_bound: bool,
}

pub async fn unit_by_id(db: &impl ConnectionTrait, id: UnitId) -> Result<UnitView, ServiceError> {
    units_by_ids(db, &[id.0])
        .await?
        .remove(&id.0)
        .ok_or_else(|| ServiceError::not_found(super::noun::UNIT, id))
}

/// Holders by id with their quotas, in two queries however many ids; unknown ids are left
/// out. A list's per-row lookups (each user's holder) come through here.
pub async fn units_by_ids(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<HashMap<i32, UnitView>, ServiceError> {
    let units = unit::Entity::find().filter(unit::Column::Id.is_in(ids.iter().copied())).all(db).await?;
    let quotas = plan_quota::Entity::find()
        .filter(plan_quota::Column::UnitId.is_in(ids.iter().copied()))
        .find_also_related(plan::Entity)
        .order_by_asc(plan::Column::Year)
        .all(db)
        .await?;
    let units: HashMap<i32, unit::Model> = units.into_iter().map(|u| (u.id, u)).collect();
    let mut quotas_of: HashMap<i32, Vec<(i32, QuotaRow)>> = HashMap::new();
    for (quota, plan) in quotas {
        let (Some(plan), Some(unit)) = (plan, units.get(&quota.unit_id.0)) else { continue };
        quotas_of.entry(unit.id).or_default().push((plan.year, quota_row(quota, unit.clone())));
    }
    Ok(units
        .into_values()
        .map(|unit| {
            let view = UnitView {
                id: unit.id,
                accepts_weekend_visits: unit.accepts_weekend_visits,
                term_bound: unit.term_bound,
                quotas: quotas_of.remove(&unit.id).unwrap_or_default(),
                name: unit.name,
                kind: unit.kind,
            };
            (view.id, view)
        })
        .collect())
}
