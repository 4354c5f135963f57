use std::path::PathBuf;
use std::process::ExitCode;

use bloodplan::domain::plan_table::Problem;
use bloodplan::services::audit::Performer;
use bloodplan::services::plan_import::{self, ImportError, ImportOptions, ImportReport};

/// Loads a plan table; nothing is written when any row is wrong.
pub async fn run(
    paths: Vec<PathBuf>,
    strict: bool,
    dry_run: bool,
    year: Option<i32>,
) -> anyhow::Result<ExitCode> {
    let table = match plan_import::read_plan(&paths, year) {
        Ok(table) => table,
        Err(problems) => return Ok(print_problems(&problems)),
    };
    let state = super::migrated_state().await?;
    let options = ImportOptions { strict, dry_run };
    match plan_import::import_plan(&state.db, &state.clock, Performer::System("cli"), &table, options).await {
        Ok(mut report) => {
            // A year without holidays cannot be booked: say so while the office is here.
            report.warnings.extend(plan_import::work_calendar_warning(report.year, &state.booking.calendar));
            print_report(&report);
            Ok(ExitCode::SUCCESS)
        }
        Err(ImportError::Invalid(problems)) => Ok(print_problems(&problems)),
        Err(e) => Err(e.into()),
    }
}

fn print_problems(problems: &[Problem]) -> ExitCode {
    eprintln!("导入失败，未写入任何数据。共 {} 处问题：", problems.len());
    for p in problems {
        eprintln!("  - {p}");
    }
    ExitCode::FAILURE
}
fn print_report(r: &ImportReport) {
    let mode = if r.dry_run { "试导入 (--dry-run, 未写入)" } else { "已导入" };
    println!("{mode} {} 年计划：{} 行", r.year, r.rows);
    for (section, rows, printed) in &r.section_totals {
        match printed {
            Some(p) => println!("  {}：各行合计 {rows}，印刷合计 {p}", section.label_zh()),
            None => println!("  {}：各行合计 {rows}", section.label_zh()),
        }
    }
    for w in &r.warnings {
        println!("  警告：{w}");
    }
    for name in &r.breakdowns_kept {
        println!("  {name} 本年度已有自己上报的分解计划，保留原有版本，未导入文件中的分解计划");
    }
    if !r.changed_anything() {
        println!("  与数据库中已有的计划相同，未作任何修改");
        return;
    }
    if r.plan_created {
        println!("  新建计划年度 {}", r.year);
    }
    println!(
        "  新建单位 {}，新增计划行 {}，计划人数变更 {}，其他修改 {}，重新分类 {}",
        r.units_created.len(),
        r.quotas_added.len(),
        r.quotas_changed.len(),
        r.rows_edited.len(),
        r.units_reclassified.len()
    );
    for c in &r.quotas_changed {
        println!("    {}：{} → {}", c.name, c.from, c.to);
    }
    for name in &r.terms_set {
        println!("  学期日期已设置：{name}");
    }
    for (name, _) in &r.breakdowns_added {
        println!("  分解计划已导入 (已通过)：{name}");
    }
    for name in &r.removed_from_plan {
        println!("  不再在本年度计划中 (已移除其本年度计划，单位及其历史保留)：{name}");
    }
}
