//! Notices to a holder when the office confirms, moves or cancels one of its visits, or
//! publishes a schedule of them.
use chrono::NaiveDate;

use super::config::OfficeContact;
use super::format::{date_weekday_zh, email_bodies, render};
use super::templates::{greeting, RenderedEmail};

/// One arrangement of a visit as the holder reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrangement {
    pub date: NaiveDate,
    /// e.g. 上午
    pub session_label: String,
    pub vehicle_name: String,
    pub expected_donors: i64,
}

impl Arrangement {
    /// `2020年3月2日（星期一）上午，采血车鄂L采血01，预计献血 20 人次`
    fn line(&self) -> String {
        format!(
            "{}{}，采血车{}，预计献血 {} 人次",
            date_weekday_zh(self.date),
            self.session_label,
            self.vehicle_name,
            self.expected_donors
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VisitChange {
    Confirmed,
    Moved { from: Arrangement },
    Cancelled { reason: String },
}

#[derive(Debug, Clone)]
pub struct VisitNotice {
    pub unit_name: String,
    pub liaison_name: Option<String>,
    /// The visit as it stands after the change (for a cancel: as it was).
    pub visit: Arrangement,
    pub change: VisitChange,
}

pub fn visit_notice(n: &VisitNotice, office: &OfficeContact) -> RenderedEmail {
    let when = format!("{}{}", date_weekday_zh(n.visit.date), n.visit.session_label);
    let (what, subject_what) = match &n.change {
        VisitChange::Confirmed => ("已确认", format!("{when}的采血活动已确认")),
        VisitChange::Moved { .. } => ("已调整", format!("采血活动已改至{when}")),
        VisitChange::Cancelled { .. } => ("已取消", format!("{when}的采血活动已取消")),
    };
    let subject = format!("【{}】{}：{subject_what}", office.name, n.unit_name);
    let mut lines = vec![format!("{}{what}{}的团体无偿献血采血活动安排。", office.name, n.unit_name)];
    match &n.change {
        VisitChange::Confirmed => lines.push(format!("安排：{}。", n.visit.line())),
        VisitChange::Moved { from } => {
            lines.push(format!("原安排：{}。", from.line()));
            lines.push(format!("新安排：{}。", n.visit.line()));
        }
        VisitChange::Cancelled { reason } => {
            lines.push(format!("已取消的安排：{}。", n.visit.line()));
            lines.push(format!("取消原因：{reason}"));
        }
    }
    let closing = match &n.change {
        VisitChange::Cancelled { .. } => {
            format!("如需重新预约，请登录献血计划系统或致电 {} 与{}联系。", office.phone, office.name)
        }
        _ => format!("如需调整时间，请尽早与{}联系。感谢贵单位对无偿献血事业的支持！", office.name),
    };
    let greeting = greeting(&n.unit_name, n.liaison_name.as_deref());
    let m = NoticeMail { office, subject: &subject, greeting, lines, closing };
    render(&subject, &NoticeText { m: &m }, &NoticeHtml { m: &m })
}

/// A published schedule: the visits the office has requested for one holder.
#[derive(Debug, Clone)]
pub struct ScheduleNotice {
    pub unit_name: String,
    pub liaison_name: Option<String>,
    pub year: i32,
    /// In date order.
    pub visits: Vec<Arrangement>,
}

pub fn schedule_notice(n: &ScheduleNotice, office: &OfficeContact) -> RenderedEmail {
    let count = n.visits.len();
    let donors: i64 = n.visits.iter().map(|v| v.expected_donors).sum();
    let subject = format!("【{}】{}：{}年采血活动安排（共 {count} 次）", office.name, n.unit_name, n.year);
    let mut lines = vec![format!(
        "{}为{}安排了{}年的团体无偿献血采血活动，共 {count} 次，预计献血 {donors} 人次：",
        office.name, n.unit_name, n.year
    )];
    lines.extend(n.visits.iter().enumerate().map(|(i, v)| format!("{}. {}。", i + 1, v.line())));
    let closing = format!(
        "以上安排已作为待确认的预约登记，确认后另行通知。如需调整时间，请登录献血计划系统改期，或致电 {} 与{}联系。感谢贵单位对无偿献血事业的支持！",
        office.phone, office.name
    );
    let greeting = greeting(&n.unit_name, n.liaison_name.as_deref());
    let m = NoticeMail { office, subject: &subject, greeting, lines, closing };
    render(&subject, &NoticeText { m: &m }, &NoticeHtml { m: &m })
}

struct NoticeMail<'a> {
    office: &'a OfficeContact,
    subject: &'a str,
    greeting: String,
    lines: Vec<String>,
    closing: String,
}

email_bodies!(NoticeMail => NoticeText = "visit_notice.txt", NoticeHtml = "visit_notice.html");
