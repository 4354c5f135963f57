use sea_orm::entity::prelude::*;

/// An address a user has signed in from successfully: a locked account may still sign in
/// from there.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "known_login_address")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub address: String,
    pub last_login_at: DateTimeUtc,
}

relations!();
