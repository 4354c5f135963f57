//! The one paged list of the schema: a page of `nodes`, how many rows match in all, and
//! whether more follow. Each list names its own GraphQL type (`VisitPage`, `UserPage`, …).
use async_graphql::{OutputType, SimpleObject};

use super::accounts::User;
use super::audit::AuditRecord;
use super::breakdowns::BreakdownOverviewRow;
use super::collections::Collection;
use super::contacts::UnitContact;
use super::fulfilment::UnitFulfilment;
use super::plan::PlanUnit;
use super::plan_years::YearOnYear;
use super::reminders::OutboxMessage;
use super::visits::Visit;
use crate::error::ApiResult;
use crate::services::Page;

/// A list field's page size when it does not give `first`.
pub const DEFAULT_FIRST: i64 = 50;

/// The page a list field's `first` (default [`DEFAULT_FIRST`]) and `offset` (default 0) ask for.
pub fn requested_page(first: Option<i64>, offset: Option<i64>) -> ApiResult<Page> {
    Ok(Page::new(first.unwrap_or(DEFAULT_FIRST), offset.unwrap_or(0))?)
}

#[derive(SimpleObject)]
#[graphql(
    concrete(name = "AuditPage", params(AuditRecord)),
    concrete(name = "BreakdownOverviewPage", params(BreakdownOverviewRow)),
    concrete(name = "CollectionPage", params(Collection)),
    concrete(name = "OutboxPage", params(OutboxMessage)),
    concrete(name = "PlanUnitPage", params(PlanUnit)),
    concrete(name = "UnitContactPage", params(UnitContact)),
    concrete(name = "UnitFulfilmentPage", params(UnitFulfilment)),
    concrete(name = "UserPage", params(User)),
    concrete(name = "VisitPage", params(Visit)),
    concrete(name = "YearOnYearPage", params(YearOnYear))
)]
pub struct PageOf<T: OutputType> {
    /// Rows that match, over all pages.
    total_count: i64,
    /// True when rows follow this page: ask again with `offset` moved on by `first`.
    has_next_page: bool,
    nodes: Vec<T>,
}

impl<T: OutputType> PageOf<T> {
    /// The page `page` of a service's `(total, rows)` answer, each row made a node.
    pub fn listed<R>(page: Page, (total, rows): (u64, Vec<R>)) -> Self
    where
        T: From<R>,
    {
        PageOf::new(total, page, rows.into_iter().map(T::from).collect())
    }

    /// The page `page` of `total` matching rows.
    fn new(total: u64, page: Page, nodes: Vec<T>) -> Self {
        let has_next_page = page.offset.saturating_add(nodes.len() as u64) < total;
        PageOf { total_count: i64::try_from(total).unwrap_or(i64::MAX), has_next_page, nodes }
    }

    /// A page that knows whether more follow without counting; `total` only when counted
    /// (a resolver counts when the query selects `totalCount`, so the 0 is never sent).
    pub fn known(total: Option<u64>, has_next_page: bool, nodes: Vec<T>) -> Self {
        let total_count = total.map_or(0, |t| i64::try_from(t).unwrap_or(i64::MAX));
        PageOf { total_count, has_next_page, nodes }
    }
}
