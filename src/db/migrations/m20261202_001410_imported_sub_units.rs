//! Sub-units of breakdowns accepted by a plan import.
//!
//! Until this fix a plan import (`bloodplan plan copy` then `bloodplan import`) wrote a
//! holder's breakdown as accepted without giving its names their sub-unit identity
//! (`sub_unit`), so that year's visits and records could not name them and fulfilment showed
//! none. This gives every name of an accepted version that has no identity yet its own, as
//! accepting it does now (`services::breakdowns::mark_accepted`); names that have one keep it.
//! Nothing to undo: the rows are what the accepted versions say, and going down past
//! `m20261201_001402_sub_units` drops the table.
use sea_orm_migration::prelude::*;

use super::shared::refs::{Breakdown, BreakdownRow, SubUnit};
use super::shared::{accepted_breakdown_names, insert_sub_units};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let known = Query::select()
            .expr(Expr::val(1))
            .from(SubUnit::Table)
            .and_where(
                Expr::col((SubUnit::Table, SubUnit::UnitId)).equals((Breakdown::Table, Breakdown::UnitId)),
            )
            .and_where(Expr::col((SubUnit::Table, SubUnit::Year)).equals((Breakdown::Table, Breakdown::Year)))
            .and_where(
                Expr::col((SubUnit::Table, SubUnit::Name)).equals((BreakdownRow::Table, BreakdownRow::Name)),
            )
            .to_owned();
        let mut names = accepted_breakdown_names();
        names.and_where(Expr::not_exists(known));
        insert_sub_units(manager, names).await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
