//! proposeSchedule: a year's proposed visits on the 2020 plan, checked against fulfilment
//! and the 2020 holiday notice.
use std::collections::{HashMap, HashSet};

use bloodplan::domain::auth::Role;
use chrono::{Datelike, NaiveDate, Weekday};
use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app, TestApp};

const PROPOSE: &str = "query($from: Date!, $to: Date!, $ex: [ID!], $pins: [SchedulePinInput!]) {
  proposeSchedule(year: 2020, from: $from, to: $to, excludeUnits: $ex, pins: $pins) {
    visits { unit { id name } vehicle { id } date session expectedDonors donations }
    unplacedDonations need
    unplaced { unit { id name } donations reason reasonLabel }
    months { month plannedDonations evenShare belowFloor }
    vehicles { vehicle { id } daysUsed daysAvailable utilisation }
  } }";

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2020, m, day).unwrap()
}

/// The 2020 days off of 国办发明电〔2019〕16号 as amended, from March on, and its make-up
/// working days.
fn holidays() -> Vec<NaiveDate> {
    let mut days = vec![d(4, 4), d(4, 5), d(4, 6), d(6, 25), d(6, 26), d(6, 27)];
    days.extend((1..=5).map(|day| d(5, day)));
    days.extend((1..=8).map(|day| d(10, day)));
    days
}

const MAKEUP: [(u32, u32); 5] = [(4, 26), (5, 9), (6, 28), (9, 27), (10, 10)];

fn is_working(day: NaiveDate) -> bool {
    let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
    MAKEUP.iter().any(|(m, x)| d(*m, *x) == day) || (!weekend && !holidays().contains(&day))
}

/// Office token, with the default term dates set and `vehicles` vehicles of 60 a day.
async fn scheduling_app(vehicles: usize) -> (TestApp, String, Vec<String>) {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    app.gql_ok_as(
        &office,
        "mutation { setTermCalendar(input: { year: 2020, springStart: \"2020-03-02\", springEnd: \"2020-07-10\", autumnStart: \"2020-09-07\", autumnEnd: \"2021-01-15\" }) { year } }",
        json!({}),
    )
    .await;
    let mut ids = Vec::new();
    for i in 0..vehicles {
        ids.push(app.create_vehicle(&office, &format!("鄂L采血{i:02}")).await);
    }
    (app, office, ids)
}

/// Every holder's remaining quota as fulfilment reports it, by holder id.
async fn remaining(app: &TestApp, office: &str) -> HashMap<String, (String, i64)> {
    let data = app
        .gql_ok_as(
            office,
            "{ fulfilment(year: 2020) { units(first: 500) { nodes { id name remaining } } } }",
            json!({}),
        )
        .await;
    data["fulfilment"]["units"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            let id = u["id"].as_str().unwrap().to_owned();
            (id, (u["name"].as_str().unwrap().to_owned(), u["remaining"].as_i64().unwrap()))
        })
        .collect()
}

async fn propose(app: &TestApp, office: &str, vars: Value) -> Value {
    app.gql_ok_as(office, PROPOSE, vars).await["proposeSchedule"].clone()
}

#[tokio::test]
async fn four_vehicles_of_60_cover_every_2020_quota_evenly_and_keep_the_existing_visit() {
    let (app, office, vehicles) = scheduling_app(4).await;
    let xianan = app.unit_id("咸安").await;
    // A confirmed visit of 咸安 (60 bookings: 40 donations) stays where it is.
    app.book_confirmed(&office, &xianan, &vehicles[0], "2020-03-02", "FULL_DAY", 60).await;
    let need = remaining(&app, &office).await;
    assert_eq!(need.values().map(|(_, r)| r).sum::<i64>(), 20_439);

    let p = propose(&app, &office, json!({ "from": "2020-03-01", "to": "2020-12-31" })).await;
    assert_eq!(p["unplacedDonations"], 0, "{:#}", p["unplaced"]);
    assert_eq!(p["need"], 20_439 - 40);

    let visits = p["visits"].as_array().unwrap();
    let mut halves =
        HashSet::from([(vehicles[0].clone(), d(3, 2), "AM"), (vehicles[0].clone(), d(3, 2), "PM")]);
    let mut donations: HashMap<String, i64> = HashMap::new();
    // Each vehicle's days out: the existing visit's, and the proposed ones.
    let mut days_of: HashMap<String, HashSet<NaiveDate>> =
        HashMap::from([(vehicles[0].clone(), HashSet::from([d(3, 2)]))]);
    let universities = ["湖北科技学院", "咸宁职业技术学院", "湖北商贸学院(咸宁校区)"];
    for v in visits {
        let day = date(v["date"].as_str().unwrap());
        let unit = v["unit"]["id"].as_str().unwrap().to_owned();
        let vehicle = v["vehicle"]["id"].as_str().unwrap().to_owned();
        assert!((d(3, 1)..=d(12, 31)).contains(&day), "{v}");
        assert!(is_working(day), "a holiday or a plain weekend (no holder allows them): {v}");
        if universities.contains(&v["unit"]["name"].as_str().unwrap()) {
            assert!((d(3, 2)..=d(7, 10)).contains(&day) || day >= d(9, 7), "outside term: {v}");
        }
        let halves_of = match v["session"].as_str().unwrap() {
            "MORNING" => vec!["AM"],
            "AFTERNOON" => vec!["PM"],
            _ => vec!["AM", "PM"],
        };
        let capacity = if halves_of.len() == 2 { 60 } else { 30 };
        let (expected, planned) = (v["expectedDonors"].as_i64().unwrap(), v["donations"].as_i64().unwrap());
        assert!(expected <= capacity, "{v}");
        // No collections recorded yet: the default 1.5 bookings per donation, rounded up.
        assert_eq!(expected, (planned * 3 + 1) / 2, "{v}");
        days_of.entry(vehicle.clone()).or_default().insert(day);
        for half in halves_of {
            assert!(halves.insert((vehicle.clone(), day, half)), "half-day used twice: {v}");
        }
        *donations.entry(unit).or_default() += planned;
    }
    for (id, (name, left)) in &need {
        let existing = if *id == xianan { 40 } else { 0 };
        let placed = donations.get(id).copied().unwrap_or(0) + existing;
        assert_eq!(placed, *left, "{name}");
    }
    assert_eq!(donations[&xianan], 1_600 - 40);

    let months = p["months"].as_array().unwrap();
    assert_eq!(months.len(), 10);
    assert_eq!(months.iter().map(|m| m["plannedDonations"].as_i64().unwrap()).sum::<i64>(), 20_439);
    for m in months {
        let (planned, even) = (m["plannedDonations"].as_i64().unwrap(), m["evenShare"].as_i64().unwrap());
        assert!((planned - even).abs() * 4 <= even, "outside the ±25% band: {m}");
        assert_eq!(m["belowFloor"], false, "{m}");
    }
    let fleet = p["vehicles"].as_array().unwrap();
    assert_eq!(fleet.len(), 4);
    for v in fleet {
        let id = v["vehicle"]["id"].as_str().unwrap();
        let used = days_of.get(id).map_or(0, HashSet::len) as i64;
        assert_eq!(v["daysUsed"], used, "{v}");
        assert_eq!(v["daysAvailable"], 212, "{v}");
    }
    // 20,399 donations at 40 a vehicle-day take at least 510 days.
    assert!(days_of.values().map(HashSet::len).sum::<usize>() >= 510);
}

#[tokio::test]
async fn one_vehicle_of_60_leaves_exactly_the_need_it_cannot_carry_unplaced() {
    let (app, office, _) = scheduling_app(1).await;
    let need: i64 = remaining(&app, &office).await.values().map(|(_, r)| r).sum();
    // One vehicle takes 60 bookings a working day: 40 donations at 1.5 bookings each.
    let working_days =
        d(3, 1).iter_days().take_while(|x| *x <= d(12, 31)).filter(|x| is_working(*x)).count() as i64;
    assert_eq!(working_days, 212);
    let p = propose(&app, &office, json!({ "from": "2020-03-01", "to": "2020-12-31" })).await;
    assert_eq!(p["unplacedDonations"], need - 40 * working_days);
    assert_eq!(p["unplacedDonations"], 11_959);
    let unplaced = p["unplaced"].as_array().unwrap();
    assert_eq!(unplaced.iter().map(|u| u["donations"].as_i64().unwrap()).sum::<i64>(), 11_959);
    assert!(unplaced.iter().all(|u| u["reason"] == "NO_CAPACITY" && u["reasonLabel"] == "采血车运力不足"));
    assert!(p["months"].as_array().unwrap().iter().all(|m| m["belowFloor"] == true));
    assert_eq!(p["vehicles"][0]["daysUsed"], 212);
}

#[tokio::test]
async fn the_office_pins_and_excludes_and_the_proposal_says_why_a_holder_is_left_out() {
    let (app, office, vehicles) = scheduling_app(2).await;
    let xianan = app.unit_id("咸安").await;
    let jiayu = app.unit_id("嘉鱼").await;
    let pins =
        json!([{ "unitId": xianan, "date": "2020-03-03", "vehicleId": vehicles[1], "session": "FULL_DAY" }]);
    let vars = json!({ "from": "2020-03-01", "to": "2020-06-30", "ex": [jiayu], "pins": pins });
    let p = propose(&app, &office, vars).await;
    let visits = p["visits"].as_array().unwrap();
    assert!(visits.iter().any(|v| v["unit"]["id"] == xianan.as_str()
        && v["date"] == "2020-03-03"
        && v["vehicle"]["id"] == vehicles[1].as_str()
        && v["expectedDonors"] == 60));
    assert!(!visits.iter().any(|v| v["unit"]["id"] == jiayu.as_str()));
    let left_out =
        p["unplaced"].as_array().unwrap().iter().find(|u| u["unit"]["id"] == jiayu.as_str()).unwrap();
    assert_eq!(left_out["donations"], 1_500);
    assert_eq!(left_out["reason"], "EXCLUDED");
    assert_eq!(left_out["reasonLabel"], "已被排除");

    // A pin on 国庆 is refused with its code.
    let pins = json!([{ "unitId": xianan, "date": "2020-10-01" }]);
    let answer =
        app.gql_as(&office, PROPOSE, json!({ "from": "2020-03-01", "to": "2020-12-31", "pins": pins })).await;
    assert_eq!(error_code(&answer), Some("PIN_NOT_PLACEABLE"), "{answer}");
}

#[tokio::test]
async fn bad_ranges_no_vehicles_and_a_liaison_are_refused_with_codes() {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let liaison = app.user_token("hbust", Role::Liaison, Some("湖北科技学院")).await;
    let ask = |token: String, from: &'static str, to: &'static str| {
        let app = &app;
        async move { app.gql_as(&token, PROPOSE, json!({ "from": from, "to": to })).await }
    };
    let answer = ask(office.clone(), "2020-03-01", "2020-12-31").await;
    assert_eq!(error_code(&answer), Some("NO_VEHICLES"), "{answer}");
    assert_eq!(answer["errors"][0]["message"], "没有可用的采血车，无法编排。");
    app.create_vehicle(&office, "鄂L采血01").await;
    let answer = ask(office.clone(), "2020-05-01", "2020-03-01").await;
    assert_eq!(error_code(&answer), Some("SCHEDULE_RANGE_REVERSED"), "{answer}");
    let answer = ask(office.clone(), "2020-03-01", "2021-01-31").await;
    assert_eq!(error_code(&answer), Some("SCHEDULE_RANGE_OUTSIDE_YEAR"), "{answer}");
    assert_eq!(answer["errors"][0]["message"], "日期范围2020-03-01至2021-01-31须在2020年内。");
    let answer = ask(liaison, "2020-03-01", "2020-12-31").await;
    assert_eq!(error_code(&answer), Some("FORBIDDEN"), "{answer}");
}

#[tokio::test]
async fn mid_year_the_proposal_starts_at_the_first_bookable_day_and_publishes_whole() {
    let (app, _, _) = scheduling_app(2).await;
    // 2020-06-15, a Monday: with the 2-day lead time the first bookable day is 06-17.
    app.clock
        .set("2020-06-15T09:00:00+08:00".parse::<chrono::DateTime<chrono::FixedOffset>>().unwrap().into());
    let office = app.login("office").await;
    let query = "query($from: Date!, $to: Date!) { proposeSchedule(year: 2020, from: $from, to: $to) {
        from visits { unit { id } vehicle { id } date session expectedDonors } } }";
    let p = app.gql_ok_as(&office, query, json!({ "from": "2020-03-01", "to": "2020-07-31" })).await;
    let p = &p["proposeSchedule"];
    assert_eq!(p["from"], "2020-06-17");
    let visits = p["visits"].as_array().unwrap();
    assert!(!visits.is_empty());
    assert!(visits.iter().all(|v| date(v["date"].as_str().unwrap()) >= d(6, 17)), "{visits:?}");
    let first = visits.iter().map(|v| date(v["date"].as_str().unwrap())).min().unwrap();
    assert_eq!(first, d(6, 17));

    // Every proposed visit passes the booking rules: the whole proposal publishes.
    let planned: Vec<Value> = visits
        .iter()
        .map(|v| {
            json!({ "unitId": v["unit"]["id"], "vehicleId": v["vehicle"]["id"], "date": v["date"],
                    "session": v["session"], "expectedDonors": v["expectedDonors"] })
        })
        .collect();
    let published = app
        .gql_ok_as(
            &office,
            "mutation($v: [ScheduledVisitInput!]!) { publishSchedule(input: { year: 2020, visits: $v }) { visits { id } } }",
            json!({ "v": planned }),
        )
        .await;
    assert_eq!(published["publishSchedule"]["visits"].as_array().unwrap().len(), visits.len());

    // A range that ends before the first bookable day is refused with its code.
    let answer = app.gql_as(&office, query, json!({ "from": "2020-03-01", "to": "2020-06-16" })).await;
    assert_eq!(error_code(&answer), Some("SCHEDULE_RANGE_PAST"), "{answer}");
    assert_eq!(
        answer["errors"][0]["message"],
        "2020-06-16之前已来不及安排采血活动（须提前预约），最早可安排2020-06-17。"
    );
}
