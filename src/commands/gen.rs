//! `bloodplan gen`: a synthetic plan folder at any scale (no database needed), and with
//! `--activity` a year of vehicles, visits and records for `bloodplan import-activity`.
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use bloodplan::domain::activity_table::{ACTIVITY_FILE, VEHICLES_FILE};
use bloodplan::domain::synthetic::{synthetic_activity, synthetic_plan};
use bloodplan::domain::work_calendar::WorkCalendar;
use chrono::NaiveDate;

/// At most this many rows: 1,000 cities of 1,000 units.
const MAX_ROWS: u64 = 1_000_000;

pub struct Args {
    pub cities: u32,
    pub units_per_city: u32,
    pub year: i32,
    pub seed: u64,
    pub out: PathBuf,
    /// `--activity`, with its `--as-of` day if given.
    pub activity: Option<Option<NaiveDate>>,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let Args { cities, units_per_city, year, seed, ref out, activity } = a;
    if cities == 0 || u64::from(cities) * u64::from(units_per_city.max(3)) > MAX_ROWS {
        anyhow::bail!("--cities × --units-per-city must be between 1 and {MAX_ROWS} rows");
    }
    bloodplan::domain::text::check_year(year).map_err(|why| anyhow::anyhow!("--year {year}: {why}"))?;
    let plan = synthetic_plan(cities, units_per_city, year, seed);
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    write(out, "plan.toml", &plan.plan_toml)?;
    write(out, "units.csv", &plan.units_csv)?;
    println!("已生成 {year} 年合成计划：{} 行，写入 {}", plan.rows, out.display());
    let Some(as_of) = activity else { return Ok(ExitCode::SUCCESS) };
    let as_of = as_of.unwrap_or_else(|| NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX));
    let calendar = holidays(year)?;
    let a = synthetic_activity(cities, units_per_city, year, seed, as_of, &calendar);
    write(out, VEHICLES_FILE, &a.vehicles_csv)?;
    write(out, ACTIVITY_FILE, &a.activity_csv)?;
    println!(
        "已生成 {year} 年采血活动（截至 {as_of} 已完成）：采血车 {}，采血活动 {}，采血记录 {}",
        a.vehicles, a.visits, a.collections
    );
    Ok(ExitCode::SUCCESS)
}

fn write(dir: &Path, name: &str, text: &str) -> anyhow::Result<()> {
    let path = dir.join(name);
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// The year's public holidays from `BLOODPLAN_SEEDS` (default `seeds`)/holidays/YEAR.toml;
/// without that file every weekday is a working day (said on standard error).
fn holidays(year: i32) -> anyhow::Result<WorkCalendar> {
    let seeds = std::env::var_os("BLOODPLAN_SEEDS").map_or_else(|| PathBuf::from("seeds"), PathBuf::from);
    let path = seeds.join("holidays").join(format!("{year}.toml"));
    match std::fs::read_to_string(&path) {
        Ok(text) => WorkCalendar::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display())),
        Err(_) => {
            eprintln!("注意：没有 {}，采血日期按周一至周五安排", path.display());
            Ok(WorkCalendar::new())
        }
    }
}
