//! Settings, read once from the environment into typed structs.
use std::net::SocketAddr;
use std::path::PathBuf;

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::booking::BookingPolicy;
use crate::email::config::InvalidSetting;
use crate::email::{EmailConfig, OfficeContact};
use crate::services::accounts::AuthSettings;
use crate::services::outbox::OutboxSettings;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error(transparent)]
    Email(#[from] InvalidSetting),
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`; unset means the SQLite file `bloodplan.db` in the working directory.
    pub database_url: String,
    /// `DATABASE_MAX_CONNECTIONS` (default 8 on SQLite, 20 on PostgreSQL) and
    /// `DATABASE_ACQUIRE_TIMEOUT_SECONDS` (default 5): a request that gets no connection in
    /// that time is answered `503 SERVICE_BUSY`.
    pub database_pool: crate::db::PoolSettings,
    /// `BLOODPLAN_BIND`
    pub bind: SocketAddr,
    /// `BLOODPLAN_SEEDS`: the plans loaded into an empty database.
    pub seeds_dir: PathBuf,
    /// `BLOODPLAN_NOW`: the service clock starts here instead of at the real time.
    pub now: Option<DateTime<Utc>>,
    pub graphql: GraphqlLimits,
    pub auth: AuthSettings,
    /// `BLOODPLAN_LEAD_TIME_DAYS` (default 2) and `BLOODPLAN_LIAISON_CUTOFF_DAYS` (default 3).
    pub booking: BookingPolicy,
    /// `BLOODPLAN_PUBLIC_URL`: how clients reach this server, for calendar links. Default
    /// `http://` + the bind address.
    pub public_url: Option<String>,
    /// `BLOODPLAN_BEHIND_MARGIN_POINTS` (default 10): how many percentage points a holder's
    /// collected share may trail the elapsed share of the year before it is behind schedule.
    pub behind_margin_points: i64,
    /// `SMTP_URL`, `MAIL_FROM`, `OFFICE_CONTACT_*`; `None` when `SMTP_URL` is unset, and
    /// reminders then wait in the outbox.
    pub email: Option<EmailConfig>,
    /// The office's contact in every email; from the email settings, or else from
    /// `OFFICE_CONTACT_*` alone so that queued reminders still name the office.
    pub office: OfficeContact,
    /// `REMINDER_MAX_ATTEMPTS`, `REMINDER_PERMANENT_ATTEMPTS`, `REMINDER_BACKOFF_SECONDS`,
    /// `REMINDER_POLL_SECONDS`.
    pub outbox: OutboxSettings,
    pub http: HttpSettings,
    /// `BLOODPLAN_COLLECTION_MAX_DONATIONS`: the most donations (and bags of any size) one
    /// collection record may hold; default twice the largest vehicle's daily capacity.
    pub collections: crate::services::collections::CollectionSettings,
    /// `BLOODPLAN_MAX_REQUESTED_VISITS`: how many requested (unconfirmed) visits a holder may
    /// have at once; unset, derived from its quota and the vehicle's capacity.
    pub max_requested_visits: Option<i64>,
}

/// How the HTTP server holds up against slow and numerous clients.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// `BLOODPLAN_TRUSTED_PROXIES`: comma-separated addresses of reverse proxies whose
    /// `X-Forwarded-For` names the client. Empty (the default): the peer is the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// `BLOODPLAN_GRAPHIQL` (default true): `false` turns off the GraphiQL page and
    /// introspection, for production.
    pub graphiql: bool,
    /// `BLOODPLAN_HEADER_TIMEOUT_SECONDS` (default 10): a request's line and headers must
    /// arrive within this time, or the connection is closed.
    pub header_timeout: std::time::Duration,
    /// `BLOODPLAN_REQUEST_TIMEOUT_SECONDS` (default 30): reading a body and answering a request
    /// together; a request over it is answered `503 REQUEST_TIMEOUT` and its work dropped.
    pub request_timeout: std::time::Duration,
    /// `BLOODPLAN_IDLE_TIMEOUT_SECONDS` (default 60): a kept-alive connection with no traffic
    /// for this long is closed.
    pub idle_timeout: std::time::Duration,
    /// `BLOODPLAN_MAX_CONNECTIONS` (default 200): connections served at once; more wait in
    /// the listen queue.
    pub max_connections: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            trusted_proxies: Vec::new(),
            graphiql: true,
            header_timeout: std::time::Duration::from_secs(10),
            request_timeout: std::time::Duration::from_secs(30),
            idle_timeout: std::time::Duration::from_secs(60),
            max_connections: 200,
        }
    }
}

#[derive(Debug, Clone)]
pub struct GraphqlLimits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_batch: usize,
    pub max_body_bytes: usize,
    /// Off with `BLOODPLAN_GRAPHIQL=false`.
    pub introspection: bool,
}

impl Default for GraphqlLimits {
    fn default() -> Self {
        GraphqlLimits {
            max_depth: 10,
            max_complexity: 10_000,
            max_batch: 10,
            max_body_bytes: 256 * 1024,
            introspection: true,
        }
    }
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://bloodplan.db?mode=rwc";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let bind = get("BLOODPLAN_BIND").unwrap_or_else(|| DEFAULT_BIND.to_owned());
        let bind = bind
            .parse()
            .map_err(|e| ConfigError::Invalid { name: "BLOODPLAN_BIND", reason: format!("{e}: {bind}") })?;
        let now = get("BLOODPLAN_NOW")
            .map(|text| {
                DateTime::parse_from_rfc3339(&text).map(|t| t.with_timezone(&Utc)).map_err(|e| {
                    ConfigError::Invalid {
                        name: "BLOODPLAN_NOW",
                        reason: format!("{e}: expected RFC 3339, got {text}"),
                    }
                })
            })
            .transpose()?;
        let token_ttl_hours = match get("BLOODPLAN_TOKEN_TTL_HOURS") {
            None => 12,
            Some(text) => {
                text.parse::<i64>().ok().filter(|h| (1..=24 * 30).contains(h)).ok_or_else(|| {
                    ConfigError::Invalid {
                        name: "BLOODPLAN_TOKEN_TTL_HOURS",
                        reason: format!("expected 1–720 hours, got {text}"),
                    }
                })?
            }
        };
        let days = |name: &'static str, default: i64| -> Result<i64, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(text) => text.parse::<i64>().ok().filter(|d| (0..=60).contains(d)).ok_or_else(|| {
                    ConfigError::Invalid { name, reason: format!("expected 0–60 days, got {text}") }
                }),
            }
        };
        let booking = BookingPolicy {
            lead_time_days: days("BLOODPLAN_LEAD_TIME_DAYS", 2)?,
            liaison_cutoff_days: days("BLOODPLAN_LIAISON_CUTOFF_DAYS", 3)?,
        };
        let behind_margin_points = match get("BLOODPLAN_BEHIND_MARGIN_POINTS") {
            None => crate::domain::fulfilment::DEFAULT_BEHIND_MARGIN_POINTS,
            Some(text) => text.parse::<i64>().ok().filter(|p| (0..=100).contains(p)).ok_or_else(|| {
                ConfigError::Invalid {
                    name: "BLOODPLAN_BEHIND_MARGIN_POINTS",
                    reason: format!("expected 0–100 points, got {text}"),
                }
            })?,
        };
        let email = EmailConfig::from_lookup(&get)?;
        let office = match &email {
            Some(e) => e.office.clone(),
            None => OfficeContact {
                name: get("OFFICE_CONTACT_NAME")
                    .unwrap_or_else(|| crate::email::config::DEFAULT_OFFICE_NAME.to_owned()),
                phone: get("OFFICE_CONTACT_PHONE").unwrap_or_default(),
                email: get("OFFICE_CONTACT_EMAIL").unwrap_or_default(),
            },
        };
        let number = |name: &'static str,
                      default: i64,
                      range: std::ops::RangeInclusive<i64>|
         -> Result<i64, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(text) => text.parse::<i64>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
                    ConfigError::Invalid {
                        name,
                        reason: format!("expected {} to {}, got {text}", range.start(), range.end()),
                    }
                }),
            }
        };
        let outbox = OutboxSettings {
            max_attempts: number("REMINDER_MAX_ATTEMPTS", 5, 1..=100)? as i32,
            permanent_attempts: number("REMINDER_PERMANENT_ATTEMPTS", 1, 1..=100)? as i32,
            backoff_base: TimeDelta::seconds(number("REMINDER_BACKOFF_SECONDS", 60, 1..=86_400)?),
            poll_interval: std::time::Duration::from_secs(
                number("REMINDER_POLL_SECONDS", 30, 1..=3_600)? as u64
            ),
            ..OutboxSettings::default()
        };
        let seconds = |name: &'static str, default: i64| -> Result<std::time::Duration, ConfigError> {
            Ok(std::time::Duration::from_secs(number(name, default, 1..=3_600)? as u64))
        };
        let trusted_proxies = match get("BLOODPLAN_TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(text) => text
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| {
                    t.parse().map_err(|e| ConfigError::Invalid {
                        name: "BLOODPLAN_TRUSTED_PROXIES",
                        reason: format!("{e}: {t}"),
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        let graphiql = match get("BLOODPLAN_GRAPHIQL").as_deref().map(str::trim) {
            None | Some("true") | Some("1") | Some("on") => true,
            Some("false") | Some("0") | Some("off") => false,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "BLOODPLAN_GRAPHIQL",
                    reason: format!("expected true or false, got {other}"),
                })
            }
        };
        let http = HttpSettings {
            trusted_proxies,
            graphiql,
            header_timeout: seconds("BLOODPLAN_HEADER_TIMEOUT_SECONDS", 10)?,
            request_timeout: seconds("BLOODPLAN_REQUEST_TIMEOUT_SECONDS", 30)?,
            idle_timeout: seconds("BLOODPLAN_IDLE_TIMEOUT_SECONDS", 60)?,
            max_connections: number("BLOODPLAN_MAX_CONNECTIONS", 200, 1..=100_000)? as usize,
        };
        Ok(Config {
            email,
            office,
            outbox,
            database_url: get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            database_pool: crate::db::PoolSettings {
                max_connections: match get("DATABASE_MAX_CONNECTIONS") {
                    None => None,
                    Some(_) => Some(number("DATABASE_MAX_CONNECTIONS", 0, 1..=1_000)? as u32),
                },
                acquire_timeout: seconds("DATABASE_ACQUIRE_TIMEOUT_SECONDS", 5)?,
            },
            bind,
            seeds_dir: get("BLOODPLAN_SEEDS").map_or_else(|| PathBuf::from("seeds"), PathBuf::from),
            now,
            graphql: GraphqlLimits { introspection: http.graphiql, ..GraphqlLimits::default() },
            auth: AuthSettings {
                token_ttl: TimeDelta::hours(token_ttl_hours),
                address_budget: number("BLOODPLAN_LOGIN_ADDRESS_FAILURES", 50, 1..=100_000)? as u32,
                ..AuthSettings::default()
            },
            booking,
            public_url: get("BLOODPLAN_PUBLIC_URL").map(|u| u.trim_end_matches('/').to_owned()),
            behind_margin_points,
            http,
            max_requested_visits: match get("BLOODPLAN_MAX_REQUESTED_VISITS") {
                None => None,
                Some(_) => Some(number("BLOODPLAN_MAX_REQUESTED_VISITS", 0, 1..=10_000)?),
            },
            collections: crate::services::collections::CollectionSettings {
                max_donations: match get("BLOODPLAN_COLLECTION_MAX_DONATIONS") {
                    None => None,
                    Some(_) => Some(number("BLOODPLAN_COLLECTION_MAX_DONATIONS", 0, 1..=100_000)?),
                },
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_serve_sqlite_on_loopback() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert!(c.now.is_none());
    }

    #[test]
    fn bloodplan_now_is_rfc3339_in_any_offset() {
        let c = config(&[("BLOODPLAN_NOW", "2020-02-01T09:00:00+08:00")]).unwrap();
        assert_eq!(c.now.unwrap().to_rfc3339(), "2020-02-01T01:00:00+00:00");
        assert!(config(&[("BLOODPLAN_NOW", "2020-02-01")]).is_err());
        assert!(config(&[("BLOODPLAN_BIND", "nowhere")]).is_err());
        assert_eq!(
            config(&[("BLOODPLAN_TOKEN_TTL_HOURS", "8")]).unwrap().auth.token_ttl,
            TimeDelta::hours(8)
        );
        assert!(config(&[("BLOODPLAN_TOKEN_TTL_HOURS", "0")]).is_err());
    }

    #[test]
    fn the_behind_schedule_margin_defaults_to_10_points_and_takes_0_to_100() {
        assert_eq!(config(&[]).unwrap().behind_margin_points, 10);
        assert_eq!(config(&[("BLOODPLAN_BEHIND_MARGIN_POINTS", "15")]).unwrap().behind_margin_points, 15);
        assert!(config(&[("BLOODPLAN_BEHIND_MARGIN_POINTS", "101")]).is_err());
        assert!(config(&[("BLOODPLAN_BEHIND_MARGIN_POINTS", "-1")]).is_err());
    }
}
