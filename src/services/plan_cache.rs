//! The published plans' rows in memory (issue 13 item 3): loaded once per version of a plan
//! and shared by every request of this process; `plan.units` filters, orders and pages them
//! here. (A plan's section totals and warnings are a few rows each, read per request through
//! the DataLoaders.)
//!
//! Freshness across processes: every write that changes what a plan shows raises
//! `plan.version` by one in its own transaction (today only the import writes the rows; a
//! holder's kind shows in every year, so a reclassification raises every plan). Each request reads the plan row anyway (`plans::plan_by_year`, one indexed
//! lookup by year) and so knows the version at no extra cost: rows kept for an older version
//! are reloaded before they are used. Another `serve` process on the same database that
//! commits an import is seen by the very next request here; nothing needs LISTEN/NOTIFY.
//!
//! A snapshot is tagged with the version read *before* its rows were loaded, so its rows are
//! at least that new: an import that commits in between only costs one more reload.
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};

use super::plans::{self, PlanView, QuotaRow, UnitFilter, UnitOrder};
use super::{Page, ServiceError};
use crate::db::entities::{plan_quota, unit};

/// What this process keeps of each plan it was asked about, by plan id.
#[derive(Default)]
pub struct PlanCache {
    plans: RwLock<HashMap<i32, Arc<PlanSnapshot>>>,
    /// One load at a time: when an import commits, the requests that see the new version at
    /// once wait for one reload instead of each running their own.
    loading: tokio::sync::Mutex<()>,
}

/// One version of one plan, as loaded.
pub struct PlanSnapshot {
    pub version: i64,
    /// In table order (section rank, then sequence), as the index on them returns them.
    rows: Vec<QuotaRow>,
    /// Each row's name with ASCII letters in lower case, for `nameContains`.
    folded_names: Vec<String>,
    /// Row positions in the other orders; ties by the quota row's id, as SQL ordered them.
    by_quota_desc: Vec<u32>,
    by_quota_asc: Vec<u32>,
    by_name: Vec<u32>,
}

/// A page of a plan's rows. `total` is counted only when asked for.
#[derive(Debug, Clone)]
pub struct UnitsPage {
    pub rows: Vec<QuotaRow>,
    pub total: Option<u64>,
    pub has_next_page: bool,
}

impl PlanCache {
    fn cached(&self, plan: &PlanView) -> Option<Arc<PlanSnapshot>> {
        let plans = self.plans.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        // A newer snapshot than the version this request read is fresher still: use it.
        plans.get(&plan.id).filter(|s| s.version >= plan.version).cloned()
    }

    /// The plan's snapshot for `plan.version` or newer, loaded if this process has none.
    pub async fn published(
        &self,
        db: &impl ConnectionTrait,
        plan: &PlanView,
    ) -> Result<Arc<PlanSnapshot>, ServiceError> {
        if let Some(snapshot) = self.cached(plan) {
            return Ok(snapshot);
        }
        let _one_load = self.loading.lock().await;
        if let Some(snapshot) = self.cached(plan) {
            return Ok(snapshot);
        }
        let snapshot = Arc::new(load(db, plan).await?);
        let mut plans = self.plans.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        let keep = plans.get(&plan.id).is_none_or(|s| s.version < snapshot.version);
        if keep {
            plans.insert(plan.id, Arc::clone(&snapshot));
        }
        Ok(snapshot)
    }
}

async fn load(db: &impl ConnectionTrait, plan: &PlanView) -> Result<PlanSnapshot, ServiceError> {
    // The whole plan in one statement, in table order: the (plan, rank, seq) index serves both
    // the filter and the order.
    let rows = plan_quota::Entity::find()
        .join(sea_orm::JoinType::InnerJoin, plan_quota::Relation::Unit.def())
        .filter(plan_quota::Column::PlanId.eq(plan.id))
        .order_by_asc(plan_quota::Column::SectionRank)
        .order_by_asc(plan_quota::Column::Seq)
        .select_also(unit::Entity)
        .all(db)
        .await?;
    let version = plan.version;
    // Sorting a national plan (45,000 rows) three ways is CPU work: off the async workers.
    let built = tokio::task::spawn_blocking(move || {
        let (ids, rows): (Vec<i32>, Vec<QuotaRow>) =
            rows.into_iter().filter_map(|(q, u)| u.map(|u| (q.id, plans::quota_row(q, u)))).unzip();
        PlanSnapshot::new(version, ids, rows)
    })
    .await;
    built.map_err(|e| ServiceError::Internal(format!("building the plan's snapshot failed: {e}")))
}

impl PlanSnapshot {
    fn new(version: i64, ids: Vec<i32>, rows: Vec<QuotaRow>) -> PlanSnapshot {
        let positions = || (0..rows.len() as u32).collect::<Vec<u32>>();
        let mut by_quota_desc = positions();
        by_quota_desc.sort_by_key(|&i| (std::cmp::Reverse(rows[i as usize].quota), ids[i as usize]));
        let mut by_quota_asc = positions();
        by_quota_asc.sort_by_key(|&i| (rows[i as usize].quota, ids[i as usize]));
        let mut by_name = positions();
        // Byte order of the UTF-8 names: SQLite's BINARY collation and PostgreSQL's C.UTF-8.
        by_name.sort_by(|&a, &b| {
            (rows[a as usize].name.as_str(), ids[a as usize])
                .cmp(&(rows[b as usize].name.as_str(), ids[b as usize]))
        });
        PlanSnapshot {
            version,
            folded_names: rows.iter().map(|r| r.name.to_ascii_lowercase()).collect(),
            rows,
            by_quota_desc,
            by_quota_asc,
            by_name,
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// A page of the rows that pass `filter`, in `order`. The name filter matches a part of
    /// the name, ASCII letters in either case (as SQLite's LIKE did), `%` and `_` as
    /// themselves. Without a filter the total is the row count; with one, it is counted only
    /// when `count` asks for it.
    pub fn units_page(&self, filter: &UnitFilter, order: UnitOrder, page: Page, count: bool) -> UnitsPage {
        let needle = filter.name_contains.as_deref().filter(|s| !s.is_empty()).map(str::to_ascii_lowercase);
        let unfiltered = filter.section.is_none() && filter.kind.is_none() && needle.is_none();
        let keeps = |i: usize| {
            let row = &self.rows[i];
            filter.section.is_none_or(|s| row.section == s)
                && filter.kind.is_none_or(|k| row.kind == k)
                && needle.as_deref().is_none_or(|n| self.folded_names[i].contains(n))
        };
        let positions: Box<dyn Iterator<Item = usize> + '_> = match order {
            UnitOrder::Table => Box::new(0..self.rows.len()),
            UnitOrder::QuotaDesc => Box::new(self.by_quota_desc.iter().map(|&i| i as usize)),
            UnitOrder::QuotaAsc => Box::new(self.by_quota_asc.iter().map(|&i| i as usize)),
            UnitOrder::Name => Box::new(self.by_name.iter().map(|&i| i as usize)),
        };
        let offset = usize::try_from(page.offset).unwrap_or(usize::MAX);
        let first = usize::try_from(page.first).unwrap_or(usize::MAX);
        if unfiltered {
            let total = self.rows.len();
            let rows = positions.skip(offset).take(first).map(|i| self.rows[i].clone()).collect::<Vec<_>>();
            let has_next_page = offset.saturating_add(rows.len()) < total;
            return UnitsPage { rows, total: Some(total as u64), has_next_page };
        }
        let mut matching = positions.filter(|&i| keeps(i));
        let rows: Vec<QuotaRow> =
            matching.by_ref().skip(offset).take(first).map(|i| self.rows[i].clone()).collect();
        let (total, has_next_page) = if count {
            // Rows before the offset were skipped, those after the page are counted now.
            // The rows skipped before the page were `offset` many, unless the page is empty.
            let after = matching.count();
            let total =
                if rows.is_empty() { self.matching_count(&keeps) } else { offset + rows.len() + after };
            (Some(total as u64), after > 0)
        } else {
            (None, matching.next().is_some())
        };
        UnitsPage { rows, total, has_next_page }
    }

    fn matching_count(&self, keeps: &impl Fn(usize) -> bool) -> usize {
        (0..self.rows.len()).filter(|&i| keeps(i)).count()
    }
}

/// A page of the plan's rows, from this process's snapshot of it.
pub async fn plan_units(
    db: &impl ConnectionTrait,
    cache: &PlanCache,
    plan: &PlanView,
    filter: &UnitFilter,
    order: UnitOrder,
    page: Page,
    count: bool,
) -> Result<UnitsPage, ServiceError> {
    Ok(to_page(db, cache, plan, filter).await?.units_page(filter, order, page, count))
}

/// The snapshot a page of `filter`'s rows is cut from, once the filter is checked: for a
/// caller that cuts the page only if it needs it (a kept answer may do instead).
pub async fn to_page(
    db: &impl ConnectionTrait,
    cache: &PlanCache,
    plan: &PlanView,
    filter: &UnitFilter,
) -> Result<Arc<PlanSnapshot>, ServiceError> {
    plans::check_unit_filter(filter)?;
    cache.published(db, plan).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Section, UnitKind};

    fn row(unit_id: i32, name: &str, section: Section, seq: i32, quota: i32, kind: UnitKind) -> QuotaRow {
        QuotaRow {
            unit_id: crate::domain::ids::UnitId(unit_id),
            name: name.into(),
            kind,
            plan_id: 1,
            section,
            seq,
            quota,
            site: None,
            note: None,
        }
    }

    fn snapshot() -> PlanSnapshot {
        let rows = vec![
            row(1, "咸安", Section::County, 1, 1600, UnitKind::Other),
            row(2, "嘉鱼", Section::County, 2, 1300, UnitKind::Other),
            row(3, "ABC Bank 咸宁分行", Section::CityUnit, 1, 60, UnitKind::Bank),
            row(4, "中行咸宁分行", Section::CityUnit, 2, 60, UnitKind::Bank),
            row(5, "湖北科技学院", Section::CityUnit, 3, 2800, UnitKind::University),
            row(6, "100%_商场", Section::Enterprise, 1, 8, UnitKind::Retail),
        ];
        PlanSnapshot::new(1, vec![10, 11, 12, 13, 14, 15], rows)
    }

    fn names(page: &UnitsPage) -> Vec<&str> {
        page.rows.iter().map(|r| r.name.as_str()).collect()
    }

    fn page(first: u64, offset: u64) -> Page {
        Page { first, offset }
    }

    #[test]
    fn without_a_filter_a_page_is_a_slice_of_the_order_and_the_total_is_every_row() {
        let s = snapshot();
        let p = s.units_page(&UnitFilter::default(), UnitOrder::Table, page(2, 1), false);
        assert_eq!(names(&p), ["嘉鱼", "ABC Bank 咸宁分行"]);
        assert_eq!((p.total, p.has_next_page), (Some(6), true));
        let p = s.units_page(&UnitFilter::default(), UnitOrder::QuotaDesc, page(3, 0), false);
        assert_eq!(names(&p), ["湖北科技学院", "咸安", "嘉鱼"]);
        let p = s.units_page(&UnitFilter::default(), UnitOrder::QuotaAsc, page(3, 0), false);
        assert_eq!(names(&p), ["100%_商场", "ABC Bank 咸宁分行", "中行咸宁分行"], "equal quotas by row id");
        let p = s.units_page(&UnitFilter::default(), UnitOrder::Name, page(2, 4), true);
        assert_eq!(names(&p), ["嘉鱼", "湖北科技学院"], "byte order: 100%, ABC, 中, 咸, 嘉, 湖");
        assert_eq!((p.total, p.has_next_page), (Some(6), false));
    }

    #[test]
    fn a_filtered_page_counts_only_when_asked_and_knows_whether_rows_follow() {
        let s = snapshot();
        let banks = UnitFilter { kind: Some(UnitKind::Bank), ..UnitFilter::default() };
        let p = s.units_page(&banks, UnitOrder::Table, page(1, 0), false);
        assert_eq!((names(&p), p.total, p.has_next_page), (vec!["ABC Bank 咸宁分行"], None, true));
        let p = s.units_page(&banks, UnitOrder::Table, page(1, 1), true);
        assert_eq!((names(&p), p.total, p.has_next_page), (vec!["中行咸宁分行"], Some(2), false));
        let p = s.units_page(&banks, UnitOrder::Table, page(5, 7), true);
        assert_eq!((p.rows.len(), p.total, p.has_next_page), (0, Some(2), false), "past the end");
        let city = UnitFilter { section: Some(Section::CityUnit), ..UnitFilter::default() };
        let p = s.units_page(&city, UnitOrder::QuotaDesc, page(2, 0), true);
        assert_eq!((names(&p), p.total), (vec!["湖北科技学院", "ABC Bank 咸宁分行"], Some(3)));
    }

    #[test]
    fn the_name_filter_matches_a_part_ascii_in_either_case_and_wildcards_as_themselves() {
        let s = snapshot();
        let by_name = |n: &str| UnitFilter { name_contains: Some(n.into()), ..UnitFilter::default() };
        let p = s.units_page(&by_name("咸宁分行"), UnitOrder::Table, page(10, 0), true);
        assert_eq!((names(&p), p.total), (vec!["ABC Bank 咸宁分行", "中行咸宁分行"], Some(2)));
        assert_eq!(
            names(&s.units_page(&by_name("abc bANK"), UnitOrder::Table, page(10, 0), true)),
            ["ABC Bank 咸宁分行"]
        );
        assert_eq!(names(&s.units_page(&by_name("%_"), UnitOrder::Table, page(10, 0), true)), ["100%_商场"]);
        assert!(s.units_page(&by_name("_商"), UnitOrder::Name, page(10, 0), true).rows.len() == 1);
        assert_eq!(s.units_page(&by_name("%咸"), UnitOrder::Table, page(10, 0), true).total, Some(0));
        assert_eq!(s.units_page(&by_name(""), UnitOrder::Table, page(10, 0), false).total, Some(6));
    }
}
