use sea_orm::entity::prelude::*;

use crate::domain::Section;

/// A warning the import reported, kept with the plan so the office can see it later.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plan_warning")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub plan_id: i32,
    pub section: Option<Section>,
    pub message: String,
}

relations!();
