//! The office's pages: the dashboard, the visit calendar, exports.
use askama::Template;
use chrono::{Datelike, NaiveDate, TimeDelta};
use poem::web::{Form, Path, Query};
use poem::{handler, Body, Response};
use serde::Deserialize;

use super::liaison::{after_change, flash_text};
use super::render::{self, thousands, Chrome};
use super::session::{self, OfficeUser};
use super::view::{
    first_of_month, month_day, month_title, month_weeks, next_month, short_day, week_of, Figures, VisitRow,
};
use crate::domain::ids::{VehicleId, VisitId};
use crate::services::fulfilment::{self, ProgressFilter, ProgressOrder};
use crate::services::visits::{self, VisitFilter};
use crate::services::{vehicles, Page, ServiceError};

struct Level {
    id: String,
    name: String,
    figures: Figures,
}

impl Level {
    /// One holder's row: a county on the dashboard, or a holder behind schedule.
    fn holder(u: &crate::services::fulfilment::UnitProgress) -> Level {
        Level { id: u.unit_id.to_string(), name: u.name.clone(), figures: Figures::from(&u.progress) }
    }
}

struct Column {
    x: i64,
    y: i64,
    height: i64,
    label: String,
    value: String,
    value_y: i64,
}

struct Target {
    label: &'static str,
    id: &'static str,
    collected: String,
    target: String,
    share: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    chrome: Chrome,
    year: i32,
    as_of: String,
    document: String,
    city: Figures,
    targets: Vec<Target>,
    sections: Vec<Level>,
    counties: Vec<Level>,
    behind: Vec<Level>,
    behind_total: u64,
    columns: Vec<Column>,
    chart_max: String,
}

#[derive(Deserialize)]
pub struct YearQuery {
    year: Option<i32>,
}

#[handler]
pub async fn dashboard(Query(q): Query<YearQuery>, OfficeUser(state, s): OfficeUser<'_>) -> Response {
    let today = state.clock.today();
    let year = q.year.unwrap_or(today.year());
    let as_of = fulfilment::default_as_of(year, today);
    let figures = async {
        let scope =
            fulfilment::scope(&state.db, &state.answers, year, as_of, state.behind_margin_points).await?;
        let sections = fulfilment::sections(&state.db, &scope).await?;
        let counties = fulfilment::counties(&state.db, &scope).await?;
        let filter = ProgressFilter { behind_schedule: Some(true), ..ProgressFilter::default() };
        let page = Page { first: 15, offset: 0 };
        let behind =
            fulfilment::units(&state.db, &scope, &s.actor, &filter, ProgressOrder::ShareAsc, page, true)
                .await?;
        Ok::<_, ServiceError>((scope, sections, counties, behind))
    };
    let (scope, sections, counties, behind) = match figures.await {
        Ok(f) => f,
        Err(e) => return render::service_error_for(&s, e),
    };
    let city = fulfilment::city(&scope, &sections);
    let months = match fulfilment::monthly(&state.db, &s.actor, year, None, Some(as_of)).await {
        Ok(m) => m,
        Err(e) => return render::service_error_for(&s, e),
    };
    let target = |label, id, collected: i64, target: Option<i64>| Target {
        label,
        id,
        collected: thousands(collected),
        target: target.map(thousands).unwrap_or_else(|| "—".into()),
        share: target.map(|t| render::percent(collected, t).0).unwrap_or_else(|| "—".into()),
    };
    let max = months.iter().map(|m| m.donations).max().unwrap_or(0).max(1);
    // The chart: 12 columns in a 720×240 box, 40 px for labels below.
    let columns = months
        .iter()
        .map(|m| {
            let height = m.donations * 180 / max;
            Column {
                x: 40 + (i64::from(m.month) - 1) * 56,
                y: 200 - height,
                height,
                label: format!("{}月", m.month),
                value: thousands(m.donations),
                value_y: 195 - height,
            }
        })
        .collect();
    render::page(&Dashboard {
        chrome: Chrome::new(Some(&s), "总览"),
        year,
        as_of: as_of.to_string(),
        document: scope.plan.document_number.clone().unwrap_or_default(),
        city: Figures::from(&city),
        targets: vec![
            target("献血人次", "target-donations", city.collected_donations, scope.plan.donation_target),
            target("献血量（毫升）", "target-volume", city.collected_volume_ml, scope.plan.volume_target_ml),
        ],
        sections: sections
            .iter()
            .map(|x| Level {
                id: x.section.code().to_owned(),
                name: format!(
                    "{}（{} 个单位，{} 个落后）",
                    render::zh(x.section.label_zh()),
                    x.unit_count,
                    x.behind_count
                ),
                figures: Figures::from(&x.progress),
            })
            .collect(),
        counties: counties.iter().map(Level::holder).collect(),
        behind: behind.rows.iter().map(Level::holder).collect(),
        behind_total: behind.total.unwrap_or(0),
        columns,
        chart_max: thousands(max),
    })
}

struct Day {
    label: String,
    iso: String,
    off: bool,
    visits: Vec<VisitRow>,
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    chrome: Chrome,
    flash: Option<String>,
    view: &'static str,
    title: String,
    anchor: String,
    prev: String,
    next: String,
    vehicle: Option<VehicleId>,
    vehicles: Vec<(VehicleId, String, bool)>,
    days: Vec<Day>,
    back: String,
    requested: usize,
    /// Visits on the page that are not cancelled.
    shown: usize,
}

#[derive(Deserialize)]
pub struct CalendarQuery {
    view: Option<String>,
    date: Option<NaiveDate>,
    vehicle: Option<VehicleId>,
    done: Option<String>,
}

#[handler]
pub async fn calendar(Query(q): Query<CalendarQuery>, OfficeUser(state, s): OfficeUser<'_>) -> Response {
    let anchor = q.date.unwrap_or_else(|| state.clock.today());
    let month = q.view.as_deref() == Some("month");
    let (from, to, prev, next, title) = if month {
        let (from, to) = month_weeks(anchor);
        let prev_first = first_of_month(first_of_month(anchor) - TimeDelta::days(1));
        (from, to, prev_first, next_month(anchor), month_title(anchor))
    } else {
        let (monday, sunday) = week_of(anchor);
        let title = format!("{} 至 {}", monday.format("%Y-%m-%d"), sunday.format("%m-%d"));
        (monday, sunday, monday - TimeDelta::days(7), monday + TimeDelta::days(7), title)
    };
    let filter =
        VisitFilter { from: Some(from), to: Some(to), vehicle_id: q.vehicle, ..VisitFilter::default() };
    let rows = match visits::list_visits(&state.db, &s.actor, &filter, Page { first: 500, offset: 0 }).await {
        Ok((_, rows)) => rows,
        Err(e) => return render::service_error_for(&s, e),
    };
    let vehicles = match vehicles::list(&state.db).await {
        Ok(v) => {
            v.into_iter().map(|v| (VehicleId(v.id), v.name, Some(VehicleId(v.id)) == q.vehicle)).collect()
        }
        Err(e) => return render::service_error_for(&s, e),
    };
    let calendar = &state.booking.calendar;
    let days: Vec<Day> = from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|d| Day {
            label: if month { month_day(d) } else { short_day(d) },
            iso: d.to_string(),
            off: !calendar.is_working_day(d),
            visits: rows
                .iter()
                .filter(|v| v.date == d && v.status.code() != "CANCELLED")
                .map(VisitRow::from)
                .collect(),
        })
        .collect();
    let view = if month { "month" } else { "week" };
    let vehicle_param = q.vehicle.map(|v| format!("&vehicle={v}")).unwrap_or_default();
    render::page(&CalendarPage {
        chrome: Chrome::new(Some(&s), "采血日程"),
        flash: q.done.as_deref().and_then(|d| match d {
            "confirmed_many" => Some("所选采血活动已确认。".to_owned()),
            other => flash_text(Some(other)),
        }),
        view,
        title,
        anchor: anchor.to_string(),
        prev: prev.to_string(),
        next: next.to_string(),
        vehicle: q.vehicle,
        vehicles,
        requested: rows.iter().filter(|v| v.status.code() == "REQUESTED").count(),
        shown: days.iter().map(|d| d.visits.len()).sum(),
        days,
        back: format!("/office/calendar?view={view}&date={anchor}{vehicle_param}"),
    })
}

#[derive(Deserialize)]
pub struct BackForm {
    back: Option<String>,
}

#[handler]
pub async fn confirm(
    Path(id): Path<i32>,
    Form(form): Form<BackForm>,
    OfficeUser(state, s): OfficeUser<'_>,
) -> Response {
    let result = visits::confirm_visit(&state.db, &state.clock, &state.booking, &s.actor, VisitId(id))
        .await
        .map(|_| ());
    after_change(state, &s, result, form.back.as_deref(), "confirmed").await
}

/// Confirms every ticked visit, each in its own transaction; says which were refused.
#[handler]
pub async fn confirm_many(body: Body, OfficeUser(state, s): OfficeUser<'_>) -> Response {
    let body = body.into_vec().await.unwrap_or_default();
    let mut ids = Vec::new();
    let mut back = None;
    for (k, v) in url::form_urlencoded::parse(&body) {
        match k.as_ref() {
            "ids" => ids.extend(v.parse::<i32>().ok()),
            "back" => back = Some(v.into_owned()),
            _ => {}
        }
    }
    let back = session::local_path(back.as_deref()).to_owned();
    if ids.is_empty() {
        return render::refusal_page(&s, "请先勾选要确认的采血活动。", &back);
    }
    let mut refusals = Vec::new();
    for id in ids {
        match visits::confirm_visit(&state.db, &state.clock, &state.booking, &s.actor, VisitId(id)).await {
            Ok(_) => {}
            Err(e @ (ServiceError::Database(_) | ServiceError::Internal(_))) => {
                return render::service_error_for(&s, e)
            }
            Err(e) => refusals.push(format!("编号 {id}：{}", render::message_of(&e))),
        }
    }
    if refusals.is_empty() {
        let sep = if back.contains('?') { '&' } else { '?' };
        render::redirect(&format!("{back}{sep}done=confirmed_many"))
    } else {
        render::refusal_page(&s, &format!("其余已确认；以下未能确认：{}", refusals.join("；")), &back)
    }
}

#[derive(Template)]
#[template(path = "exports.html")]
struct ExportsPage {
    chrome: Chrome,
    year: i32,
    today: String,
}

#[handler]
pub async fn exports_page(OfficeUser(state, s): OfficeUser<'_>) -> Response {
    render::page(&ExportsPage {
        chrome: Chrome::new(Some(&s), "导出"),
        year: state.clock.today().year(),
        today: state.clock.today().to_string(),
    })
}
