use sea_orm::entity::prelude::*;

use crate::domain::Section;

/// A section total exactly as printed in the plan table (合计).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plan_section")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub plan_id: i32,
    pub section: Section,
    pub printed_total: i64,
}

relations!();
