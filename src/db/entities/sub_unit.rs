use sea_orm::entity::prelude::*;

use crate::domain::ids::UnitId;

/// A sub-unit's identity: one name of a holder's accepted breakdown in one year. Kept when a
/// newer accepted version drops the name, so what was booked and collected for it stays.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sub_unit")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub unit_id: UnitId,
    pub year: i32,
    pub name: String,
}

relations!();
