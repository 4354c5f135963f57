//! The office's forms in a real headless Chromium, each checked against GraphQL or the
//! database: plan import by upload, the visit calendar (confirm many, move, cancel), the
//! station's correction and fixed-site record, and the dashboard's county row.
use bloodplan::domain::auth::Role;
use serde_json::{json, Value};

use crate::browser::{number, Browser};
use crate::helpers::{seeds_dir, spawn_app, TestApp};

fn at(t: &str) -> chrono::DateTime<chrono::Utc> {
    t.parse::<chrono::DateTime<chrono::FixedOffset>>().unwrap().into()
}

const COUNTIES: &str =
    "{ fulfilment(year: 2020) { byCounty { id name quota bookedDonors collectedDonations } } }";

async fn county(app: &TestApp, token: &str, name: &str) -> Value {
    let data = app.gql_ok_as(token, COUNTIES, json!({})).await;
    data["fulfilment"]["byCounty"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap().clone()
}

/// The 2020 table with 咸安's quota changed from 1600 to `quota`.
fn table_with_xianan(quota: &str) -> String {
    let seeds = std::fs::read_to_string(seeds_dir().join("2020/units.csv")).unwrap();
    assert!(seeds.contains("COUNTY,1,咸安,1600,"), "the seed table has 咸安 at 1600");
    seeds.replace("COUNTY,1,咸安,1600,", &format!("COUNTY,1,咸安,{quota},"))
}

/// The same table as an Excel workbook, numbers as numbers, with one row's quota spoiled.
fn xlsx_with_bad_quota(path: &std::path::Path, bad_line: usize) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, line) in table_with_xianan("1600").lines().enumerate() {
        for (c, cell) in line.split(',').enumerate() {
            let (row, col) = (r as u32, c as u16);
            match cell.parse::<f64>() {
                Ok(n) if r > 0 => sheet.write_number(row, col, n).map(|_| ()),
                _ => sheet.write_string(row, col, cell).map(|_| ()),
            }
            .unwrap();
        }
        if r + 1 == bad_line {
            sheet.write_string(r as u32, 3, "一千").unwrap();
        }
    }
    book.save(path).unwrap();
}

#[tokio::test]
async fn the_office_uploads_a_plan_table_sees_every_problem_or_change_first_and_only_apply_writes() {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    assert_eq!(county(&app, &office, "咸安").await["quota"], 1600);
    let dir = tempfile::tempdir().unwrap();
    let page = browser.session().await;
    page.login(&app.address, "office", "/office/import").await;
    page.screenshots("office-import").await;

    // A workbook with one bad cell: the problem with its row and column, and nothing written.
    let bad = dir.path().join("计划表.xlsx");
    xlsx_with_bad_quota(&bad, 5);
    let before = app.snapshot().await;
    page.set_value("#import-year", "2020").await;
    page.choose_file("#import-file", &bad).await;
    page.click_and_wait("#preview-submit").await;
    assert!(page.text("#import-refused").await.contains("未能导入"));
    let problems = page.text("#import-problems tbody").await;
    assert_eq!(page.text("#import-problems tbody .line").await, "第 5 行", "{problems}");
    assert_eq!(page.text("#import-problems tbody .column").await, "计划人数（quota）");
    assert!(page.text("#import-problems tbody .message").await.contains("一千"), "{problems}");
    assert!(!page.has("#apply-submit").await, "a table with problems cannot be applied");
    page.screenshots("office-import-problems").await;
    assert_eq!(app.snapshot().await, before, "a refused upload changes nothing");

    // A good table: the preview names the change and still writes nothing.
    let good = dir.path().join("units.csv");
    std::fs::write(&good, table_with_xianan("1700")).unwrap();
    page.goto(&format!("{}/office/import", app.address)).await;
    page.choose_file("#import-file", &good).await;
    page.click_and_wait("#preview-submit").await;
    let changes = page.text("#change-list").await;
    assert_eq!(
        changes.lines().collect::<Vec<_>>(),
        ["计划的印刷合计对照或警告有变化", "咸安：计划人数 1,600 → 1,700"],
        "the quota and the new warning, nothing else"
    );
    let warnings = page.text("#import-changes").await;
    assert!(
        warnings.contains("各县（市、区）：各行计划人数之和为 10900，表中印刷的合计为 10800"),
        "the county total no longer matches the printed one: {warnings}"
    );
    let totals = page.text("#import-totals").await;
    assert!(totals.contains("10,900") && totals.contains("8,417") && totals.contains("8,517"), "{totals}");
    page.screenshots("office-import-preview").await;
    assert_eq!(app.snapshot().await, before, "the preview writes nothing");
    assert_eq!(county(&app, &office, "咸安").await["quota"], 1600);

    page.click_and_wait("#apply-submit").await;
    assert!(page.text("#flash").await.contains("导入完成"));
    assert_eq!(page.text("#change-list .quota-change").await, "咸安：计划人数 1,600 → 1,700");
    assert_eq!(county(&app, &office, "咸安").await["quota"], 1700);
    let plan =
        app.gql_ok_as(&office, "{ plan(year: 2020) { documentNumber donationTarget } }", json!({})).await;
    assert_eq!(plan["plan"]["documentNumber"], "咸政办函〔2019〕83号", "the notice's figures stay");
    assert_eq!(plan["plan"]["donationTarget"], 24500);
    page.goto(&format!("{}/office", app.address)).await;
    let id = county(&app, &office, "咸安").await["id"].as_str().unwrap().to_owned();
    assert_eq!(number(&page.text(&format!("#county-{id} td:nth-child(2)")).await), 1700);

    // The same table again changes nothing.
    page.goto(&format!("{}/office/import", app.address)).await;
    page.choose_file("#import-file", &good).await;
    page.click_and_wait("#preview-submit").await;
    assert!(page.text("#no-change").await.contains("完全相同"));
    page.close().await;
}

const VISIT: &str = "query($id: ID!) { visit(id: $id) { date session status cancelReason } }";

async fn visit(app: &TestApp, token: &str, id: &str) -> Value {
    app.gql_ok_as(token, VISIT, json!({ "id": id })).await["visit"].clone()
}

#[tokio::test]
async fn the_office_confirms_many_moves_and_cancels_visits_in_the_calendar() {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let vehicle = app.create_vehicle(&office, "1号采血车").await;
    let hbust = app.unit_id("湖北科技学院").await;
    let xnvc = app.unit_id("咸宁职业技术学院").await;
    let xianan = app.unit_id("咸安").await;
    let first = app.book(&office, &hbust, &vehicle, "2020-02-10", "MORNING", 30).await;
    let second = app.book(&office, &xnvc, &vehicle, "2020-02-11", "MORNING", 25).await;
    let third = app.book(&office, &xianan, &vehicle, "2020-02-12", "MORNING", 20).await;

    let page = browser.session().await;
    page.login(&app.address, "office", "/office/calendar?view=week&date=2020-02-10").await;
    assert!(page.text("#confirm-many").await.contains("全选待确认（3）"));
    page.click(&format!("#pick-{first}")).await;
    page.click(&format!("#pick-{second}")).await;
    page.click_and_wait("#confirm-many-submit").await;
    assert_eq!(page.text("#flash").await, "所选采血活动已确认。");
    assert_eq!(visit(&app, &office, &first).await["status"], "CONFIRMED");
    assert_eq!(visit(&app, &office, &second).await["status"], "CONFIRMED");
    assert_eq!(visit(&app, &office, &third).await["status"], "REQUESTED", "only the ticked ones");

    page.click(&format!("#change-{third}")).await;
    page.set_value(&format!("#move-date-{third}"), "2020-02-13").await;
    page.client
        .find(fantoccini::Locator::Css(&format!("#move-session-{third}")))
        .await
        .unwrap()
        .select_by_value("AFTERNOON")
        .await
        .unwrap();
    page.click_and_wait(&format!("#move-{third}")).await;
    let moved = visit(&app, &office, &third).await;
    assert_eq!((moved["date"].as_str(), moved["session"].as_str()), (Some("2020-02-13"), Some("AFTERNOON")));
    let day = page.text("[data-date=\"2020-02-13\"]").await;
    assert!(day.contains("咸安") && day.contains("下午"), "the calendar shows it on its new day: {day}");

    page.click(&format!("#change-{second}")).await;
    page.fill(&format!("#cancel-reason-{second}"), "采血车检修").await;
    page.click_confirm_and_wait(&format!("#cancel-{second}")).await;
    let cancelled = visit(&app, &office, &second).await;
    assert_eq!(cancelled["status"], "CANCELLED");
    assert_eq!(cancelled["cancelReason"], "采血车检修");
    assert!(!page.has(&format!("[data-visit=\"{second}\"]")).await, "a cancelled visit leaves the calendar");
    page.screenshots("office-calendar-after-changes").await;
    page.goto(&format!("{}/office/calendar?view=month&date=2020-02-10", app.address)).await;
    page.screenshots("office-calendar-month-changed").await;
    // On a phone the month lists the days with visits, not a page of empty boxes.
    page.client.set_window_size(390, 844).await.unwrap();
    let shown = |css: &'static str| async {
        page.client.find(fantoccini::Locator::Css(css)).await.unwrap().is_displayed().await.unwrap()
    };
    assert!(shown("[data-date=\"2020-02-13\"]").await && shown("[data-date=\"2020-02-10\"]").await);
    assert!(!shown("[data-date=\"2020-02-14\"]").await, "an empty day is left out");
    assert_eq!(page.text("#phone-month-note").await, "手机上只列出有采血活动的日子。");
    page.client.set_window_size(1366, 768).await.unwrap();
    page.close().await;
}

#[tokio::test]
async fn the_station_corrects_a_collection_with_a_reason_and_records_a_fixed_site_and_the_dashboard_agrees() {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    app.create_user("station1", Role::Station, None).await;
    let vehicle = app.create_vehicle(&office, "1号采血车").await;
    let xianan = app.unit_id("咸安").await;
    let visit_id = app.book_confirmed(&office, &xianan, &vehicle, "2020-02-10", "MORNING", 30).await;
    // A later visit stays booked: the dashboard's 已预约 counts it.
    app.book(&office, &xianan, &vehicle, "2020-03-10", "MORNING", 25).await;
    app.clock.set(at("2020-02-10T17:00:00+08:00"));
    let office = app.login("office").await;

    let page = browser.session().await;
    page.login(&app.address, "station1", &format!("/station/visits/{visit_id}")).await;
    page.fill("#bags200", "10").await;
    page.fill("#bags400", "20").await;
    page.click_and_wait("#record-submit").await;
    assert!(page.text("#recorded-figures").await.contains("30 人次"));
    page.fill("#bags400", "25").await;
    page.fill("#reason", "漏记 5 袋 400 毫升").await;
    page.click_and_wait("#correct-submit").await;
    assert!(page.text("#recorded-figures").await.contains("35 人次，共 12000 毫升"));
    let station = app.login("station1").await;
    let records = app
        .gql_ok_as(
            &station,
            "query($v: ID!) { collections(visitId: $v) { nodes { donations volumeMl revision revisions { donations reason } } } }",
            json!({ "v": visit_id }),
        )
        .await;
    assert_eq!(
        records["collections"]["nodes"],
        json!([{ "donations": 35, "volumeMl": 12000, "revision": 2, "revisions": [
            { "donations": 30, "reason": null }, { "donations": 35, "reason": "漏记 5 袋 400 毫升" }] }])
    );

    page.goto(&format!("{}/station/fixed-site", app.address)).await;
    page.client
        .find(fantoccini::Locator::Css("#fixed-unit"))
        .await
        .unwrap()
        .select_by_value(&xianan)
        .await
        .unwrap();
    page.fill("#bags200", "7").await;
    page.fill("#bags400", "0").await;
    page.click_and_wait("#fixed-submit").await;
    assert_eq!(page.text("#flash").await, "固定点采血记录已保存。");
    page.screenshots("station-fixed-site-recorded").await;
    page.close().await;

    // The dashboard's county row is GraphQL's: 咸安 quota 1600, booked 25, collected 35 + 7.
    let figures = county(&app, &office, "咸安").await;
    assert_eq!(
        (figures["quota"].as_i64(), figures["bookedDonors"].as_i64(), figures["collectedDonations"].as_i64()),
        (Some(1600), Some(25), Some(42))
    );
    let page = browser.session().await;
    page.login(&app.address, "office", "/office").await;
    let row = format!("#county-{xianan}");
    assert!(page.text(&row).await.starts_with("咸安"));
    let cell = |n: usize| format!("{row} td:nth-child({n})");
    assert_eq!(number(&page.text(&cell(2)).await), figures["quota"].as_i64().unwrap());
    assert_eq!(number(&page.text(&cell(3)).await), figures["bookedDonors"].as_i64().unwrap());
    assert_eq!(
        number(&page.text(&format!("{row} .collected")).await),
        figures["collectedDonations"].as_i64().unwrap()
    );
    page.close().await;
}

#[test]
fn every_template_writes_chinese_with_full_width_punctuation() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web/templates");
    let han = |c: char| ('\u{4e00}'..='\u{9fff}').contains(&c) || "（）".contains(c);
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            // The words a reader sees: template code and HTML tags removed.
            let mut words = String::new();
            let mut depth = 0;
            let mut chars = line.chars().peekable();
            while let Some(c) = chars.next() {
                match (c, chars.peek()) {
                    ('{', Some('{' | '%')) => depth += 1,
                    ('}' | '%', Some('}')) if depth > 0 => {
                        depth -= 1;
                        chars.next();
                    }
                    ('<', _) if depth == 0 => depth += 1,
                    ('>', _) if depth > 0 => depth -= 1,
                    (c, _) if depth == 0 => words.push(c),
                    _ => {}
                }
            }
            let chars: Vec<char> = words.chars().filter(|c| *c != ' ').collect();
            for pair in chars.windows(2) {
                let half = |c: char| ",:;!?()".contains(c);
                if (han(pair[0]) && half(pair[1])) || (half(pair[0]) && han(pair[1])) {
                    found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                    break;
                }
            }
        }
    }
    assert!(found.is_empty(), "half-width punctuation in Chinese text:\n{}", found.join("\n"));
}
