//! `bloodplan gen --activity` and `bloodplan import-activity`: a generated year of visits
//! and records loads in bulk, the city's fulfilment is what the files say, and a year that
//! already has activity is refused without a change.
use std::path::Path;

use bloodplan::domain::auth::Role;
use serde_json::json;

use crate::helpers::{bloodplan_cli, cli_ok, spawn_empty_app, TestApp};

/// The figures the generated files add up to.
#[derive(Debug, Default, PartialEq, Eq)]
struct Sums {
    quota: i64,
    donations: i64,
    volume_ml: i64,
    booked: i64,
    visits: i64,
    records: i64,
}

fn number(field: &str) -> i64 {
    if field.is_empty() {
        0
    } else {
        field.parse().unwrap_or_else(|_| panic!("a number: {field}"))
    }
}

fn sums_of(dir: &Path) -> Sums {
    let mut s = Sums::default();
    let units = std::fs::read_to_string(dir.join("units.csv")).unwrap();
    for line in units.lines().skip(1) {
        s.quota += number(line.split(',').nth(3).unwrap());
    }
    let activity = std::fs::read_to_string(dir.join("activity.csv")).unwrap();
    for line in activity.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 11, "{line}");
        let bags = [number(f[7]), number(f[8]), number(f[9])];
        if !f[7].is_empty() {
            s.records += 1;
        }
        s.donations += bags.iter().sum::<i64>();
        s.volume_ml += 200 * bags[0] + 300 * bags[1] + 400 * bags[2];
        if f[2] == "AT_UNIT" {
            s.visits += 1;
        }
        if f[5] == "REQUESTED" || f[5] == "CONFIRMED" {
            s.booked += number(f[6]);
        }
    }
    s
}

async fn city_total(app: &TestApp, token: &str) -> serde_json::Value {
    let query = "{ fulfilment(year: 2020, asOf: \"2020-01-31\") { quota collectedDonations collectedVolumeMl bookedDonors } }";
    app.gql_ok_as(token, query, json!({})).await["fulfilment"].clone()
}

#[tokio::test]
async fn a_generated_year_of_activity_loads_in_bulk_and_the_city_total_is_the_files_sum() {
    let app = spawn_empty_app().await;
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path().to_str().unwrap();
    // The CLI's clock is 2020-02-01: January is done and collected, the rest booked.
    let args = [
        "gen",
        "--cities",
        "2",
        "--units-per-city",
        "20",
        "--year",
        "2020",
        "--seed",
        "7",
        "--activity",
        "--as-of",
        "2020-01-31",
        "--out",
        dir,
    ];
    let generated = cli_ok(&app, &args);
    assert!(generated.contains("采血活动"), "{generated}");
    let sums = sums_of(folder.path());
    assert!(sums.records > 0 && sums.booked > 0 && sums.visits > sums.records, "{sums:?}");
    cli_ok(&app, &["import", dir]);

    let loaded = cli_ok(&app, &["import-activity", dir]);
    let vehicles = std::fs::read_to_string(folder.path().join("vehicles.csv")).unwrap().lines().count() - 1;
    let summary = format!(
        "已导入 2020 年采血活动：新建采血车 {vehicles}，采血活动 {}，采血记录 {}，献血 {} 人次、{} 毫升，用时",
        sums.visits, sums.records, sums.donations, sums.volume_ml
    );
    assert!(loaded.starts_with(&summary), "{loaded}\nexpected: {summary}");
    assert_eq!(app.count("visit").await, sums.visits);
    assert_eq!(app.count("collection").await, sums.records);
    assert_eq!(app.count("collection_revision").await, sums.records);
    assert_eq!(app.count("vehicle").await, vehicles as i64);
    let loaded_tables = ["visit", "collection", "holder_month_total"];
    assert_eq!(app.never_analyzed(&loaded_tables).await, Vec::<String>::new());

    let office = app.user_token("office", Role::Office, None).await;
    let before = city_total(&app, &office).await;
    assert_eq!(
        before,
        json!({
            "quota": sums.quota,
            "collectedDonations": sums.donations,
            "collectedVolumeMl": sums.volume_ml,
            "bookedDonors": sums.booked,
        })
    );
    // The kept totals were rebuilt with the rows: a recount finds nothing to repair.
    let recount = bloodplan_cli(&app.database, &["recount", "--year", "2020"]);
    assert!(String::from_utf8_lossy(&recount.stderr).contains("2020: the kept totals match"));

    let again = bloodplan_cli(&app.database, &["import-activity", dir]);
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    let refusal = format!("2020 年已有采血活动 {} 条、采血记录 {} 条", sums.visits, sums.records);
    assert!(stderr.contains(&refusal) && stderr.contains("already has activity"), "{stderr}");
    assert_eq!(app.count("visit").await, sums.visits);
    assert_eq!(app.count("collection").await, sums.records);
    assert_eq!(app.count("vehicle").await, vehicles as i64);
    assert_eq!(city_total(&app, &office).await, before);
}

#[tokio::test]
async fn import_activity_names_the_line_of_a_holder_not_in_the_plan_and_writes_nothing() {
    let app = spawn_empty_app().await;
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path().to_str().unwrap();
    let args =
        ["gen", "--cities", "1", "--units-per-city", "10", "--year", "2019", "--activity", "--out", dir];
    cli_ok(&app, &args);
    cli_ok(&app, &["import", dir]);
    let path = folder.path().join("activity.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let third = text.lines().nth(2).unwrap();
    let holder = third.split(',').nth(1).unwrap();
    let changed = text.replacen(third, &third.replacen(holder, "不存在的单位", 1), 1);
    std::fs::write(&path, changed).unwrap();

    let out = bloodplan_cli(&app.database, &["import-activity", dir]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("activity.csv 第3行 holder列: 单位「不存在的单位」不在 2019 年计划中"),
        "{stderr}"
    );
    assert_eq!(app.count("visit").await, 0);
    assert_eq!(app.count("collection").await, 0);
    assert_eq!(app.count("vehicle").await, 0, "the vehicles created went with the transaction");
}
