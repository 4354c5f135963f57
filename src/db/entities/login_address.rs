use sea_orm::entity::prelude::*;

/// Failed logins per client address, within the lock-out window.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_address")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub address: String,
    pub failures: i32,
    pub last_failure_at: DateTimeUtc,
}

relations!();
