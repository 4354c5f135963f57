//! A collection-vehicle visit (采血车进单位): when it happens and where it is in its life.
//! The enums are stored as their codes (`FULL_DAY`, `NO_SHOW`), derived by strum.
use super::code_enum::code_enum;

code_enum! {
    /// One half of a working day. A vehicle is booked per half day, so this is the unit the
    /// database makes unique per (vehicle, date, half day).
    #[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
    pub enum HalfDay {
        Am,
        Pm,
    }
}

impl HalfDay {
    pub fn parse(text: &str) -> Option<HalfDay> {
        let text = text.trim();
        HalfDay::ALL.into_iter().find(|h| h.code().eq_ignore_ascii_case(text))
    }
}

code_enum! {
    /// What a unit books: a morning, an afternoon or the whole day of one vehicle.
    #[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
    pub enum Session {
        Morning => "上午",
        Afternoon => "下午",
        FullDay => "全天",
    }
}

impl Session {
    /// The half days this session occupies. This is the only place that says a full day is
    /// both halves: storage writes one row per half returned here, and the unique index on
    /// (vehicle, date, half day) then rules out every kind of double booking at once.
    pub fn halves(self) -> &'static [HalfDay] {
        match self {
            Session::Morning => &[HalfDay::Am],
            Session::Afternoon => &[HalfDay::Pm],
            Session::FullDay => &[HalfDay::Am, HalfDay::Pm],
        }
    }

    /// How many donors a vehicle can take in this session. A half day gets half the daily
    /// capacity, rounded down so that two half-day bookings never exceed the day.
    pub fn capacity(self, capacity_per_day: i32) -> i32 {
        match self {
            Session::FullDay => capacity_per_day,
            Session::Morning | Session::Afternoon => capacity_per_day / 2,
        }
    }
}

code_enum! {
    /// Where a visit is in its life.
    #[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
    pub enum VisitStatus {
        /// Booked by a liaison, waiting for the office.
        Requested => "待确认",
        /// Accepted by the office; the vehicle is scheduled.
        Confirmed => "已确认",
        /// The vehicle went and collected.
        Completed => "已完成",
        Cancelled => "已取消",
        /// The vehicle went but the unit's donors did not come.
        NoShow => "未到场",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VisitRuleError {
    #[error("采血活动状态不能从「{}」改为「{}」", .from.label_zh(), .to.label_zh())]
    InvalidTransition { from: VisitStatus, to: VisitStatus },
}

impl VisitRuleError {
    pub fn code(&self) -> &'static str {
        match self {
            VisitRuleError::InvalidTransition { .. } => "INVALID_TRANSITION",
        }
    }
}

impl VisitStatus {
    /// Whether the visit holds its vehicle's half days. Only a cancellation gives them back:
    /// a completed visit and a no-show both really sent the vehicle out, and the slot history
    /// must keep saying so.
    pub fn is_live(self) -> bool {
        self != VisitStatus::Cancelled
    }

    /// The statuses whose expected donors fulfilment counts as booked: still to happen, and
    /// neither withdrawn nor settled by a collection or a no-show.
    pub const BOOKED: [VisitStatus; 2] = [VisitStatus::Requested, VisitStatus::Confirmed];

    pub fn is_booked(self) -> bool {
        VisitStatus::BOOKED.contains(&self)
    }

    /// Checks a status change. Completion is allowed straight from Requested because a
    /// recorded collection proves the visit happened even if nobody confirmed it in time.
    /// Staying in the same status is not a transition and is rejected too.
    pub fn transition(self, to: VisitStatus) -> Result<(), VisitRuleError> {
        use VisitStatus::*;
        let allowed = matches!(
            (self, to),
            (Requested, Confirmed)
                | (Requested | Confirmed, Cancelled)
                | (Requested | Confirmed, Completed)
                | (Confirmed, NoShow)
        );
        if allowed {
            Ok(())
        } else {
            Err(VisitRuleError::InvalidTransition { from: self, to })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_labels_parse_back() {
        for h in HalfDay::ALL {
            assert_eq!(HalfDay::parse(h.code()), Some(h));
        }
        assert_eq!(Session::parse("full_day"), Some(Session::FullDay));
        assert_eq!(HalfDay::parse("pm"), Some(HalfDay::Pm));
        assert_eq!(Session::parse("EVENING"), None);
        assert_eq!(VisitStatus::parse("DONE"), None);
    }

    #[test]
    fn stored_codes_stay_as_they_were() {
        assert_eq!(HalfDay::ALL.map(HalfDay::code), ["AM", "PM"]);
        assert_eq!(Session::ALL.map(Session::code), ["MORNING", "AFTERNOON", "FULL_DAY"]);
        let statuses = ["REQUESTED", "CONFIRMED", "COMPLETED", "CANCELLED", "NO_SHOW"];
        assert_eq!(VisitStatus::ALL.map(VisitStatus::code), statuses);
        assert_eq!("NO_SHOW".parse(), Ok(VisitStatus::NoShow));
        assert!("no_show".parse::<VisitStatus>().is_err(), "a stored code is exact");
        assert_eq!(Session::FullDay.to_string(), "FULL_DAY");
    }

    #[test]
    fn a_full_day_occupies_both_halves_and_a_half_day_only_its_own() {
        assert_eq!(Session::Morning.halves(), &[HalfDay::Am]);
        assert_eq!(Session::Afternoon.halves(), &[HalfDay::Pm]);
        assert_eq!(Session::FullDay.halves(), &[HalfDay::Am, HalfDay::Pm]);
    }

    #[test]
    fn a_half_day_gets_half_the_daily_capacity_rounded_down() {
        assert_eq!(Session::FullDay.capacity(61), 61);
        assert_eq!(Session::Morning.capacity(61), 30);
        assert_eq!(Session::Afternoon.capacity(60), 30);
    }

    #[test]
    fn only_a_cancelled_visit_frees_its_slot() {
        for s in VisitStatus::ALL {
            assert_eq!(s.is_live(), s != VisitStatus::Cancelled, "{s}");
        }
    }

    #[test]
    fn exactly_the_documented_transitions_are_allowed() {
        use VisitStatus::*;
        let allowed = [
            (Requested, Confirmed),
            (Requested, Cancelled),
            (Confirmed, Cancelled),
            (Confirmed, Completed),
            (Requested, Completed),
            (Confirmed, NoShow),
        ];
        for from in VisitStatus::ALL {
            for to in VisitStatus::ALL {
                let result = from.transition(to);
                if allowed.contains(&(from, to)) {
                    assert_eq!(result, Ok(()), "{from} -> {to}");
                } else {
                    let err = result.expect_err(&format!("{from} -> {to}"));
                    assert_eq!(err.code(), "INVALID_TRANSITION");
                }
            }
        }
    }

    #[test]
    fn a_rejected_transition_names_both_statuses_in_chinese() {
        let err = VisitStatus::Cancelled.transition(VisitStatus::Confirmed).unwrap_err();
        assert_eq!(err.to_string(), "采血活动状态不能从「已取消」改为「已确认」");
    }
}
