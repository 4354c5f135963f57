//! No vehicle is ever double-booked: parallel requests against one and two server processes.
use std::process::{Child, Command, Stdio};

use bloodplan::domain::auth::Role;
use futures_util::future::join_all;
use serde_json::Value;

use crate::helpers::{book_vars, error_code, seeds_dir, spawn_app, TestApp, BOOK};

/// A second `bloodplan serve` process on the test's database; killed when dropped.
struct SecondServer {
    child: Child,
    address: String,
}

impl Drop for SecondServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn second_server(app: &TestApp) -> SecondServer {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(env!("CARGO_BIN_EXE_bloodplan"))
        .arg("serve")
        .env("DATABASE_URL", &app.database.url)
        .env("BLOODPLAN_BIND", format!("127.0.0.1:{port}"))
        .env("BLOODPLAN_NOW", "2020-02-01T09:00:00+08:00")
        .env("BLOODPLAN_SEEDS", seeds_dir())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("second server starts");
    let server = SecondServer { child, address: format!("http://127.0.0.1:{port}") };
    for _ in 0..300 {
        if app
            .client
            .get(format!("{}/health", server.address))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return server;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the second server did not come up");
}

/// Fires every booking at once, spread over the given servers, and returns the answers.
async fn race(app: &TestApp, servers: &[String], token: &str, bookings: Vec<Value>) -> Vec<Value> {
    let requests = bookings.into_iter().enumerate().map(|(i, variables)| {
        let url = format!("{}/graphql", servers[i % servers.len()]);
        let request = app
            .client
            .post(url)
            .bearer_auth(token)
            .json(&serde_json::json!({ "query": BOOK, "variables": variables }));
        async move { request.send().await.expect("answer").json::<Value>().await.expect("JSON") }
    });
    join_all(requests).await
}

fn tally(answers: &[Value]) -> (usize, usize) {
    let won = answers.iter().filter(|a| a.get("errors").is_none()).count();
    let lost = answers.iter().filter(|a| error_code(a) == Some("SLOT_TAKEN")).count();
    (won, lost)
}

#[tokio::test]
async fn fifty_parallel_bookings_of_one_session_make_exactly_one_visit() {
    let app = spawn_app().await;
    let liaison = app.user_token("hbust", Role::Liaison, Some("湖北科技学院")).await;
    let station = app.user_token("station", Role::Station, None).await;
    let hbust = app.unit_id("湖北科技学院").await;
    let vehicle = app.create_vehicle(&station, "鄂L采血01").await;
    let bookings = (0..50).map(|_| book_vars(&hbust, &vehicle, "2020-03-02", "MORNING", 25)).collect();
    let answers = race(&app, std::slice::from_ref(&app.address), &liaison, bookings).await;
    assert_eq!(tally(&answers), (1, 49), "{answers:?}");
    assert_eq!((app.count("visit").await, app.count("visit_slot").await), (1, 1));
}

#[tokio::test]
async fn two_server_processes_on_one_database_still_make_exactly_one_visit() {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let vehicle = app.create_vehicle(&office, "鄂L采血01").await;
    let other = second_server(&app).await;
    let servers = [app.address.clone(), other.address.clone()];
    // Fifty holders race for one vehicle's Monday: half want the morning, half the whole day,
    // and a whole day overlaps the morning.
    let names = ["湖北科技学院", "咸宁职业技术学院", "市中心医院", "市公安局", "咸安"];
    let mut units = Vec::new();
    for name in names {
        units.push(app.unit_id(name).await);
    }
    let bookings = (0..50)
        .map(|i| {
            book_vars(
                &units[i % units.len()],
                &vehicle,
                "2020-03-02",
                if i % 2 == 0 { "MORNING" } else { "FULL_DAY" },
                25,
            )
        })
        .collect();
    let answers = race(&app, &servers, &office, bookings).await;
    assert_eq!(tally(&answers), (1, 49), "{answers:?}");
    assert_eq!(app.count("visit").await, 1);
    // The afternoon is still free only if the morning won; either way no half-day is held twice.
    let slots = app.count("visit_slot").await;
    assert!(slots == 1 || slots == 2);
    // Both servers see the one visit.
    for server in &servers {
        let answer: Value = app
            .client
            .post(format!("{server}/graphql"))
            .bearer_auth(&office)
            .json(&serde_json::json!({ "query": "{ visits { totalCount } }" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer["data"]["visits"]["totalCount"], 1);
    }
}

/// Issue 10 item 8: bookings racing a deactivation. Either the deactivation wins (the vehicle
/// is inactive and no booking got through) or it is refused (`VEHICLE_HAS_VISITS`, the vehicle
/// stays active): never an inactive vehicle with live visits.
#[tokio::test]
async fn bookings_racing_a_deactivation_never_leave_an_inactive_vehicle_with_visits() {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let hbust = app.unit_id("湖北科技学院").await;
    // Every working day of March 2020, morning and afternoon: 44 distinct sessions.
    let days: Vec<String> = (2..=31)
        .map(|d| chrono::NaiveDate::from_ymd_opt(2020, 3, d).unwrap())
        .filter(|d| chrono::Datelike::weekday(d).number_from_monday() <= 5)
        .map(|d| d.to_string())
        .collect();
    assert_eq!(days.len(), 22);
    let deactivate = "mutation($v: ID!) { updateVehicle(id: $v, input: { active: false }) { active } }";
    let (mut refused, mut won) = (0, 0);
    // The deactivation is sent among the bookings, earlier or later from round to round.
    let positions = [0, 1, 2, 3, 5, 8, 13, 21];
    for (round, position) in positions.into_iter().enumerate() {
        let vehicle = app.create_vehicle(&office, &format!("鄂L竞速{round}")).await;
        let mut requests: Vec<(&str, Value)> = days
            .iter()
            .flat_map(|d| ["MORNING", "AFTERNOON"].map(|s| (BOOK, book_vars(&hbust, &vehicle, d, s, 20))))
            .collect();
        requests.insert(position, (deactivate, serde_json::json!({ "v": vehicle })));
        let sent = requests.into_iter().map(|(query, variables)| {
            let request = app
                .client
                .post(app.graphql_url())
                .bearer_auth(&office)
                .json(&serde_json::json!({ "query": query, "variables": variables }));
            async move { request.send().await.expect("answer").json::<Value>().await.expect("JSON") }
        });
        let mut answers = join_all(sent).await;
        let deactivated = answers.remove(position);
        let live = app
            .gql_ok_as(
                &office,
                "query($v: ID!) { visits(vehicleId: $v, status: [REQUESTED, CONFIRMED]) { totalCount } }",
                serde_json::json!({ "v": vehicle }),
            )
            .await["visits"]["totalCount"]
            .as_i64()
            .expect("count");
        let booked = answers.iter().filter(|a| a.get("errors").is_none()).count() as i64;
        assert_eq!(live, booked, "{answers:?}");
        if deactivated.get("errors").is_none() {
            assert_eq!(deactivated["data"]["updateVehicle"]["active"], false);
            assert_eq!(live, 0, "an inactive vehicle kept {live} visits: {answers:?}");
            assert!(answers.iter().all(|a| error_code(a) == Some("VEHICLE_INACTIVE")), "{answers:?}");
            won += 1;
        } else {
            assert_eq!(error_code(&deactivated), Some("VEHICLE_HAS_VISITS"), "{deactivated}");
            assert!(live >= 1);
            refused += 1;
        }
    }
    assert_eq!(won + refused, positions.len());
}
