//! Logging in and out, tokens, and the failed-login lock-out.
use std::io::Write;

use bloodplan::domain::auth::Role;
use chrono::TimeDelta;
use serde_json::{json, Value};

use crate::helpers::{error_code, error_reason, spawn_app, TestApp, PASSWORD};

const LOGIN: &str = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token expiresAt user { username role } } }";
const ME: &str = "{ me { username role unit { id name } } }";

async fn login_answer(app: &TestApp, username: &str, password: &str) -> Value {
    app.gql(LOGIN, json!({ "u": username, "p": password })).await
}

#[tokio::test]
async fn the_first_office_account_is_made_on_the_command_line_and_can_log_in() {
    let app = spawn_app().await;
    let add = |args: &[&str], password: &str| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_bloodplan"))
            .args(args)
            .env("DATABASE_URL", &app.database.url)
            .env("RUST_LOG", "warn")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let short =
        add(&["user", "add", "--username", "office", "--role", "office", "--password-stdin"], "short");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("至少需要 10 个字符"));
    assert_eq!(app.count("app_user").await, 0, "no account exists that nobody created");

    let ok = add(&["user", "add", "--username", "office", "--role", "office", "--password-stdin"], PASSWORD);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let liaison = add(
        &[
            "user",
            "add",
            "--username",
            "hbust",
            "--role",
            "liaison",
            "--unit",
            "湖北科技学院",
            "--password-stdin",
        ],
        PASSWORD,
    );
    assert!(liaison.status.success(), "{}", String::from_utf8_lossy(&liaison.stderr));
    let county =
        ["user", "add", "--username", "chibi", "--role", "liaison", "--unit", "赤壁市", "--password-stdin"];
    let misnamed = add(&county, PASSWORD);
    assert!(!misnamed.status.success());
    let said = String::from_utf8_lossy(&misnamed.stderr);
    assert!(said.contains("没有名为或编号为“赤壁市”的献血单位，您是不是要找：赤壁？"), "{said}");

    let answer = login_answer(&app, "office", PASSWORD).await;
    let token = answer["data"]["login"]["token"].as_str().expect("a token").to_owned();
    assert_eq!(token.len(), 64);
    // 2020-02-01 09:00 +08:00 plus 12 hours.
    assert_eq!(answer["data"]["login"]["expiresAt"], "2020-02-01T13:00:00+00:00");
    let me = app.gql_ok_as(&token, ME, json!({})).await;
    assert_eq!(me["me"], json!({ "username": "office", "role": "OFFICE", "unit": null }));

    let token = app.login("hbust").await;
    let me = app.gql_ok_as(&token, ME, json!({})).await;
    assert_eq!(me["me"]["role"], "LIAISON");
    assert_eq!(me["me"]["unit"]["name"], "湖北科技学院");
    // Only the hash of a token is stored.
    let stored = app.snapshot().await.join("\n");
    assert!(!stored.contains(&token));
}

#[tokio::test]
async fn every_refused_login_and_token_has_its_code() {
    let app = spawn_app().await;
    app.create_user("station1", Role::Station, None).await;
    let wrong = login_answer(&app, "station1", "not-the-password").await;
    assert_eq!(error_code(&wrong), Some("INVALID_CREDENTIALS"));
    let unknown = login_answer(&app, "nobody", PASSWORD).await;
    assert_eq!(error_code(&unknown), Some("INVALID_CREDENTIALS"), "unknown users look like wrong passwords");

    let garbage = app.gql_as("not-a-token", ME, json!({})).await;
    assert_eq!(
        (error_code(&garbage), error_reason(&garbage)),
        (Some("UNAUTHENTICATED"), Some("TOKEN_INVALID"))
    );
    let anonymous = app.gql(ME, json!({})).await;
    assert_eq!((error_code(&anonymous), error_reason(&anonymous)), (Some("UNAUTHENTICATED"), None));

    let token = app.login("station1").await;
    app.clock.advance(TimeDelta::hours(12));
    let expired = app.gql_as(&token, ME, json!({})).await;
    assert_eq!(
        (error_code(&expired), error_reason(&expired)),
        (Some("UNAUTHENTICATED"), Some("TOKEN_EXPIRED"))
    );
    // The published plan still answers with a stale token.
    let plan = app.gql_as(&token, "{ plan(year: 2020) { year } }", json!({})).await;
    assert_eq!(plan["data"]["plan"]["year"], 2020);

    let token = app.login("station1").await;
    assert_eq!(app.gql_ok_as(&token, "mutation { logout }", json!({})).await["logout"], true);
    let revoked = app.gql_as(&token, ME, json!({})).await;
    assert_eq!(
        (error_code(&revoked), error_reason(&revoked)),
        (Some("UNAUTHENTICATED"), Some("TOKEN_REVOKED"))
    );
}

#[tokio::test]
async fn disabling_a_user_revokes_their_tokens_and_refuses_their_logins() {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let victim_id = app.create_user("station1", Role::Station, None).await;
    let victim = app.login("station1").await;
    let disable =
        "mutation($id: ID!, $d: Boolean!) { setUserDisabled(id: $id, disabled: $d) { username disabled } }";
    let data = app.gql_ok_as(&office, disable, json!({ "id": victim_id.to_string(), "d": true })).await;
    assert_eq!(data["setUserDisabled"], json!({ "username": "station1", "disabled": true }));
    let refused = app.gql_as(&victim, ME, json!({})).await;
    assert_eq!(error_reason(&refused), Some("TOKEN_REVOKED"));
    let login = login_answer(&app, "station1", PASSWORD).await;
    assert_eq!(error_code(&login), Some("ACCOUNT_DISABLED"));

    app.gql_ok_as(&office, disable, json!({ "id": victim_id.to_string(), "d": false })).await;
    assert!(login_answer(&app, "station1", PASSWORD).await.get("errors").is_none());
    // The old token stays revoked.
    assert_eq!(error_reason(&app.gql_as(&victim, ME, json!({})).await), Some("TOKEN_REVOKED"));

    let me = app.gql_ok_as(&office, "{ me { username } users(first: 10) { totalCount } }", json!({})).await;
    assert_eq!(me["users"]["totalCount"], 2);
    let office_id = app.gql_ok_as(&office, "{ users(first: 1) { nodes { id } } }", json!({})).await["users"]
        ["nodes"][0]["id"]
        .clone();
    let own = app.gql_as(&office, disable, json!({ "id": office_id, "d": true })).await;
    assert_eq!(error_code(&own), Some("CANNOT_DISABLE_SELF"));
}

#[tokio::test]
async fn repeated_failed_logins_are_slowed_then_locked_and_the_lock_lifts() {
    let app = spawn_app().await;
    app.create_user("hbust", Role::Liaison, Some("湖北科技学院")).await;
    let attempt = |password: &'static str| {
        let app = &app;
        async move { error_code(&login_answer(app, "hbust", password).await).map(str::to_owned) }
    };
    for _ in 0..4 {
        assert_eq!(attempt("wrong-password").await.as_deref(), Some("INVALID_CREDENTIALS"));
    }
    // After the fourth failure the next try must wait two seconds, even with the right password.
    assert_eq!(attempt(PASSWORD).await.as_deref(), Some("LOGIN_THROTTLED"));
    for failures in 5..10 {
        app.clock.advance(TimeDelta::seconds(1 << (failures - 3)));
        assert_eq!(
            attempt("wrong-password").await.as_deref(),
            Some("INVALID_CREDENTIALS"),
            "failure {failures}"
        );
    }
    app.clock.advance(TimeDelta::seconds(1 << 7));
    assert_eq!(attempt("wrong-password").await.as_deref(), Some("ACCOUNT_LOCKED"), "the tenth failure locks");
    let locked = login_answer(&app, "hbust", PASSWORD).await;
    assert_eq!(error_code(&locked), Some("ACCOUNT_LOCKED"));
    assert!(locked["errors"][0]["message"].as_str().unwrap().contains("锁定"));
    app.clock.advance(TimeDelta::minutes(14));
    assert_eq!(attempt(PASSWORD).await.as_deref(), Some("ACCOUNT_LOCKED"));
    app.clock.advance(TimeDelta::minutes(1));
    assert_eq!(attempt(PASSWORD).await, None, "the lock lifts after 15 minutes");
    // A success clears the count.
    assert_eq!(attempt("wrong-password").await.as_deref(), Some("INVALID_CREDENTIALS"));
    assert_eq!(attempt(PASSWORD).await, None);
}

#[tokio::test]
async fn the_office_creates_accounts_and_their_input_is_checked() {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let unit = app.unit_id("湖北科技学院").await;
    let create = "mutation($i: CreateUserInput!) { createUser(input: $i) { username role unit { name } } }";
    let made = app
        .gql_ok_as(
            &office,
            create,
            json!({ "i": { "username": "hbust", "password": PASSWORD, "role": "LIAISON", "unitId": unit } }),
        )
        .await;
    assert_eq!(
        made["createUser"],
        json!({ "username": "hbust", "role": "LIAISON", "unit": { "name": "湖北科技学院" } })
    );
    let token = app.login("hbust").await;
    assert_eq!(app.gql_ok_as(&token, ME, json!({})).await["me"]["unit"]["name"], "湖北科技学院");

    let cases = [
        (
            json!({ "username": "hbust", "password": PASSWORD, "role": "LIAISON", "unitId": unit }),
            "USERNAME_TAKEN",
        ),
        (json!({ "username": "liaison2", "password": PASSWORD, "role": "LIAISON" }), "BAD_INPUT"),
        (
            json!({ "username": "station2", "password": PASSWORD, "role": "STATION", "unitId": unit }),
            "BAD_INPUT",
        ),
        (json!({ "username": "station3", "password": "123456789", "role": "STATION" }), "BAD_INPUT"),
        (json!({ "username": "a b", "password": PASSWORD, "role": "STATION" }), "BAD_INPUT"),
        (
            json!({ "username": "liaison3", "password": PASSWORD, "role": "LIAISON", "unitId": "999999" }),
            "NOT_FOUND",
        ),
    ];
    let before = app.snapshot().await;
    for (input, code) in cases {
        let answer = app.gql_as(&office, create, json!({ "i": input })).await;
        assert_eq!(error_code(&answer), Some(code), "{input}");
    }
    assert_eq!(app.snapshot().await, before, "refused creations write nothing");
}

#[tokio::test]
async fn the_office_resets_a_forgotten_password_which_ends_that_users_sessions_and_is_audited() {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let station_id = app.create_user("station1", Role::Station, None).await.to_string();
    let old_session = app.login("station1").await;
    let reset =
        "mutation($id: ID!, $p: String!) { resetUserPassword(id: $id, password: $p) { username disabled } }";
    let new_password = "新的密码-2020-station";

    let short = app.gql_as(&office, reset, json!({ "id": station_id, "p": "short" })).await;
    assert_eq!(error_code(&short), Some("BAD_INPUT"));
    assert!(
        login_answer(&app, "station1", PASSWORD).await.get("errors").is_none(),
        "a refused reset changes nothing"
    );
    let office_id = app.gql_ok_as(&office, "{ me { id } }", json!({})).await["me"]["id"].clone();
    let own = app.gql_as(&office, reset, json!({ "id": office_id, "p": new_password })).await;
    assert_eq!(error_code(&own), Some("BAD_INPUT"), "one's own password needs the current one");
    let missing = app.gql_as(&office, reset, json!({ "id": "999999", "p": new_password })).await;
    assert_eq!(error_code(&missing), Some("NOT_FOUND"));

    let data = app.gql_ok_as(&office, reset, json!({ "id": station_id, "p": new_password })).await;
    assert_eq!(data["resetUserPassword"], json!({ "username": "station1", "disabled": false }));
    assert_eq!(error_reason(&app.gql_as(&old_session, ME, json!({})).await), Some("TOKEN_REVOKED"));
    assert_eq!(error_code(&login_answer(&app, "station1", PASSWORD).await), Some("INVALID_CREDENTIALS"));
    assert!(login_answer(&app, "station1", new_password).await.get("errors").is_none());

    let trail = app
        .gql_ok_as(
            &office,
            "{ auditLog(entity: \"user\", first: 1) { nodes { entityId action before after } } }",
            json!({}),
        )
        .await;
    let node = &trail["auditLog"]["nodes"][0];
    assert_eq!(
        (node["entityId"].as_str(), node["action"].as_str()),
        (Some(station_id.as_str()), Some("reset_password"))
    );
    assert!(!trail.to_string().contains(new_password) && !trail.to_string().contains("argon2"));
}
