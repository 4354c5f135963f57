//! The small pieces every template shares: Chinese dates, HTML escaping, the footer, the
//! page around an HTML body, and plain-text tables that line up in a monospace font.
use chrono::{Datelike, NaiveDate};

use super::config::OfficeContact;
use crate::domain::work_calendar::weekday_zh;

/// `2020年2月24日`
pub fn date_zh(date: NaiveDate) -> String {
    format!("{}年{}月{}日", date.year(), date.month(), date.day())
}

/// `2020年3月2日（星期一）`
pub fn date_weekday_zh(date: NaiveDate) -> String {
    format!("{}（{}）", date_zh(date), weekday_zh(date))
}

/// `17.9%`; a share of a zero quota has no meaning and shows as `-`.
pub fn percent(value: f64) -> String {
    if value.is_finite() {
        format!("{value:.1}%")
    } else {
        "-".to_owned()
    }
}

/// Escapes text for HTML element content and quoted attribute values alike.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes, then keeps the line breaks a person typed into a note.
pub fn escape_html_lines(text: &str) -> String {
    escape_html(text).replace('\n', "<br>")
}

pub fn footer_text(office: &OfficeContact) -> String {
    format!(
        "--\n{}\n电话：{}\n邮箱：{}\n本邮件由系统自动发送；如有疑问，请致电或发邮件与我们联系。\n",
        office.name, office.phone, office.email
    )
}

/// A complete HTML document with inline styles only, since mail clients drop `<style>`.
pub fn html_page(title: &str, body: &str, office: &OfficeContact) -> String {
    let (name, phone, email) =
        (escape_html(&office.name), escape_html(&office.phone), escape_html(&office.email));
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body style=\"font-family:'Microsoft YaHei','PingFang SC',sans-serif;font-size:14px;line-height:1.7;color:#222\">\n\
         {body}\
         <hr style=\"border:none;border-top:1px solid #ccc;margin-top:24px\">\n\
         <p style=\"color:#555;font-size:13px\">{name}<br>电话：{phone}<br>邮箱：<a href=\"mailto:{email}\">{email}</a><br>\
         本邮件由系统自动发送；如有疑问，请致电或发邮件与我们联系。</p>\n</body>\n</html>\n",
        title = escape_html(title),
    )
}

/// Columns a Chinese monospace font shows: CJK and full-width characters take two.
pub fn display_width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// Lays rows out in columns two spaces apart, each as wide as its widest cell.
pub fn text_table(header: &[&str], align: &[Align], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| display_width(h)).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(display_width(cell));
        }
    }
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            let pad = " ".repeat(widths[i].saturating_sub(display_width(cell)));
            if i > 0 {
                line.push_str("  ");
            }
            match align.get(i).copied().unwrap_or(Align::Left) {
                Align::Left => line.extend([cell.as_str(), pad.as_str()]),
                Align::Right => line.extend([pad.as_str(), cell.as_str()]),
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The same table in HTML, bordered with inline styles; `align` right-aligns number columns.
pub fn html_table(header: &[&str], align: &[Align], rows: &[Vec<String>]) -> String {
    const CELL: &str = "border:1px solid #999;padding:4px 8px";
    let mut out = String::from("<table style=\"border-collapse:collapse\">\n<thead><tr>");
    for h in header {
        out.push_str(&format!("<th style=\"{CELL};background:#f2f2f2\">{}</th>", escape_html(h)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let right = align.get(i) == Some(&Align::Right);
            let style = if right { ";text-align:right" } else { "" };
            out.push_str(&format!("<td style=\"{CELL}{style}\">{}</td>", escape_html(cell)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn dates_read_the_chinese_way_without_leading_zeros() {
        assert_eq!(date_zh(date(2020, 2, 24)), "2020年2月24日");
        assert_eq!(date_weekday_zh(date(2020, 3, 2)), "2020年3月2日（星期一）");
        assert_eq!(date_weekday_zh(date(2020, 6, 14)), "2020年6月14日（星期日）");
    }

    #[test]
    fn every_markup_character_is_escaped() {
        assert_eq!(escape_html(r#"<b>&"'"#), "&lt;b&gt;&amp;&quot;&#39;");
        assert_eq!(escape_html_lines("a<\nb"), "a&lt;<br>b");
    }

    #[test]
    fn percentages_have_one_decimal_and_nonsense_shows_as_a_dash() {
        assert_eq!(percent(17.857), "17.9%");
        assert_eq!(percent(f64::NAN), "-");
    }

    #[test]
    fn chinese_cells_count_double_so_columns_line_up() {
        let table = text_table(
            &["单位", "人数"],
            &[Align::Left, Align::Right],
            &[vec!["湖北科技学院".into(), "2800".into()], vec!["ABC".into(), "5".into()]],
        );
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines, ["单位          人数", "湖北科技学院  2800", "ABC              5"]);
        assert!(lines.iter().all(|l| display_width(l) == display_width(lines[0])));
    }
}
