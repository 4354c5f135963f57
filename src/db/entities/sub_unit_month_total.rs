use sea_orm::entity::prelude::*;

/// One sub-unit's totals of one month, kept with its holder's (`services::totals`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sub_unit_month_total")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub sub_unit_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: i32,
    /// The sub-unit's holder, so that a holder's sub-units are read together.
    pub unit_id: i32,
    pub collected_donations: i64,
    pub collected_volume_ml: i64,
    pub booked_donors: i64,
}

relations!();
