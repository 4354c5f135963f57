//! Resident populations and clinical blood use on the web: the office's page of donation
//! rates and supply balance (with a form per population), and the station's form for a
//! county's monthly clinical use.
use askama::Template;
use chrono::Datelike;
use poem::web::{Form, Query};
use poem::{handler, Response};
use serde::Deserialize;

use super::render::{self, thousands, Chrome};
use super::session::{OfficeUser, Session, StaffUser};
use crate::domain::ids::UnitId;
use crate::services::clinical_use::{self, SupplyBalance, UseInput};
use crate::services::fulfilment::{self, Scope};
use crate::services::population::{self, Rate};
use crate::services::ServiceError;
use crate::state::AppState;

/// A rate row: the city (`id` empty) or a county.
struct RateRow {
    id: String,
    name: String,
    population: String,
    donations: String,
    per_thousand: String,
    verdict: &'static str,
}

impl RateRow {
    fn of(id: String, name: String, r: &Rate) -> RateRow {
        RateRow {
            id,
            name,
            population: r.population.map(|p| p.to_string()).unwrap_or_default(),
            donations: thousands(r.donations),
            per_thousand: r.per_thousand.map(|p| format!("{p:.2}")).unwrap_or_else(|| "—".into()),
            verdict: match r.meets_target {
                Some(true) => "已达标",
                Some(false) => "未达标",
                None => "—",
            },
        }
    }
}

struct SupplyRow {
    name: String,
    months: String,
    collected: String,
    used: String,
    non_voluntary: String,
    balance: String,
    deficit: bool,
}

/// The supply balance as both pages show it.
struct SupplyTable {
    through_month: i32,
    rows: Vec<SupplyRow>,
    used: String,
    voluntary_share: String,
    target_share: String,
}

impl From<&SupplyBalance> for SupplyTable {
    fn from(b: &SupplyBalance) -> Self {
        let percent = |s: Option<f64>| s.map(|s| format!("{:.1}%", s * 100.0)).unwrap_or_else(|| "—".into());
        SupplyTable {
            through_month: b.through_month,
            rows: b
                .counties
                .iter()
                .map(|c| SupplyRow {
                    name: c.name.clone(),
                    months: if c.months.is_empty() {
                        "未登记".into()
                    } else {
                        c.months.iter().map(|m| format!("{}月", m.month)).collect::<Vec<_>>().join("、")
                    },
                    collected: thousands(c.collected_ml),
                    used: thousands(c.used_ml),
                    non_voluntary: thousands(c.non_voluntary_ml),
                    balance: thousands(c.balance_ml),
                    deficit: c.in_deficit(),
                })
                .collect(),
            used: thousands(b.used_ml),
            voluntary_share: percent(b.voluntary_share),
            target_share: percent(b.target_voluntary_share),
        }
    }
}

#[derive(Template)]
#[template(path = "population.html")]
struct PopulationPage {
    chrome: Chrome,
    flash: Option<String>,
    error: Option<String>,
    year: i32,
    as_of: String,
    target: String,
    rates: Vec<RateRow>,
    supply: SupplyTable,
}

#[derive(Deserialize)]
pub struct YearQuery {
    year: Option<i32>,
    done: Option<String>,
}

async fn figures(
    state: &AppState,
    year: i32,
) -> Result<(Scope, (Rate, Vec<population::CountyRate>), SupplyBalance), ServiceError> {
    let as_of = fulfilment::default_as_of(year, state.clock.today());
    let scope = fulfilment::scope(&state.db, &state.answers, year, as_of, state.behind_margin_points).await?;
    let rates = population::rates(&state.db, &scope).await?;
    let supply = clinical_use::supply_balance(&state.db, &scope).await?;
    Ok((scope, rates, supply))
}

async fn population_page_with(
    state: &AppState,
    s: &Session,
    year: i32,
    flash: Option<String>,
    error: Option<String>,
) -> Response {
    let (scope, (city, counties), supply) = match figures(state, year).await {
        Ok(f) => f,
        Err(e) => return render::service_error_for(s, e),
    };
    let mut rates = vec![RateRow::of(String::new(), population::CITY_NAME.into(), &city)];
    rates.extend(counties.iter().map(|c| RateRow::of(c.unit_id.to_string(), c.name.clone(), &c.rate)));
    render::page(&PopulationPage {
        chrome: Chrome::new(Some(s), "人口与采供平衡"),
        flash,
        error,
        year,
        as_of: scope.as_of.to_string(),
        target: population::target(year)
            .map(|t| format!("千人口献血率 > {t} 人次"))
            .unwrap_or_else(|| "—".into()),
        rates,
        supply: SupplyTable::from(&supply),
    })
}

/// `/office/population`: the year's rates with a population form per row, and the supply
/// balance.
#[handler]
pub async fn population_page(Query(q): Query<YearQuery>, OfficeUser(state, s): OfficeUser<'_>) -> Response {
    let year = q.year.unwrap_or_else(|| state.clock.today().year());
    let flash = (q.done.as_deref() == Some("population")).then(|| "常住人口已保存。".to_owned());
    population_page_with(state, &s, year, flash, None).await
}

#[derive(Deserialize)]
pub struct PopulationForm {
    year: i32,
    /// Empty for the city.
    unit_id: Option<String>,
    population: String,
}

#[handler]
pub async fn set_population(
    Form(form): Form<PopulationForm>,
    OfficeUser(state, s): OfficeUser<'_>,
) -> Response {
    let unit_id = match form.unit_id.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        None => None,
        Some(u) => match u.parse::<i32>() {
            Ok(id) => Some(UnitId(id)),
            Err(_) => {
                return population_page_with(state, &s, form.year, None, Some("请选择县（市、区）。".into()))
                    .await
            }
        },
    };
    let Ok(population) = form.population.trim().replace(',', "").parse::<i64>() else {
        let m = "常住人口必须是整数（例如 540000）。";
        return population_page_with(state, &s, form.year, None, Some(m.into())).await;
    };
    match population::set_population(&state.db, &state.clock, &s.actor, form.year, unit_id, population).await
    {
        Ok(_) => render::redirect(&format!("/office/population?year={}&done=population", form.year)),
        Err(e) if render::is_refusal(&e) => {
            population_page_with(state, &s, form.year, None, Some(render::message_of(&e))).await
        }
        Err(e) => render::service_error_for(&s, e),
    }
}

/// The figures the station's form shows again after a refusal.
#[derive(Default)]
struct UseFields {
    unit_id: String,
    month: i32,
    used_ml: String,
    non_voluntary_ml: String,
}

#[derive(Template)]
#[template(path = "clinical_use.html")]
struct ClinicalUsePage {
    chrome: Chrome,
    flash: Option<String>,
    error: Option<String>,
    year: i32,
    counties: Vec<(String, String)>,
    fields: UseFields,
    supply: SupplyTable,
}

async fn clinical_use_page_with(
    state: &AppState,
    s: &Session,
    year: i32,
    flash: Option<String>,
    error: Option<String>,
    fields: UseFields,
) -> Response {
    let (_, (_, counties), supply) = match figures(state, year).await {
        Ok(f) => f,
        Err(e) => return render::service_error_for(s, e),
    };
    render::page(&ClinicalUsePage {
        chrome: Chrome::new(Some(s), "临床用血"),
        flash,
        error,
        year,
        counties: counties.into_iter().map(|c| (c.unit_id.to_string(), c.name)).collect(),
        fields,
        supply: SupplyTable::from(&supply),
    })
}

/// `/station/clinical-use`: record a county's clinical use of a month; the year's balance.
#[handler]
pub async fn clinical_use_page(Query(q): Query<YearQuery>, StaffUser(state, s): StaffUser<'_>) -> Response {
    let today = state.clock.today();
    let year = q.year.unwrap_or(today.year());
    let flash = (q.done.as_deref() == Some("recorded")).then(|| "临床用血量已保存。".to_owned());
    let fields =
        UseFields { month: today.month() as i32, non_voluntary_ml: "0".into(), ..UseFields::default() };
    clinical_use_page_with(state, &s, year, flash, None, fields).await
}

#[derive(Deserialize)]
pub struct UseForm {
    year: i32,
    unit_id: String,
    month: i32,
    used_ml: String,
    non_voluntary_ml: String,
}

#[handler]
pub async fn record_clinical_use(Form(form): Form<UseForm>, StaffUser(state, s): StaffUser<'_>) -> Response {
    let fields = UseFields {
        unit_id: form.unit_id.clone(),
        month: form.month,
        used_ml: form.used_ml.clone(),
        non_voluntary_ml: form.non_voluntary_ml.clone(),
    };
    let ml = |t: &str| t.trim().replace(',', "").parse::<i64>();
    let (Ok(unit_id), Ok(used_ml), Ok(non_voluntary_ml)) =
        (form.unit_id.parse::<i32>(), ml(&form.used_ml), ml(&form.non_voluntary_ml))
    else {
        let m = "请选择县（市、区），并以整数毫升填写用血量。";
        return clinical_use_page_with(state, &s, form.year, None, Some(m.into()), fields).await;
    };
    let input =
        UseInput { year: form.year, month: form.month, unit_id: UnitId(unit_id), used_ml, non_voluntary_ml };
    match clinical_use::record(&state.db, &state.clock, &s.actor, input).await {
        Ok(_) => render::redirect(&format!("/station/clinical-use?year={}&done=recorded", form.year)),
        Err(e) if render::is_refusal(&e) => {
            clinical_use_page_with(state, &s, form.year, None, Some(render::message_of(&e)), fields).await
        }
        Err(e) => render::service_error_for(&s, e),
    }
}
