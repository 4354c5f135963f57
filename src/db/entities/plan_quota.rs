use sea_orm::entity::prelude::*;

use crate::domain::ids::UnitId;
use crate::domain::Section;

/// A row of a plan table: one holder's quota in one year.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plan_quota")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub plan_id: i32,
    pub unit_id: UnitId,
    pub section: Section,
    /// `section.rank()`, kept by every write and checked by the database: the table order
    /// (plan, rank, seq) has an index.
    pub section_rank: i32,
    pub seq: i32,
    pub quota: i32,
    pub site: Option<String>,
    pub note: Option<String>,
}

relations! {
    Plan => belongs_to plan (PlanId -> Id),
    Unit => belongs_to unit (UnitId -> Id),
}
