//! The station's pages: the week's visits per vehicle, recording and correcting a visit's
//! collection, and fixed-site records.
use std::collections::BTreeMap;

use askama::Template;
use chrono::{Datelike, NaiveDate, TimeDelta};
use poem::web::{Form, Path, Query};
use poem::{handler, Response};
use serde::Deserialize;

use super::liaison::flash_text;
use super::render::{self, Chrome};
use super::session::{Session, StaffUser};
use super::view::{day_label, week_of, VisitRow};
use crate::domain::collection::{BloodTypes, CollectionSite, Counts};
use crate::domain::ids::{SubUnitId, UnitId, VehicleId, VisitId};
use crate::services::collections::{self, CollectionFilter, CollectionInput, CollectionView, Source};
use crate::services::visits::{self, VisitFilter};
use crate::services::{plans, sub_units, Page, ServiceError};
use crate::state::AppState;

struct VehicleDay {
    vehicle: String,
    today: Vec<VisitRow>,
    week: Vec<VisitRow>,
}

#[derive(Template)]
#[template(path = "station.html")]
struct SchedulePage {
    chrome: Chrome,
    today: String,
    week: String,
    prev: String,
    next: String,
    vehicles: Vec<VehicleDay>,
}

#[derive(Deserialize)]
pub struct DateQuery {
    date: Option<NaiveDate>,
}

#[handler]
pub async fn schedule(Query(q): Query<DateQuery>, StaffUser(state, s): StaffUser<'_>) -> Response {
    let day = q.date.unwrap_or_else(|| state.clock.today());
    let (monday, sunday) = week_of(day);
    let filter = VisitFilter { from: Some(monday), to: Some(sunday), ..VisitFilter::default() };
    let rows = match visits::list_visits(&state.db, &s.actor, &filter, Page { first: 500, offset: 0 }).await {
        Ok((_, rows)) => rows,
        Err(e) => return render::service_error_for(&s, e),
    };
    let mut by_vehicle: BTreeMap<(VehicleId, String), VehicleDay> = BTreeMap::new();
    for v in rows.iter().filter(|v| v.status.code() != "CANCELLED") {
        let entry = by_vehicle.entry((v.vehicle_id, v.vehicle_name.clone())).or_insert_with(|| VehicleDay {
            vehicle: v.vehicle_name.clone(),
            today: Vec::new(),
            week: Vec::new(),
        });
        if v.date == day {
            entry.today.push(VisitRow::from(v));
        }
        entry.week.push(VisitRow::from(v));
    }
    render::page(&SchedulePage {
        chrome: Chrome::new(Some(&s), "今日与本周"),
        today: day_label(day),
        week: format!("{} 至 {}", monday.format("%m-%d"), sunday.format("%m-%d")),
        prev: (day - TimeDelta::days(7)).to_string(),
        next: (day + TimeDelta::days(7)).to_string(),
        vehicles: by_vehicle.into_values().collect(),
    })
}

/// A record's figures as the form shows them (empty for a new record).
#[derive(Default)]
struct CountFields {
    bags200: String,
    bags300: String,
    bags400: String,
    deferred: String,
    a: String,
    b: String,
    o: String,
    ab: String,
    rh_negative: String,
    note: String,
    date: String,
    /// The sub-unit the form names (its id), empty for none.
    sub_unit: String,
}

impl CountFields {
    fn of(c: &CollectionView) -> CountFields {
        let t = c.counts.blood_types;
        let n = |v: Option<i32>| v.map(|v| v.to_string()).unwrap_or_default();
        CountFields {
            bags200: c.counts.bags200.to_string(),
            bags300: c.counts.bags300.to_string(),
            bags400: c.counts.bags400.to_string(),
            deferred: c.counts.deferred.to_string(),
            a: n(t.map(|t| t.a)),
            b: n(t.map(|t| t.b)),
            o: n(t.map(|t| t.o)),
            ab: n(t.map(|t| t.ab)),
            rh_negative: n(t.map(|t| t.rh_negative)),
            note: c.note.clone().unwrap_or_default(),
            date: c.date.to_string(),
            sub_unit: c.sub_unit_id.map(|id| id.to_string()).unwrap_or_default(),
        }
    }
}

struct Recorded {
    id: i32,
    revision: i32,
    donations: i64,
    volume_ml: i64,
}

#[derive(Template)]
#[template(path = "station_visit.html")]
struct VisitPage {
    chrome: Chrome,
    flash: Option<String>,
    error: Option<String>,
    visit: VisitRow,
    recorded: Option<Recorded>,
    fields: CountFields,
    /// The sub-units the record may name (id, name), when the holder has any.
    sub_units: Vec<(String, String)>,
}

#[derive(Deserialize)]
pub struct FlashQuery {
    done: Option<String>,
}

async fn visit_page_with(
    state: &AppState,
    s: &Session,
    id: VisitId,
    flash: Option<String>,
    error: Option<String>,
    entered: Option<CountFields>,
) -> Response {
    let visit = match visits::visit_by_id(&state.db, &s.actor, id).await {
        Ok(v) => v,
        Err(e) => return render::service_error_for(s, e),
    };
    let filter = CollectionFilter { visit_id: Some(id), ..CollectionFilter::default() };
    let existing =
        match collections::list_collections(&state.db, &s.actor, &filter, Page { first: 1, offset: 0 }).await
        {
            Ok((_, rows)) => rows.into_iter().next(),
            Err(e) => return render::service_error_for(s, e),
        };
    let fields = entered.unwrap_or_else(|| match &existing {
        Some(c) => CountFields::of(c),
        None => CountFields {
            date: visit.date.to_string(),
            sub_unit: visit.sub_unit_id.map(|id| id.to_string()).unwrap_or_default(),
            ..CountFields::default()
        },
    });
    let sub_units = match sub_unit_options(state, s, &visit, &fields.sub_unit).await {
        Ok(options) => options,
        Err(e) => return render::service_error_for(s, e),
    };
    render::page(&VisitPage {
        chrome: Chrome::new(Some(s), "采血记录"),
        flash,
        error,
        visit: VisitRow::from(&visit),
        recorded: existing.map(|c| Recorded {
            id: c.id,
            revision: c.revision,
            donations: c.counts.donations(),
            volume_ml: c.counts.volume_ml(),
        }),
        fields,
        sub_units,
    })
}

/// The sub-units a visit's record may name: the holder's accepted breakdown of the visit's
/// year, and the one the record names already if a newer version dropped it.
async fn sub_unit_options(
    state: &AppState,
    s: &Session,
    visit: &visits::VisitView,
    selected: &str,
) -> Result<Vec<(String, String)>, ServiceError> {
    let choices = sub_units::choices(&state.db, &s.actor, visit.unit_id, visit.date.year()).await?;
    let mut options: Vec<(String, String)> =
        choices.into_iter().map(|c| (c.id.to_string(), c.name)).collect();
    if let Ok(id) = selected.parse::<i32>() {
        if !options.iter().any(|(o, _)| o == selected) {
            let names = sub_units::names_of(&state.db, &[SubUnitId(id)]).await?;
            if let Some(name) = names.get(&SubUnitId(id)) {
                options.push((selected.to_owned(), name.clone()));
            }
        }
    }
    Ok(options)
}

#[handler]
pub async fn visit_page(
    Path(id): Path<VisitId>,
    Query(q): Query<FlashQuery>,
    StaffUser(state, s): StaffUser<'_>,
) -> Response {
    visit_page_with(state, &s, id, done_text(q.done.as_deref()), None, None).await
}

fn done_text(done: Option<&str>) -> Option<String> {
    match done? {
        "recorded" => Some("采血记录已保存，活动已标记为已完成。".into()),
        "corrected" => Some("采血记录已更正，原记录保留在修订历史中。".into()),
        other => flash_text(Some(other)),
    }
}

#[derive(Deserialize)]
pub struct CountsForm {
    date: String,
    bags200: String,
    bags300: String,
    bags400: String,
    deferred: String,
    a: Option<String>,
    b: Option<String>,
    o: Option<String>,
    ab: Option<String>,
    rh_negative: Option<String>,
    note: Option<String>,
    reason: Option<String>,
    /// The revision the correction form showed: a record changed since is refused.
    revision: Option<String>,
    unit_id: Option<String>,
    site: Option<String>,
    /// Empty: the visit's own sub-unit, or none.
    sub_unit_id: Option<String>,
}

impl CountsForm {
    fn fields(&self) -> CountFields {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        CountFields {
            bags200: self.bags200.clone(),
            bags300: self.bags300.clone(),
            bags400: self.bags400.clone(),
            deferred: self.deferred.clone(),
            a: o(&self.a),
            b: o(&self.b),
            o: o(&self.o),
            ab: o(&self.ab),
            rh_negative: o(&self.rh_negative),
            note: o(&self.note),
            date: self.date.clone(),
            sub_unit: o(&self.sub_unit_id),
        }
    }

    /// The sub-unit the form names, if any.
    fn sub_unit(&self) -> Result<Option<SubUnitId>, String> {
        match self.sub_unit_id.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => t
                .parse::<i32>()
                .map(|id| Some(SubUnitId(id)))
                .map_err(|_| "请从列表中选择二级单位。".to_owned()),
            None => Ok(None),
        }
    }

    /// The figures, or what is wrong with them in a sentence. Blood types are all or none.
    fn counts(&self) -> Result<(NaiveDate, Counts), String> {
        let date = NaiveDate::parse_from_str(self.date.trim(), "%Y-%m-%d")
            .map_err(|_| "采血日期不是有效的日期（例如 2020-03-02）。".to_owned())?;
        let whole = |text: &str, what: &str| -> Result<i32, String> {
            let t = text.trim();
            if t.is_empty() {
                return Ok(0);
            }
            t.parse::<i32>().map_err(|_| format!("{what}必须是整数。"))
        };
        let types = [&self.a, &self.b, &self.o, &self.ab, &self.rh_negative];
        let any_type = types.iter().any(|t| t.as_deref().is_some_and(|t| !t.trim().is_empty()));
        let blood_types = if any_type {
            let v = |t: &Option<String>, what: &str| whole(t.as_deref().unwrap_or(""), what);
            Some(BloodTypes {
                a: v(&self.a, "A 型人数")?,
                b: v(&self.b, "B 型人数")?,
                o: v(&self.o, "O 型人数")?,
                ab: v(&self.ab, "AB 型人数")?,
                rh_negative: v(&self.rh_negative, "RhD 阴性人数")?,
            })
        } else {
            None
        };
        Ok((
            date,
            Counts {
                bags200: whole(&self.bags200, "200 毫升袋数")?,
                bags300: whole(&self.bags300, "300 毫升袋数")?,
                bags400: whole(&self.bags400, "400 毫升袋数")?,
                deferred: whole(&self.deferred, "暂缓献血人数")?,
                blood_types,
            },
        ))
    }
}

#[handler]
pub async fn record(
    Path(id): Path<VisitId>,
    Form(form): Form<CountsForm>,
    StaffUser(state, s): StaffUser<'_>,
) -> Response {
    let (date, counts, sub_unit_id) = match form.counts().and_then(|(d, c)| Ok((d, c, form.sub_unit()?))) {
        Ok(c) => c,
        Err(m) => return visit_page_with(state, &s, id, None, Some(m), Some(form.fields())).await,
    };
    let input =
        CollectionInput { sub_unit_id, source: Source::Visit(id), date, counts, note: form.note.clone() };
    match collections::record_collection(&state.db, &state.clock, &state.collections, &s.actor, input).await {
        Ok(_) => render::redirect(&format!("/station/visits/{id}?done=recorded")),
        Err(e) if render::is_refusal(&e) => {
            visit_page_with(state, &s, id, None, Some(render::message_of(&e)), Some(form.fields())).await
        }
        Err(e) => render::service_error_for(&s, e),
    }
}

#[derive(Deserialize)]
pub struct VisitOf {
    visit: Option<VisitId>,
}

/// A correction: a new revision with a reason; the form names the visit it came from.
#[handler]
pub async fn correct(
    Path(id): Path<i32>,
    Query(of): Query<VisitOf>,
    Form(form): Form<CountsForm>,
    StaffUser(state, s): StaffUser<'_>,
) -> Response {
    let Some(visit_id) = of.visit else {
        return render::error_page(Some(&s), poem::http::StatusCode::BAD_REQUEST, "缺少采血活动编号。");
    };
    let (date, counts, sub_unit_id) = match form.counts().and_then(|(d, c)| Ok((d, c, form.sub_unit()?))) {
        Ok(c) => c,
        Err(m) => return visit_page_with(state, &s, visit_id, None, Some(m), Some(form.fields())).await,
    };
    let input = CollectionInput {
        sub_unit_id,
        source: Source::Visit(visit_id),
        date,
        counts,
        note: form.note.clone(),
    };
    let reason = form.reason.clone().unwrap_or_default();
    let revision = form.revision.as_deref().and_then(|r| r.parse::<i32>().ok()).unwrap_or(0);
    match collections::correct_collection(
        &state.db,
        &state.clock,
        &state.collections,
        &s.actor,
        id,
        revision,
        reason,
        input,
    )
    .await
    {
        Ok(_) => render::redirect(&format!("/station/visits/{visit_id}?done=corrected")),
        Err(e) if render::is_refusal(&e) => {
            visit_page_with(state, &s, visit_id, None, Some(render::message_of(&e)), Some(form.fields()))
                .await
        }
        Err(e) => render::service_error_for(&s, e),
    }
}

struct HolderOption {
    id: UnitId,
    name: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "fixed_site.html")]
struct FixedSitePage {
    chrome: Chrome,
    flash: Option<String>,
    error: Option<String>,
    holders: Vec<HolderOption>,
    sites: Vec<(&'static str, &'static str, bool)>,
    fields: CountFields,
}

async fn fixed_site_with(
    state: &AppState,
    s: &Session,
    flash: Option<String>,
    error: Option<String>,
    form: Option<&CountsForm>,
) -> Response {
    let year = state.clock.today().year();
    let filter = plans::UnitFilter::default();
    let units = match plans::plan_by_year(&state.db, year).await {
        Ok(plan) => {
            match crate::services::plan_cache::plan_units(
                &state.db,
                &state.plan_cache,
                &plan,
                &filter,
                plans::UnitOrder::Table,
                Page { first: 500, offset: 0 },
                false,
            )
            .await
            {
                Ok(page) => page.rows,
                Err(e) => return render::service_error_for(s, e),
            }
        }
        Err(ServiceError::NotFound(_)) => Vec::new(),
        Err(e) => return render::service_error_for(s, e),
    };
    let chosen_unit = form.and_then(|f| f.unit_id.as_deref()).and_then(|u| u.parse::<i32>().ok()).map(UnitId);
    let chosen_site = form.and_then(|f| f.site.as_deref()).unwrap_or("CENTRAL_STATION");
    render::page(&FixedSitePage {
        chrome: Chrome::new(Some(s), "固定点采血"),
        flash,
        error,
        holders: units
            .into_iter()
            .map(|u| HolderOption { selected: Some(u.unit_id) == chosen_unit, id: u.unit_id, name: u.name })
            .collect(),
        sites: [CollectionSite::CentralStation, CollectionSite::DonationHouse]
            .into_iter()
            .map(|c| (c.code(), c.label_zh(), c.code() == chosen_site))
            .collect(),
        fields: form.map(CountsForm::fields).unwrap_or_else(|| CountFields {
            date: state.clock.today().to_string(),
            ..CountFields::default()
        }),
    })
}

#[handler]
pub async fn fixed_site_page(Query(q): Query<FlashQuery>, StaffUser(state, s): StaffUser<'_>) -> Response {
    let flash = (q.done.as_deref() == Some("recorded")).then(|| "固定点采血记录已保存。".to_owned());
    fixed_site_with(state, &s, flash, None, None).await
}

#[handler]
pub async fn record_fixed_site(Form(form): Form<CountsForm>, StaffUser(state, s): StaffUser<'_>) -> Response {
    let unit_id = form.unit_id.as_deref().and_then(|u| u.parse::<i32>().ok()).map(UnitId);
    let site = form.site.as_deref().and_then(CollectionSite::parse);
    let (Some(unit_id), Some(site)) = (unit_id, site) else {
        return fixed_site_with(state, &s, None, Some("请选择献血单位和采血地点。".into()), Some(&form))
            .await;
    };
    let (date, counts) = match form.counts() {
        Ok(c) => c,
        Err(m) => return fixed_site_with(state, &s, None, Some(m), Some(&form)).await,
    };
    let input = CollectionInput {
        sub_unit_id: None,
        source: Source::FixedSite { unit_id, site },
        date,
        counts,
        note: form.note.clone(),
    };
    match collections::record_collection(&state.db, &state.clock, &state.collections, &s.actor, input).await {
        Ok(_) => render::redirect("/station/fixed-site?done=recorded"),
        Err(e) if render::is_refusal(&e) => {
            fixed_site_with(state, &s, None, Some(render::message_of(&e)), Some(&form)).await
        }
        Err(e) => render::service_error_for(&s, e),
    }
}
