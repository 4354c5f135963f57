//! Users, their bearer tokens, failed-login throttling, holders' contacts, the audit trail.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use ForeignKeyAction::{Cascade, Restrict};

use super::shared::refs::Unit;
use super::shared::{create_table, drop_tables, index, tables, References};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
    Username,
    PasswordHash,
    Role,
    UnitId,
    Disabled,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuthToken {
    Table,
    Id,
    UserId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum LoginThrottle {
    Table,
    Username,
    Failures,
    LastFailureAt,
}

#[derive(DeriveIden)]
enum UnitContact {
    Table,
    Id,
    UnitId,
    Name,
    Phone,
    Email,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    ActorUserId,
    Actor,
    Entity,
    EntityId,
    Action,
    Before,
    After,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_table(
            manager,
            Table::create()
                .table(AppUser::Table)
                .col(pk_auto(AppUser::Id))
                .col(string_len_uniq(AppUser::Username, 64))
                .col(string_len(AppUser::PasswordHash, 200))
                .col(string_len(AppUser::Role, 16))
                .col(integer_null(AppUser::UnitId))
                .col(boolean(AppUser::Disabled).default(false))
                .col(timestamp_with_time_zone(AppUser::CreatedAt))
                .references(AppUser::UnitId, Unit::Table, Unit::Id, Restrict),
        )
        .await?;
        create_table(
            manager,
            Table::create()
                .table(AuthToken::Table)
                .col(pk_auto(AuthToken::Id))
                .col(integer(AuthToken::UserId))
                .col(string_len_uniq(AuthToken::TokenHash, 64))
                .col(timestamp_with_time_zone(AuthToken::CreatedAt))
                .col(timestamp_with_time_zone(AuthToken::ExpiresAt))
                .col(timestamp_with_time_zone_null(AuthToken::RevokedAt))
                .references(AuthToken::UserId, AppUser::Table, AppUser::Id, Cascade),
        )
        .await?;
        index(manager, "ix_auth_token_user", AuthToken::Table, [AuthToken::UserId]).await?;

        create_table(
            manager,
            Table::create()
                .table(LoginThrottle::Table)
                .col(string_len(LoginThrottle::Username, 64).primary_key())
                .col(integer(LoginThrottle::Failures))
                .col(timestamp_with_time_zone(LoginThrottle::LastFailureAt)),
        )
        .await?;
        create_table(
            manager,
            Table::create()
                .table(UnitContact::Table)
                .col(pk_auto(UnitContact::Id))
                .col(integer_uniq(UnitContact::UnitId))
                .col(string_len(UnitContact::Name, 100))
                .col(string_len(UnitContact::Phone, 32))
                .col(string_len(UnitContact::Email, 254))
                .col(timestamp_with_time_zone(UnitContact::UpdatedAt))
                .references(UnitContact::UnitId, Unit::Table, Unit::Id, Cascade),
        )
        .await?;
        create_table(
            manager,
            Table::create()
                .table(AuditLog::Table)
                .col(big_pk_auto(AuditLog::Id))
                .col(timestamp_with_time_zone(AuditLog::At))
                .col(integer_null(AuditLog::ActorUserId))
                .col(string_len(AuditLog::Actor, 64))
                .col(string_len(AuditLog::Entity, 32))
                .col(string_len_null(AuditLog::EntityId, 64))
                .col(string_len(AuditLog::Action, 32))
                .col(text_null(AuditLog::Before))
                .col(text_null(AuditLog::After)),
        )
        .await?;
        index(manager, "ix_audit_log_at", AuditLog::Table, [AuditLog::At]).await?;
        index(manager, "ix_audit_log_entity", AuditLog::Table, [AuditLog::Entity]).await?;
        index(manager, "ix_audit_log_actor", AuditLog::Table, [AuditLog::ActorUserId]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, tables![AuditLog, UnitContact, LoginThrottle, AuthToken, AppUser]).await
    }
}
