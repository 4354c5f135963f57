//! Sub-units (二级单位) in booking and fulfilment (issue 14 item 2).
//!
//! The sub-units of a holder in a year are the rows of its accepted breakdown. Each name has
//! one identity (`sub_unit`, unique per holder, year and name), made when a version listing
//! it is accepted: a newer accepted version that keeps the name keeps the sub-unit — and the
//! visits and records that name it — and takes over its quota; a name it drops keeps its
//! identity and its figures, shown with no quota, and new visits and records can no longer
//! name it (`SUB_UNIT_REMOVED`), while those that named it keep it through moves and
//! corrections. Figures are kept per sub-unit beside the holder's (`services::totals`);
//! fulfilment reads them (`services::fulfilment::sub_units`).
use std::collections::HashMap;

use sea_orm::sea_query::{JoinType, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select, Set};

use super::ServiceError;
use crate::db::entities::{breakdown, breakdown_row, sub_unit};
use crate::domain::auth::Actor;
use crate::domain::breakdown::{self as rules, BreakdownStatus, NamedSubUnit};
use crate::domain::ids::{SubUnitId, UnitId};

/// The rows of the accepted breakdowns of `year` (at most one per holder), joined with their
/// version so that callers filter on its holder.
pub(crate) fn accepted_rows(year: i32) -> Select<breakdown_row::Entity> {
    let version = breakdown_row::Entity::belongs_to(breakdown::Entity)
        .from(breakdown_row::Column::BreakdownId)
        .to(breakdown::Column::Id)
        .into();
    breakdown_row::Entity::find()
        .join(JoinType::InnerJoin, version)
        .filter(breakdown::Column::Year.eq(year))
        .filter(breakdown::Column::Status.eq(BreakdownStatus::Accepted))
}

/// Gives every name of a version just accepted its identity; names known from an earlier
/// version keep theirs (the unique index on (holder, year, name) decides, atomically).
pub(crate) async fn register_accepted(
    txn: &impl ConnectionTrait,
    unit_id: UnitId,
    year: i32,
    names: &[String],
) -> Result<(), ServiceError> {
    for chunk in names.chunks(super::INSERT_CHUNK) {
        let rows = chunk.iter().map(|name| sub_unit::ActiveModel {
            unit_id: Set(unit_id),
            year: Set(year),
            name: Set(name.clone()),
            ..Default::default()
        });
        let keep =
            OnConflict::columns([sub_unit::Column::UnitId, sub_unit::Column::Year, sub_unit::Column::Name])
                .do_nothing()
                .to_owned();
        sub_unit::Entity::insert_many(rows)
            .on_conflict(keep)
            .try_insert()
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// The sub-unit a visit or record of `holder` dated in `year` names, checked: `None` when it
/// names none. `kept` is what the visit or record named before a move or correction.
pub(crate) async fn check(
    db: &impl ConnectionTrait,
    actor: &Actor,
    named: Option<SubUnitId>,
    holder: UnitId,
    year: i32,
    kept: Option<SubUnitId>,
) -> Result<Option<SubUnitId>, ServiceError> {
    let Some(id) = named else { return Ok(None) };
    let found = match sub_unit::Entity::find_by_id(id).one(db).await? {
        Some(s) => {
            let listed = accepted_rows(s.year)
                .filter(breakdown::Column::UnitId.eq(s.unit_id))
                .filter(breakdown_row::Column::Name.eq(s.name.clone()))
                .one(db)
                .await?
                .is_some();
            Some(NamedSubUnit { holder: s.unit_id, year: s.year, name: s.name, listed })
        }
        None => None,
    };
    rules::check_named(found.as_ref(), holder, year, kept == Some(id))
        .map_err(|p| ServiceError::rejected(p.code(), p.message()))?;
    actor.may_name_sub_unit(holder)?;
    Ok(Some(id))
}

/// A sub-unit a form may offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubUnitChoice {
    pub id: SubUnitId,
    pub name: String,
    pub quota: i64,
}

/// The sub-units `holder`'s accepted breakdown of `year` lists, in its order (none without
/// one): what a booking or a collection may name. For staff and the holder's own liaison.
pub async fn choices(
    db: &impl ConnectionTrait,
    actor: &Actor,
    holder: UnitId,
    year: i32,
) -> Result<Vec<SubUnitChoice>, ServiceError> {
    actor.may_read_holder(holder)?;
    let rows = accepted_rows(year)
        .filter(breakdown::Column::UnitId.eq(holder))
        .order_by_asc(breakdown_row::Column::Seq)
        .all(db)
        .await?;
    let ids: HashMap<String, SubUnitId> = sub_unit::Entity::find()
        .filter(sub_unit::Column::UnitId.eq(holder))
        .filter(sub_unit::Column::Year.eq(year))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.name, SubUnitId(s.id)))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let id = *ids.get(&r.name)?;
            Some(SubUnitChoice { id, name: r.name, quota: i64::from(r.quota) })
        })
        .collect())
}

/// The names of sub-units `ids`, in one query.
pub async fn names_of(
    db: &impl ConnectionTrait,
    ids: &[SubUnitId],
) -> Result<HashMap<SubUnitId, String>, ServiceError> {
    Ok(sub_unit::Entity::find()
        .filter(sub_unit::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (SubUnitId(s.id), s.name))
        .collect())
}
