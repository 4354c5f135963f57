//! Resident populations (常住人口) and the donation rate per 1,000 residents (千人口献血率).
//!
//! The office enters each county's and the city's population per plan year. A county's rate
//! counts its holder's collected donations (every record of the county holder, its sub-units'
//! and its donation houses' included), the city's every collection of the year (every holder,
//! fixed sites included); both are read from the kept totals (`services::totals`) as of the
//! fulfilment's date. The formula is `domain::donation_rate`, the target
//! `domain::city_targets`.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde_json::json;

use super::audit::Change;
use super::fulfilment::Scope;
use super::{plans, totals, ServiceError};
use crate::clock::Clock;
use crate::db::entities::{city_population, county_population, plan_quota, unit};
use crate::domain::auth::{Actor, OFFICE};
use crate::domain::city_targets;
use crate::domain::donation_rate as rules;
use crate::domain::ids::UnitId;
use crate::domain::Section;

pub mod codes {
    error_codes! {
        /// A population of zero, below it, or above `domain::donation_rate::MAX_POPULATION`.
        POPULATION_OUT_OF_RANGE,
        /// The holder is no county (section COUNTY) of that year's plan.
        NOT_A_COUNTY,
    }
}

/// A donation rate: over which population, donations per 1,000, and whether it exceeds the
/// year's target ("> 15"). Without a population, neither.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Rate {
    /// The donations counted.
    pub donations: i64,
    pub population: Option<i64>,
    pub per_thousand: Option<f64>,
    pub meets_target: Option<bool>,
}

impl Rate {
    /// The rate of `donations` in `year` among `population` residents.
    pub fn of(year: i32, donations: i64, population: Option<i64>) -> Rate {
        let Some(population) = population else { return Rate { donations, ..Rate::default() } };
        Rate {
            donations,
            population: Some(population),
            per_thousand: rules::per_thousand(donations, population),
            meets_target: target(year).map(|above| rules::exceeds(donations, population, above)),
        }
    }
}

/// Donations per 1,000 residents the year must exceed, as the notice in force sets it.
pub fn target(year: i32) -> Option<i64> {
    city_targets::in_force(year).map(|t| t.donations_per_thousand_above)
}

/// A population as entered.
#[derive(Debug, Clone)]
pub struct PopulationView {
    pub year: i32,
    /// `None`: the whole city.
    pub unit_id: Option<UnitId>,
    /// The county's name, or 咸宁市 for the city.
    pub name: String,
    pub population: i64,
    pub updated_at: DateTime<Utc>,
}

/// What the city is called where a county's name would stand.
pub const CITY_NAME: &str = "全市";

/// The county holder `unit_id` of `year`'s plan, by name: `NOT_FOUND` for no such holder,
/// `NOT_A_COUNTY` for a holder that is no county that year.
pub(crate) async fn county_holder(
    db: &impl ConnectionTrait,
    year: i32,
    unit_id: UnitId,
) -> Result<String, ServiceError> {
    let plan = plans::plan_by_year(db, year).await?;
    let holder = super::find_or_not_found(db, unit::Entity, unit_id, super::noun::UNIT).await?;
    let county = plan_quota::Entity::find()
        .filter(plan_quota::Column::PlanId.eq(plan.id))
        .filter(plan_quota::Column::UnitId.eq(unit_id))
        .filter(plan_quota::Column::Section.eq(Section::County))
        .one(db)
        .await?;
    if county.is_none() {
        return Err(ServiceError::rejected(
            codes::NOT_A_COUNTY,
            format!("{}不是 {year} 年计划中的县(市、区)", holder.name),
        ));
    }
    Ok(holder.name)
}

/// The office enters the resident population of `year` for the county holder `unit_id`, or
/// with `None` for the whole city. A second entry replaces the first; both are audited.
pub async fn set_population(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    year: i32,
    unit_id: Option<UnitId>,
    population: i64,
) -> Result<PopulationView, ServiceError> {
    actor.require(OFFICE)?;
    crate::domain::text::check_year(year).map_err(ServiceError::BadInput)?;
    let population = rules::check_population(population)
        .map_err(|m| ServiceError::rejected(codes::POPULATION_OUT_OF_RANGE, m))?;
    let txn = crate::db::begin_write(db).await?;
    let now = clock.now();
    let by = Some(actor.user_id.0);
    let (name, before, key) = match unit_id {
        Some(unit_id) => {
            let name = county_holder(&txn, year, unit_id).await?;
            let before = county_population::Entity::find_by_id((year, unit_id.0)).one(&txn).await?;
            super::upsert(
                &txn,
                county_population::ActiveModel {
                    year: Set(year),
                    unit_id: Set(unit_id.0),
                    population: Set(population),
                    updated_by: Set(by),
                    updated_at: Set(now),
                },
                [county_population::Column::Year, county_population::Column::UnitId],
                [
                    county_population::Column::Population,
                    county_population::Column::UpdatedBy,
                    county_population::Column::UpdatedAt,
                ],
            )
            .await?;
            (name, before.map(|b| b.population), format!("{year}/{unit_id}"))
        }
        None => {
            plans::plan_by_year(&txn, year).await?;
            let before = city_population::Entity::find_by_id(year).one(&txn).await?;
            super::upsert(
                &txn,
                city_population::ActiveModel {
                    year: Set(year),
                    population: Set(population),
                    updated_by: Set(by),
                    updated_at: Set(now),
                },
                [city_population::Column::Year],
                [
                    city_population::Column::Population,
                    city_population::Column::UpdatedBy,
                    city_population::Column::UpdatedAt,
                ],
            )
            .await?;
            (CITY_NAME.to_owned(), before.map(|b| b.population), format!("{year}/city"))
        }
    };
    let state = |p: i64| json!({ "year": year, "unitId": unit_id, "name": name, "population": p });
    Change::new("population", key, if before.is_some() { "update" } else { "create" }, actor)
        .before(before.map(state))
        .after(state(population))
        .record(&txn, clock)
        .await?;
    txn.commit().await?;
    Ok(PopulationView { year, unit_id, name, population, updated_at: now })
}

/// The populations entered for `year` of the holders `unit_ids`, in one query; a holder
/// without one is left out.
pub async fn county_populations(
    db: &impl ConnectionTrait,
    year: i32,
    unit_ids: &[UnitId],
) -> Result<HashMap<UnitId, i64>, ServiceError> {
    let rows = county_population::Entity::find()
        .filter(county_population::Column::Year.eq(year))
        .filter(county_population::Column::UnitId.is_in(unit_ids.iter().map(|u| u.0)))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (UnitId(r.unit_id), r.population)).collect())
}

/// The city's population entered for `year`, if any.
pub async fn city_population(db: &impl ConnectionTrait, year: i32) -> Result<Option<i64>, ServiceError> {
    Ok(city_population::Entity::find_by_id(year).one(db).await?.map(|r| r.population))
}

/// Every collection of the scope's year as of its date, city-wide (every holder's records,
/// fixed sites included), from the kept totals.
pub async fn city_donations(db: &impl ConnectionTrait, scope: &Scope) -> Result<i64, ServiceError> {
    let months = totals::collected_by_month(db, scope.plan.year, None, Some(scope.as_of)).await?;
    months
        .values()
        .try_fold(0i64, |sum, (donations, _)| sum.checked_add(*donations))
        .ok_or_else(|| ServiceError::Internal("city donations overflow i64".into()))
}

/// The city's donation rate as of the scope's date: every collection of the year over the
/// city's population.
pub async fn city_rate(db: &impl ConnectionTrait, scope: &Scope) -> Result<Rate, ServiceError> {
    let year = scope.plan.year;
    let population = city_population(db, year).await?;
    Ok(Rate::of(year, city_donations(db, scope).await?, population))
}

/// A county's rate, for the pages.
#[derive(Debug, Clone)]
pub struct CountyRate {
    pub unit_id: UnitId,
    pub name: String,
    pub rate: Rate,
}

/// The city's rate and each county's (table order) as of the scope's date: the counties'
/// figures from `fulfilment::counties`, their populations in one query.
pub async fn rates(
    db: &impl ConnectionTrait,
    scope: &Scope,
) -> Result<(Rate, Vec<CountyRate>), ServiceError> {
    let year = scope.plan.year;
    let counties = super::fulfilment::counties(db, scope).await?;
    let ids: Vec<UnitId> = counties.iter().map(|c| c.unit_id).collect();
    let populations = county_populations(db, year, &ids).await?;
    let rows = counties
        .into_iter()
        .map(|c| CountyRate {
            unit_id: c.unit_id,
            rate: Rate::of(year, c.progress.collected_donations, populations.get(&c.unit_id).copied()),
            name: c.name,
        })
        .collect();
    Ok((city_rate(db, scope).await?, rows))
}
