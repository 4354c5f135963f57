use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;

use bloodplan::clock::Clock;
use bloodplan::config::Config;
use bloodplan::startup::Application;

/// Migrates, seeds an empty database and serves until stopped.
pub async fn run(bind: Option<SocketAddr>) -> anyhow::Result<ExitCode> {
    let mut config = Config::from_env()?;
    if let Some(bind) = bind {
        config.bind = bind;
    }
    let clock = config.now.map_or_else(Clock::system, Clock::starting_at);
    let app = Application::build(config, clock).await?;
    app.run_until_stopped().await.context("server failed")?;
    Ok(ExitCode::SUCCESS)
}
