//! Reminders: the term calendar, the scheduler, the outbox and its worker, against a real
//! SMTP server on loopback and the manual clock.
use std::collections::HashMap;

use bloodplan::db::entities::outbox;
use bloodplan::domain::auth::Role;
use bloodplan::email::Mailer;
use bloodplan::services::outbox::{self as outbox_service, SendReport};
use bloodplan::services::reminders;
use chrono::{DateTime, FixedOffset, TimeDelta, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::helpers::{bloodplan_cli, spawn_app_with, test_message, AppOptions, TestApp};
use crate::smtp_server::{free_port, TestSmtpServer};

const SET_TERMS: &str = r#"mutation { setTermCalendar(input: { year: 2020, springStart: "2020-02-24", springEnd: "2020-07-10", autumnStart: "2020-09-01", autumnEnd: "2021-01-15" }) { year } }"#;
const SET_CONTACT: &str = "mutation($u: ID!, $e: String!) { updateUnitContact(unitId: $u, input: { name: \"张老师\", phone: \"13907151234\", email: $e }) { id } }";
const DIGEST_OFF: &str =
    "mutation { setReminderRule(kind: DIGEST, offsets: [1], enabled: false) { enabled } }";
const HBUST: &str = "湖北科技学院";

fn at(text: &str) -> DateTime<Utc> {
    text.parse::<DateTime<FixedOffset>>().unwrap().into()
}

async fn app_sending_to(port: u16) -> TestApp {
    spawn_app_with(AppOptions { smtp_port: Some(port), ..AppOptions::default() }).await
}

/// The office's token, with the 2020 terms set and a contact for each named holder.
async fn office_with_terms(app: &TestApp, contacts: &[(&str, &str)]) -> String {
    let office = app.user_token("office", Role::Office, None).await;
    app.gql_ok_as(&office, SET_TERMS, json!({})).await;
    // 2020-02-03 is a Monday, the digest's day: most tests look at the liaisons' mail only.
    app.gql_ok_as(&office, DIGEST_OFF, json!({})).await;
    for (unit, email) in contacts {
        let id = app.unit_id(unit).await;
        app.gql_ok_as(&office, SET_CONTACT, json!({ "u": id, "e": email })).await;
    }
    office
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

async fn outbox_rows(app: &TestApp) -> Vec<outbox::Model> {
    outbox::Entity::find().all(&app.db).await.unwrap()
}

#[tokio::test]
async fn on_february_3_only_the_university_without_a_confirmed_visit_gets_one_term_reminder_naming_its_remaining_2800(
) {
    let smtp = TestSmtpServer::start();
    let app = app_sending_to(smtp.port).await;
    let office = office_with_terms(
        &app,
        &[
            (HBUST, "liaison@hbust.example.edu.cn"),
            ("咸宁职业技术学院", "liaison@xnvc.example.edu.cn"),
            ("湖北科技学院附属第二医院", "liaison@hospital.example.cn"),
        ],
    )
    .await;
    // 咸宁职业技术学院 already has a confirmed visit in the spring term.
    let vehicle = app.create_vehicle(&office, "鄂L采血01").await;
    let xnvc = app.unit_id("咸宁职业技术学院").await;
    let visit = app.book(&office, &xnvc, &vehicle, "2020-03-03", "MORNING", 25).await;
    app.gql_ok_as(&office, "mutation($id: ID!) { confirmVisit(id: $id) { id } }", json!({ "id": visit }))
        .await;
    let rule = app.gql_ok_as(&office, "mutation { setReminderRule(kind: DIGEST, offsets: [1], enabled: true) { kind offsets enabled } }", json!({})).await;
    assert_eq!(rule["setReminderRule"], json!({ "kind": "DIGEST", "offsets": [1], "enabled": true }));

    app.clock.set(at("2020-02-02T09:00:00+08:00"));
    let (queued, report) = run_once(&app).await;
    assert_eq!(queued, 0, "nothing is due 22 days before the term");
    assert_eq!(report.sent, 1, "only the notice of the office's confirmation to 咸宁职业技术学院");
    let notice = smtp.messages().remove(0);
    assert_eq!(notice.to, vec!["liaison@xnvc.example.edu.cn".to_string()]);
    assert!(notice.subject.ends_with("2020年3月3日（星期二）上午的采血活动已确认"), "{}", notice.subject);

    app.clock.set(at("2020-02-03T09:00:00+08:00"));
    let (queued, report) = run_once(&app).await;
    assert_eq!((queued, report.sent), (2, 2), "one term reminder and, on a Monday, the office's digest");
    let (to_office, messages): (Vec<_>, Vec<_>) = smtp.messages()[1..]
        .iter()
        .cloned()
        .partition(|m| m.to == vec!["xianning-blood@example.org".to_string()]);
    assert_eq!(to_office.len(), 1);
    assert_eq!(
        to_office[0].subject,
        "【咸宁市献血办】2020年献血计划进度周报（截至2020年2月3日）：全部单位按进度推进",
        "34 of 366 days gone: nobody trails by more than the 10-point margin"
    );
    assert_eq!(messages.len(), 1, "only 湖北科技学院 gets a term reminder");
    let m = &messages[0];
    assert_eq!(m.to, vec!["liaison@hbust.example.edu.cn".to_string()]);
    assert_eq!(m.subject, "【咸宁市献血办】湖北科技学院：2020年春季学期开学前请预约采血车");
    for body in [&m.text, &m.html] {
        assert!(body.contains("湖北科技学院") && body.contains("2800"), "{body}");
        assert!(body.contains("0715-8888888"), "the office's phone from the configuration: {body}");
    }
    assert!(m.text.contains("鄂L采血01"), "free sessions around the term start are listed: {}", m.text);
    let booking_link = format!("{}/book", app.address);
    assert!(m.text.contains(&booking_link), "the email links the booking page: {}", m.text);
    let page = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let answer = page.get(&booking_link).send().await.unwrap();
    assert_eq!(
        answer.headers()["location"],
        "/login?next=%2Fbook",
        "the link opens the booking page after login"
    );

    // Later the same day, the scheduler and the worker find nothing new.
    app.clock.advance(TimeDelta::hours(3));
    assert_eq!(run_once(&app).await, (0, SendReport::default()));
    assert_eq!(smtp.messages().len(), 3);
    assert_eq!(app.count("outbox").await, 3);
}

#[tokio::test]
async fn a_message_queued_while_smtp_is_down_is_delivered_exactly_once_when_it_comes_back() {
    let port = free_port();
    let app = app_sending_to(port).await;
    office_with_terms(&app, &[(HBUST, "liaison@hbust.example.edu.cn")]).await;
    app.clock.set(at("2020-02-03T09:00:00+08:00"));

    let (queued, report) = run_once(&app).await;
    assert_eq!((queued, report), (1, SendReport { retrying: 1, ..Default::default() }));
    let row = &outbox_rows(&app).await[0];
    assert_eq!((row.status.code(), row.attempts), ("PENDING", 1));
    assert!(row.last_error.is_some());
    assert_eq!(
        row.next_attempt_at,
        app.clock.now() + TimeDelta::seconds(60),
        "the first retry waits the base backoff"
    );

    let smtp = TestSmtpServer::start_on(port);
    assert_eq!(run_once(&app).await.1, SendReport::default(), "not before its backoff is over");
    app.clock.advance(TimeDelta::seconds(61));
    assert_eq!(run_once(&app).await.1, SendReport { sent: 1, ..Default::default() });
    app.clock.advance(TimeDelta::hours(1));
    assert_eq!(run_once(&app).await.1, SendReport::default());
    assert_eq!(smtp.messages().len(), 1);
    let row = &outbox_rows(&app).await[0];
    assert_eq!((row.status.code(), row.attempts, row.last_error.as_deref()), ("SENT", 2, None));
}

#[tokio::test]
async fn a_550_fails_the_message_after_the_configured_attempts_and_the_office_can_queue_it_again() {
    let smtp = TestSmtpServer::start_rejecting(550);
    let app = spawn_app_with(AppOptions {
        smtp_port: Some(smtp.port),
        configure: |c| c.outbox.permanent_attempts = 2,
        ..AppOptions::default()
    })
    .await;
    let _office = office_with_terms(&app, &[(HBUST, "liaison@hbust.example.edu.cn")]).await;
    app.clock.set(at("2020-02-03T09:00:00+08:00"));

    assert_eq!(run_once(&app).await.1, SendReport { retrying: 1, ..Default::default() });
    app.clock.advance(TimeDelta::minutes(2));
    assert_eq!(run_once(&app).await.1, SendReport { failed: 1, ..Default::default() });
    app.clock.advance(TimeDelta::days(1));
    assert_eq!(run_once(&app).await.1, SendReport::default(), "a failed message is not retried by itself");
    let office = app.login("office").await;

    let page = app
        .gql_ok_as(&office, "{ outbox(first: 50, status: FAILED) { totalCount nodes { id recipient subject status attempts lastError } } }", json!({}))
        .await;
    let node = &page["outbox"]["nodes"][0];
    assert_eq!(page["outbox"]["totalCount"], 1);
    assert_eq!((node["status"].as_str(), node["attempts"].as_i64()), (Some("FAILED"), Some(2)));
    assert_eq!(node["recipient"], "liaison@hbust.example.edu.cn");
    assert!(node["lastError"].as_str().unwrap().contains("550"), "{node}");

    let resent = app
        .gql_ok_as(
            &office,
            "mutation($id: ID!) { resendMessage(id: $id) { id status attempts } }",
            json!({ "id": node["id"] }),
        )
        .await;
    assert_eq!(resent["resendMessage"]["status"], "PENDING");
    assert_eq!(resent["resendMessage"]["attempts"], 0);
    let again = app
        .gql_as(&office, "mutation($id: ID!) { resendMessage(id: $id) { id } }", json!({ "id": node["id"] }))
        .await;
    assert_eq!(crate::helpers::error_code(&again), Some("NOT_FAILED"));
}

#[tokio::test]
async fn two_workers_on_one_database_deliver_each_of_200_messages_exactly_once() {
    let smtp = TestSmtpServer::start();
    let app = app_sending_to(smtp.port).await;
    let txn = bloodplan::db::begin_write(&app.db).await.unwrap();
    for i in 0..200 {
        assert!(outbox_service::enqueue(&txn, &app.clock, &test_message("load", i)).await.unwrap());
    }
    // The same keys again insert nothing.
    assert!(!outbox_service::enqueue(&txn, &app.clock, &test_message("load", 7)).await.unwrap());
    txn.commit().await.unwrap();

    let mut workers = Vec::new();
    for name in ["worker-a", "worker-b"] {
        // Each worker has its own connection pool, as a second `serve` process would.
        let db = bloodplan::db::connect(&app.database.url).await.unwrap();
        let (clock, settings) = (app.clock.clone(), app.state.outbox.clone());
        let mailer = Mailer::new(
            &crate::helpers::test_email_config(smtp.port).smtp,
            "市献血办 <xianning-blood@example.org>".parse().unwrap(),
        )
        .unwrap();
        workers.push(tokio::spawn(async move {
            outbox_service::run_once(&db, &clock, &mailer, &settings, name).await.unwrap()
        }));
    }
    let mut total = 0;
    for w in workers {
        total += w.await.unwrap().sent;
    }
    assert_eq!(total, 200);
    let mut seen: HashMap<String, usize> = HashMap::new();
    for m in smtp.messages() {
        *seen.entry(m.subject).or_default() += 1;
    }
    assert_eq!(seen.len(), 200);
    assert!(seen.values().all(|n| *n == 1), "a message went out twice: {seen:?}");
    let sent = outbox::Entity::find().filter(outbox::Column::Status.eq("SENT")).all(&app.db).await.unwrap();
    assert_eq!(sent.len(), 200);
}

#[tokio::test]
async fn a_claim_left_by_a_crashed_worker_is_sent_once_its_lease_is_over() {
    let smtp = TestSmtpServer::start();
    let app = app_sending_to(smtp.port).await;
    let txn = bloodplan::db::begin_write(&app.db).await.unwrap();
    outbox_service::enqueue(&txn, &app.clock, &test_message("load", 1)).await.unwrap();
    txn.commit().await.unwrap();
    // A worker claims and dies before sending.
    assert_eq!(outbox_service::claim(&app.db, &app.clock, "crashed", 10).await.unwrap().len(), 1);
    let s = &app.state;
    let mailer = s.mailer.as_ref().unwrap();
    assert_eq!(
        outbox_service::run_once(&s.db, &app.clock, mailer, &s.outbox, "b").await.unwrap(),
        SendReport::default()
    );
    app.clock.advance(TimeDelta::minutes(6));
    assert_eq!(outbox_service::run_once(&s.db, &app.clock, mailer, &s.outbox, "b").await.unwrap().sent, 1);
    assert_eq!(smtp.messages().len(), 1);
}

#[tokio::test]
async fn a_cancelled_or_moved_visit_never_gets_the_old_visits_reminder() {
    let smtp = TestSmtpServer::start();
    let app = app_sending_to(smtp.port).await;
    let office = office_with_terms(&app, &[(HBUST, "liaison@hbust.example.edu.cn")]).await;
    let vehicle = app.create_vehicle(&office, "鄂L采血01").await;
    let hbust = app.unit_id(HBUST).await;
    let confirm = "mutation($id: ID!) { confirmVisit(id: $id) { id } }";
    let cancelled = app.book(&office, &hbust, &vehicle, "2020-03-02", "MORNING", 25).await;
    let moved = app.book(&office, &hbust, &vehicle, "2020-03-03", "MORNING", 25).await;
    let kept = app.book(&office, &hbust, &vehicle, "2020-03-04", "MORNING", 25).await;
    for id in [&cancelled, &moved, &kept] {
        app.gql_ok_as(&office, confirm, json!({ "id": id })).await;
    }

    // Cancelled before its reminder is due (2020-02-28): nothing is ever queued for it.
    app.gql_ok_as(
        &office,
        "mutation($id: ID!) { cancelVisit(id: $id, reason: \"改期\") { id } }",
        json!({ "id": cancelled }),
    )
    .await;
    app.clock.set(at("2020-02-28T09:00:00+08:00"));
    let (queued, report) = run_once(&app).await;
    // Only the office's notices: two confirmations and the cancellation (the cancelled
    // visit's confirmation, still queued, went with it).
    assert_eq!((queued, report.sent), (0, 3));
    let notices = smtp.messages().len();

    // Queued on 02-29 for 03-03, then moved to 03-10 before the worker sends it.
    app.clock.set(at("2020-02-29T09:00:00+08:00"));
    let s = &app.state;
    assert_eq!(reminders::enqueue_due(&s.db, &app.clock, &s.reminders).await.unwrap(), 1);
    let office = app.login("office").await;
    app.gql_ok_as(
        &office,
        "mutation($id: ID!) { rescheduleVisit(id: $id, input: { date: \"2020-03-10\", session: MORNING }) { id } }",
        json!({ "id": moved }),
    )
    .await;
    // And 03-04's reminder, queued 03-01, is withdrawn behind the service's back: the
    // worker's own check before sending still stops it.
    app.clock.set(at("2020-03-01T09:00:00+08:00"));
    assert_eq!(reminders::enqueue_due(&s.db, &app.clock, &s.reminders).await.unwrap(), 1);
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, sea_orm::sea_query::Expr::value("PENDING"))
        .filter(outbox::Column::Kind.eq("VISIT"))
        .exec(&app.db)
        .await
        .unwrap();
    bloodplan::db::entities::visit::Entity::update_many()
        .col_expr(
            bloodplan::db::entities::visit::Column::Status,
            sea_orm::sea_query::Expr::value("CANCELLED"),
        )
        .filter(bloodplan::db::entities::visit::Column::Id.eq(kept.parse::<i32>().unwrap()))
        .exec(&app.db)
        .await
        .unwrap();
    let report = outbox_service::run_once(&s.db, &app.clock, s.mailer.as_ref().unwrap(), &s.outbox, "w")
        .await
        .unwrap();
    assert_eq!((report.sent, report.cancelled), (1, 2), "only the notice of the move went out");
    let messages = smtp.messages();
    assert_eq!(messages.len(), notices + 1);
    assert!(messages.iter().all(|m| !m.subject.contains("请做好准备")), "no reminder went out");

    // The moved visit gets the reminder of its new date, on 03-07.
    app.clock.set(at("2020-03-07T09:00:00+08:00"));
    let (queued, report) = run_once(&app).await;
    assert_eq!((queued, report.sent), (1, 1));
    let messages = smtp.messages();
    assert_eq!(messages.len(), notices + 2);
    let reminder = &messages[notices + 1];
    assert!(
        reminder.subject.contains("3月10日") && reminder.subject.contains("请做好准备"),
        "{}",
        reminder.subject
    );
    assert!(reminder.text.contains("预计献血 25 人次"), "expected donors: {}", reminder.text);
    let manage = format!("{}/liaison", app.address);
    assert!(reminder.text.contains(&manage), "the visit email links the liaison's page: {}", reminder.text);
}

#[tokio::test]
async fn remind_preview_prints_what_is_due_on_a_date_and_writes_nothing() {
    let app = app_sending_to(free_port()).await;
    office_with_terms(&app, &[(HBUST, "liaison@hbust.example.edu.cn")]).await;
    let before = app.count("outbox").await;
    let output = bloodplan_cli(&app.database, &["remind", "preview", "--date", "2020-02-03"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("1 封") && stdout.contains("liaison@hbust.example.edu.cn"), "{stdout}");
    assert!(stdout.contains("湖北科技学院"), "{stdout}");
    assert_eq!((before, app.count("outbox").await), (0, 0));
}

#[tokio::test]
async fn term_dates_out_of_order_or_for_a_non_university_are_refused() {
    let app = spawn_app_with(AppOptions::default()).await;
    let office = app.user_token("office", Role::Office, None).await;
    let bad = app
        .gql_as(&office, r#"mutation { setTermCalendar(input: { year: 2020, springStart: "2020-07-24", springEnd: "2020-07-10", autumnStart: "2020-09-01", autumnEnd: "2021-01-15" }) { year } }"#, json!({}))
        .await;
    assert_eq!(crate::helpers::error_code(&bad), Some("BAD_INPUT"));
    let hospital = app.unit_id("湖北科技学院附属第二医院").await;
    let refused = app
        .gql_as(
            &office,
            r#"mutation($u: ID!) { setTermCalendar(input: { year: 2020, unitId: $u, springStart: "2020-02-24", springEnd: "2020-07-10", autumnStart: "2020-09-01", autumnEnd: "2021-01-15" }) { year } }"#,
            json!({ "u": hospital }),
        )
        .await;
    assert_eq!(crate::helpers::error_code(&refused), Some("NOT_A_UNIVERSITY"));
    // An override takes the place of the default for that university only.
    let hbust = app.unit_id(HBUST).await;
    app.gql_ok_as(&office, SET_TERMS, json!({})).await;
    app.gql_ok_as(
        &office,
        r#"mutation($u: ID!) { setTermCalendar(input: { year: 2020, unitId: $u, springStart: "2020-03-02", springEnd: "2020-07-10", autumnStart: "2020-09-07", autumnEnd: "2021-01-15" }) { year } }"#,
        json!({ "u": hbust }),
    )
    .await;
    app.gql_ok_as(&office, SET_TERMS, json!({})).await;
    let data = app.gql_ok_as(&office, "{ termCalendar(year: 2020) { unitId springStart } }", json!({})).await;
    assert_eq!(
        data["termCalendar"],
        json!([{ "unitId": null, "springStart": "2020-02-24" }, { "unitId": hbust, "springStart": "2020-03-02" }])
    );
}

#[tokio::test]
async fn the_worker_inside_serve_sends_a_queued_message_without_being_asked() {
    let smtp = TestSmtpServer::start();
    let app = spawn_app_with(AppOptions {
        smtp_port: Some(smtp.port),
        configure: |c| {
            c.outbox.run_worker = true;
            c.outbox.poll_interval = std::time::Duration::from_millis(200);
        },
        ..AppOptions::default()
    })
    .await;
    let txn = bloodplan::db::begin_write(&app.db).await.unwrap();
    outbox_service::enqueue(&txn, &app.clock, &test_message("load", 1)).await.unwrap();
    txn.commit().await.unwrap();
    // Real time here is only the worker's poll interval, a fraction of a second.
    // The row is marked SENT just after the server accepted the message: wait for both.
    for _ in 0..50 {
        if !smtp.messages().is_empty() && outbox_rows(&app).await[0].status.code() == "SENT" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(smtp.messages().len(), 1);
    assert_eq!(outbox_rows(&app).await[0].status.code(), "SENT");
}

/// `bloodplan remind run-once` at `now`, with or without an SMTP server.
fn remind_cli(app: &TestApp, now: &str, smtp_port: Option<u16>) -> (bool, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_bloodplan"));
    command
        .args(["remind", "run-once"])
        .env("DATABASE_URL", &app.database.url)
        .env("BLOODPLAN_NOW", now)
        .env("BLOODPLAN_SEEDS", crate::helpers::seeds_dir())
        .env("OFFICE_CONTACT_PHONE", "0715-8123456")
        .env("RUST_LOG", "warn")
        .env_remove("SMTP_URL");
    if let Some(port) = smtp_port {
        command
            .env("SMTP_URL", format!("smtp://127.0.0.1:{port}"))
            .env("MAIL_FROM", "咸宁市献血办 <office@xianning-blood.example.org>");
    }
    let out = command.output().expect("bloodplan runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[tokio::test]
async fn remind_run_once_on_the_command_line_queues_without_smtp_and_sends_once_with_it() {
    let smtp = TestSmtpServer::start();
    let app = crate::helpers::spawn_app().await;
    office_with_terms(&app, &[(HBUST, "liaison@hbust.example.edu.cn")]).await;

    let (ok, out) = remind_cli(&app, "2020-02-03T09:00:00+08:00", None);
    assert!(ok, "{out}");
    assert!(out.contains("新加入发件箱：1 封") && out.contains("未设置 SMTP_URL"), "{out}");
    let rows = outbox_rows(&app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status.code(), "PENDING", "without SMTP the reminder waits in the outbox");
    assert!(smtp.messages().is_empty());

    let (ok, out) = remind_cli(&app, "2020-02-03T09:05:00+08:00", Some(smtp.port));
    assert!(ok, "{out}");
    assert!(out.contains("新加入发件箱：0 封") && out.contains("已发送 1"), "{out}");
    let received = smtp.messages();
    assert_eq!(received.len(), 1);
    assert!(received[0].subject.contains(HBUST), "{}", received[0].subject);
    assert!(received[0].text.contains("2800"));

    let (ok, out) = remind_cli(&app, "2020-02-03T09:10:00+08:00", Some(smtp.port));
    assert!(ok && out.contains("已发送 0"), "{out}");
    assert_eq!(smtp.messages().len(), 1, "a second run sends nothing new");
}

/// Issue 10, item 17: the office hears of liaisons' bookings, moves and withdrawals in one
/// email a working day, never of its own changes, and each action once.
#[tokio::test]
async fn the_office_gets_one_digest_a_working_day_of_what_liaisons_booked_moved_and_withdrew() {
    let smtp = TestSmtpServer::start();
    let app = app_sending_to(smtp.port).await;
    // Friday 28 February: two bookings by the liaison and one by the office.
    app.clock.set(at("2020-02-28T10:05:00+08:00"));
    let office = office_with_terms(&app, &[]).await;
    let vehicle = app.create_vehicle(&office, "鄂L采血01").await;
    let hbust = app.unit_id(HBUST).await;
    let liaison = app.user_token("hbust-liaison", Role::Liaison, Some(HBUST)).await;
    let chibi = app.unit_id("赤壁").await;
    let kept = app.book(&liaison, &hbust, &vehicle, "2020-03-10", "MORNING", 25).await;
    let withdrawn = app.book(&liaison, &hbust, &vehicle, "2020-03-11", "MORNING", 30).await;
    app.book(&office, &chibi, &vehicle, "2020-03-12", "MORNING", 20).await;
    let (queued, _) = run_once(&app).await;
    assert_eq!(queued, 0, "Friday's digest covers Thursday, when nothing happened");

    // Saturday: the liaison moves one and withdraws the other.
    app.clock.set(at("2020-02-29T16:30:00+08:00"));
    let liaison = app.login("hbust-liaison").await;
    let moved = "mutation($id: ID!) { rescheduleVisit(id: $id, input: { date: \"2020-03-17\", session: AFTERNOON, expectedDonors: 28 }) { id } }";
    app.gql_ok_as(&liaison, moved, json!({ "id": kept })).await;
    let cancel = "mutation($id: ID!) { cancelVisit(id: $id, reason: \"考试周\") { id } }";
    app.gql_ok_as(&liaison, cancel, json!({ "id": withdrawn })).await;
    assert_eq!(run_once(&app).await.0, 0, "nothing goes out on a Saturday");

    // Monday 2 March: one email covers Friday to Sunday.
    app.clock.set(at("2020-03-02T08:00:00+08:00"));
    let (queued, report) = run_once(&app).await;
    assert_eq!((queued, report.sent), (1, 1));
    let m = smtp.messages().pop().unwrap();
    assert_eq!(m.to, vec!["xianning-blood@example.org".to_string()]);
    assert_eq!(
        m.subject,
        "【咸宁市献血办】联络员预约动态（2020年2月28日至2020年3月1日）：新预约 2 个，改期 1 个，撤回 1 个"
    );
    let lines: Vec<&str> = m.text.lines().filter(|l| l.contains("湖北科技学院")).collect();
    assert_eq!(lines.len(), 4, "one line per action, oldest first: {}", m.text);
    for (line, (at, action, status)) in lines.iter().zip([
        ("2月28日 10:05", "新预约", "待确认"),
        ("2月28日 10:05", "新预约", "已取消"),
        ("2月29日 16:30", "改期", "待确认"),
        ("2月29日 16:30", "撤回", "已取消"),
    ]) {
        assert!(line.starts_with(&format!("{at}  {action}")), "{line}");
        assert!(line.contains(status) && line.ends_with("hbust-liaison"), "{line}");
    }
    assert!(lines[2].contains("2020年3月17日（星期二）下午") && lines[2].contains("28"), "{}", lines[2]);
    assert!(!m.text.contains("赤壁"), "the office's own booking is not news to it: {}", m.text);
    assert!(m.text.contains(&format!("{}/office/calendar", app.address)), "{}", m.text);

    // Once only; and a day without liaison activity sends nothing.
    assert_eq!(run_once(&app).await.0, 0);
    app.clock.set(at("2020-03-03T08:00:00+08:00"));
    assert_eq!(run_once(&app).await.0, 0, "Monday had no liaison activity");

    // The office can turn it off like any reminder rule.
    let (office, liaison) = (app.login("office").await, app.login("hbust-liaison").await);
    let off = "mutation { setReminderRule(kind: ACTIVITY, offsets: [1, 2, 3, 4, 5], enabled: false) { kind enabled } }";
    let rule = app.gql_ok_as(&office, off, json!({})).await;
    assert_eq!(rule["setReminderRule"], json!({ "kind": "ACTIVITY", "enabled": false }));
    app.book(&liaison, &hbust, &vehicle, "2020-03-19", "MORNING", 25).await;
    app.clock.set(at("2020-03-04T08:00:00+08:00"));
    assert_eq!(run_once(&app).await.0, 0, "the rule is off");
}

/// The web pages call these services without GraphQL's guards: the services refuse a
/// liaison or the station themselves, and write nothing.
#[tokio::test]
async fn the_office_only_services_refuse_other_roles_without_the_api_in_front() {
    use bloodplan::domain::auth::Actor;
    use bloodplan::domain::reminders::{ReminderKind, TermDates};
    use bloodplan::services::accounts::{self, NewUser};
    use bloodplan::services::audit::Performer;
    use bloodplan::services::ServiceError;

    let app = spawn_app_with(AppOptions::default()).await;
    let hbust: i32 = app.unit_id(HBUST).await.parse().unwrap();
    let liaison = Actor {
        user_id: 1.into(),
        username: "hbust".into(),
        role: Role::Liaison,
        unit_id: Some(hbust.into()),
    };
    let station = Actor { role: Role::Station, unit_id: None, ..liaison.clone() };
    let d = |m, day| chrono::NaiveDate::from_ymd_opt(2020, m, day).unwrap();
    let dates = TermDates {
        spring_start: d(2, 24),
        spring_end: d(7, 10),
        autumn_start: d(9, 1),
        autumn_end: d(12, 31),
    };
    let audit = || bloodplan::db::entities::audit_log::Entity::find().count(&app.db);
    let records_before = audit().await.unwrap();
    for actor in [&liaison, &station] {
        let terms = reminders::set_term_calendar(&app.db, &app.clock, actor, 2020, None, dates).await;
        assert!(matches!(terms, Err(ServiceError::Forbidden)), "{terms:?}");
        let rule = reminders::set_rule(&app.db, &app.clock, actor, ReminderKind::Digest, &[1], false).await;
        assert!(matches!(rule, Err(ServiceError::Forbidden)), "{rule:?}");
        let resend = outbox_service::resend(&app.db, &app.clock, actor, 1).await;
        assert!(matches!(resend, Err(ServiceError::Forbidden)), "{resend:?}");
        let new = NewUser {
            username: "made".into(),
            password: "a-long-passphrase".into(),
            role: Role::Office,
            unit_id: None,
        };
        let user = accounts::create_user(&app.db, &app.clock, Performer::User(actor), new).await;
        assert!(matches!(user, Err(ServiceError::Forbidden)), "{user:?}");
    }
    assert_eq!(audit().await.unwrap(), records_before, "nothing was written");
}

/// The term reminders read every holder's figures in one fulfilment and check every holder's
/// visits in one query: for three universities as for one (each still gets its own figure).
#[tokio::test]
async fn the_term_reminders_of_three_universities_read_figures_and_visits_once_as_for_one() {
    let app = crate::helpers::spawn_app().await;
    let office = office_with_terms(&app, &[(HBUST, "liaison@hbust.example.edu.cn")]).await;
    app.create_vehicle(&office, "鄂L采血01").await;
    // Donors of 咸宁职业技术学院 gave 5 at the central station in January.
    let station = app.user_token("station", Role::Station, None).await;
    let xnvc = app.unit_id("咸宁职业技术学院").await;
    app.gql_ok_as(
        &station,
        "mutation($i: RecordCollectionInput!) { recordCollection(input: $i) { id } }",
        json!({ "i": { "unitId": xnvc, "site": "CENTRAL_STATION", "date": "2020-01-20", "bags200": 5 } }),
    )
    .await;
    let monday = chrono::NaiveDate::from_ymd_opt(2020, 2, 3).unwrap();
    let terms = |planned: Vec<bloodplan::services::outbox::NewMessage>| {
        let mut seen: Vec<(String, String)> = planned
            .into_iter()
            .filter(|m| m.kind == bloodplan::domain::reminders::MessageKind::Term)
            .map(|m| {
                let figure = m.email.text.split("尚有 ").nth(1).and_then(|t| t.split(' ').next());
                (m.recipient, figure.unwrap_or_default().to_owned())
            })
            .collect();
        seen.sort();
        seen
    };
    let collection_reads = |ran: &[String]| ran.iter().filter(|sql| sql.contains("\"collection\"")).count();
    let visit_checks = |ran: &[String]| {
        ran.iter().filter(|sql| sql.contains("DISTINCT") && sql.contains("\"visit\"")).count()
    };

    let plan = || reminders::plan_reminders(&app.db, &app.state.reminders, monday);
    let (one, ran_one) = app.statements_of(plan()).await;
    assert_eq!(terms(one.unwrap()), [("liaison@hbust.example.edu.cn".to_owned(), "2800".to_owned())]);
    for (unit, email) in [
        ("咸宁职业技术学院", "liaison@xnvc.example.edu.cn"),
        ("湖北商贸学院(咸宁校区)", "liaison@hbcu.example.edu.cn"),
    ] {
        let id = app.unit_id(unit).await;
        app.gql_ok_as(&office, SET_CONTACT, json!({ "u": id, "e": email })).await;
    }
    let (three, ran_three) = app.statements_of(plan()).await;
    assert_eq!(
        terms(three.unwrap()),
        [
            ("liaison@hbcu.example.edu.cn".to_owned(), "400".to_owned()),
            ("liaison@hbust.example.edu.cn".to_owned(), "2800".to_owned()),
            ("liaison@xnvc.example.edu.cn".to_owned(), "1995".to_owned()),
        ]
    );
    assert_eq!((collection_reads(&ran_one), collection_reads(&ran_three)), (1, 1), "{ran_three:#?}");
    assert_eq!((visit_checks(&ran_one), visit_checks(&ran_three)), (1, 1), "{ran_three:#?}");
}
