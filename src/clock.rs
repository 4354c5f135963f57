//! The one service clock every "now"-dependent rule reads.
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Asia::Shanghai;
use chrono_tz::Tz;

#[derive(Clone)]
pub struct Clock(Arc<Source>);

enum Source {
    System,
    /// Starts at a chosen instant and runs at real speed: `BLOODPLAN_NOW` for demonstrations.
    Anchored {
        start: DateTime<Utc>,
        since: Instant,
    },
    /// Stands still until a test moves it.
    Manual(Mutex<DateTime<Utc>>),
}

impl Clock {
    pub fn system() -> Self {
        Clock(Arc::new(Source::System))
    }

    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Clock(Arc::new(Source::Anchored { start, since: Instant::now() }))
    }

    pub fn manual(at: DateTime<Utc>) -> Self {
        Clock(Arc::new(Source::Manual(Mutex::new(at))))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &*self.0 {
            Source::System => Utc::now(),
            Source::Anchored { start, since } => {
                *start + TimeDelta::from_std(since.elapsed()).unwrap_or(TimeDelta::zero())
            }
            Source::Manual(at) => *at.lock().expect("clock lock"),
        }
    }

    pub fn now_local(&self) -> DateTime<Tz> {
        self.now().with_timezone(&Shanghai)
    }

    /// Today's date in Asia/Shanghai.
    pub fn today(&self) -> NaiveDate {
        self.now_local().date_naive()
    }

    /// Moves a manual clock; a no-op on the others, which follow real time.
    pub fn set(&self, to: DateTime<Utc>) {
        if let Source::Manual(at) = &*self.0 {
            *at.lock().expect("clock lock") = to;
        }
    }

    pub fn advance(&self, by: TimeDelta) {
        if let Source::Manual(at) = &*self.0 {
            *at.lock().expect("clock lock") += by;
        }
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_the_date_in_shanghai_not_utc() {
        let clock = Clock::manual("2020-02-02T17:30:00Z".parse().unwrap());
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2020, 2, 3).unwrap());
        clock.advance(TimeDelta::days(1));
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2020, 2, 4).unwrap());
    }
}
