use sea_orm::entity::prelude::*;

use crate::domain::auth::Role;
use crate::domain::ids::UnitId;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "app_user")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub username: String,
    /// argon2id PHC string; never leaves the services layer.
    pub password_hash: String,
    pub role: Role,
    /// The quota holder a liaison is bound to.
    pub unit_id: Option<UnitId>,
    pub disabled: bool,
    pub created_at: DateTimeUtc,
}

relations!(Unit => belongs_to unit (UnitId -> Id));
