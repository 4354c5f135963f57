//! Booking a collection vehicle: the lifecycle, the rules, availability, idempotency, .ics.
use bloodplan::domain::auth::Role;
use chrono::{DateTime, FixedOffset};
use serde_json::json;

use crate::helpers::{book_vars, booking_app, error_code, Booking, BOOK};

impl Booking {
    /// Moves the clock and logs everyone in again: a jump of weeks outlives any token.
    async fn travel_to(&mut self, when: &str) {
        self.app.clock.set(at(when));
        self.office = self.app.login("office").await;
        self.liaison = self.app.login("hbust").await;
        self.station = self.app.login("station").await;
    }
}

fn at(text: &str) -> DateTime<chrono::Utc> {
    text.parse::<DateTime<FixedOffset>>().unwrap().into()
}

#[tokio::test]
async fn a_liaison_books_the_office_confirms_and_the_history_is_kept() {
    let b = booking_app().await;
    let created = b
        .app
        .gql_ok_as(&b.station, "mutation { createVehicle(input: { name: \"鄂L采血02\", capacityPerDay: 80 }) { id name capacityPerDay homeStation active } }", json!({}))
        .await;
    assert_eq!(created["createVehicle"]["name"], "鄂L采血02");
    assert_eq!(created["createVehicle"]["homeStation"], "咸宁市中心血站");

    let booked =
        b.app.gql_ok_as(&b.liaison, BOOK, book_vars(&b.hbust, &b.vehicle, "2020-03-02", "MORNING", 30)).await;
    assert_eq!(booked["bookVisit"]["status"], "REQUESTED");
    assert_eq!(booked["bookVisit"]["warnings"], json!([]));
    let id = booked["bookVisit"]["id"].as_str().unwrap().to_owned();
    let confirmed = b
        .app
        .gql_ok_as(
            &b.office,
            "mutation($id: ID!) { confirmVisit(id: $id) { id status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(confirmed["confirmVisit"], json!({ "id": id, "status": "CONFIRMED" }));
    let again = b
        .app
        .gql_as(&b.office, "mutation($id: ID!) { confirmVisit(id: $id) { id } }", json!({ "id": id }))
        .await;
    assert_eq!(error_code(&again), Some("INVALID_TRANSITION"));
    let early = b
        .app
        .gql_as(&b.station, "mutation($id: ID!) { markVisitNoShow(id: $id) { id } }", json!({ "id": id }))
        .await;
    assert_eq!(error_code(&early), Some("VISIT_NOT_YET_DUE"));

    let moved = b
        .app
        .gql_ok_as(
            &b.liaison,
            "mutation($id: ID!) { rescheduleVisit(id: $id, input: { date: \"2020-03-04\", session: FULL_DAY, expectedDonors: 50 }) { date session status expectedDonors } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        moved["rescheduleVisit"],
        json!({ "date": "2020-03-04", "session": "FULL_DAY", "status": "REQUESTED", "expectedDonors": 50 })
    );
    let visit = b
        .app
        .gql_ok_as(&b.office, "query($id: ID!) { visit(id: $id) { unitName vehicleName history { actor action before after } } }", json!({ "id": id }))
        .await;
    let history = visit["visit"]["history"].as_array().unwrap();
    let actions: Vec<&str> = history.iter().map(|h| h["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["book", "confirm", "reschedule"]);
    assert_eq!(history[2]["before"]["date"], "2020-03-02");
    assert_eq!(history[2]["after"]["date"], "2020-03-04");
    assert_eq!(history[2]["actor"], "hbust");
    assert_eq!(visit["visit"]["unitName"], "湖北科技学院");

    // The old session is free again, the new one is taken.
    let free = b
        .app
        .gql_ok_as(&b.liaison, "query($v: ID) { availability(from: \"2020-03-02\", to: \"2020-03-04\", vehicleId: $v) { date session } }", json!({ "v": b.vehicle }))
        .await;
    let free: Vec<(String, String)> = free["availability"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["date"].as_str().unwrap().to_owned(), f["session"].as_str().unwrap().to_owned()))
        .collect();
    assert!(free.contains(&("2020-03-02".into(), "FULL_DAY".into())), "{free:?}");
    assert!(!free.iter().any(|(d, _)| d == "2020-03-04"), "{free:?}");
}

/// The code a liaison's booking of the 湖北科技学院 vehicle gets, if refused.
async fn refusal(b: &Booking, date: &str, session: &str, expected: i32) -> Option<String> {
    let answer =
        b.app.gql_as(&b.liaison, BOOK, book_vars(&b.hbust, &b.vehicle, date, session, expected)).await;
    error_code(&answer).map(str::to_owned)
}

#[tokio::test]
async fn every_booking_rule_is_refused_with_its_own_code() {
    let mut b = booking_app().await;
    assert_eq!(refusal(&b, "2020-01-20", "MORNING", 20).await.as_deref(), Some("DATE_IN_PAST"));
    assert_eq!(refusal(&b, "2021-03-01", "MORNING", 20).await.as_deref(), Some("NO_QUOTA_FOR_YEAR"));
    assert_eq!(refusal(&b, "2020-04-06", "MORNING", 20).await.as_deref(), Some("HOLIDAY"), "清明");
    assert_eq!(refusal(&b, "2020-10-05", "MORNING", 20).await.as_deref(), Some("HOLIDAY"), "国庆");
    assert_eq!(
        refusal(&b, "2020-03-07", "MORNING", 20).await.as_deref(),
        Some("NOT_A_WORKING_DAY"),
        "a Saturday"
    );
    assert_eq!(
        refusal(&b, "2020-03-02", "MORNING", 0).await.as_deref(),
        Some("EXPECTED_DONORS_OUT_OF_RANGE")
    );
    assert_eq!(
        refusal(&b, "2020-03-02", "MORNING", 31).await.as_deref(),
        Some("EXPECTED_DONORS_OUT_OF_RANGE"),
        "half of 60"
    );
    assert_eq!(
        refusal(&b, "2020-03-02", "FULL_DAY", 61).await.as_deref(),
        Some("EXPECTED_DONORS_OUT_OF_RANGE")
    );
    // Sunday 2020-04-26 is a make-up working day: bookable.
    b.app.book(&b.liaison, &b.hbust, &b.vehicle, "2020-04-26", "FULL_DAY", 60).await;

    b.app
        .gql_ok_as(&b.station, "mutation($v: ID!) { addVehicleBlackout(vehicleId: $v, from: \"2020-03-09\", to: \"2020-03-13\", reason: \"年检\") { id } }", json!({ "v": b.vehicle }))
        .await;
    let answer =
        b.app.gql_as(&b.liaison, BOOK, book_vars(&b.hbust, &b.vehicle, "2020-03-11", "MORNING", 20)).await;
    assert_eq!(error_code(&answer), Some("VEHICLE_BLACKOUT"));
    assert!(answer["errors"][0]["message"].as_str().unwrap().contains("年检"));

    // On Sunday 03-01, Monday 03-02 is within the two days' lead time.
    b.travel_to("2020-03-01T09:00:00+08:00").await;
    assert_eq!(refusal(&b, "2020-03-02", "MORNING", 20).await.as_deref(), Some("LEAD_TIME"));
    let override_by_liaison = b
        .app
        .gql_as(&b.liaison, BOOK, json!({ "i": { "unitId": b.hbust, "vehicleId": b.vehicle, "date": "2020-03-02", "session": "MORNING", "expectedDonors": 20, "leadTimeOverride": "急需" } }))
        .await;
    assert_eq!(error_code(&override_by_liaison), Some("FORBIDDEN"));
    let overridden = b
        .app
        .gql_ok_as(&b.office, BOOK, json!({ "i": { "unitId": b.hbust, "vehicleId": b.vehicle, "date": "2020-03-02", "session": "MORNING", "expectedDonors": 20, "leadTimeOverride": "血库告急, 临时加开" } }))
        .await;
    let id = overridden["bookVisit"]["id"].as_str().unwrap();
    let trail = b
        .app
        .gql_ok_as(
            &b.office,
            "query($id: String) { auditLog(entity: \"visit\", entityId: $id) { nodes { action after } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(trail["auditLog"]["nodes"][0]["after"]["leadTimeOverride"], "血库告急, 临时加开");

    // Two live visits stand on the vehicle: it cannot be stopped, nor cut below them.
    let deactivate = "mutation($v: ID!) { updateVehicle(id: $v, input: { active: false }) { id } }";
    let stranded = b.app.gql_as(&b.station, deactivate, json!({ "v": b.vehicle })).await;
    assert_eq!(error_code(&stranded), Some("VEHICLE_HAS_VISITS"), "{stranded}");
    let said = stranded["errors"][0]["message"].as_str().unwrap();
    assert!(
        said.contains("2次") && said.contains("2020-03-02 上午") && said.contains("2020-04-26 全天"),
        "{said}"
    );
    let cut = "mutation($v: ID!, $c: Int!) { updateVehicle(id: $v, input: { capacityPerDay: $c }) { capacityPerDay } }";
    let too_small = b.app.gql_as(&b.station, cut, json!({ "v": b.vehicle, "c": 40 })).await;
    assert_eq!(error_code(&too_small), Some("VEHICLE_HAS_VISITS"));
    let said = too_small["errors"][0]["message"].as_str().unwrap();
    assert!(said.contains("1次") && said.contains("2020-04-26 全天 预计60人"), "{said}");
    let active = b
        .app
        .gql_ok_as(
            &b.office,
            "query($v: ID!) { vehicle(id: $v) { active capacityPerDay } }",
            json!({ "v": b.vehicle }),
        )
        .await;
    assert_eq!(
        active["vehicle"],
        json!({ "active": true, "capacityPerDay": 60 }),
        "a refused change changes nothing"
    );
    let cancel = "mutation($id: ID!) { cancelVisit(id: $id, reason: \"车辆报废\") { id } }";
    let live = b
        .app
        .gql_ok_as(&b.office, "{ visits(status: [REQUESTED, CONFIRMED]) { nodes { id } } }", json!({}))
        .await;
    for v in live["visits"]["nodes"].as_array().unwrap() {
        b.app.gql_ok_as(&b.office, cancel, json!({ "id": v["id"] })).await;
    }
    b.app.gql_ok_as(&b.station, deactivate, json!({ "v": b.vehicle })).await;
    assert_eq!(refusal(&b, "2020-03-16", "MORNING", 20).await.as_deref(), Some("VEHICLE_INACTIVE"));

    let other_unit = b.app.unit_id("市公安局").await;
    let foreign =
        b.app.gql_as(&b.liaison, BOOK, book_vars(&other_unit, &b.vehicle, "2020-03-16", "MORNING", 20)).await;
    assert_eq!(error_code(&foreign), Some("FORBIDDEN"));
}

#[tokio::test]
async fn more_donors_than_the_quota_needs_is_a_warning_not_a_refusal() {
    let b = booking_app().await;
    let party = b.app.unit_id("市委办").await;
    let answer =
        b.app.gql_ok_as(&b.office, BOOK, book_vars(&party, &b.vehicle, "2020-03-02", "MORNING", 25)).await;
    let warnings = answer["bookVisit"]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    let warning = warnings[0].as_str().unwrap();
    assert!(warning.contains("尚余10人次") && warning.contains("超出15人次"), "{warning}");
}

#[tokio::test]
async fn a_liaison_may_change_a_confirmed_visit_until_three_days_before_and_the_office_any_time() {
    let mut b = booking_app().await;
    let near = b.app.book(&b.liaison, &b.hbust, &b.vehicle, "2020-03-05", "MORNING", 20).await;
    let far = b.app.book(&b.liaison, &b.hbust, &b.vehicle, "2020-03-10", "MORNING", 20).await;
    b.app
        .gql_ok_as(&b.office, "mutation($id: ID!) { confirmVisit(id: $id) { id } }", json!({ "id": near }))
        .await;
    b.travel_to("2020-03-03T08:00:00+08:00").await;
    let cancel =
        "mutation($id: ID!, $r: String!) { cancelVisit(id: $id, reason: $r) { status cancelReason } }";
    let late = b.app.gql_as(&b.liaison, cancel, json!({ "id": near, "r": "考试周" })).await;
    assert_eq!(error_code(&late), Some("CHANGE_CUTOFF_PASSED"));
    let no_reason = b.app.gql_as(&b.liaison, cancel, json!({ "id": far, "r": " " })).await;
    assert_eq!(error_code(&no_reason), Some("BAD_INPUT"));
    let done = b.app.gql_ok_as(&b.liaison, cancel, json!({ "id": far, "r": "考试周" })).await;
    assert_eq!(done["cancelVisit"], json!({ "status": "CANCELLED", "cancelReason": "考试周" }));
    let by_office = b.app.gql_ok_as(&b.office, cancel, json!({ "id": near, "r": "车辆故障" })).await;
    assert_eq!(by_office["cancelVisit"]["status"], "CANCELLED");
    // The cancelled session is free at once.
    b.app.book(&b.liaison, &b.hbust, &b.vehicle, "2020-03-10", "MORNING", 20).await;

    let other = b.app.user_token("police", Role::Liaison, Some("市公安局")).await;
    let foreign = b.app.gql_as(&other, cancel, json!({ "id": far, "r": "x" })).await;
    assert_eq!(error_code(&foreign), Some("FORBIDDEN"));
    let listed = b.app.gql_ok_as(&other, "{ visits { totalCount } }", json!({})).await;
    assert_eq!(listed["visits"]["totalCount"], 0, "a liaison lists only their own visits");
    let peek =
        b.app.gql_as(&other, "query($id: ID!) { visit(id: $id) { unitName } }", json!({ "id": far })).await;
    assert_eq!(error_code(&peek), Some("FORBIDDEN"));
    let all = b.app.gql_ok_as(&b.station, "{ visits(status: [CANCELLED]) { totalCount } }", json!({})).await;
    assert_eq!(all["visits"]["totalCount"], 2);
    let by_section = b
        .app
        .gql_ok_as(
            &b.office,
            "{ visits(section: CITY_UNIT, status: [REQUESTED]) { totalCount nodes { date } } }",
            json!({}),
        )
        .await;
    assert_eq!(by_section["visits"]["totalCount"], 1);
    let counties = b.app.gql_ok_as(&b.office, "{ visits(section: COUNTY) { totalCount } }", json!({})).await;
    assert_eq!(counties["visits"]["totalCount"], 0);
    let xianan = b.app.unit_id("咸安").await;
    b.app.book(&b.office, &xianan, &b.vehicle, "2020-03-12", "AFTERNOON", 30).await;
    let county = b
        .app
        .gql_ok_as(
            &b.office,
            "{ visits(county: \"咸安\") { totalCount nodes { unitName date } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        county["visits"],
        json!({ "totalCount": 1, "nodes": [{ "unitName": "咸安", "date": "2020-03-12" }] })
    );
    let counties = b.app.gql_ok_as(&b.office, "{ visits(section: COUNTY) { totalCount } }", json!({})).await;
    assert_eq!(counties["visits"]["totalCount"], 1);
    let unknown = b.app.gql_as(&b.office, "{ visits(county: \"武汉\") { totalCount } }", json!({})).await;
    assert_eq!(error_code(&unknown), Some("NOT_FOUND"));
}

#[tokio::test]
async fn a_liaison_withdraws_a_visit_booked_at_the_lead_time_while_the_office_has_not_confirmed_it() {
    let mut b = booking_app().await;
    b.travel_to("2020-03-02T08:00:00+08:00").await;
    // Two days ahead (the lead time) is inside the three-day cutoff.
    let soon = b.app.book(&b.liaison, &b.hbust, &b.vehicle, "2020-03-04", "MORNING", 20).await;
    let other = b.app.book(&b.liaison, &b.hbust, &b.vehicle, "2020-03-04", "AFTERNOON", 20).await;
    let cancel = "mutation($id: ID!) { cancelVisit(id: $id, reason: \"领导临时开会\") { status } }";
    let withdrawn = b.app.gql_ok_as(&b.liaison, cancel, json!({ "id": soon })).await;
    assert_eq!(withdrawn["cancelVisit"]["status"], "CANCELLED");
    // Once the office confirmed it, the station staffs it: the cutoff protects it.
    b.app
        .gql_ok_as(&b.office, "mutation($id: ID!) { confirmVisit(id: $id) { id } }", json!({ "id": other }))
        .await;
    let refused = b.app.gql_as(&b.liaison, cancel, json!({ "id": other })).await;
    assert_eq!(error_code(&refused), Some("CHANGE_CUTOFF_PASSED"));
    // On its day an unconfirmed visit is the office's to cancel.
    let today = b.app.book(&b.office, &b.hbust, &b.vehicle, "2020-03-05", "MORNING", 20).await;
    b.travel_to("2020-03-05T08:00:00+08:00").await;
    assert_eq!(
        error_code(&b.app.gql_as(&b.liaison, cancel, json!({ "id": today })).await),
        Some("CHANGE_CUTOFF_PASSED")
    );
}

#[tokio::test]
async fn a_move_to_the_same_date_and_session_changes_nothing() {
    let b = booking_app().await;
    let id = b.app.book(&b.liaison, &b.hbust, &b.vehicle, "2020-03-10", "MORNING", 20).await;
    b.app
        .gql_ok_as(&b.office, "mutation($id: ID!) { confirmVisit(id: $id) { id } }", json!({ "id": id }))
        .await;
    let audit = b.app.count("audit_log").await;
    let moved = b
        .app
        .gql_ok_as(
            &b.liaison,
            "mutation($id: ID!) { rescheduleVisit(id: $id, input: { date: \"2020-03-10\", session: MORNING }) { status date session } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        moved["rescheduleVisit"],
        json!({ "status": "CONFIRMED", "date": "2020-03-10", "session": "MORNING" })
    );
    assert_eq!(b.app.count("audit_log").await, audit, "nothing changed, nothing recorded");
    let real = b
        .app
        .gql_ok_as(
            &b.liaison,
            "mutation($id: ID!) { rescheduleVisit(id: $id, input: { date: \"2020-03-10\", session: FULL_DAY }) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(real["rescheduleVisit"]["status"], "REQUESTED", "a real move goes back to the office");
}

#[tokio::test]
async fn a_client_key_repeated_with_other_details_is_refused() {
    let b = booking_app().await;
    let vars = json!({ "i": { "unitId": b.hbust, "vehicleId": b.vehicle, "date": "2020-03-02", "session": "MORNING", "expectedDonors": 20, "clientKey": "hbust-2020-spring-1" } });
    b.app.gql_ok_as(&b.liaison, BOOK, vars.clone()).await;
    let mut other = vars.clone();
    other["i"]["date"] = json!("2020-03-03");
    let answer = b.app.gql_as(&b.liaison, BOOK, other).await;
    assert_eq!(error_code(&answer), Some("IDEMPOTENCY_KEY_REUSED"), "{answer}");
    let mut more = vars;
    more["i"]["expectedDonors"] = json!(25);
    assert_eq!(error_code(&b.app.gql_as(&b.liaison, BOOK, more).await), Some("IDEMPOTENCY_KEY_REUSED"));
    assert_eq!(b.app.count("visit").await, 1);
}

#[tokio::test]
async fn a_repeated_client_key_returns_the_first_booking_until_it_is_cancelled() {
    let b = booking_app().await;
    let vars = json!({ "i": { "unitId": b.hbust, "vehicleId": b.vehicle, "date": "2020-03-02", "session": "MORNING", "expectedDonors": 20, "clientKey": "hbust-2020-spring-1" } });
    let first = b.app.gql_ok_as(&b.liaison, BOOK, vars.clone()).await["bookVisit"]["id"].clone();
    let second = b.app.gql_ok_as(&b.liaison, BOOK, vars.clone()).await["bookVisit"]["id"].clone();
    assert_eq!(first, second);
    assert_eq!(b.app.count("visit").await, 1);
    b.app
        .gql_ok_as(
            &b.liaison,
            "mutation($id: ID!) { cancelVisit(id: $id, reason: \"重订\") { id } }",
            json!({ "id": first }),
        )
        .await;
    let third = b.app.gql_ok_as(&b.liaison, BOOK, vars).await["bookVisit"].clone();
    assert_ne!(third["id"], first, "a cancelled visit's key books the slot again");
    assert_eq!(third["status"], "REQUESTED");
    assert_eq!(b.app.count("visit").await, 2);
}

#[tokio::test]
async fn availability_leaves_out_booked_blacked_out_and_holiday_sessions_and_includes_make_up_days() {
    let b = booking_app().await;
    b.app.book(&b.liaison, &b.hbust, &b.vehicle, "2020-05-06", "MORNING", 20).await;
    b.app
        .gql_ok_as(&b.station, "mutation($v: ID!) { addVehicleBlackout(vehicleId: $v, from: \"2020-05-08\", to: \"2020-05-08\", reason: \"保养\") { id } }", json!({ "v": b.vehicle }))
        .await;
    let answer = b
        .app
        .gql_ok_as(
            &b.liaison,
            "{ availability(from: \"2020-04-30\", to: \"2020-05-10\") { vehicle { name } date session } }",
            json!({}),
        )
        .await;
    let free: Vec<String> = answer["availability"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {}", f["date"].as_str().unwrap(), f["session"].as_str().unwrap()))
        .collect();
    assert_eq!(
        free,
        [
            "2020-04-30 MORNING",
            "2020-04-30 AFTERNOON",
            "2020-04-30 FULL_DAY",
            "2020-05-06 AFTERNOON",
            "2020-05-07 MORNING",
            "2020-05-07 AFTERNOON",
            "2020-05-07 FULL_DAY",
            "2020-05-09 MORNING",
            "2020-05-09 AFTERNOON",
            "2020-05-09 FULL_DAY",
        ],
        "劳动节 05-01..05 and Sunday 05-10 are closed; Saturday 05-09 is a make-up working day"
    );
    assert_eq!(answer["availability"][0]["vehicle"]["name"], "鄂L采血01");
    let too_long = b
        .app
        .gql_as(&b.liaison, "{ availability(from: \"2020-01-01\", to: \"2020-12-31\") { date } }", json!({}))
        .await;
    assert_eq!(error_code(&too_long), Some("RANGE_TOO_LONG"));
}

#[tokio::test]
async fn the_ics_feeds_parse_as_icalendar_and_list_the_visits() {
    let b = booking_app().await;
    let kept = b.app.book(&b.liaison, &b.hbust, &b.vehicle, "2020-03-02", "MORNING", 30).await;
    let dropped = b.app.book(&b.liaison, &b.hbust, &b.vehicle, "2020-03-03", "FULL_DAY", 50).await;
    b.app
        .gql_ok_as(
            &b.liaison,
            "mutation($id: ID!) { cancelVisit(id: $id, reason: \"停课\") { id } }",
            json!({ "id": dropped }),
        )
        .await;
    let vehicle_url = b
        .app
        .gql_ok_as(
            &b.station,
            "query($v: ID!) { vehicle(id: $v) { calendarUrl } }",
            json!({ "v": b.vehicle }),
        )
        .await["vehicle"]["calendarUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let unit_url = b
        .app
        .gql_ok_as(&b.liaison, "query($u: ID!) { unit(id: $u) { calendarUrl } }", json!({ "u": b.hbust }))
        .await["unit"]["calendarUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(vehicle_url.starts_with(&b.app.address) && vehicle_url.ends_with(".ics"));
    for url in [&vehicle_url, &unit_url] {
        let response = b.app.client.get(url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/calendar"));
        let text = response.text().await.unwrap();
        let calendar: icalendar::Calendar = text.parse().expect("valid iCalendar");
        let events: Vec<&icalendar::Event> =
            calendar.components.iter().filter_map(|c| c.as_event()).collect();
        assert_eq!(events.len(), 2, "{text}");
        use icalendar::Component;
        let by_uid = |id: &str| {
            events.iter().find(|e| e.get_uid() == Some(&format!("visit-{id}@bloodplan"))).copied().unwrap()
        };
        let morning = by_uid(&kept);
        assert!(morning.get_summary().unwrap().contains("湖北科技学院"));
        assert!(morning.get_description().unwrap().contains("预计献血人数：30"));
        // 08:30 in Xianning is 00:30 UTC.
        assert!(text.contains("DTSTART:20200302T003000Z"), "{text}");
        assert_eq!(by_uid(&dropped).property_value("STATUS"), Some("CANCELLED"));
    }
    let unknown = b
        .app
        .client
        .get(format!("{}/calendar/vehicles/{}.ics", b.app.address, "0".repeat(64)))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let other = b.app.user_token("police", Role::Liaison, Some("市公安局")).await;
    let foreign = b
        .app
        .gql_as(&other, "query($u: ID!) { unit(id: $u) { calendarUrl } }", json!({ "u": b.hbust }))
        .await;
    assert_eq!(error_code(&foreign), Some("FORBIDDEN"));
}

#[tokio::test]
async fn a_year_is_bookable_only_with_its_holidays_and_2021_ships_with_them() {
    use crate::helpers::{bloodplan_cli, seeds_dir};
    let mut b = booking_app().await;
    for year in ["2021", "2022"] {
        let plan = seeds_dir().join("2020");
        let out = bloodplan_cli(&b.app.database, &["import", plan.to_str().unwrap(), "--year", year]);
        assert!(out.status.success(), "{out:?}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let warned = stdout.contains(&format!("尚无{year}年的节假日安排"));
        assert_eq!(warned, year == "2022", "{stdout}");
    }
    b.travel_to("2020-12-01T09:00:00+08:00").await;
    // 2021 (国办发明电〔2020〕27号): 元旦 1–3 January, 春节 11–17 February, make-up Sunday 7 February.
    assert_eq!(refusal(&b, "2021-01-01", "MORNING", 20).await.as_deref(), Some("HOLIDAY"));
    assert_eq!(refusal(&b, "2021-02-12", "MORNING", 20).await.as_deref(), Some("HOLIDAY"));
    assert_eq!(refusal(&b, "2021-02-07", "MORNING", 20).await, None, "a make-up Sunday");
    // 2022 has a plan but no calendar: nothing in it can be booked, nor is offered.
    assert_eq!(refusal(&b, "2022-01-04", "MORNING", 20).await.as_deref(), Some("NO_WORK_CALENDAR"));
    let free = b
        .app
        .gql_ok_as(
            &b.liaison,
            r#"{ availability(from: "2021-12-27", to: "2022-01-10") { date } }"#,
            json!({}),
        )
        .await;
    let dates: Vec<&str> =
        free["availability"].as_array().unwrap().iter().map(|f| f["date"].as_str().unwrap()).collect();
    assert!(dates.contains(&"2021-12-31"), "{dates:?}");
    assert!(dates.iter().all(|d| d.starts_with("2021")), "{dates:?}");
}

#[tokio::test]
async fn the_2020_spring_festival_extension_makes_the_first_of_february_a_holiday() {
    let b = booking_app().await;
    // Saturday 1 February was a make-up working day until 国办发明电〔2020〕1号 of 26 January.
    let mut vars = book_vars(&b.hbust, &b.vehicle, "2020-02-01", "MORNING", 20);
    vars["i"]["leadTimeOverride"] = json!("春节后首次采血");
    let answer = b.app.gql_as(&b.office, BOOK, vars.clone()).await;
    assert_eq!(error_code(&answer), Some("HOLIDAY"), "{answer}");
    assert!(answer["errors"][0]["message"].as_str().unwrap().contains("春节"), "{answer}");
    vars["i"]["date"] = json!("2020-02-03");
    b.app.gql_ok_as(&b.office, BOOK, vars).await;
}

#[tokio::test]
async fn the_office_books_world_blood_donor_day_with_a_reason_and_a_weekend_holders_liaison_books_saturdays()
{
    let b = booking_app().await;
    // 世界献血者日: Sunday 14 June 2020.
    let mut vars = book_vars(&b.hbust, &b.vehicle, "2020-06-14", "FULL_DAY", 50);
    let plain = b.app.gql_as(&b.office, BOOK, vars.clone()).await;
    assert_eq!(error_code(&plain), Some("NOT_A_WORKING_DAY"));
    vars["i"]["dayOverride"] = json!("世界献血者日街头献血");
    let by_liaison = b.app.gql_as(&b.liaison, BOOK, vars.clone()).await;
    assert_eq!(error_code(&by_liaison), Some("FORBIDDEN"), "only the office overrides the calendar");
    let booked = b.app.gql_ok_as(&b.office, BOOK, vars).await;
    let id = booked["bookVisit"]["id"].as_str().unwrap().to_owned();
    let trail = b
        .app
        .gql_ok_as(
            &b.office,
            "query($id: String) { auditLog(entity: \"visit\", entityId: $id) { nodes { after } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(trail["auditLog"]["nodes"][0]["after"]["dayOverride"], "世界献血者日街头献血");

    // A mall's liaison books Saturdays once the office marks the holder; holidays stay closed.
    let mall_name = "红牛维他命饮料(湖北)有限公司";
    let mall = b.app.unit_id(mall_name).await;
    let liaison = b.app.user_token("redbull", Role::Liaison, Some(mall_name)).await;
    let saturday = book_vars(&mall, &b.vehicle, "2020-03-07", "MORNING", 20);
    assert_eq!(error_code(&b.app.gql_as(&liaison, BOOK, saturday.clone()).await), Some("NOT_A_WORKING_DAY"));
    let set = "mutation($u: ID!) { setUnitBookingOptions(unitId: $u, acceptsWeekendVisits: true) { acceptsWeekendVisits termBound } }";
    let marked = b.app.gql_ok_as(&b.office, set, json!({ "u": mall })).await;
    assert_eq!(marked["setUnitBookingOptions"], json!({ "acceptsWeekendVisits": true, "termBound": false }));
    b.app.gql_ok_as(&liaison, BOOK, saturday).await;
    let dragon_boat = book_vars(&mall, &b.vehicle, "2020-06-27", "MORNING", 20);
    assert_eq!(
        error_code(&b.app.gql_as(&liaison, BOOK, dragon_boat).await),
        Some("HOLIDAY"),
        "端午节 Saturday"
    );
    let free = b
        .app
        .gql_ok_as(
            &liaison,
            r#"{ availability(from: "2020-03-07", to: "2020-03-08") { date session } }"#,
            json!({}),
        )
        .await;
    let days: Vec<&str> =
        free["availability"].as_array().unwrap().iter().map(|f| f["date"].as_str().unwrap()).collect();
    assert_eq!(
        days,
        ["2020-03-07", "2020-03-08", "2020-03-08", "2020-03-08"],
        "its weekend is offered to it"
    );
    let others = b
        .app
        .gql_ok_as(
            &b.liaison,
            r#"{ availability(from: "2020-03-07", to: "2020-03-08") { date } }"#,
            json!({}),
        )
        .await;
    assert_eq!(others["availability"], json!([]), "not to a holder that holds no weekend drives");
}
