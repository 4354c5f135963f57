//! A liaison's pages: their holder's progress, their visits, and booking a vehicle.
use std::collections::BTreeMap;

use askama::Template;
use chrono::{Datelike, NaiveDate, TimeDelta};
use poem::web::{Form, Path, Query};
use poem::{handler, Response};
use serde::Deserialize;

use super::render::{self, Chrome};
use super::session::{self, LiaisonOrOffice, LiaisonUser, Session};
use super::view::{day_label, short_day, Figures, VisitRow};
use crate::domain::auth::Role;
use crate::domain::ids::{SubUnitId, UnitId, VehicleId, VisitId};
use crate::domain::visit::Session as DaySession;
use crate::services::visits::{self, BookingInput, RescheduleInput, VisitFilter};
use crate::services::{breakdowns, fulfilment, sub_units, Page, ServiceError};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "liaison.html")]
struct HomePage {
    chrome: Chrome,
    flash: Option<String>,
    error: Option<String>,
    unit_id: UnitId,
    unit_name: String,
    year: i32,
    figures: Option<Figures>,
    /// The holder is asked for a breakdown of this year's quota (`domain::breakdown::required`).
    breakdown_asked: bool,
    visits: Vec<VisitRow>,
}

#[derive(Deserialize)]
pub struct FlashQuery {
    done: Option<String>,
}

pub(super) fn flash_text(done: Option<&str>) -> Option<String> {
    Some(
        match done? {
            "booked" => "预约已提交，等待市献血办确认。",
            "cancelled" => "采血活动已取消。",
            "moved" => "采血活动已改期，等待市献血办重新确认。",
            "confirmed" => "已确认。",
            _ => return None,
        }
        .to_owned(),
    )
}

async fn home_page(state: &AppState, s: &Session, flash: Option<String>, error: Option<String>) -> Response {
    let Some(unit_id) = s.actor.unit_id else {
        return render::error_page(Some(s), poem::http::StatusCode::FORBIDDEN, render::FORBIDDEN);
    };
    let today = state.clock.today();
    let year = today.year();
    let (unit_name, figures) = match fulfilment::holder_fulfilment(
        &state.db,
        year,
        today,
        state.behind_margin_points,
        unit_id,
    )
    .await
    {
        Ok(Some(u)) => (u.name, Some(Figures::from(&u.progress))),
        Ok(None) => (String::new(), None),
        Err(e) => return render::service_error_for(s, e),
    };
    let unit_name = if unit_name.is_empty() {
        match crate::services::plans::unit_by_id(&state.db, unit_id).await {
            Ok(u) => u.name,
            Err(e) => return render::service_error_for(s, e),
        }
    } else {
        unit_name
    };
    let breakdown_asked = match breakdowns::holder_year(&state.db, &s.actor, unit_id, year).await {
        Ok(h) => h.required,
        Err(ServiceError::Rejected { .. } | ServiceError::NotFound(_)) => false,
        Err(e) => return render::service_error_for(s, e),
    };
    let filter = VisitFilter { from: NaiveDate::from_ymd_opt(year, 1, 1), ..VisitFilter::default() };
    let visits = match visits::list_visits(&state.db, &s.actor, &filter, Page { first: 500, offset: 0 }).await
    {
        Ok((_, rows)) => rows.iter().map(VisitRow::from).collect(),
        Err(e) => return render::service_error_for(s, e),
    };
    render::page(&HomePage {
        chrome: Chrome::new(Some(s), "本单位"),
        flash,
        error,
        unit_id,
        unit_name,
        year,
        figures,
        breakdown_asked,
        visits,
    })
}

#[handler]
pub async fn home(Query(q): Query<FlashQuery>, LiaisonUser(state, s): LiaisonUser<'_>) -> Response {
    home_page(state, &s, flash_text(q.done.as_deref()), None).await
}

struct SlotCell {
    vehicle_id: VehicleId,
    sessions: Vec<(&'static str, &'static str, String)>,
}

struct GridRow {
    date: String,
    date_iso: String,
    cells: Vec<SlotCell>,
}

#[derive(Template)]
#[template(path = "book.html")]
struct BookPage {
    chrome: Chrome,
    error: Option<String>,
    from: String,
    to: String,
    vehicles: Vec<String>,
    rows: Vec<GridRow>,
    client_key: String,
    expected: String,
    min_date: String,
    /// The sub-units the booking may name (id, name): the holder's accepted breakdown.
    sub_units: Vec<(SubUnitId, String)>,
}

#[derive(Deserialize, Default)]
pub struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
}

fn parse_date(text: &str, what: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{what}不是有效的日期（例如 2020-03-02）。"))
}

async fn book_page_with(
    state: &AppState,
    s: &Session,
    range: &RangeQuery,
    error: Option<String>,
    expected: String,
) -> Response {
    let earliest = state.clock.today() + TimeDelta::days(state.booking.policy.lead_time_days);
    let from = match range.from.as_deref().filter(|t| !t.is_empty()).map(|t| parse_date(t, "开始日期")) {
        Some(Ok(d)) => d,
        Some(Err(m)) => return render::page(&empty_book(s, m, earliest)),
        None => earliest,
    };
    let to = match range.to.as_deref().filter(|t| !t.is_empty()).map(|t| parse_date(t, "结束日期")) {
        Some(Ok(d)) => d,
        Some(Err(m)) => return render::page(&empty_book(s, m, earliest)),
        None => from + TimeDelta::days(13),
    };
    let free = match visits::availability(
        &state.db,
        &state.booking,
        state.clock.today(),
        from,
        to,
        None,
        s.actor.unit_id,
    )
    .await
    {
        Ok(free) => free,
        Err(e @ (ServiceError::BadInput(_) | ServiceError::Rejected { .. })) => {
            return render::page(&empty_book(s, render::message_of(&e), earliest))
        }
        Err(e) => return render::service_error_for(s, e),
    };
    let sub_units = match s.actor.unit_id {
        Some(holder) => match sub_units::choices(&state.db, &s.actor, holder, from.year()).await {
            Ok(found) => found.into_iter().map(|c| (c.id, c.name)).collect(),
            Err(e) => return render::service_error_for(s, e),
        },
        None => Vec::new(),
    };
    let mut vehicles: BTreeMap<VehicleId, String> = BTreeMap::new();
    let mut by_day: BTreeMap<NaiveDate, BTreeMap<VehicleId, Vec<DaySession>>> = BTreeMap::new();
    for f in &free {
        vehicles.insert(f.vehicle_id, f.vehicle_name.clone());
        by_day.entry(f.date).or_default().entry(f.vehicle_id).or_default().push(f.session);
    }
    let rows = by_day
        .into_iter()
        .map(|(date, per_vehicle)| GridRow {
            date: short_day(date),
            date_iso: date.to_string(),
            cells: vehicles
                .iter()
                .map(|(id, name)| SlotCell {
                    vehicle_id: *id,
                    sessions: per_vehicle
                        .get(id)
                        .map(|ss| {
                            ss.iter()
                                .map(|x| {
                                    (
                                        x.code(),
                                        x.label_zh(),
                                        format!("{name} · {} {}", day_label(date), x.label_zh()),
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    render::page(&BookPage {
        chrome: Chrome::new(Some(s), "预约采血车"),
        error,
        from: from.to_string(),
        to: to.to_string(),
        vehicles: vehicles.into_values().collect(),
        rows,
        client_key: crate::services::random_token()[..24].to_owned(),
        expected,
        min_date: earliest.to_string(),
        sub_units,
    })
}

fn empty_book(s: &Session, error: String, earliest: NaiveDate) -> BookPage {
    BookPage {
        chrome: Chrome::new(Some(s), "预约采血车"),
        error: Some(error),
        from: earliest.to_string(),
        to: (earliest + TimeDelta::days(13)).to_string(),
        vehicles: Vec::new(),
        rows: Vec::new(),
        client_key: crate::services::random_token()[..24].to_owned(),
        expected: String::new(),
        min_date: earliest.to_string(),
        sub_units: Vec::new(),
    }
}

#[handler]
pub async fn book_page(Query(q): Query<RangeQuery>, LiaisonUser(state, s): LiaisonUser<'_>) -> Response {
    book_page_with(state, &s, &q, None, String::new()).await
}

#[derive(Deserialize)]
pub struct BookForm {
    vehicle_id: String,
    date: String,
    session: String,
    expected_donors: String,
    note: Option<String>,
    client_key: Option<String>,
    from: Option<String>,
    to: Option<String>,
    /// Empty: the holder as a whole.
    sub_unit_id: Option<String>,
}

fn booking_input(s: &Session, f: &BookForm) -> Result<BookingInput, String> {
    let (Ok(vehicle_id), Some(session)) =
        (f.vehicle_id.trim().parse::<i32>().map(VehicleId), DaySession::parse(&f.session))
    else {
        return Err("请先在日历中选择一个空闲时段。".into());
    };
    let date = parse_date(&f.date, "日期")?;
    let expected_donors =
        f.expected_donors.trim().parse::<i32>().map_err(|_| "预计献血人数必须是整数。".to_owned())?;
    let sub_unit_id = match f.sub_unit_id.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Some(SubUnitId(t.parse::<i32>().map_err(|_| "请从列表中选择二级单位。".to_owned())?)),
        None => None,
    };
    Ok(BookingInput {
        sub_unit_id,
        unit_id: s.actor.unit_id.unwrap_or(UnitId(-1)),
        vehicle_id,
        date,
        session,
        expected_donors,
        site_contact: None,
        note: f.note.clone(),
        client_key: f.client_key.clone(),
        lead_time_override: None,
        day_override: None,
    })
}

#[handler]
pub async fn book(Form(form): Form<BookForm>, LiaisonUser(state, s): LiaisonUser<'_>) -> Response {
    let range = RangeQuery { from: form.from.clone(), to: form.to.clone() };
    let input = match booking_input(&s, &form) {
        Ok(i) => i,
        Err(m) => return book_page_with(state, &s, &range, Some(m), form.expected_donors.clone()).await,
    };
    match visits::book_visit(&state.db, &state.clock, &state.booking, &s.actor, input).await {
        Ok(_) => render::redirect("/liaison?done=booked"),
        Err(e @ ServiceError::Database(_)) | Err(e @ ServiceError::Internal(_)) => {
            render::service_error_for(&s, e)
        }
        Err(e) => book_page_with(state, &s, &range, Some(render::message_of(&e)), form.expected_donors).await,
    }
}

#[derive(Deserialize)]
pub struct CancelForm {
    reason: String,
    back: Option<String>,
}

/// Cancelling a visit: a liaison their own (until the cut-off), the office any.
#[handler]
pub async fn cancel(
    Path(id): Path<i32>,
    Form(form): Form<CancelForm>,
    LiaisonOrOffice(state, s): LiaisonOrOffice<'_>,
) -> Response {
    let result =
        visits::cancel_visit(&state.db, &state.clock, &state.booking, &s.actor, VisitId(id), form.reason)
            .await;
    after_change(state, &s, result.map(|_| ()), form.back.as_deref(), "cancelled").await
}

#[derive(Deserialize)]
pub struct MoveForm {
    date: String,
    session: String,
    back: Option<String>,
}

#[handler]
pub async fn reschedule(
    Path(id): Path<i32>,
    Form(form): Form<MoveForm>,
    LiaisonOrOffice(state, s): LiaisonOrOffice<'_>,
) -> Response {
    let date = match parse_date(&form.date, "新日期") {
        Ok(d) => d,
        Err(m) => {
            return after_change(state, &s, Err(ServiceError::BadInput(m)), form.back.as_deref(), "").await
        }
    };
    let Some(session) = DaySession::parse(&form.session) else {
        let e = ServiceError::BadInput("请选择时段".into());
        return after_change(state, &s, Err(e), form.back.as_deref(), "").await;
    };
    let input = RescheduleInput {
        date,
        session,
        vehicle_id: None,
        expected_donors: None,
        lead_time_override: None,
        day_override: None,
    };
    let result =
        visits::reschedule_visit(&state.db, &state.clock, &state.booking, &s.actor, VisitId(id), input).await;
    after_change(state, &s, result.map(|_| ()), form.back.as_deref(), "moved").await
}

/// After a change: back to where the form was, with a note; a refusal is said on the page.
pub(super) async fn after_change(
    state: &AppState,
    s: &Session,
    result: Result<(), ServiceError>,
    back: Option<&str>,
    done: &str,
) -> Response {
    let back = session::local_path(back);
    match result {
        Ok(()) => {
            let sep = if back.contains('?') { '&' } else { '?' };
            render::redirect(&format!("{back}{sep}done={done}"))
        }
        Err(e) if !render::is_refusal(&e) => render::service_error_for(s, e),
        Err(e) if s.actor.role == Role::Liaison => {
            home_page(state, s, None, Some(render::message_of(&e))).await
        }
        Err(e) => render::refusal_page(s, &render::message_of(&e), back),
    }
}
