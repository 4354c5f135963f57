//! Plan reads (issue 13 item 3).
//!
//! `plan_quota.section_rank`: the section's place in the printed table (1 counties, 2
//! city-level units, 3 enterprises), stored so that an index on (plan, rank, seq) serves the
//! table order instead of a `CASE` on the section code that no index can. Existing rows get
//! it from their section. The database keeps it equal to the section's: a CHECK on
//! PostgreSQL and MySQL, a pair of triggers on SQLite (which cannot add a constraint to a
//! table), named `ck_plan_quota_section_rank`, as the code checks of migration 000301. A
//! section that is not a code gives a NULL rank to compare with, so only that migration's
//! check refuses it.
//!
//! `plan.version`: raised by one (`version = version + 1`) in the transaction of every write
//! that changes what the plan's rows show, so that each `serve` process can tell from the
//! plan row it reads anyway whether the rows it keeps in memory are still the published ones.
use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::shared::{add_columns, drop_check, drop_columns, drop_index, execute_all, index, NamedCheck};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PlanQuota {
    Table,
    PlanId,
    Section,
    SectionRank,
    Seq,
}

#[derive(DeriveIden)]
enum Plan {
    Table,
    Version,
}

const INDEX: &str = "ix_plan_quota_plan_rank_seq";
const CHECK: &str = "ck_plan_quota_section_rank";

/// The rank of each section code, in the order of `Section::ALL` (a unit test holds them equal).
pub(crate) const SECTION_RANKS: &[(&str, i32)] = &[("COUNTY", 1), ("CITY_UNIT", 2), ("ENTERPRISE", 3)];

/// `CASE <section> WHEN 'COUNTY' THEN 1 … END`: NULL for a text that is not a code.
fn rank_of(section: &str) -> String {
    let whens: String =
        SECTION_RANKS.iter().map(|(code, rank)| format!(" WHEN '{code}' THEN {rank}")).collect();
    format!("CASE {section}{whens} END")
}

fn add_check(backend: DbBackend) -> Vec<String> {
    NamedCheck {
        table: "plan_quota",
        name: CHECK,
        check: &format!("section_rank = {}", rank_of("section")),
        update_of: "section, section_rank",
        violated: &format!("NEW.section_rank <> {}", rank_of("NEW.section")),
    }
    .add(backend)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(manager, PlanQuota::Table, [integer(PlanQuota::SectionRank).default(0).to_owned()])
            .await?;
        add_columns(manager, Plan::Table, [big_integer(Plan::Version).default(1).to_owned()]).await?;
        let mut rank = Expr::case(Expr::col(PlanQuota::Section).eq(SECTION_RANKS[0].0), SECTION_RANKS[0].1);
        for (code, value) in &SECTION_RANKS[1..] {
            rank = rank.case(Expr::col(PlanQuota::Section).eq(*code), *value);
        }
        let fill = Query::update().table(PlanQuota::Table).value(PlanQuota::SectionRank, rank).to_owned();
        manager.exec_stmt(fill).await?;
        execute_all(manager, add_check(manager.get_database_backend())).await?;
        index(manager, INDEX, PlanQuota::Table, [PlanQuota::PlanId, PlanQuota::SectionRank, PlanQuota::Seq])
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_index(manager, INDEX, PlanQuota::Table).await?;
        execute_all(manager, drop_check(manager.get_database_backend(), "plan_quota", CHECK)).await?;
        drop_columns(manager, Plan::Table, [Plan::Version]).await?;
        drop_columns(manager, PlanQuota::Table, [PlanQuota::SectionRank]).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Section;

    #[test]
    fn the_stored_ranks_are_the_sections_places_in_the_table() {
        let ranks: Vec<(&str, i32)> = Section::ALL.iter().map(|s| (s.code(), s.rank())).collect();
        assert_eq!(ranks, SECTION_RANKS);
    }

    #[test]
    fn sqlite_gets_a_trigger_per_write_and_the_others_a_named_check() {
        let sqlite = add_check(DbBackend::Sqlite);
        assert_eq!(sqlite.len(), 2);
        assert!(sqlite[1].starts_with(
            "CREATE TRIGGER ck_plan_quota_section_rank_update BEFORE UPDATE OF section, section_rank ON plan_quota"
        ));
        assert!(sqlite[1]
            .contains("NEW.section_rank <> CASE NEW.section WHEN 'COUNTY' THEN 1 WHEN 'CITY_UNIT' THEN 2 WHEN 'ENTERPRISE' THEN 3 END"));
        assert_eq!(
            add_check(DbBackend::Postgres),
            ["ALTER TABLE plan_quota ADD CONSTRAINT ck_plan_quota_section_rank CHECK (section_rank = \
              CASE section WHEN 'COUNTY' THEN 1 WHEN 'CITY_UNIT' THEN 2 WHEN 'ENTERPRISE' THEN 3 END)"]
        );
    }
}
