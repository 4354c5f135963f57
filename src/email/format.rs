//! The small pieces every email shares: Chinese dates, percentages, rendering the two
//! bodies, and tables, in plain text that lines up in a monospace font and in HTML.
use askama::Template;
use chrono::{Datelike, NaiveDate};

use super::templates::RenderedEmail;
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

/// The two body templates of one email (`$name.txt` and `$name.html` in
/// `src/email/templates`), both reading the same facts as `m`.
macro_rules! email_bodies {
    ($mail:ident => $text:ident = $text_path:tt, $html:ident = $html_path:tt) => {
        #[derive(askama::Template)]
        #[template(path = $text_path)]
        struct $text<'a> {
            m: &'a $mail<'a>,
        }

        #[derive(askama::Template)]
        #[template(path = $html_path)]
        struct $html<'a> {
            m: &'a $mail<'a>,
        }
    };
}
pub(super) use email_bodies;

/// An email's two bodies rendered from their templates; `subject` is the HTML page's title
/// too (`email_page.html`).
pub fn render(subject: &str, text: &impl Template, html: &impl Template) -> RenderedEmail {
    RenderedEmail { subject: subject.to_owned(), text: body(text), html: body(html) }
}

fn body(template: &impl Template) -> String {
    // Rendering into a String fails only when a value's Display does; none of these can.
    template.render().expect("an email template renders into a String")
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

/// One table as both bodies show it.
pub struct Tables {
    pub text: String,
    pub html: String,
}

pub fn tables(header: &[&str], align: &[Align], rows: &[Vec<String>]) -> Tables {
    Tables { text: text_table(header, align, rows), html: html_table(header, align, rows) }
}

/// The same table in HTML, bordered with inline styles; `align` right-aligns number columns.
pub fn html_table(header: &[&str], align: &[Align], rows: &[Vec<String>]) -> String {
    body(&HtmlTable { header, align, rows })
}

#[derive(Template)]
#[template(path = "email_table.html")]
struct HtmlTable<'a> {
    header: &'a [&'a str],
    align: &'a [Align],
    rows: &'a [Vec<String>],
}

impl HtmlTable<'_> {
    fn right(&self, column: &usize) -> bool {
        self.align.get(*column) == Some(&Align::Right)
    }
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
