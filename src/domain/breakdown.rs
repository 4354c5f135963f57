//! A holder's breakdown plan (分解计划): its year's quota divided among its own sub-units
//! (townships, county bureaus, schools, enterprises, 二级单位). The notice asks each county to
//! break its quota down and report it to the office; rows marked 含二级单位 do the same.
//!
//! The rules here: who has to break its quota down, what a valid breakdown is (it must cover
//! the quota; more is allowed and shown), and the life of a version (submitted, then accepted
//! or returned; a newer version supersedes an older one).
use std::collections::HashSet;

use chrono::{Datelike, NaiveDate};

use super::code_enum::code_enum;
use super::ids::UnitId;
use super::text::check_text;
use super::{Section, UnitKind};

/// The most sub-units one breakdown may list.
pub const MAX_ROWS: usize = 500;
/// A sub-unit's quota, in donations a year, at most.
pub const MAX_SUB_UNIT_QUOTA: i64 = 100_000;
/// A sub-unit's name, in characters, at most (as a holder's name).
pub const MAX_NAME_CHARS: usize = 100;
/// The office's comment when it returns a breakdown, in characters, at most.
pub const MAX_COMMENT_CHARS: usize = 500;

code_enum! {
    /// Stored as its code (`SUBMITTED`).
    #[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
    pub enum BreakdownStatus {
        /// Sent by the holder, waiting for the office.
        Submitted => "待审核",
        /// Accepted by the office: the holder's breakdown for the year.
        Accepted => "已通过",
        /// Sent back by the office with a comment; the holder submits a new version.
        Returned => "已退回",
        /// A newer version was submitted (or accepted) after this one.
        Superseded => "已被新版本取代",
    }
}

/// Whether a holder is asked for a breakdown: every county, and every row whose note says
/// its quota includes subordinate units (含二级单位).
pub fn required(section: Section, note: Option<&str>) -> bool {
    section == Section::County || note.is_some_and(|n| n.contains(SUB_UNITS_NOTE))
}

/// What a plan row's note says when its quota includes subordinate units.
pub const SUB_UNITS_NOTE: &str = "二级单位";

/// One sub-unit as the liaison typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubUnitRow {
    pub name: String,
    pub kind: UnitKind,
    pub quota: i64,
}

/// A breakdown that passed the checks: rows trimmed, their total, and how far it exceeds the
/// holder's quota (0 when it matches it exactly).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedBreakdown {
    pub rows: Vec<SubUnitRow>,
    pub total: i64,
    pub surplus: i64,
}

/// Why a breakdown is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakdownProblem {
    /// A row or the list itself is malformed (message for the person who typed it).
    Invalid(String),
    /// The rows add up to less than the holder's quota.
    Short { total: i64, quota: i64 },
}

impl BreakdownProblem {
    pub fn message(&self) -> String {
        match self {
            BreakdownProblem::Invalid(m) => m.clone(),
            BreakdownProblem::Short { total, quota } => format!(
                "分解计划合计 {total} 人次，少于本单位年度计划 {quota} 人次，还差 {} 人次",
                quota - total
            ),
        }
    }
}

/// Checks a breakdown of `quota`: at least one and at most [`MAX_ROWS`] rows, each with a
/// name (unique within the breakdown, at most [`MAX_NAME_CHARS`] characters, no NUL) and a
/// quota from 1 to [`MAX_SUB_UNIT_QUOTA`]; the total must reach `quota`.
pub fn check(rows: Vec<SubUnitRow>, quota: i64) -> Result<CheckedBreakdown, BreakdownProblem> {
    let invalid = |m: String| BreakdownProblem::Invalid(m);
    if rows.is_empty() {
        return Err(invalid("分解计划至少需要一个二级单位".into()));
    }
    if rows.len() > MAX_ROWS {
        return Err(invalid(format!("分解计划最多 {MAX_ROWS} 个二级单位，收到 {} 个", rows.len())));
    }
    let mut seen = HashSet::new();
    let mut total: i64 = 0;
    let mut cleaned = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        let line = i + 1;
        let name = row.name.trim().to_owned();
        if name.is_empty() {
            return Err(invalid(format!("第 {line} 行：名称不能为空")));
        }
        check_text(&name, MAX_NAME_CHARS).map_err(|why| invalid(format!("第 {line} 行：名称{why}")))?;
        if !seen.insert(name.clone()) {
            return Err(invalid(format!("第 {line} 行：“{name}”重复出现")));
        }
        if !(1..=MAX_SUB_UNIT_QUOTA).contains(&row.quota) {
            return Err(invalid(format!(
                "第 {line} 行：“{name}”的计划人数须在 1 到 {MAX_SUB_UNIT_QUOTA} 之间，收到 {}",
                row.quota
            )));
        }
        // Bounded by MAX_ROWS × MAX_SUB_UNIT_QUOTA, far below i64::MAX; checked all the same.
        total = total.checked_add(row.quota).ok_or_else(|| invalid("计划人数合计过大".into()))?;
        cleaned.push(SubUnitRow { name, kind: row.kind, quota: row.quota });
    }
    if total < quota {
        return Err(BreakdownProblem::Short { total, quota });
    }
    Ok(CheckedBreakdown { rows: cleaned, total, surplus: total - quota })
}

/// A sub-unit as a visit or a collection record names it: its holder, its year, and whether
/// the holder's accepted breakdown still lists its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedSubUnit {
    pub holder: UnitId,
    pub year: i32,
    pub name: String,
    pub listed: bool,
}

/// Why a record may not name a sub-unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubUnitProblem {
    /// Not a sub-unit of the record's holder in the record's year (or no such sub-unit).
    Mismatch { year: i32 },
    /// The holder's newer accepted breakdown no longer lists it: new records cannot name it.
    Removed { name: String },
}

impl SubUnitProblem {
    pub fn code(&self) -> &'static str {
        match self {
            SubUnitProblem::Mismatch { .. } => "SUB_UNIT_MISMATCH",
            SubUnitProblem::Removed { .. } => "SUB_UNIT_REMOVED",
        }
    }

    pub fn message(&self) -> String {
        match self {
            SubUnitProblem::Mismatch { year } => {
                format!("所选二级单位不属于本单位 {year} 年已通过的分解计划，请重新选择")
            }
            SubUnitProblem::Removed { name } => {
                format!("二级单位“{name}”已不在本单位最新通过的分解计划中，请重新选择")
            }
        }
    }
}

/// Whether a record of `holder` dated in `year` may name `sub` (`None`: no such sub-unit).
/// `kept`: the record named it already (a move or a correction keeps what it had, even a
/// sub-unit a newer breakdown dropped); otherwise the accepted breakdown must list it.
pub fn check_named(
    sub: Option<&NamedSubUnit>,
    holder: UnitId,
    year: i32,
    kept: bool,
) -> Result<(), SubUnitProblem> {
    match sub {
        Some(s) if s.holder == holder && s.year == year => {
            if s.listed || kept {
                Ok(())
            } else {
                Err(SubUnitProblem::Removed { name: s.name.clone() })
            }
        }
        _ => Err(SubUnitProblem::Mismatch { year }),
    }
}

/// Checks the office's deadline for `year`'s breakdowns: a day within that year.
pub fn check_deadline(year: i32, due_on: NaiveDate) -> Result<(), String> {
    super::text::check_year(year)?;
    if due_on.year() != year {
        return Err(format!("{year} 年分解计划的截止日期须在 {year} 年内，收到 {due_on}"));
    }
    Ok(())
}

/// The statuses of a version by which its holder has handed its breakdown in (已上报): one
/// waiting for the office, or one the office accepted. A version the office returned was
/// handed back: a holder whose versions were all returned (or superseded, then returned) has
/// not handed in a breakdown the office can accept, so it is not counted as 已上报 and is
/// overdue after the deadline until it submits again.
pub const HANDED_IN: [BreakdownStatus; 2] = [BreakdownStatus::Submitted, BreakdownStatus::Accepted];

/// Whether a holder with a version in `status` has handed its breakdown in ([`HANDED_IN`]).
pub fn handed_in(status: BreakdownStatus) -> bool {
    HANDED_IN.contains(&status)
}

/// Whether a holder that has not handed its breakdown in ([`HANDED_IN`]) is overdue on
/// `today`: from the day after the deadline.
pub fn overdue(due_on: NaiveDate, today: NaiveDate) -> bool {
    today > due_on
}

/// A holder's reminder for a year's deadline is sent once: the key names the holder, the
/// year and the deadline (a later deadline the office sets gets a reminder of its own).
pub fn reminder_key(unit_id: UnitId, year: i32, due_on: NaiveDate) -> String {
    format!("breakdown:{unit_id}:{year}:{due_on}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_is_a_day_of_its_year_and_is_overdue_from_the_next_day() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert!(check_deadline(2020, d("2020-03-31")).is_ok());
        let err = check_deadline(2020, d("2021-01-01")).unwrap_err();
        assert!(err.contains("须在 2020 年内"), "{err}");
        assert!(!overdue(d("2020-03-31"), d("2020-03-31")));
        assert!(overdue(d("2020-03-31"), d("2020-04-01")));
        assert_eq!(reminder_key(UnitId(7), 2020, d("2020-03-31")), "breakdown:7:2020:2020-03-31");
    }

    fn row(name: &str, quota: i64) -> SubUnitRow {
        SubUnitRow { name: name.into(), kind: UnitKind::Government, quota }
    }

    #[test]
    fn only_a_version_waiting_for_the_office_or_accepted_counts_as_handed_in() {
        let handed: Vec<BreakdownStatus> =
            BreakdownStatus::ALL.into_iter().filter(|s| handed_in(*s)).collect();
        assert_eq!(handed, [BreakdownStatus::Submitted, BreakdownStatus::Accepted]);
        assert!(!handed_in(BreakdownStatus::Returned), "a returned version was handed back");
    }

    #[test]
    fn counties_and_rows_with_sub_units_are_asked_for_a_breakdown() {
        assert!(required(Section::County, None));
        assert!(required(Section::CityUnit, Some("含二级单位")));
        assert!(!required(Section::CityUnit, None));
        assert!(!required(Section::Enterprise, Some("")));
    }

    #[test]
    fn a_breakdown_must_cover_the_quota_and_may_exceed_it() {
        let rows = (1..=12).map(|i| row(&format!("乡镇{i}"), if i == 12 { 1650 - 11 * 137 } else { 137 }));
        let ok = check(rows.collect(), 1600).unwrap();
        assert_eq!((ok.total, ok.surplus, ok.rows.len()), (1650, 50, 12));
        let short = check(vec![row("咸安区教育局", 1500)], 1600).unwrap_err();
        assert_eq!(short, BreakdownProblem::Short { total: 1500, quota: 1600 });
        assert!(short.message().contains("还差 100 人次"), "{}", short.message());
        assert_eq!(check(vec![row("咸安区教育局", 1600)], 1600).unwrap().surplus, 0);
    }

    #[test]
    fn malformed_rows_are_refused_with_their_line() {
        let message = |rows: Vec<SubUnitRow>| match check(rows, 1) {
            Err(BreakdownProblem::Invalid(m)) => m,
            other => panic!("{other:?}"),
        };
        assert!(message(vec![]).contains("至少"));
        assert!(message(vec![row("a", 1), row(" a ", 1)]).contains("第 2 行"));
        assert!(message(vec![row("  ", 1)]).contains("不能为空"));
        assert!(message(vec![row("a", 0)]).contains("1 到 100000"));
        assert!(message(vec![row("a\0", 1)]).contains("NUL"));
        assert!(message(vec![row(&"站".repeat(101), 1)]).contains("100"));
        assert!(message((0..=MAX_ROWS).map(|i| row(&i.to_string(), 1)).collect()).contains("最多"));
    }

    #[test]
    fn a_record_names_only_a_listed_sub_unit_of_its_own_holder_and_year() {
        let sub =
            NamedSubUnit { holder: UnitId(1), year: 2020, name: "咸安区教育局".into(), listed: true };
        assert_eq!(check_named(Some(&sub), UnitId(1), 2020, false), Ok(()));
        let other = check_named(Some(&sub), UnitId(2), 2020, false).unwrap_err();
        assert_eq!(other.code(), "SUB_UNIT_MISMATCH");
        assert!(other.message().contains("2020 年"), "{}", other.message());
        assert_eq!(check_named(Some(&sub), UnitId(1), 2021, true).unwrap_err().code(), "SUB_UNIT_MISMATCH");
        assert_eq!(check_named(None, UnitId(1), 2020, false).unwrap_err().code(), "SUB_UNIT_MISMATCH");
        let dropped = NamedSubUnit { listed: false, ..sub };
        assert_eq!(
            check_named(Some(&dropped), UnitId(1), 2020, false).unwrap_err().code(),
            "SUB_UNIT_REMOVED"
        );
        assert_eq!(check_named(Some(&dropped), UnitId(1), 2020, true), Ok(()));
    }
}
