//! The published 2020 plan, read over GraphQL.
use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app};

const CONTRACT_QUERY: &str = r#"{ plan(year: 2020) {
    year documentNumber donationTarget volumeTargetMl
    sections { kind printedTotal rowTotal }
    units(first: 500) { totalCount nodes { id section seq name quota site note kind } } } }"#;

fn node<'a>(nodes: &'a [Value], name: &str) -> &'a Value {
    nodes.iter().find(|n| n["name"] == name).unwrap_or_else(|| panic!("{name} is in the plan"))
}

#[tokio::test]
async fn the_2020_plan_has_every_row_of_the_printed_table() {
    let app = spawn_app().await;
    let data = app.gql_ok(CONTRACT_QUERY, json!({})).await;
    let plan = &data["plan"];
    assert_eq!(plan["year"], 2020);
    assert_eq!(plan["documentNumber"], "咸政办函〔2019〕83号");
    assert_eq!(plan["donationTarget"], 24500);
    assert_eq!(plan["volumeTargetMl"], 9_000_000);
    assert_eq!(
        plan["sections"],
        json!([
            { "kind": "COUNTY", "printedTotal": 10800, "rowTotal": 10800 },
            { "kind": "CITY_UNIT", "printedTotal": 8517, "rowTotal": 8417 },
            { "kind": "ENTERPRISE", "printedTotal": 1222, "rowTotal": 1222 },
        ])
    );
    let units = &plan["units"];
    assert_eq!(units["totalCount"], 157);
    let nodes = units["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 157);
    let count = |section: &str| nodes.iter().filter(|n| n["section"] == section).count();
    assert_eq!((count("COUNTY"), count("CITY_UNIT"), count("ENTERPRISE")), (6, 122, 29));
    let sum = |section: &str| {
        nodes.iter().filter(|n| n["section"] == section).map(|n| n["quota"].as_i64().unwrap()).sum::<i64>()
    };
    assert_eq!((sum("COUNTY"), sum("CITY_UNIT"), sum("ENTERPRISE")), (10_800, 8_417, 1_222));

    let hbust = node(nodes, "湖北科技学院");
    assert_eq!(
        (hbust["quota"].as_i64(), hbust["kind"].as_str(), hbust["seq"].as_i64()),
        (Some(2800), Some("UNIVERSITY"), Some(76))
    );
    assert_eq!(hbust["site"], "献血单位");
    let garrison = node(nodes, "咸宁军分区");
    assert_eq!((garrison["quota"].as_i64(), garrison["note"].as_str()), (Some(200), Some("含民兵预备役")));
    assert_eq!(garrison["kind"], "MILITARY");
    let police = node(nodes, "市公安局");
    assert_eq!((police["quota"].as_i64(), police["note"].as_str()), (Some(100), Some("含二级单位")));
    let chibi = node(nodes, "赤壁");
    assert_eq!((chibi["section"].as_str(), chibi["quota"].as_i64()), (Some("COUNTY"), Some(2500)));
    // Verbatim, typo included: the table prints 份公司.
    assert_eq!(node(nodes, "中国人保财险公司咸宁份公司")["quota"], 10);
    assert_eq!(node(nodes, "咸宁万达广场")["kind"], "RETAIL");
    // The table's own order: counties, then city-level units, then enterprises.
    assert_eq!(nodes[0]["name"], "咸安");
    assert_eq!(nodes[6]["name"], "市委办");
    assert_eq!(nodes[156]["name"], "咸宁万达广场");
}

#[tokio::test]
async fn the_plan_reports_the_printed_city_total_that_is_off_by_100() {
    let app = spawn_app().await;
    let data = app
        .gql_ok("{ plan(year: 2020) { warnings sections { kind difference unitCount label } } }", json!({}))
        .await;
    let warnings = data["plan"]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let warning = warnings[0].as_str().unwrap();
    assert!(
        warning.contains("8417") && warning.contains("8517") && warning.contains("相差 100"),
        "{warning}"
    );
    assert_eq!(
        data["plan"]["sections"][1],
        json!({ "kind": "CITY_UNIT", "difference": 100, "unitCount": 122, "label": "市直各单位" })
    );
    assert_eq!(data["plan"]["sections"][0]["difference"], 0);
}

#[tokio::test]
async fn units_can_be_filtered_ordered_and_paged() {
    let app = spawn_app().await;
    let query = r#"query($first: Int, $offset: Int, $section: Section, $kind: UnitKind, $name: String, $order: UnitOrderBy) {
        plan(year: 2020) { units(first: $first, offset: $offset, section: $section, kind: $kind, nameContains: $name, orderBy: $order) {
            totalCount hasNextPage nodes { name quota } } } }"#;
    let universities = app_units(&app, query, json!({ "kind": "UNIVERSITY", "order": "QUOTA_DESC" })).await;
    assert_eq!(universities["totalCount"], 3);
    assert_eq!(
        universities["nodes"],
        json!([
            { "name": "湖北科技学院", "quota": 2800 },
            { "name": "咸宁职业技术学院", "quota": 2000 },
            { "name": "湖北商贸学院(咸宁校区)", "quota": 400 },
        ])
    );
    let banks = app_units(
        &app,
        query,
        json!({ "section": "CITY_UNIT", "name": "咸宁分行", "first": 3, "offset": 3 }),
    )
    .await;
    assert_eq!(banks["totalCount"], 10);
    assert_eq!(banks["hasNextPage"], true);
    assert_eq!(banks["nodes"].as_array().unwrap().len(), 3);
    assert_eq!(banks["nodes"][0]["name"], "中行咸宁分行");
    let hotels_smallest =
        app_units(&app, query, json!({ "kind": "HOTEL", "order": "QUOTA_ASC", "first": 1 })).await;
    assert_eq!(hotels_smallest["totalCount"], 9);
    assert_eq!(hotels_smallest["nodes"][0], json!({ "name": "凯悦大酒店", "quota": 8 }));
    let counties_last_page =
        app_units(&app, query, json!({ "section": "COUNTY", "first": 4, "offset": 4 })).await;
    assert_eq!(counties_last_page["hasNextPage"], false);
    assert_eq!(
        counties_last_page["nodes"],
        json!([{ "name": "崇阳", "quota": 1900 }, { "name": "通山", "quota": 1200 }])
    );
}

async fn app_units(app: &crate::helpers::TestApp, query: &str, variables: Value) -> Value {
    app.gql_ok(query, variables).await["plan"]["units"].clone()
}

#[tokio::test]
async fn a_page_larger_than_500_is_bad_input() {
    let app = spawn_app().await;
    let answer = app.gql("{ plan(year: 2020) { units(first: 501) { totalCount } } }", json!({})).await;
    assert_eq!(error_code(&answer), Some("BAD_INPUT"));
    let answer =
        app.gql("{ plan(year: 2020) { units(first: 10, offset: -1) { totalCount } } }", json!({})).await;
    assert_eq!(error_code(&answer), Some("BAD_INPUT"));
}

#[tokio::test]
async fn an_unknown_year_or_unit_is_not_found() {
    let app = spawn_app().await;
    let answer = app.gql("{ plan(year: 2019) { year } }", json!({})).await;
    assert_eq!(error_code(&answer), Some("NOT_FOUND"));
    assert_eq!(answer["data"], Value::Null);
    let answer = app.gql("{ unit(id: \"999999\") { name } }", json!({})).await;
    assert_eq!(error_code(&answer), Some("NOT_FOUND"));
    let answer = app.gql("{ unit(id: \"abc\") { name } }", json!({})).await;
    assert_eq!(error_code(&answer), Some("BAD_INPUT"));
}

#[tokio::test]
async fn a_unit_shows_its_quota_in_each_year() {
    let app = spawn_app().await;
    let data = app
        .gql_ok(r#"{ plan(year: 2020) { units(kind: UNIVERSITY, first: 1) { nodes { id } } } }"#, json!({}))
        .await;
    let id = data["plan"]["units"]["nodes"][0]["id"].as_str().unwrap().to_owned();
    let data = app
        .gql_ok(
            "query($id: ID!) { unit(id: $id) { name kind quotas { year section seq quota site } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        data["unit"],
        json!({ "name": "湖北科技学院", "kind": "UNIVERSITY",
                "quotas": [{ "year": 2020, "section": "CITY_UNIT", "seq": 76, "quota": 2800, "site": "献血单位" }] })
    );
    let plans = app.gql_ok("{ plans { year title issuedOn donationRatePerThousand } }", json!({})).await;
    assert_eq!(
        plans["plans"],
        json!([{ "year": 2020, "title": "2020年咸宁市团体无偿献血计划表", "issuedOn": "2019-12-25", "donationRatePerThousand": 15 }])
    );
}

#[tokio::test]
async fn an_over_deep_or_over_complex_query_is_rejected() {
    let app = spawn_app().await;
    // __type nesting goes as deep as a client likes; the limit stops it before execution.
    let mut deep = String::from("name");
    for _ in 0..12 {
        deep = format!("ofType {{ {deep} }}");
    }
    let answer = app.gql(&format!("{{ __type(name: \"Plan\") {{ {deep} }} }}"), json!({})).await;
    assert_eq!(error_code(&answer), Some("DEPTH_LIMIT"), "{answer}");
    assert_eq!(answer.get("data").cloned().unwrap_or(Value::Null), Value::Null);

    let wide: String = (0..4000).map(|i| format!("p{i}: plans {{ year title }} ")).collect();
    let answer = app.gql(&format!("{{ {wide} }}"), json!({})).await;
    assert_eq!(error_code(&answer), Some("COMPLEXITY_LIMIT"), "{answer}");
}

#[tokio::test]
async fn a_database_failure_is_reported_without_its_internals() {
    let app = spawn_app().await;
    use sea_orm::ConnectionTrait;
    app.db.execute_unprepared("DROP TABLE plan_warning").await.unwrap();
    let answer = app.gql("{ plan(year: 2020) { warnings } }", json!({})).await;
    assert_eq!(error_code(&answer), Some("INTERNAL"));
    let text = answer.to_string();
    assert!(!text.contains("plan_warning") && !text.to_lowercase().contains("sql"), "{text}");
}
