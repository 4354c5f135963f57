//! Reading and checking a plan table: its manifest (`plan.toml`) and its rows (`units.csv`).
//!
//! Everything here is pure: the caller reads the bytes, this module decodes, parses and
//! validates them and reports every problem with its file, line and column at once.
use std::collections::{BTreeMap, HashMap};
use std::fmt;

use chrono::NaiveDate;
use serde::Deserialize;

use super::breakdown::{self, SubUnitRow};
use super::reminders::TermDates;
use super::{Section, UnitKind};

/// One thing wrong with the input, located as precisely as the input allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: Option<u64>,
    pub column: Option<&'static str>,
    pub message: String,
}

impl Problem {
    fn new(file: &str, line: Option<u64>, column: Option<&'static str>, message: String) -> Self {
        Problem { file: file.to_owned(), line, column, message }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, " 第{line}行")?;
        }
        if let Some(column) = self.column {
            write!(f, " {column}列")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Something the office should know about that does not stop the import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanWarning {
    pub section: Option<Section>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlanManifest {
    pub year: Option<i32>,
    pub document_number: Option<String>,
    pub title: Option<String>,
    pub issued_on: Option<NaiveDate>,
    pub donation_target: Option<i64>,
    pub volume_target_ml: Option<i64>,
    pub donation_rate_per_thousand: Option<i64>,
    pub printed_totals: BTreeMap<Section, i64>,
    /// The rows file named by the manifest, relative to it.
    pub units_file: Option<String>,
    /// The breakdown plans file (`breakdowns = "breakdowns.csv"`), relative to it: the
    /// holders' sub-units a new year starts from (`bloodplan plan copy`).
    pub breakdowns_file: Option<String>,
    /// Term dates (`[[terms]]`): the year's default, and universities' own by name.
    pub terms: Vec<TermEntry>,
}

/// One `[[terms]]` entry of a manifest: the year's default term dates (no `unit`), or one
/// university's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermEntry {
    pub unit: Option<String>,
    pub dates: TermDates,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    year: Option<i32>,
    document_number: Option<String>,
    title: Option<String>,
    issued_on: Option<String>,
    donation_target: Option<i64>,
    volume_target_ml: Option<i64>,
    donation_rate_per_thousand: Option<i64>,
    units: Option<String>,
    breakdowns: Option<String>,
    #[serde(default)]
    printed_totals: BTreeMap<String, i64>,
    #[serde(default)]
    terms: Vec<RawTerms>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTerms {
    unit: Option<String>,
    spring_start: String,
    spring_end: String,
    autumn_start: String,
    autumn_end: String,
}

pub fn parse_manifest(file: &str, text: &str) -> Result<PlanManifest, Vec<Problem>> {
    let raw: RawManifest = toml::from_str(text)
        .map_err(|e| vec![Problem::new(file, None, None, format!("无法解析：{}", e.message()))])?;
    let mut problems = Vec::new();
    let issued_on = raw.issued_on.as_deref().and_then(|d| {
        NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| {
                problems.push(Problem::new(
                    file,
                    None,
                    Some("issued_on"),
                    format!("日期应为 YYYY-MM-DD, 读到 \"{d}\""),
                ))
            })
            .ok()
    });
    let issued_on = issued_on.filter(|d| match super::text::check_date(*d) {
        Ok(()) => true,
        Err(why) => {
            problems.push(Problem::new(file, None, Some("issued_on"), why));
            false
        }
    });
    for (column, text, what) in
        [("document_number", &raw.document_number, "文号"), ("title", &raw.title, "标题")]
    {
        if let Some(Err(why)) = text.as_deref().map(|t| super::text::check_text(t, 200)) {
            problems.push(Problem::new(file, None, Some(column), format!("{what}{why}")));
        }
    }
    for (column, value) in [
        ("donation_target", raw.donation_target),
        ("volume_target_ml", raw.volume_target_ml),
        ("donation_rate_per_thousand", raw.donation_rate_per_thousand),
    ] {
        if matches!(value, Some(v) if v <= 0) {
            problems.push(Problem::new(file, None, Some(column), "必须是正整数".into()));
        }
    }
    let mut printed_totals = BTreeMap::new();
    for (key, total) in raw.printed_totals {
        match Section::parse(&key) {
            Some(section) if total >= 0 => {
                printed_totals.insert(section, total);
            }
            Some(_) => problems.push(Problem::new(
                file,
                None,
                Some("printed_totals"),
                format!("{key} 的合计不能为负数"),
            )),
            None => problems.push(Problem::new(
                file,
                None,
                Some("printed_totals"),
                format!("未知的计划安排 \"{key}\" (应为 COUNTY、CITY_UNIT 或 ENTERPRISE)"),
            )),
        }
    }
    let mut terms = Vec::new();
    for t in &raw.terms {
        let mut date = |column: &'static str, text: &str| {
            let parsed = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
            if parsed.is_none() {
                problems.push(Problem::new(
                    file,
                    None,
                    Some(column),
                    format!("日期应为 YYYY-MM-DD, 读到 \"{text}\""),
                ));
            }
            parsed
        };
        let dates = (
            date("spring_start", &t.spring_start),
            date("spring_end", &t.spring_end),
            date("autumn_start", &t.autumn_start),
            date("autumn_end", &t.autumn_end),
        );
        if let (Some(spring_start), Some(spring_end), Some(autumn_start), Some(autumn_end)) = dates {
            let unit = t.unit.as_deref().map(str::trim).filter(|u| !u.is_empty()).map(str::to_owned);
            terms.push(TermEntry {
                unit,
                dates: TermDates { spring_start, spring_end, autumn_start, autumn_end },
            });
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(PlanManifest {
        year: raw.year,
        document_number: raw.document_number.filter(|s| !s.trim().is_empty()),
        title: raw.title.filter(|s| !s.trim().is_empty()),
        issued_on,
        donation_target: raw.donation_target,
        volume_target_ml: raw.volume_target_ml,
        donation_rate_per_thousand: raw.donation_rate_per_thousand,
        printed_totals,
        units_file: raw.units,
        breakdowns_file: raw.breakdowns,
        terms,
    })
}

/// Decodes a CSV file as a Chinese-locale spreadsheet may have saved it: UTF-8 with or
/// without a byte-order mark, or GB18030.
pub fn decode_text(file: &str, bytes: &[u8]) -> Result<String, Problem> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_owned());
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(Problem::new(
            file,
            None,
            None,
            "无法识别的文字编码：请另存为 UTF-8 或 GB18030 编码的 CSV".into(),
        ));
    }
    Ok(text.into_owned())
}

/// One row of the plan table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRow {
    pub line: u64,
    pub section: Section,
    pub seq: i32,
    pub name: String,
    pub quota: i32,
    pub site: Option<String>,
    pub note: Option<String>,
    pub kind: UnitKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Section,
    Seq,
    Name,
    Quota,
    Site,
    Note,
    Kind,
}

impl Column {
    const REQUIRED: [Column; 5] = [Column::Section, Column::Seq, Column::Name, Column::Quota, Column::Kind];
}

impl TableColumn for Column {
    fn name(self) -> &'static str {
        match self {
            Column::Section => "section",
            Column::Seq => "seq",
            Column::Name => "name",
            Column::Quota => "quota",
            Column::Site => "site",
            Column::Note => "note",
            Column::Kind => "kind",
        }
    }

    /// Headers may be the English codes or the table's own Chinese headings.
    fn from_header(header: &str) -> Option<Column> {
        Some(match header.trim() {
            "section" | "计划安排" => Column::Section,
            "seq" | "序号" => Column::Seq,
            "name" | "单位" | "单 位" => Column::Name,
            "quota" | "计划人数" | "计划人数(人/年)" | "每年计划人数(人)" => Column::Quota,
            "site" | "采血地点" => Column::Site,
            "note" | "备注" | "备 注" => Column::Note,
            "kind" | "类别" | "单位类别" => Column::Kind,
            _ => return None,
        })
    }
}

/// A column of a CSV table the office edits: known by any of its headings, named in problems.
trait TableColumn: Copy + PartialEq {
    /// Headers may be the English codes or the table's own Chinese headings.
    fn from_header(header: &str) -> Option<Self>;
    fn name(self) -> &'static str;
}

/// One record of such a table, its fields looked up by column.
struct Fields<'a, C> {
    columns: &'a [C],
    record: &'a csv::StringRecord,
}

impl<C: TableColumn> Fields<'_, C> {
    /// The trimmed field of `column`, empty where the table has no such column.
    fn get(&self, column: C) -> &str {
        self.columns.iter().position(|&x| x == column).map_or("", |i| self.record[i].trim())
    }
}

/// Reads a CSV table whose columns come in any order under any of their headings, collecting
/// every problem rather than stopping at the first. A problem of the header (a column unknown,
/// repeated or missing; `available` lists the codes) stops before the rows. Then `row` gets
/// each record that is not blank, with its line, and reports its own problems.
fn read_table<C: TableColumn>(
    file: &str,
    text: &str,
    available: &str,
    required: &[C],
    mut row: impl FnMut(u64, &Fields<'_, C>, &mut Vec<Problem>),
) -> Vec<Problem> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return vec![Problem::new(file, Some(1), None, format!("无法读取表头：{e}"))],
    };
    let mut problems = Vec::new();
    let mut columns = Vec::with_capacity(headers.len());
    for header in headers.iter() {
        match C::from_header(header) {
            Some(c) if columns.contains(&c) => {
                problems.push(Problem::new(file, Some(1), Some(c.name()), "表头重复".into()))
            }
            Some(c) => columns.push(c),
            None => problems.push(Problem::new(
                file,
                Some(1),
                None,
                format!("未知的列 \"{header}\" (可用：{available})"),
            )),
        }
    }
    for &c in required {
        if !columns.contains(&c) {
            problems.push(Problem::new(file, Some(1), Some(c.name()), "缺少此列".into()));
        }
    }
    if !problems.is_empty() {
        return problems;
    }
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line());
                problems.push(Problem::new(file, line, None, format!("无法读取：{e}")));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if record.len() != columns.len() {
            problems.push(Problem::new(
                file,
                Some(line),
                None,
                format!("列数不对：应为 {} 列，实为 {} 列", columns.len(), record.len()),
            ));
            continue;
        }
        row(line, &Fields { columns: &columns, record: &record }, &mut problems);
    }
    problems
}

/// Parses the rows file, collecting every problem rather than stopping at the first.
pub fn parse_rows(file: &str, text: &str) -> (Vec<PlanRow>, Vec<Problem>) {
    let mut rows = Vec::new();
    let available = "section, seq, name, quota, site, note, kind";
    let problems = read_table(file, text, available, &Column::REQUIRED, |line, fields, problems| {
        let field = |c: Column| fields.get(c);
        let before = problems.len();
        let mut report = |c: Column, message: String| {
            problems.push(Problem::new(file, Some(line), Some(c.name()), message))
        };
        let section = Section::parse(field(Column::Section));
        if section.is_none() {
            report(
                Column::Section,
                format!(
                    "未知的计划安排 \"{}\" (应为 COUNTY、CITY_UNIT 或 ENTERPRISE)",
                    field(Column::Section)
                ),
            );
        }
        let seq = positive_int(field(Column::Seq));
        if seq.is_none() {
            report(Column::Seq, format!("序号必须是正整数，读到 \"{}\"", field(Column::Seq)));
        }
        let name = field(Column::Name).to_owned();
        if name.is_empty() {
            report(Column::Name, "单位名称不能为空".into());
        }
        for (c, max, what) in
            [(Column::Name, 200, "单位名称"), (Column::Site, 100, "采血地点"), (Column::Note, 200, "备注")]
        {
            if let Err(why) = crate::domain::text::check_text(field(c), max) {
                report(c, format!("{what}{why}"));
            }
        }
        let quota = positive_int(field(Column::Quota));
        if quota.is_none() {
            report(Column::Quota, format!("计划人数必须是正整数，读到 \"{}\"", field(Column::Quota)));
        }
        let kind = UnitKind::parse(field(Column::Kind));
        if kind.is_none() {
            report(Column::Kind, format!("未知的单位类别 \"{}\"", field(Column::Kind)));
        }
        if problems.len() > before {
            return;
        }
        let optional = |c: Column| Some(field(c).to_owned()).filter(|s| !s.is_empty());
        rows.push(PlanRow {
            line,
            section: section.expect("checked"),
            seq: seq.expect("checked"),
            name,
            quota: quota.expect("checked"),
            site: optional(Column::Site),
            note: optional(Column::Note),
            kind: kind.expect("checked"),
        });
    });
    (rows, problems)
}

fn positive_int(text: &str) -> Option<i32> {
    text.parse::<i32>().ok().filter(|v| *v > 0)
}

/// A plan table that passed every check, ready to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanTable {
    pub year: i32,
    pub manifest: PlanManifest,
    pub rows: Vec<PlanRow>,
    pub warnings: Vec<PlanWarning>,
    /// The holders' breakdown plans the table carries (its manifest's `breakdowns` file).
    pub breakdowns: Vec<HolderBreakdown>,
}

impl PlanTable {
    pub fn row_total(&self, section: Section) -> i64 {
        self.rows.iter().filter(|r| r.section == section).map(|r| i64::from(r.quota)).sum()
    }
}

pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// Checks the table as a whole: the year, duplicates, and the printed totals.
pub fn check_plan(
    rows_file: &str,
    manifest: PlanManifest,
    rows: Vec<PlanRow>,
    year_override: Option<i32>,
) -> Result<PlanTable, Vec<Problem>> {
    let mut problems = Vec::new();
    let year = year_override.or(manifest.year);
    match year {
        None => problems.push(Problem::new(
            rows_file,
            None,
            Some("year"),
            "未指定计划年度 (plan.toml 的 year 或 --year)".into(),
        )),
        Some(y) if !YEARS.contains(&y) => problems.push(Problem::new(
            rows_file,
            None,
            Some("year"),
            format!("年度 {y} 不在 2000–2100 之间"),
        )),
        _ => {}
    }
    if rows.is_empty() {
        problems.push(Problem::new(rows_file, None, None, "没有任何计划行".into()));
    }
    if let Some(year) = year {
        for t in &manifest.terms {
            let what =
                t.unit.as_deref().map_or_else(|| "默认学期日期".to_owned(), |u| format!("“{u}”的学期日期"));
            if let Err(why) = t.dates.check(year) {
                problems.push(Problem::new(rows_file, None, Some("terms"), format!("{what}：{why}")));
            }
            if let Some(unit) = &t.unit {
                if !rows.iter().any(|r| &r.name == unit && r.kind == UnitKind::University) {
                    problems.push(Problem::new(
                        rows_file,
                        None,
                        Some("terms"),
                        format!("{what}：“{unit}”不是本年度计划中的高校"),
                    ));
                }
            }
        }
    }
    let mut names: HashMap<&str, &PlanRow> = HashMap::new();
    let mut seqs: HashMap<(Section, i32), &PlanRow> = HashMap::new();
    for row in &rows {
        if let Some(first) = names.insert(row.name.as_str(), row) {
            problems.push(Problem::new(
                rows_file,
                Some(row.line),
                Some("name"),
                format!("单位 \"{}\" 与第{}行重复", row.name, first.line),
            ));
        }
        if let Some(first) = seqs.insert((row.section, row.seq), row) {
            problems.push(Problem::new(
                rows_file,
                Some(row.line),
                Some("seq"),
                format!("{} 序号 {} 与第{}行重复", row.section.label_zh(), row.seq, first.line),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut table = PlanTable {
        year: year.expect("checked"),
        manifest,
        rows,
        warnings: Vec::new(),
        breakdowns: Vec::new(),
    };
    table.warnings = total_warnings(&table);
    Ok(table)
}

/// One sub-unit row of a breakdowns file, with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakdownLine {
    pub line: u64,
    /// The holder the sub-unit belongs to (the file's `holder` column; none in a file for
    /// one holder).
    pub holder: Option<String>,
    pub row: SubUnitRow,
}

/// A holder's breakdown plan as a plan folder carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderBreakdown {
    pub holder: String,
    /// The line of its first row.
    pub line: u64,
    pub rows: Vec<SubUnitRow>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BreakdownColumn {
    Holder,
    Name,
    Kind,
    Quota,
}

impl TableColumn for BreakdownColumn {
    fn name(self) -> &'static str {
        match self {
            BreakdownColumn::Holder => "holder",
            BreakdownColumn::Name => "name",
            BreakdownColumn::Kind => "kind",
            BreakdownColumn::Quota => "quota",
        }
    }

    fn from_header(header: &str) -> Option<BreakdownColumn> {
        Some(match header.trim() {
            "holder" | "单位" | "上报单位" => BreakdownColumn::Holder,
            "name" | "二级单位" | "名称" => BreakdownColumn::Name,
            "kind" | "类别" | "单位类别" => BreakdownColumn::Kind,
            "quota" | "计划人数" | "计划人数(人/年)" => BreakdownColumn::Quota,
            _ => return None,
        })
    }
}

/// The header of a breakdowns file as `bloodplan plan copy` writes it.
pub const BREAKDOWN_HEADER: [&str; 4] = ["holder", "name", "kind", "quota"];

/// Parses a breakdowns file (CSV text: `holder,name,kind,quota`, or the Chinese headings
/// 单位, 二级单位, 类别, 计划人数), every problem with its line and column. `with_holder`: the
/// file lists several holders' sub-units (a plan folder's), so the holder column is needed.
pub fn parse_breakdown_rows(file: &str, text: &str, with_holder: bool) -> (Vec<BreakdownLine>, Vec<Problem>) {
    use BreakdownColumn as C;
    let required: &[C] =
        if with_holder { &[C::Holder, C::Name, C::Kind, C::Quota] } else { &[C::Name, C::Kind, C::Quota] };
    let mut lines = Vec::new();
    let mut seen: HashMap<(Option<String>, String), u64> = HashMap::new();
    let problems =
        read_table(file, text, &BREAKDOWN_HEADER.join(", "), required, |line, fields, problems| {
            let field = |c: C| fields.get(c);
            let before = problems.len();
            let mut report = |c: C, message: String| {
                problems.push(Problem::new(file, Some(line), Some(c.name()), message))
            };
            let holder = Some(field(C::Holder).to_owned()).filter(|h| !h.is_empty());
            if with_holder && holder.is_none() {
                report(C::Holder, "上报单位不能为空".into());
            }
            let name = field(C::Name).to_owned();
            if name.is_empty() {
                report(C::Name, "二级单位名称不能为空".into());
            } else if let Err(why) = super::text::check_text(&name, breakdown::MAX_NAME_CHARS) {
                report(C::Name, format!("二级单位名称{why}"));
            }
            let kind = UnitKind::parse(field(C::Kind));
            if kind.is_none() {
                report(C::Kind, format!("未知的单位类别 \"{}\"", field(C::Kind)));
            }
            let quota = field(C::Quota)
                .parse::<i64>()
                .ok()
                .filter(|q| (1..=breakdown::MAX_SUB_UNIT_QUOTA).contains(q));
            if quota.is_none() {
                report(
                    C::Quota,
                    format!(
                        "计划人数须是 1 到 {} 之间的整数，读到 \"{}\"",
                        breakdown::MAX_SUB_UNIT_QUOTA,
                        field(C::Quota)
                    ),
                );
            }
            if !name.is_empty() {
                if let Some(first) = seen.insert((holder.clone(), name.clone()), line) {
                    report(C::Name, format!("二级单位 \"{name}\" 与第{first}行重复"));
                }
            }
            if problems.len() > before {
                return;
            }
            lines.push(BreakdownLine {
                line,
                holder,
                row: SubUnitRow { name, kind: kind.expect("checked"), quota: quota.expect("checked") },
            });
        });
    (lines, problems)
}

/// Attaches a plan folder's breakdowns to its checked table: each holder must be a row of
/// the table that is asked for a breakdown (`breakdown::required`). A breakdown that falls
/// short of the holder's quota in this table is left out with a warning (the holder submits
/// a new one); any other problem stops the import.
pub fn attach_breakdowns(
    table: &mut PlanTable,
    file: &str,
    lines: Vec<BreakdownLine>,
) -> Result<(), Vec<Problem>> {
    let mut grouped: Vec<HolderBreakdown> = Vec::new();
    for l in lines {
        let holder = l.holder.unwrap_or_default();
        match grouped.iter_mut().find(|b| b.holder == holder) {
            Some(b) => b.rows.push(l.row),
            None => grouped.push(HolderBreakdown { holder, line: l.line, rows: vec![l.row] }),
        }
    }
    let rows: HashMap<&str, &PlanRow> = table.rows.iter().map(|r| (r.name.as_str(), r)).collect();
    let mut problems = Vec::new();
    let mut kept = Vec::new();
    let mut warnings = Vec::new();
    for b in grouped {
        let Some(row) = rows.get(b.holder.as_str()) else {
            problems.push(Problem::new(
                file,
                Some(b.line),
                Some("holder"),
                format!("“{}”不在本年度计划中", b.holder),
            ));
            continue;
        };
        if !breakdown::required(row.section, row.note.as_deref()) {
            problems.push(Problem::new(
                file,
                Some(b.line),
                Some("holder"),
                format!("“{}”不是县(市、区)，计划中也未注明含二级单位，无需分解计划", b.holder),
            ));
            continue;
        }
        match breakdown::check(b.rows.clone(), i64::from(row.quota)) {
            Ok(checked) => kept.push(HolderBreakdown { rows: checked.rows, ..b }),
            Err(short @ breakdown::BreakdownProblem::Short { .. }) => warnings.push(PlanWarning {
                section: Some(row.section),
                message: format!("{}：{}；未导入这份分解计划，请该单位重新上报", b.holder, short.message()),
            }),
            Err(breakdown::BreakdownProblem::Invalid(m)) => problems.push(Problem::new(
                file,
                Some(b.line),
                Some("holder"),
                format!("“{}”的分解计划：{m}", b.holder),
            )),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    table.breakdowns = kept;
    table.warnings.extend(warnings);
    Ok(())
}

fn total_warnings(table: &PlanTable) -> Vec<PlanWarning> {
    table
        .manifest
        .printed_totals
        .iter()
        .filter_map(|(&section, &printed)| {
            let rows = table.row_total(section);
            (rows != printed).then(|| PlanWarning {
                section: Some(section),
                message: format!(
                    "{}：各行计划人数之和为 {rows}，表中印刷的合计为 {printed}，相差 {}；已按各行导入，未作更正",
                    section.label_zh(),
                    printed - rows
                ),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "section,seq,name,quota,site,note,kind\n";

    fn rows(body: &str) -> (Vec<PlanRow>, Vec<Problem>) {
        parse_rows("units.csv", &format!("{HEADER}{body}"))
    }

    #[test]
    fn a_good_row_parses_with_optional_fields() {
        let (rows, problems) = rows(
            "CITY_UNIT,18,咸宁军分区,200,献血单位,含民兵预备役,military\nCOUNTY,1,咸安,1600,,,government\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(rows[0].quota, 200);
        assert_eq!(rows[0].note.as_deref(), Some("含民兵预备役"));
        assert_eq!(rows[1].site, None);
        assert_eq!(rows[1].line, 3);
    }

    #[test]
    fn every_bad_field_is_reported_with_line_and_column() {
        let (rows, problems) = rows("CITY,x,,0,献血单位,,church\nCOUNTY,1,咸安,1600,,government\n");
        assert!(rows.is_empty());
        let located: Vec<_> = problems.iter().map(|p| (p.line, p.column)).collect();
        assert_eq!(
            located,
            vec![
                (Some(2), Some("section")),
                (Some(2), Some("seq")),
                (Some(2), Some("name")),
                (Some(2), Some("quota")),
                (Some(2), Some("kind")),
                (Some(3), None),
            ]
        );
        assert!(problems[5].message.contains("列数不对"));
    }

    #[test]
    fn quotas_must_be_positive_whole_numbers() {
        for bad in ["-5", "0", "10.5", "abc", ""] {
            let (_, problems) = rows(&format!("COUNTY,1,咸安,{bad},,,government\n"));
            assert_eq!(problems.len(), 1, "{bad}");
            assert_eq!(problems[0].column, Some("quota"));
        }
    }

    #[test]
    fn chinese_headers_are_accepted_and_unknown_headers_rejected() {
        let (rows, problems) = parse_rows(
            "u.csv",
            "计划安排,序号,单位,计划人数,采血地点,备注,类别\n企业,1,巨宁集团,20,献血单位,,企业\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(rows[0].section, Section::Enterprise);
        assert_eq!(rows[0].kind, UnitKind::Enterprise);
        let (_, problems) = parse_rows("u.csv", "section,seq,name,quota,colour\n");
        assert!(problems.iter().any(|p| p.message.contains("colour")));
        assert!(problems.iter().any(|p| p.column == Some("kind")));
    }

    #[test]
    fn gb18030_and_bom_decode_to_the_same_text() {
        let text = "section,name\nCOUNTY,咸安\n";
        let (gb, _, _) = encoding_rs::GB18030.encode(text);
        assert_eq!(decode_text("f", &gb).unwrap(), text);
        let bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        assert_eq!(decode_text("f", &bom).unwrap(), text);
        assert!(decode_text("f", b"\xFF\xFF\xFF").is_err());
    }

    #[test]
    fn duplicates_within_the_table_are_problems() {
        let (parsed, _) = rows("COUNTY,1,咸安,1600,,,government\nCOUNTY,1,嘉鱼,1500,,,government\nENTERPRISE,3,咸安,5,,,enterprise\n");
        let problems =
            check_plan("units.csv", PlanManifest { year: Some(2020), ..Default::default() }, parsed, None)
                .unwrap_err();
        assert_eq!(problems.len(), 2);
        assert_eq!((problems[0].line, problems[0].column), (Some(3), Some("seq")));
        assert_eq!((problems[1].line, problems[1].column), (Some(4), Some("name")));
    }

    #[test]
    fn a_printed_total_that_differs_from_the_rows_is_a_warning_not_a_fix() {
        let (parsed, _) = rows(
            "CITY_UNIT,1,市委办,10,献血单位,,government\nCITY_UNIT,2,市人大办,10,献血单位,,government\n",
        );
        let manifest = PlanManifest {
            year: Some(2020),
            printed_totals: BTreeMap::from([(Section::CityUnit, 120)]),
            ..Default::default()
        };
        let table = check_plan("units.csv", manifest, parsed, Some(2021)).unwrap();
        assert_eq!(table.year, 2021);
        assert_eq!(table.row_total(Section::CityUnit), 20);
        assert_eq!(table.warnings.len(), 1);
        assert!(table.warnings[0].message.contains("相差 100"), "{}", table.warnings[0].message);
    }

    #[test]
    fn the_manifest_rejects_unknown_sections_and_bad_dates() {
        let problems = parse_manifest(
            "plan.toml",
            "year = 2020\nissued_on = \"25/12/2019\"\n[printed_totals]\nTOWN = 5\n",
        )
        .unwrap_err();
        assert_eq!(problems.len(), 2);
        let ok = parse_manifest(
            "plan.toml",
            "year = 2020\nissued_on = \"2019-12-25\"\n[printed_totals]\nCITY_UNIT = 8517\n",
        )
        .unwrap();
        assert_eq!(ok.printed_totals[&Section::CityUnit], 8517);
    }
}
