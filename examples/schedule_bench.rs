//! Times the schedule solver (`domain::schedule::propose`) and reports the proposal's
//! quality: on the 2020 city (157 holders, 4 vehicles of 60 a day, March–December) and on a
//! synthetic nation (`domain::synthetic`, 300 cities × 150 holders = 45,000 holders, 2,000
//! vehicles, the whole of 2020). Pure domain: no database, so the figure is the solver's.
//!
//! `cargo run --release --example schedule_bench` — results go to BENCHMARKS.md by hand.
use std::sync::Arc;
use std::time::Instant;

use bloodplan::domain::ids::{UnitId, VehicleId};
use bloodplan::domain::plan_table::parse_rows;
use bloodplan::domain::schedule::{propose, BookingRate, Holder, Input, Proposal, Settings, Terms, Vehicle};
use bloodplan::domain::synthetic::synthetic_plan;
use bloodplan::domain::work_calendar::WorkCalendar;
use bloodplan::domain::{Section, UnitKind};
use chrono::NaiveDate;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("a valid date")
}

fn holders(csv: &str) -> Vec<Holder> {
    let (rows, problems) = parse_rows("units.csv", csv);
    assert!(problems.is_empty(), "{problems:?}");
    let terms = Terms::Windows(vec![(d(2020, 3, 2), d(2020, 7, 10)), (d(2020, 9, 7), d(2020, 12, 31))]);
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            let id = UnitId(i as i32 + 1);
            Holder {
                id,
                area: if r.section == Section::County { i64::from(id.0) } else { 0 },
                quota: i64::from(r.quota),
                remaining: i64::from(r.quota),
                weekends_allowed: matches!(r.kind, UnitKind::Enterprise | UnitKind::Retail),
                terms: if r.kind == UnitKind::University { terms.clone() } else { Terms::Any },
                rate: BookingRate::DEFAULT,
            }
        })
        .collect()
}

fn vehicles(count: i32) -> Vec<Vehicle> {
    (1..=count)
        .map(|i| Vehicle {
            id: VehicleId(i),
            capacity_per_day: 60,
            // One vehicle in fifty is in maintenance for a fortnight each spring.
            blackouts: if i % 50 == 0 { vec![(d(2020, 4, 13), d(2020, 4, 24))] } else { Vec::new() },
        })
        .collect()
}

fn run(name: &str, input: &Input) {
    let started = Instant::now();
    let p: Proposal = propose(input).expect("a proposal");
    let elapsed = started.elapsed();
    let spread: Vec<f64> = p
        .months
        .iter()
        .map(|m| if m.even_share > 0 { m.planned_donations as f64 / m.even_share as f64 } else { 0.0 })
        .collect();
    let worst = spread.iter().map(|s| (s - 1.0).abs()).fold(0.0, f64::max);
    let vehicle_days: i64 = p.vehicles.iter().map(|v| v.days_used).sum();
    println!(
        "{name}: {} holders, {} vehicles, {}..{}: {:.3} s; need {}, unplaced {}, {} visits on {} vehicle-days; \
         months planned/even {}; worst month off by {:.1}%; {} below floor",
        input.holders.len(),
        input.vehicles.len(),
        input.from,
        input.to,
        elapsed.as_secs_f64(),
        p.need,
        p.unplaced_donations,
        p.visits.len(),
        vehicle_days,
        spread.iter().map(|s| format!("{s:.2}")).collect::<Vec<_>>().join(" "),
        worst * 100.0,
        p.months.iter().filter(|m| m.below_floor).count(),
    );
}

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let calendar = std::fs::read_to_string(root.join("holidays/2020.toml")).expect("2020 holidays");
    let calendar = Arc::new(WorkCalendar::parse(&calendar).expect("a valid calendar"));
    let city = std::fs::read_to_string(root.join("2020/units.csv")).expect("the 2020 table");
    let input = |holders: Vec<Holder>, vehicles: Vec<Vehicle>, from: NaiveDate| Input {
        year: 2020,
        from,
        to: d(2020, 12, 31),
        calendar: Arc::clone(&calendar),
        holders,
        vehicles,
        existing: Vec::new(),
        pins: Vec::new(),
        exclude_units: Vec::new(),
        exclude_dates: Vec::new(),
        settings: Settings::default(),
    };
    run("2020 city", &input(holders(&city), vehicles(4), d(2020, 3, 1)));
    run("2020 city, 1 vehicle", &input(holders(&city), vehicles(1), d(2020, 3, 1)));
    let nation = synthetic_plan(300, 150, 2020, 1);
    run("synthetic nation", &input(holders(&nation.units_csv), vehicles(2_000), d(2020, 1, 1)));
}
