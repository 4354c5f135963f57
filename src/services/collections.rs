//! Recording what a visit (or a fixed site) collected, and correcting it by revision.
//!
//! A visit has at most one collection: the unique index on `collection.visit_id` decides,
//! so of two concurrent `recordCollection` for one visit exactly one lands and the other
//! gets `COLLECTION_EXISTS`. A correction names the revision it corrects: the update only
//! applies `WHERE revision = expected`, and the unique index on (collection, revision)
//! backs it, so of parallel corrections of one revision one lands and the others get
//! `COLLECTION_CHANGED`. Nothing here checks and then writes.
//!
//! A record entered against the wrong visit is voided, never deleted: it stays readable
//! with its reason, counts nowhere, and its visit is confirmed again (awaiting its record).
use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
};
use serde_json::json;

use super::audit::Change;
use super::{clean, Page, ServiceError};
use crate::clock::Clock;
use crate::db::entities::{collection, collection_revision, unit, vehicle, visit};
use crate::domain::auth::{Actor, STAFF};
use crate::domain::collection::{self as rules, BloodTypes, CollectionRejection, CollectionSite, Counts};
use crate::domain::ids::{SubUnitId, UnitId, VisitId};
use crate::domain::visit::VisitStatus;

pub mod codes {
    error_codes! {
        COLLECTION_EXISTS,
        COLLECTION_CHANGED,
        VISIT_MISMATCH,
        COLLECTION_VOIDED,
    }
}

fn collection_changed() -> ServiceError {
    ServiceError::rejected(
        codes::COLLECTION_CHANGED,
        "该采血记录已被他人更正或作废，请刷新后按最新版本再更正",
    )
}

fn already_voided() -> ServiceError {
    ServiceError::rejected(codes::COLLECTION_VOIDED, "该采血记录已作废，不能再更正或作废")
}

fn rejection(r: CollectionRejection) -> ServiceError {
    ServiceError::rejected(r.code(), r.to_string())
}

/// Where the blood was given: a visit, or a holder's donors at a fixed site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Visit(VisitId),
    FixedSite { unit_id: UnitId, site: CollectionSite },
}

#[derive(Debug, Clone)]
pub struct CollectionInput {
    pub source: Source,
    pub date: NaiveDate,
    pub counts: Counts,
    pub note: Option<String>,
    /// The holder's sub-unit whose donors these were. Omitted: the visit's (a visit's
    /// record), or what the record named before (a correction).
    pub sub_unit_id: Option<SubUnitId>,
}

#[derive(Debug, Clone)]
pub struct RevisionView {
    pub revision: i32,
    pub site: CollectionSite,
    pub date: NaiveDate,
    pub counts: Counts,
    pub note: Option<String>,
    pub reason: Option<String>,
    pub recorded_by: Option<i32>,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct CollectionView {
    pub id: i32,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub visit_id: Option<VisitId>,
    pub site: CollectionSite,
    pub date: NaiveDate,
    pub counts: Counts,
    pub note: Option<String>,
    pub revision: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub voided_at: Option<DateTime<Utc>>,
    pub void_reason: Option<String>,
    pub sub_unit_id: Option<SubUnitId>,
}

fn blood_types(
    a: Option<i32>,
    b: Option<i32>,
    o: Option<i32>,
    ab: Option<i32>,
    rh: Option<i32>,
) -> Option<BloodTypes> {
    Some(BloodTypes { a: a?, b: b?, o: o?, ab: ab?, rh_negative: rh? })
}

fn counts_of(m: &collection::Model) -> Counts {
    Counts {
        bags200: m.bags200,
        bags300: m.bags300,
        bags400: m.bags400,
        deferred: m.deferred,
        blood_types: blood_types(m.type_a, m.type_b, m.type_o, m.type_ab, m.rh_negative),
    }
}

fn view_with(m: collection::Model, unit_name: String) -> CollectionView {
    CollectionView {
        id: m.id,
        unit_id: m.unit_id,
        unit_name,
        visit_id: m.visit_id.or(m.voided_visit_id),
        site: m.site,
        date: m.date,
        counts: counts_of(&m),
        note: m.note,
        revision: m.revision,
        created_at: m.created_at,
        updated_at: m.updated_at,
        voided_at: m.voided_at,
        void_reason: m.void_reason,
        sub_unit_id: m.sub_unit_id,
    }
}

async fn view(db: &impl ConnectionTrait, m: collection::Model) -> Result<CollectionView, ServiceError> {
    let name = unit::Entity::find_by_id(m.unit_id).one(db).await?.map(|u| u.name).unwrap_or_default();
    Ok(view_with(m, name))
}

fn collection_json(m: &collection::Model) -> serde_json::Value {
    json!({
        "unitId": m.unit_id, "visitId": m.visit_id, "site": m.site.code(), "date": m.date, "revision": m.revision,
        "bags200": m.bags200, "bags300": m.bags300, "bags400": m.bags400, "donations": m.donations,
        "volumeMl": m.volume_ml, "deferred": m.deferred, "typeA": m.type_a, "typeB": m.type_b,
        "typeO": m.type_o, "typeAb": m.type_ab, "rhNegative": m.rh_negative, "note": m.note,
        "voidedAt": m.voided_at, "voidReason": m.void_reason, "voidedVisitId": m.voided_visit_id,
        "subUnitId": m.sub_unit_id,
    })
}

/// `BLOODPLAN_COLLECTION_MAX_DONATIONS`: the most donations one record may hold. Unset, it
/// is twice the largest vehicle's daily capacity (a fixed site's busy day is no bigger).
#[derive(Debug, Clone, Copy, Default)]
pub struct CollectionSettings {
    pub max_donations: Option<i64>,
}

async fn record_ceiling(
    txn: &DatabaseTransaction,
    settings: &CollectionSettings,
) -> Result<i64, ServiceError> {
    if let Some(max) = settings.max_donations {
        return Ok(max);
    }
    let largest: Option<i32> = vehicle::Entity::find()
        .select_only()
        .column_as(vehicle::Column::CapacityPerDay.max(), "largest")
        .into_tuple::<Option<i32>>()
        .one(txn)
        .await?
        .flatten();
    Ok(2 * i64::from(largest.unwrap_or(super::vehicles::DEFAULT_CAPACITY_PER_DAY)))
}

/// What a source resolves to inside the transaction: the holder, the site and the visit.
struct Resolved {
    unit_id: UnitId,
    site: CollectionSite,
    visit: Option<visit::Model>,
}

/// Checks everything about an input that does not depend on an existing record.
async fn resolve(
    txn: &DatabaseTransaction,
    today: NaiveDate,
    settings: &CollectionSettings,
    input: &CollectionInput,
) -> Result<Resolved, ServiceError> {
    let ceiling = record_ceiling(txn, settings).await?;
    rules::check_ceiling(&input.counts, ceiling).map_err(rejection)?;
    rules::check_counts(&input.counts).map_err(rejection)?;
    let resolved = match input.source {
        Source::Visit(visit_id) => {
            let v = super::visits::lock(txn, visit_id)
                .await?
                .ok_or_else(|| ServiceError::not_found(super::noun::VISIT, visit_id))?;
            if v.status == VisitStatus::Cancelled {
                return Err(rejection(CollectionRejection::VisitCancelled));
            }
            // The vehicle only goes where the office confirmed it would.
            if v.status == VisitStatus::Requested {
                return Err(rejection(CollectionRejection::VisitNotConfirmed));
            }
            let capacity =
                vehicle::Entity::find_by_id(v.vehicle_id).one(txn).await?.map_or(0, |c| c.capacity_per_day);
            rules::check_visit_collection(&input.counts, input.date, v.date, capacity).map_err(rejection)?;
            Resolved { unit_id: v.unit_id, site: CollectionSite::AtUnit, visit: Some(v) }
        }
        Source::FixedSite { unit_id, site } => {
            if site == CollectionSite::AtUnit {
                return Err(ServiceError::BadInput("在献血单位采血须指定采血活动 (visitId)".into()));
            }
            super::find_or_not_found(txn, unit::Entity, unit_id, super::noun::UNIT).await?;
            Resolved { unit_id, site, visit: None }
        }
    };
    rules::check_date(input.date, today).map_err(rejection)?;
    Ok(resolved)
}

fn figures(model: &mut collection::ActiveModel, input: &CollectionInput, note: Option<String>) {
    let c = &input.counts;
    let t = c.blood_types;
    model.date = Set(input.date);
    model.year = Set(input.date.year());
    model.month = Set(input.date.month() as i32);
    model.bags200 = Set(c.bags200);
    model.bags300 = Set(c.bags300);
    model.bags400 = Set(c.bags400);
    // Both fit: `check_ceiling` bounded every figure and their sum before this.
    model.donations = Set(c.donations() as i32);
    model.volume_ml = Set(c.volume_ml());
    model.deferred = Set(c.deferred);
    model.type_a = Set(t.map(|t| t.a));
    model.type_b = Set(t.map(|t| t.b));
    model.type_o = Set(t.map(|t| t.o));
    model.type_ab = Set(t.map(|t| t.ab));
    model.rh_negative = Set(t.map(|t| t.rh_negative));
    model.note = Set(note);
}

async fn insert_revision(
    txn: &DatabaseTransaction,
    m: &collection::Model,
    reason: Option<String>,
    actor: &Actor,
    at: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let inserted = collection_revision::ActiveModel {
        collection_id: Set(m.id),
        revision: Set(m.revision),
        site: Set(m.site),
        date: Set(m.date),
        bags200: Set(m.bags200),
        bags300: Set(m.bags300),
        bags400: Set(m.bags400),
        deferred: Set(m.deferred),
        type_a: Set(m.type_a),
        type_b: Set(m.type_b),
        type_o: Set(m.type_o),
        type_ab: Set(m.type_ab),
        rh_negative: Set(m.rh_negative),
        note: Set(m.note.clone()),
        reason: Set(reason),
        recorded_by: Set(Some(actor.user_id.0)),
        recorded_at: Set(at),
        ..Default::default()
    }
    .insert(txn)
    .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(e) if crate::db::is_unique_violation(&e) => Err(collection_changed()),
        Err(e) => Err(e.into()),
    }
}

/// Records a collection; a visit's collection also marks the visit completed.
pub async fn record_collection(
    db: &DatabaseConnection,
    clock: &Clock,
    settings: &CollectionSettings,
    actor: &Actor,
    input: CollectionInput,
) -> Result<CollectionView, ServiceError> {
    actor.require(STAFF)?;
    super::check_dates([input.date])?;
    let note = clean(input.note.clone(), 500, "备注")?;
    let txn = crate::db::begin_write(db).await?;
    let resolved = resolve(&txn, clock.today(), settings, &input).await?;
    let visits_own = resolved.visit.as_ref().and_then(|v| v.sub_unit_id);
    let named = input.sub_unit_id.or(visits_own);
    let year = input.date.year();
    let sub_unit_id = super::sub_units::check(&txn, actor, named, resolved.unit_id, year, visits_own).await?;
    let now = clock.now();
    let mut model = collection::ActiveModel {
        unit_id: Set(resolved.unit_id),
        visit_id: Set(resolved.visit.as_ref().map(|v| VisitId(v.id))),
        site: Set(resolved.site),
        revision: Set(1),
        recorded_by: Set(Some(actor.user_id.0)),
        created_at: Set(now),
        updated_at: Set(now),
        sub_unit_id: Set(sub_unit_id),
        ..Default::default()
    };
    figures(&mut model, &input, note);
    // The insert comes before the visit's status change so that a second record for the
    // visit always meets the unique index and gets COLLECTION_EXISTS, whichever came first.
    let created = model.insert(&txn).await.map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            ServiceError::rejected(codes::COLLECTION_EXISTS, "该采血活动已有采血记录；如需修改，请提交更正")
        } else {
            e.into()
        }
    })?;
    super::totals::collection_changed(&txn, None, Some(&created)).await?;
    if let Some(v) = resolved.visit {
        v.status
            .transition(VisitStatus::Completed)
            .map_err(|e| ServiceError::rejected(e.code(), e.to_string()))?;
        let mut done: visit::ActiveModel = v.clone().into();
        done.status = Set(VisitStatus::Completed);
        done.updated_at = Set(now);
        let done = done.update(&txn).await?;
        super::totals::visit_changed(&txn, Some(&v), Some(&done)).await?;
    }
    insert_revision(&txn, &created, None, actor, now).await?;
    Change::new("collection", created.id, "record", actor)
        .after(collection_json(&created))
        .record(&txn, clock)
        .await?;
    let v = view(&txn, created).await?;
    txn.commit().await?;
    Ok(v)
}

/// Replaces a record's figures with a new revision; the old ones stay in its history. The
/// caller names the revision it saw (`expected_revision`): a record changed since gets
/// `COLLECTION_CHANGED` and nothing is written.
#[allow(clippy::too_many_arguments)]
pub async fn correct_collection(
    db: &DatabaseConnection,
    clock: &Clock,
    settings: &CollectionSettings,
    actor: &Actor,
    id: i32,
    expected_revision: i32,
    reason: String,
    input: CollectionInput,
) -> Result<CollectionView, ServiceError> {
    actor.require(STAFF)?;
    let reason = clean(Some(reason), 500, "更正原因")?
        .ok_or_else(|| ServiceError::BadInput("请填写更正原因".into()))?;
    super::check_dates([input.date])?;
    let note = clean(input.note.clone(), 500, "备注")?;
    let txn = crate::db::begin_write(db).await?;
    let current = super::find_or_not_found(&txn, collection::Entity, id, super::noun::COLLECTION).await?;
    if current.voided_at.is_some() {
        return Err(already_voided());
    }
    if current.revision != expected_revision {
        return Err(collection_changed());
    }
    // A correction fixes the figures; it does not move a record to another visit or holder.
    let same_source = match input.source {
        Source::Visit(visit_id) => current.visit_id == Some(visit_id),
        Source::FixedSite { unit_id, .. } => current.visit_id.is_none() && current.unit_id == unit_id,
    };
    if !same_source {
        return Err(ServiceError::rejected(
            codes::VISIT_MISMATCH,
            "更正不能改变采血记录所属的采血活动或单位",
        ));
    }
    let resolved = resolve(&txn, clock.today(), settings, &input).await?;
    let kept = current.sub_unit_id;
    let named = input.sub_unit_id.or(kept);
    let year = input.date.year();
    let sub_unit_id = super::sub_units::check(&txn, actor, named, resolved.unit_id, year, kept).await?;
    let now = clock.now();
    let mut changed: collection::ActiveModel = current.clone().into();
    figures(&mut changed, &input, note);
    changed.sub_unit_id = Set(sub_unit_id);
    changed.site = Set(resolved.site);
    changed.revision = Set(current.revision + 1);
    changed.recorded_by = Set(Some(actor.user_id.0));
    changed.updated_at = Set(now);
    let changed = update_if_revision(&txn, changed, expected_revision).await?;
    super::totals::collection_changed(&txn, Some(&current), Some(&changed)).await?;
    insert_revision(&txn, &changed, Some(reason.clone()), actor, now).await?;
    let mut after = collection_json(&changed);
    after["reason"] = json!(reason);
    Change::new("collection", changed.id, "correct", actor)
        .before(collection_json(&current))
        .after(after)
        .record(&txn, clock)
        .await?;
    let v = view(&txn, changed).await?;
    txn.commit().await?;
    Ok(v)
}

/// Writes `changed` only if the stored record is still at `expected` (what was read at the
/// start of the transaction may be stale on PostgreSQL's READ COMMITTED).
async fn update_if_revision(
    txn: &DatabaseTransaction,
    changed: collection::ActiveModel,
    expected: i32,
) -> Result<collection::Model, ServiceError> {
    let id = match &changed.id {
        sea_orm::ActiveValue::Set(id) | sea_orm::ActiveValue::Unchanged(id) => *id,
        sea_orm::ActiveValue::NotSet => return Err(ServiceError::Internal("collection without id".into())),
    };
    let updated = collection::Entity::update_many()
        .set(changed)
        .filter(collection::Column::Id.eq(id))
        .filter(collection::Column::Revision.eq(expected))
        .filter(collection::Column::VoidedAt.is_null())
        .exec(txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(collection_changed());
    }
    collection::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| ServiceError::Internal(format!("collection {id} vanished")))
}

/// Voids a record entered by mistake (e.g. against the wrong visit). It stays readable with
/// its reason and revisions, counts in no figure, and its visit goes back to `CONFIRMED`,
/// free to get its right record.
pub async fn void_collection(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    id: i32,
    reason: String,
) -> Result<CollectionView, ServiceError> {
    actor.require(STAFF)?;
    let reason = clean(Some(reason), 500, "作废原因")?
        .ok_or_else(|| ServiceError::BadInput("请填写作废原因".into()))?;
    let txn = crate::db::begin_write(db).await?;
    let current = super::find_or_not_found(&txn, collection::Entity, id, super::noun::COLLECTION).await?;
    if current.voided_at.is_some() {
        return Err(already_voided());
    }
    let now = clock.now();
    let mut changed: collection::ActiveModel = current.clone().into();
    changed.visit_id = Set(None);
    changed.voided_visit_id = Set(current.visit_id);
    changed.voided_at = Set(Some(now));
    changed.void_reason = Set(Some(reason.clone()));
    changed.updated_at = Set(now);
    let changed = update_if_revision(&txn, changed, current.revision).await?;
    super::totals::collection_changed(&txn, Some(&current), Some(&changed)).await?;
    if let Some(visit_id) = current.visit_id {
        if let Some(v) = super::visits::lock(&txn, visit_id).await? {
            if v.status == VisitStatus::Completed {
                let mut back: visit::ActiveModel = v.clone().into();
                back.status = Set(VisitStatus::Confirmed);
                back.updated_at = Set(now);
                let back = back.update(&txn).await?;
                super::totals::visit_changed(&txn, Some(&v), Some(&back)).await?;
            }
        }
    }
    Change::new("collection", changed.id, "void", actor)
        .before(collection_json(&current))
        .after(collection_json(&changed))
        .record(&txn, clock)
        .await?;
    let v = view(&txn, changed).await?;
    txn.commit().await?;
    Ok(v)
}

pub async fn collection_by_id(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
) -> Result<CollectionView, ServiceError> {
    let found = collection::Entity::find_by_id(id).one(db).await?;
    actor.may_read_record(found.as_ref().map(|m| m.unit_id))?;
    view(db, found.ok_or_else(|| ServiceError::not_found(super::noun::COLLECTION, id))?).await
}

/// Every revision of each record `collection_ids`, oldest first, in one query. Records
/// always have their first revision; unknown ids are left out. The caller read the records
/// themselves, as whoever may.
pub async fn revisions_of(
    db: &impl ConnectionTrait,
    collection_ids: &[i32],
) -> Result<HashMap<i32, Vec<RevisionView>>, ServiceError> {
    let rows = collection_revision::Entity::find()
        .filter(collection_revision::Column::CollectionId.is_in(collection_ids.iter().copied()))
        .order_by_asc(collection_revision::Column::CollectionId)
        .order_by_asc(collection_revision::Column::Revision)
        .all(db)
        .await?;
    let mut revisions: HashMap<i32, Vec<RevisionView>> = HashMap::new();
    for r in rows {
        revisions.entry(r.collection_id).or_default().push(RevisionView {
            revision: r.revision,
            site: r.site,
            date: r.date,
            counts: Counts {
                bags200: r.bags200,
                bags300: r.bags300,
                bags400: r.bags400,
                deferred: r.deferred,
                blood_types: blood_types(r.type_a, r.type_b, r.type_o, r.type_ab, r.rh_negative),
            },
            note: r.note,
            reason: r.reason,
            recorded_by: r.recorded_by,
            recorded_at: r.recorded_at,
        });
    }
    Ok(revisions)
}

#[derive(Debug, Clone, Default)]
pub struct CollectionFilter {
    pub year: Option<i32>,
    pub unit_id: Option<UnitId>,
    pub visit_id: Option<VisitId>,
}

/// Records in date order. A liaison sees only their own holder's, whatever the filter says;
/// asking for another holder's is refused rather than silently emptied.
pub async fn list_collections(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: &CollectionFilter,
    page: Page,
) -> Result<(u64, Vec<CollectionView>), ServiceError> {
    if let Some(unit_id) = filter.unit_id {
        actor.may_read_holder(unit_id)?;
    }
    let unit_id = actor.holder_scope()?.or(filter.unit_id);
    let query = collection::Entity::find()
        .filter(collection::Column::VoidedAt.is_null())
        .apply_if(filter.year, |q, y| q.filter(collection::Column::Year.eq(y)))
        .apply_if(unit_id, |q, u| q.filter(collection::Column::UnitId.eq(u)))
        .apply_if(filter.visit_id, |q, v| q.filter(collection::Column::VisitId.eq(v)));
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_asc(collection::Column::Date)
        .order_by_asc(collection::Column::Id)
        .offset(page.offset)
        .limit(page.first)
        .find_also_related(unit::Entity)
        .all(db)
        .await?;
    Ok((total, rows.into_iter().map(|(m, u)| view_with(m, u.map(|u| u.name).unwrap_or_default())).collect()))
}
