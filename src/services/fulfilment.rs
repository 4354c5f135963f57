//! How every quota is being fulfilled, as of a date.
//!
//! Collections are summed by the database (one GROUP BY per question); what comes back is
//! one row per holder, a few hundred at most, which are rolled up into sections, counties
//! and the city, sorted and filtered here.
use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryTrait};

use super::plans::{self, PlanView};
use super::{totals, Page, ServiceError};
use crate::db::entities::{plan, plan_quota, unit};
use crate::domain::auth::Actor;
use crate::domain::fulfilment as rules;
use crate::domain::ids::UnitId;
use crate::domain::{Section, UnitKind};

/// The figures every level shares: a holder, a section, a county, the city.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Progress {
    pub quota: i64,
    pub booked_donors: i64,
    pub collected_donations: i64,
    pub collected_volume_ml: i64,
    pub share: f64,
    pub remaining: i64,
    pub behind_schedule: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub elapsed_days: i64,
    pub days_in_year: i64,
    pub margin_points: i64,
}

impl Progress {
    fn of(quota: i64, booked: i64, donations: i64, volume: i64, s: Schedule) -> Progress {
        Progress {
            quota,
            booked_donors: booked,
            collected_donations: donations,
            collected_volume_ml: volume,
            share: rules::share(donations, quota),
            remaining: rules::remaining(quota, donations),
            behind_schedule: rules::behind_schedule(
                donations,
                quota,
                s.elapsed_days,
                s.days_in_year,
                s.margin_points,
            ),
        }
    }

    fn sum<'a>(rows: impl Iterator<Item = &'a Progress>, s: Schedule) -> Progress {
        let (mut q, mut b, mut d, mut v) = (0, 0, 0, 0);
        for p in rows {
            q += p.quota;
            b += p.booked_donors;
            d += p.collected_donations;
            v += p.collected_volume_ml;
        }
        Progress::of(q, b, d, v, s)
    }
}

#[derive(Debug, Clone)]
pub struct UnitProgress {
    pub unit_id: UnitId,
    pub name: String,
    pub kind: UnitKind,
    pub section: Section,
    pub seq: i32,
    pub progress: Progress,
}

#[derive(Debug, Clone)]
pub struct SectionProgress {
    pub section: Section,
    pub unit_count: i64,
    pub behind_count: i64,
    pub progress: Progress,
    /// The section's total as the notice printed it; `progress.quota` is what its rows sum to.
    pub printed_total: Option<i64>,
}

impl SectionProgress {
    /// Printed total − row sum (2020 city-level units: 8,517 − 8,417 = 100); never "fixed".
    pub fn difference(&self) -> Option<i64> {
        self.printed_total.map(|p| p - self.progress.quota)
    }
}

#[derive(Debug, Clone)]
pub struct Fulfilment {
    pub plan: PlanView,
    pub as_of: NaiveDate,
    pub schedule: Schedule,
    /// The group plan: every holder's quota and what they collected.
    pub city: Progress,
    pub by_section: Vec<SectionProgress>,
    /// The county holders (section COUNTY), in table order.
    pub by_county: Vec<UnitProgress>,
    /// Every holder in table order; [`Fulfilment::units`] filters, sorts and pages it.
    pub units: Vec<UnitProgress>,
}

/// Figures of `year` as of `as_of` (collections dated up to that day, counted with their
/// latest revision; bookings still to come after it).
pub async fn fulfilment(
    db: &impl ConnectionTrait,
    year: i32,
    as_of: NaiveDate,
    margin_points: i64,
) -> Result<Fulfilment, ServiceError> {
    super::check_dates([as_of])?;
    let plan = plans::plan_by_year(db, year).await?;
    let schedule = schedule(year, as_of, margin_points);
    let units = holder_rows(db, plan.id, year, as_of, schedule, None).await?;
    let printed = plans::section_summaries(db, plan.id).await?;
    let by_section = Section::ALL
        .into_iter()
        .map(|section| {
            let rows: Vec<&UnitProgress> = units.iter().filter(|u| u.section == section).collect();
            SectionProgress {
                section,
                unit_count: rows.len() as i64,
                behind_count: rows.iter().filter(|u| u.progress.behind_schedule).count() as i64,
                progress: Progress::sum(rows.iter().map(|u| &u.progress), schedule),
                printed_total: printed.iter().find(|p| p.section == section).and_then(|p| p.printed_total),
            }
        })
        .collect::<Vec<_>>();
    let by_county = units.iter().filter(|u| u.section == Section::County).cloned().collect();
    let city = Progress::sum(units.iter().map(|u| &u.progress), schedule);
    Ok(Fulfilment { plan, as_of, schedule, city, by_section, by_county, units })
}

fn schedule(year: i32, as_of: NaiveDate, margin_points: i64) -> Schedule {
    let (elapsed_days, days_in_year) = rules::elapsed_days(year, as_of);
    Schedule { elapsed_days, days_in_year, margin_points }
}

/// One holder's figures of `year` as of `as_of`, exactly as [`fulfilment`] gives them; `None`
/// when the year has no plan or the holder no quota in it. Reminders and booking warnings
/// quote these, so an email never contradicts the dashboard.
pub async fn holder_fulfilment(
    db: &impl ConnectionTrait,
    year: i32,
    as_of: NaiveDate,
    margin_points: i64,
    unit_id: UnitId,
) -> Result<Option<UnitProgress>, ServiceError> {
    let Some(plan) = plan::Entity::find().filter(plan::Column::Year.eq(year)).one(db).await? else {
        return Ok(None);
    };
    let rows =
        holder_rows(db, plan.id, year, as_of, schedule(year, as_of, margin_points), Some(unit_id)).await?;
    Ok(rows.into_iter().next())
}

/// Every holder row of a plan (or one holder's), in table order. Sums come from the database,
/// one GROUP BY per figure, joined here through maps.
async fn holder_rows(
    db: &impl ConnectionTrait,
    plan_id: i32,
    year: i32,
    as_of: NaiveDate,
    schedule: Schedule,
    only: Option<UnitId>,
) -> Result<Vec<UnitProgress>, ServiceError> {
    let rows = plan_quota::Entity::find()
        .filter(plan_quota::Column::PlanId.eq(plan_id))
        .apply_if(only, |q, u| q.filter(plan_quota::Column::UnitId.eq(u)))
        .find_also_related(unit::Entity)
        .all(db)
        .await?;
    let only = only.map(|u| [u]);
    let sums = totals::sums_as_of(&totals::AsOf::new(year, as_of), only.as_ref().map(|u| &u[..]));
    let sums: HashMap<UnitId, totals::HolderSums> =
        totals::HolderSums::find_by_statement(db.get_database_backend().build(&sums))
            .all(db)
            .await?
            .into_iter()
            .map(|s| (s.unit_id, s))
            .collect();

    let mut units = Vec::with_capacity(rows.len());
    for (q, u) in rows {
        let Some(u) = u else { continue };
        let (section, kind) = (q.section, u.kind);
        let sums = sums.get(&UnitId(u.id));
        let progress = Progress::of(
            i64::from(q.quota),
            sums.and_then(|s| s.booked).unwrap_or(0),
            sums.and_then(|s| s.donations).unwrap_or(0),
            sums.and_then(|s| s.volume_ml).unwrap_or(0),
            schedule,
        );
        units.push(UnitProgress { unit_id: UnitId(u.id), name: u.name, kind, section, seq: q.seq, progress });
    }
    units.sort_by_key(|u| (section_rank(u.section), u.seq, u.unit_id));
    Ok(units)
}

fn section_rank(s: Section) -> usize {
    Section::ALL.iter().position(|x| *x == s).unwrap_or(usize::MAX)
}

#[derive(Debug, Clone, Default)]
pub struct ProgressFilter {
    pub section: Option<Section>,
    pub kind: Option<UnitKind>,
    pub behind_schedule: Option<bool>,
    pub name_contains: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProgressOrder {
    #[default]
    Table,
    ShareAsc,
    ShareDesc,
    RemainingDesc,
    Name,
}

impl Fulfilment {
    /// The holder rows `actor` may see in detail: all for the office and the station, a
    /// liaison's own only.
    pub fn visible_units(&self, actor: &Actor) -> Vec<&UnitProgress> {
        self.units.iter().filter(|u| actor.may_read_holder(u.unit_id).is_ok()).collect()
    }

    pub fn units(
        &self,
        actor: &Actor,
        filter: &ProgressFilter,
        order: ProgressOrder,
        page: Page,
    ) -> (u64, Vec<UnitProgress>) {
        let needle = filter.name_contains.as_deref().filter(|s| !s.is_empty());
        let mut rows: Vec<&UnitProgress> = self
            .visible_units(actor)
            .into_iter()
            .filter(|u| filter.section.is_none_or(|s| u.section == s))
            .filter(|u| filter.kind.is_none_or(|k| u.kind == k))
            .filter(|u| filter.behind_schedule.is_none_or(|b| u.progress.behind_schedule == b))
            .filter(|u| needle.is_none_or(|n| u.name.contains(n)))
            .collect();
        // Shares compare by cross-multiplication so that ties are exact; ids break ties.
        let share_cmp = |a: &&UnitProgress, b: &&UnitProgress| {
            let l = i128::from(a.progress.collected_donations) * i128::from(Ord::max(b.progress.quota, 1));
            let r = i128::from(b.progress.collected_donations) * i128::from(Ord::max(a.progress.quota, 1));
            l.cmp(&r)
        };
        match order {
            ProgressOrder::Table => {}
            ProgressOrder::ShareAsc => rows.sort_by(|a, b| share_cmp(a, b).then(a.unit_id.cmp(&b.unit_id))),
            ProgressOrder::ShareDesc => rows.sort_by(|a, b| share_cmp(b, a).then(a.unit_id.cmp(&b.unit_id))),
            ProgressOrder::RemainingDesc => rows.sort_by(|a, b| {
                b.progress.remaining.cmp(&a.progress.remaining).then(a.unit_id.cmp(&b.unit_id))
            }),
            ProgressOrder::Name => rows.sort_by(|a, b| a.name.cmp(&b.name).then(a.unit_id.cmp(&b.unit_id))),
        }
        let total = rows.len() as u64;
        let page = rows.into_iter().skip(page.offset as usize).take(page.first as usize).cloned().collect();
        (total, page)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthTotal {
    pub month: u32,
    pub donations: i64,
    pub volume_ml: i64,
}

/// Twelve months of `year` (empty months as zeros), city-wide or for one holder. A liaison
/// may ask for the city or their own holder.
pub async fn monthly(
    db: &impl ConnectionTrait,
    actor: &Actor,
    year: i32,
    unit_id: Option<UnitId>,
    as_of: Option<NaiveDate>,
) -> Result<Vec<MonthTotal>, ServiceError> {
    super::check_dates(as_of)?;
    if let Some(u) = unit_id {
        actor.may_read_holder(u)?;
    }
    let sums = totals::collected_by_month(db, year, unit_id, as_of).await?;
    Ok((1..=12)
        .map(|month| {
            let (donations, volume_ml) = sums.get(&(month as i32)).copied().unwrap_or((0, 0));
            MonthTotal { month, donations, volume_ml }
        })
        .collect())
}

/// The as-of date a query means when it names none: today, but never past the year's end
/// (a finished year is reported whole).
pub fn default_as_of(year: i32, today: NaiveDate) -> NaiveDate {
    if today.year() > year {
        NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(today)
    } else {
        today
    }
}
