use sea_orm::entity::prelude::*;

/// A county's clinical blood use (临床用血) in one month, as the station recorded it last.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "clinical_use")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    /// The county's holder (a primary key column, so an `i32` like every key: `db::codes`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub unit_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: i32,
    pub used_ml: i64,
    /// The part of `used_ml` not from voluntary donation (the notice wants none).
    pub non_voluntary_ml: i64,
    pub updated_by: Option<i32>,
    pub updated_at: DateTimeUtc,
}

relations!();
