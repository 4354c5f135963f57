use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use bloodplan::services::activity_import::{self, ActivityImportError};
use bloodplan::services::audit::Performer;

/// At most this many problems are printed; the rest are counted.
const SHOWN: usize = 100;

/// Loads `gen --activity`'s files in one transaction; nothing is written on any error.
pub async fn run(dir: &Path) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let state = super::migrated_state().await?;
    let table = match activity_import::read_activity(dir, state.clock.today()) {
        Ok(table) => table,
        Err(problems) => return Ok(print_problems(&problems)),
    };
    let by = Performer::System("cli");
    match activity_import::import_activity(&state.db, &state.clock, &state.collections, by, &table).await {
        Ok(r) => {
            println!(
                "已导入 {} 年采血活动：新建采血车 {}，采血活动 {}，采血记录 {}，献血 {} 人次、{} 毫升，用时 {:.1} 秒",
                r.year,
                r.vehicles_created,
                r.visits,
                r.collections,
                r.donations,
                r.volume_ml,
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(ActivityImportError::Invalid(problems)) => Ok(print_problems(&problems)),
        Err(e @ (ActivityImportError::YearHasActivity { .. } | ActivityImportError::NoPlan(_))) => {
            eprintln!("导入失败：{e}");
            Ok(ExitCode::FAILURE)
        }
        Err(ActivityImportError::Service(e)) => Err(e.into()),
    }
}

fn print_problems(problems: &[bloodplan::domain::plan_table::Problem]) -> ExitCode {
    eprintln!("导入失败，未写入任何数据。共 {} 处问题：", problems.len());
    for p in problems.iter().take(SHOWN) {
        eprintln!("  - {p}");
    }
    if problems.len() > SHOWN {
        eprintln!("  … 其余 {} 处未列出", problems.len() - SHOWN);
    }
    ExitCode::FAILURE
}
