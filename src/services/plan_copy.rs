//! A new year's plan drafted from the last one (`bloodplan plan copy`, `copyPlan`): the plan
//! folder `bloodplan import` reads, with the copied year's holders, quotas, printed totals,
//! accepted breakdowns and term dates (`domain::plan_draft`). Nothing is written: the office
//! edits the draft, then imports it.
use std::collections::HashMap;

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::ServiceError;
use crate::db::entities::{plan, plan_quota, unit};
use crate::domain::auth::{Actor, OFFICE};
use crate::domain::ids::UnitId;
use crate::domain::plan_draft::{self, Draft, DraftFile};
use crate::domain::plan_table::{PlanManifest, PlanRow, TermEntry};
use crate::domain::UnitKind;

pub mod codes {
    error_codes! {
        /// The target year already has a plan, and it differs from the draft.
        PLAN_YEAR_EXISTS,
    }
}

/// The files of a draft of year `to`, copied from year `from`.
#[derive(Debug, Clone)]
pub struct PlanDraft {
    pub from: i32,
    pub to: i32,
    pub files: Vec<DraftFile>,
}

/// The office's copy of a year's plan as the draft of another (`copy_plan` without the role).
pub async fn copy_plan(
    db: &DatabaseConnection,
    actor: &Actor,
    from: i32,
    to: i32,
) -> Result<PlanDraft, ServiceError> {
    actor.require(OFFICE)?;
    draft(db, from, to).await
}

/// The draft of `to` from `from`'s plan. A target year that already has a plan is refused
/// (`PLAN_YEAR_EXISTS`) unless its rows and printed totals are the copy's: copying again
/// after importing the copy gives the same folder.
pub async fn draft(db: &DatabaseConnection, from: i32, to: i32) -> Result<PlanDraft, ServiceError> {
    for year in [from, to] {
        crate::domain::text::check_year(year).map_err(ServiceError::BadInput)?;
    }
    if from == to {
        return Err(ServiceError::BadInput(format!("新年度与被复制的年度相同（{from}）")));
    }
    super::plans::plan_by_year(db, from).await?;
    let (manifest, held) = year_rows(db, from).await?;
    let ids: HashMap<String, (UnitId, UnitKind)> =
        held.iter().map(|(id, r)| (r.name.clone(), (*id, r.kind))).collect();
    let rows: Vec<PlanRow> = held.into_iter().map(|(_, r)| r).collect();
    if plan::Entity::find().filter(plan::Column::Year.eq(to)).one(db).await?.is_some() {
        let (target, target_rows) = year_rows(db, to).await?;
        let target_rows: Vec<PlanRow> = target_rows.into_iter().map(|(_, r)| r).collect();
        let key =
            |r: &PlanRow| (r.section, r.seq, r.name.clone(), r.quota, r.site.clone(), r.note.clone(), r.kind);
        let same = target.printed_totals == manifest.printed_totals
            && target_rows.iter().map(key).eq(rows.iter().map(key));
        if !same {
            return Err(ServiceError::rejected(
                codes::PLAN_YEAR_EXISTS,
                format!("{to} 年已有计划，且与 {from} 年计划不同：请在 {to} 年计划的基础上修改，不能再从 {from} 年复制"),
            ));
        }
    }
    let accepted = super::breakdowns::accepted_of_year(db, from).await?;
    let breakdowns = rows
        .iter()
        .filter_map(|r| {
            let (id, _) = ids.get(&r.name)?;
            accepted.get(id).map(|sub| (r.name.clone(), sub.clone()))
        })
        .collect();
    let by_id: HashMap<UnitId, (&str, UnitKind)> =
        ids.iter().map(|(name, (id, kind))| (*id, (name.as_str(), *kind))).collect();
    let terms = super::reminders::term_calendars(db, from)
        .await?
        .into_iter()
        .filter_map(|t| match t.unit_id {
            None => Some(TermEntry { unit: None, dates: t.dates }),
            // Only a university of the plan can carry its own dates into the next one.
            Some(id) => match by_id.get(&id) {
                Some((name, UnitKind::University)) => {
                    Some(TermEntry { unit: Some((*name).to_owned()), dates: t.dates })
                }
                _ => None,
            },
        })
        .collect();
    let draft =
        Draft { from, to, manifest: PlanManifest { year: Some(to), ..manifest }, rows, breakdowns, terms };
    let files = plan_draft::render(&draft).map_err(ServiceError::Internal)?;
    Ok(PlanDraft { from, to, files })
}

/// A stored year's figures and rows, in table order, as the plan file gave them.
async fn year_rows(
    db: &DatabaseConnection,
    year: i32,
) -> Result<(PlanManifest, Vec<(UnitId, PlanRow)>), ServiceError> {
    let manifest = super::plan_import::stored_manifest(db, year).await?;
    let rows = super::plans::quotas_of_year(year)
        .order_by_asc(plan_quota::Column::SectionRank)
        .order_by_asc(plan_quota::Column::Seq)
        .find_also_related(unit::Entity)
        .all(db)
        .await?;
    let rows = rows
        .into_iter()
        .enumerate()
        .filter_map(|(i, (q, u))| {
            let u = u?;
            Some((
                UnitId(u.id),
                PlanRow {
                    line: i as u64 + 2,
                    section: q.section,
                    seq: q.seq,
                    name: u.name,
                    quota: q.quota,
                    site: q.site,
                    note: q.note,
                    kind: u.kind,
                },
            ))
        })
        .collect();
    Ok((manifest, rows))
}
