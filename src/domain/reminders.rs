//! When reminders are due, and what makes two of them the same message.
use chrono::{Datelike, NaiveDate, TimeDelta};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReminderKind {
    /// Before a term starts, to universities that have not booked yet.
    Term,
    /// Before a confirmed visit, to the holder.
    Visit,
    /// The office's weekly list of holders behind schedule.
    Digest,
}

impl ReminderKind {
    pub const ALL: [ReminderKind; 3] = [ReminderKind::Term, ReminderKind::Visit, ReminderKind::Digest];

    pub fn code(self) -> &'static str {
        match self {
            ReminderKind::Term => "TERM",
            ReminderKind::Visit => "VISIT",
            ReminderKind::Digest => "DIGEST",
        }
    }

    pub fn parse(text: &str) -> Option<ReminderKind> {
        ReminderKind::ALL.into_iter().find(|k| k.code() == text)
    }

    /// Checks offsets as the office types them: days before the event, or a weekday for
    /// the digest. Returns them sorted and without duplicates.
    pub fn check_offsets(self, offsets: &[i64]) -> Result<Vec<i64>, String> {
        let (range, what) = match self {
            ReminderKind::Digest => (1..=7, "周报的发送日须为 1(周一) 到 7(周日)"),
            _ => (0..=90, "提前天数须在 0 到 90 之间"),
        };
        if offsets.is_empty() {
            return Err("至少需要一个提前天数".into());
        }
        if offsets.len() > MAX_OFFSETS {
            return Err(format!("提前天数最多 {MAX_OFFSETS} 个"));
        }
        if let Some(bad) = offsets.iter().find(|o| !range.contains(*o)) {
            return Err(format!("{what}, 不能是 {bad}"));
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxStatus {
    Pending,
    Sending,
    Sent,
    Failed,
    Cancelled,
}

impl OutboxStatus {
    pub fn code(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "PENDING",
            OutboxStatus::Sending => "SENDING",
            OutboxStatus::Sent => "SENT",
            OutboxStatus::Failed => "FAILED",
            OutboxStatus::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(text: &str) -> Option<OutboxStatus> {
        [Self::Pending, Self::Sending, Self::Sent, Self::Failed, Self::Cancelled]
            .into_iter()
            .find(|s| s.code() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    Spring,
    Autumn,
}

impl Term {
    pub fn code(self) -> &'static str {
        match self {
            Term::Spring => "SPRING",
            Term::Autumn => "AUTUMN",
        }
    }

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
        if self.spring_start.year() != year || self.autumn_start.year() != year {
            return Err(format!("春季和秋季学期的开学日期都须在 {year} 年内"));
        }
        if !(self.spring_start < self.spring_end
            && self.spring_end < self.autumn_start
            && self.autumn_start < self.autumn_end)
        {
            return Err("学期日期须依次为: 春季开学 < 春季结束 < 秋季开学 < 秋季结束".into());
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

pub fn term_key(unit_id: i32, year: i32, term: Term, offset: i64) -> String {
    format!("term:{unit_id}:{year}:{}:{offset}", term.code())
}

/// The visit's date and session are part of the key: a moved visit is a new reminder.
pub fn visit_key(unit_id: i32, visit_id: i32, date: NaiveDate, session: &str, offset: i64) -> String {
    format!("visit:{unit_id}:{visit_id}:{date}:{session}:{offset}")
}

pub fn digest_key(date: NaiveDate) -> String {
    let week = date.iso_week();
    format!("digest:{}-W{:02}", week.year(), week.week())
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
    fn a_moved_visit_has_another_key() {
        assert_ne!(
            visit_key(1, 9, d("2020-03-02"), "MORNING", 3),
            visit_key(1, 9, d("2020-03-03"), "MORNING", 3)
        );
        assert_eq!(digest_key(d("2020-02-03")), "digest:2020-W06");
    }
}
