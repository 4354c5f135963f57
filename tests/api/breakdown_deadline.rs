//! The deadline of a year's breakdown plans (issue 14 item 1): the office sets it; from the
//! day after, each holder asked for a breakdown without a submitted or accepted version gets
//! one reminder through the outbox, and the office's weekly digest lists them.
use bloodplan::db::entities::{audit_log, outbox};
use bloodplan::domain::auth::Role;
use bloodplan::domain::reminders::MessageKind;
use bloodplan::services::outbox::{self as outbox_service, SendReport};
use bloodplan::services::reminders;
use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::helpers::{cli_ok, error_code, spawn_app_with, spawn_empty_app, AppOptions, TestApp};
use crate::smtp_server::TestSmtpServer;

const SET_DEADLINE: &str =
    "mutation($y: Int!, $d: Date!) { setBreakdownDeadline(year: $y, date: $d) { year dueOn } }";
const DEADLINE: &str = "{ breakdownDeadline(year: 2020) { year dueOn } }";
const SET_CONTACT: &str = "mutation($u: ID!, $n: String!, $e: String!) { updateUnitContact(unitId: $u, input: { name: $n, phone: \"13907151234\", email: $e }) { id } }";
/// The weekly digest on Wednesdays: 2020-04-01 is one.
const DIGEST_WED: &str =
    "mutation { setReminderRule(kind: DIGEST, offsets: [3], enabled: true) { enabled } }";
const OFFICE_MAIL: &str = "xianning-blood@example.org";

fn at(text: &str) -> DateTime<Utc> {
    text.parse::<DateTime<FixedOffset>>().unwrap().into()
}

/// One scheduler run and one worker run, as `bloodplan remind run-once` does them.
async fn run_once(app: &TestApp) -> (u32, SendReport) {
    let s = &app.state;
    let queued = reminders::enqueue_due(&s.db, &app.clock, &s.reminders).await.expect("scheduler runs");
    let mailer = s.mailer.as_ref().expect("SMTP configured");
    let report =
        outbox_service::run_once(&s.db, &app.clock, mailer, &s.outbox, "test").await.expect("worker runs");
    (queued, report)
}

/// The holders the digest lists as overdue (name, quota), from its plain text.
fn overdue_in_digest(text: &str) -> Vec<(String, i64)> {
    let Some((_, rest)) = text.split_once("逾期尚未上报：") else { return Vec::new() };
    let table = rest.split("\n--\n").next().unwrap_or_default();
    table
        .lines()
        .map(str::split_whitespace)
        .filter_map(|mut cells| Some((cells.next()?.to_owned(), cells.next()?.parse().ok()?)))
        .collect()
}

#[tokio::test]
async fn after_the_2020_deadline_each_overdue_holder_with_a_contact_is_reminded_once_and_the_digest_lists_all_28(
) {
    let smtp = TestSmtpServer::start();
    let app = spawn_app_with(AppOptions { smtp_port: Some(smtp.port), ..AppOptions::default() }).await;
    let office = app.user_token("office", Role::Office, None).await;
    app.gql_ok_as(&office, DIGEST_WED, json!({})).await;
    for (unit, name, email) in [
        ("咸安", "刘主任", "xianan@example.gov.cn"),
        ("嘉鱼", "陈主任", "jiayu@example.gov.cn"),
        ("市公安局", "王科长", "police@example.gov.cn"),
    ] {
        let id = app.unit_id(unit).await;
        app.gql_ok_as(&office, SET_CONTACT, json!({ "u": id, "n": name, "e": email })).await;
    }
    let set = app.gql_ok_as(&office, SET_DEADLINE, json!({ "y": 2020, "d": "2020-03-31" })).await;
    assert_eq!(set["setBreakdownDeadline"], json!({ "year": 2020, "dueOn": "2020-03-31" }));
    let read = app.gql_ok_as(&office, DEADLINE, json!({})).await;
    assert_eq!(read["breakdownDeadline"], json!({ "year": 2020, "dueOn": "2020-03-31" }));
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Entity.eq("breakdown_deadline"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(audited, 1, "the office's write is audited");

    // 咸安 (1,600) submits its breakdown before the deadline.
    let xianan = app.unit_id("咸安").await;
    let liaison = app.user_token("xianan", Role::Liaison, Some("咸安")).await;
    app.gql_ok_as(
        &liaison,
        "mutation($u: ID!) { submitBreakdown(unitId: $u, year: 2020, rows: [{ name: \"咸安区教育局\", quota: 1600, kind: GOVERNMENT }]) { id } }",
        json!({ "u": xianan }),
    )
    .await;

    // On the deadline itself nobody is overdue: nothing is sent.
    app.clock.set(at("2020-03-31T09:00:00+08:00"));
    assert_eq!(run_once(&app).await, (0, SendReport::default()), "nothing before the day after the deadline");
    assert!(smtp.messages().is_empty());

    // The day after: 嘉鱼 and 市公安局 (含二级单位) are reminded; 咸安 submitted, the other 26
    // overdue holders have no contact.
    app.clock.set(at("2020-04-01T09:00:00+08:00"));
    let (queued, report) = run_once(&app).await;
    let sent: Vec<_> = smtp.messages().iter().map(|m| (m.to.join(","), m.subject.clone())).collect();
    assert_eq!((queued, report.sent), (3, 3), "two reminders and the Wednesday digest: {sent:?}");
    let (digests, reminders): (Vec<_>, Vec<_>) =
        smtp.messages().iter().cloned().partition(|m| m.to == vec![OFFICE_MAIL.to_string()]);
    let mut to: Vec<_> = reminders.iter().map(|m| m.to.join(",")).collect();
    to.sort();
    assert_eq!(to, ["jiayu@example.gov.cn", "police@example.gov.cn"]);
    let jiayu = reminders.iter().find(|m| m.to == vec!["jiayu@example.gov.cn".to_string()]).unwrap();
    assert_eq!(
        jiayu.subject,
        "【咸宁市献血办】嘉鱼：2020年献血分解计划已过上报截止日期（2020年3月31日），请尽快上报"
    );
    for body in [&jiayu.text, &jiayu.html] {
        for needle in ["陈主任", "嘉鱼", "2020年", "1500", "2020年3月31日", "分解计划", "0715-8888888"]
        {
            assert!(body.contains(needle), "{needle} missing: {body}");
        }
    }
    let kinds: Vec<(String, MessageKind)> = outbox::Entity::find()
        .filter(outbox::Column::DedupKey.starts_with("breakdown:"))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.dedup_key, m.kind))
        .collect();
    let jiayu_id = app.unit_id("嘉鱼").await;
    assert!(
        kinds.iter().any(|(key, _)| *key == format!("breakdown:{jiayu_id}:2020:2020-03-31")),
        "{kinds:?}"
    );
    assert_eq!(kinds.len(), 2);
    assert!(kinds.iter().all(|(_, kind)| *kind == MessageKind::Notice), "{kinds:?}");

    assert_eq!(digests.len(), 1);
    let digest = &digests[0];
    assert!(digest.subject.ends_with("；28个单位逾期未上报分解计划"), "{}", digest.subject);
    assert!(digest.text.contains("2020年分解计划的上报截止日期为2020年3月31日，以下 28 个单位逾期尚未上报"));
    let overdue = overdue_in_digest(&digest.text);
    assert_eq!(overdue.len(), 28, "the six counties but 咸安, and the 23 rows 含二级单位: {overdue:?}");
    assert_eq!(overdue[..2], [("嘉鱼".to_string(), 1500), ("赤壁".to_string(), 2500)]);
    assert!(overdue.contains(&("市公安局".to_string(), 100)));
    assert!(!overdue.iter().any(|(name, _)| name == "咸安"), "咸安 submitted: {overdue:?}");
    assert!(digest.html.contains("逾期尚未上报") && digest.html.contains("市公安局"));

    // Again later the same day and the next day: nothing new.
    app.clock.set(at("2020-04-01T15:00:00+08:00"));
    assert_eq!(run_once(&app).await, (0, SendReport::default()));
    app.clock.set(at("2020-04-02T09:00:00+08:00"));
    assert_eq!(run_once(&app).await, (0, SendReport::default()), "Thursday: no digest, no second reminder");
    assert_eq!(smtp.messages().len(), 3);
}

#[tokio::test]
async fn only_the_office_sets_the_deadline_and_only_a_day_of_the_year() {
    let app = spawn_app_with(AppOptions::default()).await;
    let office = app.user_token("office", Role::Office, None).await;
    let liaison = app.user_token("xianan", Role::Liaison, Some("咸安")).await;

    let answer = app.gql_as(&liaison, SET_DEADLINE, json!({ "y": 2020, "d": "2020-03-31" })).await;
    assert_eq!(error_code(&answer), Some("FORBIDDEN"), "{answer:#}");
    let read = app.gql_ok_as(&liaison, DEADLINE, json!({})).await;
    assert_eq!(read["breakdownDeadline"], json!(null), "the liaison reads it; none is set");

    app.gql_ok_as(&office, SET_DEADLINE, json!({ "y": 2020, "d": "2020-03-31" })).await;
    let before = app.snapshot().await;
    let answer = app.gql_as(&office, SET_DEADLINE, json!({ "y": 2020, "d": "2021-01-15" })).await;
    assert_eq!(error_code(&answer), Some("BREAKDOWN_DEADLINE_INVALID"), "{answer:#}");
    let message = answer["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("2020 年分解计划的截止日期须在 2020 年内"), "{message}");
    assert!(message.contains('，'), "full-width punctuation: {message}");
    assert_eq!(app.snapshot().await, before, "a refused write changes nothing");
    let read = app.gql_ok_as(&liaison, DEADLINE, json!({})).await;
    assert_eq!(read["breakdownDeadline"]["dueOn"], "2020-03-31");

    // Moved later: a new deadline, audited again.
    let moved = app.gql_ok_as(&office, SET_DEADLINE, json!({ "y": 2020, "d": "2020-04-30" })).await;
    assert_eq!(moved["setBreakdownDeadline"]["dueOn"], "2020-04-30");
}

#[tokio::test]
async fn a_holder_whose_only_version_was_returned_has_not_handed_in_and_is_overdue_in_the_overview_and_the_reminders(
) {
    let app = spawn_app_with(AppOptions::default()).await;
    let office = app.user_token("office", Role::Office, None).await;
    app.gql_ok_as(&office, SET_DEADLINE, json!({ "y": 2020, "d": "2020-03-31" })).await;
    // 咸安 (1,600): its only version returned. 嘉鱼 (1,500): waiting. 赤壁 (2,500): accepted.
    let xianan = submit_one(&app, &office, "咸安", 1600).await;
    app.gql_ok_as(
        &office,
        "mutation($id: ID!) { returnBreakdown(id: $id, comment: \"请按乡镇分解。\") { status } }",
        json!({ "id": xianan }),
    )
    .await;
    submit_one(&app, &office, "嘉鱼", 1500).await;
    let chibi = submit_one(&app, &office, "赤壁", 2500).await;
    app.gql_ok_as(
        &office,
        "mutation($id: ID!) { acceptBreakdown(id: $id) { status } }",
        json!({ "id": chibi }),
    )
    .await;

    // The overview: 咸安 returned, not handed in; 嘉鱼 and 赤壁 handed in.
    let overview = app
        .gql_ok_as(
            &office,
            "{ breakdownOverview(year: 2020, first: 50) { totalCount nodes { unitName latestStatus handedIn } } }",
            json!({}),
        )
        .await;
    let page = &overview["breakdownOverview"];
    assert_eq!(page["totalCount"], 29);
    let nodes = page["nodes"].as_array().unwrap();
    assert_eq!(
        nodes[..4],
        [
            json!({ "unitName": "咸安", "latestStatus": "RETURNED", "handedIn": false }),
            json!({ "unitName": "嘉鱼", "latestStatus": "SUBMITTED", "handedIn": true }),
            json!({ "unitName": "赤壁", "latestStatus": "ACCEPTED", "handedIn": true }),
            json!({ "unitName": "通城", "latestStatus": null, "handedIn": false }),
        ]
    );
    let not_handed_in: Vec<&str> =
        nodes.iter().filter(|n| n["handedIn"] == false).map(|n| n["unitName"].as_str().unwrap()).collect();

    // The office's page counts two handed in, not three.
    assert_eq!(overview_counts(&app, &office).await, [29, 2, 1, 1]);

    // The overdue list the reminders and the digest read: the same 27 holders, in table
    // order (counties, then the city-level rows 含二级单位), 咸安 first.
    let today = "2020-04-01".parse().unwrap();
    let (due, overdue) =
        bloodplan::services::breakdowns::overdue(&app.db, 2020, today).await.unwrap().unwrap();
    assert_eq!(due.to_string(), "2020-03-31");
    let names: Vec<&str> = overdue.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names.len(), 27);
    assert_eq!(names[..5], ["咸安", "通城", "崇阳", "通山", "市公安局"]);
    assert_eq!(names, not_handed_in, "one definition of handed in");
    assert_eq!((overdue[0].quota, overdue[4].quota), (1600, 100));

    // 赤壁 hands in a second version and the office returns it: its latest version is
    // returned, so it is no longer counted accepted; its accepted first version keeps it
    // handed in.
    let second = submit_one(&app, &office, "赤壁", 2600).await;
    app.gql_ok_as(
        &office,
        "mutation($id: ID!) { returnBreakdown(id: $id, comment: \"请核对人数\") { id } }",
        json!({ "id": second }),
    )
    .await;
    assert_eq!(overview_counts(&app, &office).await, [29, 2, 1, 0]);
    let (_, still_overdue) =
        bloodplan::services::breakdowns::overdue(&app.db, 2020, today).await.unwrap().unwrap();
    let still: Vec<&str> = still_overdue.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(still, names, "赤壁 stays handed in: its first version is accepted");
}

/// The office's page lists 100 holders a page; its counts are the database's over all of
/// them. A synthetic plan of 520 cities has 520 counties asked for a breakdown: the last
/// one's submission, beyond the first page, is counted, and the sixth page lists it.
#[tokio::test]
async fn the_office_page_counts_every_asked_holder_not_only_the_listed_ones() {
    let app = spawn_empty_app().await;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().to_str().unwrap();
    cli_ok(&app, &["gen", "--cities", "520", "--units-per-city", "3", "--year", "2020", "--out", folder]);
    cli_ok(&app, &["import", folder]);
    let office = app.user_token("office", Role::Office, None).await;
    let answer = app
        .gql_ok_as(
            &office,
            "{ breakdownOverview(year: 2020, first: 1, offset: 519) { totalCount nodes { unitId unitName quota section } } }",
            json!({}),
        )
        .await;
    let page = &answer["breakdownOverview"];
    assert_eq!(page["totalCount"], 520);
    let holder = &page["nodes"][0];
    assert_eq!(holder["section"], "COUNTY");
    submit_one(&app, &office, holder["unitName"].as_str().unwrap(), holder["quota"].as_i64().unwrap()).await;
    assert_eq!(overview_counts(&app, &office).await, [520, 1, 1, 0]);
    let first = office_page(&app, &office).await;
    let row = format!("id=\"holder-{}\"", holder["unitId"].as_str().unwrap());
    assert_eq!(first.matches("<tr id=\"holder-").count(), 100);
    assert!(first.contains("第 1 / 6 页") && !first.contains(&row), "the first page lists the first 100");
    assert!(first.contains("href=\"/office/breakdowns?year=2020&#38;page=2\" id=\"next-page\""), "{first}");
    let last = app.page_as(&office, "/office/breakdowns?year=2020&page=6").await;
    assert_eq!(last.matches("<tr id=\"holder-").count(), 20);
    assert!(last.contains("第 6 / 6 页") && last.contains(&row) && !last.contains("id=\"next-page\""));
    let beyond = app.page_as(&office, "/office/breakdowns?year=2020&page=18446744073709551615").await;
    assert!(beyond.contains("第 100000 / 6 页") && !beyond.contains("<tr id=\"holder-"), "{beyond}");
    assert!(beyond.contains("id=\"prev-page\"") && !beyond.contains("id=\"no-holders\""), "{beyond}");
}

/// The office's breakdown page's counts: asked, handed in, waiting, accepted.
async fn overview_counts(app: &TestApp, office: &str) -> [u64; 4] {
    let page = office_page(app, office).await;
    let counts = page.split("<p id=\"breakdown-counts\">").nth(1).and_then(|p| p.split("</p>").next());
    let numbers: Vec<u64> = counts
        .expect("the page shows its counts")
        .split("<strong>")
        .skip(1)
        .map(|part| part.split("</strong>").next().unwrap().replace(',', "").parse().unwrap())
        .collect();
    numbers.try_into().expect("four counts")
}

/// The office's breakdown page of 2020.
async fn office_page(app: &TestApp, office: &str) -> String {
    app.page_as(office, "/office/breakdowns?year=2020").await
}

/// The office submits `holder`'s breakdown as one sub-unit of `quota`; the version's id.
async fn submit_one(app: &TestApp, office: &str, holder: &str, quota: i64) -> serde_json::Value {
    let rows = json!([{ "name": "教育局", "quota": quota, "kind": "GOVERNMENT" }]);
    let answer = app
        .gql_ok_as(
            office,
            "mutation($u: ID!, $r: [SubUnitInput!]!) { submitBreakdown(unitId: $u, year: 2020, rows: $r) { id } }",
            json!({ "u": app.unit_id(holder).await, "r": rows }),
        )
        .await;
    answer["submitBreakdown"]["id"].clone()
}
