use sea_orm::entity::prelude::*;

/// One year's group donation plan with the figures of its notice.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plan")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub year: i32,
    pub document_number: Option<String>,
    pub title: Option<String>,
    pub issued_on: Option<Date>,
    pub donation_target: Option<i64>,
    pub volume_target_ml: Option<i64>,
    pub donation_rate_per_thousand: Option<i64>,
    pub imported_at: DateTimeUtc,
    /// Raised by one in the transaction of every write that changes what the plan's rows
    /// show: a process that keeps the rows in memory compares it with the one it loaded.
    pub version: i64,
}

relations!(PlanQuota => has_many plan_quota);
