use sea_orm::entity::prelude::*;

use crate::domain::ids::{SubUnitId, UnitId, VehicleId};
use crate::domain::visit::{Session, VisitStatus};

/// A collection vehicle at a quota holder on a date and session.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "visit")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub unit_id: UnitId,
    pub vehicle_id: VehicleId,
    pub date: Date,
    pub session: Session,
    pub status: VisitStatus,
    pub expected_donors: i32,
    pub site_contact: Option<String>,
    pub note: Option<String>,
    pub cancel_reason: Option<String>,
    /// The requester's idempotency key; cleared when the visit is cancelled.
    pub client_key: Option<String>,
    pub requested_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The sub-unit of the holder the visit is for, if it names one.
    pub sub_unit_id: Option<SubUnitId>,
}

relations! {
    Unit => belongs_to unit (UnitId -> Id),
    Vehicle => belongs_to vehicle (VehicleId -> Id),
}
