//! Versioned schema migrations. A migration that has landed is never edited: add a new one.
//! They build with the pieces in `shared`, whose output is as frozen as the migrations.
use sea_orm_migration::prelude::*;

mod m20261128_000001_plan;
mod m20261128_000002_accounts;
mod m20261128_000003_visits;
mod m20261128_000004_collections;
mod m20261128_000005_reminders;
mod m20261129_000006_collection_void;
mod m20261129_000007_unit_booking_options;
mod m20261129_000101_login_addresses;
mod m20261129_000102_calendar_tokens;
mod m20261129_000103_collection_volume_bigint;
mod m20261129_000201_activity_rule;
mod m20261129_000301_stored_code_checks;
mod m20261129_000302_outbox_kind_check;
mod m20261130_000601_plan_rank_version;
mod m20261130_001301_holder_month_total;
mod m20261130_001401_breakdowns;
mod m20261201_001402_sub_units;
mod m20261201_001403_population_clinical_use;
mod m20261201_001406_breakdown_deadline;
mod m20261202_001410_imported_sub_units;
mod shared;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_plan::Migration),
            Box::new(m20261128_000002_accounts::Migration),
            Box::new(m20261128_000003_visits::Migration),
            Box::new(m20261128_000004_collections::Migration),
            Box::new(m20261128_000005_reminders::Migration),
            Box::new(m20261129_000006_collection_void::Migration),
            Box::new(m20261129_000007_unit_booking_options::Migration),
            Box::new(m20261129_000101_login_addresses::Migration),
            Box::new(m20261129_000102_calendar_tokens::Migration),
            Box::new(m20261129_000103_collection_volume_bigint::Migration),
            Box::new(m20261129_000201_activity_rule::Migration),
            Box::new(m20261129_000301_stored_code_checks::Migration),
            Box::new(m20261129_000302_outbox_kind_check::Migration),
            Box::new(m20261130_000601_plan_rank_version::Migration),
            Box::new(m20261130_001301_holder_month_total::Migration),
            Box::new(m20261130_001401_breakdowns::Migration),
            Box::new(m20261201_001402_sub_units::Migration),
            Box::new(m20261201_001403_population_clinical_use::Migration),
            Box::new(m20261201_001406_breakdown_deadline::Migration),
            Box::new(m20261202_001410_imported_sub_units::Migration),
        ]
    }
}
