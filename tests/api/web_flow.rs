//! The web app in a real headless Chromium: a liaison books, another is told the session is
//! taken, the office confirms, the station records, and the dashboard shows the figures that
//! GraphQL `fulfilment` gives. Every page is screenshotted at both sizes with a clean console.
use bloodplan::domain::auth::Role;
use serde_json::json;

use crate::browser::{number, Browser};
use crate::helpers::{spawn_app, TestApp};

const HOLDER: &str = "湖北科技学院";
const OTHER: &str = "咸宁职业技术学院";
const DAY: &str = "2020-02-10";

fn at(t: &str) -> chrono::DateTime<chrono::Utc> {
    t.parse::<chrono::DateTime<chrono::FixedOffset>>().unwrap().into()
}

async fn people(app: &TestApp) -> String {
    app.create_user("hbust", Role::Liaison, Some(HOLDER)).await;
    app.create_user("xnvc", Role::Liaison, Some(OTHER)).await;
    app.create_user("station1", Role::Station, None).await;
    let office = app.user_token("office", Role::Office, None).await;
    app.create_vehicle(&office, "1号采血车").await
}

#[tokio::test]
async fn a_booking_goes_from_the_liaison_to_the_office_to_the_station_and_onto_the_dashboard() {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    let vehicle = people(&app).await;
    let a = &app.address;

    // The first liaison signs in from the booking link of an email and lands on the booking page.
    let liaison = browser.session().await;
    liaison.goto(&format!("{a}/book")).await;
    liaison.screenshots("login").await;
    liaison.login(a, "hbust", "/book").await;
    assert_eq!(liaison.path().await, "/book");
    liaison.screenshots("liaison-book").await;

    // The second liaison has the same free session on screen.
    let rival = browser.session().await;
    rival.login(a, "xnvc", "/book").await;
    let slot = format!("#slot-{vehicle}-{DAY}-MORNING");
    assert!(rival.has(&slot).await, "the free session is offered to both");

    liaison.click(&slot).await;
    assert!(liaison.text("#picked").await.contains("1号采血车"), "the picked session is named");
    liaison.fill("#expected-donors", "30").await;
    liaison.click_and_wait("#book-submit").await;
    assert_eq!(liaison.path().await, "/liaison?done=booked");
    let visits = liaison.text("#my-visits").await;
    assert!(visits.contains(DAY) && visits.contains("待确认"), "the booking is listed: {visits}");
    liaison.screenshots("liaison-home").await;

    rival.click(&slot).await;
    rival.fill("#expected-donors", "20").await;
    rival.click_and_wait("#book-submit").await;
    let refusal = rival.text("#booking-error").await;
    assert!(refusal.contains("已被预约"), "the second liaison is told the session is taken: {refusal}");
    rival.screenshots("liaison-book-taken").await;
    rival.close().await;

    let visit_id: i64 = {
        let data = app
            .gql_ok_as(
                &app.login("office").await,
                "{ visits(status: [REQUESTED]) { nodes { id unitName } } }",
                json!({}),
            )
            .await;
        let nodes = data["visits"]["nodes"].as_array().unwrap().clone();
        assert_eq!(nodes.len(), 1, "exactly one booking went through: {nodes:?}");
        assert_eq!(nodes[0]["unitName"], HOLDER);
        nodes[0]["id"].as_str().unwrap().parse().unwrap()
    };

    // The office confirms it in the calendar.
    let office = browser.session().await;
    office.login(a, "office", "/office").await;
    office.screenshots("office-dashboard-before").await;
    office.goto(&format!("{a}/office/calendar?view=week&date={DAY}")).await;
    office.screenshots("office-calendar-week").await;
    office.click_and_wait(&format!("#confirm-{visit_id}")).await;
    assert!(office.text("#flash").await.contains("已确认"));
    assert!(office.text(&format!("[data-visit=\"{visit_id}\"]")).await.contains("已确认"));
    office.goto(&format!("{a}/office/calendar?view=month&date={DAY}")).await;
    office.screenshots("office-calendar-month").await;
    office.close().await;

    // The day comes; the station records the collection.
    app.clock.set(at("2020-02-10T17:00:00+08:00"));
    let station = browser.session().await;
    station.login(a, "station1", "/station").await;
    assert!(station.text("main").await.contains(HOLDER), "today's visit is on the station's page");
    station.screenshots("station-schedule").await;
    station.click_and_wait(&format!("#record-{visit_id}")).await;
    station.screenshots("station-record").await;
    station.fill("#bags200", "10").await;
    station.fill("#bags400", "20").await;
    station.fill("#deferred", "3").await;
    station.click_and_wait("#record-submit").await;
    assert!(station.text("#flash").await.contains("已保存"));
    assert!(station.text("#recorded-figures").await.contains("30 人次，共 10000 毫升"));
    assert_eq!(station.text("#visit-status").await, "已完成");
    station.screenshots("station-correct").await;
    station.goto(&format!("{a}/station/fixed-site")).await;
    station.screenshots("station-fixed-site").await;
    station.close().await;

    // The office's dashboard shows what GraphQL says, for the holder, its section and the city.
    let token = app.login("office").await;
    let f = app
        .gql_ok_as(
            &token,
            "query($n: String) { fulfilment(year: 2020) { collectedDonations collectedVolumeMl
               bySection { kind collectedDonations collectedVolumeMl }
               units(nameContains: $n, first: 5) { nodes { id name collectedDonations } } } }",
            json!({ "n": HOLDER }),
        )
        .await;
    let f = &f["fulfilment"];
    assert_eq!(f["collectedDonations"], 30);
    assert_eq!(f["collectedVolumeMl"], 10_000);
    let office = browser.session().await;
    office.login(a, "office", "/office").await;
    assert_eq!(number(&office.text("#city .collected-donations").await), 30);
    assert_eq!(number(&office.text("#city .collected-volume").await), 10_000);
    for s in f["bySection"].as_array().unwrap() {
        let kind = s["kind"].as_str().unwrap();
        let row = format!("#section-{kind}");
        assert_eq!(
            number(&office.text(&format!("{row} .collected")).await),
            s["collectedDonations"].as_i64().unwrap()
        );
        assert_eq!(
            number(&office.text(&format!("{row} .volume")).await),
            s["collectedVolumeMl"].as_i64().unwrap()
        );
    }
    assert_eq!(number(&office.text("#section-CITY_UNIT .collected").await), 30);
    let against_target = office.text("#target-donations .value").await;
    assert_eq!(against_target, "30 / 24,500", "the city's figure against the notice's target");
    office.screenshots("office-dashboard").await;

    let holder =
        f["units"]["nodes"].as_array().unwrap().iter().find(|u| u["name"] == HOLDER).unwrap().clone();
    office.goto(&format!("{a}/office/holders?q={HOLDER}")).await;
    let row = format!("[data-holder=\"{}\"] .collected", holder["id"].as_str().unwrap());
    assert_eq!(number(&office.text(&row).await), holder["collectedDonations"].as_i64().unwrap());
    assert_eq!(number(&office.text(&row).await), 30);
    office.screenshots("office-holders-search").await;
    office.goto(&format!("{a}/office/holders")).await;
    assert!(office.text("h1").await.contains("157"), "all 157 holders are in the table");
    office.screenshots("office-holders").await;
    office.goto(&format!("{a}/holders/{}", holder["id"].as_str().unwrap())).await;
    assert_eq!(number(&office.text("#holder-figures .collected-donations").await), 30);
    office.screenshots("holder-page").await;
    office.goto(&format!("{a}/office/exports")).await;
    office.screenshots("office-exports").await;
    office.goto(&format!("{a}/office/vehicles")).await;
    assert!(office.text("main").await.contains("1号采血车"));
    office.screenshots("office-vehicles").await;
    office.goto(&format!("{a}/office/reminders")).await;
    office.screenshots("office-reminders").await;
    office.goto(&format!("{a}/office/outbox")).await;
    office.screenshots("office-outbox").await;
    office.goto(&format!("{a}/office/users")).await;
    assert!(office.text("#users").await.contains("hbust"));
    office.screenshots("office-users").await;
    office.goto(&format!("{a}/account/password")).await;
    office.screenshots("change-password").await;
    office.goto(&format!("{a}/graphql")).await;
    office
        .client
        .wait()
        .for_element(fantoccini::Locator::Css(".graphiql-container"))
        .await
        .expect("GraphiQL starts");
    // The schema loaded although GraphiQL's introspection is deeper than /graphql allows:
    // the documentation explorer lists the root types.
    office
        .client
        .find(fantoccini::Locator::Css(".graphiql-sidebar-section button"))
        .await
        .expect("the documentation explorer's button")
        .click()
        .await
        .unwrap();
    let mut docs = String::new();
    for _ in 0..100 {
        if office.has(".graphiql-doc-explorer").await {
            docs = office.text(".graphiql-doc-explorer").await;
            if docs.contains("Query") {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(docs.contains("Query") && docs.contains("Mutation"), "documentation explorer: {docs}");
    // Closed again, so that the editors have the screen.
    office
        .client
        .find(fantoccini::Locator::Css(".graphiql-sidebar-section button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    office.screenshots("graphiql").await;
    // On a phone the response sits below the editor, as wide as the screen allows.
    office.client.set_window_size(390, 844).await.unwrap();
    let panes = office
        .client
        .execute(
            "const e = document.querySelector('.graphiql-editors').getBoundingClientRect();
             const r = document.querySelector('.graphiql-response').getBoundingClientRect();
             return [r.width, r.top - e.bottom];",
            vec![],
        )
        .await
        .unwrap();
    assert!(panes[0].as_f64().unwrap() >= 250.0 && panes[1].as_f64().unwrap() >= 0.0, "{panes}");
    office.client.set_window_size(1366, 768).await.unwrap();
    office.close().await;

    // The liaison sees their own progress too.
    let liaison = browser.session().await;
    liaison.login(a, "hbust", "/liaison").await;
    assert_eq!(number(&liaison.text(".collected-donations").await), 30);
    liaison.screenshots("liaison-progress").await;
    liaison.close().await;
}
