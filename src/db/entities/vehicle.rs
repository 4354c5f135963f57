use sea_orm::entity::prelude::*;

/// A mobile collection vehicle (采血车) of the blood station.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "vehicle")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub name: String,
    pub capacity_per_day: i32,
    pub home_station: String,
    pub active: bool,
    /// The unguessable part of the vehicle's .ics feed address.
    #[sea_orm(unique)]
    pub calendar_token: String,
    pub created_at: DateTimeUtc,
}

relations!();
