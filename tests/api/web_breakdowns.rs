//! Breakdown plans (分解计划) in a real headless Chromium: 咸安's liaison types a breakdown,
//! the office returns it with a comment, the liaison uploads a second version, the office
//! accepts it; a breakdown short of the quota is refused on the page with the lines kept.
use bloodplan::domain::auth::Role;
use serde_json::{json, Value};

use crate::browser::{number, Browser, Page};
use crate::helpers::spawn_app;

/// 咸安's sub-units as typed lines: its education bureau, ten townships and a hospital, the
/// townships sharing what is left of `total` (the remainder to the first).
fn xianan_lines(total: i64, sep: &str) -> String {
    let towns = ["浮山", "永安", "温泉", "向阳湖", "官埠桥", "横沟桥", "贺胜桥", "双溪桥", "马桥", "桂花"];
    let rest = total - 200 - 150;
    let mut lines = vec![format!("咸安区教育局{sep}机关{sep}200")];
    for (i, town) in towns.iter().enumerate() {
        let share = rest / 10 + if i == 0 { rest % 10 } else { 0 };
        lines.push(format!("{town}镇{sep}机关{sep}{share}"));
    }
    lines.push(format!("咸安区人民医院{sep}医院{sep}150"));
    lines.join("\n")
}

async fn textarea(page: &Page, css: &str) -> String {
    let script = "return document.querySelector(arguments[0]).value;";
    page.client.execute(script, vec![json!(css)]).await.unwrap().as_str().unwrap().to_owned()
}

const VERSIONS: &str =
    "query($u: ID!) { breakdowns(unitId: $u, year: 2020) { version status total surplus comment subUnits { name quota } } }";

#[tokio::test]
async fn xianan_breaks_its_1600_down_by_form_the_office_returns_it_then_accepts_the_uploaded_second_version()
{
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    let office_token = app.user_token("office", Role::Office, None).await;
    app.create_user("xianan", Role::Liaison, Some("咸安")).await;
    let xianan = app.unit_id("咸安").await;
    let liaison = browser.session().await;
    liaison.login(&app.address, "xianan", "/liaison").await;
    // 咸安 is a county: its home page leads to the breakdown of the year's quota.
    liaison.click_and_wait("#breakdown-link").await;
    assert_eq!(liaison.path().await, "/breakdowns?year=2020");
    assert_eq!(number(&liaison.text("#quota").await), 1600);
    assert!(liaison.has("#no-breakdown").await);
    liaison.screenshots("breakdown-empty").await;

    // 12 rows adding up to 1,500: refused with the shortfall, the lines kept, nothing stored.
    let before = app.snapshot().await;
    let short = xianan_lines(1500, "，");
    liaison.set_value("#breakdown-rows", &short).await;
    liaison.click_and_wait("#breakdown-submit").await;
    let refusal = liaison.text("#refusal").await;
    assert!(refusal.contains("合计 1500 人次") && refusal.contains("还差 100 人次"), "{refusal}");
    assert_eq!(textarea(&liaison, "#breakdown-rows").await.trim(), short);
    assert!(liaison.has("#no-breakdown").await);
    liaison.screenshots("breakdown-short").await;
    // A line with an unknown kind: said with its line number.
    liaison.set_value("#breakdown-rows", "咸安区教育局,机关,1000\n浮山镇,教会,650").await;
    liaison.click_and_wait("#breakdown-submit").await;
    assert!(liaison.text("#refusal").await.starts_with("第 2 行：未知的单位类别“教会”"));
    assert_eq!(app.snapshot().await, before, "a refused breakdown changes nothing");

    // 12 rows adding up to 1,650: submitted, 50 over the quota.
    liaison.set_value("#breakdown-rows", &xianan_lines(1650, ",")).await;
    liaison.click_and_wait("#breakdown-submit").await;
    assert_eq!(liaison.text("#flash").await, "分解计划已提交，等待市献血办审核。");
    assert_eq!(liaison.text("#latest-status").await, "待审核");
    assert_eq!(number(&liaison.text("#latest-total").await), 1650);
    assert_eq!(number(&liaison.text("#latest-surplus").await), 50);
    assert_eq!(liaison.text("#latest-rows tbody").await.lines().count(), 12);

    // The office: 咸安 in the overview, then returned with a comment.
    let office = browser.session().await;
    office.login(&app.address, "office", "/office/breakdowns?year=2020").await;
    let row = office.text(&format!("#holder-{xianan}")).await;
    assert!(row.contains("咸安") && row.contains("第 1 版") && row.contains("待审核"), "{row}");
    assert!(row.contains("1,600") && row.contains("1,650") && row.contains("+50"), "{row}");
    let counts = office.text("#breakdown-counts").await;
    assert!(counts.contains("已上报 1 个") && counts.contains("待审核 1 个"), "{counts}");
    office.screenshots("breakdown-overview").await;
    office.click_and_wait(&format!("#holder-{xianan} a")).await;
    let comment = "浮山镇人口较多，请把人民医院的 150 人次改到浮山镇";
    office.fill("#return-comment", comment).await;
    office.click_and_wait("#return-submit").await;
    assert_eq!(office.text("#latest-status").await, "已退回");
    assert!(!office.has("#accept-submit").await, "a returned version is not decided again");

    // The liaison sees the comment and uploads version 2: 1,600 exactly.
    liaison.goto(&format!("{}/breakdowns?year=2020", app.address)).await;
    assert_eq!(liaison.text("#latest-status").await, "已退回");
    assert_eq!(liaison.text("#office-comment").await, format!("市献血办退回意见：{comment}"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("咸安分解计划.csv");
    std::fs::write(&file, format!("二级单位,类别,计划人数\n{}\n", xianan_lines(1600, ","))).unwrap();
    liaison.choose_file("#breakdown-file", &file).await;
    liaison.click_and_wait("#breakdown-upload-submit").await;
    assert_eq!(liaison.text("#latest-status").await, "待审核");
    assert!(liaison.text("#latest h2").await.starts_with("第 2 版"));
    assert_eq!(number(&liaison.text("#latest-surplus").await), 0);
    let history = liaison.text("#history tbody").await;
    assert!(
        history.contains("第 1 版") && history.contains("已退回") && history.contains(comment),
        "{history}"
    );

    // The office accepts version 2; the liaison sees it accepted.
    office.goto(&format!("{}/office/breakdowns/{xianan}?year=2020", app.address)).await;
    office.click_and_wait("#accept-submit").await;
    assert_eq!(office.text("#flash").await, "已通过这份分解计划。");
    assert_eq!(office.text("#latest-status").await, "已通过");
    liaison.goto(&format!("{}/breakdowns?year=2020", app.address)).await;
    assert_eq!(liaison.text("#latest-status").await, "已通过");
    liaison.screenshots("breakdown-accepted").await;

    // The same versions over GraphQL: the pages wrote through the same services.
    let data = app.gql_ok_as(&office_token, VERSIONS, json!({ "u": xianan })).await;
    let versions = data["breakdowns"].as_array().unwrap();
    let summary: Vec<Value> =
        versions.iter().map(|v| json!([v["version"], v["status"], v["total"], v["surplus"]])).collect();
    assert_eq!(summary, [json!([2, "ACCEPTED", 1600, 0]), json!([1, "RETURNED", 1650, 50])]);
    assert_eq!(versions[1]["comment"], comment);
    assert_eq!(versions[0]["subUnits"][0], json!({ "name": "咸安区教育局", "quota": 200 }));
    assert_eq!(versions[0]["subUnits"].as_array().unwrap().len(), 12);
    liaison.close().await;
    office.close().await;
}

#[tokio::test]
async fn a_holder_not_asked_sees_no_link_and_no_form_and_a_liaison_cannot_open_the_office_pages() {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    app.create_user("hbust", Role::Liaison, Some("湖北科技学院")).await;
    let page = browser.session().await;
    page.login(&app.address, "hbust", "/liaison").await;
    assert!(!page.has("#breakdown-link").await, "a university row without 二级单位 is not asked");
    page.goto(&format!("{}/breakdowns?year=2020", app.address)).await;
    assert!(page.text("#holder-quota").await.contains("无需上报分解计划"));
    assert!(!page.has("#breakdown-form").await);
    page.goto(&format!("{}/office/breakdowns?year=2020", app.address)).await;
    assert!(!page.has("#breakdown-overview").await, "the overview is the office's");
    page.close().await;
}
