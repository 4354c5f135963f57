//! Columns that hold a domain enum: the database refuses any other text, and a row that holds
//! one anyway (written past the check, as a hand-made fix might) is a bug to look at — the
//! client gets `INTERNAL`, the log names table, column and value, and nothing is guessed.
use bloodplan::domain::auth::Role;
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::{json, Value};

use crate::helpers::{error_code, logs, spawn_app, TestApp};

async fn sql(app: &TestApp, statement: &str) -> Result<u64, DbErr> {
    app.db.execute_unprepared(statement).await.map(|r| r.rows_affected())
}

/// Writes `value` into `table.column` of the row `id`, past the check that guards the column.
async fn corrupt(app: &TestApp, table: &str, column: &str, id: &str, value: &str) {
    let guard = if app.database.is_postgres() {
        format!("ALTER TABLE {table} DROP CONSTRAINT ck_{table}_{column}")
    } else {
        format!("DROP TRIGGER ck_{table}_{column}_update")
    };
    sql(app, &guard).await.expect("the check exists and can be dropped");
    let update = format!("UPDATE {table} SET {column} = '{value}' WHERE id = {id}");
    assert_eq!(sql(app, &update).await.expect("the write passes without its check"), 1);
}

/// The answer is `INTERNAL`, and one log line names where the bad value is and what it is.
fn assert_unreadable(answer: &Value, table_column: &str, value: &str) {
    assert_eq!(error_code(answer), Some("INTERNAL"), "{answer:#}");
    assert!(
        answer["data"].is_null()
            || answer["data"].as_object().is_some_and(|d| d.values().all(Value::is_null))
    );
    let lines = logs::containing(value);
    assert!(
        lines.iter().any(|l| l.contains(table_column) && l.contains("ERROR")),
        "no error line names {table_column} and {value}: {lines:#?}"
    );
}

#[tokio::test]
async fn a_visit_with_an_unknown_stored_status_is_an_internal_error_not_a_requested_visit() {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let station = app.user_token("station", Role::Station, None).await;
    let unit = app.unit_id("湖北科技学院").await;
    let vehicle = app.create_vehicle(&station, "鄂L采血01").await;
    let visit = app.book(&office, &unit, &vehicle, "2020-03-02", "MORNING", 30).await;
    // Before, an unknown status read as REQUESTED and the visit could be confirmed again.
    corrupt(&app, "visit", "status", &visit, "DONE_7Q").await;

    let answer =
        app.gql_as(&office, "query($id: ID!) { visit(id: $id) { status } }", json!({ "id": visit })).await;
    assert_unreadable(&answer, "visit.status", "DONE_7Q");
    let confirm = app
        .gql_as(&office, "mutation($id: ID!) { confirmVisit(id: $id) { id } }", json!({ "id": visit }))
        .await;
    assert_eq!(error_code(&confirm), Some("INTERNAL"), "{confirm:#}");
    let status: Option<String> = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT status FROM visit WHERE id = {visit}"),
        ))
        .await
        .unwrap()
        .map(|row| row.try_get("", "status").unwrap());
    assert_eq!(status.as_deref(), Some("DONE_7Q"), "the failed write left the row as it was");
}

#[tokio::test]
async fn a_holder_with_an_unknown_stored_kind_is_an_internal_error_not_a_missing_holder() {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let unit = app.unit_id("湖北科技学院").await;
    // Before, the holder answered NOT_FOUND: as if it did not exist.
    corrupt(&app, "unit", "kind", &unit, "church_5K").await;

    let answer =
        app.gql_as(&office, "query($u: ID!) { unit(id: $u) { name kind } }", json!({ "u": unit })).await;
    assert_unreadable(&answer, "unit.kind", "church_5K");
}

#[tokio::test]
async fn a_reminder_rule_with_an_unknown_stored_kind_is_an_internal_error_not_a_missing_rule() {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let before = app.gql_ok_as(&office, "{ reminderRules { kind } }", json!({})).await;
    assert!(before["reminderRules"].as_array().unwrap().contains(&json!({ "kind": "TERM" })));
    let id = {
        let row = app
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                app.db.get_database_backend(),
                "SELECT id FROM reminder_rule WHERE kind = 'TERM'".to_owned(),
            ))
            .await
            .unwrap()
            .expect("the TERM rule");
        row.try_get::<i32>("", "id").unwrap().to_string()
    };
    // Before, the list silently left the rule out.
    corrupt(&app, "reminder_rule", "kind", &id, "SEMESTER_3W").await;

    let answer = app.gql_as(&office, "{ reminderRules { kind } }", json!({})).await;
    assert_unreadable(&answer, "reminder_rule.kind", "SEMESTER_3W");
}

/// Each statement writes a text that is not a code (`XX`, short enough for every column) into
/// one guarded column; every guard must refuse it by its name (so the refusal is the check's,
/// not a missing row's or a too-long value's).
#[tokio::test]
async fn the_database_refuses_a_text_that_is_not_a_code_in_every_guarded_column() {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let station = app.user_token("station", Role::Station, None).await;
    let unit = app.unit_id("湖北科技学院").await;
    let vehicle = app.create_vehicle(&station, "鄂L采血01").await;
    app.book(&office, &unit, &vehicle, "2020-03-02", "MORNING", 30).await;
    app.gql_ok_as(
        &station,
        "mutation($u: ID!) { recordCollection(input: { unitId: $u, site: CENTRAL_STATION, date: \"2020-01-20\", bags200: 10 }) { id } }",
        json!({ "u": unit }),
    )
    .await;

    let updates = [
        ("unit", "kind"),
        ("app_user", "role"),
        ("plan_quota", "section"),
        ("plan_section", "section"),
        ("visit", "session"),
        ("visit", "status"),
        ("visit_slot", "half_day"),
        ("collection", "site"),
        ("collection_revision", "site"),
        ("reminder_rule", "kind"),
    ];
    let mut statements: Vec<(String, String)> =
        updates.iter().map(|(t, c)| (format!("ck_{t}_{c}"), format!("UPDATE {t} SET {c} = 'XX'"))).collect();
    let outbox = |kind: &str, status: &str, session: &str| {
        format!(
            "INSERT INTO outbox (dedup_key, kind, recipient, subject, text, html, status, attempts, \
             next_attempt_at, created_at, ref_visit_session) VALUES ('k-{kind}-{status}-{session}', \
             '{kind}', 'a@example.org', 's', 't', 'h', '{status}', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, \
             '{session}')"
        )
    };
    statements.push(("ck_outbox_status".into(), outbox("VISIT", "XX", "MORNING")));
    statements.push(("ck_outbox_ref_visit_session".into(), outbox("VISIT", "PENDING", "XX")));
    statements.push(("ck_outbox_kind".into(), outbox("XX", "PENDING", "MORNING")));
    statements.push((
        "ck_plan_warning_section".into(),
        "INSERT INTO plan_warning (plan_id, section, message) SELECT id, 'XX', 'x' FROM plan".into(),
    ));
    assert_eq!(statements.len(), 14, "every guarded column of the two migrations");

    for (check, statement) in &statements {
        let err = sql(&app, statement).await.expect_err(&format!("{check} lets through: {statement}"));
        assert!(err.to_string().contains(check.as_str()), "{statement}: refused, but not by {check}: {err}");
    }
    // The same statements with a code go through: the guards refuse only what is not one.
    assert_eq!(sql(&app, "UPDATE visit SET status = 'CONFIRMED'").await.unwrap(), 1);
    sql(&app, &outbox("NOTICE", "PENDING", "FULL_DAY")).await.expect("a well-formed message is stored");
    sql(&app, "INSERT INTO plan_warning (plan_id, section, message) SELECT id, NULL, 'x' FROM plan")
        .await
        .expect("a warning about no section is stored");
}
