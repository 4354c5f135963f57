use sea_orm::entity::prelude::*;

/// The whole city's resident population (常住人口) in a year, as the office entered it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "city_population")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    pub population: i64,
    pub updated_by: Option<i32>,
    pub updated_at: DateTimeUtc,
}

relations!();
