//! One module per command, each with its `run`.
use std::process::ExitCode;

use crate::cli::{Command, ExportCommand, PlanCommand, UserCommand};

mod export;
mod export_schema;
mod gen;
mod import;
mod import_activity;
mod plan;
mod recount;
mod remind;
mod serve;
mod user;

pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve { bind } => serve::run(bind).await,
        Command::Import { paths, strict, dry_run, year } => import::run(paths, strict, dry_run, year).await,
        Command::User { command: UserCommand::Add { username, role, unit, password_stdin: _ } } => {
            user::add(username, role, unit).await
        }
        Command::Export { what: ExportCommand::Fulfilment { year, format, out, as_of } } => {
            export::fulfilment(year, format, out, as_of).await
        }
        Command::Plan { command: PlanCommand::Copy { from, to, out } } => plan::copy(from, to, out).await,
        Command::Remind { command } => remind::run(command).await,
        Command::Recount { year } => recount::run(year).await,
        Command::ExportSchema { out } => export_schema::run(&out),
        Command::Gen { cities, units_per_city, year, seed, out, activity, as_of } => {
            let activity = activity.then_some(as_of);
            gen::run(gen::Args { cities, units_per_city, year, seed, out, activity })
        }
        Command::ImportActivity { dir } => import_activity::run(&dir).await,
    }
}

/// The application's state for a command that writes: the database is migrated first.
async fn migrated_state() -> anyhow::Result<bloodplan::state::AppState> {
    let config = bloodplan::config::Config::from_env()?;
    let state = bloodplan::state::AppState::open(&config).await?;
    bloodplan::db::migrate(&state.db).await?;
    Ok(state)
}
