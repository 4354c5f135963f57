//! Which days are working days in China: weekdays, minus public holidays, plus the weekend
//! days the State Council turns into working days (调休上班) to bridge the holidays.
//!
//! The days come from one TOML file per year (see `seeds/holidays/`), because the State
//! Council publishes them anew each year and no rule computes them. A later notice that
//! changes a year's arrangement (国办发明电〔2020〕1号 extended the 2020 Spring Festival) is an
//! `[[amendment]]` of that file with its document number and date: the original arrangement
//! stays in the file, and [`WorkCalendar::parse_as_of`] reads it as it stood on a day.
use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;
use toml::value::Datetime;

/// 1 January and 31 December of `year`; a year outside chrono's range (which callers have
/// refused before) gives the widest dates instead.
pub fn year_bounds(year: i32) -> (NaiveDate, NaiveDate) {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN);
    let last = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX);
    (first, last)
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    years: BTreeSet<i32>,
    holidays: BTreeMap<NaiveDate, String>,
    makeup_workdays: BTreeSet<NaiveDate>,
    amendments: Vec<Amendment>,
}

/// A notice that changed a year's arrangement after it was published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amendment {
    pub document: String,
    pub issued: NaiveDate,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    year: i32,
    #[serde(default)]
    makeup_workdays: Vec<Datetime>,
    #[serde(default, rename = "holiday")]
    holidays: Vec<RawHoliday>,
    #[serde(default, rename = "amendment")]
    amendments: Vec<RawAmendment>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAmendment {
    document: String,
    issued: Datetime,
    /// Make-up working days the amendment turns back into days off.
    #[serde(default)]
    cancel_makeup_workdays: Vec<Datetime>,
    /// Days off added (or an existing holiday extended, under the same name).
    #[serde(default, rename = "holiday")]
    holidays: Vec<RawHoliday>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHoliday {
    name: String,
    from: Datetime,
    /// Inclusive; a one-day holiday may leave it out.
    to: Option<Datetime>,
}

impl WorkCalendar {
    /// A calendar that knows no holidays: every weekday works.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads one year's file with every amendment applied. Every problem found is reported,
    /// one per line, so the office can fix a transcribed notice in one go.
    pub fn parse(text: &str) -> Result<WorkCalendar, String> {
        Self::parse_as_of(text, NaiveDate::MAX)
    }

    /// Reads one year's file as it stood on `day`: amendments issued after it are left out
    /// (but still checked), so the original arrangement stays readable.
    pub fn parse_as_of(text: &str, day: NaiveDate) -> Result<WorkCalendar, String> {
        let raw: RawCalendar = toml::from_str(text).map_err(|e| format!("无法解析节假日文件：{e}"))?;
        let mut problems = Vec::new();
        let mut calendar = WorkCalendar::new();
        calendar.years.insert(raw.year);

        for (day, name) in holiday_days(&raw.holidays, &mut problems) {
            if let Some(other) = calendar.holidays.insert(day, name.clone()) {
                problems.push(format!("{day}同时属于{other}和{name}"));
            }
        }

        for value in &raw.makeup_workdays {
            let day = match local_date(value) {
                Ok(d) => d,
                Err(e) => {
                    problems.push(format!("调休上班日 {e}"));
                    continue;
                }
            };
            // A make-up day on a weekday changes nothing, so it is surely a typo.
            if !is_weekend(day) {
                problems.push(format!("调休上班日{day}（{}）不是周末", weekday_zh(day)));
            } else if let Some(name) = calendar.holidays.get(&day) {
                problems.push(format!("{day}既是{name}假期又是调休上班日"));
            } else {
                calendar.makeup_workdays.insert(day);
            }
        }

        let mut amendments: Vec<(NaiveDate, &RawAmendment)> = Vec::new();
        for a in &raw.amendments {
            match local_date(&a.issued) {
                Ok(issued) if !a.document.trim().is_empty() => amendments.push((issued, a)),
                Ok(_) => problems.push("修订通知须写明文号 (document)".to_owned()),
                Err(e) => problems.push(format!("{}: issued {e}", a.document)),
            }
        }
        amendments.sort_by_key(|(issued, _)| *issued);
        for (issued, a) in amendments {
            let document = a.document.trim();
            let mut cancelled = BTreeSet::new();
            for value in &a.cancel_makeup_workdays {
                match local_date(value) {
                    Ok(d) if calendar.makeup_workdays.contains(&d) => {
                        cancelled.insert(d);
                    }
                    Ok(d) => problems.push(format!("{document}：{d}原本不是调休上班日")),
                    Err(e) => problems.push(format!("{document}：调休上班日 {e}")),
                }
            }
            let added = holiday_days(&a.holidays, &mut problems);
            for (day, name) in &added {
                if let Some(other) = calendar.holidays.get(day).filter(|o| *o != name) {
                    problems.push(format!("{document}：{day}同时属于{other}和{name}"));
                }
                if calendar.makeup_workdays.contains(day) && !cancelled.contains(day) {
                    problems.push(format!("{document}：{day}是调休上班日，改为{name}假期须先取消调休"));
                }
            }
            if issued > day {
                continue;
            }
            for d in &cancelled {
                calendar.makeup_workdays.remove(d);
            }
            calendar.holidays.extend(added);
            calendar.amendments.push(Amendment { document: document.to_owned(), issued });
        }

        if problems.is_empty() {
            Ok(calendar)
        } else {
            Err(problems.join("\n"))
        }
    }

    /// The amendments applied, oldest first.
    pub fn amendments(&self) -> &[Amendment] {
        &self.amendments
    }
}

/// Every day of every holiday range, with its name; problems go to `problems`.
fn holiday_days(holidays: &[RawHoliday], problems: &mut Vec<String>) -> Vec<(NaiveDate, String)> {
    let mut days = Vec::new();
    for holiday in holidays {
        let name = holiday.name.trim();
        if name.is_empty() {
            problems.push("节假日名称不能为空".to_owned());
            continue;
        }
        let from = match local_date(&holiday.from) {
            Ok(d) => d,
            Err(e) => {
                problems.push(format!("{name}：from {e}"));
                continue;
            }
        };
        let to = match holiday.to.as_ref().map(local_date).transpose() {
            Ok(d) => d.unwrap_or(from),
            Err(e) => {
                problems.push(format!("{name}：to {e}"));
                continue;
            }
        };
        if to < from {
            problems.push(format!("{name}：结束日期{to}早于开始日期{from}"));
            continue;
        }
        days.extend(from.iter_days().take_while(|d| *d <= to).map(|d| (d, name.to_owned())));
    }
    days
}

impl WorkCalendar {
    /// Adds another year's days. Loading the same year twice, or files that disagree about
    /// a day, is an error rather than a silent choice between them.
    pub fn merge(&mut self, other: WorkCalendar) -> Result<(), String> {
        let mut problems = Vec::new();
        for year in &other.years {
            if self.years.contains(year) {
                problems.push(format!("{year}年的节假日已加载过"));
            }
        }
        for (day, name) in &other.holidays {
            if let Some(mine) = self.holidays.get(day).filter(|mine| *mine != name) {
                problems.push(format!("{day}同时属于{mine}和{name}"));
            }
            if self.makeup_workdays.contains(day) {
                problems.push(format!("{day}既是{name}假期又是调休上班日"));
            }
        }
        for day in &other.makeup_workdays {
            if let Some(name) = self.holidays.get(day) {
                problems.push(format!("{day}既是{name}假期又是调休上班日"));
            }
        }
        if !problems.is_empty() {
            return Err(problems.join("\n"));
        }
        self.years.extend(other.years);
        self.holidays.extend(other.holidays);
        self.makeup_workdays.extend(other.makeup_workdays);
        self.amendments.extend(other.amendments);
        Ok(())
    }

    /// A day a collection vehicle may visit a holder: a working day, or — for a holder that
    /// accepts weekend visits — a weekend day that is no holiday. The booking rules and the
    /// schedule proposal both ask this.
    pub fn is_visit_day(&self, date: NaiveDate, weekends_allowed: bool) -> bool {
        self.is_working_day(date)
            || (weekends_allowed && is_weekend(date) && self.holiday_name(date).is_none())
    }

    /// Whether a file for this year was loaded. Without one, the calendar falls back to
    /// plain Monday–Friday, which is wrong around every holiday; callers can warn.
    pub fn covers_year(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        if is_weekend(date) {
            self.makeup_workdays.contains(&date)
        } else {
            !self.holidays.contains_key(&date)
        }
    }

    /// The holiday's Chinese name, also on its weekend days (春节 covers the whole week).
    pub fn holiday_name(&self, date: NaiveDate) -> Option<&str> {
        self.holidays.get(&date).map(String::as_str)
    }

    pub fn is_makeup_workday(&self, date: NaiveDate) -> bool {
        self.makeup_workdays.contains(&date)
    }
}

/// 星期一 … 星期日, for messages.
pub fn weekday_zh(date: NaiveDate) -> &'static str {
    match date.weekday() {
        Weekday::Mon => "星期一",
        Weekday::Tue => "星期二",
        Weekday::Wed => "星期三",
        Weekday::Thu => "星期四",
        Weekday::Fri => "星期五",
        Weekday::Sat => "星期六",
        Weekday::Sun => "星期日",
    }
}

pub fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Only a bare TOML date is accepted: a time or offset would mean someone misread the file.
fn local_date(value: &Datetime) -> Result<NaiveDate, String> {
    match (value.date, value.time, value.offset) {
        (Some(d), None, None) => {
            NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
                .ok_or_else(|| format!("{value}不是有效日期"))
        }
        _ => Err(format!("{value}应为不带时间的日期，如 2020-01-24")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALENDAR_2020: &str = include_str!("../../seeds/holidays/2020.toml");

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn cal2020() -> WorkCalendar {
        WorkCalendar::parse(CALENDAR_2020).unwrap()
    }

    #[test]
    fn every_2020_public_holiday_is_a_named_day_off() {
        // As published by 国办发明电〔2019〕16号, before the Spring Festival was extended.
        let cal = WorkCalendar::parse_as_of(CALENDAR_2020, d(2020, 1, 25)).unwrap();
        let holidays = [
            ("元旦", d(2020, 1, 1), d(2020, 1, 1)),
            ("春节", d(2020, 1, 24), d(2020, 1, 30)),
            ("清明节", d(2020, 4, 4), d(2020, 4, 6)),
            ("劳动节", d(2020, 5, 1), d(2020, 5, 5)),
            ("端午节", d(2020, 6, 25), d(2020, 6, 27)),
            ("国庆节、中秋节", d(2020, 10, 1), d(2020, 10, 8)),
        ];
        assert_eq!(days_off_named(&cal, &holidays), 27);
    }

    /// Checks that every day of each `(name, from, to)` is a day off with that name, and
    /// the days just outside are not; returns how many days that is.
    fn days_off_named(cal: &WorkCalendar, holidays: &[(&str, NaiveDate, NaiveDate)]) -> usize {
        let mut days = 0;
        for &(name, from, to) in holidays {
            for day in from.iter_days().take_while(|x| *x <= to) {
                assert!(!cal.is_working_day(day), "{day}");
                assert_eq!(cal.holiday_name(day), Some(name), "{day}");
                days += 1;
            }
            assert_eq!(cal.holiday_name(from.pred_opt().unwrap()), None);
            assert_eq!(cal.holiday_name(to.succ_opt().unwrap()), None);
        }
        days
    }

    #[test]
    fn every_2020_makeup_weekend_day_is_a_working_day() {
        let cal = cal2020();
        for (m, day) in [(1, 19), (4, 26), (5, 9), (6, 28), (9, 27), (10, 10)] {
            let date = d(2020, m, day);
            assert!(is_weekend(date), "{date}");
            assert!(cal.is_working_day(date), "{date}");
            assert!(cal.is_makeup_workday(date), "{date}");
        }
    }

    #[test]
    fn the_2020_spring_festival_runs_to_2_february_as_amended_and_the_original_stays_readable() {
        let amended = cal2020();
        for day in [d(2020, 1, 31), d(2020, 2, 1), d(2020, 2, 2)] {
            assert!(!amended.is_working_day(day), "{day}");
            assert_eq!(amended.holiday_name(day), Some("春节"), "{day}");
        }
        assert!(!amended.is_makeup_workday(d(2020, 2, 1)));
        assert!(amended.is_working_day(d(2020, 2, 3)), "work resumed on Monday 3 February");
        let docs: Vec<_> = amended.amendments().iter().map(|a| (a.document.as_str(), a.issued)).collect();
        assert_eq!(docs, vec![("国办发明电〔2020〕1号", d(2020, 1, 26))]);

        // As published on 2019-11-21 and still on the eve of the amendment.
        let original = WorkCalendar::parse_as_of(CALENDAR_2020, d(2020, 1, 25)).unwrap();
        assert!(original.is_working_day(d(2020, 1, 31)), "a Friday at work");
        assert!(original.is_working_day(d(2020, 2, 1)), "the make-up Saturday");
        assert!(original.is_makeup_workday(d(2020, 2, 1)));
        assert_eq!(original.holiday_name(d(2020, 1, 30)), Some("春节"));
        assert!(original.amendments().is_empty());
    }

    #[test]
    fn the_2021_calendar_follows_guobanfamingdian_2020_27() {
        let cal = WorkCalendar::parse(include_str!("../../seeds/holidays/2021.toml")).unwrap();
        let holidays = [
            ("元旦", d(2021, 1, 1), d(2021, 1, 3)),
            ("春节", d(2021, 2, 11), d(2021, 2, 17)),
            ("清明节", d(2021, 4, 3), d(2021, 4, 5)),
            ("劳动节", d(2021, 5, 1), d(2021, 5, 5)),
            ("端午节", d(2021, 6, 12), d(2021, 6, 14)),
            ("中秋节", d(2021, 9, 19), d(2021, 9, 21)),
            ("国庆节", d(2021, 10, 1), d(2021, 10, 7)),
        ];
        assert_eq!(days_off_named(&cal, &holidays), 31);
        for (m, day) in [(2, 7), (2, 20), (4, 25), (5, 8), (9, 18), (9, 26), (10, 9)] {
            assert!(cal.is_makeup_workday(d(2021, m, day)), "{m}-{day}");
            assert!(cal.is_working_day(d(2021, m, day)), "{m}-{day}");
        }
        assert!(cal.covers_year(2021));
    }

    #[test]
    fn an_amendment_that_works_a_makeup_day_off_without_cancelling_it_is_refused() {
        let err = WorkCalendar::parse(
            "year = 2020\nmakeup_workdays = [2020-02-01]\n\
             [[amendment]]\ndocument = \"X\"\nissued = 2020-01-26\n\
             [[amendment.holiday]]\nname = \"春节\"\nfrom = 2020-01-31\nto = 2020-02-02\n",
        )
        .unwrap_err();
        assert!(err.contains("2020-02-01是调休上班日"), "{err}");
    }

    #[test]
    fn ordinary_days_follow_the_week() {
        let cal = cal2020();
        assert!(cal.is_working_day(d(2020, 1, 19)), "Sunday made a working day");
        assert!(!cal.is_working_day(d(2020, 1, 27)), "春节 Monday");
        assert!(cal.is_working_day(d(2020, 3, 2)), "plain Monday");
        assert!(!cal.is_working_day(d(2020, 3, 7)), "plain Saturday");
        assert!(!cal.is_working_day(d(2020, 3, 8)), "plain Sunday");
        assert!(cal.is_working_day(d(2020, 10, 9)), "Friday after 国庆");
        assert_eq!(cal.holiday_name(d(2020, 3, 2)), None);
        assert!(cal.covers_year(2020));
        assert!(!cal.covers_year(2021));
    }

    #[test]
    fn an_empty_calendar_works_monday_to_friday() {
        let cal = WorkCalendar::new();
        assert!(cal.is_working_day(d(2020, 1, 1)));
        assert!(!cal.is_working_day(d(2020, 1, 19)));
    }

    #[test]
    fn two_years_merge_into_one_calendar() {
        let mut cal = cal2020();
        let y2021 = WorkCalendar::parse(
            "year = 2021\nmakeup_workdays = [2021-02-07]\n[[holiday]]\nname = \"元旦\"\nfrom = 2021-01-01\nto = 2021-01-03\n",
        )
        .unwrap();
        cal.merge(y2021).unwrap();
        assert_eq!(cal.years().collect::<Vec<_>>(), vec![2020, 2021]);
        assert_eq!(cal.holiday_name(d(2021, 1, 1)), Some("元旦"));
        assert_eq!(cal.holiday_name(d(2020, 1, 1)), Some("元旦"));
        assert!(cal.is_working_day(d(2021, 2, 7)));
        assert!(cal.is_working_day(d(2020, 1, 19)));
    }

    #[test]
    fn merging_a_year_twice_or_a_contradiction_is_refused() {
        let mut cal = cal2020();
        assert!(cal.merge(cal2020()).unwrap_err().contains("2020年"));
        let contradiction = WorkCalendar::parse("year = 2019\nmakeup_workdays = [2020-01-25]\n").unwrap();
        let err = cal.merge(contradiction).unwrap_err();
        assert!(err.contains("既是春节假期又是调休上班日"), "{err}");
        assert!(cal.is_working_day(d(2020, 1, 19)), "a refused merge changes nothing");
        assert!(!cal.covers_year(2019));
    }

    #[test]
    fn a_one_day_holiday_may_leave_out_its_end() {
        let cal =
            WorkCalendar::parse("year = 2020\n[[holiday]]\nname = \"元旦\"\nfrom = 2020-01-01\n").unwrap();
        assert_eq!(cal.holiday_name(d(2020, 1, 1)), Some("元旦"));
        assert_eq!(cal.holiday_name(d(2020, 1, 2)), None);
    }

    #[test]
    fn every_mistake_in_a_file_is_reported() {
        let err = WorkCalendar::parse(
            "year = 2020\nmakeup_workdays = [2020-03-02, 2020-01-25, 2020-01-19T08:00:00]\n\
             [[holiday]]\nname = \"春节\"\nfrom = 2020-01-24\nto = 2020-01-30\n\
             [[holiday]]\nname = \"反了\"\nfrom = 2020-05-05\nto = 2020-05-01\n\
             [[holiday]]\nname = \"重叠\"\nfrom = 2020-01-30\n",
        )
        .unwrap_err();
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 5, "{err}");
        assert!(err.contains("结束日期2020-05-01早于开始日期2020-05-05"), "{err}");
        assert!(err.contains("2020-01-30同时属于春节和重叠"), "{err}");
        assert!(err.contains("2020-03-02（星期一）不是周末"), "{err}");
        assert!(err.contains("2020-01-25既是春节假期又是调休上班日"), "{err}");
        assert!(err.contains("应为不带时间的日期"), "{err}");
    }

    #[test]
    fn unknown_keys_and_broken_toml_are_rejected() {
        assert!(WorkCalendar::parse("year = 2020\nworkdays = []\n").is_err());
        assert!(WorkCalendar::parse("year = ").is_err());
        assert!(WorkCalendar::parse("makeup_workdays = []\n").is_err(), "year is required");
    }
}
