//! Breakdown plans (分解计划) in the web app: the holder's liaison submits a version as typed
//! lines or as an uploaded csv/xlsx file; the office sees who must and who did, and accepts
//! or returns each submitted version. The same services as the GraphQL mutations.
use askama::Template;
use chrono::Datelike;
use poem::http::StatusCode;
use poem::web::{Form, Multipart, Path, Query};
use poem::{handler, Request, Response};
use serde::Deserialize;

use super::render::{self, thousands, Chrome};
use super::session::{LiaisonUser, OfficeUser, Session};
use super::upload::{read_upload, Upload};
use super::view::{local_time, Pager};
use crate::domain::breakdown::{BreakdownStatus, SubUnitRow, MAX_ROWS};
use crate::domain::ids::UnitId;
use crate::domain::UnitKind;
use crate::services::breakdowns::{self, BreakdownView, HolderYear, OverviewCounts};
use crate::services::ServiceError;
use crate::state::AppState;

/// Holders a page of the office's overview lists (a city asks a few dozen for a breakdown).
const OVERVIEW_ROWS: u64 = 100;

struct SubUnitLine {
    name: String,
    kind: &'static str,
    quota: String,
}

/// One version as the pages show it.
struct VersionView {
    id: i32,
    version: i32,
    status: &'static str,
    status_code: &'static str,
    quota: String,
    total: String,
    surplus: String,
    comment: String,
    submitted_at: String,
    decided_at: String,
    waiting: bool,
    sub_units: Vec<SubUnitLine>,
}

impl From<&BreakdownView> for VersionView {
    fn from(v: &BreakdownView) -> Self {
        VersionView {
            id: v.id,
            version: v.version,
            status: v.status.label_zh(),
            status_code: v.status.code(),
            quota: thousands(v.quota),
            total: thousands(v.total),
            surplus: thousands(v.surplus()),
            comment: v.comment.clone().unwrap_or_default(),
            submitted_at: local_time(v.submitted_at),
            decided_at: v.decided_at.map(local_time).unwrap_or_default(),
            waiting: v.status == BreakdownStatus::Submitted,
            sub_units: v
                .sub_units
                .iter()
                .map(|r| SubUnitLine {
                    name: r.name.clone(),
                    kind: r.kind.label_zh(),
                    quota: thousands(r.quota),
                })
                .collect(),
        }
    }
}

/// The kinds a typed line may name, as the page lists them.
fn kinds_zh() -> String {
    UnitKind::ALL.iter().map(|k| k.label_zh()).collect::<Vec<_>>().join("、")
}

#[derive(Template)]
#[template(path = "breakdown.html")]
struct LiaisonPage {
    chrome: Chrome,
    flash: Option<String>,
    error: Option<String>,
    year: i32,
    /// The holder's plan row; `None` with `notice` when it has none this year.
    holder: Option<HolderYear>,
    quota: String,
    notice: Option<String>,
    latest: Option<VersionView>,
    history: Vec<VersionView>,
    rows_text: String,
    kinds: String,
}

#[derive(Deserialize)]
pub struct YearQuery {
    year: Option<i32>,
    done: Option<String>,
}

#[derive(Deserialize)]
pub struct OverviewQuery {
    year: Option<i32>,
    page: Option<u64>,
}

fn flash_text(done: Option<&str>) -> Option<String> {
    Some(
        match done? {
            "submitted" => "分解计划已提交，等待市献血办审核。",
            "accepted" => "已通过这份分解计划。",
            "returned" => "已退回这份分解计划，联络员将看到退回意见。",
            _ => return None,
        }
        .to_owned(),
    )
}

async fn liaison_page(
    state: &AppState,
    s: &Session,
    year: i32,
    flash: Option<String>,
    error: Option<String>,
    rows_text: String,
) -> Response {
    let Some(unit_id) = s.actor.unit_id else {
        return render::error_page(Some(s), StatusCode::FORBIDDEN, render::FORBIDDEN);
    };
    let mut page = LiaisonPage {
        chrome: Chrome::new(Some(s), "分解计划"),
        flash,
        error,
        year,
        holder: None,
        quota: String::new(),
        notice: None,
        latest: None,
        history: Vec::new(),
        rows_text,
        kinds: kinds_zh(),
    };
    match breakdowns::holder_year(&state.db, &s.actor, unit_id, year).await {
        Ok(h) => {
            page.quota = thousands(h.quota);
            page.holder = Some(h);
        }
        Err(e @ (ServiceError::Rejected { .. } | ServiceError::BadInput(_))) => {
            page.notice = Some(render::message_of(&e));
            return render::page(&page);
        }
        Err(e) => return render::service_error_for(s, e),
    }
    match breakdowns::versions(&state.db, &s.actor, unit_id, year).await {
        Ok(versions) => {
            let mut views: Vec<VersionView> = versions.iter().map(VersionView::from).collect();
            if !views.is_empty() {
                page.latest = Some(views.remove(0));
            }
            page.history = views;
        }
        Err(e) => return render::service_error_for(s, e),
    }
    render::page(&page)
}

fn year_or_now(state: &AppState, year: Option<i32>) -> i32 {
    year.unwrap_or_else(|| state.clock.today().year())
}

/// `/breakdowns?year=2020`: the liaison's breakdown of their holder's quota.
#[handler]
pub async fn liaison_breakdown(
    Query(q): Query<YearQuery>,
    LiaisonUser(state, s): LiaisonUser<'_>,
) -> Response {
    let year = year_or_now(state, q.year);
    liaison_page(state, &s, year, flash_text(q.done.as_deref()), None, String::new()).await
}

/// The typed lines `名称,类别,计划人数` (ASCII or full-width commas, or tabs as pasted from a
/// spreadsheet) as sub-units; blank lines are skipped, and line N is the N-th sub-unit, as the
/// service's own checks count them.
fn typed_rows(text: &str) -> Result<Vec<SubUnitRow>, String> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let n = i + 1;
        if n > MAX_ROWS {
            return Err(format!("分解计划最多 {MAX_ROWS} 个二级单位。"));
        }
        let fields: Vec<&str> = line.split([',', '，', '\t']).map(str::trim).collect();
        let [name, kind, quota] = fields[..] else {
            return Err(format!("第 {n} 行：应为“名称，类别，计划人数”三项，读到 {} 项。", fields.len()));
        };
        let Some(kind) = UnitKind::parse(kind) else {
            return Err(format!("第 {n} 行：未知的单位类别“{kind}”，可用：{}。", kinds_zh()));
        };
        let Ok(quota) = quota.parse::<i64>() else {
            return Err(format!("第 {n} 行：计划人数须是整数，读到“{quota}”。"));
        };
        rows.push(SubUnitRow { name: name.to_owned(), kind, quota });
    }
    Ok(rows)
}

#[derive(Deserialize)]
pub struct SubmitForm {
    year: i32,
    rows: String,
}

/// The typed form: a new version, or the refusal said on the page with the lines kept.
#[handler]
pub async fn submit(Form(form): Form<SubmitForm>, LiaisonUser(state, s): LiaisonUser<'_>) -> Response {
    let Some(unit_id) = s.actor.unit_id else {
        return render::error_page(Some(&s), StatusCode::FORBIDDEN, render::FORBIDDEN);
    };
    let rows = match typed_rows(&form.rows) {
        Ok(rows) => rows,
        Err(m) => return liaison_page(state, &s, form.year, None, Some(m), form.rows).await,
    };
    let result = breakdowns::submit(&state.db, &state.clock, &s.actor, unit_id, form.year, rows).await;
    after_submit(state, &s, form.year, result, form.rows).await
}

async fn after_submit(
    state: &AppState,
    s: &Session,
    year: i32,
    result: Result<BreakdownView, ServiceError>,
    rows_text: String,
) -> Response {
    match result {
        Ok(_) => render::redirect(&format!("/breakdowns?year={year}&done=submitted")),
        Err(e) if !render::is_refusal(&e) => render::service_error_for(s, e),
        Err(e) => liaison_page(state, s, year, None, Some(render::message_of(&e)), rows_text).await,
    }
}

/// The upload (multipart, with the CSRF token in the query): the file checked as the plan
/// import checks its rows, then submitted as the typed form is.
#[handler]
pub async fn upload(req: &Request, upload: Multipart, LiaisonUser(state, s): LiaisonUser<'_>) -> Response {
    let Some(unit_id) = s.actor.unit_id else {
        return render::error_page(Some(&s), StatusCode::FORBIDDEN, render::FORBIDDEN);
    };
    let too_big = format!("文件太大：分解计划不能超过 {} KB。", breakdowns::MAX_FILE_BYTES / 1024);
    let Upload { year, file } =
        match read_upload(req, upload, breakdowns::MAX_FILE_BYTES, "分解计划.csv", &too_big).await {
            Ok(sent) => sent,
            Err(m) => return render::refusal_page(&s, &m, "/breakdowns"),
        };
    let year = year_or_now(state, year);
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let m = "请选择要上传的 CSV 或 Excel（xlsx）文件。".to_owned();
        return liaison_page(state, &s, year, None, Some(m), String::new()).await;
    };
    let result = breakdowns::submit_file(&state.db, &state.clock, &s.actor, unit_id, year, name, bytes).await;
    after_submit(state, &s, year, result, String::new()).await
}

struct OverviewLine {
    unit_id: UnitId,
    name: String,
    section: &'static str,
    quota: String,
    version: String,
    status: &'static str,
    status_code: &'static str,
    total: String,
    /// Surplus (+) of the latest version over the quota; empty before one is submitted.
    difference: String,
}

#[derive(Template)]
#[template(path = "breakdown_overview.html")]
struct OverviewPage {
    chrome: Chrome,
    year: i32,
    /// Every asked holder's state, counted by the database (the table lists a page of them).
    counts: OverviewCounts,
    rows: Vec<OverviewLine>,
    pager: Pager,
}

/// `/office/breakdowns?year=2020`: every holder asked for a breakdown and where it stands.
#[handler]
pub async fn overview(Query(q): Query<OverviewQuery>, OfficeUser(state, s): OfficeUser<'_>) -> Response {
    let year = year_or_now(state, q.year);
    let (page, rows_of_page) = Pager::asked(q.page, OVERVIEW_ROWS);
    let found = async {
        let counts = breakdowns::overview_counts(&state.db, &s.actor, year).await?;
        let rows = breakdowns::overview_rows(&state.db, &s.actor, year, rows_of_page).await?;
        Ok::<_, ServiceError>((counts, rows))
    }
    .await;
    let (counts, rows) = match found {
        Ok(found) => found,
        Err(e) => return render::service_error_for(&s, e),
    };
    render::page(&OverviewPage {
        chrome: Chrome::new(Some(&s), "分解计划"),
        year,
        pager: Pager::new(page, counts.asked, OVERVIEW_ROWS, |n| {
            format!("/office/breakdowns?year={year}&page={n}")
        }),
        counts,
        rows: rows
            .iter()
            .map(|r| OverviewLine {
                unit_id: r.unit_id,
                name: r.unit_name.clone(),
                section: r.section.label_zh(),
                quota: thousands(r.quota),
                version: r.latest.map_or_else(String::new, |(v, _)| format!("第 {v} 版")),
                status: r.latest.map_or("未上报", |(_, st)| st.label_zh()),
                status_code: r.latest.map_or("NONE", |(_, st)| st.code()),
                total: r.latest_total.map_or_else(|| "—".to_owned(), thousands),
                difference: r.surplus().map_or_else(String::new, |d| {
                    if d >= 0 {
                        format!("+{}", thousands(d))
                    } else {
                        thousands(d)
                    }
                }),
            })
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "breakdown_review.html")]
struct ReviewPage {
    chrome: Chrome,
    flash: Option<String>,
    year: i32,
    unit_name: String,
    quota: String,
    latest: Option<VersionView>,
    history: Vec<VersionView>,
}

/// `/office/breakdowns/:unit_id?year=2020`: a holder's versions, the latest with the forms
/// to accept it or return it with a comment while it waits.
#[handler]
pub async fn review(
    Path(unit_id): Path<i32>,
    Query(q): Query<YearQuery>,
    OfficeUser(state, s): OfficeUser<'_>,
) -> Response {
    let year = year_or_now(state, q.year);
    let unit_id = UnitId(unit_id);
    let holder = match breakdowns::holder_year(&state.db, &s.actor, unit_id, year).await {
        Ok(h) => h,
        Err(e @ (ServiceError::Rejected { .. } | ServiceError::NotFound(_))) => {
            return render::refusal_page(&s, &render::message_of(&e), "/office/breakdowns")
        }
        Err(e) => return render::service_error_for(&s, e),
    };
    let mut views: Vec<VersionView> = match breakdowns::versions(&state.db, &s.actor, unit_id, year).await {
        Ok(v) => v.iter().map(VersionView::from).collect(),
        Err(e) => return render::service_error_for(&s, e),
    };
    let latest = if views.is_empty() { None } else { Some(views.remove(0)) };
    render::page(&ReviewPage {
        chrome: Chrome::new(Some(&s), format!("{}的分解计划", holder.unit_name)),
        flash: flash_text(q.done.as_deref()),
        year,
        unit_name: holder.unit_name,
        quota: thousands(holder.quota),
        latest,
        history: views,
    })
}

#[derive(Deserialize)]
pub struct DecideForm {
    comment: Option<String>,
}

async fn after_decision(s: &Session, result: Result<BreakdownView, ServiceError>, done: &str) -> Response {
    match result {
        Ok(v) => render::redirect(&format!("/office/breakdowns/{}?year={}&done={done}", v.unit_id, v.year)),
        Err(e) => render::refusal(s, e, "/office/breakdowns"),
    }
}

#[handler]
pub async fn accept(Path(id): Path<i32>, OfficeUser(state, s): OfficeUser<'_>) -> Response {
    let result = breakdowns::accept(&state.db, &state.clock, &s.actor, id).await;
    after_decision(&s, result, "accepted").await
}

#[handler]
pub async fn send_back(
    Path(id): Path<i32>,
    Form(form): Form<DecideForm>,
    OfficeUser(state, s): OfficeUser<'_>,
) -> Response {
    let result =
        breakdowns::send_back(&state.db, &state.clock, &s.actor, id, form.comment.unwrap_or_default()).await;
    after_decision(&s, result, "returned").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_lines_take_either_comma_and_number_the_sub_units() {
        let rows = typed_rows("咸安区教育局,机关,200\n\n浮山镇，GOVERNMENT，150\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1], SubUnitRow { name: "浮山镇".into(), kind: UnitKind::Government, quota: 150 });
        assert!(typed_rows("甲,机关,1\n乙,教会,2").unwrap_err().starts_with("第 2 行：未知的单位类别“教会”"));
        assert!(typed_rows("甲,机关,一千").unwrap_err().starts_with("第 1 行：计划人数须是整数"));
        assert!(typed_rows("甲,机关").unwrap_err().contains("读到 2 项"));
    }
}
