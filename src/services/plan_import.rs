//! Loading a plan table into the database: validate everything first, then write it all in
//! one transaction, changing only what differs so that a re-import is a no-op.
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, ExprTrait, IntoActiveModel, QueryFilter, Set,
};

use super::audit::{Change, Performer};
use crate::clock::Clock;
use crate::db::entities::{plan, plan_quota, plan_section, plan_warning, term_calendar, unit};
use crate::domain::ids::UnitId;
use crate::domain::plan_table::{self, PlanManifest, PlanTable, Problem};
use crate::domain::work_calendar::WorkCalendar;
use crate::domain::Section;

#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Warnings become errors.
    pub strict: bool,
    /// Validate and report, write nothing.
    pub dry_run: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the plan was not imported: {} problem(s)", .0.len())]
    Invalid(Vec<Problem>),
    #[error("the plan was not imported: database error: {0}")]
    Database(#[from] DbErr),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaChange {
    pub name: String,
    pub from: i32,
    pub to: i32,
}

#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub year: i32,
    pub dry_run: bool,
    pub rows: usize,
    pub plan_created: bool,
    /// The plan's own figures, printed totals or warnings changed.
    pub plan_changed: bool,
    pub units_created: Vec<String>,
    pub units_reclassified: Vec<String>,
    /// Holders that get a quota in this year's plan, by name.
    pub quotas_added: Vec<String>,
    pub quotas_changed: Vec<QuotaChange>,
    /// Rows whose sequence, site or note changed (the quota itself did not), by name.
    pub rows_edited: Vec<String>,
    /// Holders that had a quota in this year's plan and are no longer in the table. Their
    /// quota for the year is removed; the holder itself and its history stay.
    pub removed_from_plan: Vec<String>,
    pub warnings: Vec<String>,
    /// Term calendars written: "默认" or the university's name.
    pub terms_set: Vec<String>,
    /// Holders whose breakdown plan was written as the year's accepted version, with its id.
    pub breakdowns_added: Vec<(String, i32)>,
    /// Holders that already had a breakdown of their own for the year: the file's is left out.
    pub breakdowns_kept: Vec<String>,
    /// Per section: the rows' sum and the printed total.
    pub section_totals: Vec<(Section, i64, Option<i64>)>,
}

impl ImportReport {
    /// What the audit trail keeps of an import.
    pub fn summary_json(&self) -> serde_json::Value {
        serde_json::json!({
            "year": self.year,
            "rows": self.rows,
            "planCreated": self.plan_created,
            "unitsCreated": self.units_created.len(),
            "quotasAdded": self.quotas_added.len(),
            "quotasChanged": self.quotas_changed.iter()
                .map(|c| serde_json::json!({ "name": c.name, "from": c.from, "to": c.to }))
                .collect::<Vec<_>>(),
            "rowsEdited": self.rows_edited.len(),
            "removedFromPlan": self.removed_from_plan,
            "warnings": self.warnings,
            "termsSet": self.terms_set,
            "breakdownsAdded": self.breakdowns_added.iter().map(|(name, _)| name).collect::<Vec<_>>(),
        })
    }

    pub fn changed_anything(&self) -> bool {
        self.plan_created
            || self.plan_changed
            || !self.units_created.is_empty()
            || !self.units_reclassified.is_empty()
            || !self.quotas_added.is_empty()
            || !self.quotas_changed.is_empty()
            || !self.rows_edited.is_empty()
            || !self.removed_from_plan.is_empty()
            || !self.terms_set.is_empty()
            || !self.breakdowns_added.is_empty()
    }
}

/// The warning an import of `year` gets when no holiday calendar covers that year: its
/// dates cannot be booked (`NO_WORK_CALENDAR`) until `seeds/holidays/<year>.toml` exists.
pub fn work_calendar_warning(year: i32, calendar: &WorkCalendar) -> Option<String> {
    (!calendar.covers_year(year)).then(|| {
        format!(
            "尚无{year}年的节假日安排（seeds/holidays/{year}.toml）：在录入之前，{year}年的日期不能预约采血车"
        )
    })
}

/// Reads a plan from its folder, its `plan.toml`, its rows file, or both files.
pub fn read_plan(paths: &[PathBuf], year: Option<i32>) -> Result<PlanTable, Vec<Problem>> {
    let problem = |file: &Path, message: String| Problem {
        file: file.display().to_string(),
        line: None,
        column: None,
        message,
    };
    let mut manifest_path = None;
    let mut rows_path = None;
    for path in paths {
        if path.is_dir() {
            let toml = path.join("plan.toml");
            if toml.is_file() {
                manifest_path = Some(toml);
            } else {
                rows_path = Some(path.join("units.csv"));
            }
        } else {
            match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
                Some("toml") => manifest_path = Some(path.clone()),
                Some("csv" | "xlsx") => rows_path = Some(path.clone()),
                _ => {
                    return Err(vec![problem(
                        path,
                        "不支持的文件类型：请给出计划目录、plan.toml、.csv 或 .xlsx 文件".into(),
                    )])
                }
            }
        }
    }
    let manifest = match &manifest_path {
        Some(path) => {
            let text = std::fs::read(path).map_err(|e| vec![problem(path, format!("无法读取：{e}"))])?;
            let text = plan_table::decode_text(&path.display().to_string(), &text).map_err(|p| vec![p])?;
            plan_table::parse_manifest(&path.display().to_string(), &text)?
        }
        None => PlanManifest::default(),
    };
    let rows_path = match (rows_path, &manifest_path, &manifest.units_file) {
        (Some(rows), _, _) => rows,
        (None, Some(toml), Some(file)) => toml.parent().unwrap_or(Path::new(".")).join(file),
        (None, Some(toml), None) => {
            return Err(vec![problem(toml, "未指定计划行文件 (units = \"units.csv\")".into())])
        }
        (None, None, _) => return Err(vec![problem(Path::new("."), "未给出计划文件".into())]),
    };
    let breakdowns_path = match (&manifest_path, &manifest.breakdowns_file) {
        (Some(toml), Some(file)) => Some(toml.parent().unwrap_or(Path::new(".")).join(file)),
        _ => None,
    };
    let file = rows_path.display().to_string();
    let bytes = std::fs::read(&rows_path).map_err(|e| vec![problem(&rows_path, format!("无法读取：{e}"))])?;
    let text = rows_text(&file, &bytes).map_err(|p| vec![p])?;
    let mut table = check_rows(&file, &text, manifest, year)?;
    if let Some(path) = breakdowns_path {
        let file = path.display().to_string();
        let bytes = std::fs::read(&path).map_err(|e| vec![problem(&path, format!("无法读取：{e}"))])?;
        let text = rows_text(&file, &bytes).map_err(|p| vec![p])?;
        let (lines, problems) = plan_table::parse_breakdown_rows(&file, &text, true);
        if !problems.is_empty() {
            return Err(problems);
        }
        plan_table::attach_breakdowns(&mut table, &file, lines)?;
    }
    Ok(table)
}

/// A rows file as CSV text: a CSV file decoded, or the first sheet of an `.xlsx` workbook
/// written out as CSV, so that one parser checks both (a sheet's row n is line n).
pub fn rows_text(file: &str, bytes: &[u8]) -> Result<String, Problem> {
    if !file.to_ascii_lowercase().ends_with(".xlsx") {
        return plan_table::decode_text(file, bytes);
    }
    use calamine::Reader;
    let unreadable = |why: String| Problem { file: file.to_owned(), line: None, column: None, message: why };
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|e| unreadable(format!("无法读取 Excel 文件：{e}")))?;
    let sheet = match book.worksheet_range_at(0) {
        Some(Ok(sheet)) => sheet,
        Some(Err(e)) => return Err(unreadable(format!("无法读取第一张工作表：{e}"))),
        None => return Err(unreadable("Excel 文件中没有工作表".into())),
    };
    let mut out = csv::Writer::from_writer(Vec::new());
    // Rows above the used range are written empty, so line numbers stay the sheet's.
    let first_row = sheet.start().map_or(0, |(row, _)| row);
    for _ in 0..first_row {
        out.write_record([""]).map_err(|e| unreadable(e.to_string()))?;
    }
    for row in sheet.rows() {
        out.write_record(row.iter().map(ToString::to_string)).map_err(|e| unreadable(e.to_string()))?;
    }
    let bytes = out.into_inner().map_err(|e| unreadable(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| unreadable(e.to_string()))
}

/// Parses and checks the rows of a plan (CSV text), against its manifest: every problem
/// with its line and column, or the table ready for `import_plan`.
pub fn check_rows(
    file: &str,
    text: &str,
    manifest: PlanManifest,
    year: Option<i32>,
) -> Result<PlanTable, Vec<Problem>> {
    let (rows, problems) = plan_table::parse_rows(file, text);
    if !problems.is_empty() {
        return Err(problems);
    }
    plan_table::check_plan(file, manifest, rows, year)
}

/// The figures a stored plan was imported with (its notice's targets and printed totals), so
/// that a new rows file for that year is checked against them and leaves them as they are.
pub async fn stored_manifest(db: &DatabaseConnection, year: i32) -> Result<PlanManifest, DbErr> {
    let Some(p) = plan::Entity::find().filter(plan::Column::Year.eq(year)).one(db).await? else {
        return Ok(PlanManifest { year: Some(year), ..PlanManifest::default() });
    };
    let sections = plan_section::Entity::find().filter(plan_section::Column::PlanId.eq(p.id)).all(db).await?;
    Ok(PlanManifest {
        year: Some(year),
        document_number: p.document_number,
        title: p.title,
        issued_on: p.issued_on,
        donation_target: p.donation_target,
        volume_target_ml: p.volume_target_ml,
        donation_rate_per_thousand: p.donation_rate_per_thousand,
        printed_totals: sections.into_iter().map(|s| (s.section, s.printed_total)).collect(),
        ..PlanManifest::default()
    })
}

/// The tables a plan import writes, analyzed after it commits.
const PLAN_TABLES: &[&str] = &[
    "unit",
    "plan",
    "plan_quota",
    "plan_section",
    "plan_warning",
    "term_calendar",
    "breakdown",
    "breakdown_row",
    "sub_unit",
    "audit_log",
];

/// Writes a checked plan table. On any error nothing is written.
pub async fn import_plan(
    db: &DatabaseConnection,
    clock: &Clock,
    by: Performer<'_>,
    table: &PlanTable,
    options: ImportOptions,
) -> Result<ImportReport, ImportError> {
    if options.strict && !table.warnings.is_empty() {
        return Err(ImportError::Invalid(
            table
                .warnings
                .iter()
                .map(|w| Problem {
                    file: "plan".into(),
                    line: None,
                    column: None,
                    message: w.message.clone(),
                })
                .collect(),
        ));
    }
    let txn = crate::db::begin_write(db).await?;
    let mut report = write_plan(&txn, clock, table).await?;
    report.dry_run = options.dry_run;
    for (holder, id) in &report.breakdowns_added {
        Change::new("breakdown", id, "import", by)
            .after(serde_json::json!({ "holder": holder, "year": table.year, "status": "ACCEPTED" }))
            .record(&txn, clock)
            .await?;
    }
    if report.changed_anything() {
        Change::new("plan", table.year, if report.plan_created { "import" } else { "reimport" }, by)
            .after(report.summary_json())
            .record(&txn, clock)
            .await?;
    }
    if options.dry_run {
        txn.rollback().await?;
    } else {
        txn.commit().await?;
        crate::db::refresh_statistics(db, PLAN_TABLES).await;
    }
    Ok(report)
}

async fn write_plan(
    txn: &DatabaseTransaction,
    clock: &Clock,
    table: &PlanTable,
) -> Result<ImportReport, DbErr> {
    let now = clock.now();
    let m = &table.manifest;
    let mut report = ImportReport {
        year: table.year,
        rows: table.rows.len(),
        warnings: table.warnings.iter().map(|w| w.message.clone()).collect(),
        section_totals: Section::ALL
            .into_iter()
            .map(|s| (s, table.row_total(s), m.printed_totals.get(&s).copied()))
            .collect(),
        ..Default::default()
    };

    let figures = |mut a: plan::ActiveModel| {
        a.document_number = Set(m.document_number.clone());
        a.title = Set(m.title.clone());
        a.issued_on = Set(m.issued_on);
        a.donation_target = Set(m.donation_target);
        a.volume_target_ml = Set(m.volume_target_ml);
        a.donation_rate_per_thousand = Set(m.donation_rate_per_thousand);
        a.imported_at = Set(now);
        a
    };
    let existing = plan::Entity::find().filter(plan::Column::Year.eq(table.year)).one(txn).await?;
    let plan = match existing {
        None => {
            report.plan_created = true;
            figures(plan::ActiveModel { year: Set(table.year), ..Default::default() }).insert(txn).await?
        }
        Some(p) => {
            let same = p.document_number == m.document_number
                && p.title == m.title
                && p.issued_on == m.issued_on
                && p.donation_target == m.donation_target
                && p.volume_target_ml == m.volume_target_ml
                && p.donation_rate_per_thousand == m.donation_rate_per_thousand;
            if same {
                p
            } else {
                report.plan_changed = true;
                figures(p.into()).update(txn).await?
            }
        }
    };

    let units = upsert_units(txn, table, now, &mut report).await?;
    write_quotas(txn, plan.id, table, &units, &mut report).await?;
    write_terms(txn, table, &units, now, &mut report).await?;
    let quotas: HashMap<&str, i32> = table.rows.iter().map(|r| (r.name.as_str(), r.quota)).collect();
    for b in &table.breakdowns {
        let (Some(holder), Some(quota)) = (units.get(&b.holder), quotas.get(b.holder.as_str())) else {
            continue;
        };
        let quota = i64::from(*quota);
        match super::breakdowns::import_accepted(txn, now, UnitId(holder.id), table.year, quota, &b.rows)
            .await?
        {
            super::breakdowns::Imported::Added(id) => report.breakdowns_added.push((b.holder.clone(), id)),
            super::breakdowns::Imported::Same => {}
            super::breakdowns::Imported::Kept => report.breakdowns_kept.push(b.holder.clone()),
        }
    }
    report.plan_changed |= write_printed_totals(txn, plan.id, &m.printed_totals).await?;
    report.plan_changed |= write_warnings(txn, plan.id, table).await?;
    let plan_id = plan.id;
    if report.changed_anything() && !report.plan_created {
        let mut touched: plan::ActiveModel = plan.into();
        touched.imported_at = Set(now);
        touched.update(txn).await?;
    }
    // Tells every process that keeps plans in memory (`plan_cache`) to reload this one; a
    // holder's kind shows in every year's rows, so a reclassification raises every plan. A
    // plan created now starts at version 1: no process can have read it before.
    if !report.units_reclassified.is_empty() || (report.changed_anything() && !report.plan_created) {
        let bump = plan::Entity::update_many()
            .col_expr(plan::Column::Version, Expr::col(plan::Column::Version).add(1));
        let bump = if report.units_reclassified.is_empty() {
            bump.filter(plan::Column::Id.eq(plan_id))
        } else {
            bump
        };
        bump.exec(txn).await?;
    }
    Ok(report)
}

async fn upsert_units(
    txn: &DatabaseTransaction,
    table: &PlanTable,
    now: chrono::DateTime<chrono::Utc>,
    report: &mut ImportReport,
) -> Result<HashMap<String, unit::Model>, DbErr> {
    // Every holder by name, read whole: one statement whatever the table's size (a lookup
    // per chunk of names fell back to scanning the table once per chunk on PostgreSQL).
    async fn by_name(txn: &DatabaseTransaction) -> Result<HashMap<String, unit::Model>, DbErr> {
        Ok(unit::Entity::find().all(txn).await?.into_iter().map(|u| (u.name.clone(), u)).collect())
    }
    let mut units = by_name(txn).await?;
    // New holders in batches (two round trips per holder made a national import take 15 s),
    // then read back for their ids: portable where INSERT … RETURNING is not.
    let mut seen = HashSet::new();
    let new_rows: Vec<_> =
        table.rows.iter().filter(|r| !units.contains_key(&r.name) && seen.insert(r.name.as_str())).collect();
    for chunk in new_rows.chunks(super::INSERT_CHUNK) {
        let models = chunk.iter().map(|row| unit::ActiveModel {
            name: Set(row.name.clone()),
            kind: Set(row.kind),
            created_at: Set(now),
            accepts_weekend_visits: Set(false),
            term_bound: Set(row.kind == crate::domain::UnitKind::University),
            ..Default::default()
        });
        unit::Entity::insert_many(models).exec(txn).await?;
    }
    if !new_rows.is_empty() {
        units = by_name(txn).await?;
        let ids: Vec<UnitId> = new_rows.iter().map(|r| UnitId(units[&r.name].id)).collect();
        super::calendars::create_unit_calendars(txn, &ids).await?;
    }
    report.units_created.extend(new_rows.iter().map(|r| r.name.clone()));
    for row in &table.rows {
        match units.get(&row.name) {
            Some(u) if u.kind != row.kind => {
                let mut changed: unit::ActiveModel = u.clone().into();
                changed.kind = Set(row.kind);
                let changed = changed.update(txn).await?;
                report.units_reclassified.push(row.name.clone());
                units.insert(row.name.clone(), changed);
            }
            _ => {}
        }
    }
    Ok(units)
}

async fn write_quotas(
    txn: &DatabaseTransaction,
    plan_id: i32,
    table: &PlanTable,
    units: &HashMap<String, unit::Model>,
    report: &mut ImportReport,
) -> Result<(), DbErr> {
    let existing = plan_quota::Entity::find()
        .filter(plan_quota::Column::PlanId.eq(plan_id))
        .find_also_related(unit::Entity)
        .all(txn)
        .await?;
    let wanted: HashSet<UnitId> = table.rows.iter().map(|r| UnitId(units[&r.name].id)).collect();
    let mut by_unit: HashMap<UnitId, plan_quota::Model> = HashMap::new();
    for (quota, holder) in existing {
        if wanted.contains(&quota.unit_id) {
            by_unit.insert(quota.unit_id, quota);
        } else {
            report.removed_from_plan.push(holder.map_or_else(|| quota.unit_id.to_string(), |u| u.name));
            plan_quota::Entity::delete_by_id(quota.id).exec(txn).await?;
        }
    }
    // Rows that move to another position first step aside to a temporary sequence number, so
    // that the unique (plan, section, seq) index holds at every statement, even when two
    // rows swap places.
    for row in &table.rows {
        if let Some(q) = by_unit.get(&UnitId(units[&row.name].id)) {
            if q.section != row.section || q.seq != row.seq {
                let mut aside: plan_quota::ActiveModel = q.clone().into();
                aside.seq = Set(-q.id);
                by_unit.insert(q.unit_id, aside.update(txn).await?);
            }
        }
    }
    let mut added = Vec::new();
    for row in &table.rows {
        let unit_id = UnitId(units[&row.name].id);
        match by_unit.get(&unit_id) {
            None => {
                added.push(plan_quota::ActiveModel {
                    plan_id: Set(plan_id),
                    unit_id: Set(unit_id),
                    section: Set(row.section),
                    section_rank: Set(row.section.rank()),
                    seq: Set(row.seq),
                    quota: Set(row.quota),
                    site: Set(row.site.clone()),
                    note: Set(row.note.clone()),
                    ..Default::default()
                });
                report.quotas_added.push(row.name.clone());
            }
            Some(q) => {
                let same_place = q.section == row.section && q.seq == row.seq;
                if same_place && q.quota == row.quota && q.site == row.site && q.note == row.note {
                    continue;
                }
                if q.quota != row.quota {
                    report.quotas_changed.push(QuotaChange {
                        name: row.name.clone(),
                        from: q.quota,
                        to: row.quota,
                    });
                } else {
                    report.rows_edited.push(row.name.clone());
                }
                let mut changed: plan_quota::ActiveModel = q.clone().into();
                changed.section = Set(row.section);
                changed.section_rank = Set(row.section.rank());
                changed.seq = Set(row.seq);
                changed.quota = Set(row.quota);
                changed.site = Set(row.site.clone());
                changed.note = Set(row.note.clone());
                changed.update(txn).await?;
            }
        }
    }
    // After the moves above, so that no new row takes a place an old one still holds.
    for chunk in added.chunks(super::INSERT_CHUNK) {
        plan_quota::Entity::insert_many(chunk.iter().cloned()).exec(txn).await?;
    }
    Ok(())
}

/// The manifest's term dates: written where they differ from the stored ones; a year's term
/// dates the manifest does not name are left as they are.
async fn write_terms(
    txn: &DatabaseTransaction,
    table: &PlanTable,
    units: &HashMap<String, unit::Model>,
    now: chrono::DateTime<chrono::Utc>,
    report: &mut ImportReport,
) -> Result<(), DbErr> {
    for t in &table.manifest.terms {
        let scope = match &t.unit {
            Some(name) => match units.get(name) {
                Some(u) => u.id,
                None => continue,
            },
            None => 0,
        };
        let stored = term_calendar::Entity::find()
            .filter(term_calendar::Column::Year.eq(table.year))
            .filter(term_calendar::Column::UnitId.eq(scope))
            .one(txn)
            .await?;
        let d = t.dates;
        let mut row = match stored {
            Some(s)
                if (s.spring_start, s.spring_end, s.autumn_start, s.autumn_end)
                    == (d.spring_start, d.spring_end, d.autumn_start, d.autumn_end) =>
            {
                continue
            }
            Some(s) => s.into(),
            None => term_calendar::ActiveModel {
                year: Set(table.year),
                unit_id: Set(scope),
                ..Default::default()
            },
        };
        row.spring_start = Set(d.spring_start);
        row.spring_end = Set(d.spring_end);
        row.autumn_start = Set(d.autumn_start);
        row.autumn_end = Set(d.autumn_end);
        row.updated_at = Set(now);
        row.save(txn).await?;
        report.terms_set.push(t.unit.clone().unwrap_or_else(|| "默认".into()));
    }
    Ok(())
}

async fn write_printed_totals(
    txn: &DatabaseTransaction,
    plan_id: i32,
    printed: &BTreeMap<Section, i64>,
) -> Result<bool, DbErr> {
    let stored =
        plan_section::Entity::find().filter(plan_section::Column::PlanId.eq(plan_id)).all(txn).await?;
    // In the order of the codes, as the rows have always been written.
    let mut stored: Vec<(Section, i64)> = stored.into_iter().map(|s| (s.section, s.printed_total)).collect();
    stored.sort_by_key(|(s, _)| s.code());
    let mut wanted: Vec<(Section, i64)> = printed.iter().map(|(s, t)| (*s, *t)).collect();
    wanted.sort_by_key(|(s, _)| s.code());
    replace_plan_rows(txn, plan_section::Column::PlanId, plan_id, stored, wanted, |(section, total)| {
        plan_section::ActiveModel {
            plan_id: Set(plan_id),
            section: Set(section),
            printed_total: Set(total),
            ..Default::default()
        }
    })
    .await
}

async fn write_warnings(txn: &DatabaseTransaction, plan_id: i32, table: &PlanTable) -> Result<bool, DbErr> {
    let stored =
        plan_warning::Entity::find().filter(plan_warning::Column::PlanId.eq(plan_id)).all(txn).await?;
    let stored: Vec<(Option<Section>, String)> = stored.into_iter().map(|w| (w.section, w.message)).collect();
    let wanted: Vec<(Option<Section>, String)> =
        table.warnings.iter().map(|w| (w.section, w.message.clone())).collect();
    replace_plan_rows(txn, plan_warning::Column::PlanId, plan_id, stored, wanted, |(section, message)| {
        plan_warning::ActiveModel {
            plan_id: Set(plan_id),
            section: Set(section),
            message: Set(message),
            ..Default::default()
        }
    })
    .await
}

/// Replaces a plan's rows in one table (`plan_id_column` names the plan) with `wanted`, one
/// `row` each, unless they equal what is `stored`; true if it wrote.
async fn replace_plan_rows<T: PartialEq, A>(
    txn: &DatabaseTransaction,
    plan_id_column: <A::Entity as EntityTrait>::Column,
    plan_id: i32,
    stored: Vec<T>,
    wanted: Vec<T>,
    row: impl Fn(T) -> A,
) -> Result<bool, DbErr>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    if stored == wanted {
        return Ok(false);
    }
    A::Entity::delete_many().filter(plan_id_column.eq(plan_id)).exec(txn).await?;
    for value in wanted {
        row(value).insert(txn).await?;
    }
    Ok(true)
}

/// Loads every plan folder under `seeds_dir` (each holding a `plan.toml`) when the database
/// has no plan yet, so that a first `serve` needs no other step.
pub async fn seed_if_empty(
    db: &DatabaseConnection,
    clock: &Clock,
    seeds_dir: &Path,
) -> Result<Vec<ImportReport>, SeedError> {
    use sea_orm::PaginatorTrait;
    if plan::Entity::find().count(db).await? > 0 {
        return Ok(Vec::new());
    }
    let mut folders: Vec<PathBuf> = match std::fs::read_dir(seeds_dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("plan.toml").is_file())
            .collect(),
        Err(e) => {
            tracing::warn!(dir = %seeds_dir.display(), error = %e, "no seed plans to load; starting with an empty database");
            return Ok(Vec::new());
        }
    };
    folders.sort();
    let mut reports = Vec::new();
    for folder in folders {
        let table =
            read_plan(std::slice::from_ref(&folder), None).map_err(|problems| SeedError::Invalid {
                folder: folder.display().to_string(),
                problems: problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"),
            })?;
        match import_plan(db, clock, Performer::System("seed"), &table, ImportOptions::default()).await {
            Ok(report) => reports.push(report),
            // Another instance seeding the same empty database at the same moment won the race.
            Err(ImportError::Database(e)) if crate::db::is_unique_violation(&e) => {
                tracing::info!(year = table.year, "seed plan already loaded by another instance");
            }
            Err(e) => return Err(SeedError::Import(e)),
        }
    }
    Ok(reports)
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("seed plan in {folder} is invalid:\n{problems}")]
    Invalid { folder: String, problems: String },
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Database(#[from] DbErr),
}
