use sea_orm::entity::prelude::*;

use crate::domain::collection::CollectionSite;
use crate::domain::ids::{SubUnitId, UnitId, VisitId};

/// A collection record's current figures: the ones fulfilment counts.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "collection")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub unit_id: UnitId,
    /// The visit collected at; none for a fixed site.
    #[sea_orm(unique)]
    pub visit_id: Option<VisitId>,
    pub site: CollectionSite,
    pub date: Date,
    /// The date's year and month, stored to group by month on every backend.
    pub year: i32,
    pub month: i32,
    pub bags200: i32,
    pub bags300: i32,
    pub bags400: i32,
    pub donations: i32,
    pub volume_ml: i64,
    pub deferred: i32,
    pub type_a: Option<i32>,
    pub type_b: Option<i32>,
    pub type_o: Option<i32>,
    pub type_ab: Option<i32>,
    pub rh_negative: Option<i32>,
    pub note: Option<String>,
    /// The number of the revision these figures come from (1 = as first recorded).
    pub revision: i32,
    pub recorded_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Set when the record was voided: it counts nowhere from then on.
    pub voided_at: Option<DateTimeUtc>,
    pub void_reason: Option<String>,
    /// The visit a voided record was entered against (its `visit_id` is cleared).
    pub voided_visit_id: Option<VisitId>,
    /// The sub-unit of the holder whose donors these were, if it names one.
    pub sub_unit_id: Option<SubUnitId>,
}

relations!(Unit => belongs_to unit (UnitId -> Id));
