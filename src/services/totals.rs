//! Totals kept as they are written: per holder, year and month, the donations and volume
//! collected and the donors booked (`holder_month_total`).
//!
//! What counts is said here once: a collection record counts unless it was voided (its row
//! holds its latest revision); a visit's expected donors are booked while its status is one
//! of [`VisitStatus::BOOKED`]. Both count in the month of their date. Every service that
//! writes a record or a visit passes the row as it was and as it is now to
//! [`collection_changed`] or [`visit_changed`] inside its own transaction; the difference
//! is added with `UPDATE … SET x = x + ?` (an upsert, so a month's first write inserts the
//! row without a read). The row was read locked (`FOR UPDATE` on PostgreSQL, the write lock
//! of `BEGIN IMMEDIATE` on SQLite) or written conditionally on its revision, so "as it was"
//! is what the write replaced.
//!
//! Fulfilment reads a date's figures as whole months from here and the date's own month from
//! the rows ([`sums_as_of`]); [`recount`] rebuilds a year from the rows and reports what
//! differed. A bulk load of records or visits (a benchmark's year of activity) writes its
//! rows and calls [`rebuild_year`] in the same transaction instead of adding row by row.
use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query, SelectStatement, UnionType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    FromQueryResult, QueryFilter, QuerySelect, QueryTrait, Select,
};

use super::ServiceError;
use crate::db::entities::{
    collection, holder_month_total as total, sub_unit, sub_unit_month_total as sub_total, unit, visit,
};
use crate::domain::ids::{SubUnitId, UnitId};
use crate::domain::visit::VisitStatus;

/// A holder's month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub year: i32,
    pub unit_id: UnitId,
    pub month: i32,
}

impl Key {
    fn of(unit_id: UnitId, date: NaiveDate) -> Key {
        Key { year: date.year(), unit_id, month: date.month() as i32 }
    }
}

/// A month's figures, or a change to them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    pub collected_donations: i64,
    pub collected_volume_ml: i64,
    pub booked_donors: i64,
}

impl Figures {
    fn is_zero(&self) -> bool {
        *self == Figures::default()
    }

    fn checked_add(self, o: Figures) -> Option<Figures> {
        Some(Figures {
            collected_donations: self.collected_donations.checked_add(o.collected_donations)?,
            collected_volume_ml: self.collected_volume_ml.checked_add(o.collected_volume_ml)?,
            booked_donors: self.booked_donors.checked_add(o.booked_donors)?,
        })
    }

    fn checked_neg(self) -> Option<Figures> {
        Some(Figures {
            collected_donations: self.collected_donations.checked_neg()?,
            collected_volume_ml: self.collected_volume_ml.checked_neg()?,
            booked_donors: self.booked_donors.checked_neg()?,
        })
    }

    /// (column of both totals tables, value) of each figure.
    fn columns(&self) -> [(&'static str, i64); 3] {
        [
            ("collected_donations", self.collected_donations),
            ("collected_volume_ml", self.collected_volume_ml),
            ("booked_donors", self.booked_donors),
        ]
    }

    /// (field name as the API spells it, value) of each figure.
    fn fields(&self) -> [(&'static str, i64); 3] {
        [
            ("collectedDonations", self.collected_donations),
            ("collectedVolumeMl", self.collected_volume_ml),
            ("bookedDonors", self.booked_donors),
        ]
    }
}

/// Whether a collection record counts in the figures.
pub fn collection_counts(c: &collection::Model) -> bool {
    c.voided_at.is_none()
}

/// [`collection_counts`] as a condition on `collection`.
pub fn counted_collections() -> sea_orm::sea_query::SimpleExpr {
    collection::Column::VoidedAt.is_null()
}

/// Whether a visit's expected donors count as booked.
pub fn visit_counts(v: &visit::Model) -> bool {
    v.status.is_booked()
}

/// [`visit_counts`] as a condition on `visit`.
pub fn booked_visits() -> sea_orm::sea_query::SimpleExpr {
    visit::Column::Status.is_in(VisitStatus::BOOKED.map(VisitStatus::code))
}

/// A sub-unit's month. Its holder rides along: the totals row carries it, so a holder's
/// sub-units are read together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SubKey {
    pub year: i32,
    pub sub_unit_id: SubUnitId,
    pub month: i32,
    pub unit_id: UnitId,
}

/// What one record or visit adds: to its holder's month and, when it names a sub-unit, to
/// that sub-unit's month too.
struct Entry {
    key: Key,
    sub_unit: Option<SubUnitId>,
    figures: Figures,
}

impl Entry {
    fn sub_key(&self) -> Option<SubKey> {
        let Key { year, unit_id, month } = self.key;
        self.sub_unit.map(|sub_unit_id| SubKey { year, sub_unit_id, month, unit_id })
    }
}

fn of_collection(c: &collection::Model) -> Option<Entry> {
    collection_counts(c).then(|| Entry {
        key: Key { year: c.year, unit_id: c.unit_id, month: c.month },
        sub_unit: c.sub_unit_id,
        figures: Figures {
            collected_donations: i64::from(c.donations),
            collected_volume_ml: c.volume_ml,
            booked_donors: 0,
        },
    })
}

fn of_visit(v: &visit::Model) -> Option<Entry> {
    visit_counts(v).then(|| Entry {
        key: Key::of(v.unit_id, v.date),
        sub_unit: v.sub_unit_id,
        figures: Figures { booked_donors: i64::from(v.expected_donors), ..Figures::default() },
    })
}

/// Keeps the totals of a collection record written in `txn`: `before` as the write found it
/// (`None` for a new record), `after` as it left it.
pub async fn collection_changed(
    txn: &impl ConnectionTrait,
    before: Option<&collection::Model>,
    after: Option<&collection::Model>,
) -> Result<(), ServiceError> {
    apply(txn, before.and_then(of_collection), after.and_then(of_collection)).await
}

/// Keeps the totals of a visit written in `txn`: `before` as the write found it (`None` for
/// a new visit), `after` as it left it.
pub async fn visit_changed(
    txn: &impl ConnectionTrait,
    before: Option<&visit::Model>,
    after: Option<&visit::Model>,
) -> Result<(), ServiceError> {
    apply(txn, before.and_then(of_visit), after.and_then(of_visit)).await
}

fn overflow() -> ServiceError {
    ServiceError::Internal("totals overflow i64".into())
}

fn accumulate<K: Ord>(changes: &mut BTreeMap<K, Figures>, key: K, f: Figures) -> Result<(), ServiceError> {
    let sum = changes.get(&key).copied().unwrap_or_default().checked_add(f).ok_or_else(overflow)?;
    changes.insert(key, sum);
    Ok(())
}

async fn apply(
    txn: &impl ConnectionTrait,
    removed: Option<Entry>,
    added: Option<Entry>,
) -> Result<(), ServiceError> {
    let mut holders: BTreeMap<Key, Figures> = BTreeMap::new();
    let mut subs: BTreeMap<SubKey, Figures> = BTreeMap::new();
    let removed = match removed {
        Some(e) => Some(Entry { figures: e.figures.checked_neg().ok_or_else(overflow)?, ..e }),
        None => None,
    };
    for entry in [removed, added].into_iter().flatten() {
        accumulate(&mut holders, entry.key, entry.figures)?;
        if let Some(sub) = entry.sub_key() {
            accumulate(&mut subs, sub, entry.figures)?;
        }
    }
    for (key, change) in holders {
        if !change.is_zero() {
            let keys = [
                (total::Column::Year, key.year),
                (total::Column::UnitId, key.unit_id.0),
                (total::Column::Month, key.month),
            ];
            add(txn, total::Entity, &keys, &[], change).await?;
        }
    }
    for (key, change) in subs {
        if !change.is_zero() {
            let keys = [
                (sub_total::Column::Year, key.year),
                (sub_total::Column::SubUnitId, key.sub_unit_id.0),
                (sub_total::Column::Month, key.month),
            ];
            let holder = [(sub_total::Column::UnitId, key.unit_id.0)];
            add(txn, sub_total::Entity, &keys, &holder, change).await?;
        }
    }
    Ok(())
}

/// `INSERT … ON CONFLICT DO UPDATE SET x = x + ?` (MySQL: `ON DUPLICATE KEY UPDATE`): one
/// atomic statement whether or not the month has a row yet. `keys` are the primary key,
/// `also` the other columns a new row gets; the figures' columns are named alike in both
/// totals tables.
async fn add<E: EntityTrait>(
    txn: &impl ConnectionTrait,
    table: E,
    keys: &[(E::Column, i32)],
    also: &[(E::Column, i32)],
    f: Figures,
) -> Result<(), DbErr> {
    let figure = |name: &str| Alias::new(name);
    let plus = |name: &str, by: i64| Expr::col((table, figure(name))).add(by);
    let mut columns: Vec<sea_orm::sea_query::DynIden> =
        keys.iter().chain(also).map(|(c, _)| sea_orm::sea_query::IntoIden::into_iden(*c)).collect();
    let mut values: Vec<Expr> = keys.iter().chain(also).map(|(_, v)| Expr::val(*v)).collect();
    for (name, v) in f.columns() {
        columns.push(sea_orm::sea_query::IntoIden::into_iden(figure(name)));
        values.push(Expr::val(v));
    }
    let mut conflict = OnConflict::columns(keys.iter().map(|(c, _)| *c));
    for (name, v) in f.columns() {
        conflict.value(figure(name), plus(name, v));
    }
    let upsert = Query::insert()
        .into_table(table)
        .columns(columns)
        .values_panic(values)
        .on_conflict(conflict.to_owned())
        .to_owned();
    txn.execute(&upsert).await?;
    Ok(())
}

/// How a year's figures as of a date are read: whole months from the totals, the date's own
/// month from the rows (by date, on `ix_collection_date` and `ix_visit_date`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsOf {
    pub year: i32,
    /// Collected: the totals of months 1 to this of `year` (0: none).
    pub collected_months: i32,
    /// Collected: the records dated in this range, both ends included.
    pub collected_days: Option<(NaiveDate, NaiveDate)>,
    /// Booked: the totals of the months after this (year, month), up to `year`'s December.
    pub booked_after: Option<(i32, i32)>,
    /// Booked: the visits dated after the first day, up to the second included.
    pub booked_days: Option<(NaiveDate, NaiveDate)>,
}

impl AsOf {
    /// Collected: records of `year` dated up to `as_of`. Booked: visits dated after `as_of`
    /// up to the end of `year`. `as_of` passed `check_dates`.
    pub fn new(year: i32, as_of: NaiveDate) -> AsOf {
        let (first, last) = crate::domain::work_calendar::year_bounds(year);
        let month_start = as_of.with_day(1).unwrap_or(as_of);
        let month_end = month_start.checked_add_months(chrono::Months::new(1)).and_then(|d| d.pred_opt());
        let month_end = month_end.unwrap_or(as_of);
        let whole_month = as_of == month_end;
        let month = as_of.month() as i32;
        let (collected_months, collected_days) = if as_of < first {
            (0, None)
        } else if as_of >= last {
            (12, None)
        } else if whole_month {
            (month, None)
        } else {
            (month - 1, Some((month_start, as_of)))
        };
        let (booked_after, booked_days) = if as_of >= last {
            (None, None)
        } else {
            (Some((as_of.year(), month)), (!whole_month).then_some((as_of, month_end)))
        };
        AsOf { year, collected_months, collected_days, booked_after, booked_days }
    }
}

/// Which holders' sums a statement wants.
#[derive(Debug, Clone, Copy)]
pub enum Holders<'a> {
    All,
    Only(&'a [UnitId]),
    /// The `unit_id`s a subquery selects (say, a plan's holders of one section).
    In(&'a SelectStatement),
}

impl Holders<'_> {
    fn condition(&self, col: Expr) -> Option<Expr> {
        match self {
            Holders::All => None,
            Holders::Only(ids) => Some(col.is_in(ids.iter().copied())),
            Holders::In(sub) => Some(col.in_subquery((*sub).clone())),
        }
    }
}

/// Whose sums a statement gives: each holder's, or each sub-unit's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Holder,
    SubUnit,
}

impl Level {
    fn totals(self) -> Alias {
        Alias::new(match self {
            Level::Holder => "holder_month_total",
            Level::SubUnit => "sub_unit_month_total",
        })
    }

    /// The key column, in the totals table, in `collection` and `visit`, and in the result.
    fn key(self) -> &'static str {
        match self {
            Level::Holder => "unit_id",
            Level::SubUnit => "sub_unit_id",
        }
    }
}

/// Per holder (`unit_id`): `donations`, `volume_ml` and `booked` of [`AsOf`], every figure
/// a BIGINT; a holder with nothing has no row. The totals are read in one pass over the
/// years concerned; the as-of month's records and visits by date.
pub fn sums_as_of(a: &AsOf, holders: Holders<'_>) -> SelectStatement {
    sums_by(a, holders, Level::Holder)
}

/// [`sums_as_of`] per sub-unit (`sub_unit_id`) of the holders asked for: what their records
/// and visits that name a sub-unit add up to.
pub fn sub_unit_sums_as_of(a: &AsOf, holders: Holders<'_>) -> SelectStatement {
    sums_by(a, holders, Level::SubUnit)
}

fn sums_by(a: &AsOf, holders: Holders<'_>, level: Level) -> SelectStatement {
    let key = level.key();
    // Every part names its columns alike: a union takes its names from its first part.
    let part = |k: Expr, d: Expr, v: Expr, b: Expr| {
        Query::select()
            .expr_as(k, Alias::new(key))
            .expr_as(d, Alias::new("d"))
            .expr_as(v, Alias::new("v"))
            .expr_as(b, Alias::new("b"))
            .to_owned()
    };
    let zero = || Expr::cust("0");
    let mut parts: Vec<SelectStatement> = Vec::new();
    let t = |c: &str| Expr::col((level.totals(), Alias::new(c)));
    let collected =
        (a.collected_months > 0).then(|| t("year").eq(a.year).and(t("month").lte(a.collected_months)));
    let booked = a.booked_after.map(|(y, m)| {
        let later = t("year").gt(y).or(t("year").eq(y).and(t("month").gt(m)));
        t("year").lte(a.year).and(later)
    });
    if collected.is_some() || booked.is_some() {
        let when = |cond: &Option<Expr>, c: &str| match cond {
            Some(cond) => Expr::case(cond.clone(), t(c)).finally(0).into(),
            None => zero(),
        };
        let first_year = a.booked_after.map_or(a.year, |(y, _)| Ord::min(y, a.year));
        let any = match (&collected, &booked) {
            (Some(c), Some(b)) => c.clone().or(b.clone()),
            (Some(c), None) => c.clone(),
            (None, Some(b)) => b.clone(),
            (None, None) => Expr::cust("1 = 0"),
        };
        parts.push(
            part(
                t(key),
                when(&collected, "collected_donations"),
                when(&collected, "collected_volume_ml"),
                when(&booked, "booked_donors"),
            )
            .from(level.totals())
            .and_where(t("year").between(first_year, a.year))
            .and_where(any)
            .and_where_option(holders.condition(t("unit_id")))
            .to_owned(),
        );
    }
    if let Some((from, to)) = a.collected_days {
        let c = |c: &str| Expr::col((collection::Entity, Alias::new(c)));
        parts.push(
            part(c(key), c("donations"), c("volume_ml"), zero())
                .from(collection::Entity)
                .and_where(collection::Column::Date.between(from, to))
                .and_where(counted_collections())
                .and_where_option((level == Level::SubUnit).then(|| c(key).is_not_null()))
                .and_where_option(holders.condition(c("unit_id")))
                .to_owned(),
        );
    }
    if let Some((after, to)) = a.booked_days {
        let c = |c: &str| Expr::col((visit::Entity, Alias::new(c)));
        parts.push(
            part(c(key), zero(), zero(), c("expected_donors"))
                .from(visit::Entity)
                .and_where(visit::Column::Date.gt(after))
                .and_where(visit::Column::Date.lte(to))
                .and_where(booked_visits())
                .and_where_option((level == Level::SubUnit).then(|| c(key).is_not_null()))
                .and_where_option(holders.condition(c("unit_id")))
                .to_owned(),
        );
    }
    let mut parts = parts.into_iter();
    // Nothing to read (a year long past as of a date before it): an empty derived table.
    let mut all = parts.next().unwrap_or_else(|| {
        part(t(key), zero(), zero(), zero()).from(level.totals()).and_where(Expr::cust("1 = 0")).to_owned()
    });
    for p in parts {
        all.union(UnionType::All, p);
    }
    let col = |name: &str| Expr::col((Alias::new("parts"), Alias::new(name)));
    Query::select()
        .expr_as(col(key), Alias::new(key))
        .expr_as(crate::db::sum_i64(col("d")), Alias::new("donations"))
        .expr_as(crate::db::sum_i64(col("v")), Alias::new("volume_ml"))
        .expr_as(crate::db::sum_i64(col("b")), Alias::new("booked"))
        .from_subquery(all, Alias::new("parts"))
        .group_by_col((Alias::new("parts"), Alias::new(key)))
        .to_owned()
}

/// One row of [`sums_as_of`].
#[derive(Debug, Clone, FromQueryResult)]
pub struct HolderSums {
    pub unit_id: UnitId,
    pub donations: Option<i64>,
    pub volume_ml: Option<i64>,
    pub booked: Option<i64>,
}

/// Collected donations and volume per month of `year` (1–12, months with nothing left out),
/// city-wide or for one holder, counting records dated up to `as_of` (`None`: all).
pub async fn collected_by_month(
    db: &impl ConnectionTrait,
    year: i32,
    unit_id: Option<UnitId>,
    as_of: Option<NaiveDate>,
) -> Result<BTreeMap<i32, (i64, i64)>, ServiceError> {
    let a = as_of.map(|d| AsOf::new(year, d));
    let months = a.map_or(12, |a| a.collected_months);
    let mut by_month: BTreeMap<i32, (i64, i64)> = BTreeMap::new();
    #[derive(FromQueryResult)]
    struct MonthSums {
        month: i32,
        donations: Option<i64>,
        volume: Option<i64>,
    }
    if months > 0 {
        let rows = total::Entity::find()
            .select_only()
            .column(total::Column::Month)
            .column_as(crate::db::sum_i64(total::Column::CollectedDonations), "donations")
            .column_as(crate::db::sum_i64(total::Column::CollectedVolumeMl), "volume")
            .filter(total::Column::Year.eq(year))
            .filter(total::Column::Month.lte(months))
            .apply_if(unit_id, |q, u| q.filter(total::Column::UnitId.eq(u)))
            .group_by(total::Column::Month)
            .into_model::<MonthSums>()
            .all(db)
            .await?;
        for r in rows {
            by_month.insert(r.month, (r.donations.unwrap_or(0), r.volume.unwrap_or(0)));
        }
    }
    if let Some((from, to)) = a.and_then(|a| a.collected_days) {
        let row = collection::Entity::find()
            .select_only()
            .column_as(Expr::val(from.month() as i32), "month")
            .column_as(crate::db::sum_i64(collection::Column::Donations), "donations")
            .column_as(crate::db::sum_i64(collection::Column::VolumeMl), "volume")
            .filter(collection::Column::Date.between(from, to))
            .filter(counted_collections())
            .apply_if(unit_id, |q, u| q.filter(collection::Column::UnitId.eq(u)))
            .into_model::<MonthSums>()
            .one(db)
            .await?;
        if let Some(r) = row.filter(|r| r.donations.is_some()) {
            by_month.insert(r.month, (r.donations.unwrap_or(0), r.volume.unwrap_or(0)));
        }
    }
    Ok(by_month)
}

/// A total that did not match its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub unit_id: UnitId,
    pub unit_name: String,
    /// A sub-unit's total (id and name); `None` for the holder's own.
    pub sub_unit: Option<(SubUnitId, String)>,
    pub month: i32,
    pub field: &'static str,
    pub kept: i64,
    pub counted: i64,
}

/// Counts `year`'s totals from the rows, replaces the kept ones with them, and returns every
/// figure that differed, by holder (then sub-unit), month and field. One transaction: on
/// PostgreSQL the totals tables are locked against writers first, so a write that commits
/// meanwhile either was counted or adds its change after the rebuild.
pub async fn recount(db: &DatabaseConnection, year: i32) -> Result<Vec<Difference>, ServiceError> {
    super::check_dates(NaiveDate::from_ymd_opt(year, 1, 1))?;
    let txn = crate::db::begin_write(db).await?;
    let differences = rebuild_year(&txn, year).await?;
    txn.commit().await?;
    Ok(differences)
}

/// Every figure of `kept` that differs from `counted`, by key and field.
fn compare<K: Ord + Copy>(
    kept: &BTreeMap<K, Figures>,
    counted: &BTreeMap<K, Figures>,
) -> Vec<(K, &'static str, i64, i64)> {
    let keys: std::collections::BTreeSet<K> = kept.keys().chain(counted.keys()).copied().collect();
    let mut out = Vec::new();
    for key in keys {
        let k = kept.get(&key).copied().unwrap_or_default();
        let c = counted.get(&key).copied().unwrap_or_default();
        for ((field, kept), (_, counted)) in k.fields().into_iter().zip(c.fields()) {
            if kept != counted {
                out.push((key, field, kept, counted));
            }
        }
    }
    out
}

/// [`recount`] inside the caller's transaction: what a bulk load of records or visits calls
/// before it commits, so that its rows and the totals land together.
pub async fn rebuild_year(txn: &DatabaseTransaction, year: i32) -> Result<Vec<Difference>, ServiceError> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared("LOCK TABLE holder_month_total, sub_unit_month_total IN EXCLUSIVE MODE")
            .await?;
    }
    // A kept row of zeros equals a missing one, so leaving those out changes no comparison.
    let counted = count_year(txn, year).await?;
    let holders = compare(&kept_year(txn, year).await?, &counted);
    let counted_subs = count_sub_units_year(txn, year).await?;
    let subs = compare(&kept_sub_units_year(txn, year).await?, &counted_subs);
    if !holders.is_empty() {
        total::Entity::delete_many().filter(total::Column::Year.eq(year)).exec(txn).await?;
        // `count_year` leaves out months with nothing in them.
        let rows: Vec<_> = counted.into_iter().collect();
        for chunk in rows.chunks(super::INSERT_CHUNK) {
            let models = chunk.iter().map(|(k, f)| total::ActiveModel {
                year: sea_orm::Set(k.year),
                unit_id: sea_orm::Set(k.unit_id.0),
                month: sea_orm::Set(k.month),
                collected_donations: sea_orm::Set(f.collected_donations),
                collected_volume_ml: sea_orm::Set(f.collected_volume_ml),
                booked_donors: sea_orm::Set(f.booked_donors),
            });
            total::Entity::insert_many(models).exec_without_returning(txn).await?;
        }
    }
    if !subs.is_empty() {
        sub_total::Entity::delete_many().filter(sub_total::Column::Year.eq(year)).exec(txn).await?;
        let rows: Vec<_> = counted_subs.into_iter().collect();
        for chunk in rows.chunks(super::INSERT_CHUNK) {
            let models = chunk.iter().map(|(k, f)| sub_total::ActiveModel {
                year: sea_orm::Set(k.year),
                sub_unit_id: sea_orm::Set(k.sub_unit_id.0),
                month: sea_orm::Set(k.month),
                unit_id: sea_orm::Set(k.unit_id.0),
                collected_donations: sea_orm::Set(f.collected_donations),
                collected_volume_ml: sea_orm::Set(f.collected_volume_ml),
                booked_donors: sea_orm::Set(f.booked_donors),
            });
            sub_total::Entity::insert_many(models).exec_without_returning(txn).await?;
        }
    }
    let mut differences: Vec<Difference> = holders
        .into_iter()
        .map(|(key, field, kept, counted)| Difference {
            unit_id: key.unit_id,
            unit_name: String::new(),
            sub_unit: None,
            month: key.month,
            field,
            kept,
            counted,
        })
        .collect();
    differences.extend(subs.into_iter().map(|(key, field, kept, counted)| Difference {
        unit_id: key.unit_id,
        unit_name: String::new(),
        sub_unit: Some((key.sub_unit_id, String::new())),
        month: key.month,
        field,
        kept,
        counted,
    }));
    if !differences.is_empty() {
        let ids: std::collections::BTreeSet<i32> = differences.iter().map(|d| d.unit_id.0).collect();
        let sub_ids: std::collections::BTreeSet<i32> =
            differences.iter().filter_map(|d| d.sub_unit.as_ref().map(|(id, _)| id.0)).collect();
        let mut names: BTreeMap<i32, String> = BTreeMap::new();
        for chunk in ids.into_iter().collect::<Vec<_>>().chunks(1000) {
            let found =
                unit::Entity::find().filter(unit::Column::Id.is_in(chunk.iter().copied())).all(txn).await?;
            names.extend(found.into_iter().map(|u| (u.id, u.name)));
        }
        let mut sub_names: BTreeMap<i32, String> = BTreeMap::new();
        for chunk in sub_ids.into_iter().collect::<Vec<_>>().chunks(1000) {
            let found = sub_unit::Entity::find()
                .filter(sub_unit::Column::Id.is_in(chunk.iter().copied()))
                .all(txn)
                .await?;
            sub_names.extend(found.into_iter().map(|s| (s.id, s.name)));
        }
        for d in &mut differences {
            d.unit_name = names.get(&d.unit_id.0).cloned().unwrap_or_default();
            if let Some((id, name)) = &mut d.sub_unit {
                *name = sub_names.get(&id.0).cloned().unwrap_or_default();
            }
        }
    }
    Ok(differences)
}

/// `year`'s holder totals as its rows say, months with nothing left out.
pub async fn count_year(
    db: &impl ConnectionTrait,
    year: i32,
) -> Result<BTreeMap<Key, Figures>, ServiceError> {
    let counted = count_rows(db, year, Level::Holder).await?;
    Ok(counted.into_iter().map(|((unit_id, _, month), f)| (Key { year, unit_id, month }, f)).collect())
}

/// `year`'s sub-unit totals as its rows say (the records and visits that name a sub-unit),
/// months with nothing left out.
pub async fn count_sub_units_year(
    db: &impl ConnectionTrait,
    year: i32,
) -> Result<BTreeMap<SubKey, Figures>, ServiceError> {
    let counted = count_rows(db, year, Level::SubUnit).await?;
    Ok(counted
        .into_iter()
        .filter_map(|((unit_id, sub, month), f)| {
            Some((SubKey { year, sub_unit_id: sub?, month, unit_id }, f))
        })
        .collect())
}

/// With `by_sub`, a sum grouped by `sub_unit_id` too (rows without one left out); without,
/// the same sum with a NULL `sub_unit_id` column, so one row type reads both.
fn per_sub_unit<E: EntityTrait>(select: Select<E>, by_sub: bool, sub_unit_id: E::Column) -> Select<E> {
    if by_sub {
        select.column(sub_unit_id).filter(sub_unit_id.is_not_null()).group_by(sub_unit_id)
    } else {
        select.column_as(Expr::cust("CAST(NULL AS INTEGER)"), "sub_unit_id")
    }
}

/// (holder, sub-unit at `Level::SubUnit`, month) → figures of `year`, from the rows.
async fn count_rows(
    db: &impl ConnectionTrait,
    year: i32,
    level: Level,
) -> Result<BTreeMap<(UnitId, Option<SubUnitId>, i32), Figures>, ServiceError> {
    #[derive(FromQueryResult)]
    struct Collected {
        unit_id: UnitId,
        sub_unit_id: Option<SubUnitId>,
        month: i32,
        donations: Option<i64>,
        volume: Option<i64>,
    }
    #[derive(FromQueryResult)]
    struct Booked {
        unit_id: UnitId,
        sub_unit_id: Option<SubUnitId>,
        date: NaiveDate,
        booked: Option<i64>,
    }
    let by_sub = level == Level::SubUnit;
    let mut counted: BTreeMap<(UnitId, Option<SubUnitId>, i32), Figures> = BTreeMap::new();
    let collected = collection::Entity::find()
        .select_only()
        .column(collection::Column::UnitId)
        .column(collection::Column::Month)
        .column_as(crate::db::sum_i64(collection::Column::Donations), "donations")
        .column_as(crate::db::sum_i64(collection::Column::VolumeMl), "volume")
        .filter(collection::Column::Year.eq(year))
        .filter(counted_collections())
        .group_by(collection::Column::UnitId)
        .group_by(collection::Column::Month);
    let collected = per_sub_unit(collected, by_sub, collection::Column::SubUnitId);
    for c in collected.into_model::<Collected>().all(db).await? {
        let f = counted.entry((c.unit_id, c.sub_unit_id, c.month)).or_default();
        f.collected_donations = c.donations.unwrap_or(0);
        f.collected_volume_ml = c.volume.unwrap_or(0);
    }
    let (first, last) = (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31));
    let (Some(first), Some(last)) = (first, last) else { return Ok(counted) };
    // By day: a date's month has no portable SQL spelling; a year has at most 366 days.
    let booked = visit::Entity::find()
        .select_only()
        .column(visit::Column::UnitId)
        .column(visit::Column::Date)
        .column_as(crate::db::sum_i64(visit::Column::ExpectedDonors), "booked")
        .filter(visit::Column::Date.between(first, last))
        .filter(booked_visits())
        .group_by(visit::Column::UnitId)
        .group_by(visit::Column::Date);
    let booked = per_sub_unit(booked, by_sub, visit::Column::SubUnitId);
    for b in booked.into_model::<Booked>().all(db).await? {
        let f = counted.entry((b.unit_id, b.sub_unit_id, b.date.month() as i32)).or_default();
        f.booked_donors = f.booked_donors.checked_add(b.booked.unwrap_or(0)).unwrap_or(i64::MAX);
    }
    counted.retain(|_, f| !f.is_zero());
    Ok(counted)
}

/// The kept holder totals of `year`, months with nothing left out (tests compare them with
/// [`count_year`]).
pub async fn kept_year(db: &impl ConnectionTrait, year: i32) -> Result<BTreeMap<Key, Figures>, ServiceError> {
    Ok(total::Entity::find()
        .filter(total::Column::Year.eq(year))
        .all(db)
        .await?
        .into_iter()
        .map(|t| {
            let f = Figures {
                collected_donations: t.collected_donations,
                collected_volume_ml: t.collected_volume_ml,
                booked_donors: t.booked_donors,
            };
            (Key { year: t.year, unit_id: UnitId(t.unit_id), month: t.month }, f)
        })
        .filter(|(_, f)| !f.is_zero())
        .collect())
}

/// The kept sub-unit totals of `year`, months with nothing left out (compared with
/// [`count_sub_units_year`]).
pub async fn kept_sub_units_year(
    db: &impl ConnectionTrait,
    year: i32,
) -> Result<BTreeMap<SubKey, Figures>, ServiceError> {
    Ok(sub_total::Entity::find()
        .filter(sub_total::Column::Year.eq(year))
        .all(db)
        .await?
        .into_iter()
        .map(|t| {
            let f = Figures {
                collected_donations: t.collected_donations,
                collected_volume_ml: t.collected_volume_ml,
                booked_donors: t.booked_donors,
            };
            let key = SubKey {
                year: t.year,
                sub_unit_id: SubUnitId(t.sub_unit_id),
                month: t.month,
                unit_id: UnitId(t.unit_id),
            };
            (key, f)
        })
        .filter(|(_, f)| !f.is_zero())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn mid_month_reads_earlier_months_whole_and_the_month_itself_by_day() {
        let a = AsOf::new(2020, d("2020-03-06"));
        assert_eq!(a.collected_months, 2);
        assert_eq!(a.collected_days, Some((d("2020-03-01"), d("2020-03-06"))));
        assert_eq!(a.booked_after, Some((2020, 3)));
        assert_eq!(a.booked_days, Some((d("2020-03-06"), d("2020-03-31"))));
    }

    #[test]
    fn a_month_end_needs_no_rows_and_the_year_end_books_nothing() {
        let a = AsOf::new(2020, d("2020-02-29"));
        assert_eq!((a.collected_months, a.collected_days, a.booked_days), (2, None, None));
        assert_eq!(a.booked_after, Some((2020, 2)));
        let end = AsOf::new(2020, d("2020-12-31"));
        assert_eq!(
            (end.collected_months, end.collected_days, end.booked_after, end.booked_days),
            (12, None, None, None)
        );
        let later = AsOf::new(2020, d("2021-05-10"));
        assert_eq!((later.collected_months, later.booked_after), (12, None));
    }

    #[test]
    fn before_the_year_nothing_is_collected_and_everything_from_the_date_on_is_booked() {
        let a = AsOf::new(2020, d("2019-11-15"));
        assert_eq!((a.collected_months, a.collected_days), (0, None));
        assert_eq!(a.booked_after, Some((2019, 11)));
        assert_eq!(a.booked_days, Some((d("2019-11-15"), d("2019-11-30"))));
    }
}
