//! Loading a year of activity in bulk (`bloodplan import-activity DIR`, benchmarks and
//! demos): the vehicles, visits and collection records that `bloodplan gen --activity`
//! writes (`domain::activity_table`), into a year whose plan is loaded and that has no
//! visit or record yet.
//!
//! One transaction. Every line is checked before anything is written, with the rules the
//! booking and recording use row by row where they do not depend on the day of booking: a
//! holder of the year's plan, an active vehicle out of its blackouts, expected donors within
//! the session's capacity, a record within the vehicle's day and the record ceiling, nothing
//! collected after today, no vehicle half-day held twice (also the `visit_slot` unique
//! index's job). Rows go in as multi-row INSERTs of [`super::INSERT_CHUNK`]; the slots and
//! the first revision of each record are derived in SQL (`INSERT … SELECT`); the kept
//! totals are rebuilt once with [`super::totals::rebuild_year`] before the commit.
use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    JoinType, PaginatorTrait, QueryFilter, QuerySelect, RelationTrait, Set,
};

use super::audit::{Change, Performer};
use super::collections::CollectionSettings;
use super::ServiceError;
use crate::clock::Clock;
use crate::db::entities::{
    collection, collection_revision, plan, plan_quota, unit, vehicle, vehicle_blackout, visit, visit_slot,
};
use crate::domain::activity_table::{self, ActivityRow, VehicleRow, ACTIVITY_FILE, VEHICLES_FILE};
use crate::domain::collection as rules;
use crate::domain::ids::{UnitId, VehicleId, VisitId};
use crate::domain::plan_table::{self, Problem};
use crate::domain::visit::{HalfDay, Session, VisitStatus};

/// A folder's activity, parsed and checked on its own.
#[derive(Debug, Clone)]
pub struct ActivityTable {
    pub year: i32,
    pub vehicles: Vec<VehicleRow>,
    pub rows: Vec<ActivityRow>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityReport {
    pub year: i32,
    pub vehicles_created: u64,
    pub visits: u64,
    pub collections: u64,
    pub donations: i64,
    pub volume_ml: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum ActivityImportError {
    #[error("{} 处问题，未写入任何数据", .0.len())]
    Invalid(Vec<Problem>),
    #[error(
        "{year} 年已有采血活动 {visits} 条、采血记录 {collections} 条：批量导入只用于没有任何采血活动的年度，未写入任何数据 \
         (year {year} already has activity: import-activity only loads a year with none)"
    )]
    YearHasActivity { year: i32, visits: u64, collections: u64 },
    #[error(
        "{0} 年没有计划：请先导入该年度的计划 (bloodplan import DIR) (no plan for {0}: import it first)"
    )]
    NoPlan(i32),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<DbErr> for ActivityImportError {
    fn from(e: DbErr) -> Self {
        ActivityImportError::Service(e.into())
    }
}

fn file_problem(file: &Path, message: String) -> Problem {
    Problem { file: file.display().to_string(), line: None, column: None, message }
}

/// Reads `DIR/plan.toml` (for its year), `DIR/vehicles.csv` and `DIR/activity.csv`;
/// records dated after `today` are refused.
pub fn read_activity(dir: &Path, today: NaiveDate) -> Result<ActivityTable, Vec<Problem>> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read_to_string(&path).map_err(|e| vec![file_problem(&path, format!("无法读取：{e}"))])
    };
    let manifest_path = dir.join("plan.toml");
    let manifest = plan_table::parse_manifest(&manifest_path.display().to_string(), &read("plan.toml")?)?;
    let year = manifest
        .year
        .ok_or_else(|| vec![file_problem(&manifest_path, "未写明计划年度 (year = …)".into())])?;
    crate::domain::text::check_year(year).map_err(|why| vec![file_problem(&manifest_path, why)])?;
    let (vehicles, mut problems) = activity_table::parse_vehicles(VEHICLES_FILE, &read(VEHICLES_FILE)?);
    let (rows, more) = activity_table::parse_activity(ACTIVITY_FILE, &read(ACTIVITY_FILE)?, year, today);
    problems.extend(more);
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(ActivityTable { year, vehicles, rows })
}

/// The tables an activity import writes, analyzed after it commits.
const ACTIVITY_TABLES: &[&str] = &[
    "vehicle",
    "visit",
    "visit_slot",
    "collection",
    "collection_revision",
    "holder_month_total",
    "sub_unit_month_total",
    "audit_log",
];

/// Loads a checked activity table; nothing is written on any error.
pub async fn import_activity(
    db: &DatabaseConnection,
    clock: &Clock,
    settings: &CollectionSettings,
    by: Performer<'_>,
    table: &ActivityTable,
) -> Result<ActivityReport, ActivityImportError> {
    let txn = crate::db::begin_write(db).await?;
    let year = table.year;
    // Every write of a visit or record also writes the kept totals: holding their lock from
    // the start makes the check below and the load one step against them (and against a
    // second import-activity). SQLite's BEGIN IMMEDIATE already holds the write lock.
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared("LOCK TABLE holder_month_total, sub_unit_month_total IN EXCLUSIVE MODE")
            .await?;
    }
    let plan = plan::Entity::find().filter(plan::Column::Year.eq(year)).one(&txn).await?;
    let plan = plan.ok_or(ActivityImportError::NoPlan(year))?;
    // `check_year` bounded the year, so both days exist.
    let (first, last) = crate::domain::work_calendar::year_bounds(year);
    let visits = visit::Entity::find().filter(visit::Column::Date.between(first, last)).count(&txn).await?;
    let collections =
        collection::Entity::find().filter(collection::Column::Year.eq(year)).count(&txn).await?;
    if visits > 0 || collections > 0 {
        return Err(ActivityImportError::YearHasActivity { year, visits, collections });
    }
    let now = clock.now();
    let holders = holders_of(&txn, plan.id).await?;
    let (vehicles, vehicles_created) = vehicles_by_name(&txn, &table.vehicles, now).await?;
    let ceiling = match settings.max_donations {
        Some(max) => max,
        None => 2 * i64::from(vehicles.values().map(|v| v.capacity_per_day).max().unwrap_or(0)),
    };
    let ids: Vec<VehicleId> = vehicles.values().map(|v| VehicleId(v.id)).collect();
    let blackouts = super::vehicles::blackouts_of_many(&txn, &ids).await?;
    let checked = check_rows(table, &holders, &vehicles, &blackouts, ceiling)?;
    insert_visits(&txn, &checked, now).await?;
    take_slots(&txn, first, last).await?;
    let visit_ids = completed_visits(&txn, first, last).await?;
    let report = insert_collections(&txn, &checked, &visit_ids, now).await?;
    insert_first_revisions(&txn, year).await?;
    super::totals::rebuild_year(&txn, year).await?;
    let report = ActivityReport { year, vehicles_created, visits: checked.visits.len() as u64, ..report };
    Change::new("activity", year, "import", by)
        .after(serde_json::json!({
            "year": year, "vehiclesCreated": report.vehicles_created, "visits": report.visits,
            "collections": report.collections, "donations": report.donations, "volumeMl": report.volume_ml,
        }))
        .record(&txn, clock)
        .await?;
    txn.commit().await?;
    crate::db::refresh_statistics(db, ACTIVITY_TABLES).await;
    Ok(report)
}

/// The year's holders by name: one join of the plan's quotas with their holders.
async fn holders_of(txn: &DatabaseTransaction, plan_id: i32) -> Result<HashMap<String, UnitId>, DbErr> {
    let rows: Vec<(i32, String)> = unit::Entity::find()
        .select_only()
        .columns([unit::Column::Id, unit::Column::Name])
        .join(JoinType::InnerJoin, unit::Relation::PlanQuota.def())
        .filter(plan_quota::Column::PlanId.eq(plan_id))
        .into_tuple()
        .all(txn)
        .await?;
    Ok(rows.into_iter().map(|(id, name)| (name, UnitId(id))).collect())
}

/// Every vehicle by name, after creating those of `rows` that no vehicle is called yet.
async fn vehicles_by_name(
    txn: &DatabaseTransaction,
    rows: &[VehicleRow],
    now: DateTime<Utc>,
) -> Result<(HashMap<String, vehicle::Model>, u64), DbErr> {
    async fn all(txn: &DatabaseTransaction) -> Result<HashMap<String, vehicle::Model>, DbErr> {
        Ok(vehicle::Entity::find().all(txn).await?.into_iter().map(|v| (v.name.clone(), v)).collect())
    }
    let known = all(txn).await?;
    let new: Vec<&VehicleRow> = rows.iter().filter(|r| !known.contains_key(&r.name)).collect();
    for chunk in new.chunks(super::INSERT_CHUNK) {
        let models = chunk.iter().map(|r| vehicle::ActiveModel {
            name: Set(r.name.clone()),
            capacity_per_day: Set(r.capacity_per_day),
            home_station: Set(r.home_station.clone()),
            active: Set(true),
            calendar_token: Set(super::random_token()),
            created_at: Set(now),
            ..Default::default()
        });
        vehicle::Entity::insert_many(models).exec_without_returning(txn).await?;
    }
    if new.is_empty() {
        return Ok((known, 0));
    }
    Ok((all(txn).await?, new.len() as u64))
}

struct NewVisit {
    unit_id: UnitId,
    vehicle_id: VehicleId,
    date: NaiveDate,
    session: Session,
    status: VisitStatus,
    expected_donors: i32,
}

/// A record to write: at a fixed site, or of the visit at (vehicle, date, session).
struct NewRecord<'a> {
    unit_id: UnitId,
    row: &'a ActivityRow,
    visit: Option<(VehicleId, NaiveDate, Session)>,
}

struct Checked<'a> {
    visits: Vec<NewVisit>,
    records: Vec<NewRecord<'a>>,
}

/// Resolves every line's holder and vehicle and checks what depends on them; reports every
/// problem at once.
fn check_rows<'a>(
    table: &'a ActivityTable,
    holders: &HashMap<String, UnitId>,
    vehicles: &HashMap<String, vehicle::Model>,
    blackouts: &HashMap<VehicleId, Vec<vehicle_blackout::Model>>,
    ceiling: i64,
) -> Result<Checked<'a>, ActivityImportError> {
    let mut problems = Vec::new();
    let mut checked = Checked { visits: Vec::new(), records: Vec::new() };
    for row in &table.rows {
        let mut complain = |column: Option<&'static str>, message: String| {
            problems.push(Problem { file: ACTIVITY_FILE.into(), line: Some(row.line), column, message });
        };
        let Some(&unit_id) = holders.get(&row.holder) else {
            complain(Some("holder"), format!("单位「{}」不在 {} 年计划中", row.holder, table.year));
            continue;
        };
        if let Some(c) = &row.counts {
            if let Err(e) = rules::check_ceiling(c, ceiling) {
                complain(None, e.to_string());
            }
        }
        let Some(v) = &row.visit else {
            // A fixed-site line (`parse_activity` gave it its figures).
            if row.counts.is_some() {
                checked.records.push(NewRecord { unit_id, row, visit: None });
            }
            continue;
        };
        let Some(car) = vehicles.get(&v.vehicle) else {
            complain(
                Some("vehicle"),
                format!("没有名为「{}」的采血车 ({VEHICLES_FILE} 中也没有)", v.vehicle),
            );
            continue;
        };
        let vehicle_id = VehicleId(car.id);
        if !car.active && v.status.is_live() {
            complain(Some("vehicle"), format!("采血车「{}」已停用", car.name));
        }
        let blocked = blackouts.get(&vehicle_id).into_iter().flatten();
        if let Some(b) =
            blocked.filter(|_| v.status.is_live()).find(|b| (b.from_date..=b.to_date).contains(&row.date))
        {
            complain(
                Some("date"),
                format!("采血车「{}」{} 至 {} 停用：{}", car.name, b.from_date, b.to_date, b.reason),
            );
        }
        let most = v.session.capacity(car.capacity_per_day);
        if v.expected_donors > most {
            let message =
                format!("预约人数 {} 超过采血车「{}」该场次最多 {most} 人", v.expected_donors, car.name);
            complain(Some("expected_donors"), message);
        }
        if let Some(c) = &row.counts {
            if let Err(e) = rules::check_visit_collection(c, row.date, row.date, car.capacity_per_day) {
                complain(None, e.to_string());
            }
            checked.records.push(NewRecord { unit_id, row, visit: Some((vehicle_id, row.date, v.session)) });
        }
        checked.visits.push(NewVisit {
            unit_id,
            vehicle_id,
            date: row.date,
            session: v.session,
            status: v.status,
            expected_donors: v.expected_donors,
        });
    }
    if problems.is_empty() {
        Ok(checked)
    } else {
        Err(ActivityImportError::Invalid(problems))
    }
}

async fn insert_visits(
    txn: &DatabaseTransaction,
    checked: &Checked<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for chunk in checked.visits.chunks(super::INSERT_CHUNK) {
        let models = chunk.iter().map(|v| visit::ActiveModel {
            unit_id: Set(v.unit_id),
            vehicle_id: Set(v.vehicle_id),
            date: Set(v.date),
            session: Set(v.session),
            status: Set(v.status),
            expected_donors: Set(v.expected_donors),
            site_contact: Set(None),
            note: Set(None),
            cancel_reason: Set(None),
            client_key: Set(None),
            requested_by: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            sub_unit_id: Set(None),
            ..Default::default()
        });
        visit::Entity::insert_many(models).exec_without_returning(txn).await?;
    }
    Ok(())
}

/// One `visit_slot` row per half-day each live visit of the year holds, as booking writes
/// them (`Session::halves`); the unique index refuses a half-day held twice.
async fn take_slots(
    txn: &DatabaseTransaction,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<(), ServiceError> {
    let live: Vec<&str> =
        VisitStatus::ALL.into_iter().filter(|s| s.is_live()).map(VisitStatus::code).collect();
    for half in HalfDay::ALL {
        let sessions: Vec<&str> =
            Session::ALL.into_iter().filter(|s| s.halves().contains(&half)).map(Session::code).collect();
        let select = Query::select()
            .column(visit::Column::Id)
            .column(visit::Column::VehicleId)
            .column(visit::Column::Date)
            .expr(Expr::val(half.code()))
            .from(visit::Entity)
            .and_where(visit::Column::Date.between(first, last))
            .and_where(visit::Column::Status.is_in(live.clone()))
            .and_where(visit::Column::Session.is_in(sessions))
            .to_owned();
        let insert = Query::insert()
            .into_table(visit_slot::Entity)
            .columns([
                visit_slot::Column::VisitId,
                visit_slot::Column::VehicleId,
                visit_slot::Column::Date,
                visit_slot::Column::HalfDay,
            ])
            .select_from(select)
            .map_err(|e| ServiceError::Internal(e.to_string()))?
            .to_owned();
        match txn.execute(&insert).await {
            Ok(_) => {}
            Err(e) if crate::db::is_unique_violation(&e) => {
                return Err(ServiceError::rejected(
                    super::visits::codes::SLOT_TAKEN,
                    "有采血车的同一半天被两条采血活动占用",
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The year's completed visits by (vehicle, date, session): a live visit's key is unique,
/// as its slots are.
async fn completed_visits(
    txn: &DatabaseTransaction,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<HashMap<(VehicleId, NaiveDate, Session), VisitId>, DbErr> {
    let rows: Vec<(i32, VehicleId, NaiveDate, Session)> = visit::Entity::find()
        .select_only()
        .columns([visit::Column::Id, visit::Column::VehicleId, visit::Column::Date, visit::Column::Session])
        .filter(visit::Column::Date.between(first, last))
        .filter(visit::Column::Status.eq(VisitStatus::Completed.code()))
        .into_tuple()
        .all(txn)
        .await?;
    Ok(rows.into_iter().map(|(id, vehicle, date, session)| ((vehicle, date, session), VisitId(id))).collect())
}

/// Records per INSERT. A record has 25 columns: at [`super::INSERT_CHUNK`] rows (2,500
/// parameters) each PostgreSQL insert took ~67 ms against ~7 ms for 100 visits of 14 columns
/// (debug build, 43,750 records: 29 s), the same stall BENCHMARKS.md saw with 500 holders.
const COLLECTION_CHUNK: usize = super::INSERT_CHUNK / 2;

async fn insert_collections(
    txn: &DatabaseTransaction,
    checked: &Checked<'_>,
    visit_ids: &HashMap<(VehicleId, NaiveDate, Session), VisitId>,
    now: DateTime<Utc>,
) -> Result<ActivityReport, ServiceError> {
    let mut report = ActivityReport::default();
    for chunk in checked.records.chunks(COLLECTION_CHUNK) {
        let mut models = Vec::with_capacity(chunk.len());
        for r in chunk {
            let Some(c) = r.row.counts else { continue };
            let visit_id = match r.visit {
                Some(key) => Some(*visit_ids.get(&key).ok_or_else(|| {
                    ServiceError::Internal(format!(
                        "{ACTIVITY_FILE} line {}: its visit was not found",
                        r.row.line
                    ))
                })?),
                None => None,
            };
            // Both fit: `check_ceiling` bounded every figure and their sum.
            let donations = c.donations();
            report.collections += 1;
            report.donations = report.donations.checked_add(donations).ok_or_else(overflow)?;
            report.volume_ml = report.volume_ml.checked_add(c.volume_ml()).ok_or_else(overflow)?;
            models.push(collection::ActiveModel {
                unit_id: Set(r.unit_id),
                visit_id: Set(visit_id),
                site: Set(r.row.site),
                date: Set(r.row.date),
                year: Set(r.row.date.year()),
                month: Set(r.row.date.month() as i32),
                bags200: Set(c.bags200),
                bags300: Set(c.bags300),
                bags400: Set(c.bags400),
                donations: Set(i32::try_from(donations).map_err(|_| overflow())?),
                volume_ml: Set(c.volume_ml()),
                deferred: Set(c.deferred),
                type_a: Set(None),
                type_b: Set(None),
                type_o: Set(None),
                type_ab: Set(None),
                rh_negative: Set(None),
                note: Set(None),
                revision: Set(1),
                recorded_by: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                voided_at: Set(None),
                void_reason: Set(None),
                voided_visit_id: Set(None),
                sub_unit_id: Set(None),
                ..Default::default()
            });
        }
        if !models.is_empty() {
            collection::Entity::insert_many(models).exec_without_returning(txn).await?;
        }
    }
    Ok(report)
}

fn overflow() -> ServiceError {
    ServiceError::Internal("activity figures overflow".into())
}

/// Revision 1 of every record of the year, as recording writes it: the year had none before.
async fn insert_first_revisions(txn: &DatabaseTransaction, year: i32) -> Result<(), ServiceError> {
    use collection::Column as C;
    use collection_revision::Column as R;
    let copied = [
        (C::Id, R::CollectionId),
        (C::Revision, R::Revision),
        (C::Site, R::Site),
        (C::Date, R::Date),
        (C::Bags200, R::Bags200),
        (C::Bags300, R::Bags300),
        (C::Bags400, R::Bags400),
        (C::Deferred, R::Deferred),
        (C::TypeA, R::TypeA),
        (C::TypeB, R::TypeB),
        (C::TypeO, R::TypeO),
        (C::TypeAb, R::TypeAb),
        (C::RhNegative, R::RhNegative),
        (C::Note, R::Note),
        (C::RecordedBy, R::RecordedBy),
        (C::CreatedAt, R::RecordedAt),
    ];
    let select = Query::select()
        .columns(copied.map(|(c, _)| c))
        .from(collection::Entity)
        .and_where(C::Year.eq(year))
        .to_owned();
    let insert = Query::insert()
        .into_table(collection_revision::Entity)
        .columns(copied.map(|(_, r)| r))
        .select_from(select)
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .to_owned();
    txn.execute(&insert).await?;
    Ok(())
}
