use sea_orm::entity::prelude::*;

use crate::domain::UnitKind;

/// A quota holder (a county or a unit); it persists across plan years.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "unit")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub name: String,
    pub kind: UnitKind,
    pub created_at: DateTimeUtc,
    /// Its liaisons may book visits on weekends (malls, enterprises); holidays stay closed.
    pub accepts_weekend_visits: bool,
    /// It gets the term reminders (universities by default).
    pub term_bound: bool,
}

relations!(PlanQuota => has_many plan_quota);
