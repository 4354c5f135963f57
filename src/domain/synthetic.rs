//! A synthetic plan table at any scale, for benchmarks and demos: `bloodplan gen` writes it
//! as a plan folder (plan.toml + units.csv) that `bloodplan import` loads like a real one.
//!
//! Deterministic: the same cities, units per city, year and seed give the same bytes. Each
//! city contributes counties (COUNTY), city-level units of every kind (CITY_UNIT) and
//! enterprises (ENTERPRISE) in roughly the 2020 table's proportions (6 : 122 : 29), with
//! quotas drawn around its rows' sizes; the printed totals are the rows' sums.
//!
//! [`synthetic_activity`] adds a year of activity for the same table (`gen --activity`):
//! every holder collects 60–100 % of its quota, spread evenly over the year's working days.
//! Counties give at their donation houses; every other holder is visited by its city's
//! vehicles (universities and holders of 300 or more a full day, the rest half a day),
//! booking above what is collected as no-shows and deferrals make drives do. A visit dated
//! up to `as_of` is COMPLETED with its record (a few are NO_SHOW), a later one CONFIRMED (a
//! few still REQUESTED); fixed-site records stop at `as_of`. A city's fleet grows by a
//! vehicle whenever no vehicle of it is free within a few working days of a visit's day, so
//! no vehicle half-day is ever held twice.
use std::fmt::Write;

use chrono::{Datelike, NaiveDate};

use super::activity_table::{header, ACTIVITY_COLUMNS, VEHICLE_COLUMNS};
use super::collection::CollectionSite;
use super::unit_kind::UnitKind;
use super::visit::{Session, VisitStatus};
use super::work_calendar::WorkCalendar;

/// SplitMix64: small, fast and good enough to spread synthetic quotas.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `low..=high`.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }
}

/// The kinds a city-level row cycles through (every kind but the county governments').
const CITY_KINDS: [UnitKind; 10] = [
    UnitKind::Government,
    UnitKind::School,
    UnitKind::Hospital,
    UnitKind::University,
    UnitKind::Bank,
    UnitKind::Insurer,
    UnitKind::Military,
    UnitKind::Hotel,
    UnitKind::Retail,
    UnitKind::Other,
];

/// A generated plan folder's two files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntheticPlan {
    pub plan_toml: String,
    pub units_csv: String,
    pub rows: u64,
}

/// One generated quota holder, in the order its city's rows are drawn.
struct Holder {
    city: u32,
    section: usize,
    name: String,
    kind: UnitKind,
    quota: u64,
}

const SECTION_CODES: [&str; 3] = ["COUNTY", "CITY_UNIT", "ENTERPRISE"];

/// Every holder of the table, city by city: counties, city-level units, enterprises.
fn holders(cities: u32, units_per_city: u32, seed: u64) -> Vec<Holder> {
    let per_city = units_per_city.max(3);
    // 2020: 6 counties and 29 enterprises of 157 rows.
    let counties = (per_city * 6 / 157).max(1);
    let enterprises = (per_city * 29 / 157).max(1);
    let city_units = per_city - counties - enterprises;
    let mut random = SplitMix64(seed);
    let mut out = Vec::with_capacity(cities as usize * per_city as usize);
    for city in 1..=cities {
        let place = city_name(city);
        for n in 1..=counties {
            let quota = random.between(800, 3000);
            let name = format!("{place}第{n:02}县");
            out.push(Holder { city, section: 0, name, kind: UnitKind::Government, quota });
        }
        for n in 1..=city_units {
            let kind = CITY_KINDS[(n as usize - 1) % CITY_KINDS.len()];
            let quota = match kind {
                UnitKind::University => random.between(400, 2800),
                UnitKind::Hospital => random.between(50, 300),
                _ => random.between(10, 120),
            };
            out.push(Holder { city, section: 1, name: format!("{place}市直单位{n:04}"), kind, quota });
        }
        for n in 1..=enterprises {
            let quota = random.between(10, 100);
            let name = format!("{place}企业{n:04}");
            out.push(Holder { city, section: 2, name, kind: UnitKind::Enterprise, quota });
        }
    }
    out
}

fn city_name(city: u32) -> String {
    format!("第{city:04}市")
}

/// `cities` × `units_per_city` rows (at least 3 per city: a county, a city unit, an
/// enterprise).
pub fn synthetic_plan(cities: u32, units_per_city: u32, year: i32, seed: u64) -> SyntheticPlan {
    let holders = holders(cities, units_per_city, seed);
    let mut sums = [0u64; 3];
    let mut units_csv = String::from("section,seq,name,quota,site,note,kind\n");
    for (section, code) in SECTION_CODES.iter().enumerate() {
        for (seq, h) in holders.iter().filter(|h| h.section == section).enumerate() {
            // A comma-free name and empty site and note: the row needs no quoting.
            let _ = writeln!(units_csv, "{code},{},{},{},,,{}", seq + 1, h.name, h.quota, h.kind);
            sums[section] += h.quota;
        }
    }
    let total: u64 = sums.iter().sum();
    let mut plan_toml = format!(
        "# A synthetic plan: bloodplan gen --cities {cities} --units-per-city {units_per_city} --year {year} --seed {seed}\n\
         year = {year}\n\
         title = \"{year}年团体无偿献血计划表（合成数据）\"\n\
         donation_target = {total}\n\
         volume_target_ml = {}\n\
         donation_rate_per_thousand = 15\n\
         units = \"units.csv\"\n\n[printed_totals]\n",
        total * 300
    );
    for (code, sum) in SECTION_CODES.iter().zip(sums) {
        let _ = writeln!(plan_toml, "{code} = {sum}");
    }
    SyntheticPlan { plan_toml, units_csv, rows: holders.len() as u64 }
}

/// A generated year of activity: `vehicles.csv` and `activity.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntheticActivity {
    pub vehicles_csv: String,
    pub activity_csv: String,
    pub vehicles: u64,
    pub visits: u64,
    pub collections: u64,
}

/// Every vehicle's daily capacity (the station's default).
const CAPACITY_PER_DAY: u64 = 60;
/// Donations a fixed-site record holds at most (well under the record ceiling).
const FIXED_SITE_RECORD: u64 = 80;
/// How many working days before or after its day a visit may move to find a free vehicle.
const MOVE_DAYS: [isize; 7] = [0, 1, -1, 2, -2, 3, -3];

/// A city's vehicles and the half-days each holds: bit 1 the morning, bit 2 the afternoon.
struct Fleet {
    city: u32,
    /// Working days in the year.
    days: usize,
    taken: Vec<Vec<u8>>,
}

impl Fleet {
    fn vehicle_name(&self, index: usize) -> String {
        format!("{}采血车{:03}", city_name(self.city), index + 1)
    }

    /// The first vehicle and session free on `day` (a half-day visit prefers `half`).
    fn free(&self, day: usize, full_day: bool, prefer_pm: bool) -> Option<(usize, Session)> {
        let halves: &[(u8, Session)] = match (full_day, prefer_pm) {
            (true, _) => &[(3, Session::FullDay)],
            (false, false) => &[(1, Session::Morning), (2, Session::Afternoon)],
            (false, true) => &[(2, Session::Afternoon), (1, Session::Morning)],
        };
        self.taken.iter().enumerate().find_map(|(vehicle, days)| {
            halves.iter().find(|(bits, _)| days[day] & bits == 0).map(|(_, session)| (vehicle, *session))
        })
    }

    fn hold(&mut self, vehicle: usize, day: usize, session: Session) {
        let bits = match session {
            Session::Morning => 1,
            Session::Afternoon => 2,
            Session::FullDay => 3,
        };
        debug_assert_eq!(self.taken[vehicle][day] & bits, 0, "a half-day held twice");
        self.taken[vehicle][day] |= bits;
    }

    /// A vehicle and session within a few days of `day`; a new vehicle when none is free.
    fn place(&mut self, day: usize, full_day: bool, prefer_pm: bool) -> (usize, usize, Session) {
        for shift in MOVE_DAYS {
            let Some(d) = day.checked_add_signed(shift).filter(|d| *d < self.days) else { continue };
            if let Some((vehicle, session)) = self.free(d, full_day, prefer_pm) {
                self.hold(vehicle, d, session);
                return (vehicle, d, session);
            }
        }
        self.taken.push(vec![0; self.days]);
        let vehicle = self.taken.len() - 1;
        let session = match (full_day, prefer_pm) {
            (true, _) => Session::FullDay,
            (false, false) => Session::Morning,
            (false, true) => Session::Afternoon,
        };
        self.hold(vehicle, day, session);
        (vehicle, day, session)
    }
}

/// `total` split into `parts` whole numbers that differ by at most one.
fn split(total: u64, parts: u64) -> impl Iterator<Item = u64> {
    (0..parts).map(move |i| total / parts + u64::from(i < total % parts))
}

/// Bags of 400, 300 and 200 mL for `donations`, and the donors deferred at screening.
fn figures(random: &mut SplitMix64, donations: u64) -> [u64; 4] {
    let bags400 = donations * random.between(30, 60) / 100;
    let bags300 = (donations - bags400) * random.between(0, 30) / 100;
    let bags200 = donations - bags400 - bags300;
    let deferred = random.between(0, donations / 6);
    [bags200, bags300, bags400, deferred]
}

/// A year of visits and records for [`synthetic_plan`]'s table with the same arguments,
/// dated on `calendar`'s working days of `year` (see the module's documentation).
pub fn synthetic_activity(
    cities: u32,
    units_per_city: u32,
    year: i32,
    seed: u64,
    as_of: NaiveDate,
    calendar: &WorkCalendar,
) -> SyntheticActivity {
    let days: Vec<NaiveDate> = NaiveDate::from_ymd_opt(year, 1, 1)
        .into_iter()
        .flat_map(|first| first.iter_days())
        .take_while(|d| d.year() == year)
        .filter(|d| calendar.is_working_day(*d))
        .collect();
    let mut out = SyntheticActivity {
        vehicles_csv: header(&VEHICLE_COLUMNS) + "\n",
        activity_csv: header(&ACTIVITY_COLUMNS) + "\n",
        vehicles: 0,
        visits: 0,
        collections: 0,
    };
    if days.is_empty() {
        return out;
    }
    let working = days.len() as u64;
    // A stream of its own: the plan's quotas are the same with or without --activity.
    let mut random = SplitMix64(seed ^ 0xAC71_F17E_5EED_0001);
    let holders = holders(cities, units_per_city, seed);
    let mut lines: Vec<(NaiveDate, u64, String)> = Vec::new();
    let mut fleet = Fleet { city: 0, days: days.len(), taken: Vec::new() };
    let flush = |fleet: &Fleet, out: &mut SyntheticActivity| {
        for vehicle in 0..fleet.taken.len() {
            let name = fleet.vehicle_name(vehicle);
            let _ = writeln!(out.vehicles_csv, "{name},{CAPACITY_PER_DAY},{}中心血站", city_name(fleet.city));
            out.vehicles += 1;
        }
    };
    // Where in its share of the year's working days the i-th of `n` falls.
    let spread = |random: &mut SplitMix64, i: u64, n: u64| {
        ((i * working + random.between(0, working - 1)) / n) as usize
    };
    for h in &holders {
        if h.city != fleet.city {
            flush(&fleet, &mut out);
            fleet = Fleet { city: h.city, days: days.len(), taken: Vec::new() };
        }
        let target = h.quota * random.between(60, 100) / 100;
        if h.section == 0 {
            let n = target.div_ceil(FIXED_SITE_RECORD).clamp(1, working);
            for (i, donations) in split(target, n).enumerate() {
                let date = days[spread(&mut random, i as u64, n)];
                if date > as_of || donations == 0 {
                    continue;
                }
                let [b200, b300, b400, deferred] = figures(&mut random, donations);
                let site = CollectionSite::DonationHouse.code();
                let line = format!("{date},{},{site},,,,,{b200},{b300},{b400},{deferred}", h.name);
                lines.push((date, lines.len() as u64, line));
                out.collections += 1;
            }
            continue;
        }
        let full_day = h.kind == UnitKind::University || h.quota >= 300;
        let capacity = if full_day { CAPACITY_PER_DAY } else { CAPACITY_PER_DAY / 2 };
        // About 70 % of those booked give blood (no-shows and deferrals).
        let n = target.div_ceil(capacity * 7 / 10).clamp(1, working);
        for (i, donations) in split(target, n).enumerate() {
            let day = spread(&mut random, i as u64, n);
            let prefer_pm = random.between(0, 1) == 1;
            let (vehicle, day, session) = fleet.place(day, full_day, prefer_pm);
            let date = days[day];
            let expected = (donations * 100).div_ceil(random.between(60, 90)).clamp(1, capacity);
            let roll = random.between(1, 100);
            let status = match (date <= as_of, roll) {
                (true, 1..=3) => VisitStatus::NoShow,
                (true, _) if donations > 0 => VisitStatus::Completed,
                (true, _) => VisitStatus::NoShow,
                (false, 1..=10) => VisitStatus::Requested,
                (false, _) => VisitStatus::Confirmed,
            };
            let collected = if status == VisitStatus::Completed {
                let [b200, b300, b400, deferred] = figures(&mut random, donations);
                out.collections += 1;
                format!("{b200},{b300},{b400},{deferred}")
            } else {
                ",,,".to_owned()
            };
            let line = format!(
                "{date},{},{},{},{},{},{expected},{collected}",
                h.name,
                CollectionSite::AtUnit.code(),
                fleet.vehicle_name(vehicle),
                session.code(),
                status.code()
            );
            lines.push((date, lines.len() as u64, line));
            out.visits += 1;
        }
    }
    flush(&fleet, &mut out);
    lines.sort_unstable_by_key(|(date, n, _)| (*date, *n));
    for (_, _, line) in lines {
        out.activity_csv.push_str(&line);
        out.activity_csv.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::plan_table::{check_plan, parse_manifest, parse_rows};

    #[test]
    fn the_same_arguments_give_the_same_bytes_and_another_seed_other_quotas() {
        assert_eq!(synthetic_plan(3, 20, 2021, 7), synthetic_plan(3, 20, 2021, 7));
        let other = synthetic_plan(3, 20, 2021, 8);
        assert_ne!(synthetic_plan(3, 20, 2021, 7).units_csv, other.units_csv);
    }

    #[test]
    fn a_generated_table_passes_the_plan_checks_with_every_row_and_its_printed_totals() {
        let plan = synthetic_plan(4, 150, 2021, 42);
        let (rows, problems) = parse_rows("units.csv", &plan.units_csv);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(rows.len(), 600);
        assert_eq!(plan.rows, 600);
        // 150 per city: 5 counties, 27 enterprises, the rest city-level units.
        let counties = rows.iter().filter(|r| r.section == crate::domain::section::Section::County).count();
        assert_eq!(counties, 4 * 5);
        let manifest = parse_manifest("plan.toml", &plan.plan_toml).expect("a valid plan.toml");
        let table = check_plan("units.csv", manifest, rows, None).expect("no problems");
        assert_eq!(table.year, 2021);
        assert!(table.warnings.is_empty(), "the printed totals are the rows' sums: {:?}", table.warnings);
    }

    fn calendar_2020() -> WorkCalendar {
        let text = include_str!("../../seeds/holidays/2020.toml");
        WorkCalendar::parse(text).expect("the 2020 calendar")
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_same_arguments_give_the_same_activity_and_another_seed_another() {
        let calendar = calendar_2020();
        let one = synthetic_activity(2, 40, 2020, 7, date(2020, 12, 31), &calendar);
        assert_eq!(one, synthetic_activity(2, 40, 2020, 7, date(2020, 12, 31), &calendar));
        assert_ne!(
            one.activity_csv,
            synthetic_activity(2, 40, 2020, 8, date(2020, 12, 31), &calendar).activity_csv
        );
        // The plan does not change with its activity.
        assert_eq!(synthetic_plan(2, 40, 2020, 7).units_csv, synthetic_plan(2, 40, 2020, 7).units_csv);
    }

    #[test]
    fn no_vehicle_half_day_is_held_twice_and_every_visit_is_on_a_working_day_with_a_listed_vehicle() {
        use crate::domain::activity_table::{parse_activity, parse_vehicles};
        let calendar = calendar_2020();
        let a = synthetic_activity(3, 150, 2020, 11, date(2020, 12, 31), &calendar);
        let (vehicles, problems) = parse_vehicles("vehicles.csv", &a.vehicles_csv);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(vehicles.len() as u64, a.vehicles);
        // `parse_activity` refuses any (vehicle, date, half day) held by two live visits.
        let (rows, problems) = parse_activity("activity.csv", &a.activity_csv, 2020, date(2020, 12, 31));
        assert!(problems.is_empty(), "{:?}", &problems[..problems.len().min(5)]);
        let names: std::collections::HashSet<_> = vehicles.iter().map(|v| v.name.as_str()).collect();
        let mut halves = std::collections::HashSet::new();
        let mut visits = 0;
        for row in &rows {
            assert!(calendar.is_working_day(row.date), "line {}: {}", row.line, row.date);
            if let Some(v) = &row.visit {
                visits += 1;
                assert!(names.contains(v.vehicle.as_str()), "line {}", row.line);
                for half in v.session.halves() {
                    assert!(
                        halves.insert((v.vehicle.clone(), row.date, *half)),
                        "line {} held twice",
                        row.line
                    );
                }
                assert!(v.expected_donors <= v.session.capacity(60), "line {}", row.line);
            }
        }
        assert_eq!(visits, a.visits);
        assert_eq!(rows.iter().filter(|r| r.counts.is_some()).count() as u64, a.collections);
        assert!(a.vehicles >= 3 && a.vehicles <= 30, "{} vehicles for 3 cities", a.vehicles);
    }

    #[test]
    fn a_finished_year_collects_sixty_to_a_hundred_percent_of_the_quotas_in_every_month() {
        use crate::domain::activity_table::parse_activity;
        use crate::domain::plan_table::parse_rows;
        let calendar = calendar_2020();
        let plan = synthetic_plan(2, 100, 2020, 3);
        let a = synthetic_activity(2, 100, 2020, 3, date(2020, 12, 31), &calendar);
        let (units, _) = parse_rows("units.csv", &plan.units_csv);
        let quota: i64 = units.iter().map(|u| i64::from(u.quota)).sum();
        let (rows, _) = parse_activity("activity.csv", &a.activity_csv, 2020, date(2020, 12, 31));
        let mut by_month = [0i64; 12];
        for r in &rows {
            by_month[r.date.month0() as usize] += r.counts.map_or(0, |c| c.donations());
        }
        let collected: i64 = by_month.iter().sum();
        assert!(collected * 100 >= quota * 60 && collected <= quota, "{collected} of {quota}");
        assert!(by_month.iter().all(|m| *m * 24 > collected), "every month has its share: {by_month:?}");
        let booked = rows.iter().filter_map(|r| r.visit.as_ref()).filter(|v| v.status.is_booked()).count();
        assert_eq!(booked, 0, "a finished year has nothing booked");
    }

    #[test]
    fn visits_after_the_as_of_day_are_booked_and_nothing_is_collected_after_it() {
        use crate::domain::activity_table::parse_activity;
        let as_of = date(2020, 4, 30);
        let a = synthetic_activity(1, 60, 2020, 5, as_of, &calendar_2020());
        let (rows, problems) = parse_activity("activity.csv", &a.activity_csv, 2020, as_of);
        assert!(problems.is_empty(), "no record is dated after the as-of day: {problems:?}");
        assert!(rows.iter().all(|r| r.date <= as_of || r.counts.is_none()));
        let later: Vec<_> = rows.iter().filter(|r| r.date > as_of).filter_map(|r| r.visit.as_ref()).collect();
        assert!(!later.is_empty() && later.iter().all(|v| v.status.is_booked()));
        assert!(
            rows.iter()
                .any(|r| r.date <= as_of
                    && r.visit.as_ref().is_some_and(|v| v.status == VisitStatus::Completed))
        );
    }
}
