//! A collection record can be voided (entered against the wrong visit): it stays readable
//! with its reason, counts nowhere, and gives its visit back. `visit_id` is cleared so the
//! unique index lets the visit get its right record; `voided_visit_id` remembers where it was.
//!
//! One column per ALTER: SQLite takes one change per statement.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::shared::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Collection {
    Table,
    VoidedAt,
    VoidReason,
    VoidedVisitId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            Collection::Table,
            [
                timestamp_with_time_zone_null(Collection::VoidedAt),
                string_len_null(Collection::VoidReason, 500),
                integer_null(Collection::VoidedVisitId),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [Collection::VoidedAt, Collection::VoidReason, Collection::VoidedVisitId];
        drop_columns(manager, Collection::Table, columns).await
    }
}
