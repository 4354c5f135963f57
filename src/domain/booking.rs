//! The rules a liaison's vehicle booking must pass, and what is still free to book.
use std::collections::HashSet;

use chrono::{Datelike, Days, NaiveDate};

use super::ids::VehicleId;
use super::visit::{HalfDay, Session};
use super::work_calendar::{weekday_zh, WorkCalendar};

/// The office's tunable limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingPolicy {
    /// A booking must be at least this many days ahead, so the station can staff the vehicle.
    pub lead_time_days: i64,
    /// A liaison may cancel or reschedule only up to this many days before the visit; after
    /// that the station has already planned staff and only the office may change it.
    pub liaison_cutoff_days: i64,
}

impl Default for BookingPolicy {
    fn default() -> Self {
        BookingPolicy { lead_time_days: 2, liaison_cutoff_days: 3 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingRequest {
    pub date: NaiveDate,
    pub session: Session,
    pub expected_donors: i32,
    /// The booked vehicle's daily capacity.
    pub capacity_per_day: i32,
    /// `Some(year)` when the holder has a quota in the plan of the date's year.
    pub plan_year: Option<i32>,
    /// The office may book at short notice.
    pub lead_time_override: bool,
    /// The office may book any day (a drive on 世界献血者日, a Sunday), giving a reason.
    pub day_override: bool,
    /// The holder accepts visits on weekends (malls, enterprises): its plain Saturdays and
    /// Sundays are bookable; holidays are not.
    pub weekends_allowed: bool,
}

/// A period a vehicle is out of service (maintenance, another duty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blackout {
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
    pub reason: String,
}

impl Blackout {
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.from <= date && date <= self.to
    }
}

/// Why a booking or a change is refused, worded so a liaison knows what to do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookingRejection {
    #[error("{date}已经过去，请选择今天以后的日期")]
    DateInPast { date: NaiveDate },
    #[error("本单位没有{year}年的献血计划，只能预约有计划年度内的日期")]
    NoQuotaForYear { year: i32 },
    #[error("{year}年的节假日安排尚未录入，暂不能预约该年的日期，请联系市献血办")]
    NoWorkCalendar { year: i32 },
    #[error("{date}是{name}假期，采血车不出车，请另选日期")]
    Holiday { date: NaiveDate, name: String },
    #[error("{date}（{}）不是工作日，请另选日期", weekday_zh(*.date))]
    NotAWorkingDay { date: NaiveDate },
    #[error("采血车在{from}至{to}停用（{reason}），请另选日期或车辆")]
    VehicleBlackout { from: NaiveDate, to: NaiveDate, reason: String },
    #[error("需至少提前{lead_time_days}天预约，最早可预约{earliest}（{}）", weekday_zh(*.earliest))]
    LeadTime { lead_time_days: i64, earliest: NaiveDate },
    #[error("预计献血人数应在1到{max}人之间（{}场次），现填{expected}人", .session.label_zh())]
    ExpectedDonorsOutOfRange { expected: i32, max: i32, session: Session },
    #[error("采血日期前{cutoff_days}天起联络员不能取消或改期（截止{deadline}），请联系市献血办")]
    ChangeCutoffPassed { cutoff_days: i64, deadline: NaiveDate },
}

impl BookingRejection {
    /// The stable code clients switch on.
    pub fn code(&self) -> &'static str {
        match self {
            BookingRejection::DateInPast { .. } => "DATE_IN_PAST",
            BookingRejection::NoQuotaForYear { .. } => "NO_QUOTA_FOR_YEAR",
            BookingRejection::NoWorkCalendar { .. } => "NO_WORK_CALENDAR",
            BookingRejection::Holiday { .. } => "HOLIDAY",
            BookingRejection::NotAWorkingDay { .. } => "NOT_A_WORKING_DAY",
            BookingRejection::VehicleBlackout { .. } => "VEHICLE_BLACKOUT",
            BookingRejection::LeadTime { .. } => "LEAD_TIME",
            BookingRejection::ExpectedDonorsOutOfRange { .. } => "EXPECTED_DONORS_OUT_OF_RANGE",
            BookingRejection::ChangeCutoffPassed { .. } => "CHANGE_CUTOFF_PASSED",
        }
    }
}

/// Checks one booking. The order matters: the first failing rule is the one reported, and
/// the order goes from what the liaison cannot change (the date is gone, no plan) to what a
/// small edit fixes (the donor count). Slot conflicts are the database's job.
pub fn check_booking(
    req: &BookingRequest,
    today: NaiveDate,
    calendar: &WorkCalendar,
    vehicle_blackouts: &[Blackout],
    policy: BookingPolicy,
) -> Result<(), BookingRejection> {
    let date = req.date;
    if date < today {
        return Err(BookingRejection::DateInPast { date });
    }
    if req.plan_year != Some(date.year()) {
        return Err(BookingRejection::NoQuotaForYear { year: date.year() });
    }
    // Without the year's holidays every weekday would look bookable, 元旦 and 春节 included.
    if !calendar.covers_year(date.year()) {
        return Err(BookingRejection::NoWorkCalendar { year: date.year() });
    }
    if !req.day_override {
        if let Some(name) = calendar.holiday_name(date) {
            return Err(BookingRejection::Holiday { date, name: name.to_owned() });
        }
        if !calendar.is_visit_day(date, req.weekends_allowed) {
            return Err(BookingRejection::NotAWorkingDay { date });
        }
    }
    if let Some(b) = vehicle_blackouts.iter().find(|b| b.covers(date)) {
        return Err(BookingRejection::VehicleBlackout { from: b.from, to: b.to, reason: b.reason.clone() });
    }
    let lead_limit = add_days(today, policy.lead_time_days);
    if !req.lead_time_override && date < lead_limit {
        return Err(BookingRejection::LeadTime {
            lead_time_days: policy.lead_time_days,
            earliest: first_working_day_from(lead_limit, calendar),
        });
    }
    let max = req.session.capacity(req.capacity_per_day);
    if !(1..=max).contains(&req.expected_donors) {
        return Err(BookingRejection::ExpectedDonorsOutOfRange {
            expected: req.expected_donors,
            max,
            session: req.session,
        });
    }
    Ok(())
}

/// Whether a visit may still be cancelled or rescheduled. The office always may. A liaison
/// may change a visit the office has not confirmed yet until the day before it (nothing is
/// planned on it yet), and a confirmed one only until `liaison_cutoff_days` before it,
/// inclusive: the cutoff protects the station's staffing of confirmed visits.
pub fn may_change_visit(
    role_is_office: bool,
    confirmed: bool,
    visit_date: NaiveDate,
    today: NaiveDate,
    policy: BookingPolicy,
) -> Result<(), BookingRejection> {
    if role_is_office {
        return Ok(());
    }
    let cutoff_days = if confirmed { policy.liaison_cutoff_days } else { 1 };
    let deadline = add_days(visit_date, -cutoff_days);
    if today <= deadline {
        Ok(())
    } else {
        Err(BookingRejection::ChangeCutoffPassed { cutoff_days, deadline })
    }
}

/// A warning when a visit expects more donors than the holder's quota still needs. The
/// figures are the fulfilment's: `remaining` is quota − collected (never negative), and
/// `booked_elsewhere` the expected donors of the holder's other visits still to come. More
/// donors are always welcome (and bookings run above need because of no-shows), so this
/// never refuses the booking.
pub fn remaining_quota_warning(remaining: i64, booked_elsewhere: i64, expected: i64) -> Option<String> {
    let open = remaining - booked_elsewhere;
    if expected <= open {
        return None;
    }
    Some(if remaining <= 0 {
        format!("本年度计划已全部完成，本次预计{expected}人将全部超出计划；超计划献血同样欢迎，仅作提示")
    } else if open <= 0 {
        format!(
            "本年度计划尚余{remaining}人次，已由其他已预约的{booked_elsewhere}人覆盖，\
             本次预计{expected}人将全部超出计划；超计划献血同样欢迎，仅作提示"
        )
    } else {
        format!(
            "本年度计划尚余{remaining}人次，其他已预约{booked_elsewhere}人，本次预计{expected}人，\
             超出{}人次；超计划献血同样欢迎，仅作提示",
            expected - open
        )
    })
}

/// Every bookable (vehicle, date, session) among `dates`: from `earliest` on (today plus the
/// lead time), in years with a work calendar, working days only, vehicles not blacked out,
/// and a session only when all its half days are free — what [`check_booking`] would let
/// the caller book. Sorted by date, then vehicle, then session (上午, 下午, 全天), without
/// duplicates.
pub fn free_sessions(
    dates: impl Iterator<Item = NaiveDate>,
    earliest: NaiveDate,
    weekends_allowed: bool,
    vehicles: &[(VehicleId, Vec<Blackout>)],
    taken: &HashSet<(VehicleId, NaiveDate, HalfDay)>,
    calendar: &WorkCalendar,
) -> Vec<(VehicleId, NaiveDate, Session)> {
    let mut free = Vec::new();
    let bookable = |d: &NaiveDate| {
        *d >= earliest && calendar.covers_year(d.year()) && calendar.is_visit_day(*d, weekends_allowed)
    };
    for date in dates.filter(bookable) {
        for (vehicle, blackouts) in vehicles {
            if blackouts.iter().any(|b| b.covers(date)) {
                continue;
            }
            for session in Session::ALL {
                if session.halves().iter().all(|h| !taken.contains(&(*vehicle, date, *h))) {
                    free.push((*vehicle, date, session));
                }
            }
        }
    }
    free.sort_unstable_by_key(|&(vehicle, date, session)| (date, vehicle, session));
    free.dedup();
    free
}

/// The first day a booking made on `today` may name without the office's override.
pub fn earliest_bookable(today: NaiveDate, policy: BookingPolicy) -> NaiveDate {
    add_days(today, policy.lead_time_days.max(0))
}

/// Saturating, so absurd policy values cannot panic.
fn add_days(date: NaiveDate, days: i64) -> NaiveDate {
    let shifted = if days >= 0 {
        date.checked_add_days(Days::new(days.unsigned_abs()))
    } else {
        date.checked_sub_days(Days::new(days.unsigned_abs()))
    };
    shifted.unwrap_or(if days >= 0 { NaiveDate::MAX } else { NaiveDate::MIN })
}

/// The lead-time message names a day that can actually be booked, not a Sunday. Bounded,
/// because no real calendar has a month without a working day.
fn first_working_day_from(start: NaiveDate, calendar: &WorkCalendar) -> NaiveDate {
    start.iter_days().take(31).find(|d| calendar.is_working_day(*d)).unwrap_or(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn cal2020() -> WorkCalendar {
        WorkCalendar::parse(include_str!("../../seeds/holidays/2020.toml")).unwrap()
    }

    /// Monday 2020-03-09, booked a week ahead from Monday 2020-03-02.
    fn good_request() -> BookingRequest {
        BookingRequest {
            date: d(2020, 3, 9),
            session: Session::Morning,
            expected_donors: 30,
            capacity_per_day: 60,
            plan_year: Some(2020),
            lead_time_override: false,
            day_override: false,
            weekends_allowed: false,
        }
    }

    /// Monday 2020-03-02.
    fn today() -> NaiveDate {
        d(2020, 3, 2)
    }

    fn check(req: &BookingRequest, today: NaiveDate, blackouts: &[Blackout]) -> Result<(), BookingRejection> {
        check_booking(req, today, &cal2020(), blackouts, BookingPolicy::default())
    }

    fn code(result: Result<(), BookingRejection>) -> &'static str {
        result.map_or_else(|e| e.code(), |()| "OK")
    }

    #[test]
    fn a_good_booking_passes() {
        assert_eq!(check(&good_request(), today(), &[]), Ok(()));
    }

    #[test]
    fn a_past_date_is_refused_before_anything_else() {
        let req = BookingRequest { date: d(2020, 1, 27), plan_year: None, ..good_request() };
        let err = check(&req, today(), &[]).unwrap_err();
        assert_eq!(err.code(), "DATE_IN_PAST");
        assert_eq!(err.to_string(), "2020-01-27已经过去，请选择今天以后的日期");
    }

    #[test]
    fn a_date_outside_the_holders_plan_years_is_refused() {
        let next_year = BookingRequest { date: d(2021, 3, 8), ..good_request() };
        let err = check(&next_year, today(), &[]).unwrap_err();
        assert_eq!(err.code(), "NO_QUOTA_FOR_YEAR");
        assert!(err.to_string().contains("2021年"));
        let no_quota = BookingRequest { plan_year: None, ..good_request() };
        assert_eq!(code(check(&no_quota, today(), &[])), "NO_QUOTA_FOR_YEAR");
    }

    #[test]
    fn a_year_without_a_work_calendar_is_refused() {
        // 2021 has a quota but, in this calendar, no holidays: 元旦 would look bookable.
        let req = BookingRequest { date: d(2021, 1, 1), plan_year: Some(2021), ..good_request() };
        let err = check(&req, d(2020, 12, 1), &[]).unwrap_err();
        assert_eq!(err.code(), "NO_WORK_CALENDAR");
        assert_eq!(err.to_string(), "2021年的节假日安排尚未录入，暂不能预约该年的日期，请联系市献血办");
    }

    #[test]
    fn a_holiday_is_refused_by_name_even_on_a_weekend() {
        for date in [d(2020, 10, 5), d(2020, 10, 3)] {
            let req = BookingRequest { date, ..good_request() };
            let err = check(&req, d(2020, 9, 1), &[]).unwrap_err();
            assert_eq!(err.code(), "HOLIDAY");
            assert!(err.to_string().contains("国庆节、中秋节假期"), "{err}");
        }
    }

    #[test]
    fn a_plain_weekend_is_refused_but_a_makeup_working_day_is_bookable() {
        let saturday = BookingRequest { date: d(2020, 3, 14), ..good_request() };
        let err = check(&saturday, today(), &[]).unwrap_err();
        assert_eq!(err.code(), "NOT_A_WORKING_DAY");
        assert_eq!(err.to_string(), "2020-03-14（星期六）不是工作日，请另选日期");
        let makeup_sunday = BookingRequest { date: d(2020, 4, 26), ..good_request() };
        assert_eq!(check(&makeup_sunday, today(), &[]), Ok(()));
    }

    #[test]
    fn the_office_books_any_day_with_a_reason_and_weekend_holders_their_weekends() {
        // 世界献血者日, Sunday 14 June 2020, and 端午节 on Thursday 25 June.
        let donor_day = BookingRequest { date: d(2020, 6, 14), ..good_request() };
        assert_eq!(code(check(&donor_day, today(), &[])), "NOT_A_WORKING_DAY");
        let mall = BookingRequest { weekends_allowed: true, ..donor_day };
        assert_eq!(check(&mall, today(), &[]), Ok(()));
        let dragon_boat = BookingRequest { date: d(2020, 6, 25), weekends_allowed: true, ..good_request() };
        assert_eq!(code(check(&dragon_boat, today(), &[])), "HOLIDAY", "weekends, not holidays");
        for date in [d(2020, 6, 14), d(2020, 6, 25)] {
            let office = BookingRequest { date, day_override: true, ..good_request() };
            assert_eq!(check(&office, today(), &[]), Ok(()), "{date}");
        }
    }

    #[test]
    fn a_vehicle_blackout_is_refused_with_its_reason() {
        let blackouts = [Blackout { from: d(2020, 3, 9), to: d(2020, 3, 13), reason: "年检".into() }];
        let err = check(&good_request(), today(), &blackouts).unwrap_err();
        assert_eq!(err.code(), "VEHICLE_BLACKOUT");
        assert_eq!(err.to_string(), "采血车在2020-03-09至2020-03-13停用（年检），请另选日期或车辆");
        let after = BookingRequest { date: d(2020, 3, 16), ..good_request() };
        assert_eq!(check(&after, today(), &blackouts), Ok(()));
    }

    #[test]
    fn short_notice_is_refused_unless_the_office_overrides() {
        // Thursday 2020-03-05: two days ahead is Saturday, so the earliest is Monday.
        let today = d(2020, 3, 5);
        let tomorrow = BookingRequest { date: d(2020, 3, 6), ..good_request() };
        let err = check(&tomorrow, today, &[]).unwrap_err();
        assert_eq!(err.code(), "LEAD_TIME");
        assert_eq!(err.to_string(), "需至少提前2天预约，最早可预约2020-03-09（星期一）");
        let overridden = BookingRequest { lead_time_override: true, ..tomorrow };
        assert_eq!(check(&overridden, today, &[]), Ok(()));
        let same_day = BookingRequest { date: today, lead_time_override: true, ..good_request() };
        assert_eq!(check(&same_day, today, &[]), Ok(()));
    }

    #[test]
    fn exactly_the_lead_time_ahead_is_enough() {
        let req = BookingRequest { date: d(2020, 3, 4), ..good_request() };
        assert_eq!(check(&req, today(), &[]), Ok(()));
        let req = BookingRequest { date: d(2020, 3, 3), ..good_request() };
        assert_eq!(code(check(&req, today(), &[])), "LEAD_TIME");
    }

    #[test]
    fn expected_donors_must_fit_the_sessions_capacity() {
        let too_many = BookingRequest { expected_donors: 31, ..good_request() };
        let err = check(&too_many, today(), &[]).unwrap_err();
        assert_eq!(err.code(), "EXPECTED_DONORS_OUT_OF_RANGE");
        assert_eq!(err.to_string(), "预计献血人数应在1到30人之间（上午场次），现填31人");
        let none = BookingRequest { expected_donors: 0, ..good_request() };
        assert_eq!(code(check(&none, today(), &[])), "EXPECTED_DONORS_OUT_OF_RANGE");
        let full_day = BookingRequest { session: Session::FullDay, expected_donors: 60, ..good_request() };
        assert_eq!(check(&full_day, today(), &[]), Ok(()));
    }

    #[test]
    fn a_liaison_may_change_a_confirmed_visit_until_the_cutoff_and_the_office_always() {
        let visit = d(2020, 3, 12);
        let policy = BookingPolicy::default();
        assert_eq!(may_change_visit(false, true, visit, d(2020, 3, 9), policy), Ok(()));
        let err = may_change_visit(false, true, visit, d(2020, 3, 10), policy).unwrap_err();
        assert_eq!(err.code(), "CHANGE_CUTOFF_PASSED");
        assert_eq!(err.to_string(), "采血日期前3天起联络员不能取消或改期（截止2020-03-09），请联系市献血办");
        assert_eq!(may_change_visit(true, true, visit, d(2020, 3, 12), policy), Ok(()));
    }

    #[test]
    fn a_liaison_may_withdraw_an_unconfirmed_visit_until_the_day_before() {
        let visit = d(2020, 3, 12);
        let policy = BookingPolicy::default();
        assert_eq!(may_change_visit(false, false, visit, d(2020, 3, 11), policy), Ok(()));
        let err = may_change_visit(false, false, visit, d(2020, 3, 12), policy).unwrap_err();
        assert_eq!(err.code(), "CHANGE_CUTOFF_PASSED");
    }

    #[test]
    fn exceeding_the_remaining_quota_is_only_a_warning() {
        assert_eq!(remaining_quota_warning(100, 40, 60), None);
        let over = remaining_quota_warning(100, 80, 30).unwrap();
        assert!(over.contains("尚余100人次") && over.contains("超出10人次"), "{over}");
        let covered = remaining_quota_warning(100, 120, 30).unwrap();
        assert!(
            covered.contains("已由其他已预约的120人覆盖") && covered.contains("全部超出计划"),
            "{covered}"
        );
        let done = remaining_quota_warning(0, 0, 30).unwrap();
        assert!(done.starts_with("本年度计划已全部完成"), "{done}");
    }

    #[test]
    fn free_sessions_follow_the_half_day_occupancy() {
        let cal = cal2020();
        // Thursday to Monday, the Sunday a make-up working day (劳动节).
        let dates =
            [d(2020, 4, 23), d(2020, 4, 24), d(2020, 4, 25), d(2020, 4, 26), d(2020, 4, 27)].into_iter();
        let vehicles = vec![
            (VehicleId(2), vec![]),
            (
                VehicleId(1),
                vec![Blackout { from: d(2020, 4, 27), to: d(2020, 4, 27), reason: "维修".into() }],
            ),
        ];
        let taken: HashSet<_> =
            [(VehicleId(1), d(2020, 4, 24), HalfDay::Am), (VehicleId(2), d(2020, 4, 26), HalfDay::Pm)].into();
        // Booked on Wednesday 04-22: Thursday is inside the two days' lead time.
        let free: Vec<_> = free_sessions(dates, d(2020, 4, 24), false, &vehicles, &taken, &cal)
            .into_iter()
            .map(|(v, date, session)| (v.0, date, session))
            .collect();
        use Session::*;
        assert_eq!(
            free,
            vec![
                (1, d(2020, 4, 24), Afternoon),
                (2, d(2020, 4, 24), Morning),
                (2, d(2020, 4, 24), Afternoon),
                (2, d(2020, 4, 24), FullDay),
                (1, d(2020, 4, 26), Morning),
                (1, d(2020, 4, 26), Afternoon),
                (1, d(2020, 4, 26), FullDay),
                (2, d(2020, 4, 26), Morning),
                (2, d(2020, 4, 27), Morning),
                (2, d(2020, 4, 27), Afternoon),
                (2, d(2020, 4, 27), FullDay),
            ]
        );
    }

    #[test]
    fn a_blackout_covers_both_its_ends() {
        let b = Blackout { from: d(2020, 3, 9), to: d(2020, 3, 10), reason: String::new() };
        assert!(!b.covers(d(2020, 3, 8)));
        assert!(b.covers(d(2020, 3, 9)));
        assert!(b.covers(d(2020, 3, 10)));
        assert!(!b.covers(d(2020, 3, 11)));
    }
}
