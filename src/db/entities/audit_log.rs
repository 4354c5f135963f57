use sea_orm::entity::prelude::*;

/// One write: who, when, what, and the values before and after (JSON). Append-only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    pub actor_user_id: Option<i32>,
    /// The username, or `cli` / `system` for writes made outside the API.
    pub actor: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub action: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

relations!();
