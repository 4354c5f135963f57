use sea_orm::entity::prelude::*;

use crate::domain::breakdown::BreakdownStatus;
use crate::domain::ids::UnitId;

/// One version of a holder's breakdown plan for a year.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "breakdown")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub unit_id: UnitId,
    pub year: i32,
    pub version: i32,
    pub status: BreakdownStatus,
    /// The holder's quota when this version was submitted.
    pub quota: i64,
    /// The sum of the rows' quotas.
    pub total: i64,
    /// The office's comment when it returned this version.
    pub comment: Option<String>,
    pub submitted_by: Option<i32>,
    pub submitted_at: DateTimeUtc,
    pub decided_by: Option<i32>,
    pub decided_at: Option<DateTimeUtc>,
}

relations!();
