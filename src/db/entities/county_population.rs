use sea_orm::entity::prelude::*;

/// A county's resident population (常住人口) in a year, as the office entered it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "county_population")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    /// The county's holder (a primary key column, so an `i32` like every key: `db::codes`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub unit_id: i32,
    pub population: i64,
    pub updated_by: Option<i32>,
    pub updated_at: DateTimeUtc,
}

relations!();
