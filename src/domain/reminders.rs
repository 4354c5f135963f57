//! When reminders are due, and what makes two of them the same message.
use chrono::{Datelike, NaiveDate, TimeDelta};

use super::code_enum::code_enum;
use super::ids::{UnitId, VehicleId, VisitId};

code_enum! {
    /// Stored as its code (`TERM`).
    #[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
    pub enum ReminderKind {
        /// Before a term starts, to universities that have not booked yet.
        Term,
        /// Before a confirmed visit, to the holder.
        Visit,
        /// The office's weekly list of holders behind schedule.
        Digest,
        /// The office's daily list of what liaisons booked, moved and withdrew.
        Activity,
    }
}

impl ReminderKind {
    pub fn parse(text: &str) -> Option<ReminderKind> {
        text.parse().ok()
    }

    /// Checks offsets as the office types them: days before the event, or a weekday for
    /// the digest. Returns them sorted and without duplicates.
    pub fn check_offsets(self, offsets: &[i64]) -> Result<Vec<i64>, String> {
        let (range, what) = match self {
            ReminderKind::Digest | ReminderKind::Activity => (1..=7, "发送日须为 1（星期一）到 7（星期日）"),
            _ => (0..=90, "提前天数须在 0 到 90 之间"),
        };
        if offsets.is_empty() {
            return Err("至少需要一个提前天数".into());
        }
        if offsets.len() > MAX_OFFSETS {
            return Err(format!("提前天数最多 {MAX_OFFSETS} 个"));
        }
        if let Some(bad) = offsets.iter().find(|o| !range.contains(*o)) {
            return Err(format!("{what}，不能是 {bad}"));
        }
        let mut sorted = offsets.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        Ok(sorted)
    }
}

/// At most this many offsets per rule: they are stored as one short text.
pub const MAX_OFFSETS: usize = 10;

pub fn format_offsets(offsets: &[i64]) -> String {
    offsets.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// Unparseable parts are skipped: the office's rule is checked when it is saved.
pub fn parse_offsets(text: &str) -> Vec<i64> {
    text.split(',').filter_map(|p| p.trim().parse().ok()).collect()
}

code_enum! {
    /// Stored as its code (`PENDING`).
    #[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
    pub enum OutboxStatus {
        Pending,
        Sending,
        Sent,
        Failed,
        Cancelled,
    }
}

impl OutboxStatus {
    pub fn parse(text: &str) -> Option<OutboxStatus> {
        text.parse().ok()
    }
}

code_enum! {
    /// What an outbox message is: one of the reminders, or a notice of the office's change to a
    /// visit. Stored as its code (`TERM`, …, `NOTICE`).
    #[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
    pub enum MessageKind {
        Term,
        Visit,
        Digest,
        Activity,
        Notice,
    }
}

impl From<ReminderKind> for MessageKind {
    fn from(kind: ReminderKind) -> MessageKind {
        match kind {
            ReminderKind::Term => MessageKind::Term,
            ReminderKind::Visit => MessageKind::Visit,
            ReminderKind::Digest => MessageKind::Digest,
            ReminderKind::Activity => MessageKind::Activity,
        }
    }
}

code_enum! {
    /// Its code (`SPRING`) is part of a term reminder's dedup key.
    #[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
    pub enum Term {
        Spring,
        Autumn,
    }
}

impl Term {
    /// e.g. 2020年春季学期
    pub fn label_zh(self, year: i32) -> String {
        match self {
            Term::Spring => format!("{year}年春季学期"),
            Term::Autumn => format!("{year}年秋季学期"),
        }
    }
}

/// A year's two terms. The autumn term may end in January of the next year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermDates {
    pub spring_start: NaiveDate,
    pub spring_end: NaiveDate,
    pub autumn_start: NaiveDate,
    pub autumn_end: NaiveDate,
}

impl TermDates {
    pub fn check(&self, year: i32) -> Result<(), String> {
        super::text::check_year(year)?;
        if self.spring_start.year() != year || self.autumn_start.year() != year {
            return Err(format!("春季和秋季学期的开学日期都须在 {year} 年内"));
        }
        if !(self.spring_start < self.spring_end
            && self.spring_end < self.autumn_start
            && self.autumn_start < self.autumn_end)
        {
            return Err("学期日期须依次为：春季开学 < 春季结束 < 秋季开学 < 秋季结束".into());
        }
        Ok(())
    }

    pub fn terms(&self) -> [(Term, NaiveDate, NaiveDate); 2] {
        [
            (Term::Spring, self.spring_start, self.spring_end),
            (Term::Autumn, self.autumn_start, self.autumn_end),
        ]
    }
}

/// The offset whose reminder is due on `today` for an event on `event`: the nearest one
/// whose day has come, so that a scheduler that was down for a few days sends one late
/// reminder instead of every missed one; none once the event has come.
pub fn due_offset(event: NaiveDate, today: NaiveDate, offsets: &[i64]) -> Option<i64> {
    if today >= event {
        return None;
    }
    offsets.iter().copied().filter(|o| event - TimeDelta::days(*o) <= today).min()
}

/// One line of a term reminder: a vehicle free on a day, and what of the day it can take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VehicleDay {
    pub date: NaiveDate,
    pub vehicle_id: VehicleId,
    /// 全天 when the whole day is free, else 上午 or 下午.
    pub label: &'static str,
}

/// Free sessions folded into one line per vehicle-day and spread over the weeks: at most
/// `per_week` lines a week, picked evenly across that week's days, so a reminder offers a
/// choice around the whole term start rather than the first few slots of one week.
pub fn spread_vehicle_days(
    free: &[(VehicleId, NaiveDate, crate::domain::visit::Session)],
    per_week: usize,
) -> Vec<VehicleDay> {
    use crate::domain::visit::Session;
    let mut days: std::collections::BTreeMap<(NaiveDate, VehicleId), Vec<Session>> = Default::default();
    for (vehicle, date, session) in free {
        days.entry((*date, *vehicle)).or_default().push(*session);
    }
    let lines: Vec<VehicleDay> = days
        .into_iter()
        .filter_map(|((date, vehicle_id), sessions)| {
            let label = if sessions.contains(&Session::FullDay) {
                Session::FullDay.label_zh()
            } else {
                sessions.first()?.label_zh()
            };
            Some(VehicleDay { date, vehicle_id, label })
        })
        .collect();
    let mut by_week: std::collections::BTreeMap<(i32, u32), Vec<VehicleDay>> = Default::default();
    for line in lines {
        let week = line.date.iso_week();
        by_week.entry((week.year(), week.week())).or_default().push(line);
    }
    let mut spread = Vec::new();
    for (_, week) in by_week {
        let n = week.len();
        let take = n.min(per_week);
        for i in 0..take {
            spread.push(week[i * n / take].clone());
        }
    }
    spread
}

pub fn term_key(unit_id: UnitId, year: i32, term: Term, offset: i64) -> String {
    format!("term:{unit_id}:{year}:{}:{offset}", term.code())
}

/// The visit's date and session are part of the key: a moved visit is a new reminder.
pub fn visit_key(unit_id: UnitId, visit_id: VisitId, date: NaiveDate, session: &str, offset: i64) -> String {
    format!("visit:{unit_id}:{visit_id}:{date}:{session}:{offset}")
}

pub fn digest_key(date: NaiveDate) -> String {
    let week = date.iso_week();
    format!("digest:{}-W{:02}", week.year(), week.week())
}

/// The first day the office's activity digest of `today` covers, or `None` when none goes
/// out today. It goes out on each of `weekdays` (1 = Monday) that is not a public holiday and
/// covers every day since the last day it went out, up to yesterday: Monday's covers the
/// weekend, the first working day after 春节 covers the holiday, and each booking is reported
/// once. When no earlier sending day is found within five weeks, the week before.
pub fn activity_window(
    today: NaiveDate,
    weekdays: &[i64],
    is_holiday: impl Fn(NaiveDate) -> bool,
) -> Option<NaiveDate> {
    let sends = |day: NaiveDate| {
        weekdays.contains(&i64::from(day.weekday().number_from_monday())) && !is_holiday(day)
    };
    if !sends(today) {
        return None;
    }
    let previous = (1..=35).map(|back| today - TimeDelta::days(back)).find(|&day| sends(day));
    Some(previous.unwrap_or(today - TimeDelta::days(7)))
}

pub fn activity_key(date: NaiveDate) -> String {
    format!("activity:{date}")
}

/// Waiting time after the `attempts`-th failed attempt: base, 2·base, 4·base … up to `cap`.
pub fn backoff(attempts: i32, base: TimeDelta, cap: TimeDelta) -> TimeDelta {
    let exponent = attempts.saturating_sub(1).clamp(0, 20) as u32;
    base.checked_mul(1 << exponent).map_or(cap, |d| d.min(cap))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn the_21_day_reminder_of_a_term_starting_february_24_is_due_on_february_3() {
        let start = d("2020-02-24");
        assert_eq!(due_offset(start, d("2020-02-02"), &[7, 21]), None);
        assert_eq!(due_offset(start, d("2020-02-03"), &[7, 21]), Some(21));
        assert_eq!(due_offset(start, d("2020-02-16"), &[7, 21]), Some(21));
        assert_eq!(due_offset(start, d("2020-02-17"), &[7, 21]), Some(7));
        assert_eq!(due_offset(start, d("2020-02-24"), &[7, 21]), None);
    }

    #[test]
    fn stored_codes_stay_as_they_were() {
        assert_eq!(ReminderKind::ALL.map(ReminderKind::code), ["TERM", "VISIT", "DIGEST", "ACTIVITY"]);
        let statuses =
            [OutboxStatus::Pending, OutboxStatus::Sending, OutboxStatus::Sent, OutboxStatus::Failed];
        assert_eq!(statuses.map(OutboxStatus::code), ["PENDING", "SENDING", "SENT", "FAILED"]);
        assert_eq!(OutboxStatus::parse("CANCELLED"), Some(OutboxStatus::Cancelled));
        assert_eq!(OutboxStatus::parse("cancelled"), None);
        assert_eq!([Term::Spring, Term::Autumn].map(Term::code), ["SPRING", "AUTUMN"]);
    }

    #[test]
    fn term_dates_must_be_in_order_and_start_in_their_year() {
        let ok = TermDates {
            spring_start: d("2020-02-24"),
            spring_end: d("2020-07-10"),
            autumn_start: d("2020-09-01"),
            autumn_end: d("2021-01-15"),
        };
        assert!(ok.check(2020).is_ok());
        assert!(ok.check(2021).is_err());
        assert!(TermDates { spring_end: d("2020-09-02"), ..ok }.check(2020).is_err());
    }

    #[test]
    fn backoff_doubles_from_the_base_up_to_the_cap() {
        let (base, cap) = (TimeDelta::minutes(1), TimeDelta::minutes(10));
        let waits: Vec<i64> = (1..=6).map(|a| backoff(a, base, cap).num_minutes()).collect();
        assert_eq!(waits, vec![1, 2, 4, 8, 10, 10]);
        assert_eq!(backoff(1000, base, cap), cap);
    }

    #[test]
    fn offsets_are_checked_sorted_and_deduplicated() {
        assert_eq!(ReminderKind::Term.check_offsets(&[21, 7, 21]).unwrap(), vec![7, 21]);
        assert!(ReminderKind::Term.check_offsets(&[91]).is_err());
        assert!(ReminderKind::Digest.check_offsets(&[0]).is_err());
        assert_eq!(parse_offsets(&format_offsets(&[7, 21])), vec![7, 21]);
    }

    #[test]
    fn free_sessions_become_one_line_per_vehicle_day_spread_over_the_weeks() {
        use crate::domain::visit::Session::*;
        let mut free = Vec::new();
        // Two weeks of free days for vehicle 1; vehicle 2 only has Tuesday afternoons.
        for day in d("2020-02-10").iter_days().take(14) {
            if day.weekday().number_from_monday() <= 5 {
                let one = VehicleId(1);
                free.extend([(one, day, Morning), (one, day, Afternoon), (one, day, FullDay)]);
                if day.weekday().number_from_monday() == 2 {
                    free.push((VehicleId(2), day, Afternoon));
                }
            }
        }
        let lines = spread_vehicle_days(&free, 3);
        let shown: Vec<(String, i32, &str)> =
            lines.iter().map(|l| (l.date.to_string(), l.vehicle_id.0, l.label)).collect();
        assert_eq!(
            shown,
            [
                ("2020-02-10".into(), 1, "全天"),
                ("2020-02-11".into(), 2, "下午"),
                ("2020-02-13".into(), 1, "全天"),
                ("2020-02-17".into(), 1, "全天"),
                ("2020-02-18".into(), 2, "下午"),
                ("2020-02-20".into(), 1, "全天"),
            ]
        );
        let all = spread_vehicle_days(&free, 10);
        assert_eq!(all.len(), 12, "ten weekdays of vehicle 1 and two Tuesdays of vehicle 2");
        assert!(all.contains(&VehicleDay { date: d("2020-02-11"), vehicle_id: VehicleId(2), label: "下午" }));
    }

    #[test]
    fn the_activity_digest_covers_every_day_since_it_last_went_out() {
        let working_days = [1, 2, 3, 4, 5];
        // 春节 2020 with the extension to 2 February (国办发明电〔2020〕1号).
        let holiday = |day: NaiveDate| (d("2020-01-24")..=d("2020-02-02")).contains(&day);
        let window = |today: &str| activity_window(d(today), &working_days, holiday);
        assert_eq!(window("2020-03-03"), Some(d("2020-03-02")), "Tuesday covers Monday");
        assert_eq!(window("2020-03-02"), Some(d("2020-02-28")), "Monday covers the weekend");
        assert_eq!(window("2020-03-07"), None, "nothing goes out on a Saturday");
        assert_eq!(window("2020-01-31"), None, "nor on a holiday");
        assert_eq!(window("2020-02-03"), Some(d("2020-01-23")), "the first working day covers 春节");
        let every_day = [1, 2, 3, 4, 5, 6, 7];
        assert_eq!(activity_window(d("2020-03-07"), &every_day, |_| false), Some(d("2020-03-06")));
        assert_eq!(activity_window(d("2020-03-07"), &[6], |_| false), Some(d("2020-02-29")));
    }

    #[test]
    fn a_moved_visit_has_another_key() {
        assert_ne!(
            visit_key(UnitId(1), VisitId(9), d("2020-03-02"), "MORNING", 3),
            visit_key(UnitId(1), VisitId(9), d("2020-03-03"), "MORNING", 3)
        );
        assert_eq!(digest_key(d("2020-02-03")), "digest:2020-W06");
        assert_eq!(activity_key(d("2020-02-03")), "activity:2020-02-03");
    }
}
