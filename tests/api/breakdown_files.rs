//! Breakdown plans uploaded as a file (`submitBreakdownFile`): csv or xlsx, checked as the
//! plan import checks its rows, every problem with its line and column.
use base64::Engine;
use bloodplan::domain::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app, TestApp};

const UPLOAD: &str = "mutation($u: ID!, $f: String!, $c: String!) { submitBreakdownFile(unitId: $u, year: 2020, fileName: $f, contentBase64: $c) { status version quota total surplus subUnits { name kind quota } } }";

async fn upload(app: &TestApp, token: &str, unit: &str, file: &str, bytes: &[u8]) -> Value {
    let content = base64::engine::general_purpose::STANDARD.encode(bytes);
    app.gql_as(token, UPLOAD, json!({ "u": unit, "f": file, "c": content })).await
}

/// 咸安's sub-units as a workbook: the Chinese headings, quotas as numbers.
fn workbook(rows: &[(&str, &str, f64)]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["二级单位", "类别", "计划人数"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (r, (name, kind, quota)) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        sheet.write_string(r, 0, *name).unwrap();
        sheet.write_string(r, 1, *kind).unwrap();
        sheet.write_number(r, 2, *quota).unwrap();
    }
    book.save_to_buffer().unwrap()
}

#[tokio::test]
async fn a_county_uploads_its_breakdown_as_csv_or_xlsx_and_a_bad_file_names_each_line_and_column() {
    let app = spawn_app().await;
    let xianan = app.unit_id("咸安").await;
    let liaison = app.user_token("xianan", Role::Liaison, Some("咸安")).await;

    // Every problem at once, with its line and column; nothing is submitted.
    let bad = "二级单位,类别,计划人数\n咸安区教育局,机关,600\n浮山街道,机关,一千\n向阳湖镇,教会,200\n咸安区教育局,机关,100\n";
    let refused = upload(&app, &liaison, &xianan, "咸安分解计划.csv", bad.as_bytes()).await;
    assert_eq!(error_code(&refused), Some("BREAKDOWN_FILE_INVALID"), "{refused:#}");
    let message = refused["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("有 3 处问题"), "{message}");
    for located in ["第3行 quota列", "第4行 kind列", "第5行 name列"] {
        assert!(message.contains(located), "{located}: {message}");
    }
    assert!(message.contains("与第2行重复"), "{message}");
    assert_eq!(app.count("breakdown").await, 0);

    // The same sub-units, right, as CSV in GB18030 as a Chinese-locale spreadsheet saves it.
    let good = "二级单位,类别,计划人数\n咸安区教育局,机关,600\n浮山街道,机关,1000\n向阳湖镇,government,50\n";
    let (gb, _, _) = encoding_rs::GB18030.encode(good);
    let sent = upload(&app, &liaison, &xianan, "咸安分解计划.csv", &gb).await;
    let sent = &sent["data"]["submitBreakdownFile"];
    assert_eq!(
        (sent["status"].as_str(), sent["version"].as_i64(), sent["total"].as_i64(), sent["surplus"].as_i64()),
        (Some("SUBMITTED"), Some(1), Some(1650), Some(50)),
        "{sent:#}"
    );
    assert_eq!(sent["subUnits"][1], json!({ "name": "浮山街道", "kind": "GOVERNMENT", "quota": 1000 }));

    // A workbook: the second version; one that falls short is refused with its shortfall.
    let book = workbook(&[
        ("咸安区教育局", "机关", 600.0),
        ("浮山街道", "机关", 1000.0),
        ("咸安区人民医院", "医院", 100.0),
    ]);
    let second = upload(&app, &liaison, &xianan, "分解计划.xlsx", &book).await;
    let second = &second["data"]["submitBreakdownFile"];
    assert_eq!((second["version"].as_i64(), second["total"].as_i64()), (Some(2), Some(1700)), "{second:#}");
    assert_eq!(second["subUnits"][2], json!({ "name": "咸安区人民医院", "kind": "HOSPITAL", "quota": 100 }));
    let short =
        upload(&app, &liaison, &xianan, "分解计划.xlsx", &workbook(&[("咸安区教育局", "机关", 1500.0)]))
            .await;
    assert_eq!(error_code(&short), Some("BREAKDOWN_SHORT"), "{short:#}");
    assert!(short["errors"][0]["message"].as_str().unwrap().contains("还差 100 人次"), "{short:#}");

    // Another holder's liaison may not upload for 咸安; a file that is neither csv nor xlsx is refused.
    let other = app.user_token("jiayu", Role::Liaison, Some("嘉鱼")).await;
    let forbidden = upload(&app, &other, &xianan, "咸安.csv", good.as_bytes()).await;
    assert_eq!(error_code(&forbidden), Some("FORBIDDEN"), "{forbidden:#}");
    let wrong = upload(&app, &liaison, &xianan, "咸安.txt", good.as_bytes()).await;
    assert_eq!(error_code(&wrong), Some("BAD_INPUT"), "{wrong:#}");
    assert_eq!(app.count("breakdown").await, 2);
}
