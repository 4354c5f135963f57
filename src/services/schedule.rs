//! Proposes a year's visit schedule (issue 15): gathers the solver's inputs in a fixed
//! number of queries, runs `domain::schedule::propose` off the async workers and returns
//! its proposal. Nothing is written; `publishSchedule` turns a proposal into visits.
//!
//! Public API (kept stable for the web page and `schedule_publish`):
//! ```text
//! pub async fn propose(
//!     db: &DatabaseConnection,
//!     clock: &Clock,
//!     booking: &BookingSettings,          // its work calendar and behind-schedule margin
//!     actor: &Actor,                      // office only, else ServiceError::Forbidden
//!     request: ProposalRequest,
//! ) -> Result<domain::schedule::Proposal, ServiceError>
//!
//! pub struct ProposalRequest {
//!     pub year: i32, pub from: NaiveDate, pub to: NaiveDate,   // inclusive, inside `year`;
//!                                     // `from` moves up to the first bookable day (lead time)
//!     pub pins: Vec<domain::schedule::Pin>,                     // holder + date [+ vehicle, session]
//!     pub exclude_units: Vec<UnitId>, pub exclude_dates: Vec<NaiveDate>,
//!     pub bookings_per_donation: Option<f64>,                   // overrides the learned rates
//!     pub monthly_floor_share: Option<f64>, pub spread_band: Option<f64>,
//!     pub early_term_weeks: Option<u32>,                        // None: Settings::default()
//! }
//! ```
//! `Proposal` (domain/schedule.rs): `from` (the first day considered), `visits` (unit,
//! vehicle, date, session, expected_donors, donations), `unplaced` (unit, donations, reason:
//! `UnplacedReason` with `label_zh()`), `months` (year, month,
//! planned_donations, even_share, below_floor, within_band), `vehicles` (vehicle, days_used,
//! days_available, utilisation), `need`, `unplaced_donations`, `interval_days`. Errors: the
//! domain's codes (`SCHEDULE_RANGE_REVERSED`, `SCHEDULE_RANGE_OUTSIDE_YEAR`,
//! `SCHEDULE_RANGE_PAST`, `NO_WORK_CALENDAR`, `NO_VEHICLES`, `PIN_NOT_PLACEABLE`,
//! `BAD_BOOKINGS_PER_DONATION`), `BAD_INPUT` for a bad setting,
//! `NOT_FOUND` when the year has no plan.
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{NaiveDate, TimeDelta};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, JoinType, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait,
};

use super::visits::BookingSettings;
use super::{fulfilment, ServiceError};
use crate::clock::Clock;
use crate::db::entities::{collection, plan_quota, term_calendar, unit, vehicle, vehicle_blackout, visit};
use crate::domain::auth::{Actor, OFFICE};
use crate::domain::ids::{UnitId, VehicleId};
use crate::domain::schedule::{
    self as solver, BookingRate, ExistingVisit, Holder, Input, Pin, Proposal, ScheduleError, Settings, Terms,
};
use crate::domain::visit::VisitStatus;
use crate::domain::{Section, UnitKind};

#[derive(Debug, Clone, Default)]
pub struct ProposalRequest {
    pub year: i32,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub pins: Vec<Pin>,
    pub exclude_units: Vec<UnitId>,
    pub exclude_dates: Vec<NaiveDate>,
    pub bookings_per_donation: Option<f64>,
    pub monthly_floor_share: Option<f64>,
    pub spread_band: Option<f64>,
    pub early_term_weeks: Option<u32>,
}

fn rejected(e: ScheduleError) -> ServiceError {
    ServiceError::rejected(e.code(), e.to_string())
}

fn settings(request: &ProposalRequest) -> Result<Settings, ServiceError> {
    let mut s = Settings::default();
    let share = |value: Option<f64>, what: &str, default: f64| match value {
        None => Ok(default),
        Some(v) if v.is_finite() && (0.0..=1.0).contains(&v) => Ok(v),
        Some(_) => Err(ServiceError::BadInput(format!("{what}须在 0 到 1 之间"))),
    };
    s.monthly_floor_share = share(request.monthly_floor_share, "月度下限比例", s.monthly_floor_share)?;
    s.spread_band = share(request.spread_band, "月度均衡允许偏差", s.spread_band)?;
    if let Some(weeks) = request.early_term_weeks {
        if weeks > 20 {
            return Err(ServiceError::BadInput("开学优先周数须在 0 到 20 之间".into()));
        }
        s.early_term_weeks = weeks;
    }
    Ok(s)
}

/// A proposal for `request`; see the module documentation. Office only.
pub async fn propose(
    db: &DatabaseConnection,
    clock: &Clock,
    booking: &BookingSettings,
    actor: &Actor,
    request: ProposalRequest,
) -> Result<Proposal, ServiceError> {
    actor.require(OFFICE)?;
    super::check_dates([request.from, request.to])?;
    super::check_dates(request.exclude_dates.iter().copied())?;
    super::check_dates(request.pins.iter().map(|p| p.date))?;
    // Every proposed visit must be publishable: none before the booking lead time allows.
    let earliest = crate::domain::booking::earliest_bookable(clock.today(), booking.policy);
    let (from, to) =
        solver::bookable_range(request.year, request.from, request.to, earliest).map_err(rejected)?;
    let settings = settings(&request)?;
    let rate_override =
        request.bookings_per_donation.map(BookingRate::parse).transpose().map_err(rejected)?;
    let year = request.year;

    // Every holder's remaining quota, exactly as fulfilment reports it.
    let as_of = fulfilment::default_as_of(year, clock.today());
    let report = fulfilment::fulfilment(db, year, as_of, booking.behind_margin_points).await?;
    let flags = holder_flags(db, report.plan.id).await?;
    let terms = term_windows(db, year).await?;
    // An office's own rate replaces the learned ones: no need to learn them.
    let rates = match rate_override {
        Some(_) => HashMap::new(),
        None => learned_rates(db).await?,
    };
    let vehicles = fleet(db, from, to).await?;
    let existing = live_visits(db, year, from).await?;

    let holders = report
        .units
        .iter()
        .map(|u| {
            let (weekends, term_bound) = flags.get(&u.unit_id).copied().unwrap_or((false, false));
            let terms = if term_bound {
                terms
                    .get(&u.unit_id.0)
                    .or_else(|| terms.get(&0))
                    .cloned()
                    .map_or(Terms::Missing, Terms::Windows)
            } else {
                Terms::Any
            };
            Holder {
                id: u.unit_id,
                // A county and (later) its sub-units share an area; city-level holders share the city's.
                area: if u.section == Section::County { i64::from(u.unit_id.0) } else { 0 },
                quota: u.progress.quota,
                remaining: u.progress.remaining,
                weekends_allowed: weekends,
                terms,
                rate: rate_override.or_else(|| rates.get(&u.kind).copied()).unwrap_or(BookingRate::DEFAULT),
            }
        })
        .collect();
    let input = Input {
        year,
        from,
        to,
        calendar: Arc::clone(&booking.calendar),
        holders,
        vehicles,
        existing,
        pins: request.pins,
        exclude_units: request.exclude_units,
        exclude_dates: request.exclude_dates,
        settings,
    };
    tokio::task::spawn_blocking(move || solver::propose(&input))
        .await
        .map_err(|e| ServiceError::Internal(format!("the schedule solver stopped: {e}")))?
        .map_err(rejected)
}

/// Each holder of the plan: (accepts weekend visits, term-bound), in one query.
async fn holder_flags(
    db: &impl ConnectionTrait,
    plan_id: i32,
) -> Result<HashMap<UnitId, (bool, bool)>, ServiceError> {
    let rows: Vec<(i32, bool, bool)> = unit::Entity::find()
        .select_only()
        .column(unit::Column::Id)
        .column(unit::Column::AcceptsWeekendVisits)
        .column(unit::Column::TermBound)
        .join(JoinType::InnerJoin, unit::Relation::PlanQuota.def())
        .filter(plan_quota::Column::PlanId.eq(plan_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(id, w, t)| (UnitId(id), (w, t))).collect())
}

/// The year's term windows by holder id (0: the default), as the term reminders read them.
async fn term_windows(
    db: &impl ConnectionTrait,
    year: i32,
) -> Result<HashMap<i32, Vec<(NaiveDate, NaiveDate)>>, ServiceError> {
    let rows = term_calendar::Entity::find().filter(term_calendar::Column::Year.eq(year)).all(db).await?;
    Ok(rows
        .into_iter()
        .map(|c| (c.unit_id, vec![(c.spring_start, c.spring_end), (c.autumn_start, c.autumn_end)]))
        .collect())
}

/// Bookings per donation learned per holder kind from every recorded collection of a visit
/// (the records the figures count): one GROUP BY; a kind with too little data is left out
/// (the default applies).
async fn learned_rates(db: &impl ConnectionTrait) -> Result<HashMap<UnitKind, BookingRate>, ServiceError> {
    #[derive(FromQueryResult)]
    struct Row {
        kind: UnitKind,
        visits: i64,
        bookings: Option<i64>,
        donations: Option<i64>,
    }
    let query = Query::select()
        .expr_as(Expr::col((unit::Entity, unit::Column::Kind)), Alias::new("kind"))
        .expr_as(Expr::cust("COUNT(*)").cast_as("BIGINT"), Alias::new("visits"))
        .expr_as(
            crate::db::sum_i64(Expr::col((visit::Entity, visit::Column::ExpectedDonors))),
            Alias::new("bookings"),
        )
        .expr_as(
            crate::db::sum_i64(Expr::col((collection::Entity, collection::Column::Donations))),
            Alias::new("donations"),
        )
        .from(collection::Entity)
        .inner_join(
            visit::Entity,
            Expr::col((visit::Entity, visit::Column::Id))
                .equals((collection::Entity, collection::Column::VisitId)),
        )
        .inner_join(
            unit::Entity,
            Expr::col((unit::Entity, unit::Column::Id))
                .equals((collection::Entity, collection::Column::UnitId)),
        )
        .and_where(super::totals::counted_collections())
        .group_by_col((unit::Entity, unit::Column::Kind))
        .to_owned();
    let rows = Row::find_by_statement(db.get_database_backend().build(&query)).all(db).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let rate = BookingRate::learned(r.visits, r.bookings.unwrap_or(0), r.donations.unwrap_or(0))?;
            Some((r.kind, rate))
        })
        .collect())
}

/// The active vehicles and their blackouts that touch `[from, to]`: two queries.
async fn fleet(
    db: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<solver::Vehicle>, ServiceError> {
    let cars = vehicle::Entity::find()
        .filter(vehicle::Column::Active.eq(true))
        .order_by_asc(vehicle::Column::Id)
        .all(db)
        .await?;
    let blackouts = vehicle_blackout::Entity::find()
        .filter(vehicle_blackout::Column::FromDate.lte(to))
        .filter(vehicle_blackout::Column::ToDate.gte(from))
        .all(db)
        .await?;
    let mut of: HashMap<VehicleId, Vec<(NaiveDate, NaiveDate)>> = HashMap::new();
    for b in blackouts {
        of.entry(b.vehicle_id).or_default().push((b.from_date, b.to_date));
    }
    Ok(cars
        .into_iter()
        .map(|v| solver::Vehicle {
            id: VehicleId(v.id),
            capacity_per_day: v.capacity_per_day,
            blackouts: of.remove(&VehicleId(v.id)).unwrap_or_default(),
        })
        .collect())
}

/// Live visits from a donation interval before `from` to the year's end: they hold their
/// half-days, booked ones count toward their holder, and all keep small holders' intervals.
async fn live_visits(
    db: &impl ConnectionTrait,
    year: i32,
    from: NaiveDate,
) -> Result<Vec<ExistingVisit>, ServiceError> {
    let since = from - TimeDelta::days(366);
    let until = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(from);
    let rows = visit::Entity::find()
        .filter(visit::Column::Date.between(since, until))
        .filter(visit::Column::Status.ne(VisitStatus::Cancelled.code()))
        .order_by_asc(visit::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|v| ExistingVisit {
            unit: v.unit_id,
            vehicle: v.vehicle_id,
            date: v.date,
            session: v.session,
            expected_donors: v.expected_donors,
            booked: v.status.is_booked(),
        })
        .collect())
}
