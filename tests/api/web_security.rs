//! The web app's guards: sessions, CSRF tokens, Origin, holders' privacy, escaping.
use bloodplan::domain::auth::Role;
use reqwest::header::{COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::StatusCode;

use crate::browser::Browser;
use crate::helpers::{bloodplan_cli, spawn_app, TestApp, PASSWORD};

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(Policy::none()).build().unwrap()
}

/// Signs in through the login form; returns the session cookie.
async fn sign_in(app: &TestApp, username: &str) -> String {
    let r = client()
        .post(format!("{}/login", app.address))
        .form(&[("username", username), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "login redirects");
    let set = r.headers().get(SET_COOKIE).expect("a session cookie").to_str().unwrap().to_owned();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
    set.split(';').next().unwrap().to_owned()
}

async fn get(app: &TestApp, cookie: &str, path: &str) -> (StatusCode, String) {
    let r = client().get(format!("{}{path}", app.address)).header(COOKIE, cookie).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

fn csrf_in(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + "name=\"csrf\" value=\"".len();
    page[at..at + 64].to_owned()
}

#[tokio::test]
async fn a_page_without_a_session_redirects_to_the_login_page_and_back() {
    let app = spawn_app().await;
    for path in ["/", "/book", "/office", "/station", "/office/holders?q=学院"] {
        let r = client().get(format!("{}{path}", app.address)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        let to = r.headers()[LOCATION].to_str().unwrap();
        assert!(to.starts_with("/login"), "{path} goes to {to}");
    }
    let r = client().get(format!("{}/book", app.address)).send().await.unwrap();
    assert_eq!(r.headers()[LOCATION], "/login?next=%2Fbook");
    let page = client().get(format!("{}/login?next=%2Fbook", app.address)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text().await.unwrap().contains("value=\"/book\""),
        "the login form goes back to the booking page"
    );
}

/// `?page=` is the client's: a page past the last a list may have is the last allowed
/// (page 100,000), never an overflowing offset.
#[tokio::test]
async fn a_list_page_number_past_any_list_is_answered_not_overflowed() {
    let app = spawn_app().await;
    app.create_user("office", Role::Office, None).await;
    let cookie = sign_in(&app, "office").await;
    let huge = "page=18446744073709551615";
    let (status, page) = get(&app, &cookie, &format!("/office/holders?{huge}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("第 100000 / 4 页") && page.contains("id=\"prev-page\""), "{page}");
    let (status, page) = get(&app, &cookie, &format!("/office/breakdowns?year=2020&{huge}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("第 100000 / 1 页") && page.contains("需上报 <strong>29</strong>"), "{page}");
}

#[tokio::test]
async fn the_login_page_refuses_a_wrong_password_in_chinese_and_never_leaves_the_site() {
    let app = spawn_app().await;
    app.create_user("office", Role::Office, None).await;
    let r = client()
        .post(format!("{}/login", app.address))
        .form(&[("username", "office"), ("password", "wrong-password!"), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert!(r.headers().get(SET_COOKIE).is_none());
    assert!(r.text().await.unwrap().contains("用户名或密码错误"));
    let r = client()
        .post(format!("{}/login", app.address))
        .form(&[("username", "office"), ("password", PASSWORD), ("next", "//evil.example/x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()[LOCATION], "/", "an off-site next is ignored");
}

#[tokio::test]
async fn a_form_post_without_the_csrf_token_or_from_another_origin_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    app.create_user("hbust", Role::Liaison, Some("湖北科技学院")).await;
    let office = app.user_token("office", Role::Office, None).await;
    let vehicle = app.create_vehicle(&office, "1号采血车").await;
    let cookie = sign_in(&app, "hbust").await;
    let (status, page) = get(&app, &cookie, "/book").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_in(&page);
    let form = |token: Option<&str>| {
        let mut f = vec![
            ("vehicle_id", vehicle.clone()),
            ("date", "2020-02-10".to_owned()),
            ("session", "MORNING".to_owned()),
            ("expected_donors", "30".to_owned()),
        ];
        if let Some(t) = token {
            f.push(("csrf", t.to_owned()));
        }
        f
    };
    let before = app.snapshot().await;
    let visits_before = app.count("visit").await;
    let attempts = [
        ("no token", form(None), None),
        ("a wrong token", form(Some(&"0".repeat(64))), None),
        ("a foreign origin", form(Some(&csrf)), Some("https://evil.example")),
    ];
    for (what, fields, origin) in attempts {
        let mut r = client().post(format!("{}/book", app.address)).header(COOKIE, &cookie).form(&fields);
        if let Some(o) = origin {
            r = r.header(ORIGIN, o);
        }
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{what}");
        assert!(r.text().await.unwrap().contains("已被拒绝"), "{what}: said in Chinese");
    }
    assert_eq!(app.count("visit").await, visits_before, "no visit was booked");
    assert_eq!(app.snapshot().await, before, "nothing changed");
    // Logging out is a form too.
    let r = client().post(format!("{}/logout", app.address)).header(COOKIE, &cookie).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(get(&app, &cookie, "/book").await.0, StatusCode::OK, "the session still works");

    // The same form with its token and this origin goes through.
    let r = client()
        .post(format!("{}/book", app.address))
        .header(COOKIE, &cookie)
        .header(ORIGIN, &app.address)
        .form(&form(Some(&csrf)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("visit").await, visits_before + 1);
}

#[tokio::test]
async fn logging_out_ends_the_session_for_the_api_too() {
    let app = spawn_app().await;
    app.create_user("hbust", Role::Liaison, Some("湖北科技学院")).await;
    let cookie = sign_in(&app, "hbust").await;
    let (_, page) = get(&app, &cookie, "/liaison").await;
    let r = client()
        .post(format!("{}/logout", app.address))
        .header(COOKIE, &cookie)
        .form(&[("csrf", csrf_in(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = client().get(format!("{}/liaison", app.address)).header(COOKIE, &cookie).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the old cookie no longer signs in");
    let token = cookie.split_once('=').unwrap().1;
    let answer = app.gql_as(token, "{ me { username } }", serde_json::json!({})).await;
    assert_eq!(crate::helpers::error_reason(&answer), Some("TOKEN_REVOKED"));
}

#[tokio::test]
async fn a_liaison_cannot_open_another_holders_page() {
    let app = spawn_app().await;
    app.create_user("hbust", Role::Liaison, Some("湖北科技学院")).await;
    let own = app.unit_id("湖北科技学院").await;
    let other = app.unit_id("咸宁职业技术学院").await;
    let cookie = sign_in(&app, "hbust").await;
    let (status, page) = get(&app, &cookie, &format!("/holders/{own}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("湖北科技学院"));
    let (status, page) = get(&app, &cookie, &format!("/holders/{other}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!page.contains("咸宁职业技术学院") && !page.contains("2000"), "no data of the other holder");
    assert!(page.contains("您没有权限"));
    for path in ["/office", "/office/holders", "/station", "/office/calendar"] {
        assert_eq!(get(&app, &cookie, path).await.0, StatusCode::FORBIDDEN, "{path}");
    }

    let Some(browser) = Browser::start().await else { return };
    let page = browser.session().await;
    page.login(&app.address, "hbust", &format!("/holders/{other}")).await;
    assert_eq!(page.text("#error-message").await, "您没有权限查看或修改这项内容。");
    assert!(!page.text("main").await.contains("咸宁职业技术学院"));
    // The 403 itself is reported by the console as a failed load; it is what we asked for.
    let errors = page.console_errors().await;
    assert!(errors.iter().all(|e| e.contains("403")), "{errors:?}");
    page.screenshots("forbidden").await;
    page.goto(&format!("{}/no-such-page", app.address)).await;
    assert_eq!(page.text("#error-message").await, "您要找的页面不存在。");
    let _ = page.console_errors().await;
    page.close().await;
}

#[tokio::test]
async fn a_holder_named_like_a_script_is_shown_verbatim_and_never_run() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("units.csv");
    std::fs::write(
        &csv,
        "section,seq,name,quota,site,note,kind\nCITY_UNIT,1,<script>alert(1)</script>,10,献血单位,,other\nCITY_UNIT,2,湖北科技学院,2800,献血单位,,university\n",
    )
    .unwrap();
    let out = bloodplan_cli(&app.database, &["import", csv.to_str().unwrap(), "--year", "2021"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let id = app.unit_id("<script>alert(1)</script>").await;
    app.clock
        .set("2021-03-01T09:00:00+08:00".parse::<chrono::DateTime<chrono::FixedOffset>>().unwrap().into());
    app.create_user("office", Role::Office, None).await;
    let cookie = sign_in(&app, "office").await;
    let (_, html) = get(&app, &cookie, &format!("/holders/{id}")).await;
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "escaped in the HTML: {html}");
    assert!(!html.contains("<script>alert(1)"), "never raw");

    let Some(browser) = Browser::start().await else { return };
    let page = browser.session().await;
    page.login(&app.address, "office", &format!("/holders/{id}")).await;
    assert_eq!(page.text("#holder-name").await, "<script>alert(1)</script>");
    assert!(page.client.get_alert_text().await.is_err(), "no alert ran");
    page.goto(&format!("{}/office/holders?q=script", app.address)).await;
    assert_eq!(page.text("#holders .holder-name").await, "<script>alert(1)</script>");
    assert!(page.client.get_alert_text().await.is_err(), "no alert ran");
    page.screenshots("holder-script-name").await;
    page.close().await;
}

#[tokio::test]
async fn the_browser_tests_ran_in_a_real_chromium() {
    // CI sets BLOODPLAN_TEST_BROWSER and greps for this test: without chromedriver it fails.
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    let page = browser.session().await;
    page.goto(&format!("{}/login", app.address)).await;
    let agent = page.client.execute("return navigator.userAgent", vec![]).await.unwrap();
    assert!(agent.as_str().unwrap().contains("Chrome"), "{agent}");
    assert_eq!(page.client.title().await.unwrap(), "登录 · 咸宁市献血计划");
    page.assert_clean_console("the login page").await;
    page.close().await;
}

#[tokio::test]
async fn a_plan_upload_needs_the_csrf_token_and_this_origin_and_its_preview_writes_nothing() {
    let app = spawn_app().await;
    app.create_user("office", Role::Office, None).await;
    let cookie = sign_in(&app, "office").await;
    let (status, page) = get(&app, &cookie, "/office/import").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_in(&page);
    let table = std::fs::read_to_string(crate::helpers::seeds_dir().join("2020/units.csv"))
        .unwrap()
        .replace("COUNTY,1,咸安,1600,", "COUNTY,1,咸安,1700,");
    let body = format!(
        "--XX\r\nContent-Disposition: form-data; name=\"year\"\r\n\r\n2020\r\n--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"units.csv\"\r\nContent-Type: text/csv\r\n\r\n{table}\r\n--XX--\r\n"
    );
    let upload = |query: String, origin: Option<&'static str>| {
        let mut r = client()
            .post(format!("{}/office/import{query}", app.address))
            .header(COOKIE, &cookie)
            .header(reqwest::header::CONTENT_TYPE, "multipart/form-data; boundary=XX")
            .body(body.clone());
        if let Some(o) = origin {
            r = r.header(ORIGIN, o);
        }
        r.send()
    };
    let before = app.snapshot().await;
    for (what, query, origin) in [
        ("no token", String::new(), None),
        ("a wrong token", format!("?csrf={}", "0".repeat(64)), None),
        ("a foreign origin", format!("?csrf={csrf}"), Some("https://evil.example")),
    ] {
        let r = upload(query, origin).await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{what}");
    }
    let r = upload(format!("?csrf={csrf}"), None).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let preview = r.text().await.unwrap();
    assert!(
        preview.contains("咸安：计划人数 1,600 → 1,700") && preview.contains("apply-submit"),
        "{preview}"
    );
    assert_eq!(app.snapshot().await, before, "neither the refusals nor the preview wrote anything");
}
