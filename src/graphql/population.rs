//! Resident populations and clinical blood use: the inputs of the donation rate and the
//! supply balance that `fulfilment` shows.
use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::auth;
use super::guards::{role, OFFICE, STAFF};
use super::plan::parse_id;
use crate::error::ApiResult;
use crate::services::clinical_use::{self, UseInput, UseView};
use crate::services::population::{self, PopulationView};

#[derive(Default)]
pub struct PopulationMutation;

#[Object]
impl PopulationMutation {
    /// The office enters a year's resident population (常住人口) of a county (`unitId`, a
    /// holder of the year's COUNTY section) or, without `unitId`, of the whole city. 1 to
    /// 100,000,000; a later entry replaces the earlier one; audited.
    #[graphql(guard = "role(OFFICE)")]
    async fn set_population(
        &self,
        ctx: &Context<'_>,
        year: i32,
        unit_id: Option<ID>,
        population: i64,
    ) -> ApiResult<Population> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let unit_id = unit_id.as_ref().map(parse_id).transpose()?;
        let saved =
            population::set_population(&state.db, &state.clock, actor, year, unit_id, population).await?;
        Ok(Population::from(saved))
    }

    /// The station (or the office) records a county's clinical blood use of a month in mL,
    /// and the part of it not from voluntary donation; a later entry for the same county and
    /// month corrects it. Audited.
    #[graphql(guard = "role(STAFF)")]
    async fn record_clinical_use(
        &self,
        ctx: &Context<'_>,
        year: i32,
        month: i32,
        unit_id: ID,
        used_ml: i64,
        non_voluntary_ml: i64,
    ) -> ApiResult<ClinicalUse> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let input = UseInput { year, month, unit_id: parse_id(&unit_id)?, used_ml, non_voluntary_ml };
        Ok(ClinicalUse::from(clinical_use::record(&state.db, &state.clock, actor, input).await?))
    }
}

/// A resident population as entered.
#[derive(SimpleObject)]
pub struct Population {
    year: i32,
    /// The county's holder; null for the whole city.
    unit_id: Option<ID>,
    /// The county's name, or 全市.
    name: String,
    population: i64,
    updated_at: DateTime<Utc>,
}

impl From<PopulationView> for Population {
    fn from(p: PopulationView) -> Self {
        Population {
            year: p.year,
            unit_id: p.unit_id.map(|u| ID(u.to_string())),
            name: p.name,
            population: p.population,
            updated_at: p.updated_at,
        }
    }
}

/// A county's clinical blood use of one month, as recorded last.
#[derive(SimpleObject)]
pub struct ClinicalUse {
    year: i32,
    month: i32,
    unit_id: ID,
    unit_name: String,
    used_ml: i64,
    non_voluntary_ml: i64,
    updated_at: DateTime<Utc>,
}

impl From<UseView> for ClinicalUse {
    fn from(u: UseView) -> Self {
        ClinicalUse {
            year: u.year,
            month: u.month,
            unit_id: ID(u.unit_id.to_string()),
            unit_name: u.unit_name,
            used_ml: u.used_ml,
            non_voluntary_ml: u.non_voluntary_ml,
            updated_at: u.updated_at,
        }
    }
}
