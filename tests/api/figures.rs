//! One rule per figure: the digest, the term reminder and the booking warning quote the
//! fulfilment's own figures for the same day, figure by figure.
use std::collections::HashMap;

use bloodplan::domain::auth::Role;
use bloodplan::domain::reminders::MessageKind;
use bloodplan::services::reminders;
use chrono::NaiveDate;
use serde_json::{json, Value};

use crate::collections::{at, record, RECORD};
use crate::helpers::{book_vars, spawn_app_with, AppOptions, TestApp, BOOK};
use crate::smtp_server::free_port;

const SET_TERMS: &str = r#"mutation { setTermCalendar(input: { year: 2020, springStart: "2020-02-24", springEnd: "2020-07-10", autumnStart: "2020-09-01", autumnEnd: "2021-01-15" }) { year } }"#;
const SET_CONTACT: &str = "mutation($u: ID!, $e: String!) { updateUnitContact(unitId: $u, input: { name: \"张老师\", phone: \"13907151234\", email: $e }) { id } }";
const FULFILMENT: &str = "query($d: Date!) { fulfilment(year: 2020, asOf: $d) {
    units(first: 500) { nodes { name collectedDonations remaining behindSchedule } } } }";

/// The fulfilment's figures per holder: (collected, remaining, behind).
async fn fulfilment_on(app: &TestApp, token: &str, day: &str) -> HashMap<String, (i64, i64, bool)> {
    let data = app.gql_ok_as(token, FULFILMENT, json!({ "d": day })).await;
    data["fulfilment"]["units"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u: &Value| {
            let n = |f: &str| u[f].as_i64().unwrap();
            let figures = (n("collectedDonations"), n("remaining"), u["behindSchedule"].as_bool().unwrap());
            (u["name"].as_str().unwrap().to_owned(), figures)
        })
        .collect()
}

/// A spring in which 咸宁职业技术学院 collected 86 and 市委办 8 of its 10; on 25 August
/// 咸宁职业技术学院 also has an autumn visit requested.
async fn spring_with_collections() -> (TestApp, String) {
    let app = spawn_app_with(AppOptions { smtp_port: Some(free_port()), ..AppOptions::default() }).await;
    let office = app.user_token("office", Role::Office, None).await;
    app.create_user("station", Role::Station, None).await;
    app.gql_ok_as(&office, SET_TERMS, json!({})).await;
    let vehicle = app.create_vehicle(&office, "鄂L采血01").await;
    let xnvc = app.unit_id("咸宁职业技术学院").await;
    let swb = app.unit_id("市委办").await;
    for (unit, email) in [(&xnvc, "liaison@xnvc.example.edu.cn"), (&swb, "office@swb.example.gov.cn")] {
        app.gql_ok_as(&office, SET_CONTACT, json!({ "u": unit, "e": email })).await;
    }
    let tue = app.book_confirmed(&office, &xnvc, &vehicle, "2020-03-03", "FULL_DAY", 60).await;
    let wed = app.book_confirmed(&office, &xnvc, &vehicle, "2020-03-04", "FULL_DAY", 40).await;
    let swb_visit = app.book_confirmed(&office, &swb, &vehicle, "2020-03-05", "MORNING", 10).await;
    app.book(&office, &xnvc, &vehicle, "2020-09-08", "FULL_DAY", 30).await;
    app.clock.set(at("2020-03-06T10:00:00+08:00"));
    let station = app.login("station").await;
    record(&app, &station, &tue, "2020-03-03", [10, 0, 40]).await;
    record(&app, &station, &wed, "2020-03-04", [6, 0, 30]).await;
    record(&app, &station, &swb_visit, "2020-03-05", [0, 0, 8]).await;
    let fixed = json!({ "i": { "unitId": app.unit_id("赤壁").await, "site": "DONATION_HOUSE", "date": "2020-03-05", "bags200": 35 } });
    app.gql_ok_as(&station, RECORD, fixed).await;
    let office = app.login("office").await;
    (app, office)
}

#[tokio::test]
async fn the_digest_and_the_term_reminder_of_a_day_quote_the_fulfilment_of_that_day_figure_by_figure() {
    let (app, office) = spring_with_collections().await;
    // The digest on Tuesdays, the day the autumn term's 7-day reminder falls on.
    app.gql_ok_as(
        &office,
        "mutation { setReminderRule(kind: DIGEST, offsets: [2], enabled: true) { enabled } }",
        json!({}),
    )
    .await;
    app.clock.set(at("2020-08-25T09:00:00+08:00"));
    let office = app.login("office").await;
    let figures = fulfilment_on(&app, &office, "2020-08-25").await;
    let day = NaiveDate::from_ymd_opt(2020, 8, 25).unwrap();
    let planned = reminders::plan_reminders(&app.db, &app.state.reminders, day).await.unwrap();

    let digest = planned.iter().find(|m| m.kind == MessageKind::Digest).expect("a digest on Tuesday");
    let mut listed = HashMap::new();
    for line in digest.email.text.lines().filter(|l| l.contains('%') && !l.starts_with("单位")) {
        let cells: Vec<&str> = line.split_whitespace().collect();
        let n = |i: usize| cells[i].parse::<i64>().unwrap();
        listed.insert(cells[0].to_owned(), (n(3), n(4)));
    }
    let behind: HashMap<String, (i64, i64)> =
        figures.iter().filter(|(_, f)| f.2).map(|(name, f)| (name.clone(), (f.0, f.1))).collect();
    assert_eq!(listed, behind, "the digest lists exactly who the fulfilment flags, with its figures");
    assert_eq!(listed["咸宁职业技术学院"], (86, 1914));
    assert_eq!(listed["赤壁"].0, 35, "collected donations, not a visit's expected donors");
    assert!(!listed.contains_key("市委办"), "8 of 10 is ahead of the year");

    let term: Vec<_> = planned.iter().filter(|m| m.kind == MessageKind::Term).collect();
    assert_eq!(term.len(), 1, "{:?}", term.iter().map(|m| &m.recipient).collect::<Vec<_>>());
    assert_eq!(term[0].recipient, "liaison@xnvc.example.edu.cn");
    let (_, remaining, _) = figures["咸宁职业技术学院"];
    assert_eq!(remaining, 1914);
    for body in [&term[0].email.text, &term[0].email.html] {
        assert!(body.contains("1914"), "the autumn reminder counts the spring's collections: {body}");
        assert!(!body.contains("1970") && !body.contains("2000 人次"), "{body}");
    }
}

#[tokio::test]
async fn on_the_first_monday_of_the_year_the_digest_names_nobody_as_the_fulfilment_does() {
    let (app, office) = spring_with_collections().await;
    // 6 January 2020: 6 of 366 days gone, well within the 10-point margin.
    let day = NaiveDate::from_ymd_opt(2020, 1, 6).unwrap();
    let planned = reminders::plan_reminders(&app.db, &app.state.reminders, day).await.unwrap();
    let digest = planned.iter().find(|m| m.kind == MessageKind::Digest).expect("a Monday digest");
    assert!(digest.email.subject.ends_with("全部单位按进度推进"), "{}", digest.email.subject);
    let figures = fulfilment_on(&app, &office, "2020-01-06").await;
    assert_eq!(figures.values().filter(|f| f.2).count(), 0);
}

#[tokio::test]
async fn the_over_quota_warning_of_a_booking_counts_what_was_collected() {
    let (app, office) = spring_with_collections().await;
    let vehicle = app.create_vehicle(&office, "鄂L采血02").await;
    let swb = app.unit_id("市委办").await;
    // 市委办: quota 10, 8 collected, so 2 remain by the fulfilment.
    let figures = fulfilment_on(&app, &office, "2020-03-06").await;
    assert_eq!(figures["市委办"].1, 2);
    let booked = app.gql_ok_as(&office, BOOK, book_vars(&swb, &vehicle, "2020-03-16", "MORNING", 5)).await;
    let warnings = booked["bookVisit"]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{booked}");
    let w = warnings[0].as_str().unwrap();
    assert!(w.contains("尚余2人次") && w.contains("超出3人次"), "{w}");
}

#[tokio::test]
async fn term_reminders_go_to_every_term_bound_holder_never_on_a_holiday_with_vehicle_days_spread_over_the_weeks(
) {
    let app = spawn_app_with(AppOptions { smtp_port: Some(free_port()), ..AppOptions::default() }).await;
    let office = app.user_token("office", Role::Office, None).await;
    // A term starting Monday 17 February: its 21-day reminder falls on 27 January, 春节.
    let terms = r#"mutation { setTermCalendar(input: { year: 2020, springStart: "2020-02-17", springEnd: "2020-07-10", autumnStart: "2020-09-01", autumnEnd: "2021-01-15" }) { year } }"#;
    app.gql_ok_as(&office, terms, json!({})).await;
    app.gql_ok_as(
        &office,
        "mutation { setReminderRule(kind: DIGEST, offsets: [1], enabled: false) { enabled } }",
        json!({}),
    )
    .await;
    let school = app.unit_id("咸宁职教(集团)学校").await;
    let hbust = app.unit_id("湖北科技学院").await;
    for (unit, email) in [(&school, "liaison@xnzj.example.edu.cn"), (&hbust, "liaison@hbust.example.edu.cn")]
    {
        app.gql_ok_as(&office, SET_CONTACT, json!({ "u": unit, "e": email })).await;
    }
    app.create_vehicle(&office, "鄂L采血01").await;
    app.create_vehicle(&office, "鄂L采血02").await;
    let planned_on = |day: &str| {
        let day: NaiveDate = day.parse().unwrap();
        let app = &app;
        async move {
            let all = reminders::plan_reminders(&app.db, &app.state.reminders, day).await.unwrap();
            all.into_iter().filter(|m| m.kind == MessageKind::Term).collect::<Vec<_>>()
        }
    };
    assert!(planned_on("2020-01-27").await.is_empty(), "nothing goes out on 春节");
    let on_feb_3 = planned_on("2020-02-03").await;
    let to: Vec<&str> = on_feb_3.iter().map(|m| m.recipient.as_str()).collect();
    assert_eq!(to, ["liaison@hbust.example.edu.cn"], "a school is not term-bound by default");

    let set = "mutation($u: ID!) { setUnitBookingOptions(unitId: $u, termBound: true) { termBound } }";
    app.gql_ok_as(&office, set, json!({ "u": school })).await;
    let on_feb_3 = planned_on("2020-02-03").await;
    let mut to: Vec<&str> = on_feb_3.iter().map(|m| m.recipient.as_str()).collect();
    to.sort();
    assert_eq!(to, ["liaison@hbust.example.edu.cn", "liaison@xnzj.example.edu.cn"]);

    // Booked on 3 February, the offer runs from the 5th (the lead time) to 1 March: one line
    // per vehicle-day, at most three a week, in each of the four weeks.
    let text = &on_feb_3[0].email.text;
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("- ")).collect();
    assert!(lines.iter().all(|l| l.contains("全天") || l.contains("上午") || l.contains("下午")), "{text}");
    assert_eq!(lines.len(), 12, "{text}");
    for day in ["2020年2月3日", "2020年2月4日", "2020年2月8日", "2020年3月2日"] {
        assert!(!text.contains(day), "{day} cannot be booked: {text}");
    }
    for week_day in ["2020年2月5日", "2020年2月10日", "2020年2月17日", "2020年2月24日"] {
        assert!(text.contains(week_day), "the week of {week_day} is offered: {text}");
    }
}
