//! The holders table (office) and a page per holder (office, station, the holder's liaison).
use askama::Template;
use chrono::{Datelike, NaiveDate};
use poem::http::StatusCode;
use poem::web::{Form, Path, Query};
use poem::{handler, Response};
use serde::Deserialize;

use super::render::{self, thousands, Chrome};
use super::session::{AnyUser, OfficeUser};
use super::view::{Figures, Pager, VisitRow};
use crate::domain::ids::UnitId;
use crate::domain::section::Section;
use crate::domain::unit_kind::UnitKind;
use crate::services::collections::{self, CollectionFilter};
use crate::services::fulfilment::{self, ProgressFilter, ProgressOrder};
use crate::services::visits::{self, VisitFilter};
use crate::services::{calendars, contacts, plans, Page, ServiceError};
use crate::state::{AppState, CalendarFeed};

const PAGE_SIZE: u64 = 50;

struct HolderRow {
    id: UnitId,
    name: String,
    section: String,
    kind: &'static str,
    figures: Figures,
}

#[derive(Template)]
#[template(path = "holders.html")]
struct HoldersPage {
    chrome: Chrome,
    year: i32,
    total: u64,
    rows: Vec<HolderRow>,
    sections: Vec<(&'static str, String, bool)>,
    kinds: Vec<(&'static str, &'static str, bool)>,
    behind: String,
    q: String,
    orders: Vec<(&'static str, &'static str, bool)>,
    pager: Pager,
}

#[derive(Deserialize, Default, Clone)]
pub struct HoldersQuery {
    section: Option<String>,
    kind: Option<String>,
    behind: Option<String>,
    q: Option<String>,
    order: Option<String>,
    page: Option<u64>,
}

impl HoldersQuery {
    fn link(&self, page: u64) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("section", &self.section),
            ("kind", &self.kind),
            ("behind", &self.behind),
            ("q", &self.q),
            ("order", &self.order),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                s.append_pair(k, v);
            }
        }
        s.append_pair("page", &page.to_string());
        format!("/office/holders?{}", s.finish())
    }
}

const ORDERS: [(&str, &str, ProgressOrder); 5] = [
    ("TABLE", "按计划表顺序", ProgressOrder::Table),
    ("SHARE_ASC", "完成比例从低到高", ProgressOrder::ShareAsc),
    ("SHARE_DESC", "完成比例从高到低", ProgressOrder::ShareDesc),
    ("REMAINING_DESC", "尚差人次从多到少", ProgressOrder::RemainingDesc),
    ("NAME", "按名称", ProgressOrder::Name),
];

#[handler]
pub async fn holders_table(Query(q): Query<HoldersQuery>, OfficeUser(state, s): OfficeUser<'_>) -> Response {
    let today = state.clock.today();
    let year = today.year();
    let section = q.section.as_deref().and_then(Section::parse);
    let kind = q.kind.as_deref().and_then(UnitKind::parse);
    let behind = match q.behind.as_deref() {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    };
    let order_code = q.order.as_deref().unwrap_or("TABLE");
    let order = ORDERS.iter().find(|(c, _, _)| *c == order_code).map_or(ProgressOrder::Table, |o| o.2);
    let filter = ProgressFilter { section, kind, behind_schedule: behind, name_contains: q.q.clone() };
    let (page, rows_of_page) = Pager::asked(q.page, PAGE_SIZE);
    let found = async {
        let scope =
            fulfilment::scope(&state.db, &state.answers, year, today, state.behind_margin_points).await?;
        fulfilment::units(&state.db, &scope, &s.actor, &filter, order, rows_of_page, true).await
    };
    let (total, rows) = match found.await {
        Ok(found) => (found.total.unwrap_or(0), found.rows),
        Err(e) => return render::service_error_for(&s, e),
    };
    render::page(&HoldersPage {
        chrome: Chrome::new(Some(&s), "献血单位"),
        year,
        total,
        rows: rows
            .iter()
            .map(|u| HolderRow {
                id: u.unit_id,
                name: u.name.clone(),
                section: render::zh(u.section.label_zh()),
                kind: u.kind.label_zh(),
                figures: Figures::from(&u.progress),
            })
            .collect(),
        sections: Section::ALL
            .iter()
            .map(|x| (x.code(), render::zh(x.label_zh()), Some(*x) == section))
            .collect(),
        kinds: UnitKind::ALL.iter().map(|x| (x.code(), x.label_zh(), Some(*x) == kind)).collect(),
        behind: q.behind.clone().unwrap_or_default(),
        q: q.q.clone().unwrap_or_default(),
        orders: ORDERS.iter().map(|(c, l, _)| (*c, *l, *c == order_code)).collect(),
        pager: Pager::new(page, total, PAGE_SIZE, |n| q.link(n)),
    })
}

struct QuotaLine {
    year: i32,
    section: String,
    seq: i32,
    quota: String,
}

struct CollectionLine {
    date: String,
    site: &'static str,
    donations: String,
    volume_ml: String,
    revision: i32,
}

/// A sub-unit's line under its holder's figures.
struct SubUnitLine {
    name: String,
    removed: bool,
    figures: Figures,
}

#[derive(Template)]
#[template(path = "holder.html")]
struct HolderPage {
    chrome: Chrome,
    name: String,
    kind: &'static str,
    year: i32,
    figures: Option<Figures>,
    sub_units: Vec<SubUnitLine>,
    quotas: Vec<QuotaLine>,
    visits: Vec<VisitRow>,
    collections: Vec<CollectionLine>,
    contact: Option<(String, String, String)>,
    /// The office and the holder's own liaisons may edit the contact.
    contact_form: Option<(String, String, String)>,
    id: UnitId,
    flash: Option<String>,
    calendar_url: Option<String>,
    months: Vec<(u32, String)>,
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

#[handler]
pub async fn holder_page(
    Path(id): Path<UnitId>,
    Query(q): Query<DoneQuery>,
    AnyUser(state, s): AnyUser<'_>,
) -> Response {
    // The same permission as the holder's contact: the office, the station, its own liaisons.
    if s.actor.may_read_holder(id).is_err() {
        return render::error_page(Some(&s), StatusCode::FORBIDDEN, render::FORBIDDEN);
    }
    match holder_data(state, &s.actor, id).await {
        Ok(mut page) => {
            page.chrome = Chrome::new(Some(&s), page.name.clone());
            page.flash = (q.done.as_deref() == Some("contact")).then(|| "联系人已保存。".to_owned());
            render::page(&page)
        }
        Err(e) => render::service_error_for(&s, e),
    }
}

async fn holder_data(
    state: &AppState,
    actor: &crate::domain::auth::Actor,
    id: UnitId,
) -> Result<HolderPage, ServiceError> {
    let unit = plans::unit_by_id(&state.db, id).await?;
    let today = state.clock.today();
    let year = today.year();
    let margin = state.behind_margin_points;
    // The caller (`holder_page`) has checked `may_read_holder`.
    let figures = fulfilment::holder_fulfilment(&state.db, year, today, margin, id)
        .await?
        .map(|u| Figures::from(&u.progress));
    let mut subs = fulfilment::sub_units(&state.db, actor, year, today, margin, &[id]).await?;
    let sub_units = subs
        .remove(&id)
        .unwrap_or_default()
        .into_iter()
        .map(|s| SubUnitLine { name: s.name, removed: s.removed, figures: Figures::from(&s.progress) })
        .collect();
    let months = fulfilment::monthly(&state.db, actor, year, Some(id), Some(today)).await?;
    let from = NaiveDate::from_ymd_opt(year, 1, 1);
    let (_, visit_rows) = visits::list_visits(
        &state.db,
        actor,
        &VisitFilter { unit_id: Some(id), from, ..VisitFilter::default() },
        Page { first: 500, offset: 0 },
    )
    .await?;
    let (_, records) = collections::list_collections(
        &state.db,
        actor,
        &CollectionFilter { unit_id: Some(id), year: Some(year), ..CollectionFilter::default() },
        Page { first: 500, offset: 0 },
    )
    .await?;
    let contact = contacts::contact_of(&state.db, actor, id).await?.map(|c| (c.name, c.phone, c.email));
    let contact_form = actor.may_manage_holder(id).is_ok().then(|| contact.clone().unwrap_or_default());
    let calendar_url = match calendars::unit_calendar_token(&state.db, actor, id).await {
        Ok(token) => Some(state.calendar_url(CalendarFeed::Units, &token)),
        Err(ServiceError::Forbidden) => None,
        Err(e) => return Err(e),
    };
    Ok(HolderPage {
        chrome: Chrome::new(None, ""),
        name: unit.name,
        kind: unit.kind.label_zh(),
        year,
        figures,
        sub_units,
        quotas: unit
            .quotas
            .iter()
            .map(|(y, q)| QuotaLine {
                year: *y,
                section: render::zh(q.section.label_zh()),
                seq: q.seq,
                quota: thousands(q.quota.into()),
            })
            .collect(),
        visits: visit_rows.iter().map(VisitRow::from).collect(),
        collections: records
            .iter()
            .map(|c| CollectionLine {
                date: c.date.to_string(),
                site: c.site.label_zh(),
                donations: thousands(c.counts.donations()),
                volume_ml: thousands(c.counts.volume_ml()),
                revision: c.revision,
            })
            .collect(),
        contact,
        contact_form,
        id,
        flash: None,
        calendar_url,
        months: months
            .iter()
            .filter(|m| m.donations > 0)
            .map(|m| (m.month, thousands(m.donations)))
            .collect(),
    })
}

#[derive(Deserialize)]
pub struct ContactForm {
    name: String,
    phone: String,
    email: String,
}

/// The holder's liaison contact, edited by the office or the holder's own liaison.
#[handler]
pub async fn update_contact(
    Path(id): Path<UnitId>,
    Form(form): Form<ContactForm>,
    AnyUser(state, s): AnyUser<'_>,
) -> Response {
    let input = contacts::ContactInput { name: form.name, phone: form.phone, email: form.email };
    let back = format!("/holders/{id}");
    match contacts::update_unit_contact(&state.db, &state.clock, &s.actor, id, input).await {
        Ok(_) => render::redirect(&format!("{back}?done=contact")),
        Err(e) => render::refusal(&s, e, &back),
    }
}
