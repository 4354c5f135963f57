//! Calendar feeds: what is coming and a little of the past, never crowded out by cancelled
//! visits, links that can be rotated, and text that strict parsers accept.
use bloodplan::db::entities::visit;
use bloodplan::domain::visit::{Session, VisitStatus};
use chrono::TimeDelta;
use sea_orm::{EntityTrait, Set};
use serde_json::json;

use crate::helpers::{booking_app as feeds_app, error_code, Booking as Feeds};

impl Feeds {
    async fn vehicle_url(&self) -> String {
        let data = self
            .app
            .gql_ok_as(
                &self.station,
                "query($v: ID!) { vehicle(id: $v) { calendarUrl } }",
                json!({ "v": self.vehicle }),
            )
            .await;
        data["vehicle"]["calendarUrl"].as_str().unwrap().to_owned()
    }

    async fn unit_url(&self) -> String {
        let data = self
            .app
            .gql_ok_as(
                &self.liaison,
                "query($u: ID!) { unit(id: $u) { calendarUrl } }",
                json!({ "u": self.hbust }),
            )
            .await;
        data["unit"]["calendarUrl"].as_str().unwrap().to_owned()
    }

    async fn fetch(&self, url: &str) -> (u16, String) {
        let response = self.app.client.get(url).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }
}

fn uids(feed: &str) -> Vec<String> {
    feed.split("\r\n").filter_map(|l| l.strip_prefix("UID:")).map(str::to_owned).collect()
}

/// RFC 5545 strictly: every content line ends in CRLF, no bare CR or LF anywhere, and each
/// unfolded line is `NAME[;params]:value`.
fn assert_strict_icalendar(feed: &str) {
    assert!(feed.ends_with("\r\n"), "the feed ends with CRLF");
    let lines: Vec<&str> = feed.strip_suffix("\r\n").unwrap().split("\r\n").collect();
    for line in &lines {
        assert!(!line.contains('\r') && !line.contains('\n'), "a bare CR or LF in {line:?}");
        assert!(line.len() <= 75, "an unfolded line over 75 octets: {line:?}");
    }
    let mut unfolded: Vec<String> = Vec::new();
    for line in lines {
        match line.strip_prefix([' ', '\t']) {
            Some(rest) => unfolded.last_mut().expect("a continuation after a line").push_str(rest),
            None => unfolded.push(line.to_owned()),
        }
    }
    for line in &unfolded {
        let name = line.split([':', ';']).next().unwrap();
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c == '-'),
            "not a content line: {line:?}"
        );
    }
    assert_eq!(unfolded.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
}

#[tokio::test]
async fn a_confirmed_visit_stays_in_the_feed_whatever_another_liaison_books_and_cancels() {
    let f = feeds_app().await;
    let kept = f.app.book(&f.liaison, &f.hbust, &f.vehicle, "2020-03-16", "MORNING", 30).await;
    f.app
        .gql_ok_as(&f.office, "mutation($id: ID!) { confirmVisit(id: $id) { id } }", json!({ "id": kept }))
        .await;
    // Another holder's liaison books and cancels 600 times on earlier days.
    let police = f.app.unit_id("市公安局").await.parse::<i32>().unwrap();
    let vehicle = f.vehicle.parse::<i32>().unwrap();
    let now = f.app.clock.now();
    let start = chrono::NaiveDate::from_ymd_opt(2020, 2, 3).unwrap();
    let rows = (0..600).map(|i| visit::ActiveModel {
        unit_id: Set(police.into()),
        vehicle_id: Set(vehicle.into()),
        date: Set(start + chrono::Days::new(i % 40)),
        session: Set(if i % 2 == 0 { Session::Morning } else { Session::Afternoon }),
        status: Set(VisitStatus::Cancelled),
        expected_donors: Set(20),
        site_contact: Set(None),
        note: Set(None),
        cancel_reason: Set(Some("撤回".to_owned())),
        client_key: Set(None),
        requested_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    });
    visit::Entity::insert_many(rows).exec_without_returning(&f.app.db).await.unwrap();

    let url = f.vehicle_url().await;
    let (status, feed) = f.fetch(&url).await;
    assert_eq!(status, 200);
    assert!(uids(&feed).contains(&format!("visit-{kept}@bloodplan")), "the confirmed visit is in the feed");
    // A week later the cancellations have been seen and are left out; the visit stays.
    f.app.clock.advance(TimeDelta::days(8));
    let (_, feed) = f.fetch(&url).await;
    assert_eq!(uids(&feed), [format!("visit-{kept}@bloodplan")]);
    // Long after its day it leaves the feed too.
    f.app
        .clock
        .set("2020-05-01T09:00:00+08:00".parse::<chrono::DateTime<chrono::FixedOffset>>().unwrap().into());
    let (_, feed) = f.fetch(&url).await;
    assert!(uids(&feed).is_empty(), "{feed}");
}

#[tokio::test]
async fn every_holder_has_its_feed_link_from_the_start_and_reading_it_writes_nothing() {
    let f = feeds_app().await;
    assert_eq!(f.app.count("unit_calendar").await, f.app.count("unit").await);
    let before = f.app.snapshot().await;
    let calendars_before = f.app.count("unit_calendar").await;
    let first = f.unit_url().await;
    let over_get = f
        .app
        .client
        .get(f.app.graphql_url())
        .query(&[("query", format!("{{ unit(id: \"{}\") {{ calendarUrl }} }}", f.hbust))])
        .bearer_auth(&f.liaison)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(over_get["data"]["unit"]["calendarUrl"], first.as_str());
    assert_eq!(f.app.snapshot().await, before);
    assert_eq!(f.app.count("unit_calendar").await, calendars_before);
}

#[tokio::test]
async fn a_rotated_feed_link_stops_working_and_the_new_one_works() {
    let f = feeds_app().await;
    let old_unit = f.unit_url().await;
    let old_vehicle = f.vehicle_url().await;
    assert_eq!(f.fetch(&old_unit).await.0, 200);
    let new_unit = f
        .app
        .gql_ok_as(
            &f.office,
            "mutation($u: ID!) { rotateUnitCalendarUrl(unitId: $u) }",
            json!({ "u": f.hbust }),
        )
        .await["rotateUnitCalendarUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_unit, old_unit);
    assert_eq!(f.fetch(&old_unit).await.0, 404);
    assert_eq!(f.fetch(&new_unit).await.0, 200);
    assert_eq!(f.unit_url().await, new_unit);

    let new_vehicle = f
        .app
        .gql_ok_as(
            &f.station,
            "mutation($v: ID!) { rotateVehicleCalendarUrl(vehicleId: $v) }",
            json!({ "v": f.vehicle }),
        )
        .await["rotateVehicleCalendarUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(f.fetch(&old_vehicle).await.0, 404);
    assert_eq!(f.fetch(&new_vehicle).await.0, 200);
    let refused = f
        .app
        .gql_as(
            &f.liaison,
            "mutation($v: ID!) { rotateVehicleCalendarUrl(vehicleId: $v) }",
            json!({ "v": f.vehicle }),
        )
        .await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"));
}

/// A disabled account's feed links stop working: the liaison's holder feed and, for a
/// station account, the vehicle feeds; the holder's other users read the new link.
#[tokio::test]
async fn disabling_an_account_rotates_the_feed_links_it_could_read() {
    let f = feeds_app().await;
    let (old_unit, old_vehicle) = (f.unit_url().await, f.vehicle_url().await);
    const DISABLE: &str = "mutation($id: ID!) { setUserDisabled(id: $id, disabled: true) { disabled } }";
    let me = |token: &str| {
        let token = token.to_owned();
        let app = &f.app;
        async move { app.gql_ok_as(&token, "{ me { id } }", json!({})).await["me"]["id"].clone() }
    };
    let liaison_id = me(&f.liaison).await;
    let station_id = me(&f.station).await;
    f.app.gql_ok_as(&f.office, DISABLE, json!({ "id": liaison_id })).await;
    let (status, body) = f.fetch(&old_unit).await;
    assert_eq!(status, 404, "the disabled liaison's holder feed");
    // Answered by the API's one error mapping: a code and a Chinese message.
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND", "{body}");
    assert_eq!(f.fetch(&old_vehicle).await.0, 200, "a liaison never saw the vehicle feeds");
    let data = f
        .app
        .gql_ok_as(&f.office, "query($u: ID!) { unit(id: $u) { calendarUrl } }", json!({ "u": f.hbust }))
        .await;
    let new_unit = data["unit"]["calendarUrl"].as_str().unwrap().to_owned();
    assert_ne!(new_unit, old_unit);
    assert_eq!(f.fetch(&new_unit).await.0, 200);

    f.app.gql_ok_as(&f.office, DISABLE, json!({ "id": station_id })).await;
    assert_eq!(f.fetch(&old_vehicle).await.0, 404, "the disabled station account's vehicle feeds");
    assert_eq!(f.fetch(&new_unit).await.0, 200, "holder feeds stay when staff leave");
    let data = f
        .app
        .gql_ok_as(&f.office, "query($v: ID!) { vehicle(id: $v) { calendarUrl } }", json!({ "v": f.vehicle }))
        .await;
    assert_eq!(f.fetch(data["vehicle"]["calendarUrl"].as_str().unwrap()).await.0, 200);
}

#[tokio::test]
async fn bare_carriage_returns_and_line_feeds_in_notes_are_escaped() {
    let f = feeds_app().await;
    let mut vars = crate::helpers::book_vars(&f.hbust, &f.vehicle, "2020-03-16", "MORNING", 30);
    vars["i"]["note"] = json!("第一行\r第二行\n第三行\r\nEND:VEVENT");
    vars["i"]["siteContact"] = json!("张老师\r13907151234");
    let booked = f.app.gql_ok_as(&f.liaison, crate::helpers::BOOK, vars).await;
    assert!(booked["bookVisit"]["id"].is_string());
    for url in [f.unit_url().await, f.vehicle_url().await] {
        let (_, feed) = f.fetch(&url).await;
        assert_strict_icalendar(&feed);
        let calendar: icalendar::Calendar = feed.parse().expect("valid iCalendar");
        use icalendar::Component;
        let event = calendar.components.iter().find_map(|c| c.as_event()).expect("one event");
        let description = event.get_description().unwrap();
        assert!(description.contains("备注：第一行\n第二行\n第三行\nEND:VEVENT"), "{description:?}");
        assert_eq!(feed.split("\r\n").filter(|l| *l == "END:VEVENT").count(), 1, "{feed}");
    }
}
