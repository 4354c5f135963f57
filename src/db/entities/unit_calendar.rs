use sea_orm::entity::prelude::*;

/// The unguessable token of a holder's .ics feed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "unit_calendar")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub unit_id: i32,
    #[sea_orm(unique)]
    pub token: String,
}

relations!();
