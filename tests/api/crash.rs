//! A crash (issue 13, item 9): `kill -9` of `serve` while bookings and collections stream in;
//! after a restart every acknowledged write is there and none is half-applied.
use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{Datelike, NaiveDate, TimeDelta, Weekday};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{json, Value};

use crate::helpers::{fresh_database, seeds_dir, TestDatabase, PASSWORD};

/// `serve` on `database`, its clock starting on 2020-02-01, answering on a random port.
pub(crate) fn serve(database: &TestDatabase) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(env!("CARGO_BIN_EXE_bloodplan"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &database.url)
        .env("BLOODPLAN_SEEDS", seeds_dir())
        .env("BLOODPLAN_NOW", "2020-02-01T09:00:00+08:00")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (child, format!("http://127.0.0.1:{port}/graphql"))
}

pub(crate) async fn post(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    query: &str,
    vars: Value,
) -> Option<Value> {
    let mut request = client.post(url).json(&json!({ "query": query, "variables": vars }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.ok()?.json().await.ok()
}

/// Waits until `serve` answers (it migrates and seeds first).
pub(crate) async fn until_up(client: &reqwest::Client, url: &str) {
    for _ in 0..600 {
        if post(client, url, None, "{ __typename }", json!({})).await.is_some() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("serve did not come up");
}

pub(crate) fn add_office_user(database: &TestDatabase) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bloodplan"))
        .args(["user", "add", "--username", "office", "--role", "office", "--password-stdin"])
        .env("DATABASE_URL", &database.url)
        .env("BLOODPLAN_SEEDS", seeds_dir())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(format!("{PASSWORD}\n").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The working days of March 2020 (no public holiday falls in it).
fn march_working_days() -> Vec<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(2020, 3, 1).unwrap();
    (0..31)
        .map(|d| first + TimeDelta::days(d))
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .collect()
}

async fn ids(db: &DatabaseConnection, sql: &str) -> BTreeSet<i64> {
    let rows =
        db.query_all_raw(Statement::from_string(db.get_database_backend(), sql.to_owned())).await.unwrap();
    rows.iter()
        .map(|r| {
            r.try_get_by_index::<i64>(0).or_else(|_| r.try_get_by_index::<i32>(0).map(i64::from)).unwrap()
        })
        .collect()
}

#[tokio::test]
async fn after_a_kill_9_mid_stream_every_acknowledged_write_is_there_and_none_is_half_applied() {
    let database = fresh_database().await;
    let client = reqwest::Client::new();
    // The first start migrates and seeds the 2020 plan.
    let (mut first, url) = serve(&database);
    until_up(&client, &url).await;
    add_office_user(&database);
    let login = "mutation($p: String!) { login(username: \"office\", password: $p) { token } }";
    let answer = post(&client, &url, None, login, json!({ "p": PASSWORD })).await.unwrap();
    let token = answer["data"]["login"]["token"].as_str().expect("token").to_owned();
    let units = post(
        &client,
        &url,
        Some(&token),
        "{ plan(year: 2020) { units(first: 40) { nodes { id } } } }",
        json!({}),
    )
    .await
    .unwrap();
    let units: Vec<String> = units["data"]["plan"]["units"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    let mut vehicles = Vec::new();
    for n in 1..=4 {
        let create =
            "mutation($n: String!) { createVehicle(input: { name: $n, capacityPerDay: 60 }) { id } }";
        let v =
            post(&client, &url, Some(&token), create, json!({ "n": format!("鄂L采血0{n}") })).await.unwrap();
        vehicles.push(v["data"]["createVehicle"]["id"].as_str().expect("vehicle").to_owned());
    }

    // Eight clients stream writes: four book distinct sessions of one vehicle each, four
    // record fixed-site collections. Each keeps the ids the server acknowledged.
    let booked = Arc::new(Mutex::new(BTreeSet::new()));
    let recorded = Arc::new(Mutex::new(BTreeSet::new()));
    let mut clients = Vec::new();
    for (i, vehicle) in vehicles.iter().enumerate() {
        let (client, url, token, vehicle, units, booked) =
            (client.clone(), url.clone(), token.clone(), vehicle.clone(), units.clone(), Arc::clone(&booked));
        clients.push(tokio::spawn(async move {
            let book = "mutation($i: BookVisitInput!) { bookVisit(input: $i) { id } }";
            for (n, (date, session)) in march_working_days()
                .into_iter()
                .flat_map(|d| [(d, "MORNING"), (d, "AFTERNOON")])
                .enumerate()
            {
                let unit = &units[(i * 7 + n) % units.len()];
                let vars = json!({ "i": { "unitId": unit, "vehicleId": vehicle, "date": date.to_string(), "session": session, "expectedDonors": 20 } });
                let Some(answer) = post(&client, &url, Some(&token), book, vars).await else { return };
                if let Some(id) = answer["data"]["bookVisit"]["id"].as_str() {
                    booked.lock().unwrap().insert(id.parse::<i64>().unwrap());
                }
            }
        }));
    }
    for i in 0..4 {
        let (client, url, token, units, recorded) =
            (client.clone(), url.clone(), token.clone(), units.clone(), Arc::clone(&recorded));
        clients.push(tokio::spawn(async move {
            let record = "mutation($u: ID!, $d: Date!) { recordCollection(input: { unitId: $u, site: CENTRAL_STATION, date: $d, bags200: 2, bags400: 1 }) { id } }";
            for n in 0..10_000 {
                let unit = &units[(i * 11 + n) % units.len()];
                let date = NaiveDate::from_ymd_opt(2020, 1, 6).unwrap() + TimeDelta::days((n % 20) as i64);
                let vars = json!({ "u": unit, "d": date.to_string() });
                let Some(answer) = post(&client, &url, Some(&token), record, vars).await else { return };
                if let Some(id) = answer["data"]["recordCollection"]["id"].as_str() {
                    recorded.lock().unwrap().insert(id.parse::<i64>().unwrap());
                }
            }
        }));
    }
    // Kill it once both streams are well under way.
    for _ in 0..600 {
        if booked.lock().unwrap().len() >= 40 && recorded.lock().unwrap().len() >= 40 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill().unwrap(); // SIGKILL: no shutdown, no flush
    first.wait().unwrap();
    for c in clients {
        c.await.unwrap();
    }
    let (booked, recorded) = (booked.lock().unwrap().clone(), recorded.lock().unwrap().clone());
    assert!(
        booked.len() >= 40 && recorded.len() >= 40,
        "{} bookings, {} collections",
        booked.len(),
        recorded.len()
    );

    // Restart on the same database: it comes up and answers.
    let (mut second, url) = serve(&database);
    until_up(&client, &url).await;
    let db = Database::connect(&database.url).await.unwrap();
    let visits = ids(&db, "SELECT id FROM visit").await;
    let collections = ids(&db, "SELECT id FROM collection").await;
    eprintln!(
        "acknowledged {} bookings and {} collections; stored {} and {}",
        booked.len(),
        recorded.len(),
        visits.len(),
        collections.len()
    );
    assert!(booked.is_subset(&visits), "lost bookings: {:?}", booked.difference(&visits).collect::<Vec<_>>());
    assert!(
        recorded.is_subset(&collections),
        "lost collections: {:?}",
        recorded.difference(&collections).collect::<Vec<_>>()
    );
    // None half-applied: every visit holds exactly its one half-day slot and has its audit
    // record; every collection has its audit record.
    let slotless = ids(&db, "SELECT v.id FROM visit v LEFT JOIN visit_slot s ON s.visit_id = v.id GROUP BY v.id HAVING COUNT(s.id) <> 1").await;
    assert!(slotless.is_empty(), "visits without their slot: {slotless:?}");
    let audited = ids(
        &db,
        "SELECT CAST(entity_id AS BIGINT) FROM audit_log WHERE entity = 'visit' AND action = 'book'",
    )
    .await;
    assert_eq!(audited, visits, "a booking and its audit record commit together");
    let audited = ids(
        &db,
        "SELECT CAST(entity_id AS BIGINT) FROM audit_log WHERE entity = 'collection' AND action = 'record'",
    )
    .await;
    assert_eq!(audited, collections, "a collection and its audit record commit together");
    // The restarted service serves the same figures.
    let login = post(
        &client,
        &url,
        None,
        "mutation($p: String!) { login(username: \"office\", password: $p) { token } }",
        json!({ "p": PASSWORD }),
    )
    .await
    .unwrap();
    assert!(login["data"]["login"]["token"].is_string(), "{login}");
    second.kill().ok();
    second.wait().ok();
    db.close().await.ok();
}
