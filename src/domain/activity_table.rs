//! A year of activity as files: the vehicles (`vehicles.csv`) and the visits and collection
//! records (`activity.csv`) that `bloodplan gen --activity` writes next to a plan folder's
//! `units.csv` and `bloodplan import-activity` loads in bulk (benchmarks and demos).
//!
//! `activity.csv` has one line per visit or fixed-site record. A visit (`site` AT_UNIT)
//! names its vehicle, session, status and expected donors; a COMPLETED visit also carries
//! what it collected (its record), every other status leaves the figures empty. A fixed-site
//! record (CENTRAL_STATION, DONATION_HOUSE) leaves the visit's columns empty. Holders and
//! vehicles are named exactly as in `units.csv` and `vehicles.csv`.
//!
//! Pure: the caller reads the bytes; every problem is reported with its file, line and column.
use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};

use super::collection::{self as rules, CollectionSite, Counts};
use super::plan_table::Problem;
use super::visit::{HalfDay, Session, VisitStatus};

pub const VEHICLES_FILE: &str = "vehicles.csv";
pub const ACTIVITY_FILE: &str = "activity.csv";
pub const VEHICLE_COLUMNS: [&str; 3] = ["name", "capacity_per_day", "home_station"];
pub const ACTIVITY_COLUMNS: [&str; 11] = [
    "date",
    "holder",
    "site",
    "vehicle",
    "session",
    "status",
    "expected_donors",
    "bags200",
    "bags300",
    "bags400",
    "deferred",
];

/// A vehicle as `vehicles.csv` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VehicleRow {
    pub line: u64,
    pub name: String,
    pub capacity_per_day: i32,
    pub home_station: String,
}

/// The visit's columns of an AT_UNIT line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitFields {
    pub vehicle: String,
    pub session: Session,
    pub status: VisitStatus,
    pub expected_donors: i32,
}

/// One line of `activity.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityRow {
    pub line: u64,
    pub date: NaiveDate,
    pub holder: String,
    pub site: CollectionSite,
    /// Present exactly when `site` is AT_UNIT.
    pub visit: Option<VisitFields>,
    /// The record's figures: a fixed-site line's, or a COMPLETED visit's.
    pub counts: Option<Counts>,
}

/// The header line of `vehicles.csv` and of `activity.csv`.
pub fn header(columns: &[&str]) -> String {
    columns.join(",")
}

fn problem(file: &str, line: u64, column: Option<&'static str>, message: String) -> Problem {
    Problem { file: file.to_owned(), line: Some(line), column, message }
}

/// Reads the records of a CSV text whose header must be exactly `columns`; calls `row` with
/// each record's line number and fields.
fn records(
    file: &str,
    text: &str,
    columns: &[&'static str],
    problems: &mut Vec<Problem>,
    mut row: impl FnMut(u64, &csv::StringRecord, &mut Vec<Problem>),
) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(text.as_bytes());
    let expected = header(columns);
    match reader.headers() {
        Ok(h) if h.iter().map(str::trim).eq(columns.iter().copied()) => {}
        _ => {
            problems.push(problem(file, 1, None, format!("表头应为「{expected}」")));
            return;
        }
    }
    for record in reader.records() {
        match record {
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.push(problem(file, line, None, format!("无法读取：{e}")));
            }
            Ok(r) => {
                let line = r.position().map_or(0, |p| p.line());
                if r.len() != columns.len() {
                    let message = format!("应有 {} 列，实有 {} 列", columns.len(), r.len());
                    problems.push(problem(file, line, None, message));
                    continue;
                }
                row(line, &r, problems);
            }
        }
    }
}

/// A whole number in `low..=high`, or a problem naming the column.
fn number(
    file: &str,
    line: u64,
    column: &'static str,
    text: &str,
    low: i32,
    high: i32,
    problems: &mut Vec<Problem>,
) -> Option<i32> {
    match text.trim().parse::<i32>() {
        Ok(n) if (low..=high).contains(&n) => Some(n),
        _ => {
            problems.push(problem(
                file,
                line,
                Some(column),
                format!("应为 {low} 到 {high} 之间的整数，实为「{text}」"),
            ));
            None
        }
    }
}

pub fn parse_vehicles(file: &str, text: &str) -> (Vec<VehicleRow>, Vec<Problem>) {
    let mut rows: Vec<VehicleRow> = Vec::new();
    let mut problems = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    records(file, text, &VEHICLE_COLUMNS, &mut problems, |line, r, problems| {
        let name = r[0].trim().to_owned();
        let home_station = r[2].trim().to_owned();
        for (column, text) in [("name", &name), ("home_station", &home_station)] {
            if let Err(why) = super::text::check_text(text, 100) {
                problems.push(problem(file, line, Some(column), why));
            }
            if text.is_empty() {
                problems.push(problem(file, line, Some(column), "不能为空".into()));
            }
        }
        if let Some(first) = seen.insert(name.clone(), line) {
            problems.push(problem(file, line, Some("name"), format!("采血车「{name}」与第{first}行重复")));
        }
        let capacity = number(file, line, "capacity_per_day", &r[1], 1, 10_000, problems);
        if let Some(capacity_per_day) = capacity {
            rows.push(VehicleRow { line, name, capacity_per_day, home_station });
        }
    });
    (rows, problems)
}

/// Reads `activity.csv` for `year`: every date in the year, no record dated after `today`,
/// the visit's columns exactly on AT_UNIT lines, figures exactly on fixed-site lines and
/// COMPLETED visits, and no vehicle half-day held by two live visits.
pub fn parse_activity(
    file: &str,
    text: &str,
    year: i32,
    today: NaiveDate,
) -> (Vec<ActivityRow>, Vec<Problem>) {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    // (vehicle, date, half day) → the line of the live visit that holds it.
    let mut held: HashMap<(String, NaiveDate, HalfDay), u64> = HashMap::new();
    records(file, text, &ACTIVITY_COLUMNS, &mut problems, |line, r, problems| {
        let before = problems.len();
        let field = |i: usize| r[i].trim();
        let date = match NaiveDate::parse_from_str(field(0), "%Y-%m-%d") {
            Ok(d) if d.year() == year => Some(d),
            Ok(d) => {
                problems.push(problem(file, line, Some("date"), format!("日期 {d} 不在 {year} 年内")));
                None
            }
            Err(_) => {
                let message = format!("日期应为 YYYY-MM-DD，实为「{}」", field(0));
                problems.push(problem(file, line, Some("date"), message));
                None
            }
        };
        let holder = field(1).to_owned();
        if holder.is_empty() {
            problems.push(problem(file, line, Some("holder"), "不能为空".into()));
        }
        let site = CollectionSite::parse(field(2));
        if site.is_none() {
            let message =
                format!("采血地点应为 AT_UNIT、CENTRAL_STATION 或 DONATION_HOUSE，实为「{}」", field(2));
            problems.push(problem(file, line, Some("site"), message));
        }
        let figures_given = (7..=10).any(|i| !field(i).is_empty());
        let counts = figures_given.then(|| {
            let mut n = |i: usize| number(file, line, ACTIVITY_COLUMNS[i], field(i), 0, 100_000, problems);
            Some(Counts {
                bags200: n(7)?,
                bags300: n(8)?,
                bags400: n(9)?,
                deferred: n(10)?,
                blood_types: None,
            })
        });
        let counts = counts.flatten();
        if let Some(c) = &counts {
            if let Err(e) = rules::check_counts(c) {
                problems.push(problem(file, line, None, e.to_string()));
            }
        }
        let visit_given = (3..=6).any(|i| !field(i).is_empty());
        let visit = match site {
            Some(CollectionSite::AtUnit) => {
                let vehicle = field(3).to_owned();
                if vehicle.is_empty() {
                    problems.push(problem(file, line, Some("vehicle"), "在献血单位采血须指定采血车".into()));
                }
                let session = Session::parse(field(4));
                if session.is_none() {
                    let message = format!("场次应为 MORNING、AFTERNOON 或 FULL_DAY，实为「{}」", field(4));
                    problems.push(problem(file, line, Some("session"), message));
                }
                let status = VisitStatus::ALL.into_iter().find(|s| s.code() == field(5));
                if status.is_none() {
                    let message = format!(
                        "状态应为 REQUESTED、CONFIRMED、COMPLETED、CANCELLED 或 NO_SHOW，实为「{}」",
                        field(5)
                    );
                    problems.push(problem(file, line, Some("status"), message));
                }
                let expected = number(file, line, "expected_donors", field(6), 1, 10_000, problems);
                match status {
                    Some(VisitStatus::Completed) if !figures_given => problems.push(problem(
                        file,
                        line,
                        None,
                        "已完成的采血活动须填写采血数量 (bags200 … deferred)".into(),
                    )),
                    Some(s) if s != VisitStatus::Completed && figures_given => {
                        let message = format!("状态为「{}」的采血活动不能有采血数量", s.label_zh());
                        problems.push(problem(file, line, None, message));
                    }
                    _ => {}
                }
                match (session, status, expected) {
                    (Some(session), Some(status), Some(expected_donors)) => {
                        Some(VisitFields { vehicle, session, status, expected_donors })
                    }
                    _ => None,
                }
            }
            Some(_) => {
                if visit_given {
                    let message = "固定采血点的采血记录不能填写采血车、场次、状态或预约人数".into();
                    problems.push(problem(file, line, None, message));
                }
                if !figures_given {
                    problems.push(problem(file, line, None, "固定采血点的采血记录须填写采血数量".into()));
                }
                None
            }
            None => None,
        };
        if let (Some(date), Some(_)) = (date, &counts) {
            if let Err(e) = rules::check_date(date, today) {
                problems.push(problem(file, line, Some("date"), e.to_string()));
            }
        }
        if let (Some(date), Some(v)) = (date, &visit) {
            if v.status.is_live() {
                for half in v.session.halves() {
                    if let Some(first) = held.insert((v.vehicle.clone(), date, *half), line) {
                        let message = format!(
                            "采血车「{}」{date} {}已被第{first}行的采血活动占用",
                            v.vehicle,
                            if *half == HalfDay::Am { "上午" } else { "下午" }
                        );
                        problems.push(problem(file, line, Some("session"), message));
                    }
                }
            }
        }
        if problems.len() == before {
            if let (Some(date), Some(site)) = (date, site) {
                rows.push(ActivityRow { line, date, holder, site, visit, counts });
            }
        }
    });
    (rows, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str =
        "date,holder,site,vehicle,session,status,expected_donors,bags200,bags300,bags400,deferred\n";

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2020, 6, 30).unwrap()
    }

    #[test]
    fn a_visit_a_completed_visit_and_a_fixed_site_record_are_read() {
        let text = format!(
            "{HEAD}2020-03-02,甲单位,AT_UNIT,1号车,MORNING,COMPLETED,30,5,3,12,2\n\
             2020-03-02,乙单位,AT_UNIT,1号车,AFTERNOON,CONFIRMED,25,,,,\n\
             2020-03-03,丙县,DONATION_HOUSE,,,,,10,0,20,1\n"
        );
        let (rows, problems) = parse_activity("activity.csv", &text, 2020, today());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].counts.map(|c| (c.donations(), c.volume_ml())), Some((20, 6_700)));
        assert_eq!(rows[1].visit.as_ref().map(|v| v.status), Some(VisitStatus::Confirmed));
        assert_eq!(rows[2].site, CollectionSite::DonationHouse);
        assert_eq!(rows[2].line, 4);
    }

    #[test]
    fn a_vehicle_half_day_held_twice_is_refused_with_both_lines() {
        let text = format!(
            "{HEAD}2020-03-02,甲单位,AT_UNIT,1号车,FULL_DAY,CONFIRMED,50,,,,\n\
             2020-03-02,乙单位,AT_UNIT,1号车,AFTERNOON,CONFIRMED,25,,,,\n\
             2020-03-02,丙单位,AT_UNIT,1号车,MORNING,CANCELLED,25,,,,\n"
        );
        let (rows, problems) = parse_activity("activity.csv", &text, 2020, today());
        assert_eq!(rows.len(), 2, "the cancelled visit holds nothing");
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].to_string(),
            "activity.csv 第3行 session列: 采血车「1号车」2020-03-02 下午已被第2行的采血活动占用"
        );
    }

    #[test]
    fn wrong_lines_are_each_named_and_nothing_is_read_from_them() {
        let text = format!(
            "{HEAD}2021-01-04,甲单位,AT_UNIT,1号车,MORNING,CONFIRMED,30,,,,\n\
             2020-07-01,乙单位,CENTRAL_STATION,,,,,1,1,1,0\n\
             2020-03-02,丙单位,AT_UNIT,1号车,MORNING,CONFIRMED,30,1,0,0,0\n\
             2020-03-02,丁单位,AT_UNIT,1号车,AFTERNOON,COMPLETED,30,,,,\n\
             2020-03-03,戊县,DONATION_HOUSE,2号车,,,,1,0,0,0\n"
        );
        let (rows, problems) = parse_activity("activity.csv", &text, 2020, today());
        assert!(rows.is_empty());
        let lines: Vec<_> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [Some(2), Some(3), Some(4), Some(5), Some(6)], "{problems:?}");
        assert!(problems[1].message.contains("晚于今天"), "{}", problems[1]);
    }

    #[test]
    fn vehicles_are_read_and_a_repeated_name_is_refused() {
        let text = "name,capacity_per_day,home_station\n1号车,60,中心血站\n1号车,0,中心血站\n";
        let (rows, problems) = parse_vehicles("vehicles.csv", text);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].capacity_per_day, 60);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(parse_vehicles("vehicles.csv", "name,capacity\n").1[0].message.contains("表头应为"));
    }
}
