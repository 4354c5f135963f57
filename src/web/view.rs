//! Rows as the templates show them: labels in Chinese, dates with their weekday.
use chrono::{Datelike, NaiveDate, TimeDelta};

use super::render::{percent, thousands};
use crate::domain::ids::UnitId;
use crate::domain::work_calendar::weekday_zh;
use crate::services::fulfilment::Progress;
use crate::services::visits::VisitView;
use crate::services::Page;

pub fn day_label(d: NaiveDate) -> String {
    format!("{}（{}）", d.format("%Y-%m-%d"), weekday_zh(d))
}

pub fn short_day(d: NaiveDate) -> String {
    format!("{}（{}）", d.format("%m-%d"), weekday_zh(d))
}

/// A moment as the office reads it: Shanghai time to the minute.
pub fn local_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&chrono_tz::Asia::Shanghai).format("%Y-%m-%d %H:%M").to_string()
}

/// A day's cell in a month's calendar: "2日 星期一".
pub fn month_day(d: NaiveDate) -> String {
    format!("{}日 {}", d.day(), weekday_zh(d))
}

/// A month's heading: "2020 年 3 月".
pub fn month_title(d: NaiveDate) -> String {
    format!("{} 年 {} 月", d.year(), d.month())
}

pub fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// The first day of the month after `d`'s.
pub fn next_month(d: NaiveDate) -> NaiveDate {
    first_of_month(first_of_month(d) + TimeDelta::days(32))
}

/// The week that holds `d`: its Monday and its Sunday.
pub fn week_of(d: NaiveDate) -> (NaiveDate, NaiveDate) {
    let monday = d - TimeDelta::days(i64::from(d.weekday().num_days_from_monday()));
    (monday, monday + TimeDelta::days(6))
}

/// The days a calendar of `d`'s month shows: whole weeks, from the Monday of its first day's
/// week to the Sunday of its last day's.
pub fn month_weeks(d: NaiveDate) -> (NaiveDate, NaiveDate) {
    let last = next_month(d) - TimeDelta::days(1);
    (week_of(first_of_month(d)).0, week_of(last).1)
}

pub struct VisitRow {
    pub id: i32,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub vehicle_name: String,
    pub date: String,
    pub date_iso: String,
    pub session: &'static str,
    pub status: &'static str,
    pub status_code: &'static str,
    pub expected: i32,
    pub live: bool,
    pub note: String,
}

impl From<&VisitView> for VisitRow {
    fn from(v: &VisitView) -> Self {
        VisitRow {
            id: v.id,
            unit_id: v.unit_id,
            unit_name: v.unit_name.clone(),
            vehicle_name: v.vehicle_name.clone(),
            date: day_label(v.date),
            date_iso: v.date.to_string(),
            session: v.session.label_zh(),
            status: v.status.label_zh(),
            status_code: v.status.code(),
            expected: v.expected_donors,
            live: matches!(v.status.code(), "REQUESTED" | "CONFIRMED"),
            note: v.cancel_reason.clone().or_else(|| v.note.clone()).unwrap_or_default(),
        }
    }
}

/// The last page a list page may be asked for (`?page=`): beyond it is no list of a city's or
/// a country's rows, and the offset stays far from overflowing.
pub const MAX_PAGE: u64 = 100_000;

/// A list page's place among its pages and the links to its neighbours (the `pager` macro).
pub struct Pager {
    /// From 1.
    pub page: u64,
    pub pages: u64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// The page asked for (`?page=`, from 1; none is the first, past [`MAX_PAGE`] the last
    /// allowed) and the rows it shows, `size` a page.
    pub fn asked(page: Option<u64>, size: u64) -> (u64, Page) {
        let page = page.unwrap_or(1).clamp(1, MAX_PAGE);
        (page, Page { first: size, offset: (page - 1) * size })
    }

    /// Page `page` of `total` rows, `size` a page; `link(n)` is the address of page `n`.
    pub fn new(page: u64, total: u64, size: u64, link: impl Fn(u64) -> String) -> Pager {
        let pages = total.div_ceil(size).max(1);
        Pager {
            page,
            pages,
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        }
    }
}

/// A level's figures as a page shows them, with bar widths for quota, booked and collected.
pub struct Figures {
    pub quota: String,
    pub booked: String,
    pub collected: String,
    pub volume_ml: String,
    pub share: String,
    pub remaining: String,
    pub behind: bool,
    pub collected_width: i64,
    pub booked_width: i64,
}

impl From<&Progress> for Figures {
    fn from(p: &Progress) -> Self {
        let (share, collected_width) = percent(p.collected_donations, p.quota);
        let booked_width = percent(p.collected_donations + p.booked_donors, p.quota).1.max(collected_width);
        Figures {
            quota: thousands(p.quota),
            booked: thousands(p.booked_donors),
            collected: thousands(p.collected_donations),
            volume_ml: thousands(p.collected_volume_ml),
            share,
            remaining: thousands(p.remaining),
            behind: p.behind_schedule,
            collected_width,
            booked_width,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_calendar_is_whole_weeks_monday_to_sunday() {
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(week_of(day("2020-03-04")), (day("2020-03-02"), day("2020-03-08")));
        assert_eq!(month_weeks(day("2020-03-15")), (day("2020-02-24"), day("2020-04-05")));
        assert_eq!(next_month(day("2020-12-31")), day("2021-01-01"));
        assert_eq!(month_title(day("2020-03-15")), "2020 年 3 月");
    }

    #[test]
    fn a_page_past_the_last_allowed_is_the_last_allowed_and_links_go_both_ways() {
        assert_eq!(Pager::asked(None, 50), (1, Page { first: 50, offset: 0 }));
        assert_eq!(Pager::asked(Some(0), 50).0, 1);
        assert_eq!(
            Pager::asked(Some(u64::MAX), 50),
            (MAX_PAGE, Page { first: 50, offset: (MAX_PAGE - 1) * 50 })
        );
        let link = |n: u64| format!("?page={n}");
        let middle = Pager::new(2, 101, 50, link);
        assert_eq!(
            (middle.pages, middle.prev.as_deref(), middle.next.as_deref()),
            (3, Some("?page=1"), Some("?page=3"))
        );
        let only = Pager::new(1, 0, 50, link);
        assert_eq!((only.pages, only.prev, only.next), (1, None, None));
    }
}
