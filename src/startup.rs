//! Building and running the application: database, schema, routes.
use std::net::SocketAddr;
use std::time::Duration;

use poem::listener::{Acceptor, Listener, TcpListener};
use poem::Server;
use sea_orm::DbErr;

use crate::clock::Clock;
use crate::config::Config;
use crate::services::outbox;
use crate::services::plan_import;
use crate::services::reminders;
use crate::state::{AppState, StateError};
use crate::{db, graphql, http};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot open the database: {0}")]
    Database(#[from] DbErr),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("cannot load the seed plans: {0}")]
    Seeds(String),
    #[error(transparent)]
    State(#[from] StateError),
}

pub struct Application {
    addr: SocketAddr,
    acceptor: poem::listener::TcpAcceptor,
    state: AppState,
    config: Config,
}

impl Application {
    /// Connects, migrates, seeds an empty database and binds the listener (port 0 picks a
    /// free port), so that tests run the real application.
    pub async fn build(config: Config, clock: Clock) -> Result<Application, StartupError> {
        let mut state = AppState::open_with_clock(&config, clock).await?;
        db::migrate(&state.db).await?;
        let acceptor = TcpListener::bind(config.bind)
            .into_acceptor()
            .await
            .map_err(|source| StartupError::Bind { addr: config.bind, source })?;
        let addr = acceptor
            .local_addr()
            .into_iter()
            .find_map(|a| a.as_socket_addr().copied())
            .unwrap_or(config.bind);
        if config.public_url.is_none() {
            state.set_public_url(format!("http://{addr}"));
        }
        seed_if_empty(&state, &config).await?;
        Ok(Application { addr, acceptor, state, config })
    }

    pub fn address(&self) -> SocketAddr {
        self.addr
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Calls `watch` with every SQL statement the application runs from now on, on every
    /// connection of its pool: tests count the queries a request makes.
    pub fn watch_statements(&mut self, watch: impl Fn(&str) + Send + Sync + 'static) {
        self.state.db.set_metric_callback(move |info| watch(&info.statement.sql));
    }

    /// Serves until SIGINT or SIGTERM, then lets requests in flight finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    pub async fn run_until(self, stop: impl std::future::Future<Output = ()> + Send) -> std::io::Result<()> {
        let limits = &self.config.graphql;
        let schema = graphql::build_schema(Some(self.state.clone()), limits);
        let app = http::routes(schema, self.state.clone(), limits.max_body_bytes, limits.max_batch);
        tracing::info!(address = %self.addr, "serving GraphQL at http://{}/graphql", self.addr);
        // Its own task: a slow or dead SMTP server never holds up a request.
        let worker = self.state.outbox.run_worker.then(|| tokio::spawn(reminder_worker(self.state.clone())));
        let http = &self.state.http;
        let acceptor =
            http::limits::GuardedAcceptor::new(self.acceptor, http.max_connections, http.header_timeout);
        let served = Server::new_with_acceptor(acceptor)
            .idle_timeout(http.idle_timeout)
            .run_with_graceful_shutdown(app, stop, Some(Duration::from_secs(10)))
            .await;
        // A send cut short here stays claimed until its lease runs out, then goes again.
        if let Some(worker) = worker {
            worker.abort();
        }
        served
    }
}

/// How often `serve` asks the scheduler what is due; enqueueing twice is harmless.
const SCHEDULE_EVERY: Duration = Duration::from_secs(300);

/// Enqueues due reminders every few minutes and sends due messages every poll interval.
async fn reminder_worker(state: AppState) {
    let me = format!("serve-{}-{}", std::process::id(), &crate::services::random_token()[..8]);
    if state.mailer.is_none() {
        tracing::warn!(
            "SMTP_URL is not set: reminders are queued in the outbox and sent once it is configured"
        );
    }
    let mut last_schedule: Option<std::time::Instant> = None;
    loop {
        if last_schedule.is_none_or(|t| t.elapsed() >= SCHEDULE_EVERY) {
            last_schedule = Some(std::time::Instant::now());
            match reminders::enqueue_due(&state.db, &state.clock, &state.reminders).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(count = n, "queued reminders"),
                Err(e) => tracing::error!(error = %e, "the reminder scheduler failed"),
            }
        }
        if let Some(mailer) = &state.mailer {
            match outbox::run_once(&state.db, &state.clock, mailer, &state.outbox, &me).await {
                Ok(r) if r.sent + r.retrying + r.failed + r.cancelled > 0 => {
                    tracing::info!(?r, "outbox worker round")
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "the outbox worker failed"),
            }
        }
        tokio::time::sleep(state.outbox.poll_interval).await;
    }
}

async fn seed_if_empty(state: &AppState, config: &Config) -> Result<(), StartupError> {
    let loaded = plan_import::seed_if_empty(&state.db, &state.clock, &config.seeds_dir)
        .await
        .map_err(|e| StartupError::Seeds(e.to_string()))?;
    for report in loaded {
        tracing::info!(year = report.year, rows = report.rows, "loaded the seed plan into an empty database");
        for warning in &report.warnings {
            tracing::warn!(year = report.year, "{warning}");
        }
        if let Some(warning) = plan_import::work_calendar_warning(report.year, &state.booking.calendar) {
            tracing::warn!(year = report.year, "{warning}");
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
