//! Numbers that fit: a collection record has a ceiling, checked before any arithmetic.
use bloodplan::domain::auth::Role;
use serde_json::json;

use crate::collections::RECORD;
use crate::helpers::{error_code, spawn_app, spawn_app_with, AppOptions};

fn fixed_site(unit: &str, bags400: i64) -> serde_json::Value {
    json!({ "i": { "unitId": unit, "site": "DONATION_HOUSE", "date": "2020-02-01", "bags400": bags400 } })
}

#[tokio::test]
async fn a_record_beyond_twice_the_largest_vehicles_day_is_over_capacity_and_writes_nothing() {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let hbust = app.unit_id("湖北科技学院").await;
    app.create_vehicle(&office, "鄂L采血01").await; // 60 a day: the ceiling is 120
    for bags400 in [10_737_419, 100_000, 121] {
        let answer = app.gql_as(&office, RECORD, fixed_site(&hbust, bags400)).await;
        assert_eq!(error_code(&answer), Some("OVER_CAPACITY"), "{bags400}: {answer}");
        assert!(answer["errors"][0]["message"].as_str().unwrap().contains("120"), "{answer}");
    }
    assert_eq!(app.count("collection").await, 0);
    let data = app.gql_ok_as(&office, RECORD, fixed_site(&hbust, 120)).await;
    assert_eq!(data["recordCollection"]["volumeMl"], 48_000);
    assert_eq!(data["recordCollection"]["donations"], 120);
    // The figure the database keeps is the one the API answered.
    let year = app
        .gql_ok_as(
            &office,
            "{ fulfilment(year: 2020, asOf: \"2020-02-01\") { collectedVolumeMl } }",
            json!({}),
        )
        .await;
    assert_eq!(year["fulfilment"]["collectedVolumeMl"], 48_000);
}

#[tokio::test]
async fn the_ceiling_can_be_configured() {
    let app = spawn_app_with(AppOptions {
        configure: |c| c.collections.max_donations = Some(10),
        ..AppOptions::default()
    })
    .await;
    let office = app.user_token("office", Role::Office, None).await;
    let hbust = app.unit_id("湖北科技学院").await;
    let answer = app.gql_as(&office, RECORD, fixed_site(&hbust, 11)).await;
    assert_eq!(error_code(&answer), Some("OVER_CAPACITY"));
    app.gql_ok_as(&office, RECORD, fixed_site(&hbust, 10)).await;
}
