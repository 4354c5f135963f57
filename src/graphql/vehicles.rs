//! Collection vehicles and their blackouts (office and station).
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};

use super::auth;
use super::guards::{role, ANY_ROLE, STAFF};
use super::plan::parse_id;
use super::scalars::Date;
use super::visits::Visit;
use crate::db::entities::{vehicle, vehicle_blackout};
use crate::domain::ids::VehicleId;
use crate::error::ApiResult;
use crate::services::vehicles::{self, BlackoutInput, VehicleChanges, VehicleInput};
use crate::state::{AppState, CalendarFeed};

#[derive(Default)]
pub struct VehicleQuery;

#[Object]
impl VehicleQuery {
    /// Every vehicle, active or not.
    #[graphql(guard = "role(ANY_ROLE)")]
    async fn vehicles(&self, ctx: &Context<'_>) -> ApiResult<Vec<Vehicle>> {
        let state = ctx.data_unchecked::<AppState>();
        Ok(vehicles::list(&state.db).await?.into_iter().map(Vehicle).collect())
    }

    #[graphql(guard = "role(ANY_ROLE)")]
    async fn vehicle(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Vehicle> {
        let state = ctx.data_unchecked::<AppState>();
        Ok(Vehicle(vehicles::find(&state.db, parse_id(&id)?).await?))
    }
}

#[derive(Default)]
pub struct VehicleMutation;

#[derive(InputObject)]
pub struct CreateVehicleInput {
    /// A name or the plate, e.g. 鄂L采血01.
    name: String,
    /// Donors a day; default 60.
    capacity_per_day: Option<i32>,
    /// Default 咸宁市中心血站.
    home_station: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateVehicleInput {
    name: Option<String>,
    capacity_per_day: Option<i32>,
    home_station: Option<String>,
    active: Option<bool>,
}

#[Object]
impl VehicleMutation {
    #[graphql(guard = "role(STAFF)")]
    async fn create_vehicle(&self, ctx: &Context<'_>, input: CreateVehicleInput) -> ApiResult<Vehicle> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let input = VehicleInput {
            name: input.name,
            capacity_per_day: input.capacity_per_day,
            home_station: input.home_station,
        };
        Ok(Vehicle(vehicles::create_vehicle(&state.db, &state.clock, actor, input).await?))
    }

    #[graphql(guard = "role(STAFF)")]
    async fn update_vehicle(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateVehicleInput,
    ) -> ApiResult<Vehicle> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let changes = VehicleChanges {
            name: input.name,
            capacity_per_day: input.capacity_per_day,
            home_station: input.home_station,
            active: input.active,
        };
        Ok(Vehicle(vehicles::update_vehicle(&state.db, &state.clock, actor, parse_id(&id)?, changes).await?))
    }

    /// Takes a vehicle out of service from `from` to `to` inclusive (e.g. maintenance).
    #[graphql(guard = "role(STAFF)")]
    async fn add_vehicle_blackout(
        &self,
        ctx: &Context<'_>,
        vehicle_id: ID,
        from: Date,
        to: Date,
        reason: String,
    ) -> ApiResult<VehicleBlackout> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let input = BlackoutInput { from: from.into(), to: to.into(), reason };
        Ok(vehicles::add_blackout(&state.db, &state.clock, actor, parse_id(&vehicle_id)?, input)
            .await?
            .into())
    }

    #[graphql(guard = "role(STAFF)")]
    async fn remove_vehicle_blackout(&self, ctx: &Context<'_>, id: ID) -> ApiResult<bool> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        vehicles::remove_blackout(&state.db, &state.clock, actor, parse_id(&id)?).await?;
        Ok(true)
    }
}

pub struct Vehicle(pub vehicle::Model);

#[Object]
impl Vehicle {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn capacity_per_day(&self) -> i32 {
        self.0.capacity_per_day
    }
    async fn home_station(&self) -> &str {
        &self.0.home_station
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    #[graphql(guard = "role(ANY_ROLE)")]
    async fn blackouts(&self, ctx: &Context<'_>) -> ApiResult<Vec<VehicleBlackout>> {
        Ok(super::loaders::blackouts(ctx, VehicleId(self.0.id)).await?.into_iter().map(Into::into).collect())
    }
    /// The vehicle's visits in `[from, to]`, the first 500 (office and station).
    #[graphql(guard = "role(STAFF)")]
    async fn calendar(&self, ctx: &Context<'_>, from: Date, to: Date) -> ApiResult<Vec<Visit>> {
        auth::signed_in(ctx)?;
        let rows =
            super::loaders::vehicle_calendar(ctx, VehicleId(self.0.id), from.into(), to.into()).await?;
        Ok(rows.into_iter().map(Visit::from).collect())
    }
    /// An iCalendar feed of the vehicle's visits for drivers' phones (office and station).
    #[graphql(guard = "role(STAFF)")]
    async fn calendar_url(&self, ctx: &Context<'_>) -> ApiResult<String> {
        let state = ctx.data_unchecked::<AppState>();
        Ok(state.calendar_url(CalendarFeed::Vehicles, &self.0.calendar_token))
    }
}

#[derive(SimpleObject)]
pub struct VehicleBlackout {
    id: ID,
    from: Date,
    to: Date,
    reason: String,
}

impl From<vehicle_blackout::Model> for VehicleBlackout {
    fn from(b: vehicle_blackout::Model) -> Self {
        VehicleBlackout {
            id: ID(b.id.to_string()),
            from: b.from_date.into(),
            to: b.to_date.into(),
            reason: b.reason,
        }
    }
}
