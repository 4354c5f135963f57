//! Users, logins and bearer tokens.
//!
//! Tokens are 32 random bytes shown once to the client; only their SHA-256 is stored, so a
//! copy of the database lets nobody sign in. Failed logins are counted per username, known
//! or not, in the database, so the count holds across server processes.
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, TimeDelta, Utc};
use rand_core::OsRng;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    ModelTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::audit::{Change, Performer};
use super::{Page, ServiceError};
use crate::clock::Clock;
use crate::db::entities::{app_user, auth_token, known_login_address, login_address, login_throttle, unit};
use crate::domain::auth::{
    check_password_policy, check_username, Actor, LockoutPolicy, LoginGate, Role, OFFICE,
};
use crate::domain::ids::{UnitId, UserId};

#[derive(Debug, Clone, Copy)]
pub struct AuthSettings {
    /// `BLOODPLAN_TOKEN_TTL_HOURS`, default 12.
    pub token_ttl: TimeDelta,
    pub lockout: LockoutPolicy,
    /// `BLOODPLAN_LOGIN_ADDRESS_FAILURES`, default 50: failed logins per client address per
    /// lock-out window (15 minutes) before that address is throttled.
    pub address_budget: u32,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            token_ttl: TimeDelta::hours(12),
            lockout: LockoutPolicy::default(),
            address_budget: 50,
        }
    }
}

pub mod codes {
    error_codes! {
        INVALID_CREDENTIALS,
        ACCOUNT_DISABLED,
        ACCOUNT_LOCKED,
        LOGIN_THROTTLED,
        USERNAME_TAKEN,
        CANNOT_DISABLE_SELF,
        /// The current password given to change it is not right.
        WRONG_PASSWORD,
    }
}

/// Why a presented token does not sign anyone in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    Invalid,
    Expired,
    Revoked,
}

impl TokenProblem {
    pub fn reason(self) -> &'static str {
        match self {
            TokenProblem::Invalid => "TOKEN_INVALID",
            TokenProblem::Expired => "TOKEN_EXPIRED",
            TokenProblem::Revoked => "TOKEN_REVOKED",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            TokenProblem::Invalid => "登录凭证无效，请重新登录",
            TokenProblem::Expired => "登录已过期，请重新登录",
            TokenProblem::Revoked => "登录已失效 (已退出或账号已停用)，请重新登录",
        }
    }
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

async fn hash_password(password: String) -> Result<String, ServiceError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|e| ServiceError::Internal(e.to_string()))?
    .map_err(|e| ServiceError::Internal(format!("password hashing failed: {e}")))
}

/// Verifies against `hash`, or against a fixed dummy when the user is unknown, so that both
/// answers take as long.
async fn verify_password(password: String, hash: Option<String>) -> Result<bool, ServiceError> {
    const DUMMY: &str =
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ";
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| DUMMY.to_owned());
        let ok = PasswordHash::new(&hash)
            .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false);
        known && ok
    })
    .await
    .map_err(|e| ServiceError::Internal(e.to_string()))
}

pub fn actor_of(user: &app_user::Model) -> Result<Actor, ServiceError> {
    Ok(Actor {
        user_id: UserId(user.id),
        username: user.username.clone(),
        role: user.role,
        unit_id: user.unit_id,
    })
}

pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub actor: Actor,
}

/// Signs a user in from `address` (the client's IP address as the HTTP layer resolved it).
///
/// Every attempt is counted in the database before the slow password check, by one atomic
/// upsert per username and per address, so parallel guesses cannot slip past the count: at
/// most `lock_after` guesses per username and `address_budget` per address are ever
/// evaluated per window. A locked username may still sign in from an address it has signed in
/// from before, so that nobody can lock the office out by guessing its password.
pub async fn login(
    db: &DatabaseConnection,
    clock: &Clock,
    settings: &AuthSettings,
    username: &str,
    password: &str,
    address: &str,
) -> Result<IssuedToken, ServiceError> {
    let username = username.trim();
    let now = clock.now();
    let policy = settings.lockout;
    // Nothing is written for a name no account can have: no growth from huge names.
    if check_username(username).is_err() {
        tracing::warn!(
            address,
            username_chars = username.chars().count(),
            "failed login: not a valid username"
        );
        return Err(invalid_credentials());
    }
    let user = app_user::Entity::find().filter(app_user::Column::Username.eq(username)).one(db).await?;
    let known_address = match &user {
        Some(u) => {
            known_login_address::Entity::find_by_id((u.id, address.to_owned())).one(db).await?.is_some()
        }
        None => false,
    };
    if !known_address {
        let throttle = login_throttle::Entity::find_by_id(username.to_owned()).one(db).await?;
        let (failures, last) =
            throttle.map_or((0, None), |t| (t.failures.max(0) as u32, Some(t.last_failure_at)));
        let failures = policy.failures_after_expiry(failures, last, now);
        match policy.gate(failures, last, now) {
            LoginGate::Open => {}
            LoginGate::Throttled { until } => return Err(throttled(until)),
            LoginGate::Locked { until } => return Err(locked(until)),
        }
    }

    let cutoff = now - policy.lock_for;
    let by_address = count_address_attempt(db, address, now, cutoff).await?;
    let by_username = count_username_attempt(db, username, now, cutoff).await?;
    if by_address > settings.address_budget {
        tracing::warn!(address, username, failures = by_address, "failed login: address over its budget");
        return Err(throttled(now + policy.lock_for));
    }
    if !known_address && by_username > policy.lock_after {
        tracing::warn!(address, username, failures = by_username, "failed login: username locked");
        return Err(locked(now + policy.lock_for));
    }

    let verified =
        verify_password(password.to_owned(), user.as_ref().map(|u| u.password_hash.clone())).await?;
    let Some(user) = user.filter(|_| verified) else {
        tracing::warn!(address, username, failures = by_username, "failed login: wrong username or password");
        forget_expired_failures(db, cutoff).await?;
        if !known_address && by_username >= policy.lock_after {
            return Err(locked(now + policy.lock_for));
        }
        return Err(invalid_credentials());
    };
    if user.disabled {
        return Err(ServiceError::rejected(codes::ACCOUNT_DISABLED, "该账号已被停用，请联系市献血办"));
    }

    let token = super::random_token();
    let expires_at = now + settings.token_ttl;
    let actor = actor_of(&user)?;
    let txn = crate::db::begin_write(db).await?;
    login_throttle::Entity::delete_by_id(username.to_owned()).exec(&txn).await?;
    // A success gives back the address's attempt: the budget counts failures.
    login_address::Entity::update_many()
        .col_expr(
            login_address::Column::Failures,
            sea_orm::ExprTrait::sub(Expr::col((login_address::Entity, login_address::Column::Failures)), 1),
        )
        .filter(login_address::Column::Address.eq(address))
        .filter(login_address::Column::Failures.gt(0))
        .exec(&txn)
        .await?;
    super::upsert(
        &txn,
        known_login_address::ActiveModel {
            user_id: Set(user.id),
            address: Set(address.to_owned()),
            last_login_at: Set(now),
        },
        [known_login_address::Column::UserId, known_login_address::Column::Address],
        [known_login_address::Column::LastLoginAt],
    )
    .await?;
    auth_token::ActiveModel {
        user_id: Set(user.id),
        token_hash: Set(hash_token(&token)),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    Change::new("session", user.id, "login", &actor)
        .after(json!({ "expiresAt": expires_at }))
        .record(&txn, clock)
        .await?;
    txn.commit().await?;
    Ok(IssuedToken { token, expires_at, actor })
}

fn invalid_credentials() -> ServiceError {
    ServiceError::rejected(codes::INVALID_CREDENTIALS, "用户名或密码错误")
}

fn local_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Asia::Shanghai).format("%H:%M:%S").to_string()
}

fn throttled(until: DateTime<Utc>) -> ServiceError {
    ServiceError::rejected(
        codes::LOGIN_THROTTLED,
        format!("登录失败次数过多，请于 {} 之后再试", local_time(until)),
    )
}

fn locked(until: DateTime<Utc>) -> ServiceError {
    ServiceError::rejected(
        codes::ACCOUNT_LOCKED,
        format!("登录失败次数过多，该用户名已被暂时锁定，请于 {} 之后再试或联系市献血办", local_time(until)),
    )
}

/// Counts one attempt for `username` in one atomic upsert and returns the new count; a count
/// whose last failure is older than `cutoff` starts again from one.
async fn count_username_attempt(
    db: &DatabaseConnection,
    username: &str,
    now: DateTime<Utc>,
    cutoff: DateTime<Utc>,
) -> Result<u32, ServiceError> {
    use login_throttle::{ActiveModel, Column};
    let first =
        ActiveModel { username: Set(username.to_owned()), failures: Set(1), last_failure_at: Set(now) };
    count_attempt(db, first, Column::Username, Column::Failures, Column::LastFailureAt, cutoff).await
}

/// The same count per client address.
async fn count_address_attempt(
    db: &DatabaseConnection,
    address: &str,
    now: DateTime<Utc>,
    cutoff: DateTime<Utc>,
) -> Result<u32, ServiceError> {
    use login_address::{ActiveModel, Column};
    let first = ActiveModel { address: Set(address.to_owned()), failures: Set(1), last_failure_at: Set(now) };
    count_attempt(db, first, Column::Address, Column::Failures, Column::LastFailureAt, cutoff).await
}

/// Inserts `first` (a count of one), or on a conflict of `key` adds one to `failures` —
/// restarting from one when `last_failure_at` is older than `cutoff` — and returns the count.
async fn count_attempt<A>(
    db: &DatabaseConnection,
    first: A,
    key: <A::Entity as EntityTrait>::Column,
    failures: <A::Entity as EntityTrait>::Column,
    last_failure_at: <A::Entity as EntityTrait>::Column,
    cutoff: DateTime<Utc>,
) -> Result<u32, ServiceError>
where
    A: ActiveModelTrait + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    let table = A::Entity::default();
    let mut on_conflict = OnConflict::column(key);
    on_conflict.value(
        failures,
        Expr::case(sea_orm::ExprTrait::lte(Expr::col((table, last_failure_at)), cutoff), Expr::value(1))
            .finally(sea_orm::ExprTrait::add(Expr::col((table, failures)), 1)),
    );
    on_conflict.update_column(last_failure_at);
    let row = A::Entity::insert(first).on_conflict(on_conflict).exec_with_returning(db).await?;
    let count: i32 = sea_orm::sea_query::ValueType::try_from(row.get(failures))
        .map_err(|_| ServiceError::Internal("a failed-login count that is not a number".into()))?;
    Ok(count.max(0) as u32)
}

/// Deletes counts whose window has passed, so that failed logins leave nothing behind.
async fn forget_expired_failures(db: &DatabaseConnection, cutoff: DateTime<Utc>) -> Result<(), ServiceError> {
    login_throttle::Entity::delete_many()
        .filter(login_throttle::Column::LastFailureAt.lt(cutoff))
        .exec(db)
        .await?;
    login_address::Entity::delete_many()
        .filter(login_address::Column::LastFailureAt.lt(cutoff))
        .exec(db)
        .await?;
    Ok(())
}

/// Resolves a bearer token to the user it signs in.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    clock: &Clock,
    token: &str,
) -> Result<Result<(Actor, String), TokenProblem>, ServiceError> {
    let token_hash = hash_token(token);
    let found = auth_token::Entity::find()
        .filter(auth_token::Column::TokenHash.eq(token_hash.as_str()))
        .find_also_related(app_user::Entity)
        .one(db)
        .await?;
    let Some((token, Some(user))) = found else { return Ok(Err(TokenProblem::Invalid)) };
    if token.revoked_at.is_some() || user.disabled {
        return Ok(Err(TokenProblem::Revoked));
    }
    if token.expires_at <= clock.now() {
        return Ok(Err(TokenProblem::Expired));
    }
    Ok(Ok((actor_of(&user)?, token_hash)))
}

/// Revokes the live tokens that `which` selects.
async fn revoke_tokens(
    txn: &impl ConnectionTrait,
    which: sea_orm::sea_query::SimpleExpr,
    clock: &Clock,
) -> Result<(), ServiceError> {
    auth_token::Entity::update_many()
        .col_expr(auth_token::Column::RevokedAt, Expr::value(clock.now()))
        .filter(which)
        .filter(auth_token::Column::RevokedAt.is_null())
        .exec(txn)
        .await?;
    Ok(())
}

pub async fn logout(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    token_hash: &str,
) -> Result<(), ServiceError> {
    let txn = crate::db::begin_write(db).await?;
    revoke_tokens(&txn, auth_token::Column::TokenHash.eq(token_hash), clock).await?;
    Change::new("session", actor.user_id, "logout", actor).record(&txn, clock).await?;
    txn.commit().await?;
    Ok(())
}

/// A signed-in user changes their own password: the current one must be right. Every other
/// session of theirs is revoked; the one asking stays signed in.
pub async fn change_own_password(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    keep_token_hash: &str,
    current: &str,
    new_password: &str,
) -> Result<(), ServiceError> {
    check_password_policy(new_password).map_err(ServiceError::BadInput)?;
    let user = app_user::Entity::find_by_id(actor.user_id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound("账号不存在".into()))?;
    if !verify_password(current.to_owned(), Some(user.password_hash.clone())).await? {
        return Err(ServiceError::rejected(codes::WRONG_PASSWORD, "当前密码不正确"));
    }
    let hash = hash_password(new_password.to_owned()).await?;
    let txn = crate::db::begin_write(db).await?;
    let mut changed: app_user::ActiveModel = user.into();
    changed.password_hash = Set(hash);
    changed.update(&txn).await?;
    revoke_tokens(
        &txn,
        sea_orm::ExprTrait::and(
            auth_token::Column::UserId.eq(actor.user_id),
            auth_token::Column::TokenHash.ne(keep_token_hash),
        ),
        clock,
    )
    .await?;
    Change::new("user", actor.user_id, "change_password", actor).record(&txn, clock).await?;
    txn.commit().await?;
    Ok(())
}

pub struct NewUser {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub unit_id: Option<UnitId>,
}

#[derive(Debug, Clone)]
pub struct UserView {
    pub id: i32,
    pub username: String,
    pub role: Role,
    pub unit_id: Option<UnitId>,
    pub unit_name: Option<String>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

fn user_json(u: &app_user::Model) -> serde_json::Value {
    json!({ "username": u.username, "role": u.role.code(), "unitId": u.unit_id, "disabled": u.disabled })
}

async fn user_view(db: &impl ConnectionTrait, u: app_user::Model) -> Result<UserView, ServiceError> {
    let unit_name = match u.unit_id {
        Some(id) => unit::Entity::find_by_id(id).one(db).await?.map(|u| u.name),
        None => None,
    };
    user_view_named(u, unit_name)
}

fn user_view_named(u: app_user::Model, unit_name: Option<String>) -> Result<UserView, ServiceError> {
    let role = actor_of(&u)?.role;
    Ok(UserView {
        id: u.id,
        username: u.username,
        role,
        unit_id: u.unit_id,
        unit_name,
        disabled: u.disabled,
        created_at: u.created_at,
    })
}

/// Creates an account: by the office through the API, or from the command line.
pub async fn create_user(
    db: &DatabaseConnection,
    clock: &Clock,
    by: Performer<'_>,
    new: NewUser,
) -> Result<UserView, ServiceError> {
    if let Performer::User(actor) = by {
        actor.require(OFFICE)?;
    }
    let username = new.username.trim().to_owned();
    check_username(&username).map_err(ServiceError::BadInput)?;
    check_password_policy(&new.password).map_err(ServiceError::BadInput)?;
    match (new.role, new.unit_id) {
        (Role::Liaison, None) => {
            return Err(ServiceError::BadInput("联络员账号必须绑定一个献血单位或县(市、区)".into()))
        }
        (Role::Office | Role::Station, Some(_)) => {
            return Err(ServiceError::BadInput("只有联络员账号可以绑定献血单位".into()))
        }
        _ => {}
    }
    let hash = hash_password(new.password).await?;
    let txn = crate::db::begin_write(db).await?;
    if let Some(unit_id) = new.unit_id {
        super::find_or_not_found(&txn, unit::Entity, unit_id, super::noun::UNIT).await?;
    }
    let created = app_user::ActiveModel {
        username: Set(username.clone()),
        password_hash: Set(hash),
        role: Set(new.role),
        unit_id: Set(new.unit_id),
        disabled: Set(false),
        created_at: Set(clock.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            ServiceError::rejected(codes::USERNAME_TAKEN, format!("用户名 \"{username}\" 已被使用"))
        } else {
            e.into()
        }
    })?;
    Change::new("user", created.id, "create", by).after(user_json(&created)).record(&txn, clock).await?;
    let view = user_view(&txn, created).await?;
    txn.commit().await?;
    Ok(view)
}

/// Disabling a user also revokes every token they hold.
pub async fn set_user_disabled(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    user_id: UserId,
    disabled: bool,
) -> Result<UserView, ServiceError> {
    actor.require(OFFICE)?;
    if actor.user_id == user_id && disabled {
        return Err(ServiceError::rejected(codes::CANNOT_DISABLE_SELF, "不能停用自己的账号"));
    }
    let txn = crate::db::begin_write(db).await?;
    let user = super::find_or_not_found(&txn, app_user::Entity, user_id, super::noun::USER).await?;
    if user.disabled == disabled {
        let view = user_view(&txn, user).await?;
        return Ok(view);
    }
    let before = user_json(&user);
    let mut changed: app_user::ActiveModel = user.into();
    changed.disabled = Set(disabled);
    let changed = changed.update(&txn).await?;
    if disabled {
        revoke_tokens(&txn, auth_token::Column::UserId.eq(user_id), clock).await?;
        super::calendars::rotate_feeds_of(&txn, clock, actor, &actor_of(&changed)?).await?;
    }
    Change::new("user", user_id, if disabled { "disable" } else { "enable" }, actor)
        .before(before)
        .after(user_json(&changed))
        .record(&txn, clock)
        .await?;
    let view = user_view(&txn, changed).await?;
    txn.commit().await?;
    Ok(view)
}

/// The office sets a new password for a user who forgot theirs. Every session of that user
/// ends, so whoever knew the old password is signed out. One's own password is changed with
/// the current one (`change_own_password`), never reset.
pub async fn reset_user_password(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    user_id: UserId,
    new_password: &str,
) -> Result<UserView, ServiceError> {
    actor.require(OFFICE)?;
    if actor.user_id == user_id {
        return Err(ServiceError::BadInput("请在“修改密码”页修改自己的密码（需要输入当前密码）".into()));
    }
    check_password_policy(new_password).map_err(ServiceError::BadInput)?;
    let hash = hash_password(new_password.to_owned()).await?;
    let txn = crate::db::begin_write(db).await?;
    let user = super::find_or_not_found(&txn, app_user::Entity, user_id, super::noun::USER).await?;
    let mut changed: app_user::ActiveModel = user.into();
    changed.password_hash = Set(hash);
    let changed = changed.update(&txn).await?;
    revoke_tokens(&txn, auth_token::Column::UserId.eq(user_id), clock).await?;
    Change::new("user", user_id, "reset_password", actor).record(&txn, clock).await?;
    let view = user_view(&txn, changed).await?;
    txn.commit().await?;
    Ok(view)
}

pub async fn user_by_id(db: &DatabaseConnection, id: UserId) -> Result<UserView, ServiceError> {
    let user = super::find_or_not_found(db, app_user::Entity, id, super::noun::USER).await?;
    user_view(db, user).await
}

pub async fn list_users(db: &DatabaseConnection, page: Page) -> Result<(u64, Vec<UserView>), ServiceError> {
    let total = app_user::Entity::find().count(db).await?;
    let users = app_user::Entity::find()
        .order_by_asc(app_user::Column::Id)
        .offset(page.offset)
        .limit(page.first)
        .all(db)
        .await?;
    // The page's holders in one query, not one per user.
    let unit_ids: Vec<UnitId> = users.iter().filter_map(|u| u.unit_id).collect();
    let names = super::units::names_of(db, unit_ids).await?;
    let views = users
        .into_iter()
        .map(|u| {
            let name = u.unit_id.and_then(|id| names.get(&id).cloned());
            user_view_named(u, name)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((total, views))
}

/// Finds a quota holder by id or by exact name, for the command line.
pub async fn find_unit_id(db: &DatabaseConnection, id_or_name: &str) -> Result<UnitId, ServiceError> {
    let by_id = match id_or_name.trim().parse::<i32>() {
        Ok(id) => unit::Entity::find_by_id(id).one(db).await?,
        Err(_) => None,
    };
    let found = match by_id {
        Some(u) => Some(u),
        None => unit::Entity::find().filter(unit::Column::Name.eq(id_or_name.trim())).one(db).await?,
    };
    if let Some(u) = found {
        return Ok(UnitId(u.id));
    }
    let names: Vec<String> = unit::Entity::find().all(db).await?.into_iter().map(|u| u.name).collect();
    let close = similar_names(id_or_name, &names);
    let mut message = format!("没有名为或编号为“{}”的献血单位", id_or_name.trim());
    if !close.is_empty() {
        message.push_str(&format!("，您是不是要找：{}？", close.join("、")));
    }
    Err(ServiceError::NotFound(message))
}

/// Names the office may have meant: the table says 赤壁 where people write 赤壁市, 咸安 for
/// 咸安区, 市委办 for 市委办公室. At most five, shortest first.
fn similar_names(input: &str, names: &[String]) -> Vec<String> {
    let input = input.trim();
    let stem = input.trim_end_matches(['市', '区', '县']);
    if stem.is_empty() {
        return Vec::new();
    }
    let mut close: Vec<&String> = names
        .iter()
        .filter(|n| {
            let n = n.as_str();
            n.contains(stem) || (n.chars().count() >= 2 && input.contains(n))
        })
        .collect();
    close.sort_by_key(|n| (n.chars().count(), n.as_str()));
    close.dedup();
    close.into_iter().take(5).cloned().collect()
}

#[cfg(test)]
mod suggestion_tests {
    use super::similar_names;

    #[test]
    fn a_county_written_with_its_suffix_suggests_the_tables_name() {
        let names: Vec<String> =
            ["赤壁", "咸安", "市委办", "赤壁市人民医院", "湖北科技学院"].map(String::from).to_vec();
        assert_eq!(similar_names("赤壁市", &names), ["赤壁", "赤壁市人民医院"]);
        assert_eq!(similar_names("咸安区", &names), ["咸安"]);
        assert_eq!(similar_names("科技学院", &names), ["湖北科技学院"]);
        assert!(similar_names("通山", &names).is_empty());
        assert!(similar_names("市", &names).is_empty());
    }
}
