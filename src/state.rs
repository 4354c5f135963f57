//! What every request handler and command uses: the database, the clock and the settings
//! of each service, built once from [`Config`] by [`AppState::open`].
use std::path::Path;
use std::sync::Arc;

use sea_orm::{DatabaseConnection, DbErr};

use crate::clock::Clock;
use crate::config::{Config, ConfigError, HttpSettings};
use crate::db;
use crate::domain::work_calendar::WorkCalendar;
use crate::email::Mailer;
use crate::services::accounts::AuthSettings;
use crate::services::answers::AnswerCache;
use crate::services::collections::CollectionSettings;
use crate::services::outbox::OutboxSettings;
use crate::services::plan_cache::PlanCache;
use crate::services::reminders::ReminderContext;
use crate::services::visits::BookingSettings;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub clock: Clock,
    pub auth: AuthSettings,
    pub booking: BookingSettings,
    /// Where clients reach this server, for links such as calendar feeds.
    pub public_url: String,
    /// Percentage points a holder may trail the year before it is behind schedule.
    pub behind_margin_points: i64,
    /// The scheduler's settings: booking rules for free sessions, the office's contact.
    pub reminders: ReminderContext,
    /// `None` without `SMTP_URL`: reminders are queued but not sent.
    pub mailer: Option<Mailer>,
    pub outbox: OutboxSettings,
    /// Timeouts, connection cap, trusted proxies, GraphiQL on or off.
    pub http: HttpSettings,
    /// The ceiling of one collection record.
    pub collections: CollectionSettings,
    /// The published plans' rows in memory, checked against `plan.version` on every read.
    pub plan_cache: Arc<PlanCache>,
    /// Fulfilment answers kept per database snapshot (PostgreSQL only).
    pub answers: Arc<AnswerCache>,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot open the database: {0}; check DATABASE_URL and that the database server is running")]
    Database(#[from] DbErr),
    #[error("cannot load the holiday calendar: {0}")]
    Holidays(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// The two kinds of calendar feed (`http::calendar` serves them, at these paths).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarFeed {
    /// A holder's visits.
    Units,
    /// A vehicle's visits.
    Vehicles,
}

impl CalendarFeed {
    /// Where the feeds of this kind are served: `{path}/{token}.ics`.
    pub fn path(self) -> &'static str {
        match self {
            CalendarFeed::Units => "/calendar/units",
            CalendarFeed::Vehicles => "/calendar/vehicles",
        }
    }
}

impl AppState {
    /// The address clients subscribe to for a calendar feed.
    pub fn calendar_url(&self, feed: CalendarFeed, token: &str) -> String {
        format!("{}{}/{token}.ics", self.public_url, feed.path())
    }

    /// Connects to the database (without migrating or seeding it), reads the holiday
    /// calendar and builds the mailer. The clock is `BLOODPLAN_NOW` or the system's.
    pub async fn open(config: &Config) -> Result<AppState, StateError> {
        let clock = config.now.map_or_else(Clock::system, Clock::starting_at);
        AppState::open_with_clock(config, clock).await
    }

    pub async fn open_with_clock(config: &Config, clock: Clock) -> Result<AppState, StateError> {
        // sqlx and the HTTP stack may link different rustls crypto providers; pick one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let db = db::connect_with(&config.database_url, &config.database_pool).await?;
        let calendar = load_holidays(&config.seeds_dir.join("holidays"))?;
        let booking = BookingSettings {
            policy: config.booking,
            calendar: Arc::new(calendar),
            behind_margin_points: config.behind_margin_points,
            max_requested_visits: config.max_requested_visits,
            office: Some(config.office.clone()),
        };
        let public_url = config.public_url.clone().unwrap_or_else(|| format!("http://{}", config.bind));
        let mailer = config
            .email
            .as_ref()
            .map(|e| Mailer::new(&e.smtp, e.from.clone()))
            .transpose()
            .map_err(ConfigError::from)?;
        Ok(AppState {
            db,
            clock,
            auth: config.auth,
            reminders: ReminderContext {
                booking: booking.clone(),
                office: config.office.clone(),
                public_url: public_url.clone(),
            },
            booking,
            public_url,
            mailer,
            outbox: config.outbox.clone(),
            http: config.http.clone(),
            collections: config.collections,
            behind_margin_points: config.behind_margin_points,
            plan_cache: Arc::default(),
            answers: Arc::default(),
        })
    }

    /// Links point at `url` (the address actually bound, when the configuration named none).
    pub fn set_public_url(&mut self, url: String) {
        self.reminders.public_url = url.clone();
        self.public_url = url;
    }
}

/// Reads every `*.toml` of public holidays and make-up working days (one file per year).
fn load_holidays(dir: &Path) -> Result<WorkCalendar, StateError> {
    let mut calendar = WorkCalendar::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        tracing::warn!(dir = %dir.display(), "no holiday calendar: every weekday counts as a working day");
        return Ok(calendar);
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    for file in files {
        let failed = |e: &dyn std::fmt::Display| StateError::Holidays(format!("{}: {e}", file.display()));
        let text = std::fs::read_to_string(&file).map_err(|e| failed(&e))?;
        let year = WorkCalendar::parse(&text).map_err(|e| failed(&e))?;
        calendar.merge(year).map_err(|e| failed(&e))?;
    }
    Ok(calendar)
}
