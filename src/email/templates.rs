//! The emails bloodplan sends, as pure functions from facts to subject, text and HTML.
//!
//! Every interpolated value is HTML-escaped: unit names and notes are typed by people.
use chrono::NaiveDate;

use super::config::OfficeContact;
use super::format::{
    date_weekday_zh, date_zh, escape_html, escape_html_lines, footer_text, html_page, html_table, percent,
    text_table, Align,
};

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

pub fn term_reminder(r: &TermReminder, office: &OfficeContact) -> RenderedEmail {
    let subject = format!("【{}】{}：{}开学前请预约采血车", office.name, r.unit_name, r.term_label);
    let greeting = greeting(&r.unit_name, r.liaison_name.as_deref());
    let intro =
        "根据市政府年度团体无偿献血工作通知的要求，各高校在每学期开学前提前预约采血车进校开展献血活动。";
    let start = date_zh(r.term_start);
    let (progress_text, progress_html) = if r.remaining_quota > 0 {
        let line = |unit: &str, n: &str| {
            format!("{unit}{}将于{start}开学。贵单位本年度献血计划尚有 {n} 人次未完成，请在开学前预约采血车进校，以便我们提前安排车辆和采血人员。", r.term_label)
        };
        let n = r.remaining_quota.to_string();
        (line(&r.unit_name, &n), line(&escape_html(&r.unit_name), &format!("<strong>{n}</strong>")))
    } else {
        let line = |unit: &str| {
            format!("{unit}{}将于{start}开学。贵单位本年度献血计划已全部完成，感谢支持！如本学期仍计划组织献血活动，欢迎预约采血车。", r.term_label)
        };
        (line(&r.unit_name), line(&escape_html(&r.unit_name)))
    };
    let none_free =
        format!("目前暂无空闲的采血车场次，请致电 {} 与{}联系，我们将另行安排。", office.phone, office.name);
    let session = |(date, vehicle, label): &(NaiveDate, String, String)| {
        (date_weekday_zh(*date), label.clone(), vehicle.clone())
    };

    let mut text = format!("{greeting}：您好！\n\n{intro}\n\n{progress_text}\n\n");
    if r.free_sessions.is_empty() {
        text.push_str(&format!("{none_free}\n\n"));
    } else {
        text.push_str("目前可以预约的采血车场次：\n");
        for (date, label, vehicle) in r.free_sessions.iter().map(session) {
            text.push_str(&format!("- {date} {label} {vehicle}\n"));
        }
        text.push('\n');
    }
    text.push_str(&format!(
        "预约方式：{}\n\n感谢贵单位对无偿献血事业的支持！\n\n{}",
        r.booking_hint,
        footer_text(office)
    ));

    let mut body =
        format!("<p>{}：您好！</p>\n<p>{intro}</p>\n<p>{progress_html}</p>\n", escape_html(&greeting));
    if r.free_sessions.is_empty() {
        body.push_str(&format!("<p>{}</p>\n", escape_html(&none_free)));
    } else {
        body.push_str("<p>目前可以预约的采血车场次：</p>\n<ul>\n");
        for (date, label, vehicle) in r.free_sessions.iter().map(session) {
            body.push_str(&format!("<li>{date} {} {}</li>\n", escape_html(&label), escape_html(&vehicle)));
        }
        body.push_str("</ul>\n");
    }
    body.push_str(&format!(
        "<p>预约方式：{}</p>\n<p>感谢贵单位对无偿献血事业的支持！</p>\n",
        escape_html_lines(&r.booking_hint)
    ));
    let html = html_page(&subject, &body, office);
    RenderedEmail { subject, text, html }
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

pub fn visit_reminder(v: &VisitReminder, office: &OfficeContact) -> RenderedEmail {
    let when = format!("{}{}", date_weekday_zh(v.date), v.session_label);
    let subject = format!("【{}】{}：采血车将于{when}到访，请做好准备", office.name, v.unit_name);
    let greeting = greeting(&v.unit_name, v.liaison_name.as_deref());
    let announce = |unit: &str, vehicle: &str, when: &str| {
        format!(
            "市中心血站采血车（{vehicle}）将于{when}到{unit}开展团体无偿献血活动，预计献血 {} 人次。请提前做好以下准备：",
            v.expected_donors
        )
    };
    let ages = v.donor_ages;
    let mut items = vec![
        "场地：为采血车预留停车位置，并安排一处室内场地，供献血者登记、填表、体检和献血后休息。".to_owned(),
        format!(
            "献血者：年龄{}至{}周岁的健康公民；既往无献血反应、符合健康检查要求的多次献血者，可延长至{}周岁。",
            ages.min, ages.max, ages.max_repeat
        ),
        "证件：献血者请携带本人身份证。".to_owned(),
        "身体准备：献血前一天请勿饮酒，保证充足睡眠；献血当天请吃清淡饮食，不要空腹，避免油腻食物。".to_owned(),
    ];
    let mut items_html: Vec<String> = items.iter().map(|i| escape_html(i)).collect();
    if let Some(contact) = &v.site_contact {
        items.push(format!("现场联系人：{contact}"));
        items_html.push(format!("现场联系人：{}", escape_html(contact)));
    }
    let closing = format!(
        "如需调整时间，请登录 {} 改期或取消，或尽早与{}联系。感谢贵单位对无偿献血事业的支持！",
        v.manage_url, office.name
    );

    let mut text = format!("{greeting}：您好！\n\n{}\n\n", announce(&v.unit_name, &v.vehicle_name, &when));
    for (i, item) in items.iter().enumerate() {
        text.push_str(&format!("{}. {item}\n", i + 1));
    }
    if let Some(note) = &v.note {
        text.push_str(&format!("\n备注：{note}\n"));
    }
    text.push_str(&format!("\n{closing}\n\n{}", footer_text(office)));

    let when_html = format!("<strong>{}</strong>", escape_html(&when));
    let mut body = format!(
        "<p>{}：您好！</p>\n<p>{}</p>\n<ol>\n",
        escape_html(&greeting),
        announce(&escape_html(&v.unit_name), &escape_html(&v.vehicle_name), &when_html)
    );
    for item in &items_html {
        body.push_str(&format!("<li>{item}</li>\n"));
    }
    body.push_str("</ol>\n");
    if let Some(note) = &v.note {
        body.push_str(&format!("<p>备注：{}</p>\n", escape_html_lines(note)));
    }
    body.push_str(&format!("<p>{}</p>\n", escape_html(&closing)));
    let html = html_page(&subject, &body, office);
    RenderedEmail { subject, text, html }
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

pub fn behind_schedule_digest(d: &Digest, office: &OfficeContact) -> RenderedEmail {
    let as_of = date_zh(d.as_of);
    let status = if d.rows.is_empty() {
        "全部单位按进度推进".to_owned()
    } else {
        format!("{}个单位落后于进度", d.rows.len())
    };
    let subject = format!("【{}】{}年献血计划进度周报（截至{as_of}）：{status}", office.name, d.year);
    let summary = if d.rows.is_empty() {
        format!("截至{as_of}，{}年献血计划的各单位均已达到时间进度，没有落后的单位。", d.year)
    } else {
        format!(
            "截至{as_of}，以下 {} 个单位的{}年献血计划完成率落后于时间进度超过{}个百分点：",
            d.rows.len(),
            d.year,
            d.margin_points
        )
    };
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
    let note = format!(
        "已采集为截至当日的采血记录人次；完成率 = 已采集 / 计划人数；应完成为全年已过天数的比例；\
         差距为应完成与完成率之差（百分点），超过{}个百分点的单位列为落后。",
        d.margin_points
    );

    let mut text = format!("市献血办各位同事：您好！\n\n{summary}\n\n");
    if !cells.is_empty() {
        text.push_str(&text_table(&HEADER, &ALIGN, &cells));
        text.push_str(&format!("\n{note}\n\n"));
    }
    text.push_str(&footer_text(office));

    let mut body = format!("<p>市献血办各位同事：您好！</p>\n<p>{}</p>\n", escape_html(&summary));
    if !cells.is_empty() {
        body.push_str(&html_table(&HEADER, &ALIGN, &cells));
        body.push_str(&format!("<p style=\"color:#555;font-size:13px\">{note}</p>\n"));
    }
    let html = html_page(&subject, &body, office);
    RenderedEmail { subject, text, html }
}

/// `张老师` when the liaison is known, otherwise the unit's liaison in general.
fn greeting(unit_name: &str, liaison_name: Option<&str>) -> String {
    match liaison_name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => name.to_owned(),
        None => format!("{unit_name}献血工作联络员"),
    }
}

#[cfg(test)]
#[path = "templates_tests.rs"]
mod tests;
