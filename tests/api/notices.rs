//! Issue 10 item 17: the holder's contact is told when the office confirms, moves or cancels
//! one of its visits, through the outbox, against a real SMTP server on loopback.
use bloodplan::db::entities::outbox;
use bloodplan::domain::auth::Role;
use bloodplan::services::outbox as outbox_service;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::helpers::{spawn_app_with, AppOptions, TestApp};
use crate::smtp_server::TestSmtpServer;

const SET_CONTACT: &str = "mutation($u: ID!, $e: String!) { updateUnitContact(unitId: $u, input: { name: \"张老师\", phone: \"13907151234\", email: $e }) { id } }";
const CONFIRM: &str = "mutation($id: ID!) { confirmVisit(id: $id) { id } }";
const CANCEL: &str = "mutation($id: ID!, $r: String!) { cancelVisit(id: $id, reason: $r) { id } }";
const MOVE: &str = "mutation($id: ID!) { rescheduleVisit(id: $id, input: { date: \"2020-03-10\", session: AFTERNOON }) { id } }";
const HBUST: &str = "湖北科技学院";
const TO: &str = "liaison@hbust.example.edu.cn";

async fn send(app: &TestApp) -> outbox_service::SendReport {
    let s = &app.state;
    outbox_service::run_once(&s.db, &app.clock, s.mailer.as_ref().unwrap(), &s.outbox, "test").await.unwrap()
}

async fn notices(app: &TestApp) -> Vec<outbox::Model> {
    outbox::Entity::find().filter(outbox::Column::Kind.eq("NOTICE")).all(&app.db).await.unwrap()
}

#[tokio::test]
async fn the_holder_hears_of_each_confirm_move_and_cancel_by_the_office_and_of_nothing_a_liaison_does() {
    let smtp = TestSmtpServer::start();
    let app = spawn_app_with(AppOptions { smtp_port: Some(smtp.port), ..AppOptions::default() }).await;
    let office = app.user_token("office", Role::Office, None).await;
    let liaison = app.user_token("hbust", Role::Liaison, Some(HBUST)).await;
    let hbust = app.unit_id(HBUST).await;
    app.gql_ok_as(&office, SET_CONTACT, json!({ "u": hbust, "e": TO })).await;
    let vehicle = app.create_vehicle(&office, "鄂L采血01").await;

    // A liaison's booking, confirmed by the office.
    let visit = app.book(&liaison, &hbust, &vehicle, "2020-03-02", "MORNING", 25).await;
    assert!(notices(&app).await.is_empty(), "a liaison's own booking is no notice to the holder");
    app.gql_ok_as(&office, CONFIRM, json!({ "id": visit })).await;
    assert_eq!(notices(&app).await.len(), 1, "queued in the confirming transaction");
    assert_eq!(send(&app).await.sent, 1);
    let m = &smtp.messages()[0];
    assert_eq!(m.to, vec![TO.to_string()]);
    assert_eq!(m.subject, "【咸宁市献血办】湖北科技学院：2020年3月2日（星期一）上午的采血活动已确认");
    for body in [&m.text, &m.html] {
        assert!(body.contains("张老师：您好！"), "{body}");
        assert!(body.contains("2020年3月2日（星期一）上午，采血车鄂L采血01，预计献血 25 人次"), "{body}");
    }

    // The office moves it: old and new arrangement.
    app.gql_ok_as(&office, MOVE, json!({ "id": visit })).await;
    assert_eq!(send(&app).await.sent, 1);
    let m = &smtp.messages()[1];
    assert_eq!(m.subject, "【咸宁市献血办】湖北科技学院：采血活动已改至2020年3月10日（星期二）下午");
    assert!(
        m.text.contains("原安排：2020年3月2日（星期一）上午，采血车鄂L采血01，预计献血 25 人次。"),
        "{}",
        m.text
    );
    assert!(
        m.text.contains("新安排：2020年3月10日（星期二）下午，采血车鄂L采血01，预计献血 25 人次。"),
        "{}",
        m.text
    );

    // The office cancels it, with its reason.
    app.gql_ok_as(&office, CANCEL, json!({ "id": visit, "r": "车辆检修" })).await;
    assert_eq!(send(&app).await.sent, 1);
    let m = &smtp.messages()[2];
    assert_eq!(m.subject, "【咸宁市献血办】湖北科技学院：2020年3月10日（星期二）下午的采血活动已取消");
    assert!(m.text.contains("取消原因：车辆检修"), "{}", m.text);

    // What a liaison does to its own visits tells the holder nothing.
    let own = app.book(&liaison, &hbust, &vehicle, "2020-03-03", "MORNING", 25).await;
    app.gql_ok_as(&liaison, CANCEL, json!({ "id": own, "r": "考试周" })).await;
    assert_eq!(notices(&app).await.len(), 3);
    assert_eq!(smtp.messages().len(), 3);
}

#[tokio::test]
async fn a_confirm_notice_for_a_visit_cancelled_before_it_went_out_is_never_sent() {
    let smtp = TestSmtpServer::start();
    let app = spawn_app_with(AppOptions { smtp_port: Some(smtp.port), ..AppOptions::default() }).await;
    let office = app.user_token("office", Role::Office, None).await;
    let hbust = app.unit_id(HBUST).await;
    app.gql_ok_as(&office, SET_CONTACT, json!({ "u": hbust, "e": TO })).await;
    let vehicle = app.create_vehicle(&office, "鄂L采血01").await;
    let visit = app.book(&office, &hbust, &vehicle, "2020-03-02", "MORNING", 25).await;
    app.gql_ok_as(&office, CONFIRM, json!({ "id": visit })).await;
    // Cancelled behind the service's back: only the worker's check before sending stops it.
    bloodplan::db::entities::visit::Entity::update_many()
        .col_expr(
            bloodplan::db::entities::visit::Column::Status,
            sea_orm::sea_query::Expr::value("CANCELLED"),
        )
        .exec(&app.db)
        .await
        .unwrap();
    let report = send(&app).await;
    assert_eq!((report.sent, report.cancelled), (0, 1));
    assert!(smtp.messages().is_empty());
    // Cancelled through the service: the pending confirm notice is withdrawn, the cancel sent.
    let second = app.book(&office, &hbust, &vehicle, "2020-03-03", "MORNING", 25).await;
    app.gql_ok_as(&office, CONFIRM, json!({ "id": second })).await;
    app.gql_ok_as(&office, CANCEL, json!({ "id": second, "r": "车辆检修" })).await;
    let report = send(&app).await;
    assert_eq!((report.sent, report.cancelled), (1, 0));
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0].subject.ends_with("2020年3月3日（星期二）上午的采血活动已取消"),
        "{}",
        messages[0].subject
    );
}
