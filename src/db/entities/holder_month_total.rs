use sea_orm::entity::prelude::*;

/// One holder's totals of one month, kept by every write that changes them
/// (`services::totals`): what was collected, and the donors booked for visits that month.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "holder_month_total")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    /// The holder (a primary key column, so an `i32` like every key: `db::codes`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub unit_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: i32,
    pub collected_donations: i64,
    pub collected_volume_ml: i64,
    pub booked_donors: i64,
}

relations!();
