//! Holders' liaison contacts: who may read and change them.
use bloodplan::domain::auth::Role;
use serde_json::json;

use crate::helpers::{error_code, spawn_app};

const UPDATE: &str = "mutation($u: ID!, $i: UnitContactInput!) { updateUnitContact(unitId: $u, input: $i) { id unitName name phone email } }";
const READ: &str = "query($u: ID!) { unit(id: $u) { name contact { name phone email } } }";

#[tokio::test]
async fn a_liaison_keeps_their_own_contact_and_cannot_see_or_change_anothers() {
    let app = spawn_app().await;
    let hbust = app.unit_id("湖北科技学院").await;
    let police = app.unit_id("市公安局").await;
    let liaison = app.user_token("hbust", Role::Liaison, Some("湖北科技学院")).await;
    let office = app.user_token("office", Role::Office, None).await;
    let station = app.user_token("station", Role::Station, None).await;

    let saved = app
        .gql_ok_as(&liaison, UPDATE, json!({ "u": hbust, "i": { "name": " 张老师 ", "phone": "139 0715 1234", "email": "zhang@hbust.edu.cn" } }))
        .await;
    assert_eq!(
        saved["updateUnitContact"],
        json!({ "id": hbust, "unitName": "湖北科技学院", "name": "张老师", "phone": "13907151234", "email": "zhang@hbust.edu.cn" })
    );
    app.gql_ok_as(
        &office,
        UPDATE,
        json!({ "u": police, "i": { "name": "李警官", "phone": "0715-8123456", "email": "li@xnga.gov.cn" } }),
    )
    .await;

    let own = app.gql_ok_as(&liaison, READ, json!({ "u": hbust })).await;
    assert_eq!(own["unit"]["contact"]["email"], "zhang@hbust.edu.cn");
    let other = app.gql_as(&liaison, READ, json!({ "u": police })).await;
    assert_eq!(error_code(&other), Some("FORBIDDEN"));
    assert!(!other.to_string().contains("李警官"), "nothing of the other holder leaks");
    let change_other = app
        .gql_as(
            &liaison,
            UPDATE,
            json!({ "u": police, "i": { "name": "x", "phone": "13907151234", "email": "x@qq.com" } }),
        )
        .await;
    assert_eq!(error_code(&change_other), Some("FORBIDDEN"));
    // Guessing ids that do not exist answers exactly as for ids that do.
    let guess = app
        .gql_as(
            &liaison,
            UPDATE,
            json!({ "u": "999999", "i": { "name": "x", "phone": "13907151234", "email": "x@qq.com" } }),
        )
        .await;
    assert_eq!(error_code(&guess), Some("FORBIDDEN"));

    let list = "{ unitContacts(first: 50) { totalCount nodes { unitName } } }";
    assert_eq!(
        app.gql_ok_as(&liaison, list, json!({})).await["unitContacts"],
        json!({ "totalCount": 1, "nodes": [{ "unitName": "湖北科技学院" }] })
    );
    assert_eq!(app.gql_ok_as(&office, list, json!({})).await["unitContacts"]["totalCount"], 2);
    assert_eq!(app.gql_ok_as(&station, list, json!({})).await["unitContacts"]["totalCount"], 2);
    assert_eq!(
        app.gql_ok_as(&station, READ, json!({ "u": police })).await["unit"]["contact"]["name"],
        "李警官"
    );
    let station_change = app
        .gql_as(
            &station,
            UPDATE,
            json!({ "u": police, "i": { "name": "x", "phone": "13907151234", "email": "x@qq.com" } }),
        )
        .await;
    assert_eq!(error_code(&station_change), Some("FORBIDDEN"));
}

#[tokio::test]
async fn anonymous_users_read_the_plan_and_nothing_else() {
    let app = spawn_app().await;
    let hbust = app.unit_id("湖北科技学院").await;
    let plan = app.gql("{ plan(year: 2020) { units(first: 1) { totalCount } } }", json!({})).await;
    assert_eq!(plan["data"]["plan"]["units"]["totalCount"], 157);
    for query in [
        "{ me { username } }",
        "{ users { totalCount } }",
        "{ unitContacts { totalCount } }",
        "{ auditLog { totalCount } }",
    ] {
        assert_eq!(error_code(&app.gql(query, json!({})).await), Some("UNAUTHENTICATED"), "{query}");
    }
    let nested = app.gql(READ, json!({ "u": hbust })).await;
    assert_eq!(error_code(&nested), Some("UNAUTHENTICATED"));
    assert_eq!(nested["data"]["unit"]["name"], "湖北科技学院", "the public part still answers");
    assert_eq!(nested["errors"][0]["path"], json!(["unit", "contact"]));
    let write = app
        .gql(UPDATE, json!({ "u": hbust, "i": { "name": "x", "phone": "13907151234", "email": "x@qq.com" } }))
        .await;
    assert_eq!(error_code(&write), Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn bad_phone_numbers_and_emails_are_refused_and_nothing_is_written() {
    let app = spawn_app().await;
    let hbust = app.unit_id("湖北科技学院").await;
    let office = app.user_token("office", Role::Office, None).await;
    let before = app.snapshot().await;
    for (name, phone, email) in [
        ("张老师", "12345", "zhang@hbust.edu.cn"),
        ("张老师", "13907151234", "zhang"),
        ("", "13907151234", "a@b.cn"),
    ] {
        let answer = app
            .gql_as(
                &office,
                UPDATE,
                json!({ "u": hbust, "i": { "name": name, "phone": phone, "email": email } }),
            )
            .await;
        assert_eq!(error_code(&answer), Some("BAD_INPUT"), "{phone} {email}");
    }
    assert_eq!(app.snapshot().await, before);
}
