//! Who may do what, and the rules of passwords and failed logins.
use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};

/// The three kinds of users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// 市献血办: everything.
    Office,
    /// 单位联络员: bound to one quota holder.
    Liaison,
    /// 血站工作人员: schedules, collections, vehicles.
    Station,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Office, Role::Liaison, Role::Station];

    pub fn code(self) -> &'static str {
        match self {
            Role::Office => "OFFICE",
            Role::Liaison => "LIAISON",
            Role::Station => "STATION",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code().eq_ignore_ascii_case(text.trim()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The user behind a request, as services see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i32,
    pub username: String,
    pub role: Role,
    /// The quota holder a liaison is bound to.
    pub unit_id: Option<i32>,
}

impl Actor {
    /// Whether this user may see and act for the given quota holder's own data.
    pub fn may_act_for_unit(&self, unit_id: i32) -> bool {
        match self.role {
            Role::Office => true,
            Role::Liaison => self.unit_id == Some(unit_id),
            Role::Station => false,
        }
    }

    pub fn is(&self, roles: &[Role]) -> bool {
        roles.contains(&self.role)
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
    fn a_liaison_acts_only_for_their_own_holder() {
        let liaison = Actor { user_id: 1, username: "l".into(), role: Role::Liaison, unit_id: Some(7) };
        assert!(liaison.may_act_for_unit(7));
        assert!(!liaison.may_act_for_unit(8));
        let office = Actor { role: Role::Office, unit_id: None, ..liaison.clone() };
        assert!(office.may_act_for_unit(8));
        let station = Actor { role: Role::Station, unit_id: None, ..liaison };
        assert!(!station.may_act_for_unit(7));
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
