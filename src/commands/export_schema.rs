use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

/// Writes the GraphQL SDL to `out`, or to standard output for "-".
pub fn run(out: &Path) -> anyhow::Result<ExitCode> {
    let sdl = bloodplan::graphql::sdl();
    if out.as_os_str() == "-" {
        print!("{sdl}");
    } else {
        std::fs::write(out, sdl).with_context(|| format!("writing {}", out.display()))?;
        eprintln!("wrote {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}
