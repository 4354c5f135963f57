//! The office's schedule page: propose a year's visits, pin and exclude holders and dates,
//! re-run, and publish the proposal as requested visits.
//!
//! The page's state is its query string (year, range, factor, pins, exclusions): every
//! pin or exclusion is a link that adds one parameter and runs the proposal again. Publish
//! posts the visits the page shows, so what is published is exactly what the office saw.
use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use chrono::{Datelike, NaiveDate};
use poem::{handler, Body, Request, Response};

use super::render::{self, thousands, Chrome};
use super::session::{self, OfficeUser, Session};
use super::view::{first_of_month, month_day, month_title, month_weeks, next_month};
use crate::domain::ids::{UnitId, VehicleId};
use crate::domain::schedule as solver;
use crate::domain::visit::Session as VisitSession;
use crate::domain::work_calendar::weekday_zh;
use crate::services::schedule_publish::{self, ScheduledVisit};
use crate::services::{schedule, vehicles, ServiceError};
use crate::state::AppState;

/// What the form asks for; also what every link of the page carries along.
#[derive(Debug, Clone, Default, PartialEq)]
struct Params {
    year: i32,
    from: NaiveDate,
    to: NaiveDate,
    factor: String,
    exclude_units: BTreeSet<UnitId>,
    exclude_dates: BTreeSet<NaiveDate>,
    /// Visits the office keeps as they are: unit, vehicle, date, session.
    pins: BTreeSet<Pin>,
    /// A holder's name typed into the form, resolved to an id when the page runs.
    exclude_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Pin {
    unit_id: UnitId,
    vehicle_id: VehicleId,
    date: NaiveDate,
    session: VisitSession,
}

impl Pin {
    fn code(&self) -> String {
        format!("{}|{}|{}|{}", self.unit_id, self.vehicle_id, self.date, self.session.code())
    }

    fn parse(text: &str) -> Option<Pin> {
        let mut parts = text.split('|');
        let pin = Pin {
            unit_id: UnitId(parts.next()?.parse().ok()?),
            vehicle_id: VehicleId(parts.next()?.parse().ok()?),
            date: parts.next()?.parse().ok()?,
            session: VisitSession::parse(parts.next()?)?,
        };
        parts.next().is_none().then_some(pin)
    }
}

impl Params {
    /// Reads the query string; what cannot be read falls back to the defaults, and the
    /// problems are said on the page.
    fn parse(query: &str, today: NaiveDate) -> (Params, Vec<String>) {
        let mut problems = Vec::new();
        let mut year = None;
        let (mut from, mut to, mut factor) = (None, None, None);
        let mut p = Params::default();
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            match k.as_ref() {
                "year" => match v.parse::<i32>() {
                    Ok(y) if (2000..=2100).contains(&y) => year = Some(y),
                    _ => problems.push(format!("年份“{v}”无效。")),
                },
                "from" | "to" => match v.parse::<NaiveDate>() {
                    Ok(d) if k == "from" => from = Some(d),
                    Ok(d) => to = Some(d),
                    Err(_) => problems.push(format!("日期“{v}”无效，请按 2020-03-01 的格式填写。")),
                },
                "factor" => factor = Some(v.to_owned()),
                "exclude_unit" => p.exclude_units.extend(v.parse::<i32>().ok().map(UnitId)),
                "exclude_date" => match v.parse::<NaiveDate>() {
                    Ok(d) => {
                        p.exclude_dates.insert(d);
                    }
                    Err(_) => problems.push(format!("排除日期“{v}”无效。")),
                },
                "pin" => p.pins.extend(Pin::parse(v)),
                "exclude_name" => p.exclude_name = Some(v.to_owned()),
                _ => {}
            }
        }
        p.year = year.or(from.map(|d| d.year())).unwrap_or(today.year());
        let first = NaiveDate::from_ymd_opt(p.year, 1, 1).unwrap_or(today);
        let last = NaiveDate::from_ymd_opt(p.year, 12, 31).unwrap_or(today);
        p.from = from.filter(|d| d.year() == p.year).unwrap_or(first);
        p.to = to.filter(|d| d.year() == p.year).unwrap_or(last);
        if from.is_some_and(|d| d.year() != p.year) || to.is_some_and(|d| d.year() != p.year) {
            problems.push(format!("起止日期须在 {} 年内，年外的日期已改为年初或年末。", p.year));
        }
        if p.to < p.from {
            problems.push("结束日期早于开始日期，已按全年排班。".to_owned());
            (p.from, p.to) = (first, last);
        }
        // Empty: each kind of holder's rate learned from its collections (1.5 without any).
        p.factor = factor.unwrap_or_default();
        (p, problems)
    }

    /// The query string of these parameters (without the typed holder name).
    fn query(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("year", &self.year.to_string());
        q.append_pair("from", &self.from.to_string());
        q.append_pair("to", &self.to.to_string());
        if !self.factor.is_empty() {
            q.append_pair("factor", &self.factor);
        }
        for u in &self.exclude_units {
            q.append_pair("exclude_unit", &u.to_string());
        }
        for d in &self.exclude_dates {
            q.append_pair("exclude_date", &d.to_string());
        }
        for p in &self.pins {
            q.append_pair("pin", &p.code());
        }
        q.finish()
    }

    fn href(&self) -> String {
        format!("/office/schedule?{}", self.query())
    }

    fn with(&self, change: impl FnOnce(&mut Params)) -> String {
        let mut p = self.clone();
        change(&mut p);
        p.href()
    }
}

/// One proposed visit, as the page shows and publishes it.
#[derive(Debug, Clone)]
struct Planned {
    unit_id: UnitId,
    unit_name: String,
    vehicle_id: VehicleId,
    date: NaiveDate,
    session: VisitSession,
    expected_donors: i32,
}

impl Planned {
    /// The pin that keeps this visit as it is.
    fn pin(&self) -> Pin {
        Pin { unit_id: self.unit_id, vehicle_id: self.vehicle_id, date: self.date, session: self.session }
    }
}

/// What the proposal says, in the page's terms.
struct Proposal {
    /// The first day it considered (later than asked when the lead time moved it).
    from: NaiveDate,
    visits: Vec<Planned>,
    /// (holder, donations it could not place, why).
    unplaced: Vec<(String, i64, String)>,
    unplaced_donations: i64,
    /// (year, month, planned donations, the even spread's share, below the floor, within
    /// the band).
    months: Vec<(i32, u32, i64, i64, bool, bool)>,
    /// (vehicle id, name, days used, days it could have gone out).
    vehicles: Vec<(VehicleId, String, i64, i64)>,
}

/// Runs the proposal for `p`, with the holders' and vehicles' names.
async fn propose(state: &AppState, s: &Session, p: &Params) -> Result<Proposal, ServiceError> {
    let factor =
        match p.factor.trim() {
            "" => None,
            f => Some(f.parse::<f64>().map_err(|_| {
                ServiceError::BadInput(format!("每人次献血的预约人数“{f}”不是数字，例如 1.5"))
            })?),
        };
    let request = schedule::ProposalRequest {
        year: p.year,
        from: p.from,
        to: p.to,
        pins: p
            .pins
            .iter()
            .map(|x| solver::Pin {
                unit: x.unit_id,
                date: x.date,
                vehicle: Some(x.vehicle_id),
                session: Some(x.session),
            })
            .collect(),
        exclude_units: p.exclude_units.iter().copied().collect(),
        exclude_dates: p.exclude_dates.iter().copied().collect(),
        bookings_per_donation: factor,
        ..schedule::ProposalRequest::default()
    };
    let proposal = schedule::propose(&state.db, &state.clock, &state.booking, &s.actor, request).await?;
    let ids: BTreeSet<i32> =
        proposal.visits.iter().map(|v| v.unit.0).chain(proposal.unplaced.iter().map(|u| u.unit.0)).collect();
    let ids: Vec<i32> = ids.into_iter().collect();
    let mut units = std::collections::HashMap::new();
    for chunk in ids.chunks(1000) {
        units.extend(crate::services::plans::units_by_ids(&state.db, chunk).await?);
    }
    let unit_name = |u: UnitId| units.get(&u.0).map_or_else(|| format!("编号 {u}"), |x| x.name.clone());
    let vehicle_names: std::collections::HashMap<VehicleId, String> =
        vehicles::list(&state.db).await?.into_iter().map(|v| (VehicleId(v.id), v.name)).collect();
    let vehicle_name = |v: VehicleId| vehicle_names.get(&v).cloned().unwrap_or_else(|| format!("编号 {v}"));
    Ok(Proposal {
        from: proposal.from,
        visits: proposal
            .visits
            .iter()
            .map(|v| Planned {
                unit_id: v.unit,
                unit_name: unit_name(v.unit),
                vehicle_id: v.vehicle,
                date: v.date,
                session: v.session,
                expected_donors: v.expected_donors,
            })
            .collect(),
        unplaced: proposal
            .unplaced
            .iter()
            .map(|u| (unit_name(u.unit), u.donations, u.reason.label_zh().to_owned()))
            .collect(),
        unplaced_donations: proposal.unplaced_donations,
        months: proposal
            .months
            .iter()
            .map(|m| (m.year, m.month, m.planned_donations, m.even_share, m.below_floor, m.within_band))
            .collect(),
        vehicles: proposal
            .vehicles
            .iter()
            .map(|v| (v.vehicle, vehicle_name(v.vehicle), v.days_used, v.days_available))
            .collect(),
    })
}

struct CalVisit {
    unit_id: UnitId,
    unit_name: String,
    session: &'static str,
    expected: i32,
    pinned: bool,
    pin_href: String,
    exclude_unit_href: String,
}

struct CalDay {
    iso: String,
    label: String,
    /// Outside the month (padding of the first and last week) or outside the range.
    pad: bool,
    off: bool,
    visits: Vec<CalVisit>,
    exclude_href: String,
}

struct MonthCal {
    id: String,
    title: String,
    days: Vec<CalDay>,
    donors: String,
}

struct VehicleCal {
    id: VehicleId,
    name: String,
    months: Vec<MonthCal>,
    days_used: i64,
    days_available: i64,
    utilisation: String,
}

struct MonthRow {
    label: String,
    planned: String,
    even: String,
    difference: String,
    low: bool,
    verdict: &'static str,
}

struct UnplacedRow {
    name: String,
    donations: String,
    reason: String,
}

struct Chip {
    label: String,
    remove_href: String,
}

#[derive(Template)]
#[template(path = "schedule.html")]
struct SchedulePage {
    chrome: Chrome,
    year: i32,
    from: String,
    to: String,
    factor: String,
    hidden: Vec<(&'static str, String)>,
    problems: Vec<String>,
    refusal: Option<String>,
    /// The first day the proposal could use, when later than the form's start.
    starts: Option<String>,
    ran: bool,
    chips: Vec<Chip>,
    vehicles: Vec<VehicleCal>,
    months: Vec<MonthRow>,
    unplaced: Vec<UnplacedRow>,
    unplaced_total: String,
    visit_count: usize,
    donors_total: String,
    publish: Vec<String>,
    back: String,
}

/// `GET /office/schedule`: the form, and with a year the proposal.
#[handler]
pub async fn schedule_page(req: &Request, OfficeUser(state, s): OfficeUser<'_>) -> Response {
    let query = req.uri().query().unwrap_or("");
    let (mut p, mut problems) = Params::parse(query, state.clock.today());
    if let Some(name) = p.exclude_name.take() {
        match crate::services::accounts::find_unit_id(&state.db, &name).await {
            Ok(id) => {
                p.exclude_units.insert(id);
            }
            Err(e @ (ServiceError::Database(_) | ServiceError::Internal(_))) => {
                return render::service_error_for(&s, e)
            }
            Err(_) => problems.push(format!("没有名为“{name}”的献血单位。")),
        }
    }
    let ran = !query.is_empty();
    let mut page = SchedulePage {
        chrome: Chrome::new(Some(&s), "排班建议"),
        year: p.year,
        from: p.from.to_string(),
        to: p.to.to_string(),
        factor: p.factor.clone(),
        hidden: hidden_fields(&p),
        problems,
        refusal: None,
        starts: None,
        ran: false,
        chips: chips(state, &p).await,
        vehicles: Vec::new(),
        months: Vec::new(),
        unplaced: Vec::new(),
        unplaced_total: "0".into(),
        visit_count: 0,
        donors_total: "0".into(),
        publish: Vec::new(),
        back: p.href(),
    };
    if !ran {
        return render::page(&page);
    }
    match propose(state, &s, &p).await {
        Ok(proposal) => fill(&mut page, state, &p, proposal),
        Err(e @ (ServiceError::Database(_) | ServiceError::Internal(_))) => {
            return render::service_error_for(&s, e)
        }
        Err(e) => page.refusal = Some(render::message_of(&e)),
    }
    render::page(&page)
}

/// The pins and exclusions as fields of the form, so that "重新排班" keeps them.
fn hidden_fields(p: &Params) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    out.extend(p.exclude_units.iter().map(|u| ("exclude_unit", u.to_string())));
    out.extend(p.exclude_dates.iter().map(|d| ("exclude_date", d.to_string())));
    out.extend(p.pins.iter().map(|x| ("pin", x.code())));
    out
}

/// The pins and exclusions as removable chips, holders by name.
async fn chips(state: &AppState, p: &Params) -> Vec<Chip> {
    let mut ids: Vec<i32> = p.exclude_units.iter().map(|u| u.0).collect();
    ids.extend(p.pins.iter().map(|x| x.unit_id.0));
    let names = crate::services::plans::units_by_ids(&state.db, &ids).await.unwrap_or_default();
    let name = |u: UnitId| names.get(&u.0).map_or_else(|| format!("编号 {u}"), |v| v.name.clone());
    let mut out = Vec::new();
    for u in &p.exclude_units {
        out.push(Chip {
            label: format!("排除单位：{}", name(*u)),
            remove_href: p.with(|q| {
                q.exclude_units.remove(u);
            }),
        });
    }
    for d in &p.exclude_dates {
        out.push(Chip {
            label: format!("排除日期：{}（{}）", d, weekday_zh(*d)),
            remove_href: p.with(|q| {
                q.exclude_dates.remove(d);
            }),
        });
    }
    for x in &p.pins {
        out.push(Chip {
            label: format!(
                "固定：{} {}（{}）{}",
                name(x.unit_id),
                x.date,
                weekday_zh(x.date),
                x.session.label_zh()
            ),
            remove_href: p.with(|q| {
                q.pins.remove(x);
            }),
        });
    }
    out
}

fn fill(page: &mut SchedulePage, state: &AppState, p: &Params, proposal: Proposal) {
    page.ran = true;
    page.starts =
        (proposal.from > p.from).then(|| format!("{}（{}）", proposal.from, weekday_zh(proposal.from)));
    let calendar = &state.booking.calendar;
    let mut by_vehicle_day: BTreeMap<(VehicleId, NaiveDate), Vec<&Planned>> = BTreeMap::new();
    for v in &proposal.visits {
        by_vehicle_day.entry((v.vehicle_id, v.date)).or_default().push(v);
    }
    for list in by_vehicle_day.values_mut() {
        list.sort_by_key(|v| v.session);
    }
    page.vehicles = proposal
        .vehicles
        .iter()
        .map(|(id, name, used, available)| {
            let mut months = Vec::new();
            let mut month = first_of_month(p.from);
            while month <= p.to {
                let (start, stop) = month_weeks(month);
                let mut donors = 0i64;
                let days = start
                    .iter_days()
                    .take_while(|d| *d <= stop)
                    .map(|d| {
                        let pad = d.month() != month.month() || d < p.from || d > p.to;
                        let visits: Vec<CalVisit> = if pad {
                            Vec::new()
                        } else {
                            by_vehicle_day
                                .get(&(*id, d))
                                .into_iter()
                                .flatten()
                                .map(|v| cal_visit(p, v))
                                .collect()
                        };
                        donors += visits.iter().map(|v| i64::from(v.expected)).sum::<i64>();
                        CalDay {
                            iso: d.to_string(),
                            label: month_day(d),
                            pad,
                            off: !calendar.is_working_day(d),
                            visits,
                            exclude_href: p.with(|q| {
                                q.exclude_dates.insert(d);
                            }),
                        }
                    })
                    .collect();
                months.push(MonthCal {
                    id: format!("{}-{:02}", month.year(), month.month()),
                    title: month_title(month),
                    days,
                    donors: thousands(donors),
                });
                month = next_month(month);
            }
            VehicleCal {
                id: *id,
                name: name.clone(),
                months,
                days_used: *used,
                days_available: *available,
                utilisation: render::percent(*used, *available).0,
            }
        })
        .collect();
    page.months = proposal
        .months
        .iter()
        .map(|(y, m, planned, even, below_floor, within_band)| MonthRow {
            label: format!("{y} 年 {m} 月"),
            planned: thousands(*planned),
            even: thousands(*even),
            difference: format!("{:+}", planned - even).replace('+', "＋").replace('-', "－"),
            low: *below_floor,
            verdict: if *below_floor {
                "低于下限"
            } else if *within_band {
                "均衡"
            } else {
                "偏离均衡"
            },
        })
        .collect();
    page.unplaced = proposal
        .unplaced
        .iter()
        .map(|(name, donations, reason)| UnplacedRow {
            name: name.clone(),
            donations: thousands(*donations),
            reason: render::zh(reason),
        })
        .collect();
    page.unplaced_total = thousands(proposal.unplaced_donations);
    page.visit_count = proposal.visits.len();
    page.donors_total = thousands(proposal.visits.iter().map(|v| i64::from(v.expected_donors)).sum());
    page.publish =
        proposal.visits.iter().map(|v| format!("{}|{}", v.pin().code(), v.expected_donors)).collect();
}

fn cal_visit(p: &Params, v: &Planned) -> CalVisit {
    let pin = v.pin();
    CalVisit {
        unit_id: v.unit_id,
        unit_name: v.unit_name.clone(),
        session: v.session.label_zh(),
        expected: v.expected_donors,
        pinned: p.pins.contains(&pin),
        pin_href: p.with(|q| {
            q.pins.insert(pin);
        }),
        exclude_unit_href: p.with(|q| {
            q.exclude_units.insert(v.unit_id);
        }),
    }
}

#[derive(Template)]
#[template(path = "schedule_published.html")]
struct PublishedPage {
    chrome: Chrome,
    message: String,
    calendar: String,
    back: String,
}

/// `POST /office/schedule/publish`: the visits the page showed become requested visits.
#[handler]
pub async fn publish(body: Body, OfficeUser(state, s): OfficeUser<'_>) -> Response {
    let body = body.into_vec().await.unwrap_or_default();
    let mut visits = Vec::new();
    let (mut year, mut back, mut broken) = (None, None, 0);
    for (k, v) in url::form_urlencoded::parse(&body) {
        match k.as_ref() {
            "year" => year = v.parse::<i32>().ok(),
            "back" => back = Some(v.into_owned()),
            "v" => match parse_visit(&v) {
                Some(x) => visits.push(x),
                None => broken += 1,
            },
            _ => {}
        }
    }
    let back = session::local_path(back.as_deref()).to_owned();
    let Some(year) = year else { return render::refusal_page(&s, "请先选择排班年份。", &back) };
    if broken > 0 {
        return render::refusal_page(&s, "提交的排班不完整，请重新排班后再发布。", &back);
    }
    let first = visits.iter().map(|v| v.date).min();
    match schedule_publish::publish_schedule(&state.db, &state.clock, &state.booking, &s.actor, year, visits)
        .await
    {
        Ok(done) => {
            let date = first.map(|d| d.to_string()).unwrap_or_default();
            render::page(&PublishedPage {
                chrome: Chrome::new(Some(&s), "排班已发布"),
                message: format!(
                    "已发布 {} 次采血活动，均为待确认状态；已通知 {} 个单位的联系人。",
                    done.visits.len(),
                    done.notified_holders
                ),
                calendar: format!("/office/calendar?view=month&date={date}"),
                back,
            })
        }
        Err(e @ (ServiceError::Database(_) | ServiceError::Internal(_))) => render::service_error_for(&s, e),
        Err(e) => render::refusal_page(&s, &render::message_of(&e), &back),
    }
}

/// A published visit as the page posts it: its pin's code, then `|` and the expected donors.
fn parse_visit(text: &str) -> Option<ScheduledVisit> {
    let (pin, expected) = text.rsplit_once('|')?;
    let pin = Pin::parse(pin)?;
    Some(ScheduledVisit {
        unit_id: pin.unit_id,
        vehicle_id: pin.vehicle_id,
        date: pin.date,
        session: pin.session,
        expected_donors: expected.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_page_state_survives_its_own_links() {
        let (p, problems) = Params::parse(
            "year=2020&from=2020-03-01&to=2020-12-31&factor=1.5&exclude_unit=82&exclude_date=2020-03-02&pin=82%7C1%7C2020-03-03%7CMORNING",
            day("2020-02-01"),
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!((p.from, p.to), (day("2020-03-01"), day("2020-12-31")));
        assert_eq!(p.exclude_units.iter().map(|u| u.0).collect::<Vec<_>>(), [82]);
        assert_eq!(p.pins.iter().next().map(Pin::code).as_deref(), Some("82|1|2020-03-03|MORNING"));
        let (again, _) = Params::parse(&p.query(), day("2020-02-01"));
        assert_eq!(again, p);
    }

    #[test]
    fn a_range_outside_the_year_falls_back_to_the_whole_year_and_says_so() {
        let (p, problems) = Params::parse("year=2020&from=2021-03-01&to=2020-02-01", day("2020-02-01"));
        assert_eq!((p.from, p.to), (day("2020-01-01"), day("2020-02-01")));
        assert_eq!(problems, ["起止日期须在 2020 年内，年外的日期已改为年初或年末。"]);
        let (p, problems) = Params::parse("year=2020&from=2020-05-01&to=2020-02-01", day("2020-02-01"));
        assert_eq!((p.from, p.to), (day("2020-01-01"), day("2020-12-31")));
        assert_eq!(problems, ["结束日期早于开始日期，已按全年排班。"]);
    }

    #[test]
    fn a_posted_visit_reads_back_exactly() {
        let v = parse_visit("82|1|2020-03-02|FULL_DAY|60").unwrap();
        assert_eq!(
            (v.unit_id.0, v.vehicle_id.0, v.session, v.expected_donors),
            (82, 1, VisitSession::FullDay, 60)
        );
        assert!(parse_visit("82|1|2020-03-02|FULL_DAY").is_none());
        assert!(parse_visit("82|1|2020-03-02|FULL_DAY|60|x").is_none());
    }
}
