//! An iCalendar (RFC 5545) feed of visits that liaisons and station staff subscribe to from
//! their phones.
//!
//! Times are written in UTC (`DTSTART:20200309T003000Z`) rather than as
//! `TZID=Asia/Shanghai` local times. RFC 5545 requires a VTIMEZONE block for every TZID
//! used, which the `icalendar` crate does not generate; Google and Apple guess the zone
//! from its name, but Outlook and several Android sync adapters then drop or shift the
//! event. UTC needs no definition, every client shows it in the phone's own zone, and since
//! China has had no daylight saving time since 1991 the conversion is exact. X-WR-TIMEZONE
//! still tells Google and Apple the calendar's home zone.
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use icalendar::{Calendar, Component, Event, EventLike, EventStatus, Property};

use super::visit::Session;

/// One visit as a phone calendar shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEvent {
    /// Stable across renders, so a client updates the event instead of duplicating it.
    pub uid: String,
    /// Asia/Shanghai local time.
    pub start: NaiveDateTime,
    /// Asia/Shanghai local time.
    pub end: NaiveDateTime,
    pub summary: String,
    pub description: String,
    pub location: Option<String>,
    /// Kept in the feed rather than dropped, so subscribed phones remove it visibly.
    pub cancelled: bool,
}

/// Every line break as a plain LF, which iCalendar writes escaped (`\\n`): a bare CR in a note
/// or a vehicle name would otherwise end a content line early and break strict parsers.
fn plain_newlines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

pub fn render(calendar_name: &str, events: &[CalendarEvent]) -> String {
    let calendar_name = &plain_newlines(calendar_name);
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", "-//bloodplan//visits//ZH"))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("METHOD", "PUBLISH"))
        .name(calendar_name)
        .timezone("Asia/Shanghai");
    for e in events {
        let mut event = Event::with_uid(&e.uid);
        event
            .summary(&plain_newlines(&e.summary))
            .description(&plain_newlines(&e.description))
            .starts(shanghai_to_utc(e.start))
            .ends(shanghai_to_utc(e.end));
        if let Some(location) = &e.location {
            event.location(&plain_newlines(location));
        }
        if e.cancelled {
            event.status(EventStatus::Cancelled);
        }
        calendar.push(event.done());
    }
    calendar.done().to_string()
}

/// The station's working hours for a session, in Asia/Shanghai local time.
pub fn session_times(date: NaiveDate, session: Session) -> (NaiveDateTime, NaiveDateTime) {
    let at = |h, m| date.and_time(NaiveTime::from_hms_opt(h, m, 0).expect("a valid clock time"));
    match session {
        Session::Morning => (at(8, 30), at(12, 0)),
        Session::Afternoon => (at(14, 0), at(17, 30)),
        Session::FullDay => (at(8, 30), at(17, 30)),
    }
}

/// A wall-clock time in Asia/Shanghai as UTC.
pub fn shanghai_to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    match Shanghai.from_local_datetime(&local).earliest() {
        Some(t) => t.with_timezone(&Utc),
        // Only inside a 1986–1991 daylight-saving gap; read it as standard time.
        None => (local - Duration::hours(8)).and_utc(),
    }
}

#[cfg(test)]
mod tests {
    use icalendar::{CalendarDateTime, DatePerhapsTime};

    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn utc(y: i32, m: u32, day: u32, h: u32, min: u32) -> DatePerhapsTime {
        let t = d(y, m, day).and_hms_opt(h, min, 0).unwrap().and_utc();
        DatePerhapsTime::DateTime(CalendarDateTime::Utc(t))
    }

    fn two_events() -> Vec<CalendarEvent> {
        let (start, end) = session_times(d(2020, 3, 9), Session::Morning);
        let (start2, end2) = session_times(d(2020, 3, 10), Session::FullDay);
        vec![
            CalendarEvent {
                uid: "visit-1@bloodplan".into(),
                start,
                end,
                summary: "采血车进单位：咸宁市中心医院".into(),
                description: "预计献血30人。请献血者携带身份证，献血前一晚保证睡眠，早餐清淡，\
                              不要空腹；联系人：市献血办，电话见通知。"
                    .into(),
                location: Some("咸宁市中心医院门诊楼前广场, 一号车".into()),
                cancelled: false,
            },
            CalendarEvent {
                uid: "visit-2@bloodplan".into(),
                start: start2,
                end: end2,
                summary: "采血车进校：湖北科技学院（已取消）".into(),
                description: "因车辆年检取消; 请重新预约".into(),
                location: None,
                cancelled: true,
            },
        ]
    }

    #[test]
    fn sessions_map_to_the_stations_hours() {
        let day = d(2020, 3, 9);
        let t = |h, m| day.and_hms_opt(h, m, 0).unwrap();
        assert_eq!(session_times(day, Session::Morning), (t(8, 30), t(12, 0)));
        assert_eq!(session_times(day, Session::Afternoon), (t(14, 0), t(17, 30)));
        assert_eq!(session_times(day, Session::FullDay), (t(8, 30), t(17, 30)));
    }

    #[test]
    fn a_rendered_feed_parses_back_with_its_chinese_text_times_and_status() {
        let events = two_events();
        let text = render("咸宁市采血车日程", &events);
        let parsed: Calendar = text.parse().expect("the feed parses");

        assert_eq!(parsed.get_name(), Some("咸宁市采血车日程"));
        assert_eq!(parsed.property_value("X-WR-CALNAME"), Some("咸宁市采血车日程"));
        assert_eq!(parsed.get_timezone(), Some("Asia/Shanghai"));

        let back: Vec<&Event> = parsed.events().collect();
        assert_eq!(back.len(), 2);
        let (first, second) = (back[0], back[1]);

        assert_eq!(first.get_uid(), Some("visit-1@bloodplan"));
        assert_eq!(first.get_summary(), Some(events[0].summary.as_str()));
        assert_eq!(first.get_description(), Some(events[0].description.as_str()));
        assert_eq!(first.get_location(), Some("咸宁市中心医院门诊楼前广场, 一号车"));
        // 08:30–12:00 in Shanghai is 00:30–04:00 UTC.
        assert_eq!(first.get_start(), Some(utc(2020, 3, 9, 0, 30)));
        assert_eq!(first.get_end(), Some(utc(2020, 3, 9, 4, 0)));
        assert_eq!(first.get_status(), None);

        assert_eq!(second.get_summary(), Some("采血车进校：湖北科技学院（已取消）"));
        assert_eq!(second.get_description(), Some("因车辆年检取消; 请重新预约"));
        assert_eq!(second.get_start(), Some(utc(2020, 3, 10, 0, 30)));
        assert_eq!(second.get_end(), Some(utc(2020, 3, 10, 9, 30)));
        assert_eq!(second.get_status(), Some(EventStatus::Cancelled));
        assert_eq!(second.get_location(), None);
        assert!(text.contains("\r\nSTATUS:CANCELLED\r\n"));
    }

    #[test]
    fn long_lines_are_folded_at_75_octets_without_splitting_characters() {
        let text = render("咸宁市采血车日程", &two_events());
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert!(lines.iter().all(|l| l.len() <= 75), "{text}");
        assert!(lines.iter().any(|l| l.starts_with(' ')), "the description must have been folded");
        assert!(!text.replace("\r\n", "").contains('\n'), "only CRLF line breaks");
        // Unfolding restores the escaped description exactly.
        let unfolded = text.replace("\r\n ", "");
        assert!(unfolded.contains("DESCRIPTION:预计献血30人。请献血者携带身份证"), "{unfolded}");
        assert!(unfolded.contains("因车辆年检取消\\; 请重新预约"), "{unfolded}");
    }
}
