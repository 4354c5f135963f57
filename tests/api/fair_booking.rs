//! Fair booking: a holder's liaisons may hold only so many unconfirmed requests at once.
use bloodplan::domain::auth::Role;
use serde_json::json;

use crate::helpers::{book_vars, error_code, spawn_app, spawn_app_with, AppOptions, TestApp, BOOK};

/// Working days of March 2020, Monday to Friday.
fn march_days() -> Vec<String> {
    (2..=31)
        .map(|d| chrono::NaiveDate::from_ymd_opt(2020, 3, d).unwrap())
        .filter(|d| chrono::Datelike::weekday(d).num_days_from_monday() < 5)
        .map(|d| d.to_string())
        .collect()
}

/// An app whose holders may hold three requested visits, 湖北科技学院's liaison and a vehicle.
struct CappedAtThree {
    app: TestApp,
    office: String,
    liaison: String,
    hbust: String,
    vehicle: String,
    days: Vec<String>,
}

async fn capped_at_three() -> CappedAtThree {
    let app = spawn_app_with(AppOptions {
        configure: |c| c.max_requested_visits = Some(3),
        ..AppOptions::default()
    })
    .await;
    let office = app.user_token("office", Role::Office, None).await;
    let liaison = app.user_token("hbust", Role::Liaison, Some("湖北科技学院")).await;
    let hbust = app.unit_id("湖北科技学院").await;
    let vehicle = app.create_vehicle(&office, "鄂L采血01").await;
    CappedAtThree { app, office, liaison, hbust, vehicle, days: march_days() }
}

#[tokio::test]
async fn ten_parallel_requests_beyond_a_cap_of_three_book_exactly_three_and_the_office_is_exempt() {
    let CappedAtThree { app, office, liaison, hbust, vehicle, days } = capped_at_three().await;
    let attempts = days[..10].iter().map(|day| {
        let (app, liaison, hbust, vehicle) = (&app, &liaison, &hbust, &vehicle);
        async move { app.gql_as(liaison, BOOK, book_vars(hbust, vehicle, day, "MORNING", 30)).await }
    });
    let answers = futures_util::future::join_all(attempts).await;
    let booked: Vec<&serde_json::Value> = answers.iter().filter(|a| a.get("errors").is_none()).collect();
    assert_eq!(booked.len(), 3, "{answers:#?}");
    assert!(answers
        .iter()
        .filter(|a| a.get("errors").is_some())
        .all(|a| error_code(a) == Some("BOOKING_LIMIT")));
    let refused = answers.iter().find(|a| a.get("errors").is_some()).unwrap();
    assert!(refused["errors"][0]["message"].as_str().unwrap().contains("已达上限"));
    assert_eq!(app.count("visit").await, 3);

    // The office books for the holder beyond the cap (and confirms what it booked).
    let by_office = app.book(&office, &hbust, &vehicle, &days[12], "MORNING", 30).await;
    // Once the office confirms a request, the liaison may ask for another.
    let first = booked[0]["data"]["bookVisit"]["id"].as_str().unwrap();
    for id in [first, by_office.as_str()] {
        app.gql_ok_as(&office, "mutation($id: ID!) { confirmVisit(id: $id) { id } }", json!({ "id": id }))
            .await;
    }
    app.book(&liaison, &hbust, &vehicle, &days[13], "MORNING", 30).await;
    let again = app.gql_as(&liaison, BOOK, book_vars(&hbust, &vehicle, &days[14], "MORNING", 30)).await;
    assert_eq!(error_code(&again), Some("BOOKING_LIMIT"));
}

#[tokio::test]
async fn by_default_the_cap_is_what_the_quota_needs_at_the_vehicles_capacity() {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    // 市公安局's 2020 quota is small: two vehicle-days of 60 cover it.
    let liaison = app.user_token("police", Role::Liaison, Some("市公安局")).await;
    let police = app.unit_id("市公安局").await;
    let vehicle = app.create_vehicle(&office, "鄂L采血01").await;
    let quota = app
        .gql_ok_as(
            &office,
            "query($u: ID!) { unit(id: $u) { quotas { year quota } } }",
            json!({ "u": police }),
        )
        .await["unit"]["quotas"][0]["quota"]
        .as_i64()
        .unwrap();
    let cap = ((quota + 59) / 60).max(2) as usize;
    let days = march_days();
    for day in &days[..cap] {
        app.book(&liaison, &police, &vehicle, day, "MORNING", 10).await;
    }
    let over = app.gql_as(&liaison, BOOK, book_vars(&police, &vehicle, &days[cap], "MORNING", 10)).await;
    assert_eq!(error_code(&over), Some("BOOKING_LIMIT"), "quota {quota}, cap {cap}");
}

/// Moving a confirmed visit sends it back to the office as a request: at the cap, the
/// liaison's move is refused like a new request, and the visit stays confirmed where it was.
#[tokio::test]
async fn a_liaisons_move_of_a_confirmed_visit_counts_against_the_cap_like_a_new_request() {
    let CappedAtThree { app, office, liaison, hbust, vehicle, days } = capped_at_three().await;
    let confirmed = app.book_confirmed(&office, &hbust, &vehicle, &days[5], "MORNING", 30).await;
    let requested = app.book(&liaison, &hbust, &vehicle, &days[0], "MORNING", 30).await;
    for day in &days[1..3] {
        app.book(&liaison, &hbust, &vehicle, day, "MORNING", 30).await;
    }
    const MOVE: &str = "mutation($id: ID!, $d: Date!) { rescheduleVisit(id: $id, input: { date: $d, session: AFTERNOON }) { status date session } }";
    let moved = app.gql_as(&liaison, MOVE, json!({ "id": confirmed, "d": days[6] })).await;
    assert_eq!(error_code(&moved), Some("BOOKING_LIMIT"), "{moved}");
    let visit = app
        .gql_ok_as(
            &office,
            "query($id: ID!) { visit(id: $id) { status date session } }",
            json!({ "id": confirmed }),
        )
        .await;
    assert_eq!(visit["visit"], json!({ "status": "CONFIRMED", "date": days[5], "session": "MORNING" }));
    // Moving a visit that is already a request does not add one.
    let again = app.gql_ok_as(&liaison, MOVE, json!({ "id": requested, "d": days[3] })).await;
    assert_eq!(again["rescheduleVisit"]["status"], "REQUESTED");
    // Once the office confirms one of the requests, the liaison's move goes through.
    app.gql_ok_as(&office, "mutation($id: ID!) { confirmVisit(id: $id) { id } }", json!({ "id": requested }))
        .await;
    let moved = app.gql_ok_as(&liaison, MOVE, json!({ "id": confirmed, "d": days[6] })).await;
    assert_eq!(
        moved["rescheduleVisit"],
        json!({ "status": "REQUESTED", "date": days[6], "session": "AFTERNOON" })
    );
}
