//! Clinical blood use (临床用血) per county and month, and the supply balance (采供平衡): what
//! each county collected against what its hospitals used, and the city's share of clinical
//! blood from voluntary donation against the notice's 100 %.
//!
//! The station (or the office) records a county's month; a later entry for the same month
//! corrects it (one row per county and month, under the table's primary key; every entry is
//! in the audit trail). The balance compares whole months: each month with recorded use, up
//! to the fulfilment's date's month, against the county holder's collected volume of that
//! month from the kept totals (`services::totals`; its sub-units and donation houses
//! included).
use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;

use super::audit::Change;
use super::fulfilment::Scope;
use super::population::county_holder;
use super::ServiceError;
use crate::clock::Clock;
use crate::db::entities::{clinical_use, holder_month_total as total, plan_quota, unit};
use crate::domain::auth::{Actor, STAFF};
use crate::domain::city_targets;
use crate::domain::clinical_use::{self as rules, MonthUse, UseProblem};
use crate::domain::ids::UnitId;
use crate::domain::Section;

pub mod codes {
    error_codes! {
        /// A volume below zero or above `domain::clinical_use::MAX_MONTH_ML`.
        VOLUME_OUT_OF_RANGE,
        /// More blood not from voluntary donation than was used.
        NON_VOLUNTARY_ABOVE_USED,
        /// A month that has not begun yet.
        MONTH_IN_FUTURE,
    }
}

/// A county's month as the station reports it.
#[derive(Debug, Clone, Copy)]
pub struct UseInput {
    pub year: i32,
    pub month: i32,
    pub unit_id: UnitId,
    pub used_ml: i64,
    pub non_voluntary_ml: i64,
}

/// A county's month as recorded.
#[derive(Debug, Clone)]
pub struct UseView {
    pub year: i32,
    pub month: i32,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub used_ml: i64,
    pub non_voluntary_ml: i64,
    pub updated_at: DateTime<Utc>,
}

/// The station or the office records (or corrects) a county's clinical blood use of a month.
pub async fn record(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    input: UseInput,
) -> Result<UseView, ServiceError> {
    actor.require(STAFF)?;
    crate::domain::text::check_year(input.year).map_err(ServiceError::BadInput)?;
    let checked =
        MonthUse::parse(input.month, input.used_ml, input.non_voluntary_ml).map_err(|p| match p {
            UseProblem::Month(_) => ServiceError::BadInput(p.message()),
            UseProblem::Volume { .. } => ServiceError::rejected(codes::VOLUME_OUT_OF_RANGE, p.message()),
            UseProblem::NonVoluntaryAboveUsed { .. } => {
                ServiceError::rejected(codes::NON_VOLUNTARY_ABOVE_USED, p.message())
            }
        })?;
    let first_day = NaiveDate::from_ymd_opt(input.year, checked.month as u32, 1)
        .ok_or_else(|| ServiceError::BadInput(UseProblem::Month(input.month).message()))?;
    if first_day > clock.today() {
        return Err(ServiceError::rejected(
            codes::MONTH_IN_FUTURE,
            format!("{} 年 {} 月尚未开始，不能登记该月的临床用血量", input.year, input.month),
        ));
    }
    let txn = crate::db::begin_write(db).await?;
    let unit_name = county_holder(&txn, input.year, input.unit_id).await?;
    let key = (input.year, input.unit_id.0, checked.month);
    let before = clinical_use::Entity::find_by_id(key).one(&txn).await?;
    let now = clock.now();
    super::upsert(
        &txn,
        clinical_use::ActiveModel {
            year: Set(input.year),
            unit_id: Set(input.unit_id.0),
            month: Set(checked.month),
            used_ml: Set(checked.used_ml),
            non_voluntary_ml: Set(checked.non_voluntary_ml),
            updated_by: Set(Some(actor.user_id.0)),
            updated_at: Set(now),
        },
        [clinical_use::Column::Year, clinical_use::Column::UnitId, clinical_use::Column::Month],
        [
            clinical_use::Column::UsedMl,
            clinical_use::Column::NonVoluntaryMl,
            clinical_use::Column::UpdatedBy,
            clinical_use::Column::UpdatedAt,
        ],
    )
    .await?;
    let state = |used: i64, non_voluntary: i64| {
        json!({
            "year": input.year, "month": checked.month, "unitId": input.unit_id, "name": unit_name,
            "usedMl": used, "nonVoluntaryMl": non_voluntary,
        })
    };
    let entity_id = format!("{}-{:02}/{}", input.year, checked.month, input.unit_id);
    Change::new("clinical_use", entity_id, if before.is_some() { "update" } else { "create" }, actor)
        .before(before.map(|b| state(b.used_ml, b.non_voluntary_ml)))
        .after(state(checked.used_ml, checked.non_voluntary_ml))
        .record(&txn, clock)
        .await?;
    txn.commit().await?;
    Ok(UseView {
        year: input.year,
        month: checked.month,
        unit_id: input.unit_id,
        unit_name,
        used_ml: checked.used_ml,
        non_voluntary_ml: checked.non_voluntary_ml,
        updated_at: now,
    })
}

/// One county's month: collected (kept totals) against used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupplyMonth {
    pub month: i32,
    pub collected_ml: i64,
    pub used_ml: i64,
    pub non_voluntary_ml: i64,
    /// Collected − used; below zero a deficit.
    pub balance_ml: i64,
}

/// A county over the months with recorded use.
#[derive(Debug, Clone)]
pub struct CountySupply {
    pub unit_id: UnitId,
    pub name: String,
    pub collected_ml: i64,
    pub used_ml: i64,
    pub non_voluntary_ml: i64,
    pub balance_ml: i64,
    /// The months with recorded use, in order.
    pub months: Vec<SupplyMonth>,
}

impl CountySupply {
    pub fn in_deficit(&self) -> bool {
        self.balance_ml < 0
    }
}

/// Every county of the plan, those in deficit first (then table order), and the city's
/// clinical use.
#[derive(Debug, Clone)]
pub struct SupplyBalance {
    /// The months compared: 1 to this (the fulfilment date's month).
    pub through_month: i32,
    pub counties: Vec<CountySupply>,
    pub used_ml: i64,
    pub non_voluntary_ml: i64,
    /// Share of clinical blood from voluntary donation; `None` before any use is recorded.
    pub voluntary_share: Option<f64>,
    /// The notice's target share (1.0 = 100 %).
    pub target_voluntary_share: Option<f64>,
    pub meets_target: Option<bool>,
}

/// The supply balance of the scope's year, months up to its date's month.
pub async fn supply_balance(db: &impl ConnectionTrait, scope: &Scope) -> Result<SupplyBalance, ServiceError> {
    let year = scope.plan.year;
    let through_month = if scope.as_of.year() > year {
        12
    } else if scope.as_of.year() < year {
        0
    } else {
        scope.as_of.month() as i32
    };
    #[derive(FromQueryResult)]
    struct County {
        unit_id: UnitId,
        name: String,
    }
    let counties = plan_quota::Entity::find()
        .select_only()
        .column(plan_quota::Column::UnitId)
        .column_as(unit::Column::Name, "name")
        .inner_join(unit::Entity)
        .filter(plan_quota::Column::PlanId.eq(scope.plan.id))
        .filter(plan_quota::Column::Section.eq(Section::County))
        .order_by_asc(plan_quota::Column::Seq)
        .order_by_asc(plan_quota::Column::UnitId)
        .into_model::<County>()
        .all(db)
        .await?;
    #[derive(FromQueryResult)]
    struct Row {
        unit_id: UnitId,
        month: i32,
        used_ml: i64,
        non_voluntary_ml: i64,
        collected_ml: Option<i64>,
    }
    let u = |c: clinical_use::Column| Expr::col((clinical_use::Entity, c));
    let t = |c: total::Column| Expr::col((total::Entity, c));
    let select = Query::select()
        .expr_as(u(clinical_use::Column::UnitId), Alias::new("unit_id"))
        .expr_as(u(clinical_use::Column::Month), Alias::new("month"))
        .expr_as(u(clinical_use::Column::UsedMl), Alias::new("used_ml"))
        .expr_as(u(clinical_use::Column::NonVoluntaryMl), Alias::new("non_voluntary_ml"))
        .expr_as(t(total::Column::CollectedVolumeMl), Alias::new("collected_ml"))
        .from(clinical_use::Entity)
        .join(
            JoinType::LeftJoin,
            total::Entity,
            t(total::Column::Year)
                .equals((clinical_use::Entity, clinical_use::Column::Year))
                .and(t(total::Column::UnitId).equals((clinical_use::Entity, clinical_use::Column::UnitId)))
                .and(t(total::Column::Month).equals((clinical_use::Entity, clinical_use::Column::Month))),
        )
        .and_where(u(clinical_use::Column::Year).eq(year))
        .and_where(u(clinical_use::Column::Month).lte(through_month))
        .order_by((clinical_use::Entity, clinical_use::Column::Month), Order::Asc)
        .to_owned();
    let backend = db.get_database_backend();
    let rows = Row::find_by_statement(backend.build(&select)).all(db).await?;
    let overflow = || ServiceError::Internal("supply balance overflows i64".into());
    let mut by_county: HashMap<UnitId, Vec<SupplyMonth>> = HashMap::new();
    for r in rows {
        let collected_ml = r.collected_ml.unwrap_or(0);
        by_county.entry(r.unit_id).or_default().push(SupplyMonth {
            month: r.month,
            collected_ml,
            used_ml: r.used_ml,
            non_voluntary_ml: r.non_voluntary_ml,
            balance_ml: rules::balance(collected_ml, r.used_ml),
        });
    }
    let mut supplies = Vec::with_capacity(counties.len());
    for c in counties {
        let months = by_county.remove(&c.unit_id).unwrap_or_default();
        let sum = |f: fn(&SupplyMonth) -> i64| months.iter().try_fold(0i64, |s, m| s.checked_add(f(m)));
        let collected_ml = sum(|m| m.collected_ml).ok_or_else(overflow)?;
        let used_ml = sum(|m| m.used_ml).ok_or_else(overflow)?;
        let non_voluntary_ml = sum(|m| m.non_voluntary_ml).ok_or_else(overflow)?;
        supplies.push(CountySupply {
            unit_id: c.unit_id,
            name: c.name,
            collected_ml,
            used_ml,
            non_voluntary_ml,
            balance_ml: rules::balance(collected_ml, used_ml),
            months,
        });
    }
    // Stable: table order within the counties in deficit and within the others.
    supplies.sort_by_key(|c| !c.in_deficit());
    let used_ml = supplies.iter().try_fold(0i64, |s, c| s.checked_add(c.used_ml)).ok_or_else(overflow)?;
    let non_voluntary_ml =
        supplies.iter().try_fold(0i64, |s, c| s.checked_add(c.non_voluntary_ml)).ok_or_else(overflow)?;
    let target = city_targets::in_force(year).map(|t| t.voluntary_clinical_percent);
    Ok(SupplyBalance {
        through_month,
        counties: supplies,
        used_ml,
        non_voluntary_ml,
        voluntary_share: rules::voluntary_share(used_ml, non_voluntary_ml),
        target_voluntary_share: target.map(|p| p as f64 / 100.0),
        meets_target: target
            .filter(|_| used_ml > 0)
            .map(|p| rules::voluntary_share_meets(used_ml, non_voluntary_ml, p)),
    })
}
