//! The audit trail: one record per write, none for a failed write, read by the office only.
use bloodplan::domain::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{bloodplan_cli, error_code, seeds_dir, spawn_app, spawn_empty_app, TestApp};

const TRAIL: &str = r#"query($e: String, $u: ID, $from: DateTime, $to: DateTime, $first: Int, $offset: Int) {
    auditLog(entity: $e, userId: $u, from: $from, to: $to, first: $first, offset: $offset) {
        totalCount nodes { actor userId entity entityId action before after } } }"#;

async fn trail(app: &TestApp, token: &str, vars: Value) -> Value {
    app.gql_ok_as(token, TRAIL, vars).await["auditLog"].clone()
}

#[tokio::test]
async fn each_kind_of_write_leaves_exactly_one_record_with_before_and_after() {
    let app = spawn_app().await;
    let office_id = app.create_user("office", Role::Office, None).await;
    let office = app.login("office").await;
    let hbust = app.unit_id("湖北科技学院").await;

    let create = "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }";
    let station_id = app
        .gql_ok_as(&office, create, json!({ "i": { "username": "station1", "password": crate::helpers::PASSWORD, "role": "STATION" } }))
        .await["createUser"]["id"]
        .clone();
    let users = trail(&app, &office, json!({ "e": "user" })).await;
    // The test's own set-up made `office` directly, as the command line does.
    assert_eq!(users["totalCount"], 2);
    assert_eq!(
        users["nodes"][0],
        json!({ "actor": "office", "userId": office_id.to_string(), "entity": "user", "entityId": station_id, "action": "create",
                "before": null, "after": { "username": "station1", "role": "STATION", "unitId": null, "disabled": false } })
    );
    assert!(!users.to_string().contains("argon2"), "password hashes never reach the trail");

    let disable = "mutation($id: ID!) { setUserDisabled(id: $id, disabled: true) { id } }";
    app.gql_ok_as(&office, disable, json!({ "id": station_id })).await;
    let node = &trail(&app, &office, json!({ "e": "user", "first": 1 })).await["nodes"][0];
    assert_eq!(
        (node["action"].as_str(), node["before"]["disabled"].as_bool(), node["after"]["disabled"].as_bool()),
        (Some("disable"), Some(false), Some(true))
    );

    let update =
        "mutation($u: ID!, $i: UnitContactInput!) { updateUnitContact(unitId: $u, input: $i) { id } }";
    app.gql_ok_as(&office, update, json!({ "u": hbust, "i": { "name": "张老师", "phone": "13907151234", "email": "zhang@hbust.edu.cn" } })).await;
    app.gql_ok_as(&office, update, json!({ "u": hbust, "i": { "name": "王老师", "phone": "13907151234", "email": "wang@hbust.edu.cn" } })).await;
    let contacts = trail(&app, &office, json!({ "e": "unit_contact" })).await;
    assert_eq!(contacts["totalCount"], 2);
    assert_eq!(contacts["nodes"][0]["action"], "update");
    assert_eq!(
        contacts["nodes"][0]["before"],
        json!({ "name": "张老师", "phone": "13907151234", "email": "zhang@hbust.edu.cn" })
    );
    assert_eq!(contacts["nodes"][0]["after"]["name"], "王老师");
    assert_eq!(
        (contacts["nodes"][1]["action"].as_str(), &contacts["nodes"][1]["before"]),
        (Some("create"), &Value::Null)
    );

    // Sessions: the office logged in once.
    let sessions = trail(&app, &office, json!({ "e": "session" })).await;
    assert_eq!(sessions["totalCount"], 1);
    assert_eq!(sessions["nodes"][0]["action"], "login");

    // The seed import at start-up is in the trail too.
    let plan = trail(&app, &office, json!({ "e": "plan" })).await;
    assert_eq!(plan["totalCount"], 1);
    assert_eq!(
        (plan["nodes"][0]["actor"].as_str(), plan["nodes"][0]["action"].as_str()),
        (Some("seed"), Some("import"))
    );
    assert_eq!(plan["nodes"][0]["after"]["rows"], 157);
    assert_eq!(plan["nodes"][0]["after"]["unitsCreated"], 157);
}

#[tokio::test]
async fn a_plan_import_from_the_command_line_is_recorded_once_and_a_no_op_not_at_all() {
    let app = spawn_empty_app().await;
    app.create_user("office", Role::Office, None).await;
    let office = app.login("office").await;
    let seed = seeds_dir().join("2020");
    for _ in 0..2 {
        assert!(bloodplan_cli(&app.database, &["import", seed.to_str().unwrap()]).status.success());
    }
    let plan = trail(&app, &office, json!({ "e": "plan" })).await;
    assert_eq!(plan["totalCount"], 1);
    assert_eq!(
        (plan["nodes"][0]["actor"].as_str(), plan["nodes"][0]["userId"].as_str()),
        (Some("cli"), None)
    );
    let failed =
        bloodplan_cli(&app.database, &["import", seed.to_str().unwrap(), "--strict", "--year", "2021"]);
    assert!(!failed.status.success());
    assert_eq!(trail(&app, &office, json!({ "e": "plan" })).await["totalCount"], 1);
}

#[tokio::test]
async fn a_failed_write_leaves_no_record() {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let hbust = app.unit_id("湖北科技学院").await;
    let before = app.count("audit_log").await;
    let update =
        "mutation($u: ID!, $i: UnitContactInput!) { updateUnitContact(unitId: $u, input: $i) { id } }";
    let bad = app
        .gql_as(
            &office,
            update,
            json!({ "u": hbust, "i": { "name": "张老师", "phone": "1", "email": "zhang@hbust.edu.cn" } }),
        )
        .await;
    assert_eq!(error_code(&bad), Some("BAD_INPUT"));
    let create = "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }";
    let taken = app
        .gql_as(
            &office,
            create,
            json!({ "i": { "username": "office", "password": crate::helpers::PASSWORD, "role": "OFFICE" } }),
        )
        .await;
    assert_eq!(error_code(&taken), Some("USERNAME_TAKEN"));
    assert_eq!(app.count("audit_log").await, before);
}

#[tokio::test]
async fn the_trail_is_filtered_by_user_and_time_paged_newest_first_and_read_only() {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let liaison_id = app.create_user("hbust", Role::Liaison, Some("湖北科技学院")).await;
    let liaison = app.login("hbust").await;
    let hbust = app.unit_id("湖北科技学院").await;
    let update = "mutation($u: ID!, $n: String!) { updateUnitContact(unitId: $u, input: { name: $n, phone: \"13907151234\", email: \"a@hbust.edu.cn\" }) { id } }";
    for (hour, name) in [(1, "一"), (2, "二"), (3, "三")] {
        app.clock.set(crate::helpers::demo_now() + chrono::TimeDelta::hours(hour));
        app.gql_ok_as(&liaison, update, json!({ "u": hbust, "n": name })).await;
    }
    let mine = trail(&app, &office, json!({ "u": liaison_id.to_string(), "e": "unit_contact" })).await;
    assert_eq!(mine["totalCount"], 3);
    let names: Vec<&str> =
        mine["nodes"].as_array().unwrap().iter().map(|n| n["after"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["三", "二", "一"]);
    let window = trail(
        &app,
        &office,
        json!({ "e": "unit_contact", "from": "2020-02-01T02:30:00Z", "to": "2020-02-01T04:00:00Z" }),
    )
    .await;
    assert_eq!(window["totalCount"], 1);
    assert_eq!(window["nodes"][0]["after"]["name"], "二");
    let page = trail(&app, &office, json!({ "e": "unit_contact", "first": 1, "offset": 1 })).await;
    assert_eq!(page["nodes"].as_array().unwrap().len(), 1);
    assert_eq!(page["nodes"][0]["after"]["name"], "二");

    assert_eq!(error_code(&app.gql_as(&liaison, TRAIL, json!({})).await), Some("FORBIDDEN"));
    let mutations = app.gql_ok("{ __schema { mutationType { fields { name } } } }", json!({})).await;
    let names = mutations["__schema"]["mutationType"]["fields"].to_string().to_lowercase();
    assert!(!names.contains("audit"), "no mutation touches the trail: {names}");
}
