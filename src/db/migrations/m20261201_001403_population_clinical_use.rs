//! Resident populations and clinical blood use (issue 14 items 3 and 4).
//!
//! `county_population` and `city_population` hold the resident population the office enters
//! per year: a county's keyed by (year, holder), the city's by year. Two tables rather than
//! one with a nullable holder, so that each key is a primary key on every backend (a unique
//! index treats NULLs as distinct, and MySQL has no partial index to make the city's row
//! unique). `clinical_use` holds a county's clinical blood use of one month, one row per
//! (year, holder, month) under its primary key, so two stations entering the same month at
//! once upsert one row. The checks repeat the domain's bounds (`domain::donation_rate`,
//! `domain::clinical_use`).
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::shared::refs::{AppUser, Unit};
use super::shared::{create_table, drop_tables, tables, References};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum CountyPopulation {
    Table,
    Year,
    UnitId,
    Population,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CityPopulation {
    Table,
    Year,
    Population,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ClinicalUse {
    Table,
    Year,
    UnitId,
    Month,
    UsedMl,
    NonVoluntaryMl,
    UpdatedBy,
    UpdatedAt,
}

/// `domain::donation_rate::MAX_POPULATION`, as it was when this migration landed.
const MAX_POPULATION: i64 = 100_000_000;
/// `domain::clinical_use::MAX_MONTH_ML`, as it was when this migration landed.
const MAX_MONTH_ML: i64 = 1_000_000_000;

fn population<C: IntoIden + Clone + 'static>(col: C) -> ColumnDef {
    big_integer(col.clone()).check(Expr::col(col).between(1, MAX_POPULATION)).to_owned()
}

fn month_ml<C: IntoIden + Clone + 'static>(col: C) -> ColumnDef {
    big_integer(col.clone()).check(Expr::col(col).between(0, MAX_MONTH_ML)).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_table(
            manager,
            Table::create()
                .table(CountyPopulation::Table)
                .col(integer(CountyPopulation::Year))
                .col(integer(CountyPopulation::UnitId))
                .col(population(CountyPopulation::Population))
                .col(integer_null(CountyPopulation::UpdatedBy))
                .col(timestamp_with_time_zone(CountyPopulation::UpdatedAt))
                .primary_key(Index::create().col(CountyPopulation::Year).col(CountyPopulation::UnitId))
                .references(CountyPopulation::UnitId, Unit::Table, Unit::Id, None)
                .references(CountyPopulation::UpdatedBy, AppUser::Table, AppUser::Id, None),
        )
        .await?;
        create_table(
            manager,
            Table::create()
                .table(CityPopulation::Table)
                .col(integer(CityPopulation::Year).primary_key())
                .col(population(CityPopulation::Population))
                .col(integer_null(CityPopulation::UpdatedBy))
                .col(timestamp_with_time_zone(CityPopulation::UpdatedAt))
                .references(CityPopulation::UpdatedBy, AppUser::Table, AppUser::Id, None),
        )
        .await?;
        create_table(
            manager,
            Table::create()
                .table(ClinicalUse::Table)
                .col(integer(ClinicalUse::Year))
                .col(integer(ClinicalUse::UnitId))
                .col(integer(ClinicalUse::Month).check(Expr::col(ClinicalUse::Month).between(1, 12)))
                .col(month_ml(ClinicalUse::UsedMl))
                .col(month_ml(ClinicalUse::NonVoluntaryMl))
                .col(integer_null(ClinicalUse::UpdatedBy))
                .col(timestamp_with_time_zone(ClinicalUse::UpdatedAt))
                .check(Expr::col(ClinicalUse::NonVoluntaryMl).lte(Expr::col(ClinicalUse::UsedMl)))
                .primary_key(
                    Index::create().col(ClinicalUse::Year).col(ClinicalUse::UnitId).col(ClinicalUse::Month),
                )
                .references(ClinicalUse::UnitId, Unit::Table, Unit::Id, None)
                .references(ClinicalUse::UpdatedBy, AppUser::Table, AppUser::Id, None),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, tables![ClinicalUse, CityPopulation, CountyPopulation]).await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_checks_hold_the_domains_bounds() {
        assert_eq!(super::MAX_POPULATION, crate::domain::donation_rate::MAX_POPULATION);
        assert_eq!(super::MAX_MONTH_ML, crate::domain::clinical_use::MAX_MONTH_ML);
    }
}
