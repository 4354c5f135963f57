//! Per-address login budgets and the addresses each user has signed in from.
//!
//! `login_address` counts failed logins per client address (the same expiry as the
//! per-username count), so one address cannot guess across many usernames or lock accounts at
//! will. `known_login_address` remembers where a user signed in successfully: from there a
//! locked account may still sign in, so an attacker who locks `office` does not lock the
//! office out.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use ForeignKeyAction::Cascade;

use super::shared::refs::AppUser;
use super::shared::{create_table, drop_index, drop_tables, index, tables, References};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LoginAddress {
    Table,
    Address,
    Failures,
    LastFailureAt,
}

#[derive(DeriveIden)]
enum KnownLoginAddress {
    Table,
    UserId,
    Address,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum LoginThrottle {
    Table,
    LastFailureAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_table(
            manager,
            Table::create()
                .table(LoginAddress::Table)
                .col(string_len(LoginAddress::Address, 64).primary_key())
                .col(integer(LoginAddress::Failures))
                .col(timestamp_with_time_zone(LoginAddress::LastFailureAt)),
        )
        .await?;
        create_table(
            manager,
            Table::create()
                .table(KnownLoginAddress::Table)
                .col(integer(KnownLoginAddress::UserId))
                .col(string_len(KnownLoginAddress::Address, 64))
                .col(timestamp_with_time_zone(KnownLoginAddress::LastLoginAt))
                .primary_key(Index::create().col(KnownLoginAddress::UserId).col(KnownLoginAddress::Address))
                .references(KnownLoginAddress::UserId, AppUser::Table, AppUser::Id, Cascade),
        )
        .await?;
        // Expired rows are deleted by their age on every failed login.
        index(
            manager,
            "ix_login_throttle_last_failure",
            LoginThrottle::Table,
            [LoginThrottle::LastFailureAt],
        )
        .await?;
        index(manager, "ix_login_address_last_failure", LoginAddress::Table, [LoginAddress::LastFailureAt])
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_index(manager, "ix_login_throttle_last_failure", LoginThrottle::Table).await?;
        drop_tables(manager, tables![KnownLoginAddress, LoginAddress]).await
    }
}
