use sea_orm::entity::prelude::*;

use crate::domain::UnitKind;

/// A sub-unit of one breakdown version, with its share of the holder's quota.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "breakdown_row")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub breakdown_id: i32,
    pub seq: i32,
    pub name: String,
    pub kind: UnitKind,
    pub quota: i32,
}

relations!();
