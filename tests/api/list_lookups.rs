//! A list's per-row fields (each visit's history, each record's revisions, each vehicle's
//! blackouts and calendar, each holder's contact and feed, each plan's sections) cost the
//! same queries for two rows as for many: they go through DataLoaders, one query per list,
//! and each row still gets exactly its own rows, within its own bound.
use std::collections::BTreeMap;

use bloodplan::db::entities::{audit_log, visit};
use bloodplan::domain::auth::Role;
use bloodplan::domain::ids::{UnitId, VehicleId};
use bloodplan::domain::visit::{Session, VisitStatus};
use chrono::{NaiveDate, TimeDelta};
use sea_orm::{EntityTrait, Set};
use serde_json::{json, Value};

use crate::helpers::{bloodplan_cli, seeds_dir, spawn_app, TestApp};

const VEHICLES: [&str; 3] = ["鄂L采血01", "鄂L采血02", "鄂L采血03"];
const DAYS: [&str; 4] = ["2020-03-02", "2020-03-03", "2020-03-04", "2020-03-05"];

fn nodes(data: &Value, list: &str) -> Vec<Value> {
    data[list]["nodes"].as_array().expect("nodes").clone()
}

/// Statements of the answer that name `table`.
fn reading(ran: &[String], table: &str) -> usize {
    let quoted = format!("\"{table}\"");
    ran.iter().filter(|sql| sql.contains(&quoted)).count()
}

#[tokio::test]
async fn twelve_visits_show_each_its_own_history_for_the_queries_of_two() {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let hbust = app.unit_id("湖北科技学院").await;
    let mut vehicles = Vec::new();
    for name in VEHICLES {
        vehicles.push(app.create_vehicle(&office, name).await);
    }
    for day in DAYS {
        for vehicle in &vehicles {
            let id = app.book(&office, &hbust, vehicle, day, "MORNING", 30).await;
            if day == "2020-03-02" {
                app.gql_ok_as(
                    &office,
                    "mutation($id: ID!) { confirmVisit(id: $id) { id } }",
                    json!({ "id": id }),
                )
                .await;
            }
        }
    }
    let query = "query($n: Int) { visits(first: $n) { nodes { date history { actor action } } } }";
    let (two, ran_two) = app.statements_of(app.gql_ok_as(&office, query, json!({ "n": 2 }))).await;
    let (all, ran_all) = app.statements_of(app.gql_ok_as(&office, query, json!({ "n": 12 }))).await;
    assert_eq!(nodes(&two, "visits").len(), 2);
    let all = nodes(&all, "visits");
    assert_eq!(all.len(), 12);
    for v in &all {
        let actions: Vec<&str> =
            v["history"].as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
        let expected: &[&str] = if v["date"] == "2020-03-02" { &["book", "confirm"] } else { &["book"] };
        assert_eq!(actions, expected, "{v}");
        assert!(v["history"].as_array().unwrap().iter().all(|h| h["actor"] == "office"), "{v}");
    }
    assert_eq!(ran_two.len(), ran_all.len(), "{ran_two:#?}\n{ran_all:#?}");
    assert_eq!(reading(&ran_all, "audit_log"), 1, "every history in one query: {ran_all:#?}");
}

#[tokio::test]
async fn a_visit_with_600_changes_shows_its_latest_500_and_the_other_visits_their_own() {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let hbust = app.unit_id("湖北科技学院").await;
    let vehicle = app.create_vehicle(&office, "鄂L采血01").await;
    let busy = app.book(&office, &hbust, &vehicle, "2020-03-02", "MORNING", 30).await;
    let quiet = app.book(&office, &hbust, &vehicle, "2020-03-03", "MORNING", 30).await;
    // 600 more changes of one visit, written straight into the trail.
    let now = app.clock.now();
    let rows: Vec<audit_log::ActiveModel> = (0..600)
        .map(|i| audit_log::ActiveModel {
            at: Set(now + TimeDelta::seconds(i)),
            actor: Set("office".into()),
            entity: Set("visit".into()),
            entity_id: Set(Some(busy.clone())),
            action: Set(format!("touch-{i}")),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(100) {
        audit_log::Entity::insert_many(chunk.to_vec()).exec(&app.db).await.unwrap();
    }
    let data = app.gql_ok_as(&office, "{ visits { nodes { id history { action } } } }", json!({})).await;
    let histories: BTreeMap<String, Vec<String>> = nodes(&data, "visits")
        .iter()
        .map(|v| {
            let actions = v["history"].as_array().unwrap();
            (
                v["id"].as_str().unwrap().to_owned(),
                actions.iter().map(|h| h["action"].as_str().unwrap().to_owned()).collect(),
            )
        })
        .collect();
    let latest = &histories[&busy];
    assert_eq!(latest.len(), 500, "the latest 500 of 601");
    assert_eq!((latest[0].as_str(), latest[499].as_str()), ("touch-100", "touch-599"), "oldest first");
    assert_eq!(histories[&quiet], ["book"]);
}

/// A revision's number, donations and reason.
type Revision = (i64, i64, Option<String>);

#[tokio::test]
async fn six_collection_records_show_each_its_own_revisions_for_the_queries_of_two() {
    let app = spawn_app().await;
    let station = app.user_token("station", Role::Station, None).await;
    let record = "mutation($i: RecordCollectionInput!) { recordCollection(input: $i) { id } }";
    let correct = "mutation($id: ID!, $i: RecordCollectionInput!) { correctCollection(id: $id, expectedRevision: 1, reason: \"补录漏登\", input: $i) { revision } }";
    // Donors of six holders at the central station in January; every other record corrected.
    let holders = ["湖北科技学院", "咸宁职业技术学院", "市公安局", "市教育局", "赤壁", "咸安"];
    for (i, name) in holders.iter().enumerate() {
        let unit = app.unit_id(name).await;
        let input = |bags: i64| json!({ "unitId": unit, "site": "CENTRAL_STATION", "date": format!("2020-01-{:02}", 10 + i), "bags200": bags });
        let data = app.gql_ok_as(&station, record, json!({ "i": input(i as i64 + 1) })).await;
        if i % 2 == 0 {
            let id = data["recordCollection"]["id"].as_str().unwrap();
            app.gql_ok_as(&station, correct, json!({ "id": id, "i": input(10 * (i as i64 + 1)) })).await;
        }
    }
    let query = "query($n: Int) { collections(first: $n) { nodes { unitName donations revisions { revision donations reason } } } }";
    let (two, ran_two) = app.statements_of(app.gql_ok_as(&station, query, json!({ "n": 2 }))).await;
    let (all, ran_all) = app.statements_of(app.gql_ok_as(&station, query, json!({ "n": 6 }))).await;
    assert_eq!(nodes(&two, "collections").len(), 2);
    let seen: Vec<(String, i64, Vec<Revision>)> = nodes(&all, "collections")
        .iter()
        .map(|c| {
            let revisions = c["revisions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r["revision"].as_i64().unwrap(),
                        r["donations"].as_i64().unwrap(),
                        r["reason"].as_str().map(str::to_owned),
                    )
                })
                .collect();
            (c["unitName"].as_str().unwrap().to_owned(), c["donations"].as_i64().unwrap(), revisions)
        })
        .collect();
    let corrected = |name: &str, first: i64, now: i64| {
        (name.to_owned(), now, vec![(1, first, None), (2, now, Some("补录漏登".to_owned()))])
    };
    let once = |name: &str, n: i64| (name.to_owned(), n, vec![(1, n, None)]);
    assert_eq!(
        seen,
        vec![
            corrected("湖北科技学院", 1, 10),
            once("咸宁职业技术学院", 2),
            corrected("市公安局", 3, 30),
            once("市教育局", 4),
            corrected("赤壁", 5, 50),
            once("咸安", 6),
        ]
    );
    assert_eq!(ran_two.len(), ran_all.len(), "{ran_two:#?}\n{ran_all:#?}");
    assert_eq!(reading(&ran_all, "collection_revision"), 1, "{ran_all:#?}");
}

const FLEET: &str = r#"{ vehicles { name blackouts { from to reason } calendar(from: "2020-03-01", to: "2020-03-31") { date session unitName } calendarUrl } }"#;

/// A vehicle with one visit at 湖北科技学院 on `day` and a blackout in April.
async fn vehicle_with_a_visit_and_a_blackout(app: &TestApp, office: &str, name: &str, day: &str) {
    let hbust = app.unit_id("湖北科技学院").await;
    let vehicle = app.create_vehicle(office, name).await;
    app.book(office, &hbust, &vehicle, day, "AFTERNOON", 20).await;
    app.gql_ok_as(
        office,
        "mutation($v: ID!) { addVehicleBlackout(vehicleId: $v, from: \"2020-04-06\", to: \"2020-04-08\", reason: \"年检\") { id } }",
        json!({ "v": vehicle }),
    )
    .await;
}

#[tokio::test]
async fn six_vehicles_show_each_its_own_blackouts_calendar_and_feed_for_the_queries_of_two() {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    for (name, day) in [("鄂L采血01", "2020-03-02"), ("鄂L采血02", "2020-03-03")] {
        vehicle_with_a_visit_and_a_blackout(&app, &office, name, day).await;
    }
    let (two, ran_two) = app.statements_of(app.gql_ok_as(&office, FLEET, json!({}))).await;
    for (name, day) in [
        ("鄂L采血03", "2020-03-04"),
        ("鄂L采血04", "2020-03-05"),
        ("鄂L采血05", "2020-03-06"),
        ("鄂L采血06", "2020-03-09"),
    ] {
        vehicle_with_a_visit_and_a_blackout(&app, &office, name, day).await;
    }
    let (six, ran_six) = app.statements_of(app.gql_ok_as(&office, FLEET, json!({}))).await;
    assert_eq!(two["vehicles"].as_array().unwrap().len(), 2);
    let fleet = six["vehicles"].as_array().unwrap();
    let days = ["2020-03-02", "2020-03-03", "2020-03-04", "2020-03-05", "2020-03-06", "2020-03-09"];
    assert_eq!(fleet.len(), 6);
    for (v, day) in fleet.iter().zip(days) {
        assert_eq!(
            v["blackouts"],
            json!([{ "from": "2020-04-06", "to": "2020-04-08", "reason": "年检" }]),
            "{v}"
        );
        assert_eq!(
            v["calendar"],
            json!([{ "date": day, "session": "AFTERNOON", "unitName": "湖北科技学院" }]),
            "{v}"
        );
        let url = v["calendarUrl"].as_str().unwrap();
        assert!(
            url.starts_with(&format!("{}/calendar/vehicles/", app.address)) && url.ends_with(".ics"),
            "{url}"
        );
    }
    let feeds: std::collections::BTreeSet<&str> =
        fleet.iter().map(|v| v["calendarUrl"].as_str().unwrap()).collect();
    assert_eq!(feeds.len(), 6, "a feed of its own for each vehicle");
    assert_eq!(ran_two.len(), ran_six.len(), "{ran_two:#?}\n{ran_six:#?}");
    assert_eq!(reading(&ran_six, "vehicle_blackout"), 1, "{ran_six:#?}");
}

#[tokio::test]
async fn a_vehicle_with_600_visits_in_range_lists_its_first_500_and_the_others_their_own() {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let hbust = app.unit_id("湖北科技学院").await;
    let busy = app.create_vehicle(&office, "鄂L采血01").await;
    let quiet = app.create_vehicle(&office, "鄂L采血02").await;
    app.book(&office, &hbust, &quiet, "2020-03-02", "MORNING", 30).await;
    // 600 withdrawn visits of one vehicle, two a day from March 1st, written straight in.
    let now = app.clock.now();
    let first_day = NaiveDate::from_ymd_opt(2020, 3, 1).unwrap();
    let rows: Vec<visit::ActiveModel> = (0..600)
        .map(|i| visit::ActiveModel {
            unit_id: Set(UnitId(hbust.parse().unwrap())),
            vehicle_id: Set(VehicleId(busy.parse().unwrap())),
            date: Set(first_day + TimeDelta::days(i / 2)),
            session: Set(if i % 2 == 0 { Session::Morning } else { Session::Afternoon }),
            status: Set(VisitStatus::Cancelled),
            expected_donors: Set(10),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(100) {
        visit::Entity::insert_many(chunk.to_vec()).exec(&app.db).await.unwrap();
    }
    let query =
        r#"{ vehicles { name calendar(from: "2020-01-01", to: "2021-12-31") { date session status } } }"#;
    let data = app.gql_ok_as(&office, query, json!({})).await;
    let fleet = data["vehicles"].as_array().unwrap();
    let listed = fleet[0]["calendar"].as_array().unwrap();
    assert_eq!(listed.len(), 500, "the first 500 of 600");
    assert_eq!(
        (&listed[0]["date"], &listed[499]["date"], &listed[499]["session"]),
        (&json!("2020-03-01"), &json!("2020-11-05"), &json!("AFTERNOON")),
        "in date order: 250 days of two"
    );
    assert_eq!(
        fleet[1]["calendar"],
        json!([{ "date": "2020-03-02", "session": "MORNING", "status": "REQUESTED" }])
    );
}

#[tokio::test]
async fn six_users_show_their_holders_contact_and_feed_for_the_queries_of_two() {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let holders = ["市公安局", "湖北科技学院", "咸宁职业技术学院", "市教育局", "赤壁"];
    for (i, holder) in holders.iter().enumerate() {
        app.create_user(&format!("liaison{i}"), Role::Liaison, Some(holder)).await;
        if i != 2 {
            let unit = app.unit_id(holder).await;
            app.gql_ok_as(
                &office,
                "mutation($u: ID!, $p: String!) { updateUnitContact(unitId: $u, input: { name: \"张老师\", phone: $p, email: \"liaison@example.cn\" }) { id } }",
                json!({ "u": unit, "p": format!("1390715000{i}") }),
            )
            .await;
        }
    }
    let query = "query($n: Int) { users(first: $n) { nodes { username unit { name contact { phone } calendarUrl } } } }";
    let (two, ran_two) = app.statements_of(app.gql_ok_as(&office, query, json!({ "n": 2 }))).await;
    let (all, ran_all) = app.statements_of(app.gql_ok_as(&office, query, json!({ "n": 6 }))).await;
    assert_eq!(nodes(&two, "users").len(), 2);
    let users = nodes(&all, "users");
    assert_eq!(users[0]["unit"], Value::Null, "the office has no holder");
    let seen: Vec<(&str, &str, Option<&str>)> = users[1..]
        .iter()
        .map(|u| {
            (
                u["username"].as_str().unwrap(),
                u["unit"]["name"].as_str().unwrap(),
                u["unit"]["contact"]["phone"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("liaison0", "市公安局", Some("13907150000")),
            ("liaison1", "湖北科技学院", Some("13907150001")),
            ("liaison2", "咸宁职业技术学院", None),
            ("liaison3", "市教育局", Some("13907150003")),
            ("liaison4", "赤壁", Some("13907150004")),
        ]
    );
    let feeds: std::collections::BTreeSet<&str> =
        users[1..].iter().map(|u| u["unit"]["calendarUrl"].as_str().unwrap()).collect();
    assert_eq!(feeds.len(), 5, "a feed of its own for each holder: {feeds:?}");
    assert!(feeds.iter().all(|f| f.starts_with(&format!("{}/calendar/units/", app.address))), "{feeds:?}");
    assert_eq!(ran_two.len(), ran_all.len(), "{ran_two:#?}\n{ran_all:#?}");
    assert_eq!(reading(&ran_all, "unit_contact"), 1, "{ran_all:#?}");
    assert_eq!(reading(&ran_all, "unit_calendar"), 1, "{ran_all:#?}");

    // A liaison still reads only their own holder's contact and feed.
    let liaison = app.login("liaison1").await;
    let own = app.gql_ok_as(&liaison, "{ me { unit { contact { phone } calendarUrl } } }", json!({})).await;
    assert_eq!(own["me"]["unit"]["contact"]["phone"], "13907150001");
    let police = app.unit_id("市公安局").await;
    for field in ["contact { phone }", "calendarUrl"] {
        let other = app
            .gql_as(
                &liaison,
                &format!("query($u: ID!) {{ unit(id: $u) {{ name {field} }} }}"),
                json!({ "u": police }),
            )
            .await;
        assert_eq!(crate::helpers::error_code(&other), Some("FORBIDDEN"), "{field}: {other}");
    }
}

const PLANS: &str =
    "{ plans { year warnings sections { kind printedTotal rowTotal difference unitCount } } }";

#[tokio::test]
async fn two_plans_show_each_its_own_sections_and_warnings_for_the_queries_of_one() {
    let app = spawn_app().await;
    let (one, ran_one) = app.statements_of(app.gql_ok(PLANS, json!({}))).await;
    let seed = seeds_dir().join("2020");
    let imported = bloodplan_cli(&app.database, &["import", seed.to_str().unwrap(), "--year", "2021"]);
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    let (two, ran_two) = app.statements_of(app.gql_ok(PLANS, json!({}))).await;
    assert_eq!(one["plans"].as_array().unwrap().len(), 1);
    let plans = two["plans"].as_array().unwrap();
    assert_eq!(plans.iter().map(|p| p["year"].as_i64().unwrap()).collect::<Vec<_>>(), [2020, 2021]);
    for plan in plans {
        assert_eq!(
            plan["sections"],
            json!([
                { "kind": "COUNTY", "printedTotal": 10800, "rowTotal": 10800, "difference": 0, "unitCount": 6 },
                { "kind": "CITY_UNIT", "printedTotal": 8517, "rowTotal": 8417, "difference": 100, "unitCount": 122 },
                { "kind": "ENTERPRISE", "printedTotal": 1222, "rowTotal": 1222, "difference": 0, "unitCount": 29 },
            ]),
            "{plan}"
        );
        let warnings = plan["warnings"].as_array().unwrap();
        let off_by_100 = |w: &Value| w.as_str().is_some_and(|w| w.contains("8517") && w.contains("相差 100"));
        assert!(warnings.iter().any(off_by_100), "{plan}");
    }
    assert_eq!(plans[0]["warnings"].as_array().unwrap().len(), 1, "{}", plans[0]);
    assert_eq!(ran_one.len(), ran_two.len(), "{ran_one:#?}\n{ran_two:#?}");
}
