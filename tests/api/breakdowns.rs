//! Breakdown plans (分解计划): a county's liaison breaks its quota down into sub-units, the
//! office returns a version and accepts the next; every version is kept and audited.
use bloodplan::domain::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app, TestApp};

const SUBMIT: &str = "mutation($u: ID!, $y: Int!, $rows: [SubUnitInput!]!) { submitBreakdown(unitId: $u, year: $y, rows: $rows) { id status version quota total surplus subUnits { name kind quota } } }";
const RETURN: &str =
    "mutation($id: ID!, $c: String!) { returnBreakdown(id: $id, comment: $c) { id status version comment } }";
const ACCEPT: &str = "mutation($id: ID!) { acceptBreakdown(id: $id) { id status version } }";
const VERSIONS: &str =
    "query($u: ID!) { breakdowns(unitId: $u, year: 2020) { version status total comment subUnits { name quota } } }";

/// 咸安's 1,600 over twelve sub-units: its education bureau, ten townships and a hospital.
pub fn xianan_rows(total: i64) -> Value {
    let mut rows = vec![json!({ "name": "咸安区教育局", "quota": 200, "kind": "GOVERNMENT" })];
    let towns = ["浮山", "永安", "温泉", "向阳湖", "官埠桥", "横沟桥", "贺胜桥", "双溪桥", "马桥", "桂花"];
    let rest = total - 200 - 150;
    for (i, town) in towns.iter().enumerate() {
        // The remainder of an even split goes to the first township.
        let share = rest / 10 + if i == 0 { rest % 10 } else { 0 };
        rows.push(json!({ "name": format!("{town}镇"), "quota": share, "kind": "GOVERNMENT" }));
    }
    rows.push(json!({ "name": "咸安区人民医院", "quota": 150, "kind": "HOSPITAL" }));
    Value::Array(rows)
}

async fn submit(app: &TestApp, token: &str, unit: &str, rows: Value) -> Value {
    app.gql_as(token, SUBMIT, json!({ "u": unit, "y": 2020, "rows": rows })).await
}

#[tokio::test]
async fn xianan_submits_1650_over_12_sub_units_the_office_returns_it_once_and_accepts_the_second_version() {
    let app = spawn_app().await;
    let xianan = app.unit_id("咸安").await;
    let liaison = app.user_token("xianan", Role::Liaison, Some("咸安")).await;
    let office = app.user_token("office", Role::Office, None).await;

    let first = submit(&app, &liaison, &xianan, xianan_rows(1650)).await;
    let first = &first["data"]["submitBreakdown"];
    assert_eq!(first["status"], "SUBMITTED", "{first:#}");
    assert_eq!((first["version"].as_i64(), first["quota"].as_i64()), (Some(1), Some(1600)));
    assert_eq!((first["total"].as_i64(), first["surplus"].as_i64()), (Some(1650), Some(50)));
    assert_eq!(first["subUnits"].as_array().map(Vec::len), Some(12));
    assert_eq!(first["subUnits"][11], json!({ "name": "咸安区人民医院", "kind": "HOSPITAL", "quota": 150 }));

    let returned =
        app.gql_ok_as(&office, RETURN, json!({ "id": first["id"], "c": "请把各乡镇卫生院单列。" })).await;
    assert_eq!(returned["returnBreakdown"]["status"], "RETURNED");
    // A returned version is not decided again.
    let again = app.gql_as(&office, ACCEPT, json!({ "id": first["id"] })).await;
    assert_eq!(error_code(&again), Some("BREAKDOWN_NOT_SUBMITTED"), "{again:#}");

    let second = submit(&app, &liaison, &xianan, xianan_rows(1650)).await;
    let second = &second["data"]["submitBreakdown"];
    assert_eq!(second["version"], 2, "{second:#}");
    let accepted = app.gql_ok_as(&office, ACCEPT, json!({ "id": second["id"] })).await;
    assert_eq!(
        accepted["acceptBreakdown"],
        json!({ "id": second["id"], "status": "ACCEPTED", "version": 2 })
    );

    // Every version is kept, newest first, with the office's comment on the returned one.
    let versions = app.gql_ok_as(&liaison, VERSIONS, json!({ "u": xianan })).await;
    let shown: Vec<(i64, &str, i64)> = versions["breakdowns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (v["version"].as_i64().unwrap(), v["status"].as_str().unwrap(), v["total"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(shown, [(2, "ACCEPTED", 1650), (1, "RETURNED", 1650)]);
    assert_eq!(versions["breakdowns"][1]["comment"], "请把各乡镇卫生院单列。");
    let sub_units: i64 = versions["breakdowns"][0]["subUnits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["quota"].as_i64().unwrap())
        .sum();
    assert_eq!(sub_units, 1650, "the stored rows add up to the total");

    // Audited: two submissions, one return, one acceptance.
    let audit = app
        .gql_ok_as(
            &office,
            "{ auditLog(entity: \"breakdown\", first: 10) { nodes { action actor } } }",
            json!({}),
        )
        .await;
    let mut actions: Vec<(String, String)> = audit["auditLog"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["action"].as_str().unwrap().to_owned(), n["actor"].as_str().unwrap().to_owned()))
        .collect();
    actions.sort();
    let expected = [("accept", "office"), ("return", "office"), ("submit", "xianan"), ("submit", "xianan")];
    assert_eq!(actions, expected.map(|(a, b)| (a.to_owned(), b.to_owned())));

    // The office's overview: the six counties first, in table order, then the 23 rows that
    // include sub-units; 咸安 has an accepted second version, the others nothing yet.
    let overview = app
        .gql_ok_as(
            &office,
            "{ breakdownOverview(year: 2020, first: 7) { totalCount hasNextPage nodes { unitName section quota latestVersion latestStatus } } }",
            json!({}),
        )
        .await;
    let page = &overview["breakdownOverview"];
    assert_eq!((page["totalCount"].as_i64(), page["hasNextPage"].as_bool()), (Some(29), Some(true)));
    assert_eq!(
        page["nodes"][0],
        json!({ "unitName": "咸安", "section": "COUNTY", "quota": 1600, "latestVersion": 2, "latestStatus": "ACCEPTED" })
    );
    let names: Vec<&str> =
        page["nodes"].as_array().unwrap().iter().map(|n| n["unitName"].as_str().unwrap()).collect();
    assert_eq!(names, ["咸安", "嘉鱼", "赤壁", "通城", "崇阳", "通山", "市公安局"]);
    assert_eq!(page["nodes"][6]["latestStatus"], Value::Null);
}

#[tokio::test]
async fn a_breakdown_short_of_the_quota_is_refused_with_its_shortfall_and_changes_nothing() {
    let app = spawn_app().await;
    let xianan = app.unit_id("咸安").await;
    let liaison = app.user_token("xianan", Role::Liaison, Some("咸安")).await;

    let short = submit(&app, &liaison, &xianan, xianan_rows(1500)).await;
    assert_eq!(error_code(&short), Some("BREAKDOWN_SHORT"), "{short:#}");
    let message = short["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("1500") && message.contains("1600") && message.contains("还差 100 人次"),
        "{message}"
    );
    let versions = app.gql_ok_as(&liaison, VERSIONS, json!({ "u": xianan })).await;
    assert_eq!(versions["breakdowns"], json!([]), "nothing was stored");

    // Malformed rows: a clear BAD_INPUT naming the row.
    let twice = json!([
        { "name": "浮山镇", "quota": 900, "kind": "GOVERNMENT" },
        { "name": " 浮山镇 ", "quota": 900, "kind": "GOVERNMENT" }
    ]);
    let answer = submit(&app, &liaison, &xianan, twice).await;
    assert_eq!(error_code(&answer), Some("BAD_INPUT"), "{answer:#}");
    assert!(answer["errors"][0]["message"].as_str().unwrap().contains("第 2 行"), "{answer:#}");
}

#[tokio::test]
async fn a_liaison_cannot_submit_or_read_for_another_holder_and_only_the_office_decides() {
    let app = spawn_app().await;
    let xianan = app.unit_id("咸安").await;
    let jiayu = app.unit_id("嘉鱼").await;
    let liaison = app.user_token("xianan", Role::Liaison, Some("咸安")).await;
    let other = app.user_token("jiayu", Role::Liaison, Some("嘉鱼")).await;
    let station = app.user_token("station", Role::Station, None).await;

    let foreign = submit(&app, &liaison, &jiayu, xianan_rows(1650)).await;
    assert_eq!(error_code(&foreign), Some("FORBIDDEN"), "{foreign:#}");
    let own = submit(&app, &liaison, &xianan, xianan_rows(1600)).await;
    let id = own["data"]["submitBreakdown"]["id"].clone();
    assert_eq!(own["data"]["submitBreakdown"]["surplus"], 0, "{own:#}");
    let peek = app.gql_as(&other, VERSIONS, json!({ "u": xianan })).await;
    assert_eq!(error_code(&peek), Some("FORBIDDEN"), "{peek:#}");
    for token in [&liaison, &station] {
        let decide = app.gql_as(token, ACCEPT, json!({ "id": id })).await;
        assert_eq!(error_code(&decide), Some("FORBIDDEN"), "{decide:#}");
    }

    // A holder without sub-units is not asked for a breakdown.
    let police_free = app.unit_id("市委办").await;
    let office = app.user_token("office", Role::Office, None).await;
    let answer =
        submit(&app, &office, &police_free, json!([{ "name": "办公室", "quota": 10, "kind": "GOVERNMENT" }]))
            .await;
    assert_eq!(error_code(&answer), Some("BREAKDOWN_NOT_REQUIRED"), "{answer:#}");
}

#[tokio::test]
async fn parallel_submissions_never_share_a_version_number() {
    let app = spawn_app().await;
    let xianan = app.unit_id("咸安").await;
    let liaison = app.user_token("xianan", Role::Liaison, Some("咸安")).await;
    let answers =
        futures_util::future::join_all((0..8).map(|_| submit(&app, &liaison, &xianan, xianan_rows(1650))))
            .await;
    let mut versions: Vec<i64> =
        answers.iter().filter_map(|a| a["data"]["submitBreakdown"]["version"].as_i64()).collect();
    for a in answers.iter().filter(|a| a["data"]["submitBreakdown"].is_null()) {
        assert_eq!(error_code(a), Some("BREAKDOWN_CHANGED"), "a refused submission says why: {a:#}");
    }
    versions.sort();
    let expected: Vec<i64> = (1..=versions.len() as i64).collect();
    assert_eq!(versions, expected, "numbers are distinct and have no gaps");
    let stored = app.gql_ok_as(&liaison, VERSIONS, json!({ "u": xianan })).await;
    let waiting =
        stored["breakdowns"].as_array().unwrap().iter().filter(|v| v["status"] == "SUBMITTED").count();
    assert_eq!(waiting, 1, "only the newest version waits for the office");
}
