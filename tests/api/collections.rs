//! Recording collections: figures, revisions, rejections, races and who may do it.
use bloodplan::domain::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app, TestApp};

pub const RECORD: &str = "mutation($i: RecordCollectionInput!) { recordCollection(input: $i) { id unitName site date donations volumeMl deferred revision } }";
pub const CORRECT: &str = "mutation($id: ID!, $rev: Int!, $r: String!, $i: RecordCollectionInput!) { correctCollection(id: $id, expectedRevision: $rev, reason: $r, input: $i) { id donations volumeMl revision } }";

/// Moving the clock a month on expires every token (they last 12 hours): tests log in again.
pub fn at(text: &str) -> chrono::DateTime<chrono::Utc> {
    text.parse::<chrono::DateTime<chrono::FixedOffset>>().unwrap().into()
}

pub fn visit_input(visit: &str, date: &str, bags: [i32; 3], deferred: i32) -> Value {
    json!({ "i": { "visitId": visit, "date": date, "bags200": bags[0], "bags300": bags[1], "bags400": bags[2], "deferred": deferred } })
}

/// Records a visit's collection and returns the record's id.
pub async fn record(app: &TestApp, token: &str, visit: &str, date: &str, bags: [i32; 3]) -> String {
    let data = app.gql_ok_as(token, RECORD, visit_input(visit, date, bags, 0)).await;
    data["recordCollection"]["id"].as_str().unwrap().to_owned()
}

async fn visit_status(app: &TestApp, token: &str, visit: &str) -> String {
    let data =
        app.gql_ok_as(token, "query($id: ID!) { visit(id: $id) { status } }", json!({ "id": visit })).await;
    data["visit"]["status"].as_str().unwrap().to_owned()
}

struct Setup {
    app: TestApp,
    office: String,
    station: String,
    hbust: String,
    vehicle: String,
}

async fn setup() -> Setup {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let station = app.user_token("station", Role::Station, None).await;
    let hbust = app.unit_id("湖北科技学院").await;
    let vehicle = app.create_vehicle(&office, "鄂L采血01").await;
    Setup { app, office, station, hbust, vehicle }
}

#[tokio::test]
async fn a_visits_collection_of_10_5_and_20_bags_is_35_donations_of_11_500_ml_and_completes_the_visit() {
    let Setup { app, office, station: _, hbust, vehicle } = setup().await;
    let visit = app.book_confirmed(&office, &hbust, &vehicle, "2020-03-02", "FULL_DAY", 60).await;
    app.clock.set(at("2020-03-02T17:00:00+08:00"));
    let (office, station) = (app.login("office").await, app.login("station").await);
    let audit_before = app.count("audit_log").await;
    let data = app.gql_ok_as(&station, RECORD, visit_input(&visit, "2020-03-02", [10, 5, 20], 3)).await;
    let c = &data["recordCollection"];
    assert_eq!(c["unitName"], "湖北科技学院");
    assert_eq!(c["site"], "AT_UNIT");
    assert_eq!(c["donations"], 35);
    assert_eq!(c["volumeMl"], 11_500);
    assert_eq!(c["deferred"], 3);
    assert_eq!(c["revision"], 1);
    assert_eq!(visit_status(&app, &office, &visit).await, "COMPLETED");
    assert_eq!(app.count("audit_log").await, audit_before + 1, "one write, one audit record");
}

#[tokio::test]
async fn a_correction_is_revision_2_with_its_reason_and_revision_1_stays_readable() {
    let Setup { app, office, station: _, hbust, vehicle } = setup().await;
    let visit = app.book_confirmed(&office, &hbust, &vehicle, "2020-03-02", "FULL_DAY", 60).await;
    app.clock.set(at("2020-03-03T09:00:00+08:00"));
    let (office, station) = (app.login("office").await, app.login("station").await);
    let id = record(&app, &station, &visit, "2020-03-02", [10, 5, 20]).await;
    let mut vars = visit_input(&visit, "2020-03-02", [12, 5, 20], 3);
    vars["id"] = json!(id);
    vars["rev"] = json!(1);
    vars["r"] = json!("miscounted");
    let data = app.gql_ok_as(&station, CORRECT, vars).await;
    assert_eq!(
        data["correctCollection"],
        json!({ "id": id, "donations": 37, "volumeMl": 11_900, "revision": 2 })
    );
    let history = app
        .gql_ok_as(&office, "query($id: ID!) { collection(id: $id) { donations revisions { revision donations volumeMl reason } } }", json!({ "id": id }))
        .await;
    assert_eq!(
        history["collection"],
        json!({ "donations": 37, "revisions": [
            { "revision": 1, "donations": 35, "volumeMl": 11_500, "reason": null },
            { "revision": 2, "donations": 37, "volumeMl": 11_900, "reason": "miscounted" },
        ] })
    );
    assert_eq!(app.count("collection").await, 1, "a correction does not add a second record");
}

#[tokio::test]
async fn donors_at_a_fixed_site_are_recorded_for_their_holder_without_a_visit() {
    let Setup { app, station, hbust, .. } = setup().await;
    let vars = json!({ "i": { "unitId": hbust, "site": "DONATION_HOUSE", "date": "2020-02-01", "bags200": 2, "bags400": 3 } });
    let data = app.gql_ok_as(&station, RECORD, vars).await;
    assert_eq!(data["recordCollection"]["site"], "DONATION_HOUSE");
    assert_eq!(data["recordCollection"]["donations"], 5);
    assert_eq!(data["recordCollection"]["volumeMl"], 1_600);
    let no_site = app
        .gql_as(&station, RECORD, json!({ "i": { "unitId": hbust, "date": "2020-02-01", "bags200": 2 } }))
        .await;
    assert_eq!(error_code(&no_site), Some("BAD_INPUT"));
}

#[tokio::test]
async fn every_impossible_record_is_rejected_with_its_code_and_writes_nothing() {
    let Setup { app, office, station: _, hbust, vehicle } = setup().await;
    let monday = app.book_confirmed(&office, &hbust, &vehicle, "2020-03-02", "FULL_DAY", 60).await;
    let tuesday = app.book_confirmed(&office, &hbust, &vehicle, "2020-03-03", "FULL_DAY", 60).await;
    let cancelled = app.book_confirmed(&office, &hbust, &vehicle, "2020-03-04", "FULL_DAY", 60).await;
    app.gql_ok_as(
        &office,
        "mutation($id: ID!) { cancelVisit(id: $id, reason: \"下雨\") { id } }",
        json!({ "id": cancelled }),
    )
    .await;
    app.clock.set(at("2020-03-02T18:00:00+08:00"));
    let (office, station) = (app.login("office").await, app.login("station").await);

    let cases: Vec<(&str, Value, &str)> = vec![
        ("a cancelled visit", visit_input(&cancelled, "2020-03-04", [1, 0, 0], 0), "VISIT_CANCELLED"),
        ("tomorrow's visit", visit_input(&tuesday, "2020-03-03", [1, 0, 0], 0), "DATE_IN_FUTURE"),
        (
            "a date other than the visit's",
            visit_input(&monday, "2020-03-01", [1, 0, 0], 0),
            "DATE_NOT_VISIT_DATE",
        ),
        ("a negative bag count", visit_input(&monday, "2020-03-02", [-1, 0, 0], 0), "NEGATIVE_COUNT"),
        ("negative deferrals", visit_input(&monday, "2020-03-02", [1, 0, 0], -2), "NEGATIVE_COUNT"),
        (
            "61 donations on a 60-donor vehicle",
            visit_input(&monday, "2020-03-02", [21, 20, 20], 0),
            "OVER_CAPACITY",
        ),
        (
            "blood types that miss a donation",
            json!({ "i": { "visitId": monday, "date": "2020-03-02", "bags400": 10, "bloodTypes": { "a": 3, "b": 3, "o": 3, "ab": 0, "rhNegative": 0 } } }),
            "COUNTS_DONT_ADD_UP",
        ),
        (
            "a fixed-site record in the future",
            json!({ "i": { "unitId": hbust, "site": "CENTRAL_STATION", "date": "2020-03-03", "bags200": 1 } }),
            "DATE_IN_FUTURE",
        ),
    ];
    for (what, vars, code) in cases {
        let answer = app.gql_as(&station, RECORD, vars).await;
        assert_eq!(error_code(&answer), Some(code), "{what}: {answer}");
    }
    // Sizes other than 200, 300 and 400 mL cannot even be expressed.
    let big_bag = app
        .gql_as(&station, RECORD, json!({ "i": { "visitId": monday, "date": "2020-03-02", "bags500": 1 } }))
        .await;
    assert!(big_bag.get("errors").is_some(), "a 500 mL bag is refused: {big_bag}");
    assert_eq!(app.count("collection").await, 0);
    assert_eq!(app.count("collection_revision").await, 0);
    assert_eq!(visit_status(&app, &office, &monday).await, "CONFIRMED");

    let id = record(&app, &station, &monday, "2020-03-02", [10, 0, 0]).await;
    let again = app.gql_as(&station, RECORD, visit_input(&monday, "2020-03-02", [10, 0, 0], 0)).await;
    assert_eq!(error_code(&again), Some("COLLECTION_EXISTS"));
    let mut no_reason = visit_input(&monday, "2020-03-02", [11, 0, 0], 0);
    no_reason["id"] = json!(id);
    no_reason["rev"] = json!(1);
    no_reason["r"] = json!("  ");
    assert_eq!(error_code(&app.gql_as(&station, CORRECT, no_reason).await), Some("BAD_INPUT"));
    let mut other_visit = visit_input(&tuesday, "2020-03-03", [11, 0, 0], 0);
    other_visit["id"] = json!(id);
    other_visit["rev"] = json!(1);
    other_visit["r"] = json!("挪到周二");
    assert_eq!(error_code(&app.gql_as(&station, CORRECT, other_visit).await), Some("VISIT_MISMATCH"));
    let mut over = visit_input(&monday, "2020-03-02", [61, 0, 0], 0);
    over["id"] = json!(id);
    over["rev"] = json!(1);
    over["r"] = json!("多录了");
    assert_eq!(error_code(&app.gql_as(&station, CORRECT, over).await), Some("OVER_CAPACITY"));
    assert_eq!(app.count("collection_revision").await, 1);
}

#[tokio::test]
async fn of_two_simultaneous_records_for_one_visit_exactly_one_lands() {
    let Setup { app, office, station: _, hbust, vehicle } = setup().await;
    let visit = app.book_confirmed(&office, &hbust, &vehicle, "2020-03-02", "FULL_DAY", 60).await;
    app.clock.set(at("2020-03-02T18:00:00+08:00"));
    let (office, station) = (app.login("office").await, app.login("station").await);
    let vars = visit_input(&visit, "2020-03-02", [10, 5, 20], 0);
    let (a, b) =
        tokio::join!(app.gql_as(&station, RECORD, vars.clone()), app.gql_as(&office, RECORD, vars.clone()));
    let codes: Vec<Option<&str>> = vec![error_code(&a), error_code(&b)];
    assert!(codes.contains(&None), "one succeeds: {a} {b}");
    assert!(codes.contains(&Some("COLLECTION_EXISTS")), "the other is told: {a} {b}");
    assert_eq!(app.count("collection").await, 1);
}

#[tokio::test]
async fn a_liaison_cannot_record_collections_nor_read_another_holders_details() {
    let Setup { app, office, station: _, hbust, vehicle } = setup().await;
    app.create_user("swb", Role::Liaison, Some("市委办")).await;
    let swb = app.unit_id("市委办").await;
    let visit = app.book_confirmed(&office, &hbust, &vehicle, "2020-03-02", "FULL_DAY", 60).await;
    let own_visit = app.book_confirmed(&office, &swb, &vehicle, "2020-03-03", "MORNING", 10).await;
    app.clock.set(at("2020-03-04T09:00:00+08:00"));
    let (_, station) = (app.login("office").await, app.login("station").await);
    let liaison = app.login("swb").await;
    let refused = app.gql_as(&liaison, RECORD, visit_input(&own_visit, "2020-03-03", [0, 0, 4], 0)).await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"), "not even for their own visit");
    let other = record(&app, &station, &visit, "2020-03-02", [10, 5, 20]).await;
    let own = record(&app, &station, &own_visit, "2020-03-03", [0, 0, 4]).await;
    let read = "query($id: ID!) { collection(id: $id) { donations } }";
    assert_eq!(error_code(&app.gql_as(&liaison, read, json!({ "id": other })).await), Some("FORBIDDEN"));
    assert_eq!(app.gql_ok_as(&liaison, read, json!({ "id": own })).await["collection"]["donations"], 4);
    let list = "query($u: ID) { collections(unitId: $u) { totalCount nodes { unitName } } }";
    assert_eq!(error_code(&app.gql_as(&liaison, list, json!({ "u": hbust })).await), Some("FORBIDDEN"));
    let mine = app.gql_ok_as(&liaison, list, json!({ "u": null })).await;
    assert_eq!(mine["collections"], json!({ "totalCount": 1, "nodes": [{ "unitName": "市委办" }] }));
    let monthly = "query($u: ID) { fulfilment(year: 2020) { monthly(unitId: $u) { month donations } } }";
    assert_eq!(error_code(&app.gql_as(&liaison, monthly, json!({ "u": hbust })).await), Some("FORBIDDEN"));
    let city = app.gql_ok_as(&liaison, monthly, json!({ "u": null })).await;
    assert_eq!(
        city["fulfilment"]["monthly"][2],
        json!({ "month": 3, "donations": 39 }),
        "the city total is an aggregate"
    );
}

#[tokio::test]
async fn of_six_parallel_corrections_of_one_revision_one_lands_and_five_are_told_it_changed() {
    let Setup { app, office, station: _, hbust, vehicle } = setup().await;
    let visit = app.book_confirmed(&office, &hbust, &vehicle, "2020-03-02", "FULL_DAY", 60).await;
    app.clock.set(at("2020-03-03T09:00:00+08:00"));
    let station = app.login("station").await;
    let id = record(&app, &station, &visit, "2020-03-02", [10, 5, 20]).await;
    let attempts = (0..6).map(|n| {
        let mut vars = visit_input(&visit, "2020-03-02", [10 + n, 5, 20], 0);
        vars["id"] = json!(id);
        vars["rev"] = json!(1);
        vars["r"] = json!(format!("第{n}次清点"));
        let (app, station) = (&app, &station);
        async move { app.gql_as(station, CORRECT, vars).await }
    });
    let answers = futures_util::future::join_all(attempts).await;
    let codes: Vec<Option<&str>> = answers.iter().map(error_code).collect();
    assert_eq!(codes.iter().filter(|c| c.is_none()).count(), 1, "{answers:?}");
    assert_eq!(codes.iter().filter(|c| **c == Some("COLLECTION_CHANGED")).count(), 5, "{answers:?}");
    assert_eq!(app.count("collection_revision").await, 2);

    // A stale revision is refused too, and writes nothing.
    let mut stale = visit_input(&visit, "2020-03-02", [1, 0, 0], 0);
    stale["id"] = json!(id);
    stale["rev"] = json!(1);
    stale["r"] = json!("迟到的更正");
    assert_eq!(error_code(&app.gql_as(&station, CORRECT, stale.clone()).await), Some("COLLECTION_CHANGED"));
    stale["rev"] = json!(2);
    let third = app.gql_ok_as(&station, CORRECT, stale).await;
    assert_eq!(third["correctCollection"]["revision"], 3);
}

#[tokio::test]
async fn a_record_entered_against_the_wrong_visit_is_voided_counts_nowhere_and_frees_the_visit() {
    let Setup { app, office, station: _, hbust, vehicle } = setup().await;
    let swb = app.unit_id("市委办").await;
    let wrong = app.book_confirmed(&office, &swb, &vehicle, "2020-03-02", "MORNING", 10).await;
    let right = app.book_confirmed(&office, &hbust, &vehicle, "2020-03-02", "AFTERNOON", 30).await;
    app.clock.set(at("2020-03-03T09:00:00+08:00"));
    let (office, station) = (app.login("office").await, app.login("station").await);
    let id = record(&app, &station, &wrong, "2020-03-02", [0, 0, 25]).await;
    assert_eq!(visit_status(&app, &office, &wrong).await, "COMPLETED");

    const VOID: &str = "mutation($id: ID!, $r: String!) { voidCollection(id: $id, reason: $r) { id visitId voidedAt voidReason donations } }";
    let no_reason = app.gql_as(&station, VOID, json!({ "id": id, "r": " " })).await;
    assert_eq!(error_code(&no_reason), Some("BAD_INPUT"));
    let voided =
        app.gql_ok_as(&station, VOID, json!({ "id": id, "r": "录到了市委办，应为湖北科技学院" })).await;
    let v = &voided["voidCollection"];
    assert_eq!(
        (&v["visitId"], &v["voidReason"], &v["donations"]),
        (&json!(wrong), &json!("录到了市委办，应为湖北科技学院"), &json!(25))
    );
    assert!(v["voidedAt"].is_string());
    assert_eq!(visit_status(&app, &office, &wrong).await, "CONFIRMED", "the visit awaits its right record");

    let again = app.gql_as(&station, VOID, json!({ "id": id, "r": "再作废" })).await;
    assert_eq!(error_code(&again), Some("COLLECTION_VOIDED"));
    let mut fix = visit_input(&wrong, "2020-03-02", [0, 0, 9], 0);
    fix["id"] = json!(id);
    fix["rev"] = json!(1);
    fix["r"] = json!("改数");
    assert_eq!(error_code(&app.gql_as(&station, CORRECT, fix).await), Some("COLLECTION_VOIDED"));

    record(&app, &station, &right, "2020-03-02", [0, 0, 25]).await;
    record(&app, &station, &wrong, "2020-03-02", [0, 0, 8]).await;
    let q = r#"{ fulfilment(year: 2020, asOf: "2020-03-03") { collectedDonations units(nameContains: "市委办") { nodes { collectedDonations } } monthly { month donations } } collections(year: 2020) { totalCount } }"#;
    let f = app.gql_ok_as(&office, q, json!({})).await;
    assert_eq!(f["fulfilment"]["collectedDonations"], 33, "25 for 湖北科技学院, 8 for 市委办, the void none");
    assert_eq!(f["fulfilment"]["units"]["nodes"][0]["collectedDonations"], 8);
    assert_eq!(f["fulfilment"]["monthly"][2], json!({ "month": 3, "donations": 33 }));
    assert_eq!(f["collections"]["totalCount"], 2);
    let kept = app
        .gql_ok_as(
            &office,
            "query($id: ID!) { collection(id: $id) { voidReason donations } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(kept["collection"]["donations"], 25, "a voided record stays readable");
}

#[tokio::test]
async fn a_visit_the_office_never_confirmed_cannot_get_a_record() {
    let Setup { app, office, station: _, hbust, vehicle } = setup().await;
    let requested = app.book(&office, &hbust, &vehicle, "2020-03-02", "FULL_DAY", 60).await;
    app.clock.set(at("2020-03-02T18:00:00+08:00"));
    let (office, station) = (app.login("office").await, app.login("station").await);
    let answer = app.gql_as(&station, RECORD, visit_input(&requested, "2020-03-02", [10, 0, 0], 0)).await;
    assert_eq!(error_code(&answer), Some("VISIT_NOT_CONFIRMED"), "{answer}");
    assert!(answer["errors"][0]["message"].as_str().unwrap().contains("尚未经市献血办确认"));
    assert_eq!(visit_status(&app, &office, &requested).await, "REQUESTED");
    assert_eq!(app.count("collection").await, 0);
}
