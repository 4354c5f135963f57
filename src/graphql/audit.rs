//! The audit trail, for the office.
use async_graphql::{Context, Json, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::guards::{role, OFFICE};
use super::page::{requested_page, PageOf};
use super::plan::parse_id;
use crate::error::ApiResult;
use crate::services::audit::{self, AuditEntry, AuditFilter};
use crate::state::AppState;

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Every write, newest first, filtered by entity, user and time range `[from, to)`.
    #[graphql(guard = "role(OFFICE)", complexity = "crate::graphql::list_cost(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i64>,
        offset: Option<i64>,
        entity: Option<String>,
        entity_id: Option<String>,
        user_id: Option<ID>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> ApiResult<PageOf<AuditRecord>> {
        let state = ctx.data_unchecked::<AppState>();
        let page = requested_page(first, offset)?;
        let user_id = user_id.as_ref().map(parse_id).transpose()?;
        let filter = AuditFilter { entity, entity_id, user_id, from, to };
        Ok(PageOf::listed(page, audit::list(&state.db, &filter, page).await?))
    }
}

#[derive(SimpleObject)]
pub struct AuditRecord {
    id: ID,
    at: DateTime<Utc>,
    /// The user's id; null for the command line and the service itself.
    user_id: Option<ID>,
    /// The username, or `cli` / `system`.
    actor: String,
    entity: String,
    entity_id: Option<String>,
    action: String,
    before: Option<Json<serde_json::Value>>,
    after: Option<Json<serde_json::Value>>,
}

impl From<AuditEntry> for AuditRecord {
    fn from(e: AuditEntry) -> Self {
        AuditRecord {
            id: ID(e.id.to_string()),
            at: e.at,
            user_id: e.actor_user_id.map(|u| ID(u.to_string())),
            actor: e.actor,
            entity: e.entity,
            entity_id: e.entity_id,
            action: e.action,
            before: e.before.map(Json),
            after: e.after.map(Json),
        }
    }
}
