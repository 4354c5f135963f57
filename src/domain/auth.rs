//! Who may do what, and the rules of passwords and failed logins.
use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};

use super::code_enum::code_enum;
use super::ids::{UnitId, UserId};

code_enum! {
    /// The three kinds of users. Stored as its code (`OFFICE`).
    #[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
    pub enum Role {
        /// 市献血办: everything.
        Office,
        /// 单位联络员: bound to one quota holder.
        Liaison,
        /// 血站工作人员: schedules, collections, vehicles.
        Station,
    }
}

impl Role {
    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code().eq_ignore_ascii_case(text.trim()))
    }
}

/// The role sets the API and the pages grant, each named once. The GraphQL fields name
/// them in their guards (`src/graphql/guards.rs`), the services in [`Actor::require`].
pub const ANY_ROLE: &[Role] = &Role::ALL;
pub const OFFICE: &[Role] = &[Role::Office];
/// The office and the blood station: vehicles, collections, no-shows.
pub const STAFF: &[Role] = &[Role::Office, Role::Station];
/// The office and the holders' liaisons: booking, moving and cancelling visits, contacts.
pub const OFFICE_OR_LIAISON: &[Role] = &[Role::Office, Role::Liaison];
/// A holder's liaisons alone: the liaison's own pages.
pub const LIAISON: &[Role] = &[Role::Liaison];

/// The caller may not do this. Says nothing about the object, so ids cannot be probed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthError;

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("forbidden")
    }
}

impl std::error::Error for AuthError {}

/// The user behind a request, as services see it.
///
/// Who may do what is decided here, once: a role set ([`Actor::require`]) and the ownership
/// rules of the quota holders' data. The services call these before they read or write, so
/// every front end (GraphQL, the web pages, the command line) gets the same answer; the
/// GraphQL guards refuse a wrong role early with the same role sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub username: String,
    pub role: Role,
    /// The quota holder a liaison is bound to.
    pub unit_id: Option<UnitId>,
}

impl Actor {
    pub fn is(&self, roles: &[Role]) -> bool {
        roles.contains(&self.role)
    }

    pub fn is_office(&self) -> bool {
        self.role == Role::Office
    }

    /// The caller's role is one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AuthError> {
        if self.is(roles) {
            Ok(())
        } else {
            Err(AuthError)
        }
    }

    /// Whether this actor is the liaison of `unit_id`.
    fn liaison_of(&self, unit_id: UnitId) -> bool {
        self.role == Role::Liaison && self.unit_id == Some(unit_id)
    }

    /// Acting for a holder (booking its visits, editing its contact, renewing its calendar
    /// link): the office, or the liaison of this holder.
    pub fn may_manage_holder(&self, unit_id: UnitId) -> Result<(), AuthError> {
        if self.is_office() || self.liaison_of(unit_id) {
            Ok(())
        } else {
            Err(AuthError)
        }
    }

    /// Reading a holder's own data (its visits, collections, contact, monthly figures,
    /// calendar link): the office and the station, or the liaison of this holder.
    pub fn may_read_holder(&self, unit_id: UnitId) -> Result<(), AuthError> {
        if self.is(STAFF) || self.liaison_of(unit_id) {
            Ok(())
        } else {
            Err(AuthError)
        }
    }

    /// Naming a sub-unit of `holder` on a visit or a collection record: the office and the
    /// station (who record any holder's collections), or the liaison of this holder — never
    /// another holder's sub-unit.
    pub fn may_name_sub_unit(&self, holder: UnitId) -> Result<(), AuthError> {
        self.may_read_holder(holder)
    }

    /// Reading a record looked up by id, owned by the holder `owner` (`None`: no such
    /// record). Staff may learn that it does not exist; a liaison cannot tell a missing
    /// record from another holder's.
    pub fn may_read_record(&self, owner: Option<UnitId>) -> Result<(), AuthError> {
        match owner {
            Some(unit_id) => self.may_read_holder(unit_id),
            None => self.require(STAFF),
        }
    }

    /// The holder whose data lists are confined to: none for the office and the station,
    /// who see every holder; a liaison's own. A liaison bound to no holder sees nothing.
    pub fn holder_scope(&self) -> Result<Option<UnitId>, AuthError> {
        match self.role {
            Role::Liaison => self.unit_id.map(Some).ok_or(AuthError),
            Role::Office | Role::Station => Ok(None),
        }
    }
}

pub const MIN_PASSWORD_CHARS: usize = 10;

pub fn check_password_policy(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!("密码至少需要 {MIN_PASSWORD_CHARS} 个字符"));
    }
    if password.trim().is_empty() {
        return Err("密码不能全是空白".into());
    }
    Ok(())
}

pub fn check_username(username: &str) -> Result<(), String> {
    let ok = (3..=64).contains(&username.chars().count())
        && username.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err("用户名须为 3–64 个字符，只能包含字母、数字和 . _ - @".into())
    }
}

/// How failed logins for one username are answered: the first few freely, then with a
/// growing wait between attempts, then with a lock for a while.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub free_failures: u32,
    pub lock_after: u32,
    pub lock_for: TimeDelta,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy { free_failures: 3, lock_after: 10, lock_for: TimeDelta::minutes(15) }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginGate {
    Open,
    /// Too many recent failures: try again after this instant.
    Throttled {
        until: DateTime<Utc>,
    },
    Locked {
        until: DateTime<Utc>,
    },
}

impl LockoutPolicy {
    /// Whether a login may be tried now, given the failures since the last success.
    pub fn gate(&self, failures: u32, last_failure: Option<DateTime<Utc>>, now: DateTime<Utc>) -> LoginGate {
        let Some(last) = last_failure else { return LoginGate::Open };
        if failures >= self.lock_after {
            let until = last + self.lock_for;
            return if now < until { LoginGate::Locked { until } } else { LoginGate::Open };
        }
        if failures > self.free_failures {
            // 2 s after the 4th failure, 4 s after the 5th, … up to the lock.
            let wait = TimeDelta::seconds(1 << (failures - self.free_failures).min(10));
            let until = last + wait;
            if now < until {
                return LoginGate::Throttled { until };
            }
        }
        LoginGate::Open
    }

    /// Failures older than the lock period are forgotten, so a lock that ran out, or a
    /// mistyped password last week, starts the count afresh.
    pub fn failures_after_expiry(
        &self,
        failures: u32,
        last_failure: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> u32 {
        match last_failure {
            Some(last) if now < last + self.lock_for => failures,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_role_codes_stay_as_they_were() {
        assert_eq!(Role::ALL.map(Role::code), ["OFFICE", "LIAISON", "STATION"]);
        assert_eq!(Role::parse(" liaison "), Some(Role::Liaison), "people may type any case");
        assert!("liaison".parse::<Role>().is_err(), "a stored code is exact");
    }

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_580_518_800 + s, 0).unwrap()
    }

    #[test]
    fn failures_are_free_then_slowed_then_locked_then_lifted() {
        let p = LockoutPolicy::default();
        assert_eq!(p.gate(0, None, t(0)), LoginGate::Open);
        assert_eq!(p.gate(3, Some(t(0)), t(0)), LoginGate::Open);
        assert_eq!(p.gate(4, Some(t(0)), t(1)), LoginGate::Throttled { until: t(2) });
        assert_eq!(p.gate(4, Some(t(0)), t(2)), LoginGate::Open);
        assert_eq!(p.gate(6, Some(t(0)), t(7)), LoginGate::Throttled { until: t(8) });
        assert_eq!(p.gate(10, Some(t(0)), t(899)), LoginGate::Locked { until: t(900) });
        assert_eq!(p.gate(10, Some(t(0)), t(900)), LoginGate::Open);
        assert_eq!(p.failures_after_expiry(10, Some(t(0)), t(900)), 0);
        assert_eq!(p.failures_after_expiry(10, Some(t(0)), t(899)), 10);
        assert_eq!(p.failures_after_expiry(2, Some(t(0)), t(900)), 0);
    }

    #[test]
    fn a_liaison_acts_and_reads_only_for_their_own_holder() {
        let liaison =
            Actor { user_id: UserId(1), username: "l".into(), role: Role::Liaison, unit_id: Some(UnitId(7)) };
        let office = Actor { role: Role::Office, unit_id: None, ..liaison.clone() };
        let station = Actor { role: Role::Station, unit_id: None, ..liaison.clone() };
        assert_eq!(liaison.may_manage_holder(UnitId(7)), Ok(()));
        assert_eq!(liaison.may_manage_holder(UnitId(8)), Err(AuthError));
        assert_eq!(office.may_manage_holder(UnitId(8)), Ok(()));
        assert_eq!(station.may_manage_holder(UnitId(7)), Err(AuthError));
        assert_eq!(liaison.may_read_holder(UnitId(7)), Ok(()));
        assert_eq!(liaison.may_read_holder(UnitId(8)), Err(AuthError));
        assert_eq!(station.may_read_holder(UnitId(7)), Ok(()));
        assert_eq!(office.may_read_holder(UnitId(7)), Ok(()));
    }

    #[test]
    fn only_staff_learn_that_a_record_does_not_exist() {
        let liaison =
            Actor { user_id: UserId(1), username: "l".into(), role: Role::Liaison, unit_id: Some(UnitId(7)) };
        let station = Actor { role: Role::Station, unit_id: None, ..liaison.clone() };
        assert_eq!(station.may_read_record(None), Ok(()));
        assert_eq!(liaison.may_read_record(None), Err(AuthError));
        assert_eq!(liaison.may_read_record(Some(UnitId(7))), Ok(()));
        assert_eq!(liaison.may_read_record(Some(UnitId(8))), Err(AuthError));
    }

    #[test]
    fn lists_are_confined_to_a_liaisons_own_holder() {
        let liaison =
            Actor { user_id: UserId(1), username: "l".into(), role: Role::Liaison, unit_id: Some(UnitId(7)) };
        let unbound = Actor { unit_id: None, ..liaison.clone() };
        let office = Actor { role: Role::Office, unit_id: None, ..liaison.clone() };
        assert_eq!(liaison.holder_scope(), Ok(Some(UnitId(7))));
        assert_eq!(unbound.holder_scope(), Err(AuthError));
        assert_eq!(office.holder_scope(), Ok(None));
        assert_eq!(office.require(OFFICE_OR_LIAISON), Ok(()));
        assert_eq!(office.require(&[Role::Station]), Err(AuthError));
    }

    #[test]
    fn passwords_need_ten_characters_counting_chinese_ones() {
        assert!(check_password_policy("short").is_err());
        assert!(check_password_policy("献血光荣献血光荣献血光").is_ok());
        assert!(check_password_policy("          ").is_err());
        assert!(check_username("office.admin").is_ok());
        assert!(check_username("a b").is_err());
    }
}
