use super::*;
use crate::email::format::display_width;

fn office() -> OfficeContact {
    OfficeContact {
        name: "咸宁市献血办".into(),
        phone: "0715-8888888".into(),
        email: "xianning-blood@example.org".into(),
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn term(unit_name: &str) -> TermReminder {
    TermReminder {
        unit_name: unit_name.into(),
        liaison_name: Some("张老师".into()),
        term_label: "2020年春季学期".into(),
        term_start: date(2020, 2, 24),
        remaining_quota: 2800,
        free_sessions: vec![
            (date(2020, 2, 17), "1号采血车".into(), "上午".into()),
            (date(2020, 2, 18), "2号采血车".into(), "下午".into()),
        ],
        booking_hint: "登录 https://bloodplan.example.org 预约，或致电 0715-8888888".into(),
    }
}

fn assert_both(email: &RenderedEmail, needles: &[&str]) {
    for needle in needles {
        assert!(email.text.contains(needle), "text lacks {needle}:\n{}", email.text);
        assert!(email.html.contains(needle), "html lacks {needle}:\n{}", email.html);
    }
}

#[test]
fn a_term_reminder_names_the_unit_the_remaining_quota_the_term_start_and_the_free_sessions() {
    let email = term_reminder(&term("湖北科技学院"), &office());
    assert_eq!(email.subject, "【咸宁市献血办】湖北科技学院：2020年春季学期开学前请预约采血车");
    assert_both(
        &email,
        &[
            "张老师：您好！",
            "湖北科技学院",
            "2800",
            "2020年2月24日",
            "2020年2月17日（星期一） 上午 1号采血车",
            "2020年2月18日（星期二） 下午 2号采血车",
            "0715-8888888",
            "xianning-blood@example.org",
        ],
    );
    assert!(email.text.contains("各高校在每学期开学前提前预约采血车进校"));
}

#[test]
fn a_term_reminder_without_free_sessions_asks_the_unit_to_call_the_office() {
    let mut reminder = term("湖北科技学院");
    reminder.free_sessions.clear();
    reminder.liaison_name = None;
    let email = term_reminder(&reminder, &office());
    assert_both(&email, &["湖北科技学院献血工作联络员：您好！", "暂无空闲的采血车场次，请致电 0715-8888888"]);
    assert!(!email.html.contains("<ul>"));
}

#[test]
fn a_term_reminder_for_a_met_quota_thanks_instead_of_counting_down() {
    let mut reminder = term("咸宁职业技术学院");
    reminder.remaining_quota = 0;
    let email = term_reminder(&reminder, &office());
    assert_both(&email, &["已全部完成"]);
    assert!(!email.text.contains("人次未完成"));
}

/// askama escapes the `.html` bodies (as numeric entities) and leaves the `.txt` ones alone.
#[test]
fn unit_names_and_notes_are_escaped_in_html_but_kept_verbatim_in_text() {
    let email = term_reminder(&term("<b>&学院"), &office());
    assert!(email.text.contains("<b>&学院"));
    assert!(email.html.contains("&#60;b&#62;&#38;学院"), "{}", email.html);
    assert!(!email.html.contains("<b>"), "{}", email.html);

    let mut visit = visit();
    visit.unit_name = "<b>&".into();
    visit.note = Some("<script>alert(1)</script>\n第二行".into());
    let email = visit_reminder(&visit, &office());
    assert!(email.html.contains("&#60;b&#62;&#38;"));
    assert!(email.html.contains("&#60;script&#62;alert(1)&#60;/script&#62;<br>第二行"), "{}", email.html);
    assert!(!email.html.contains("<script>") && !email.html.contains("<b>"));
    assert!(email.text.contains("<script>alert(1)</script>\n第二行"));
}

fn visit() -> VisitReminder {
    VisitReminder {
        unit_name: "咸宁市中心医院".into(),
        liaison_name: Some("李主任".into()),
        date: date(2020, 3, 2),
        session_label: "上午".into(),
        vehicle_name: "1号采血车".into(),
        expected_donors: 80,
        site_contact: Some("王老师 13800000000".into()),
        note: None,
        donor_ages: DonorAges::NOTICE_2020,
        manage_url: "https://bloodplan.example.org/liaison".into(),
    }
}

#[test]
fn a_visit_reminder_gives_the_date_with_weekday_and_what_to_prepare() {
    let email = visit_reminder(&visit(), &office());
    assert_eq!(
        email.subject,
        "【咸宁市献血办】咸宁市中心医院：采血车将于2020年3月2日（星期一）上午到访，请做好准备"
    );
    assert_both(
        &email,
        &[
            "李主任：您好！",
            "2020年3月2日（星期一）上午",
            "1号采血车",
            "预计献血 80 人次",
            "年龄18至55周岁",
            "可延长至60周岁",
            "身份证",
            "请勿饮酒",
            "充足睡眠",
            "清淡饮食",
            "停车位置",
            "现场联系人：王老师 13800000000",
            "0715-8888888",
        ],
    );
    assert!(!email.text.contains("备注"));
}

#[test]
fn a_visit_reminder_states_the_age_limits_it_is_given() {
    let mut visit = visit();
    visit.donor_ages = DonorAges { min: 18, max: 65, max_repeat: 70 };
    let email = visit_reminder(&visit, &office());
    assert_both(&email, &["年龄18至65周岁", "可延长至70周岁"]);
}

fn digest(rows: Vec<DigestRow>) -> Digest {
    Digest { as_of: date(2020, 5, 4), year: 2020, margin_points: 10, rows, overdue_breakdowns: None }
}

fn row(name: &str, section_label: &str, quota: i64, collected: i64, expected_percent: f64) -> DigestRow {
    DigestRow {
        name: name.into(),
        section_label: section_label.into(),
        quota,
        collected,
        remaining: quota - collected,
        share_percent: collected as f64 * 100.0 / quota as f64,
        expected_percent,
    }
}

#[test]
fn the_digest_lists_who_is_behind_in_an_html_table_and_an_aligned_text_table() {
    let email = behind_schedule_digest(
        &digest(vec![
            row("湖北科技学院", "市直各单位", 2800, 500, 34.0),
            row("咸安区", "各县(市、区)", 3000, 120, 34.0),
            row("A&B <公司>", "企业", 40, 0, 34.0),
        ]),
        &office(),
    );
    assert_eq!(
        email.subject,
        "【咸宁市献血办】2020年献血计划进度周报（截至2020年5月4日）：3个单位落后于进度"
    );
    assert_both(
        &email,
        &["截至2020年5月4日", "湖北科技学院", "2800", "500", "17.9%", "34.0%", "16.1%", "咸安区", "4.0%"],
    );
    assert!(email.html.contains("<table") && email.html.contains("<td"));
    assert!(email.html.contains("A&#38;B &#60;公司&#62;"));
    assert!(email.text.contains("A&B <公司>"));

    let table: Vec<&str> = email.text.lines().filter(|l| l.contains('%') || l.starts_with("单位")).collect();
    assert_eq!(table.len(), 4, "{}", email.text);
    // Right-aligned last column: every row ends at the same display column.
    let widths: Vec<usize> = table.iter().map(|l| display_width(l)).collect();
    assert!(widths.iter().all(|w| *w == widths[0]), "{widths:?}\n{}", email.text);
}

#[test]
fn the_digest_says_so_when_nobody_is_behind() {
    let email = behind_schedule_digest(&digest(vec![]), &office());
    assert!(email.subject.ends_with("全部单位按进度推进"));
    assert_both(&email, &["没有落后的单位", "0715-8888888"]);
    assert!(!email.html.contains("<table"));
}
