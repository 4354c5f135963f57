//! `proposeSchedule`: a proposed visit schedule for the office (nothing is written).
use async_graphql::{Context, Enum, InputObject, Object, ID};

use super::auth;
use super::guards::{role, OFFICE};
use super::loaders;
use super::plan::{parse_id, Unit};
use super::scalars::Date;
use super::types::SessionGql;
use super::vehicles::Vehicle;
use crate::domain::schedule::{
    MonthFigure, Pin, Proposal, ProposedVisit, Unplaced, UnplacedReason, VehicleUse,
};
use crate::error::ApiResult;
use crate::services::schedule::{self, ProposalRequest};

#[derive(Default)]
pub struct ScheduleQuery;

/// A visit the proposal must contain: this holder on this date (on this vehicle, in this
/// session; left out, the solver picks).
#[derive(InputObject)]
pub struct SchedulePinInput {
    unit_id: ID,
    date: Date,
    vehicle_id: Option<ID>,
    session: Option<SessionGql>,
}

#[Object]
impl ScheduleQuery {
    /// A proposed schedule of vehicle visits from `from` to `to` (inclusive, inside `year`)
    /// that covers every holder's remaining quota; existing visits stay where they are.
    /// Office only. `bookingsPerDonation` overrides the rates learned per holder kind
    /// (default 1.5); the month settings default to 0.8 (floor) and 0.25 (band), the early
    /// term preference to 4 weeks.
    #[graphql(guard = "role(OFFICE)")]
    #[allow(clippy::too_many_arguments)]
    async fn propose_schedule(
        &self,
        ctx: &Context<'_>,
        year: i32,
        from: Date,
        to: Date,
        pins: Option<Vec<SchedulePinInput>>,
        exclude_units: Option<Vec<ID>>,
        exclude_dates: Option<Vec<Date>>,
        bookings_per_donation: Option<f64>,
        monthly_floor_share: Option<f64>,
        spread_band: Option<f64>,
        early_term_weeks: Option<u32>,
    ) -> ApiResult<ScheduleProposal> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let pins = pins
            .unwrap_or_default()
            .into_iter()
            .map(|p| {
                Ok(Pin {
                    unit: parse_id(&p.unit_id)?,
                    date: p.date.into(),
                    vehicle: p.vehicle_id.as_ref().map(parse_id).transpose()?,
                    session: p.session.map(Into::into),
                })
            })
            .collect::<ApiResult<Vec<_>>>()?;
        let request = ProposalRequest {
            year,
            from: from.into(),
            to: to.into(),
            pins,
            exclude_units: exclude_units
                .unwrap_or_default()
                .iter()
                .map(parse_id)
                .collect::<ApiResult<_>>()?,
            exclude_dates: exclude_dates.unwrap_or_default().into_iter().map(Into::into).collect(),
            bookings_per_donation,
            monthly_floor_share,
            spread_band,
            early_term_weeks,
        };
        let proposal = schedule::propose(&state.db, &state.clock, &state.booking, actor, request).await?;
        Ok(ScheduleProposal(proposal))
    }
}

pub struct ScheduleProposal(Proposal);

#[Object]
impl ScheduleProposal {
    /// The first day the proposal places visits on: `from`, or the first day the booking lead
    /// time allows when `from` is earlier.
    async fn from(&self) -> Date {
        self.0.from.into()
    }

    /// Proposed visits by date, vehicle and session.
    async fn visits(&self) -> Vec<ScheduledVisit<'_>> {
        self.0.visits.iter().map(ScheduledVisit).collect()
    }

    /// Donations the proposal could not place, in total.
    async fn unplaced_donations(&self) -> i64 {
        self.0.unplaced_donations
    }

    /// Every holder's need (remaining quota less its booked visits), in total.
    async fn need(&self) -> i64 {
        self.0.need
    }

    /// What each holder could not get, and why.
    async fn unplaced(&self) -> Vec<UnplacedHolder<'_>> {
        self.0.unplaced.iter().map(UnplacedHolder).collect()
    }

    /// Each month of the range: planned donations against the even spread.
    async fn months(&self) -> Vec<ScheduleMonth<'_>> {
        self.0.months.iter().map(ScheduleMonth).collect()
    }

    /// Each active vehicle's days used against its available working days.
    async fn vehicles(&self) -> Vec<VehicleUtilisation<'_>> {
        self.0.vehicles.iter().map(VehicleUtilisation).collect()
    }

    /// The whole-blood donation interval applied to small holders, in days.
    async fn interval_days(&self) -> i64 {
        self.0.interval_days
    }
}

pub struct ScheduledVisit<'a>(&'a ProposedVisit);

#[Object]
impl ScheduledVisit<'_> {
    async fn unit(&self, ctx: &Context<'_>) -> ApiResult<Unit> {
        loaders::unit(ctx, self.0.unit.0).await
    }

    async fn vehicle(&self, ctx: &Context<'_>) -> ApiResult<Vehicle> {
        loaders::vehicle(ctx, self.0.vehicle.0).await
    }

    async fn date(&self) -> Date {
        self.0.date.into()
    }

    async fn session(&self) -> SessionGql {
        self.0.session.into()
    }

    /// Bookings to make: the planned donations times the bookings per donation, rounded up.
    async fn expected_donors(&self) -> i32 {
        self.0.expected_donors
    }

    /// Donations the visit is planned to collect.
    async fn donations(&self) -> i64 {
        self.0.donations
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "UnplacedReason", remote = "crate::domain::schedule::UnplacedReason")]
pub enum UnplacedReasonGql {
    /// 已被排除
    Excluded,
    /// 未设置学期日期
    NoTermDates,
    /// 日期范围内没有可安排的日子
    NoAllowedDay,
    /// 距其他采血活动不足献血间隔
    DonationInterval,
    /// 采血车运力不足
    NoCapacity,
}

pub struct UnplacedHolder<'a>(&'a Unplaced);

#[Object]
impl UnplacedHolder<'_> {
    async fn unit(&self, ctx: &Context<'_>) -> ApiResult<Unit> {
        loaders::unit(ctx, self.0.unit.0).await
    }

    async fn donations(&self) -> i64 {
        self.0.donations
    }

    async fn reason(&self) -> UnplacedReasonGql {
        self.0.reason.into()
    }

    async fn reason_label(&self) -> &'static str {
        UnplacedReason::label_zh(self.0.reason)
    }
}

pub struct ScheduleMonth<'a>(&'a MonthFigure);

#[Object]
impl ScheduleMonth<'_> {
    /// 1–12.
    async fn month(&self) -> u32 {
        self.0.month
    }

    async fn year(&self) -> i32 {
        self.0.year
    }

    /// Proposed and existing booked donations of the month inside the range.
    async fn planned_donations(&self) -> i64 {
        self.0.planned_donations
    }

    /// The range's need spread evenly over its working days.
    async fn even_share(&self) -> i64 {
        self.0.even_share
    }

    async fn below_floor(&self) -> bool {
        self.0.below_floor
    }

    async fn within_band(&self) -> bool {
        self.0.within_band
    }
}

pub struct VehicleUtilisation<'a>(&'a VehicleUse);

#[Object]
impl VehicleUtilisation<'_> {
    async fn vehicle(&self, ctx: &Context<'_>) -> ApiResult<Vehicle> {
        loaders::vehicle(ctx, self.0.vehicle.0).await
    }

    async fn days_used(&self) -> i64 {
        self.0.days_used
    }

    async fn days_available(&self) -> i64 {
        self.0.days_available
    }

    /// Days used ÷ days available.
    async fn utilisation(&self) -> f64 {
        self.0.utilisation
    }
}
