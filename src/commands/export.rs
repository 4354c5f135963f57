use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;

use bloodplan::services::exports::{self, ExportFormat};
use bloodplan::services::fulfilment;

/// Writes every holder's fulfilment of a year's plan, as the office sends it upward.
pub async fn fulfilment(
    year: i32,
    format: ExportFormat,
    out: PathBuf,
    as_of: Option<NaiveDate>,
) -> anyhow::Result<ExitCode> {
    let state = super::migrated_state().await?;
    let as_of = as_of.unwrap_or_else(|| fulfilment::default_as_of(year, state.clock.today()));
    let report = match fulfilment::fulfilment(&state.db, year, as_of, state.behind_margin_points).await {
        Ok(report) => report,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let body = exports::render(&report, format)?;
    std::fs::write(&out, body).with_context(|| format!("writing {}", out.display()))?;
    eprintln!("wrote {} ({} 年，统计截至 {as_of}，{} 个单位)", out.display(), year, report.units.len());
    Ok(ExitCode::SUCCESS)
}
