use sea_orm::entity::prelude::*;

use crate::domain::visit::HalfDay;

/// A half-day of a vehicle held by a live visit; unique per (vehicle, date, half-day).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "visit_slot")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub visit_id: i32,
    pub vehicle_id: i32,
    pub date: Date,
    pub half_day: HalfDay,
}

relations!();
