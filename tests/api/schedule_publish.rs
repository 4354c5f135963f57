//! Issue 15 item 4: `publishSchedule` books a proposal's visits as `REQUESTED` in one
//! transaction — all or nothing, by the booking rules and the double-booking index — and
//! each holder's contact gets one notice listing its visits.
use bloodplan::db::entities::outbox;
use bloodplan::domain::auth::Role;
use bloodplan::services::outbox as outbox_service;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app, spawn_app_with, AppOptions, TestApp};
use crate::smtp_server::TestSmtpServer;

pub const PUBLISH: &str = "mutation($y: Int!, $v: [ScheduledVisitInput!]!) {
    publishSchedule(input: { year: $y, visits: $v }) {
        notifiedHolders visits { id unitName vehicleName date session status expectedDonors } } }";
const SET_CONTACT: &str = "mutation($u: ID!, $n: String!, $e: String!) { updateUnitContact(unitId: $u, input: { name: $n, phone: \"13907151234\", email: $e }) { id } }";
const BOOKED: &str =
    "{ fulfilment(year: 2020) { bookedDonors units(first: 500) { nodes { name bookedDonors } } } }";
const REQUESTED: &str = "{ visits(from: \"2020-01-01\", to: \"2020-12-31\", status: [REQUESTED], first: 500) { totalCount nodes { unitName date session expectedDonors } } }";
const HBUST: &str = "湖北科技学院";
const XIANAN: &str = "咸安";
const XNVC: &str = "咸宁职业技术学院";

pub fn planned(unit: &str, vehicle: &str, date: &str, session: &str, expected: i32) -> Value {
    json!({ "unitId": unit, "vehicleId": vehicle, "date": date, "session": session, "expectedDonors": expected })
}

/// The city's booked donors and each named holder's.
async fn booked(app: &TestApp, token: &str, names: &[&str]) -> (i64, Vec<i64>) {
    let data = app.gql_ok_as(token, BOOKED, json!({})).await;
    let nodes = data["fulfilment"]["units"]["nodes"].as_array().unwrap().clone();
    let of = |name: &str| {
        nodes.iter().find(|n| n["name"] == name).unwrap_or_else(|| panic!("{name}"))["bookedDonors"]
            .as_i64()
            .unwrap()
    };
    (data["fulfilment"]["bookedDonors"].as_i64().unwrap(), names.iter().map(|n| of(n)).collect())
}

async fn notices(app: &TestApp) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("NOTICE"))
        .order_by_asc(outbox::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
}

/// The counts a publish changes: visits, half-days held, messages, audit records, totals.
async fn counts(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for table in ["visit", "visit_slot", "outbox", "audit_log", "holder_month_total"] {
        out.push(app.count(table).await);
    }
    out
}

#[tokio::test]
async fn publishing_books_every_visit_as_requested_raises_the_booked_figures_and_tells_each_holder_once() {
    let smtp = TestSmtpServer::start();
    let app = spawn_app_with(AppOptions { smtp_port: Some(smtp.port), ..AppOptions::default() }).await;
    let office = app.user_token("office", Role::Office, None).await;
    let (hbust, xianan, xnvc) =
        (app.unit_id(HBUST).await, app.unit_id(XIANAN).await, app.unit_id(XNVC).await);
    app.gql_ok_as(
        &office,
        SET_CONTACT,
        json!({ "u": hbust, "n": "张老师", "e": "zhang@hbust.example.edu.cn" }),
    )
    .await;
    app.gql_ok_as(
        &office,
        SET_CONTACT,
        json!({ "u": xianan, "n": "李主任", "e": "li@xianan.example.gov.cn" }),
    )
    .await;
    let (a, b) =
        (app.create_vehicle(&office, "鄂L采血01").await, app.create_vehicle(&office, "鄂L采血02").await);
    let (city_before, before) = booked(&app, &office, &[HBUST, XIANAN, XNVC]).await;
    assert_eq!(before, [0, 0, 0]);

    let visits = json!([
        planned(&hbust, &a, "2020-03-03", "FULL_DAY", 60),
        planned(&hbust, &b, "2020-03-03", "FULL_DAY", 60),
        planned(&hbust, &a, "2020-03-02", "MORNING", 30),
        planned(&xianan, &a, "2020-03-02", "AFTERNOON", 25),
        planned(&xnvc, &b, "2020-03-04", "FULL_DAY", 45),
    ]);
    let data = app.gql_ok_as(&office, PUBLISH, json!({ "y": 2020, "v": visits })).await;
    let published = &data["publishSchedule"];
    assert_eq!(published["notifiedHolders"], 2, "咸宁职业技术学院 has no contact");
    let rows = published["visits"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|v| v["status"] == "REQUESTED"), "{rows:?}");
    assert_eq!(
        (rows[0]["vehicleName"].as_str(), rows[0]["date"].as_str(), rows[0]["session"].as_str()),
        (Some("鄂L采血01"), Some("2020-03-02"), Some("MORNING")),
        "by vehicle, date and session"
    );

    let listed = app.gql_ok_as(&office, REQUESTED, json!({})).await;
    assert_eq!(listed["visits"]["totalCount"], 5);
    let (city_after, after) = booked(&app, &office, &[HBUST, XIANAN, XNVC]).await;
    assert_eq!(after, [150, 25, 45], "booked goes up by exactly the expected donors");
    assert_eq!(city_after - city_before, 220);

    // One notice per holder with a contact, listing its visits in date order.
    let queued = notices(&app).await;
    assert_eq!(queued.len(), 2);
    let hb = queued.iter().find(|m| m.recipient == "zhang@hbust.example.edu.cn").unwrap();
    assert_eq!(hb.subject, "【咸宁市献血办】湖北科技学院：2020年采血活动安排（共 3 次）");
    for line in [
        "张老师：您好！",
        "共 3 次，预计献血 150 人次：",
        "1. 2020年3月2日（星期一）上午，采血车鄂L采血01，预计献血 30 人次。",
        "2. 2020年3月3日（星期二）全天，采血车鄂L采血01，预计献血 60 人次。",
        "3. 2020年3月3日（星期二）全天，采血车鄂L采血02，预计献血 60 人次。",
    ] {
        assert!(hb.text.contains(line), "{line} in {}", hb.text);
    }
    let xa = queued.iter().find(|m| m.recipient == "li@xianan.example.gov.cn").unwrap();
    assert_eq!(xa.subject, "【咸宁市献血办】咸安：2020年采血活动安排（共 1 次）");
    let s = &app.state;
    let sent = outbox_service::run_once(&s.db, &app.clock, s.mailer.as_ref().unwrap(), &s.outbox, "test")
        .await
        .unwrap();
    assert_eq!(sent.sent, 2);
    assert_eq!(smtp.messages().len(), 2);

    // Each visit's history says the office booked it, for the published year.
    let id = rows[0]["id"].as_str().unwrap();
    let history = app
        .gql_ok_as(
            &office,
            "query($id: ID!) { visit(id: $id) { history { actor action after } } }",
            json!({ "id": id }),
        )
        .await;
    let first = &history["visit"]["history"][0];
    assert_eq!((first["actor"].as_str(), first["action"].as_str()), (Some("office"), Some("book")));
    assert_eq!(first["after"]["schedule"], 2020);
}

#[tokio::test]
async fn a_publish_with_one_taken_session_names_it_and_writes_nothing() {
    let smtp = TestSmtpServer::start();
    let app = spawn_app_with(AppOptions { smtp_port: Some(smtp.port), ..AppOptions::default() }).await;
    let office = app.user_token("office", Role::Office, None).await;
    let liaison = app.user_token("hbust", Role::Liaison, Some(HBUST)).await;
    let (hbust, xianan) = (app.unit_id(HBUST).await, app.unit_id(XIANAN).await);
    app.gql_ok_as(
        &office,
        SET_CONTACT,
        json!({ "u": xianan, "n": "李主任", "e": "li@xianan.example.gov.cn" }),
    )
    .await;
    let a = app.create_vehicle(&office, "鄂L采血01").await;
    app.book(&liaison, &hbust, &a, "2020-03-05", "AFTERNOON", 30).await;
    let (city_before, before) = booked(&app, &office, &[HBUST, XIANAN]).await;
    assert_eq!(before, [30, 0]);
    let counts_before = counts(&app).await;
    let snapshot = app.snapshot().await;

    let visits = json!([
        planned(&xianan, &a, "2020-03-02", "FULL_DAY", 60),
        planned(&xianan, &a, "2020-03-09", "FULL_DAY", 60),
        planned(&xianan, &a, "2020-03-05", "FULL_DAY", 60),
    ]);
    let answer = app.gql_as(&office, PUBLISH, json!({ "y": 2020, "v": visits })).await;
    assert_eq!(error_code(&answer), Some("SLOT_TAKEN"), "{answer}");
    let message = answer["errors"][0]["message"].as_str().unwrap();
    assert!(message.starts_with("采血车「鄂L采血01」2020年3月5日（星期四）全天（咸安）："), "{message}");
    assert!(message.ends_with("整个排班未发布，请调整后重试"), "{message}");

    assert_eq!(counts(&app).await, counts_before, "no visit, half-day, message, audit record or total");
    assert_eq!(app.snapshot().await, snapshot);
    assert_eq!(booked(&app, &office, &[HBUST, XIANAN]).await, (city_before, vec![30, 0]));

    // A rule refuses the same way: 清明 is a holiday.
    let visits = json!([
        planned(&xianan, &a, "2020-03-02", "FULL_DAY", 60),
        planned(&xianan, &a, "2020-04-06", "MORNING", 30),
    ]);
    let answer = app.gql_as(&office, PUBLISH, json!({ "y": 2020, "v": visits })).await;
    assert_eq!(error_code(&answer), Some("HOLIDAY"), "{answer}");
    assert!(answer["errors"][0]["message"].as_str().unwrap().contains("2020年4月6日（星期一）上午（咸安）"));
    // A date of another year, and an empty schedule, are the caller's mistakes.
    let visits = json!([planned(&xianan, &a, "2021-03-01", "MORNING", 30)]);
    let answer = app.gql_as(&office, PUBLISH, json!({ "y": 2020, "v": visits })).await;
    assert_eq!(error_code(&answer), Some("BAD_INPUT"), "{answer}");
    let answer = app.gql_as(&office, PUBLISH, json!({ "y": 2020, "v": [] })).await;
    assert_eq!(error_code(&answer), Some("BAD_INPUT"), "{answer}");
    assert_eq!(counts(&app).await, counts_before);
}

/// Six working days of March 2020.
const DAYS: [&str; 6] = ["2020-03-02", "2020-03-03", "2020-03-04", "2020-03-05", "2020-03-06", "2020-03-09"];

#[tokio::test]
async fn of_concurrent_publishes_sharing_a_session_exactly_one_lands() {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let units = [
        app.unit_id(HBUST).await,
        app.unit_id(XIANAN).await,
        app.unit_id(XNVC).await,
        app.unit_id("嘉鱼").await,
    ];
    let mut vehicles = Vec::new();
    for i in 1..=3 {
        vehicles.push(app.create_vehicle(&office, &format!("鄂L采血0{i}")).await);
    }
    let visits_before = app.count("visit").await;
    // Each publish has sessions of its own on every vehicle, listed in its own order, and
    // all share 2020-03-16 morning on the last vehicle.
    let schedules: Vec<Value> = units
        .iter()
        .enumerate()
        .map(|(i, unit)| {
            let mut list: Vec<Value> = vehicles
                .iter()
                .enumerate()
                .map(|(k, v)| planned(unit, v, DAYS[i + k], "FULL_DAY", 40))
                .collect();
            if i % 2 == 1 {
                list.reverse();
            }
            list.push(planned(unit, &vehicles[2], "2020-03-16", "MORNING", 30));
            json!(list)
        })
        .collect();
    let answers = futures_util::future::join_all(
        schedules.iter().map(|v| app.gql_as(&office, PUBLISH, json!({ "y": 2020, "v": v }))),
    )
    .await;
    let won: Vec<&Value> = answers.iter().filter(|a| a.get("errors").is_none()).collect();
    assert_eq!(won.len(), 1, "{answers:#?}");
    for lost in answers.iter().filter(|a| a.get("errors").is_some()) {
        assert_eq!(error_code(lost), Some("SLOT_TAKEN"), "{lost}");
    }
    assert_eq!(
        app.count("visit").await - visits_before,
        4,
        "the winner's four visits, nothing of the others"
    );
    assert_eq!(app.count("visit_slot").await, 7, "three full days and a morning");
}

#[tokio::test]
async fn only_the_office_publishes() {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let liaison = app.user_token("hbust", Role::Liaison, Some(HBUST)).await;
    let station = app.user_token("station", Role::Station, None).await;
    let hbust = app.unit_id(HBUST).await;
    let a = app.create_vehicle(&office, "鄂L采血01").await;
    let visits = json!([planned(&hbust, &a, "2020-03-02", "MORNING", 30)]);
    for token in [&liaison, &station] {
        let answer = app.gql_as(token, PUBLISH, json!({ "y": 2020, "v": visits })).await;
        assert_eq!(error_code(&answer), Some("FORBIDDEN"), "{answer}");
    }
    assert_eq!(app.count("visit").await, 0);
}
