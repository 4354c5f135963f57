//! Outages (issue 13, items 4 and 9): a pool with no free connection answers 503
//! `SERVICE_BUSY`, a database that refuses connections answers 503 `SERVICE_UNAVAILABLE`, the
//! service recovers by itself when the database is back, and `serve` with no database exits
//! with a clear message.
use std::process::{Command, Stdio};
use std::time::Duration;

use sea_orm::{ConnectionTrait, Database, TransactionTrait};
use serde_json::{json, Value};

use crate::helpers::{logs, spawn_app_with, AppOptions, TestApp, POSTGRES_ENV};

const PLAN: &str = "{ plan(year: 2020) { year } }";

/// Posts `PLAN` and returns the HTTP status, `Retry-After` and the body.
async fn ask(app: &TestApp) -> (u16, Option<String>, Value) {
    ask_as(app, None).await
}

async fn ask_as(app: &TestApp, token: Option<&str>) -> (u16, Option<String>, Value) {
    let mut request = app.client.post(app.graphql_url()).json(&json!({ "query": PLAN }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let answer = request.send().await.unwrap();
    let retry = answer.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    (answer.status().as_u16(), retry, answer.json().await.unwrap())
}

fn one_connection_waiting_one_second(config: &mut bloodplan::config::Config) {
    config.database_pool.max_connections = Some(1);
    config.database_pool.acquire_timeout = Duration::from_secs(1);
}

#[tokio::test]
async fn a_request_that_gets_no_connection_in_time_is_answered_service_busy_and_counted_in_the_log() {
    let app =
        spawn_app_with(AppOptions { configure: one_connection_waiting_one_second, ..AppOptions::default() })
            .await;
    let (status, _, body) = ask(&app).await;
    assert_eq!((status, &body["data"]["plan"]["year"]), (200, &json!(2020)), "{body}");

    // The pool's only connection is taken (a long transaction, say).
    let held = app.db.begin().await.unwrap();
    let (status, retry, body) = ask(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(retry.as_deref(), Some("5"));
    assert_eq!(body["errors"][0]["extensions"]["code"], "SERVICE_BUSY", "never INTERNAL: {body}");
    assert_eq!(body["errors"][0]["message"], "系统繁忙，请稍后再试");
    assert!(
        !logs::containing("answered SERVICE_BUSY").is_empty(),
        "the refusal is logged with a running count"
    );
    assert!(logs::containing("answered SERVICE_BUSY").iter().any(|l| l.contains("busy_answers=")));

    // A signed-in request is refused the same way when its token cannot be checked.
    held.rollback().await.unwrap();
    let office = app.user_token("office", bloodplan::domain::auth::Role::Office, None).await;
    let held = app.db.begin().await.unwrap();
    let (status, retry, answer) = ask_as(&app, Some(&office)).await;
    assert_eq!((status, retry.as_deref()), (503, Some("5")), "{answer}");
    assert_eq!(answer["errors"][0]["extensions"]["code"], "SERVICE_BUSY", "{answer}");
    held.rollback().await.unwrap();

    // Nothing to restart: the next request is served.
    let (status, _, body) = ask(&app).await;
    assert_eq!((status, &body["data"]["plan"]["year"]), (200, &json!(2020)), "{body}");
}

/// The database refuses connections for a while (PostgreSQL: `ALLOW_CONNECTIONS false` and
/// every session ended, as in a restart). SQLite is a file inside the process: there is no
/// server to lose, so this runs in the PostgreSQL suite only.
#[tokio::test]
async fn when_postgresql_refuses_connections_requests_get_service_unavailable_and_recover_when_it_is_back() {
    let Some(admin_url) = std::env::var(POSTGRES_ENV).ok().filter(|v| !v.is_empty()) else {
        return;
    };
    let app =
        spawn_app_with(AppOptions { configure: one_connection_waiting_one_second, ..AppOptions::default() })
            .await;
    assert_eq!(ask(&app).await.0, 200);
    let name = app.database.url.rsplit('/').next().unwrap().to_owned();
    let admin = Database::connect(&admin_url).await.unwrap();
    let set_allowed = |allowed: bool| format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS {allowed}");
    admin.execute_unprepared(&set_allowed(false)).await.unwrap();
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ))
        .await
        .unwrap();

    let (status, retry, body) = ask(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(retry.as_deref(), Some("5"));
    assert_eq!(body["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE", "never INTERNAL: {body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().starts_with("数据库暂时无法连接"), "{body}");

    admin.execute_unprepared(&set_allowed(true)).await.unwrap();
    let (status, _, body) = ask(&app).await;
    assert_eq!((status, &body["data"]["plan"]["year"]), (200, &json!(2020)), "recovered by itself: {body}");
    admin.close().await.ok();
}

#[tokio::test]
async fn serve_without_a_reachable_database_exits_non_zero_and_says_which_setting_to_check() {
    let postgres = std::env::var(POSTGRES_ENV).ok().filter(|v| !v.is_empty()).is_some();
    // Nothing listens on port 1; no directory is called /nonexistent.
    let url = if postgres {
        "postgres://postgres@127.0.0.1:1/bloodplan"
    } else {
        "sqlite:///nonexistent/bloodplan.db?mode=rwc"
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_bloodplan"))
        .arg("serve")
        .env("DATABASE_URL", url)
        .env("DATABASE_ACQUIRE_TIMEOUT_SECONDS", "2")
        .env("BLOODPLAN_BIND", "127.0.0.1:0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A guard against hanging, not a timing assertion.
    let waited = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    let Ok(status) = waited else {
        child.kill().ok();
        panic!("serve kept running without a database");
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success(), "{stderr}");
    assert!(stderr.contains("cannot open the database"), "{stderr}");
    assert!(stderr.contains("DATABASE_URL"), "names the setting to check: {stderr}");
}
