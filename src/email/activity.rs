//! The office's daily digest of what liaisons booked, moved and withdrew: one email a day
//! instead of one per event, so the office sees at a glance which requests wait for it.
use chrono::NaiveDate;

use super::config::OfficeContact;
use super::format::{date_zh, email_bodies, render, tables, Align, Tables};
use super::templates::RenderedEmail;

/// What a liaison did to a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiaisonAction {
    Booked,
    Moved,
    Withdrew,
}

impl LiaisonAction {
    fn label_zh(self) -> &'static str {
        match self {
            LiaisonAction::Booked => "新预约",
            LiaisonAction::Moved => "改期",
            LiaisonAction::Withdrew => "撤回",
        }
    }
}

/// One liaison action, with the visit as it stands now.
#[derive(Debug, Clone)]
pub struct ActivityRow {
    /// When it happened, Beijing time: `3月2日 09:15`
    pub at: String,
    pub action: LiaisonAction,
    pub unit_name: String,
    /// The visit's date and session: `2020年3月5日（星期四）上午`
    pub visit: String,
    pub vehicle_name: String,
    pub expected_donors: i64,
    /// 待确认, 已确认, 已取消 …
    pub status_label: String,
    /// The liaison's username.
    pub by: String,
}

#[derive(Debug, Clone)]
pub struct ActivityDigest {
    /// The first and the last day covered.
    pub from: NaiveDate,
    pub until: NaiveDate,
    /// Oldest first.
    pub rows: Vec<ActivityRow>,
    /// Actions in the window beyond the rows shown (the email stays readable).
    pub omitted: u64,
    /// Where the office confirms requested visits.
    pub calendar_url: String,
}

pub fn activity_digest(d: &ActivityDigest, office: &OfficeContact) -> RenderedEmail {
    let period = if d.from == d.until {
        date_zh(d.from)
    } else {
        format!("{}至{}", date_zh(d.from), date_zh(d.until))
    };
    let count = |action: LiaisonAction| d.rows.iter().filter(|r| r.action == action).count();
    let counts = format!(
        "新预约 {} 个，改期 {} 个，撤回 {} 个",
        count(LiaisonAction::Booked),
        count(LiaisonAction::Moved),
        count(LiaisonAction::Withdrew)
    );
    let subject = format!("【{}】联络员预约动态（{period}）：{counts}", office.name);
    let mut summary = format!("{period}，各单位联络员在献血计划系统中{counts}，明细如下");
    if d.omitted > 0 {
        summary.push_str(&format!("（另有 {} 条未列出，请登录系统查看）", d.omitted));
    }
    summary.push('。');
    const HEADER: [&str; 8] =
        ["时间", "操作", "单位", "采血日期", "采血车", "预计人数", "当前状态", "经办人"];
    const ALIGN: [Align; 8] = {
        use Align::{Left, Right};
        [Left, Left, Left, Left, Left, Right, Left, Left]
    };
    let cells: Vec<Vec<String>> = d
        .rows
        .iter()
        .map(|r| {
            vec![
                r.at.clone(),
                r.action.label_zh().to_owned(),
                r.unit_name.clone(),
                r.visit.clone(),
                r.vehicle_name.clone(),
                r.expected_donors.to_string(),
                r.status_label.clone(),
                r.by.clone(),
            ]
        })
        .collect();
    let m = ActivityMail { d, office, subject: &subject, summary, tables: tables(&HEADER, &ALIGN, &cells) };
    render(&subject, &ActivityText { m: &m }, &ActivityHtml { m: &m })
}

struct ActivityMail<'a> {
    d: &'a ActivityDigest,
    office: &'a OfficeContact,
    subject: &'a str,
    summary: String,
    tables: Tables,
}

email_bodies!(ActivityMail => ActivityText = "activity_digest.txt", ActivityHtml = "activity_digest.html");

#[cfg(test)]
mod tests {
    use super::*;

    fn office() -> OfficeContact {
        OfficeContact {
            name: "咸宁市献血办".into(),
            phone: "0715-8888888".into(),
            email: "xianxue@example.cn".into(),
        }
    }

    fn row(action: LiaisonAction, unit_name: &str) -> ActivityRow {
        ActivityRow {
            at: "3月2日 09:15".into(),
            action,
            unit_name: unit_name.into(),
            visit: "2020年3月5日（星期四）上午".into(),
            vehicle_name: "鄂L采血01".into(),
            expected_donors: 40,
            status_label: "待确认".into(),
            by: "hbkd".into(),
        }
    }

    #[test]
    fn the_digest_counts_each_action_and_escapes_what_people_typed() {
        let d = ActivityDigest {
            from: "2020-02-28".parse().unwrap(),
            until: "2020-03-01".parse().unwrap(),
            rows: vec![
                row(LiaisonAction::Booked, "湖北科技学院"),
                row(LiaisonAction::Booked, "<b>咸宁职业技术学院</b>"),
                row(LiaisonAction::Withdrew, "湖北科技学院"),
            ],
            omitted: 2,
            calendar_url: "https://xianxue.example.cn/office/calendar".into(),
        };
        let email = activity_digest(&d, &office());
        assert_eq!(
            email.subject,
            "【咸宁市献血办】联络员预约动态（2020年2月28日至2020年3月1日）：新预约 2 个，改期 0 个，撤回 1 个"
        );
        assert!(email.text.contains("（另有 2 条未列出，请登录系统查看）。"), "{}", email.text);
        assert!(email.text.contains("\n3月2日 09:15  撤回    湖北科技学院  "), "{}", email.text);
        assert!(email.html.contains("&#60;b&#62;咸宁职业技术学院&#60;/b&#62;"));
        assert!(!email.html.contains("<b>咸宁"));
    }
}
