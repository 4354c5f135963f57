//! The administration forms in a real headless Chromium, each checked through GraphQL:
//! vehicles and blackouts, term dates and reminder rules, the outbox, users (create, disable,
//! reset a password), contacts, and changing one's own password.
use bloodplan::domain::auth::Role;
use serde_json::{json, Value};

use crate::browser::{Browser, Page};
use crate::helpers::{error_code, spawn_app, TestApp, PASSWORD};

async fn select(page: &Page, css: &str, value: &str) {
    let e = page.client.find(fantoccini::Locator::Css(css)).await.unwrap_or_else(|e| panic!("no {css}: {e}"));
    e.select_by_value(value).await.unwrap_or_else(|e| panic!("cannot choose {value} in {css}: {e}"));
}

async fn vehicle_named(app: &TestApp, token: &str, name: &str) -> Value {
    let data = app
        .gql_ok_as(
            token,
            "{ vehicles { id name capacityPerDay active blackouts { id from to reason } } }",
            json!({}),
        )
        .await;
    data["vehicles"].as_array().unwrap().iter().find(|v| v["name"] == name).cloned().unwrap_or(Value::Null)
}

#[tokio::test]
async fn the_office_keeps_vehicles_blackouts_term_dates_reminder_rules_and_the_outbox_through_the_forms() {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let page = browser.session().await;
    page.login(&app.address, "office", "/office/vehicles").await;

    page.fill("#vehicle-name", "2号采血车").await;
    page.fill("#vehicle-capacity", "80").await;
    page.click_and_wait("#vehicle-submit").await;
    assert_eq!(page.text("#flash").await, "已保存。");
    let vehicle = vehicle_named(&app, &office, "2号采血车").await;
    assert_eq!((vehicle["capacityPerDay"].as_i64(), vehicle["active"].as_bool()), (Some(80), Some(true)));
    let id = vehicle["id"].as_str().unwrap().to_owned();

    page.set_value(&format!("#blackout-from-{id}"), "2020-03-02").await;
    page.set_value(&format!("#blackout-to-{id}"), "2020-03-06").await;
    page.fill(&format!("#blackout-reason-{id}"), "年检").await;
    page.click_and_wait(&format!("#blackout-add-{id}")).await;
    let blackouts = vehicle_named(&app, &office, "2号采血车").await["blackouts"].clone();
    assert_eq!(blackouts.as_array().unwrap().len(), 1);
    assert_eq!(
        (blackouts[0]["from"].as_str(), blackouts[0]["to"].as_str(), blackouts[0]["reason"].as_str()),
        (Some("2020-03-02"), Some("2020-03-06"), Some("年检"))
    );
    let free =
        "query($v: ID!) { availability(from: \"2020-03-02\", to: \"2020-03-06\", vehicleId: $v) { date } }";
    let during = app.gql_ok_as(&office, free, json!({ "v": id })).await;
    assert_eq!(during["availability"], json!([]), "no session is free while it is off the road");
    page.screenshots("office-vehicles-blackout").await;
    page.click_and_wait(&format!("#blackout-remove-{}", blackouts[0]["id"].as_str().unwrap())).await;
    assert_eq!(vehicle_named(&app, &office, "2号采血车").await["blackouts"], json!([]));
    page.click_and_wait(&format!("#vehicle-active-{id}")).await;
    assert_eq!(vehicle_named(&app, &office, "2号采血车").await["active"], false);

    page.goto(&format!("{}/office/reminders", app.address)).await;
    page.set_value("#spring-start", "2020-02-24").await;
    page.set_value("#spring-end", "2020-07-10").await;
    page.set_value("#autumn-start", "2020-09-01").await;
    page.set_value("#autumn-end", "2021-01-15").await;
    page.click_and_wait("#term-submit").await;
    let terms = app
        .gql_ok_as(
            &office,
            "{ termCalendar(year: 2020) { unitId springStart springEnd autumnStart autumnEnd } }",
            json!({}),
        )
        .await;
    assert_eq!(
        terms["termCalendar"],
        json!([{ "unitId": null, "springStart": "2020-02-24", "springEnd": "2020-07-10", "autumnStart": "2020-09-01", "autumnEnd": "2021-01-15" }])
    );
    assert!(page.text("#terms").await.contains("2020-02-24"));
    page.fill("#offsets-VISIT", "5，2").await;
    page.click_and_wait("#rule-submit-VISIT").await;
    assert_eq!(page.text("#flash").await, "已保存。");
    let rules = app.gql_ok_as(&office, "{ reminderRules { kind offsets enabled } }", json!({})).await;
    let visit_rule =
        rules["reminderRules"].as_array().unwrap().iter().find(|r| r["kind"] == "VISIT").unwrap().clone();
    assert_eq!(visit_rule["enabled"], true);
    let mut offsets: Vec<i64> =
        visit_rule["offsets"].as_array().unwrap().iter().map(|o| o.as_i64().unwrap()).collect();
    offsets.sort_unstable();
    assert_eq!(offsets, [2, 5], "a full-width comma separates the days too");
    page.click("#enabled-DIGEST").await;
    page.click_and_wait("#rule-submit-DIGEST").await;
    let rules = app.gql_ok_as(&office, "{ reminderRules { kind enabled } }", json!({})).await;
    assert!(rules["reminderRules"]
        .as_array()
        .unwrap()
        .contains(&json!({ "kind": "DIGEST", "enabled": false })));
    page.screenshots("office-reminders-saved").await;

    let message = app.failed_message().await;
    page.goto(&format!("{}/office/outbox?status=FAILED", app.address)).await;
    assert!(page.text(&format!("[data-message=\"{message}\"]")).await.contains("发送失败"));
    page.click_and_wait(&format!("#resend-{message}")).await;
    assert_eq!(page.text("#flash").await, "邮件已重新排队发送。");
    let outbox = app.gql_ok_as(&office, "{ outbox(first: 10) { nodes { id status } } }", json!({})).await;
    assert_eq!(outbox["outbox"]["nodes"], json!([{ "id": message, "status": "PENDING" }]));
    page.close().await;
}

const LOGIN: &str = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }";

async fn user_named(app: &TestApp, token: &str, name: &str) -> Value {
    let data = app
        .gql_ok_as(
            token,
            "{ users(first: 100) { nodes { id username role disabled unit { name } } } }",
            json!({}),
        )
        .await;
    data["users"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == name)
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn the_office_creates_disables_and_resets_users_and_everyone_changes_their_own_password() {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let page = browser.session().await;
    page.login(&app.address, "office", "/office/users").await;

    page.fill("#new-username", "xnvc").await;
    page.fill("#new-password", PASSWORD).await;
    select(&page, "#new-role", "LIAISON").await;
    page.fill("#new-unit", "咸宁职业技术学院").await;
    page.click_and_wait("#create-user").await;
    assert_eq!(page.text("#flash").await, "账号已创建。");
    let user = user_named(&app, &office, "xnvc").await;
    assert_eq!(
        (user["role"].as_str(), user["unit"]["name"].as_str(), user["disabled"].as_bool()),
        (Some("LIAISON"), Some("咸宁职业技术学院"), Some(false))
    );
    let id = user["id"].as_str().unwrap().to_owned();

    // A liaison without a holder is refused in plain words, and nothing is created.
    page.fill("#new-username", "nobody").await;
    page.fill("#new-password", PASSWORD).await;
    select(&page, "#new-role", "LIAISON").await;
    page.click_and_wait("#create-user").await;
    assert!(page.text("#refusal").await.contains("联络员账号必须绑定"));
    assert_eq!(user_named(&app, &office, "nobody").await, Value::Null);

    let liaison = app.login("xnvc").await;
    page.goto(&format!("{}/office/users", app.address)).await;
    page.click_and_wait(&format!("#disable-{id}")).await;
    assert_eq!(page.text("#flash").await, "账号状态已更改。");
    assert_eq!(user_named(&app, &office, "xnvc").await["disabled"], true);
    assert_eq!(page.text("[data-user=\"xnvc\"] .user-status").await, "已停用");
    let refused = app.gql_as(&liaison, "{ me { username } }", json!({})).await;
    assert_eq!(crate::helpers::error_reason(&refused), Some("TOKEN_REVOKED"), "disabling signs them out");
    page.click_and_wait(&format!("#disable-{id}")).await;
    assert_eq!(user_named(&app, &office, "xnvc").await["disabled"], false);

    let liaison = app.login("xnvc").await;
    let reset_to = "重置后的密码-xnvc-2020";
    page.click("[data-user=\"xnvc\"] summary").await;
    page.fill(&format!("#reset-password-{id}"), reset_to).await;
    page.click_and_wait(&format!("#reset-{id}")).await;
    assert_eq!(page.text("#flash").await, "密码已重置，该用户原有的登录已全部失效。");
    let refused = app.gql_as(&liaison, "{ me { username } }", json!({})).await;
    assert_eq!(crate::helpers::error_reason(&refused), Some("TOKEN_REVOKED"), "the reset signs them out");
    let old = app.gql(LOGIN, json!({ "u": "xnvc", "p": PASSWORD })).await;
    assert_eq!(error_code(&old), Some("INVALID_CREDENTIALS"));
    assert!(app.gql(LOGIN, json!({ "u": "xnvc", "p": reset_to })).await.get("errors").is_none());
    page.screenshots("office-users-reset").await;

    // The office changes its own password, signs out, and signs in with the new one.
    let mine = "办公室的新密码-2020-xianning";
    page.goto(&format!("{}/account/password", app.address)).await;
    page.fill("#current-password", "wrong-password-1234").await;
    page.fill("#new-password", mine).await;
    page.fill("#repeat-password", mine).await;
    page.click_and_wait("#password-submit").await;
    assert_eq!(page.text("#password-message").await, "当前密码不正确。");
    page.fill("#current-password", PASSWORD).await;
    page.fill("#new-password", mine).await;
    page.fill("#repeat-password", mine).await;
    page.click_and_wait("#password-submit").await;
    assert!(page.text("#password-message").await.starts_with("密码已修改。"));
    assert_eq!(error_reason_of(&app, &office).await, Some("TOKEN_REVOKED".to_owned()), "other sessions end");
    page.click_and_wait("#logout").await;
    assert!(page.path().await.starts_with("/login"));
    page.login_with(&app.address, "office", mine, "/office").await;
    assert_eq!(page.path().await, "/office", "the new password signs in");
    assert_eq!(
        error_code(&app.gql(LOGIN, json!({ "u": "office", "p": PASSWORD })).await),
        Some("INVALID_CREDENTIALS")
    );
    page.close().await;
}

async fn error_reason_of(app: &TestApp, token: &str) -> Option<String> {
    let answer = app.gql_as(token, "{ me { username } }", json!({})).await;
    crate::helpers::error_reason(&answer).map(str::to_owned)
}

#[tokio::test]
async fn the_office_and_the_holders_own_liaison_edit_its_contact_on_the_holder_page() {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    app.create_user("hbust", Role::Liaison, Some("湖北科技学院")).await;
    let hbust = app.unit_id("湖北科技学院").await;
    let contact = "query($id: ID!) { unit(id: $id) { contact { name phone email } } }";

    let page = browser.session().await;
    page.login(&app.address, "office", &format!("/holders/{hbust}")).await;
    assert_eq!(page.text("#contact").await, "尚未登记联系人。");
    page.click("#contact-form-toggle").await;
    page.fill("#contact-name", "张老师").await;
    page.fill("#contact-phone", "13907151234").await;
    page.fill("#contact-email", "zhang@hbust.edu.cn").await;
    page.click_and_wait("#contact-submit").await;
    assert_eq!(page.text("#flash").await, "联系人已保存。");
    assert_eq!(page.text("#contact").await, "张老师 · 13907151234 · zhang@hbust.edu.cn");
    let saved = app.gql_ok_as(&office, contact, json!({ "id": hbust })).await;
    assert_eq!(
        saved["unit"]["contact"],
        json!({ "name": "张老师", "phone": "13907151234", "email": "zhang@hbust.edu.cn" })
    );
    page.close().await;

    let page = browser.session().await;
    page.login(&app.address, "hbust", &format!("/holders/{hbust}")).await;
    page.click("#contact-form-toggle").await;
    page.fill("#contact-name", "王老师").await;
    page.fill("#contact-phone", "12345").await;
    page.click_and_wait("#contact-submit").await;
    let refusal = page.text("#refusal").await;
    assert!(refusal.ends_with('。') && !refusal.contains(','), "said in Chinese: {refusal}");
    let unchanged = app.gql_ok_as(&office, contact, json!({ "id": hbust })).await;
    assert_eq!(unchanged, saved, "a refused contact changes nothing");
    page.goto(&format!("{}/holders/{hbust}", app.address)).await;
    page.click("#contact-form-toggle").await;
    page.fill("#contact-name", "王老师").await;
    page.fill("#contact-phone", "0715-8123456").await;
    page.click_and_wait("#contact-submit").await;
    assert_eq!(page.text("#contact").await, "王老师 · 0715-8123456 · zhang@hbust.edu.cn");
    let saved = app.gql_ok_as(&office, contact, json!({ "id": hbust })).await;
    assert_eq!(saved["unit"]["contact"]["name"], "王老师");
    page.screenshots("holder-contact-liaison").await;
    page.close().await;
}
