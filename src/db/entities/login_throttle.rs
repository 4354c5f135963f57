use sea_orm::entity::prelude::*;

/// Failed logins per username (known or not), since its last successful login.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_throttle")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub username: String,
    pub failures: i32,
    pub last_failure_at: DateTimeUtc,
}

relations!();
