//! Fulfilment tables for reporting upward: CSV and Excel, one row per holder.
//!
//! Headers are Chinese, as the office's superiors read them; numbers are written as numbers
//! (not text) so that the receiving spreadsheet can sum them.
use rust_xlsxwriter::{Format, Workbook, Worksheet};

use super::fulfilment::{Fulfilment, Progress, SectionProgress, UnitProgress};
use super::ServiceError;

/// The figure columns of every row (holder, section, city), in order: the six of
/// [`figures`], then whether it is behind schedule.
const FIGURE_HEADERS: [&str; 7] =
    ["计划人数(人次)", "已预约人数", "已采血人次", "已采血量(毫升)", "完成率(%)", "剩余人次", "进度滞后"];

/// The holder columns, in order.
pub const UNIT_HEADERS: [&str; 11] = {
    let [quota, booked, collected, volume, share, remaining, behind] = FIGURE_HEADERS;
    ["计划安排", "序号", "单位", quota, booked, collected, volume, share, remaining, behind, "统计截至"]
};

/// A row's figures, in the order of [`FIGURE_HEADERS`]: quota, booked donors, collected
/// donations, volume, share (%), remaining.
fn figures(p: &Progress) -> [f64; 6] {
    let (quota, booked, collected) = (p.quota as f64, p.booked_donors as f64, p.collected_donations as f64);
    [quota, booked, collected, p.collected_volume_ml as f64, percent(p), p.remaining as f64]
}

/// [`figures`] as CSV text: the counts as whole numbers, the share with two decimals.
fn figure_texts(p: &Progress) -> [String; 6] {
    let [quota, booked, collected, volume, share, remaining] = figures(p);
    let whole = |n: f64| format!("{n:.0}");
    [whole(quota), whole(booked), whole(collected), whole(volume), format!("{share:.2}"), whole(remaining)]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    pub fn parse(text: &str) -> Option<ExportFormat> {
        match text.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(ExportFormat::Csv),
            "xlsx" => Some(ExportFormat::Xlsx),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// A share as a percentage with two decimals, e.g. 2.19 for 35 of 1,600.
fn percent(p: &Progress) -> f64 {
    (p.share * 10_000.0).round() / 100.0
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "是"
    } else {
        "否"
    }
}

/// The label of a section's total row, and of the rows under it that compare it with the
/// total the notice printed (2020 city-level units: rows 8,417, printed 8,517).
pub const TOTAL_LABEL: &str = "合计";
pub const PRINTED_LABEL: &str = "通知印刷合计";
pub const DIFFERENCE_LABEL: &str = "差额(印刷合计−各行合计)";

/// The summary's note on a section whose printed total differs from its rows, e.g.
/// 注：市直各单位各行合计8417人次，通知印刷合计8517人次，相差100人次；本表按各行统计，未作更正。
pub fn difference_note(s: &SectionProgress) -> Option<String> {
    let (printed, diff) = (s.printed_total?, s.difference()?);
    (diff != 0).then(|| {
        format!(
            "注：{}各行合计{}人次，通知印刷合计{printed}人次，相差{diff}人次；本表按各行统计，未作更正。",
            s.section.label_zh(),
            s.progress.quota
        )
    })
}

pub fn render(f: &Fulfilment, format: ExportFormat) -> Result<Vec<u8>, ServiceError> {
    match format {
        ExportFormat::Csv => csv(f),
        ExportFormat::Xlsx => xlsx(f),
    }
}

/// A text cell a spreadsheet will not run: one that begins with `=`, `+`, `-`, `@`, a tab or
/// a carriage return is prefixed with `'`, as OWASP advises against CSV injection (a holder
/// named `=HYPERLINK(…)` would otherwise become a live link). Numbers are written by us and
/// stay as they are; the xlsx writes names as strings, never as formulas.
fn text_cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

/// UTF-8 with a byte-order mark: without it Excel reads the Chinese headers as GBK.
pub fn csv(f: &Fulfilment) -> Result<Vec<u8>, ServiceError> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let internal = |e: csv::Error| ServiceError::Internal(e.to_string());
        w.write_record(UNIT_HEADERS).map_err(internal)?;
        for u in &f.units {
            let p = &u.progress;
            let holder = [text_cell(u.section.label_zh()), u.seq.to_string(), text_cell(&u.name)];
            let rest = [yes_no(p.behind_schedule).to_owned(), f.as_of.to_string()];
            w.write_record(holder.into_iter().chain(figure_texts(p)).chain(rest)).map_err(internal)?;
        }
        // Each section's totals under the holders: the rows' sum, the printed total, the gap.
        for s in &f.by_section {
            let label = s.section.label_zh().to_owned();
            let total = [label.clone(), String::new(), TOTAL_LABEL.to_owned()];
            let rest = [String::new(), f.as_of.to_string()];
            w.write_record(total.into_iter().chain(figure_texts(&s.progress)).chain(rest))
                .map_err(internal)?;
            if let (Some(printed), Some(diff)) = (s.printed_total, s.difference()) {
                for (what, n) in [(PRINTED_LABEL, printed), (DIFFERENCE_LABEL, diff)] {
                    let mut record = vec![String::new(); UNIT_HEADERS.len()];
                    record[0] = label.clone();
                    record[2] = what.to_owned();
                    record[3] = n.to_string();
                    w.write_record(&record).map_err(internal)?;
                }
            }
        }
        w.flush().map_err(|e| ServiceError::Internal(e.to_string()))?;
    }
    Ok(out)
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> ServiceError {
    ServiceError::Internal(format!("xlsx: {e}"))
}

/// A summary sheet (city and sections against the notice's targets), then a sheet per section.
pub fn xlsx(f: &Fulfilment) -> Result<Vec<u8>, ServiceError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let summary = book.add_worksheet();
    summary.set_name("汇总").map_err(xlsx_error)?;
    let title = format!("{} 年团体无偿献血计划完成情况 (统计截至 {})", f.plan.year, f.as_of);
    summary.write_string_with_format(0, 0, &title, &bold).map_err(xlsx_error)?;
    let headers = ["范围"].into_iter().chain(FIGURE_HEADERS).chain([PRINTED_LABEL, DIFFERENCE_LABEL]);
    for (c, h) in headers.enumerate() {
        summary.write_string_with_format(2, c as u16, h, &bold).map_err(xlsx_error)?;
    }
    let mut row = 3u32;
    for s in &f.by_section {
        summary_row(summary, s.section.label_zh(), &s.progress, row).map_err(xlsx_error)?;
        if let (Some(printed), Some(diff)) = (s.printed_total, s.difference()) {
            summary.write_number(row, 8, printed as f64).map_err(xlsx_error)?;
            summary.write_number(row, 9, diff as f64).map_err(xlsx_error)?;
        }
        row += 1;
    }
    summary_row(summary, "团体计划合计", &f.city, row).map_err(xlsx_error)?;
    row += 2;
    for note in f.by_section.iter().filter_map(difference_note) {
        summary.write_string(row, 0, note).map_err(xlsx_error)?;
        row += 1;
    }
    row += 1;
    let targets = [
        ("全市献血人次目标", f.plan.donation_target, f.city.collected_donations),
        ("全市献血量目标(毫升)", f.plan.volume_target_ml, f.city.collected_volume_ml),
    ];
    for (label, target, collected) in targets {
        summary.write_string(row, 0, label).map_err(xlsx_error)?;
        if let Some(t) = target {
            summary.write_number(row, 1, t as f64).map_err(xlsx_error)?;
        }
        summary.write_number(row, 3, collected as f64).map_err(xlsx_error)?;
        row += 1;
    }

    for s in &f.by_section {
        let sheet = book.add_worksheet();
        sheet.set_name(s.section.label_zh()).map_err(xlsx_error)?;
        for (c, h) in UNIT_HEADERS.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, *h, &bold).map_err(xlsx_error)?;
        }
        let units = f.units.iter().filter(|u| u.section == s.section);
        let mut r = 1u32;
        for u in units {
            unit_row(sheet, r, u, f).map_err(xlsx_error)?;
            r += 1;
        }
        total_rows(sheet, r, s, f, &bold).map_err(xlsx_error)?;
        sheet.set_column_width(2, 30).map_err(xlsx_error)?;
    }
    book.save_to_buffer().map_err(xlsx_error)
}

fn summary_row(
    summary: &mut Worksheet,
    label: &str,
    p: &Progress,
    row: u32,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    summary.write_string(row, 0, label)?;
    for (c, n) in figures(p).into_iter().enumerate() {
        summary.write_number(row, 1 + c as u16, n)?;
    }
    summary.write_string(row, 7, yes_no(p.behind_schedule))?;
    Ok(())
}

/// A section sheet's last rows: 合计 (the rows' sum), then the printed total and the gap.
fn total_rows(
    sheet: &mut Worksheet,
    r: u32,
    s: &SectionProgress,
    f: &Fulfilment,
    bold: &Format,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    let p = &s.progress;
    sheet.write_string_with_format(r, 0, s.section.label_zh(), bold)?;
    sheet.write_string_with_format(r, 2, TOTAL_LABEL, bold)?;
    for (c, n) in figures(p).into_iter().enumerate() {
        sheet.write_number_with_format(r, 3 + c as u16, n, bold)?;
    }
    sheet.write_string(r, 10, f.as_of.to_string())?;
    if let (Some(printed), Some(diff)) = (s.printed_total, s.difference()) {
        for (i, (what, n)) in [(PRINTED_LABEL, printed), (DIFFERENCE_LABEL, diff)].into_iter().enumerate() {
            let row = r + 1 + i as u32;
            sheet.write_string(row, 0, s.section.label_zh())?;
            sheet.write_string(row, 2, what)?;
            sheet.write_number(row, 3, n as f64)?;
        }
    }
    Ok(())
}

fn unit_row(
    sheet: &mut Worksheet,
    r: u32,
    u: &UnitProgress,
    f: &Fulfilment,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    let p = &u.progress;
    sheet.write_string(r, 0, u.section.label_zh())?;
    sheet.write_number(r, 1, f64::from(u.seq))?;
    sheet.write_string(r, 2, &u.name)?;
    for (c, n) in figures(p).into_iter().enumerate() {
        sheet.write_number(r, 3 + c as u16, n)?;
    }
    sheet.write_string(r, 9, yes_no(p.behind_schedule))?;
    sheet.write_string(r, 10, f.as_of.to_string())?;
    Ok(())
}
