//! Issue 15 item 4 in the browser: the office proposes 2020's schedule for four vehicles,
//! excludes a day, re-runs, and publishes what it sees as requested visits.
use bloodplan::domain::auth::Role;
use serde_json::json;

use crate::browser::{number, Browser};
use crate::helpers::spawn_app;

const SET_TERMS: &str = r#"mutation { setTermCalendar(input: { year: 2020, springStart: "2020-02-24", springEnd: "2020-07-10", autumnStart: "2020-09-01", autumnEnd: "2021-01-15" }) { year } }"#;
const COUNT: &str =
    "query($f: Date!, $t: Date!) { visits(from: $f, to: $t, status: [REQUESTED]) { totalCount } }";

/// The days of the page's calendars that show a visit to `unit`, in page order.
const DAYS_OF: &str = "return [...document.querySelectorAll('.day[data-date]')]
    .filter(d => d.querySelector('.visit[data-unit=\"' + arguments[0] + '\"]'))
    .map(d => d.getAttribute('data-date'))";

#[tokio::test]
async fn the_office_proposes_excludes_a_day_re_runs_and_publishes_the_schedule() {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    app.gql_ok_as(&office, SET_TERMS, json!({})).await;
    for i in 1..=4 {
        app.create_vehicle(&office, &format!("鄂L采血0{i}")).await;
    }
    let hbust = app.unit_id("湖北科技学院").await;

    let page = browser.session().await;
    page.login(&app.address, "office", "/office").await;
    page.click_and_wait("a[href=\"/office/schedule\"]").await;
    page.set_value("#schedule-year", "2020").await;
    page.set_value("#schedule-from", "2020-03-01").await;
    page.set_value("#schedule-to", "2020-12-31").await;
    page.click_and_wait("#schedule-run").await;
    assert!(!page.has("#schedule-refusal").await, "{}", page.text("main").await);
    let days = |unit: String| {
        let page = &page;
        async move {
            let found = page.client.execute(DAYS_OF, vec![json!(unit)]).await.unwrap();
            found.as_array().unwrap().iter().map(|d| d.as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    let hbust_days = days(hbust.clone()).await;
    assert!(!hbust_days.is_empty(), "湖北科技学院 is in the calendar");
    for d in &hbust_days {
        let in_term = ("2020-03-01".."2020-07-11").contains(&d.as_str()) || d.as_str() >= "2020-09-01";
        assert!(in_term, "湖北科技学院 on {d}, outside its terms");
    }
    assert_eq!(page.text("#schedule-vehicles tbody tr:nth-child(4) td:first-child").await, "鄂L采血04");
    assert!(page.has("#schedule-months tbody tr:nth-child(10)").await, "March to December");
    page.screenshots("office-schedule").await;

    // Exclude the first day 湖北科技学院 had: the re-run leaves the day empty.
    let day = hbust_days[0].clone();
    page.click_and_wait(&format!(".day[data-date=\"{day}\"] .exclude-date")).await;
    assert!(page.text("#schedule-chips").await.contains(&format!("排除日期：{day}")));
    assert!(!page.has(&format!(".day[data-date=\"{day}\"] .visit")).await, "{day} is gone");
    assert!(!days(hbust.clone()).await.contains(&day));
    let proposed = number(&page.text("#visit-count").await);
    assert!(proposed > 0);

    page.click_confirm_and_wait("#publish-submit").await;
    let flash = page.text("#flash").await;
    assert!(flash.starts_with(&format!("已发布 {proposed} 次采血活动，均为待确认状态")), "{flash}");
    let count = |from: &str, to: &str| {
        let (app, office) = (&app, &office);
        let vars = json!({ "f": from, "t": to });
        async move { app.gql_ok_as(office, COUNT, vars).await["visits"]["totalCount"].as_i64().unwrap() }
    };
    assert_eq!(count("2020-01-01", "2020-12-31").await, proposed);
    assert_eq!(count(&day, &day).await, 0, "nothing on the excluded day");

    // The calendar shows them waiting for confirmation.
    page.click_and_wait("#to-calendar").await;
    let month = page.text("#calendar").await;
    assert!(month.contains("待确认"), "{month}");
    page.close().await;
}
