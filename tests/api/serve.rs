//! `bloodplan serve` as an operator runs it: first start on an empty database, clean stop.
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{fresh_database, seeds_dir};

#[tokio::test]
async fn serve_loads_the_plan_into_an_empty_database_and_stops_cleanly_on_sigterm() {
    let database = fresh_database().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bloodplan"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &database.url)
        .env("BLOODPLAN_SEEDS", seeds_dir())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/graphql");
    let mut answer = Value::Null;
    for _ in 0..300 {
        if let Ok(response) = client
            .post(&url)
            .json(&json!({ "query": "{ plan(year: 2020) { units(first: 1) { totalCount } } }" }))
            .send()
            .await
        {
            answer = response.json().await.unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(answer["data"]["plan"]["units"]["totalCount"], 157, "{answer}");

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let mut status = None;
    for _ in 0..200 {
        if let Some(s) = child.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = status.unwrap_or_else(|| {
        let _ = child.kill();
        panic!("serve did not stop within 10 s of SIGTERM")
    });
    assert!(status.success(), "serve exits 0 after SIGTERM: {status}");
}
