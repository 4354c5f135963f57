use sea_orm::entity::prelude::*;

/// One year's term dates: the default (`unit_id` 0) or one university's own.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "term_calendar")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub year: i32,
    /// 0 for the default of every university (see the migration for why not NULL).
    pub unit_id: i32,
    pub spring_start: Date,
    pub spring_end: Date,
    pub autumn_start: Date,
    pub autumn_end: Date,
    pub updated_at: DateTimeUtc,
}

relations!();
