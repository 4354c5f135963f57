use std::process::ExitCode;

use anyhow::Context;

use bloodplan::domain::auth::Role;
use bloodplan::services::accounts::{self, NewUser};
use bloodplan::services::audit::Performer;

/// Creates an account; the password is the first line of standard input.
pub async fn add(username: String, role: Role, unit: Option<String>) -> anyhow::Result<ExitCode> {
    let mut password = String::new();
    std::io::stdin().read_line(&mut password).context("reading the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']).to_owned();
    let state = super::migrated_state().await?;
    let unit_id = match unit {
        Some(unit) => match accounts::find_unit_id(&state.db, &unit).await {
            Ok(id) => Some(id),
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(ExitCode::FAILURE);
            }
        },
        None => None,
    };
    let new = NewUser { username, password, role, unit_id };
    match accounts::create_user(&state.db, &state.clock, Performer::System("cli"), new).await {
        Ok(user) => {
            println!("created {} user {} (id {})", user.role, user.username, user.id);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}
