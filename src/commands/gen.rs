//! `bloodplan gen`: a synthetic plan folder at any scale (no database needed).
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use bloodplan::domain::synthetic::synthetic_plan;

/// At most this many rows: 1,000 cities of 1,000 units.
const MAX_ROWS: u64 = 1_000_000;

pub fn run(cities: u32, units_per_city: u32, year: i32, seed: u64, out: &Path) -> anyhow::Result<ExitCode> {
    if cities == 0 || u64::from(cities) * u64::from(units_per_city.max(3)) > MAX_ROWS {
        anyhow::bail!("--cities × --units-per-city must be between 1 and {MAX_ROWS} rows");
    }
    bloodplan::domain::text::check_year(year).map_err(|why| anyhow::anyhow!("--year {year}: {why}"))?;
    let plan = synthetic_plan(cities, units_per_city, year, seed);
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    for (name, text) in [("plan.toml", &plan.plan_toml), ("units.csv", &plan.units_csv)] {
        let path = out.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    println!("已生成 {year} 年合成计划：{} 行，写入 {}", plan.rows, out.display());
    Ok(ExitCode::SUCCESS)
}
