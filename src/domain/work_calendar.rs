//! Which days are working days in China: weekdays, minus public holidays, plus the weekend
//! days the State Council turns into working days (调休上班) to bridge the holidays.
//!
//! The days come from one TOML file per year (see `seeds/holidays/`), because the State
//! Council publishes them anew each year and no rule computes them.
use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;
use toml::value::Datetime;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    years: BTreeSet<i32>,
    holidays: BTreeMap<NaiveDate, String>,
    makeup_workdays: BTreeSet<NaiveDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    year: i32,
    #[serde(default)]
    makeup_workdays: Vec<Datetime>,
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

    /// Reads one year's file. Every problem found is reported, one per line, so the office
    /// can fix a transcribed notice in one go.
    pub fn parse(text: &str) -> Result<WorkCalendar, String> {
        let raw: RawCalendar = toml::from_str(text).map_err(|e| format!("无法解析节假日文件: {e}"))?;
        let mut problems = Vec::new();
        let mut calendar = WorkCalendar::new();
        calendar.years.insert(raw.year);

        for holiday in &raw.holidays {
            let name = holiday.name.trim();
            if name.is_empty() {
                problems.push("节假日名称不能为空".to_owned());
                continue;
            }
            let from = match local_date(&holiday.from) {
                Ok(d) => d,
                Err(e) => {
                    problems.push(format!("{name}: from {e}"));
                    continue;
                }
            };
            let to = match holiday.to.as_ref().map(local_date).transpose() {
                Ok(d) => d.unwrap_or(from),
                Err(e) => {
                    problems.push(format!("{name}: to {e}"));
                    continue;
                }
            };
            if to < from {
                problems.push(format!("{name}: 结束日期{to}早于开始日期{from}"));
                continue;
            }
            for day in from.iter_days().take_while(|d| *d <= to) {
                if let Some(other) = calendar.holidays.insert(day, name.to_owned()) {
                    problems.push(format!("{day}同时属于{other}和{name}"));
                }
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

        if problems.is_empty() {
            Ok(calendar)
        } else {
            Err(problems.join("\n"))
        }
    }

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
        Ok(())
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

fn is_weekend(date: NaiveDate) -> bool {
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
        let cal = cal2020();
        let holidays = [
            ("元旦", d(2020, 1, 1), d(2020, 1, 1)),
            ("春节", d(2020, 1, 24), d(2020, 1, 30)),
            ("清明节", d(2020, 4, 4), d(2020, 4, 6)),
            ("劳动节", d(2020, 5, 1), d(2020, 5, 5)),
            ("端午节", d(2020, 6, 25), d(2020, 6, 27)),
            ("国庆节、中秋节", d(2020, 10, 1), d(2020, 10, 8)),
        ];
        let mut days = 0;
        for (name, from, to) in holidays {
            for day in from.iter_days().take_while(|x| *x <= to) {
                assert!(!cal.is_working_day(day), "{day}");
                assert_eq!(cal.holiday_name(day), Some(name), "{day}");
                days += 1;
            }
            assert_eq!(cal.holiday_name(from.pred_opt().unwrap()), None);
            assert_eq!(cal.holiday_name(to.succ_opt().unwrap()), None);
        }
        assert_eq!(days, 27);
    }

    #[test]
    fn every_2020_makeup_weekend_day_is_a_working_day() {
        let cal = cal2020();
        for (m, day) in [(1, 19), (2, 1), (4, 26), (5, 9), (6, 28), (9, 27), (10, 10)] {
            let date = d(2020, m, day);
            assert!(is_weekend(date), "{date}");
            assert!(cal.is_working_day(date), "{date}");
            assert!(cal.is_makeup_workday(date), "{date}");
        }
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
