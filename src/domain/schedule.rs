//! A proposed visit schedule that fills every holder's remaining quota: a pure,
//! deterministic solver (same input, same proposal), no database.
//!
//! **Hard constraints** (never broken; the property tests check each): a vehicle takes at
//! most its `Session::capacity` in expected donors; no vehicle half-day is used twice, the
//! existing live visits included; no visit in a vehicle's blackout, on a public holiday or
//! an excluded date, or on a plain weekend unless the holder allows weekends (make-up
//! working days are working days); a term-bound holder (universities) only inside its term
//! windows; two visits of a *small* holder at least the whole-blood donation interval apart
//! ([`whole_blood_interval_days`]); at most one visit of a holder a day; nothing outside
//! `[from, to]`.
//!
//! **Small holder**: one whose yearly quota a single full day of the largest vehicle can
//! collect (quota ≤ ⌊capacity ÷ bookings per donation⌋, 40 at 60 a day and 1.5): its donors
//! are few, so a second visit sooner than the donation interval finds nobody eligible. A big
//! holder (湖北科技学院 2,800, a county 1,600) may have visits on consecutive days.
//!
//! **Heuristic** (greedy, one pass over the days, heaps instead of scans):
//! - *Pacing*: the need is spread over the working days; each day places donations until
//!   the cumulative even curve is reached, so every month gets its even share.
//! - *Order*: earliest due first. Each holder's next visit has a due day that spaces its
//!   remaining visits evenly over its remaining eligible days (term-bound holders over the
//!   first `early_term_weeks` of each term while their visits fit there); a holder whose
//!   remaining visits need every remaining eligible day is served even past the day's pace.
//!   When the whole need cannot fit the fleet, the holder with the most remaining need goes
//!   first instead, so every vehicle-day is filled and the fewest donations stay unplaced.
//! - *Fewest vehicle-days*: a holder needing more than half a day gets a full day; smaller
//!   ones get half days paired on one vehicle; the largest vehicles are used first.
//! - *Grouping*: a holder's visits stay on its last vehicle when it is free, and a half day
//!   goes beside a half day of the same area (county), so one area's visits share days.
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};

use super::ids::{UnitId, VehicleId};
use super::visit::{HalfDay, Session};
use super::work_calendar::WorkCalendar;

/// Bookings planned per expected donation, in thousandths (1.5 → 1,500): no-shows and
/// deferrals mean 60 bookings give about 40 donations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BookingRate(u32);

impl BookingRate {
    pub const DEFAULT: BookingRate = BookingRate(1_500);
    const MIN_MILLI: u32 = 1_000;
    const MAX_MILLI: u32 = 5_000;
    /// A kind's recorded collections teach its rate only with at least this many visits and
    /// donations behind them.
    pub const MIN_LEARNING_VISITS: i64 = 20;
    pub const MIN_LEARNING_DONATIONS: i64 = 400;

    /// Between 1 and 5 bookings per donation.
    pub fn parse(value: f64) -> Result<BookingRate, ScheduleError> {
        if !value.is_finite() || !(1.0..=5.0).contains(&value) {
            return Err(ScheduleError::BadRate);
        }
        Ok(BookingRate((value * 1_000.0).round() as u32))
    }

    /// Learned from recorded collections (bookings made, donations given), clamped to the
    /// accepted range; `None` without enough data.
    pub fn learned(visits: i64, bookings: i64, donations: i64) -> Option<BookingRate> {
        if visits < Self::MIN_LEARNING_VISITS || donations < Self::MIN_LEARNING_DONATIONS || bookings <= 0 {
            return None;
        }
        let milli = bookings.checked_mul(1_000)? / donations;
        let milli = milli.clamp(i64::from(Self::MIN_MILLI), i64::from(Self::MAX_MILLI));
        Some(BookingRate(u32::try_from(milli).ok()?))
    }

    /// Bookings to plan for `donations`: ⌈donations × rate⌉.
    pub fn bookings(self, donations: i64) -> i64 {
        let milli = i64::from(self.0);
        (donations.saturating_mul(milli) + 999) / 1_000
    }

    /// The most donations whose bookings fit `capacity`: ⌊capacity ÷ rate⌋.
    pub fn donations_within(self, capacity: i64) -> i64 {
        capacity.max(0).saturating_mul(1_000) / i64::from(self.0)
    }
}

/// A dated rule of the minimum days between two whole-blood donations of one donor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DonationInterval {
    /// (year, month, day) from which the rule applies.
    pub effective: (i32, u32, u32),
    pub days: i64,
    pub source: &'static str,
    /// A draft is listed but never picked until it is adopted (then it gets its date).
    pub in_force: bool,
}

/// The whole-blood interval rules, oldest first. Changing the rule is a new row here.
pub const WHOLE_BLOOD_INTERVALS: [DonationInterval; 2] = [
    DonationInterval {
        effective: (1998, 10, 1),
        days: 180,
        source: "献血法及献血者健康检查要求：两次全血献血间隔不少于6个月",
        in_force: true,
    },
    DonationInterval {
        effective: (2025, 1, 1),
        days: 90,
        source: "2025年修订草案（征求意见稿）：全血献血间隔不少于90天",
        in_force: false,
    },
];

/// The interval in force on `on`: the latest rule in force that took effect by then.
pub fn whole_blood_interval_days(on: NaiveDate) -> i64 {
    WHOLE_BLOOD_INTERVALS
        .iter()
        .rev()
        .find(|r| {
            let (y, m, d) = r.effective;
            r.in_force && NaiveDate::from_ymd_opt(y, m, d).is_some_and(|e| e <= on)
        })
        .map_or(180, |r| r.days)
}

/// When a term-bound holder may be visited.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Terms {
    /// Not term-bound: any allowed day.
    Any,
    /// Inclusive term windows (the reminders' term calendar: the holder's own or the default).
    Windows(Vec<(NaiveDate, NaiveDate)>),
    /// Term-bound but the year has no term dates: nothing can be placed.
    Missing,
}

/// A quota holder as the solver sees it.
#[derive(Debug, Clone)]
pub struct Holder {
    pub id: UnitId,
    /// Holders of one area (a county and its sub-units; every city-level holder shares the
    /// city's key) are grouped on the same vehicle-days.
    pub area: i64,
    pub quota: i64,
    /// The remaining quota exactly as fulfilment reports it (quota − collected).
    pub remaining: i64,
    pub weekends_allowed: bool,
    pub terms: Terms,
    pub rate: BookingRate,
}

#[derive(Debug, Clone)]
pub struct Vehicle {
    pub id: VehicleId,
    pub capacity_per_day: i32,
    /// Inclusive periods out of service.
    pub blackouts: Vec<(NaiveDate, NaiveDate)>,
}

/// A live visit already booked: it keeps its vehicle's half-days and is never moved.
#[derive(Debug, Clone)]
pub struct ExistingVisit {
    pub unit: UnitId,
    pub vehicle: VehicleId,
    pub date: NaiveDate,
    pub session: Session,
    pub expected_donors: i32,
    /// Still to happen (requested or confirmed): its expected donations count toward the
    /// holder's need and its month. A completed visit is in the collected figures already.
    pub booked: bool,
}

/// The office's fixed choice: this holder on this date (on this vehicle, in this session).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub unit: UnitId,
    pub date: NaiveDate,
    pub vehicle: Option<VehicleId>,
    pub session: Option<Session>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// A month below this share of its even share is flagged.
    pub monthly_floor_share: f64,
    /// A month may deviate from its even share by this much (±) and still be even.
    pub spread_band: f64,
    /// Term-bound holders are preferably visited in these first weeks of a term.
    pub early_term_weeks: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { monthly_floor_share: 0.8, spread_band: 0.25, early_term_weeks: 4 }
    }
}

#[derive(Debug, Clone)]
pub struct Input {
    pub year: i32,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub calendar: Arc<WorkCalendar>,
    pub holders: Vec<Holder>,
    pub vehicles: Vec<Vehicle>,
    pub existing: Vec<ExistingVisit>,
    pub pins: Vec<Pin>,
    pub exclude_units: Vec<UnitId>,
    pub exclude_dates: Vec<NaiveDate>,
    pub settings: Settings,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposedVisit {
    pub unit: UnitId,
    pub vehicle: VehicleId,
    pub date: NaiveDate,
    pub session: Session,
    /// Bookings to make: ⌈donations × the holder's rate⌉, within the session's capacity.
    pub expected_donors: i32,
    /// The donations this visit is planned to collect.
    pub donations: i64,
}

/// Why part of a holder's need could not be placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UnplacedReason {
    /// The office excluded the holder.
    Excluded,
    /// A term-bound holder without term dates for the year.
    NoTermDates,
    /// No day in the range is allowed for it (term windows, weekends, holidays, exclusions).
    NoAllowedDay,
    /// The donation interval after its other visits reaches past the range.
    DonationInterval,
    /// The vehicles are full on every day it could have had.
    NoCapacity,
}

impl UnplacedReason {
    pub fn label_zh(self) -> &'static str {
        match self {
            UnplacedReason::Excluded => "已被排除",
            UnplacedReason::NoTermDates => "未设置学期日期",
            UnplacedReason::NoAllowedDay => "日期范围内没有可安排的日子",
            UnplacedReason::DonationInterval => "距其他采血活动不足献血间隔",
            UnplacedReason::NoCapacity => "采血车运力不足",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unplaced {
    pub unit: UnitId,
    pub donations: i64,
    pub reason: UnplacedReason,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MonthFigure {
    pub year: i32,
    pub month: u32,
    /// Proposed plus existing booked visits of the month (inside the range).
    pub planned_donations: i64,
    /// The range's whole need (planned + unplaced) spread by working days.
    pub even_share: i64,
    pub below_floor: bool,
    /// Within ± `spread_band` of the even share.
    pub within_band: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VehicleUse {
    pub vehicle: VehicleId,
    /// Days of the range with a visit (proposed or existing).
    pub days_used: i64,
    /// Working days of the range not excluded and not wholly blacked out.
    pub days_available: i64,
    /// `days_used / days_available` (0 without available days).
    pub utilisation: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// The first day the proposal considered: the range's start, or the first bookable day
    /// when the range starts earlier (see [`bookable_range`]).
    pub from: NaiveDate,
    pub visits: Vec<ProposedVisit>,
    pub unplaced: Vec<Unplaced>,
    pub months: Vec<MonthFigure>,
    pub vehicles: Vec<VehicleUse>,
    /// Each holder's need: remaining − the expected donations of its booked visits.
    pub need: i64,
    pub unplaced_donations: i64,
    /// The whole-blood interval applied to small holders (days, as of `from`).
    pub interval_days: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("开始日期{from}晚于结束日期{to}。")]
    RangeReversed { from: NaiveDate, to: NaiveDate },
    #[error("日期范围{from}至{to}须在{year}年内。")]
    RangeOutsideYear { year: i32, from: NaiveDate, to: NaiveDate },
    #[error("没有可用的采血车，无法编排。")]
    NoVehicles,
    #[error("每人次献血的预约人数须在 1 到 5 之间。")]
    BadRate,
    #[error("固定安排无法放入：{0}。")]
    Pin(String),
    #[error("{to}之前已来不及安排采血活动（须提前预约），最早可安排{earliest}。")]
    RangePast { to: NaiveDate, earliest: NaiveDate },
    #[error("{year}年的节假日安排尚未录入，暂不能编排该年的采血活动，请先导入节假日安排。")]
    NoWorkCalendar { year: i32 },
}

impl ScheduleError {
    pub fn code(&self) -> &'static str {
        match self {
            ScheduleError::RangeReversed { .. } => "SCHEDULE_RANGE_REVERSED",
            ScheduleError::RangeOutsideYear { .. } => "SCHEDULE_RANGE_OUTSIDE_YEAR",
            ScheduleError::NoVehicles => "NO_VEHICLES",
            ScheduleError::BadRate => "BAD_BOOKINGS_PER_DONATION",
            ScheduleError::Pin(_) => "PIN_NOT_PLACEABLE",
            ScheduleError::RangePast { .. } => "SCHEDULE_RANGE_PAST",
            // The booking rules' code for the same refusal.
            ScheduleError::NoWorkCalendar { .. } => "NO_WORK_CALENDAR",
        }
    }
}

const AM: u8 = 1;
const PM: u8 = 2;
const BOTH: u8 = AM | PM;
const NEVER: u32 = u32::MAX;

fn half_bit(h: HalfDay) -> u8 {
    match h {
        HalfDay::Am => AM,
        HalfDay::Pm => PM,
    }
}

fn session_bits(s: Session) -> u8 {
    s.halves().iter().fold(0, |bits, h| bits | half_bit(*h))
}

/// Days a holder class may be visited, with prefix counts for "how many from day t on".
struct Class {
    allowed: Vec<bool>,
    days: Vec<u32>,
    before: Vec<u32>,
    preferred: Vec<u32>,
    preferred_before: Vec<u32>,
    heap: BinaryHeap<Reverse<(i64, u32)>>,
}

impl Class {
    fn new(allowed: Vec<bool>, preferred_mask: Option<Vec<bool>>) -> Class {
        let index = |mask: &[bool]| {
            let mut days = Vec::new();
            let mut before = Vec::with_capacity(mask.len() + 1);
            for (t, ok) in mask.iter().enumerate() {
                before.push(days.len() as u32);
                if *ok {
                    days.push(t as u32);
                }
            }
            before.push(days.len() as u32);
            (days, before)
        };
        let (days, before) = index(&allowed);
        let (preferred, preferred_before) = match preferred_mask {
            Some(mask) => index(&mask),
            None => (Vec::new(), vec![0; allowed.len() + 1]),
        };
        Class { allowed, days, before, preferred, preferred_before, heap: BinaryHeap::new() }
    }

    fn left_from(&self, t: u32) -> u32 {
        self.days.len() as u32 - self.before[t as usize]
    }
}

/// The solver's view of one holder while it runs.
struct State {
    need: i64,
    visits_left_size: i64,
    class: Option<usize>,
    small: bool,
    phase: f64,
    served: bool,
    last_vehicle: Option<usize>,
    /// Dates of its existing, pinned and proposed visits.
    dates: Vec<NaiveDate>,
}

fn phase_of(id: UnitId) -> f64 {
    let mut z = (id.0 as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

struct Solver<'a> {
    input: &'a Input,
    days: Vec<NaiveDate>,
    /// Per vehicle and day: the used half-days (blackouts use both).
    occupied: Vec<u8>,
    /// Per vehicle and day: the area of whoever holds one half (for pairing).
    area_on: HashMap<(usize, u32), i64>,
    vehicle_of: HashMap<VehicleId, usize>,
    holder_of: HashMap<UnitId, usize>,
    order: Vec<usize>,
    classes: Vec<Class>,
    states: Vec<State>,
    visits: Vec<ProposedVisit>,
    used_day: Vec<bool>,
    scarce: bool,
}

impl Solver<'_> {
    fn slot(&self, v: usize, t: u32) -> usize {
        v * self.days.len() + t as usize
    }

    fn day_index(&self, d: NaiveDate) -> Option<u32> {
        (self.input.from..=self.input.to).contains(&d).then(|| (d - self.input.from).num_days() as u32)
    }

    /// Whether a small holder's visit on `d` keeps the interval to every other visit of it;
    /// if not, the first day that would.
    fn interval_clash(&self, h: usize, d: NaiveDate) -> Option<NaiveDate> {
        let state = &self.states[h];
        let mut next: Option<NaiveDate> = None;
        for e in &state.dates {
            let gap = if state.small { whole_blood_interval_days((*e).max(d)) } else { 1 };
            if (d - *e).num_days().abs() < gap {
                let after = *e + chrono::TimeDelta::days(gap);
                next = Some(next.map_or(after, |n| n.max(after)));
            }
        }
        next
    }

    fn full_visits_needed(&self, h: usize) -> i64 {
        let per = self.states[h].visits_left_size.max(1);
        (self.states[h].need + per - 1) / per
    }

    /// The heap key of a holder ready from day `t` on: its due day (or, when the fleet is
    /// short, minus its need). `None` when no allowed day is left.
    fn key(&self, h: usize, t: u32) -> Option<i64> {
        let state = &self.states[h];
        let class = &self.classes[state.class?];
        let left = class.left_from(t);
        if left == 0 {
            return None;
        }
        if self.scarce {
            return Some(-state.need);
        }
        let visits = self.full_visits_needed(h).max(1) as u32;
        let preferred_left = class.preferred.len() as u32 - class.preferred_before[t as usize];
        let (list, start, count) = if preferred_left >= visits {
            (&class.preferred, class.preferred_before[t as usize], preferred_left)
        } else {
            (&class.days, class.before[t as usize], left)
        };
        let spacing = f64::from(count) / f64::from(visits);
        let offset =
            if state.served { (spacing - 1.0).max(0.0) as u32 } else { (state.phase * spacing) as u32 };
        let offset = offset.min(count - 1);
        Some(i64::from(list[(start + offset) as usize]))
    }

    fn push(&mut self, h: usize, t: u32) {
        if let Some(key) = self.key(h, t) {
            let c = self.states[h].class.unwrap_or_default();
            self.classes[c].heap.push(Reverse((key, h as u32)));
        }
    }

    fn place(&mut self, h: usize, v: usize, t: u32, session: Session, donations: i64) {
        let holder = &self.input.holders[h];
        let date = self.days[t as usize];
        let slot = self.slot(v, t);
        self.occupied[slot] |= session_bits(session);
        self.used_day[slot] = true;
        if session != Session::FullDay {
            self.area_on.insert((v, t), holder.area);
        }
        let expected = holder.rate.bookings(donations);
        self.visits.push(ProposedVisit {
            unit: holder.id,
            vehicle: self.input.vehicles[v].id,
            date,
            session,
            expected_donors: i32::try_from(expected).unwrap_or(i32::MAX),
            donations,
        });
        let state = &mut self.states[h];
        state.need -= donations;
        state.served = true;
        state.last_vehicle = Some(v);
        state.dates.push(date);
    }

    fn free_session(&self, v: usize, t: u32) -> Option<Session> {
        match self.occupied[self.slot(v, t)] {
            0 => Some(Session::FullDay),
            AM => Some(Session::Afternoon),
            PM => Some(Session::Morning),
            _ => None,
        }
    }
}

/// A range must run forward inside its plan year.
pub fn check_range(year: i32, from: NaiveDate, to: NaiveDate) -> Result<(), ScheduleError> {
    if from > to {
        return Err(ScheduleError::RangeReversed { from, to });
    }
    if from.year() != year || to.year() != year {
        return Err(ScheduleError::RangeOutsideYear { year, from, to });
    }
    Ok(())
}

/// The range a proposal made on a day whose first bookable day is `earliest` covers:
/// `[from, to]` checked, its start moved up to `earliest`, so that every proposed visit can be
/// published under the booking lead time. A range that ends before `earliest` is refused.
pub fn bookable_range(
    year: i32,
    from: NaiveDate,
    to: NaiveDate,
    earliest: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), ScheduleError> {
    check_range(year, from, to)?;
    if to < earliest {
        return Err(ScheduleError::RangePast { to, earliest });
    }
    Ok((from.max(earliest), to))
}

/// Proposes visits for every holder's need in `[from, to]`.
pub fn propose(input: &Input) -> Result<Proposal, ScheduleError> {
    let (from, to) = (input.from, input.to);
    check_range(input.year, from, to)?;
    if input.vehicles.is_empty() {
        return Err(ScheduleError::NoVehicles);
    }
    // Without the year's holidays every weekday would look like a working day.
    if !input.calendar.covers_year(input.year) {
        return Err(ScheduleError::NoWorkCalendar { year: input.year });
    }
    let calendar = &input.calendar;
    let days: Vec<NaiveDate> = from.iter_days().take_while(|d| *d <= to).collect();
    let n = days.len();
    let excluded_dates: HashSet<NaiveDate> = input.exclude_dates.iter().copied().collect();
    let excluded_units: HashSet<UnitId> = input.exclude_units.iter().copied().collect();
    // Visit days for holders without and with weekend visits, exclusions removed; the first
    // are the working days.
    let open = |weekends: bool| -> Vec<bool> {
        days.iter().map(|d| calendar.is_visit_day(*d, weekends) && !excluded_dates.contains(d)).collect()
    };
    let open_days = [open(false), open(true)];
    let working = &open_days[0];

    let nv = input.vehicles.len();
    let vehicle_of: HashMap<VehicleId, usize> =
        input.vehicles.iter().enumerate().map(|(i, v)| (v.id, i)).collect();
    let holder_of: HashMap<UnitId, usize> =
        input.holders.iter().enumerate().map(|(i, h)| (h.id, i)).collect();
    let mut occupied = vec![0u8; nv * n];
    for (v, vehicle) in input.vehicles.iter().enumerate() {
        for (a, b) in &vehicle.blackouts {
            let (a, b) = ((*a).max(from), (*b).min(to));
            for d in a.iter_days().take_while(|d| *d <= b) {
                occupied[v * n + (d - from).num_days() as usize] = BOTH;
            }
        }
    }
    let mut order: Vec<usize> = (0..nv).collect();
    order.sort_by_key(|v| (Reverse(input.vehicles[*v].capacity_per_day), input.vehicles[*v].id));
    let largest = input.vehicles.iter().map(|v| i64::from(v.capacity_per_day)).max().unwrap_or(0);

    // Holder classes: one per (weekends, term windows), with their allowed days.
    let early = i64::from(input.settings.early_term_weeks) * 7;
    let mut class_of: BTreeMap<(bool, Vec<(NaiveDate, NaiveDate)>), usize> = BTreeMap::new();
    let mut classes: Vec<Class> = Vec::new();
    let mut states: Vec<State> = Vec::with_capacity(input.holders.len());
    for holder in &input.holders {
        let class = if holder.terms == Terms::Missing || excluded_units.contains(&holder.id) {
            None
        } else {
            let terms = &holder.terms;
            let windows = match terms {
                Terms::Windows(w) => w.clone(),
                _ => Vec::new(),
            };
            let key = (holder.weekends_allowed, windows.clone());
            let next = classes.len();
            let c = *class_of.entry(key).or_insert(next);
            if c == next {
                let bounded = matches!(terms, Terms::Windows(_));
                let in_term = |d: &NaiveDate| !bounded || windows.iter().any(|(a, b)| (*a..=*b).contains(d));
                let allowed: Vec<bool> = (0..n)
                    .map(|t| open_days[usize::from(holder.weekends_allowed)][t] && in_term(&days[t]))
                    .collect();
                let preferred = bounded.then(|| {
                    (0..n)
                        .map(|t| {
                            allowed[t]
                                && windows.iter().any(|(a, b)| {
                                    (*a..=*b).contains(&days[t]) && (days[t] - *a).num_days() < early
                                })
                        })
                        .collect()
                });
                classes.push(Class::new(allowed, preferred));
            }
            Some(c)
        };
        let full = holder.rate.donations_within(largest);
        states.push(State {
            need: holder.remaining.max(0),
            visits_left_size: full,
            class,
            small: holder.quota <= full,
            phase: phase_of(holder.id),
            served: false,
            last_vehicle: None,
            dates: Vec::new(),
        });
    }

    let mut solver = Solver {
        input,
        days,
        occupied,
        area_on: HashMap::new(),
        vehicle_of,
        holder_of,
        order,
        classes,
        states,
        visits: Vec::new(),
        used_day: vec![false; nv * n],
        scarce: false,
    };

    // Existing visits: keep their half-days, count toward the holder and the month.
    let mut existing_by_day = vec![0i64; n];
    for visit in &input.existing {
        let h = solver.holder_of.get(&visit.unit).copied();
        if let (Some(&v), Some(t)) = (solver.vehicle_of.get(&visit.vehicle), solver.day_index(visit.date)) {
            let slot = solver.slot(v, t);
            solver.occupied[slot] |= session_bits(visit.session);
            solver.used_day[slot] = true;
            if let (Some(h), true) = (h, visit.session != Session::FullDay) {
                solver.area_on.insert((v, t), input.holders[h].area);
            }
        }
        let Some(h) = h else { continue };
        solver.states[h].dates.push(visit.date);
        if visit.booked && visit.date.year() == input.year {
            let donations = input.holders[h].rate.donations_within(i64::from(visit.expected_donors));
            let state = &mut solver.states[h];
            state.need = (state.need - donations).max(0);
            if let Some(t) = solver.day_index(visit.date) {
                existing_by_day[t as usize] += donations;
            }
        }
    }
    let need: i64 = solver.states.iter().map(|s| s.need).sum();

    // Pins first, as the office asked; each must keep every hard constraint.
    let mut pinned_by_day = vec![0i64; n];
    for pin in &input.pins {
        let placed = pin_visit(&mut solver, pin, &excluded_units)?;
        pinned_by_day[placed.0 as usize] += placed.1;
    }

    // Is the fleet short? Compare the bookings needed with the free capacity.
    let need_bookings: i64 = input
        .holders
        .iter()
        .zip(&solver.states)
        .filter(|(_, s)| s.class.is_some())
        .map(|(h, s)| h.rate.bookings(s.need))
        .sum();
    let mut free_capacity = 0i64;
    for v in 0..nv {
        for (t, _) in working.iter().enumerate().filter(|(_, w)| **w) {
            let free = BOTH & !solver.occupied[v * n + t];
            let halves = i64::from(free.count_ones());
            free_capacity += halves * Session::Morning.capacity(input.vehicles[v].capacity_per_day) as i64;
        }
    }
    solver.scarce = need_bookings > free_capacity;

    // The even curve: the schedulable need (plus what is already placed) over working days.
    let schedulable: i64 = solver.states.iter().filter(|s| s.class.is_some()).map(|s| s.need).sum();
    let already: i64 = existing_by_day.iter().sum::<i64>() + pinned_by_day.iter().sum::<i64>();
    let pace_total = schedulable + already;
    let working_total = working.iter().filter(|w| **w).count().max(1) as i64;

    let mut waiting: BinaryHeap<Reverse<(u32, u32)>> = BinaryHeap::new();
    for h in 0..solver.states.len() {
        if solver.states[h].need <= 0 || solver.states[h].class.is_none() {
            continue;
        }
        match solver.interval_clash(h, from).and_then(|d| solver.day_index(d).or(Some(NEVER))) {
            Some(NEVER) => {}
            Some(t) => waiting.push(Reverse((t, h as u32))),
            None => solver.push(h, 0),
        }
    }

    let mut placed_so_far = 0i64;
    let mut working_seen = 0i64;
    for t in 0..n as u32 {
        let ti = t as usize;
        while let Some(Reverse((day, h))) = waiting.peek().copied() {
            if day > t {
                break;
            }
            waiting.pop();
            solver.push(h as usize, t);
        }
        placed_so_far += existing_by_day[ti] + pinned_by_day[ti];
        if working[ti] {
            working_seen += 1;
        }
        let target = pace_total * working_seen / working_total;
        let mut budget = target - placed_so_far;
        let date = solver.days[ti];

        // Today's free vehicles, largest first; half-free ones by the area beside them.
        let mut full_free: Vec<usize> = Vec::new();
        let mut half_free: HashMap<i64, Vec<usize>> = HashMap::new();
        let mut half_any: Vec<usize> = Vec::new();
        let mut free_halves = 0u32;
        for &v in &solver.order {
            match solver.occupied[solver.slot(v, t)] {
                0 => {
                    full_free.push(v);
                    free_halves += 2;
                }
                AM | PM => {
                    free_halves += 1;
                    match solver.area_on.get(&(v, t)) {
                        Some(a) => half_free.entry(*a).or_default().push(v),
                        None => half_any.push(v),
                    }
                }
                _ => {}
            }
        }
        full_free.reverse();
        half_any.reverse();
        for list in half_free.values_mut() {
            list.reverse();
        }

        while free_halves > 0 {
            let best = (0..solver.classes.len())
                .filter(|c| solver.classes[*c].allowed[ti])
                .filter_map(|c| solver.classes[c].heap.peek().map(|Reverse(top)| (*top, c)))
                .min();
            let Some(((_, h), c)) = best else { break };
            let h = h as usize;
            let must = solver.classes[c].left_from(t) as i64 <= solver.full_visits_needed(h);
            if budget <= 0 && !must {
                break;
            }
            solver.classes[c].heap.pop();
            if let Some(next) = solver.interval_clash(h, date) {
                let at = solver.day_index(next).unwrap_or(NEVER);
                if at != NEVER {
                    waiting.push(Reverse((at, h as u32)));
                }
                continue;
            }
            let holder = &input.holders[h];
            let state = &solver.states[h];
            let rate = holder.rate;
            let take_full = |s: &Solver, v: usize| s.occupied[s.slot(v, t)] == 0;
            // A vehicle for a full day: its last one if free, else the largest free.
            let pick_full = |s: &Solver, list: &mut Vec<usize>| -> Option<usize> {
                if let Some(v) = s.states[h].last_vehicle.filter(|v| take_full(s, *v)) {
                    return Some(v);
                }
                while let Some(v) = list.pop() {
                    if take_full(s, v) {
                        return Some(v);
                    }
                }
                None
            };
            let pick_half = |s: &Solver, list: &mut Vec<usize>| -> Option<usize> {
                while let Some(v) = list.pop() {
                    if matches!(s.occupied[s.slot(v, t)], AM | PM) {
                        return Some(v);
                    }
                }
                None
            };
            let half_donations = |v: usize| {
                rate.donations_within(Session::Morning.capacity(input.vehicles[v].capacity_per_day).into())
            };
            let wants_half = state.need <= rate.donations_within(largest / 2);
            let mut choice: Option<(usize, Session)> = None;
            if wants_half {
                let v = half_free
                    .get_mut(&holder.area)
                    .and_then(|l| pick_half(&solver, l))
                    .or_else(|| pick_half(&solver, &mut half_any));
                let v = match v {
                    Some(v) => Some(v),
                    None => {
                        let mut others: Vec<i64> = half_free.keys().copied().collect();
                        others.sort_unstable();
                        others
                            .into_iter()
                            .find_map(|a| half_free.get_mut(&a).and_then(|l| pick_half(&solver, l)))
                    }
                };
                if let Some(v) = v.filter(|v| half_donations(*v) > 0) {
                    choice = solver.free_session(v, t).map(|s| (v, s));
                } else if let Some(v) = pick_full(&solver, &mut full_free) {
                    choice = Some((v, Session::Morning));
                }
            } else if let Some(v) = pick_full(&solver, &mut full_free) {
                choice = Some((v, Session::FullDay));
            } else {
                let v = pick_half(&solver, &mut half_any).or_else(|| {
                    let mut areas: Vec<i64> = half_free.keys().copied().collect();
                    areas.sort_unstable();
                    areas.into_iter().find_map(|a| half_free.get_mut(&a).and_then(|l| pick_half(&solver, l)))
                });
                choice = v.and_then(|v| solver.free_session(v, t).map(|s| (v, s)));
            }
            let Some((v, session)) = choice else {
                waiting.push(Reverse((t + 1, h as u32)));
                continue;
            };
            let capacity = i64::from(session.capacity(input.vehicles[v].capacity_per_day));
            let donations = solver.states[h].need.min(rate.donations_within(capacity));
            if donations <= 0 {
                waiting.push(Reverse((t + 1, h as u32)));
                continue;
            }
            let half_before = solver.occupied[solver.slot(v, t)];
            solver.place(h, v, t, session, donations);
            free_halves -= session.halves().len() as u32;
            if session != Session::FullDay && half_before == 0 {
                half_free.entry(holder.area).or_default().push(v);
            }
            placed_so_far += donations;
            budget -= donations;
            if solver.states[h].need > 0 {
                let gap = if solver.states[h].small { whole_blood_interval_days(date) } else { 1 };
                let back = date + chrono::TimeDelta::days(gap);
                if let Some(at) = solver.day_index(back) {
                    waiting.push(Reverse((at, h as u32)));
                }
            }
        }
    }

    Ok(report(solver, working, &excluded_units, need))
}

/// Places one pin, or says which rule it breaks. Returns its day and donations.
fn pin_visit(
    solver: &mut Solver,
    pin: &Pin,
    excluded: &HashSet<UnitId>,
) -> Result<(u32, i64), ScheduleError> {
    let input = solver.input;
    let fail = |why: String| Err(ScheduleError::Pin(format!("{} {}：{why}", pin.unit, pin.date)));
    let Some(&h) = solver.holder_of.get(&pin.unit) else {
        return fail("该单位没有本年度任务".into());
    };
    if excluded.contains(&pin.unit) {
        return fail("该单位已被排除".into());
    }
    let Some(t) = solver.day_index(pin.date) else {
        return fail("日期不在编排范围内".into());
    };
    let Some(c) = solver.states[h].class else {
        return fail("该单位未设置学期日期".into());
    };
    if !solver.classes[c].allowed[t as usize] {
        return fail("该日不可安排（节假日、周末、学期外或已排除的日期）".into());
    }
    if solver.states[h].need <= 0 {
        return fail("该单位已无待安排的献血人次".into());
    }
    if solver.interval_clash(h, pin.date).is_some() {
        return fail("与该单位其他采血活动的间隔不足".into());
    }
    let candidates: Vec<usize> = match pin.vehicle {
        Some(id) => match solver.vehicle_of.get(&id) {
            Some(v) => vec![*v],
            None => return fail(format!("没有编号为 {id} 的可用采血车")),
        },
        None => solver.order.clone(),
    };
    let rate = input.holders[h].rate;
    let need = solver.states[h].need;
    for v in candidates {
        let free = BOTH & !solver.occupied[solver.slot(v, t)];
        let cap = input.vehicles[v].capacity_per_day;
        let session = match pin.session {
            Some(s) if session_bits(s) & free == session_bits(s) => s,
            Some(_) => continue,
            None if free == BOTH && need > rate.donations_within(Session::Morning.capacity(cap).into()) => {
                Session::FullDay
            }
            None if free & AM != 0 => Session::Morning,
            None if free & PM != 0 => Session::Afternoon,
            None => continue,
        };
        let donations = need.min(rate.donations_within(session.capacity(cap).into()));
        if donations <= 0 {
            continue;
        }
        solver.place(h, v, t, session, donations);
        return Ok((t, donations));
    }
    fail("所选采血车该时段已被占用或停用".into())
}

fn report(solver: Solver, working: &[bool], excluded: &HashSet<UnitId>, need: i64) -> Proposal {
    let input = solver.input;
    let from = input.from;
    let mut unplaced = Vec::new();
    for (h, holder) in input.holders.iter().enumerate() {
        let state = &solver.states[h];
        if state.need <= 0 {
            continue;
        }
        let reason = if excluded.contains(&holder.id) {
            UnplacedReason::Excluded
        } else if holder.terms == Terms::Missing {
            UnplacedReason::NoTermDates
        } else {
            let class = &solver.classes[state.class.unwrap_or_default()];
            if class.days.is_empty() {
                UnplacedReason::NoAllowedDay
            } else if state.small
                && class.days.iter().all(|t| solver.interval_clash(h, solver.days[*t as usize]).is_some())
            {
                UnplacedReason::DonationInterval
            } else {
                UnplacedReason::NoCapacity
            }
        };
        unplaced.push(Unplaced { unit: holder.id, donations: state.need, reason });
    }
    let unplaced_donations: i64 = unplaced.iter().map(|u| u.donations).sum();

    // Months: proposed and existing booked donations inside the range.
    let mut planned: BTreeMap<(i32, u32), i64> = BTreeMap::new();
    let mut working_days: BTreeMap<(i32, u32), i64> = BTreeMap::new();
    for (t, d) in solver.days.iter().enumerate() {
        planned.entry((d.year(), d.month())).or_insert(0);
        *working_days.entry((d.year(), d.month())).or_insert(0) += i64::from(working[t]);
    }
    for v in &solver.visits {
        *planned.entry((v.date.year(), v.date.month())).or_insert(0) += v.donations;
    }
    for e in input.existing.iter().filter(|e| e.booked && (from..=input.to).contains(&e.date)) {
        if let Some(&h) = solver.holder_of.get(&e.unit) {
            let donations = input.holders[h].rate.donations_within(i64::from(e.expected_donors));
            *planned.entry((e.date.year(), e.date.month())).or_insert(0) += donations;
        }
    }
    let total: i64 = planned.values().sum::<i64>() + unplaced_donations;
    let all_working: i64 = working_days.values().sum::<i64>().max(1);
    let settings = input.settings;
    let months = planned
        .iter()
        .map(|(&(year, month), &planned)| {
            let even = total * working_days[&(year, month)] / all_working;
            let evenf = even as f64;
            MonthFigure {
                year,
                month,
                planned_donations: planned,
                even_share: even,
                below_floor: (planned as f64) < settings.monthly_floor_share * evenf,
                within_band: ((planned - even).abs() as f64) <= settings.spread_band * evenf,
            }
        })
        .collect();

    let n = solver.days.len();
    let vehicles = input
        .vehicles
        .iter()
        .enumerate()
        .map(|(v, vehicle)| {
            let mut used = 0i64;
            let mut available = 0i64;
            for (t, works) in working.iter().enumerate() {
                used += i64::from(solver.used_day[v * n + t]);
                let blacked = vehicle.blackouts.iter().any(|(a, b)| (*a..=*b).contains(&solver.days[t]));
                available += i64::from(*works && !blacked);
            }
            let utilisation = if available > 0 { used as f64 / available as f64 } else { 0.0 };
            VehicleUse { vehicle: vehicle.id, days_used: used, days_available: available, utilisation }
        })
        .collect();

    let mut visits = solver.visits;
    visits.sort_by_key(|v| (v.date, v.vehicle, v.session == Session::Afternoon, v.unit));
    Proposal {
        from,
        visits,
        unplaced,
        months,
        vehicles,
        need,
        unplaced_donations,
        interval_days: whole_blood_interval_days(from),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::work_calendar::is_weekend;
    use crate::domain::UnitKind;
    use proptest::prelude::*;

    const CALENDAR_2020: &str = include_str!("../../seeds/holidays/2020.toml");
    const UNITS_2020: &str = include_str!("../../seeds/2020/units.csv");

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2020, m, day).unwrap()
    }

    fn calendar() -> Arc<WorkCalendar> {
        Arc::new(WorkCalendar::parse(CALENDAR_2020).unwrap())
    }

    fn terms_2020() -> Terms {
        Terms::Windows(vec![(d(3, 2), d(7, 10)), (d(9, 7), d(12, 31))])
    }

    /// The 2020 table's 157 holders, nothing collected yet.
    fn holders_2020() -> Vec<Holder> {
        UNITS_2020
            .lines()
            .skip(1)
            .enumerate()
            .map(|(i, line)| {
                let cells: Vec<&str> = line.split(',').collect();
                let quota: i64 = cells[3].parse().unwrap();
                let kind = UnitKind::parse(cells[6]).unwrap();
                let county = cells[0] == "COUNTY";
                let id = UnitId(i as i32 + 1);
                Holder {
                    id,
                    area: if county { i64::from(id.0) } else { 0 },
                    quota,
                    remaining: quota,
                    weekends_allowed: false,
                    terms: if kind == UnitKind::University { terms_2020() } else { Terms::Any },
                    rate: BookingRate::DEFAULT,
                }
            })
            .collect()
    }

    fn vehicles(count: i32, capacity: i32) -> Vec<Vehicle> {
        (1..=count)
            .map(|i| Vehicle { id: VehicleId(i), capacity_per_day: capacity, blackouts: Vec::new() })
            .collect()
    }

    fn input(holders: Vec<Holder>, vehicles: Vec<Vehicle>, from: NaiveDate, to: NaiveDate) -> Input {
        Input {
            year: 2020,
            from,
            to,
            calendar: calendar(),
            holders,
            vehicles,
            existing: Vec::new(),
            pins: Vec::new(),
            exclude_units: Vec::new(),
            exclude_dates: Vec::new(),
            settings: Settings::default(),
        }
    }

    /// Every hard constraint and the conservation of each holder's need, checked from the
    /// input alone.
    fn check(input: &Input, p: &Proposal) -> Result<(), String> {
        let cal = &input.calendar;
        let holder = |id: UnitId| input.holders.iter().find(|h| h.id == id).unwrap();
        let vehicle = |id: VehicleId| input.vehicles.iter().find(|v| v.id == id).unwrap();
        let mut halves: HashSet<(VehicleId, NaiveDate, HalfDay)> = HashSet::new();
        for e in &input.existing {
            for h in e.session.halves() {
                halves.insert((e.vehicle, e.date, *h));
            }
        }
        let mut per_day: HashSet<(UnitId, NaiveDate)> = HashSet::new();
        let largest = input.vehicles.iter().map(|v| v.capacity_per_day).max().unwrap_or(0);
        for v in &p.visits {
            let h = holder(v.unit);
            let car = vehicle(v.vehicle);
            let at = format!("{v:?}");
            if v.date < input.from || v.date > input.to {
                return Err(format!("outside the range: {at}"));
            }
            if cal.holiday_name(v.date).is_some() || input.exclude_dates.contains(&v.date) {
                return Err(format!("on a holiday or excluded date: {at}"));
            }
            if !cal.is_visit_day(v.date, h.weekends_allowed) {
                return Err(format!("on a weekend the holder does not allow: {at}"));
            }
            match &h.terms {
                Terms::Any => {}
                Terms::Windows(w) if w.iter().any(|(a, b)| (*a..=*b).contains(&v.date)) => {}
                _ => return Err(format!("outside term: {at}")),
            }
            if car.blackouts.iter().any(|(a, b)| (*a..=*b).contains(&v.date)) {
                return Err(format!("in a blackout: {at}"));
            }
            for half in v.session.halves() {
                if !halves.insert((v.vehicle, v.date, *half)) {
                    return Err(format!("half-day used twice: {at}"));
                }
            }
            if v.expected_donors > v.session.capacity(car.capacity_per_day) {
                return Err(format!("over capacity: {at}"));
            }
            if v.donations <= 0 || i64::from(v.expected_donors) != h.rate.bookings(v.donations) {
                return Err(format!("bookings do not match donations: {at}"));
            }
            if !per_day.insert((v.unit, v.date)) {
                return Err(format!("two visits of one holder on a day: {at}"));
            }
            if input.exclude_units.contains(&v.unit) {
                return Err(format!("an excluded holder: {at}"));
            }
        }
        // Every pin is a visit of the proposal, on its vehicle and session when it names them.
        for pin in &input.pins {
            let kept = p.visits.iter().any(|v| {
                v.unit == pin.unit
                    && v.date == pin.date
                    && pin.vehicle.is_none_or(|x| x == v.vehicle)
                    && pin.session.is_none_or(|s| s == v.session)
            });
            if !kept {
                return Err(format!("a pin left out: {pin:?}"));
            }
        }
        if p.from != input.from {
            return Err(format!("the proposal reports {} as its start, not {}", p.from, input.from));
        }
        // Small holders: every two of their visits (existing included) an interval apart.
        for h in &input.holders {
            if h.quota > h.rate.donations_within(i64::from(largest)) {
                continue;
            }
            let mut dates: Vec<NaiveDate> =
                input.existing.iter().filter(|e| e.unit == h.id).map(|e| e.date).collect();
            let proposed: Vec<NaiveDate> =
                p.visits.iter().filter(|v| v.unit == h.id).map(|v| v.date).collect();
            for a in &proposed {
                for b in dates.iter().chain(proposed.iter().filter(|b| *b != a)) {
                    if (*a - *b).num_days().abs() < whole_blood_interval_days((*a).max(*b)) {
                        return Err(format!("small holder {} visited {a} and {b}", h.id));
                    }
                }
            }
            dates.extend(proposed);
        }
        // Conservation: placed + unplaced = need, per holder and in total.
        let mut total_need = 0;
        for h in &input.holders {
            let booked: i64 = input
                .existing
                .iter()
                .filter(|e| e.unit == h.id && e.booked && e.date.year() == input.year)
                .map(|e| h.rate.donations_within(i64::from(e.expected_donors)))
                .sum();
            let need = (h.remaining - booked).max(0);
            total_need += need;
            let placed: i64 = p.visits.iter().filter(|v| v.unit == h.id).map(|v| v.donations).sum();
            let unplaced: i64 = p.unplaced.iter().filter(|u| u.unit == h.id).map(|u| u.donations).sum();
            if placed + unplaced != need {
                return Err(format!("holder {}: placed {placed} + unplaced {unplaced} != need {need}", h.id));
            }
        }
        if total_need != p.need || p.unplaced.iter().map(|u| u.donations).sum::<i64>() != p.unplaced_donations
        {
            return Err("totals do not add up".into());
        }
        Ok(())
    }

    /// Working days of 2020 from March on, by the notice's rule: Monday to Friday, less the
    /// holidays, plus the make-up days.
    fn working_days_march_to_december() -> i64 {
        let holidays = [d(4, 6), d(5, 1), d(5, 4), d(5, 5), d(6, 25), d(6, 26), d(10, 1), d(10, 2)];
        let holidays: Vec<NaiveDate> = holidays.into_iter().chain((5..=8).map(|day| d(10, day))).collect();
        let makeup = [d(4, 26), d(5, 9), d(6, 28), d(9, 27), d(10, 10)];
        d(3, 1)
            .iter_days()
            .take_while(|x| *x <= d(12, 31))
            .filter(|x| makeup.contains(x) || (!is_weekend(*x) && !holidays.contains(x)))
            .count() as i64
    }

    #[test]
    fn the_2020_plan_fits_four_vehicles_of_60_with_an_even_spread() {
        let input = input(holders_2020(), vehicles(4, 60), d(3, 1), d(12, 31));
        let p = propose(&input).unwrap();
        check(&input, &p).unwrap();
        assert_eq!(p.need, 20_439);
        assert_eq!(p.unplaced_donations, 0, "{:?}", p.unplaced);
        for m in &p.months {
            assert!(m.within_band, "{m:?}");
            assert!(!m.below_floor, "{m:?}");
        }
        assert_eq!(p.months.iter().map(|m| m.planned_donations).sum::<i64>(), 20_439);
        // The big holders fill whole days: far fewer vehicle-days than visits of 10.
        let days: i64 = p.vehicles.iter().map(|v| v.days_used).sum();
        assert!(days < 600, "{days} vehicle-days");
    }

    #[test]
    fn one_vehicle_carries_40_donations_every_working_day_and_the_rest_is_unplaced() {
        let input = input(holders_2020(), vehicles(1, 60), d(3, 1), d(12, 31));
        let p = propose(&input).unwrap();
        check(&input, &p).unwrap();
        let days = working_days_march_to_december();
        assert_eq!(days, 212);
        assert_eq!(p.unplaced_donations, 20_439 - 40 * days);
        assert!(p.unplaced.iter().all(|u| u.reason == UnplacedReason::NoCapacity));
        assert_eq!(p.vehicles[0].days_used, days);
        assert_eq!(p.vehicles[0].days_available, days);
    }

    #[test]
    fn a_small_holder_visited_in_march_is_not_visited_again_within_180_days() {
        let mut holders = holders_2020();
        let small = holders.iter_mut().find(|h| h.quota == 30).unwrap();
        let id = small.id;
        let mut input = input(holders, vehicles(4, 60), d(3, 1), d(12, 31));
        input.existing.push(ExistingVisit {
            unit: id,
            vehicle: VehicleId(1),
            date: d(3, 10),
            session: Session::Morning,
            expected_donors: 15,
            booked: true,
        });
        let p = propose(&input).unwrap();
        check(&input, &p).unwrap();
        let again: Vec<_> = p.visits.iter().filter(|v| v.unit == id).collect();
        assert_eq!(again.len(), 1, "the 10 still needed in one visit");
        assert!(again[0].date >= d(9, 6), "{:?}", again[0]);
        assert_eq!(again[0].donations, 20);
        assert!(!p
            .visits
            .iter()
            .any(|v| v.vehicle == VehicleId(1) && v.date == d(3, 10) && v.session != Session::Afternoon));
    }

    #[test]
    fn the_interval_in_force_is_180_days_the_90_day_draft_is_not_adopted() {
        assert_eq!(whole_blood_interval_days(d(3, 1)), 180);
        assert_eq!(whole_blood_interval_days(NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()), 180);
        assert!(WHOLE_BLOOD_INTERVALS.iter().any(|r| r.days == 90 && !r.in_force));
    }

    #[test]
    fn pins_are_kept_and_exclusions_are_reported() {
        let holders = holders_2020();
        let xianan = holders[0].id;
        let jiayu = holders[1].id;
        let mut input = input(holders, vehicles(4, 60), d(3, 1), d(12, 31));
        input.pins.push(Pin {
            unit: xianan,
            date: d(3, 2),
            vehicle: Some(VehicleId(3)),
            session: Some(Session::FullDay),
        });
        input.exclude_units.push(jiayu);
        input.exclude_dates.push(d(3, 3));
        let p = propose(&input).unwrap();
        check(&input, &p).unwrap();
        assert!(p.visits.iter().any(|v| v.unit == xianan && v.date == d(3, 2) && v.vehicle == VehicleId(3)));
        assert!(!p.visits.iter().any(|v| v.date == d(3, 3)));
        assert_eq!(
            p.unplaced,
            vec![Unplaced { unit: jiayu, donations: 1_500, reason: UnplacedReason::Excluded }]
        );
        assert_eq!(UnplacedReason::Excluded.label_zh(), "已被排除");

        input.pins = vec![Pin { unit: xianan, date: d(10, 1), vehicle: None, session: None }];
        assert_eq!(propose(&input).unwrap_err().code(), "PIN_NOT_PLACEABLE");
    }

    #[test]
    fn a_university_without_term_dates_is_reported_and_never_placed() {
        let mut holders = holders_2020();
        let hbust = holders.iter_mut().find(|h| h.quota == 2_800).unwrap();
        hbust.terms = Terms::Missing;
        let id = hbust.id;
        let input = input(holders, vehicles(4, 60), d(3, 1), d(12, 31));
        let p = propose(&input).unwrap();
        check(&input, &p).unwrap();
        assert_eq!(
            p.unplaced,
            vec![Unplaced { unit: id, donations: 2_800, reason: UnplacedReason::NoTermDates }]
        );
    }

    #[test]
    fn bad_ranges_and_an_empty_fleet_are_refused_with_codes() {
        let err = propose(&input(holders_2020(), vehicles(1, 60), d(5, 1), d(3, 1))).unwrap_err();
        assert_eq!(err.code(), "SCHEDULE_RANGE_REVERSED");
        assert_eq!(err.to_string(), "开始日期2020-05-01晚于结束日期2020-03-01。");
        let next_year = NaiveDate::from_ymd_opt(2021, 1, 5).unwrap();
        let err = propose(&input(holders_2020(), vehicles(1, 60), d(5, 1), next_year)).unwrap_err();
        assert_eq!(err.code(), "SCHEDULE_RANGE_OUTSIDE_YEAR");
        let err = propose(&input(holders_2020(), Vec::new(), d(3, 1), d(5, 1))).unwrap_err();
        assert_eq!(err.code(), "NO_VEHICLES");
        assert_eq!(BookingRate::parse(0.5).unwrap_err().code(), "BAD_BOOKINGS_PER_DONATION");
    }

    #[test]
    fn a_range_starts_no_earlier_than_the_first_bookable_day() {
        assert_eq!(bookable_range(2020, d(3, 1), d(12, 31), d(2, 3)), Ok((d(3, 1), d(12, 31))));
        assert_eq!(bookable_range(2020, d(3, 1), d(12, 31), d(6, 17)), Ok((d(6, 17), d(12, 31))));
        assert_eq!(bookable_range(2020, d(3, 1), d(6, 17), d(6, 17)), Ok((d(6, 17), d(6, 17))));
        let err = bookable_range(2020, d(3, 1), d(6, 16), d(6, 17)).unwrap_err();
        assert_eq!(err.code(), "SCHEDULE_RANGE_PAST");
        assert_eq!(
            err.to_string(),
            "2020-06-16之前已来不及安排采血活动（须提前预约），最早可安排2020-06-17。"
        );
        assert_eq!(
            bookable_range(2020, d(5, 1), d(3, 1), d(2, 3)).unwrap_err().code(),
            "SCHEDULE_RANGE_REVERSED"
        );
    }

    #[test]
    fn a_year_without_its_holiday_notice_is_refused() {
        let mut input = input(holders_2020(), vehicles(1, 60), d(3, 1), d(5, 1));
        input.calendar = Arc::new(WorkCalendar::default());
        let err = propose(&input).unwrap_err();
        assert_eq!(err.code(), "NO_WORK_CALENDAR");
        assert_eq!(
            err.to_string(),
            "2020年的节假日安排尚未录入，暂不能编排该年的采血活动，请先导入节假日安排。"
        );
    }

    #[test]
    fn rates_round_bookings_up_and_donations_down() {
        let r = BookingRate::DEFAULT;
        assert_eq!(r.bookings(40), 60);
        assert_eq!(r.bookings(3), 5);
        assert_eq!(r.donations_within(60), 40);
        assert_eq!(r.donations_within(30), 20);
        assert_eq!(BookingRate::learned(19, 900, 600), None, "too few visits");
        assert_eq!(BookingRate::learned(30, 900, 600), Some(BookingRate(1_500)));
        assert_eq!(BookingRate::learned(30, 9_000, 600), Some(BookingRate(5_000)), "clamped");
    }

    #[test]
    fn the_same_input_gives_the_same_proposal() {
        let input = input(holders_2020(), vehicles(3, 60), d(3, 1), d(12, 31));
        assert_eq!(propose(&input).unwrap(), propose(&input).unwrap());
    }

    fn arb_input() -> impl Strategy<Value = Input> {
        let holder = (1i64..400, 0i64..400, any::<bool>(), 0u8..4, 1_000u32..2_500, 0i64..3);
        let vehicle = (1i32..150, proptest::collection::vec((0i64..300, 0i64..20), 0..3));
        let existing = (0usize..30, 0usize..4, 0i64..300, 0usize..3, 1i32..80, any::<bool>());
        let pin = (0usize..30, 0i64..300, proptest::option::of(0usize..4), proptest::option::of(0usize..3));
        (
            proptest::collection::vec(holder, 1..30),
            proptest::collection::vec(vehicle, 1..5),
            proptest::collection::vec(existing, 0..12),
            proptest::collection::vec(pin, 0..3),
            (0i64..200, 0i64..200),
            proptest::collection::vec(0i64..300, 0..10),
        )
            .prop_map(|(holders, cars, existing, pins, (start, len), excluded)| {
                let day = |k: i64| d(1, 1) + chrono::TimeDelta::days(k.min(365));
                let from = day(start);
                let to = day(start + len);
                let holders: Vec<Holder> = holders
                    .into_iter()
                    .enumerate()
                    .map(|(i, (quota, collected, weekends, term, rate, area))| Holder {
                        id: UnitId(i as i32 + 1),
                        area,
                        quota,
                        remaining: (quota - collected).max(0),
                        weekends_allowed: weekends,
                        terms: match term {
                            0 | 1 => Terms::Any,
                            2 => terms_2020(),
                            _ => Terms::Missing,
                        },
                        rate: BookingRate(rate),
                    })
                    .collect();
                let vehicles: Vec<Vehicle> = cars
                    .into_iter()
                    .enumerate()
                    .map(|(i, (capacity, blackouts))| Vehicle {
                        id: VehicleId(i as i32 + 1),
                        capacity_per_day: capacity,
                        blackouts: blackouts.into_iter().map(|(a, l)| (day(a), day(a + l))).collect(),
                    })
                    .collect();
                let mut taken = HashSet::new();
                let sessions = Session::ALL;
                let existing: Vec<ExistingVisit> = existing
                    .into_iter()
                    .filter_map(|(h, v, at, s, donors, booked)| {
                        let (h, v) = (holders.get(h % holders.len())?, vehicles.get(v % vehicles.len())?);
                        let session = sessions[s];
                        let date = day(at);
                        if session.halves().iter().any(|half| !taken.insert((v.id, date, *half))) {
                            return None;
                        }
                        Some(ExistingVisit {
                            unit: h.id,
                            vehicle: v.id,
                            date,
                            session,
                            expected_donors: donors.min(session.capacity(v.capacity_per_day)).max(1),
                            booked,
                        })
                    })
                    .collect();
                let pins = pins
                    .into_iter()
                    .map(|(h, at, v, s)| Pin {
                        unit: holders[h % holders.len()].id,
                        date: day(at),
                        vehicle: v.map(|v| vehicles[v % vehicles.len()].id),
                        session: s.map(|s| sessions[s]),
                    })
                    .collect();
                let exclude_units =
                    holders.iter().filter(|h| h.area == 2 && h.quota % 7 == 0).map(|h| h.id).collect();
                Input {
                    existing,
                    pins,
                    exclude_units,
                    exclude_dates: excluded.into_iter().map(day).collect(),
                    ..input(holders, vehicles, from, to)
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        #[test]
        fn no_proposal_breaks_a_hard_constraint_and_every_need_is_accounted_for(input in arb_input()) {
            match propose(&input) {
                Ok(p) => prop_assert_eq!(check(&input, &p), Ok(())),
                Err(e) => prop_assert_eq!(e.code(), "PIN_NOT_PLACEABLE"),
            }
        }

        #[test]
        fn without_pins_a_valid_range_always_gets_a_proposal(mut input in arb_input()) {
            input.pins.clear();
            let p = propose(&input).unwrap();
            prop_assert_eq!(check(&input, &p), Ok(()));
        }
    }
}
