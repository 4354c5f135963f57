//! The emails bloodplan sends, as pure functions from facts to subject, text and HTML.
//!
//! The bodies are askama templates in `src/email/templates`: a plain-text one (`.txt`, values
//! as they are) and an HTML one (`.html`, every value escaped: unit names and notes are
//! typed by people) for each email, both reading the same facts.
use chrono::NaiveDate;

use super::config::OfficeContact;
use super::format::{date_weekday_zh, date_zh, email_bodies, percent, render, tables, Align, Tables};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Before each term a university books a vehicle (各高校在每学期开学前提前预约采血车进校).
#[derive(Debug, Clone)]
pub struct TermReminder {
    pub unit_name: String,
    pub liaison_name: Option<String>,
    /// e.g. `2020年春季学期`
    pub term_label: String,
    pub term_start: NaiveDate,
    /// Donations still to collect this year; zero or less once the quota is met.
    pub remaining_quota: i64,
    /// Bookable sessions: date, vehicle, session label (e.g. 上午).
    pub free_sessions: Vec<(NaiveDate, String, String)>,
    /// How to book, e.g. a web address or the office phone.
    pub booking_hint: String,
}

/// What both bodies of a term reminder read.
struct TermMail<'a> {
    r: &'a TermReminder,
    office: &'a OfficeContact,
    subject: &'a str,
    greeting: String,
    start: String,
    /// Date with weekday, session label, vehicle.
    sessions: Vec<(String, &'a str, &'a str)>,
}

email_bodies!(TermMail => TermText = "term_reminder.txt", TermHtml = "term_reminder.html");

pub fn term_reminder(r: &TermReminder, office: &OfficeContact) -> RenderedEmail {
    let subject = format!("【{}】{}：{}开学前请预约采血车", office.name, r.unit_name, r.term_label);
    let m = TermMail {
        r,
        office,
        subject: &subject,
        greeting: greeting(&r.unit_name, r.liaison_name.as_deref()),
        start: date_zh(r.term_start),
        sessions: r
            .free_sessions
            .iter()
            .map(|(date, vehicle, label)| (date_weekday_zh(*date), label.as_str(), vehicle.as_str()))
            .collect(),
    };
    render(&subject, &TermText { m: &m }, &TermHtml { m: &m })
}

/// Who may donate, as the rules in force on the visit date say: the limits change over
/// time (a 2025 draft proposes 18 to 65), so they come from the caller, not from here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DonorAges {
    pub min: u32,
    pub max: u32,
    /// For a repeat donor with no earlier adverse reaction.
    pub max_repeat: u32,
}

impl DonorAges {
    /// As the 2020 notice states them, after the Blood Donation Law.
    pub const NOTICE_2020: DonorAges = DonorAges { min: 18, max: 55, max_repeat: 60 };
}

/// A few days before a vehicle visits a unit: what to prepare.
#[derive(Debug, Clone)]
pub struct VisitReminder {
    pub unit_name: String,
    pub liaison_name: Option<String>,
    pub date: NaiveDate,
    /// e.g. 上午
    pub session_label: String,
    pub vehicle_name: String,
    pub expected_donors: i64,
    /// Who meets the vehicle on site, e.g. `王老师 13800000000`.
    pub site_contact: Option<String>,
    pub note: Option<String>,
    pub donor_ages: DonorAges,
    /// The web page where the liaison moves or cancels the visit.
    pub manage_url: String,
}

struct VisitMail<'a> {
    v: &'a VisitReminder,
    office: &'a OfficeContact,
    subject: &'a str,
    greeting: String,
    /// `2020年3月2日（星期一）上午`
    when: String,
}

email_bodies!(VisitMail => VisitText = "visit_reminder.txt", VisitHtml = "visit_reminder.html");

pub fn visit_reminder(v: &VisitReminder, office: &OfficeContact) -> RenderedEmail {
    let when = format!("{}{}", date_weekday_zh(v.date), v.session_label);
    let subject = format!("【{}】{}：采血车将于{when}到访，请做好准备", office.name, v.unit_name);
    let greeting = greeting(&v.unit_name, v.liaison_name.as_deref());
    let m = VisitMail { v, office, subject: &subject, greeting, when };
    render(&subject, &VisitText { m: &m }, &VisitHtml { m: &m })
}

/// The office's weekly look at who is behind schedule.
#[derive(Debug, Clone)]
pub struct Digest {
    pub as_of: NaiveDate,
    pub year: i32,
    /// How many percentage points a holder may trail the year before it counts as behind.
    pub margin_points: i64,
    /// The holders behind schedule, in the order to show them: the caller decides who is.
    pub rows: Vec<DigestRow>,
    /// Once the year's breakdown deadline has passed: the deadline, and the holders asked
    /// for a breakdown that have not submitted one (name, quota), in table order.
    pub overdue_breakdowns: Option<(NaiveDate, Vec<(String, i64)>)>,
}

#[derive(Debug, Clone)]
pub struct DigestRow {
    pub name: String,
    pub section_label: String,
    pub quota: i64,
    /// Donations collected (人次), as the fulfilment counts them.
    pub collected: i64,
    pub remaining: i64,
    /// collected / quota, in percent
    pub share_percent: f64,
    /// Where the holder should be by `as_of`, in percent.
    pub expected_percent: f64,
}

struct DigestMail<'a> {
    d: &'a Digest,
    office: &'a OfficeContact,
    subject: &'a str,
    as_of: String,
    tables: Tables,
    /// The deadline, how many holders missed it and their table (none when nobody did).
    overdue: Option<(String, usize, Tables)>,
}

email_bodies!(DigestMail => DigestText = "digest.txt", DigestHtml = "digest.html");

pub fn behind_schedule_digest(d: &Digest, office: &OfficeContact) -> RenderedEmail {
    let as_of = date_zh(d.as_of);
    let status = if d.rows.is_empty() {
        "全部单位按进度推进".to_owned()
    } else {
        format!("{}个单位落后于进度", d.rows.len())
    };
    let overdue =
        d.overdue_breakdowns.as_ref().filter(|(_, holders)| !holders.is_empty()).map(|(due, holders)| {
            let cells: Vec<Vec<String>> =
                holders.iter().map(|(name, quota)| vec![name.clone(), quota.to_string()]).collect();
            (
                date_zh(*due),
                holders.len(),
                tables(&["单位", "计划人数"], &[Align::Left, Align::Right], &cells),
            )
        });
    let late = match &overdue {
        Some((_, n, _)) => format!("；{n}个单位逾期未上报分解计划"),
        None => String::new(),
    };
    let subject = format!("【{}】{}年献血计划进度周报（截至{as_of}）：{status}{late}", office.name, d.year);
    const HEADER: [&str; 8] = ["单位", "计划安排", "计划人数", "已采集", "剩余", "完成率", "应完成", "差距"];
    const ALIGN: [Align; 8] = {
        use Align::{Left, Right};
        [Left, Left, Right, Right, Right, Right, Right, Right]
    };
    let cells: Vec<Vec<String>> = d
        .rows
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                r.section_label.clone(),
                r.quota.to_string(),
                r.collected.to_string(),
                r.remaining.to_string(),
                percent(r.share_percent),
                percent(r.expected_percent),
                percent(r.expected_percent - r.share_percent),
            ]
        })
        .collect();
    let m =
        DigestMail { d, office, subject: &subject, as_of, tables: tables(&HEADER, &ALIGN, &cells), overdue };
    render(&subject, &DigestText { m: &m }, &DigestHtml { m: &m })
}

/// After the year's deadline, to a holder asked for a breakdown plan (分解计划) that has not
/// submitted one.
#[derive(Debug, Clone)]
pub struct BreakdownReminder {
    pub unit_name: String,
    pub liaison_name: Option<String>,
    pub year: i32,
    /// The holder's quota in the year's plan, in donations.
    pub quota: i64,
    pub due_on: NaiveDate,
    /// The web app page where the liaison signs in (its 分解计划 page is reached from there).
    pub page_url: String,
}

struct BreakdownMail<'a> {
    r: &'a BreakdownReminder,
    office: &'a OfficeContact,
    subject: &'a str,
    greeting: String,
    due: String,
}

email_bodies!(BreakdownMail => BreakdownText = "breakdown_reminder.txt", BreakdownHtml = "breakdown_reminder.html");

pub fn breakdown_reminder(r: &BreakdownReminder, office: &OfficeContact) -> RenderedEmail {
    let due = date_zh(r.due_on);
    let subject = format!(
        "【{}】{}：{}年献血分解计划已过上报截止日期（{due}），请尽快上报",
        office.name, r.unit_name, r.year
    );
    let m = BreakdownMail {
        r,
        office,
        subject: &subject,
        greeting: greeting(&r.unit_name, r.liaison_name.as_deref()),
        due,
    };
    render(&subject, &BreakdownText { m: &m }, &BreakdownHtml { m: &m })
}

/// `张老师` when the liaison is known, otherwise the unit's liaison in general.
pub(super) fn greeting(unit_name: &str, liaison_name: Option<&str>) -> String {
    match liaison_name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => name.to_owned(),
        None => format!("{unit_name}献血工作联络员"),
    }
}

#[cfg(test)]
#[path = "templates_tests.rs"]
mod tests;
