use sea_orm::entity::prelude::*;

/// The office's deadline for a year's breakdown plans.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "breakdown_deadline")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    /// The last day to submit: holders without a submitted or accepted version are overdue
    /// from the day after.
    pub due_on: Date,
    pub set_by: Option<i32>,
    pub set_at: DateTimeUtc,
}

relations!();
