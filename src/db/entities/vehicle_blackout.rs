use sea_orm::entity::prelude::*;

use crate::domain::ids::VehicleId;

/// A period (inclusive) in which one vehicle is not available, e.g. maintenance.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "vehicle_blackout")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub vehicle_id: VehicleId,
    pub from_date: Date,
    pub to_date: Date,
    pub reason: String,
    pub created_at: DateTimeUtc,
}

relations!();
