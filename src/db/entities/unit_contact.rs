use sea_orm::entity::prelude::*;

use crate::domain::ids::UnitId;

/// A quota holder's liaison contact; reminders go to its email.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "unit_contact")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub unit_id: UnitId,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub updated_at: DateTimeUtc,
}

relations!(Unit => belongs_to unit (UnitId -> Id));
