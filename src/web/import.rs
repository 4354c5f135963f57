//! Plan import by upload: the checks of `bloodplan import`, a preview of every change and
//! every problem (row and column), then apply. The preview is the service's dry run, which
//! rolls its transaction back; apply re-reads and re-checks the rows it is sent.
use askama::Template;
use poem::web::{Form, Multipart};
use poem::{handler, Request, Response};
use serde::Deserialize;

use super::render::{self, thousands, Chrome};
use super::session::{OfficeUser, Session};
use super::upload::{read_upload, Upload};
use crate::domain::plan_table::{Problem, YEARS};
use crate::services::audit::Performer;
use crate::services::plan_import::{self, ImportError, ImportOptions, ImportReport};
use crate::state::AppState;

/// A plan table is a few hundred rows; a file above this is refused before it is read.
const MAX_UPLOAD_BYTES: usize = 2 * 1024 * 1024;

struct ProblemRow {
    line: String,
    column: String,
    message: String,
}

struct SectionTotal {
    section: String,
    rows: String,
    printed: String,
    differs: bool,
}

/// What an import did, or would do, as the page lists it.
struct Changes {
    year: i32,
    rows: usize,
    plan_created: bool,
    plan_changed: bool,
    totals: Vec<SectionTotal>,
    warnings: Vec<String>,
    units_created: Vec<String>,
    units_reclassified: Vec<String>,
    quotas_added: Vec<String>,
    quotas_changed: Vec<(String, String, String)>,
    rows_edited: Vec<String>,
    removed: Vec<String>,
    any: bool,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    chrome: Chrome,
    year: i32,
    file_name: String,
    problems: Vec<ProblemRow>,
    changes: Option<Changes>,
    applied: bool,
    /// The checked rows as CSV text, sent back by the apply form.
    rows_text: String,
}

impl ImportPage {
    fn new(s: &Session, year: i32) -> ImportPage {
        ImportPage {
            chrome: Chrome::new(Some(s), "导入年度计划"),
            year,
            file_name: String::new(),
            problems: Vec::new(),
            changes: None,
            applied: false,
            rows_text: String::new(),
        }
    }
}

/// A column as the office's spreadsheet heads it.
fn column_zh(column: &str) -> String {
    let label = match column {
        "section" => "计划安排",
        "seq" => "序号",
        "name" => "单位",
        "quota" => "计划人数",
        "site" => "采血地点",
        "note" => "备注",
        "kind" => "类别",
        "year" => "年度",
        other => return other.to_owned(),
    };
    format!("{label}（{column}）")
}

fn problem_rows(problems: &[Problem]) -> Vec<ProblemRow> {
    problems
        .iter()
        .map(|p| ProblemRow {
            line: p.line.map_or_else(|| "—".to_owned(), |l| format!("第 {l} 行")),
            column: p.column.map_or_else(|| "—".to_owned(), column_zh),
            message: render::zh(&p.message),
        })
        .collect()
}

fn changes(r: &ImportReport) -> Changes {
    Changes {
        year: r.year,
        rows: r.rows,
        plan_created: r.plan_created,
        plan_changed: r.plan_changed,
        totals: r
            .section_totals
            .iter()
            .map(|(section, rows, printed)| SectionTotal {
                section: render::zh(section.label_zh()),
                rows: thousands(*rows),
                printed: printed.map_or_else(|| "—".to_owned(), thousands),
                differs: printed.is_some_and(|p| p != *rows),
            })
            .collect(),
        warnings: r.warnings.iter().map(|w| render::zh(w)).collect(),
        units_created: r.units_created.clone(),
        units_reclassified: r.units_reclassified.clone(),
        quotas_added: r.quotas_added.clone(),
        quotas_changed: r
            .quotas_changed
            .iter()
            .map(|c| (c.name.clone(), thousands(c.from.into()), thousands(c.to.into())))
            .collect(),
        rows_edited: r.rows_edited.clone(),
        removed: r.removed_from_plan.clone(),
        any: r.changed_anything(),
    }
}

#[handler]
pub async fn import_page(OfficeUser(state, s): OfficeUser<'_>) -> Response {
    render::page(&ImportPage::new(&s, chrono::Datelike::year(&state.clock.today())))
}

/// Checks rows against the year's stored figures and runs the import, as a dry run for the
/// preview or for real; fills the page with the problems or the changes.
async fn check_and_import(
    state: &AppState,
    s: &Session,
    mut page: ImportPage,
    text: Result<String, Problem>,
    dry_run: bool,
) -> Response {
    let text = match text {
        Ok(t) => t,
        Err(p) => {
            page.problems = problem_rows(&[p]);
            return render::page(&page);
        }
    };
    if !YEARS.contains(&page.year) {
        return render::refusal_page(s, "年度须在 2000 到 2100 之间。", "/office/import");
    }
    let manifest = match plan_import::stored_manifest(&state.db, page.year).await {
        Ok(m) => m,
        Err(e) => return render::service_error_for(s, e.into()),
    };
    let table = match plan_import::check_rows(&page.file_name, &text, manifest, Some(page.year)) {
        Ok(t) => t,
        Err(problems) => {
            page.problems = problem_rows(&problems);
            return render::page(&page);
        }
    };
    let options = ImportOptions { strict: false, dry_run };
    match plan_import::import_plan(&state.db, &state.clock, Performer::User(&s.actor), &table, options).await
    {
        Ok(mut report) => {
            report.warnings.extend(plan_import::work_calendar_warning(report.year, &state.booking.calendar));
            page.changes = Some(changes(&report));
            page.applied = !dry_run;
            page.rows_text = text;
            render::page(&page)
        }
        Err(ImportError::Invalid(problems)) => {
            page.problems = problem_rows(&problems);
            render::page(&page)
        }
        Err(ImportError::Database(e)) => render::service_error_for(s, e.into()),
    }
}

/// The upload (multipart, with the CSRF token in the query): checks and previews, writes
/// nothing.
#[handler]
pub async fn preview(req: &Request, upload: Multipart, OfficeUser(state, s): OfficeUser<'_>) -> Response {
    let too_big = "文件太大：计划表不能超过 2 MB。";
    let Upload { year, file } = match read_upload(req, upload, MAX_UPLOAD_BYTES, "units.csv", too_big).await {
        Ok(sent) => sent,
        Err(m) => return render::refusal_page(&s, &m, "/office/import"),
    };
    let Some(year) = year else {
        return render::refusal_page(&s, "请填写计划年度。", "/office/import");
    };
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return render::refusal_page(&s, "请选择要导入的 CSV 或 Excel（xlsx）文件。", "/office/import");
    };
    let lower = name.to_ascii_lowercase();
    if !lower.ends_with(".csv") && !lower.ends_with(".xlsx") {
        return render::refusal_page(&s, "只能导入 CSV 或 Excel（xlsx）文件。", "/office/import");
    }
    let text = plan_import::rows_text(&name, &bytes);
    let mut page = ImportPage::new(&s, year);
    page.file_name = name;
    check_and_import(state, &s, page, text, true).await
}

#[derive(Deserialize)]
pub struct ApplyForm {
    year: i32,
    file_name: String,
    rows: String,
}

/// Apply: the rows the preview showed, checked again and written in one transaction.
#[handler]
pub async fn apply(Form(form): Form<ApplyForm>, OfficeUser(state, s): OfficeUser<'_>) -> Response {
    let mut page = ImportPage::new(&s, form.year);
    page.file_name = form.file_name;
    check_and_import(state, &s, page, Ok(form.rows), false).await
}
