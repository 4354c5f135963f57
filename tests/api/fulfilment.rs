//! Fulfilment over a scripted spring: rollups to the donation and the millilitre, as-of
//! dates, the behind-schedule flag on both sides of its margin, and the exports.
use std::collections::HashMap;
use std::io::Cursor;

use bloodplan::domain::auth::Role;
use bloodplan::domain::Section;
use bloodplan::services::fulfilment;
use calamine::{Data, Reader, Xlsx};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

use crate::collections::{at, record, CORRECT, RECORD};
use crate::helpers::{bloodplan_cli, error_code, spawn_app, TestApp};

const FULFILMENT: &str = "query($asOf: Date) { fulfilment(year: 2020, asOf: $asOf) {
    asOf quota bookedDonors collectedDonations collectedVolumeMl donationTarget volumeTargetMl
    bySection { kind quota collectedDonations collectedVolumeMl }
    byCounty { name quota collectedDonations collectedVolumeMl }
    units(first: 500) { totalCount nodes { name section quota bookedDonors collectedDonations collectedVolumeMl remaining behindSchedule } } } }";

struct Year {
    app: TestApp,
    office: String,
    station: String,
    /// 市委办's record, to correct in the margin test.
    swb_record: String,
    swb_visit: String,
}

/// Spring 2020 as scripted: four holders in three sections collect; one visit is corrected,
/// one cancelled, one still to come.
async fn scripted_year() -> Year {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    app.create_user("station", Role::Station, None).await;
    let (a, b) =
        (app.create_vehicle(&office, "鄂L采血01").await, app.create_vehicle(&office, "鄂L采血02").await);
    let hbust = app.unit_id("湖北科技学院").await;
    let xianan = app.unit_id("咸安").await;
    let swb = app.unit_id("市委办").await;
    let redbull = app.unit_id("红牛维他命饮料(湖北)有限公司").await;
    let hbust_mon = app.book_confirmed(&office, &hbust, &a, "2020-03-02", "FULL_DAY", 60).await;
    let hbust_tue = app.book_confirmed(&office, &hbust, &a, "2020-03-03", "FULL_DAY", 50).await;
    let xianan_mon = app.book_confirmed(&office, &xianan, &b, "2020-03-02", "FULL_DAY", 40).await;
    let swb_wed = app.book_confirmed(&office, &swb, &b, "2020-03-04", "MORNING", 10).await;
    let redbull_wed = app.book_confirmed(&office, &redbull, &a, "2020-03-04", "FULL_DAY", 20).await;
    let cancelled = app.book_confirmed(&office, &xianan, &a, "2020-03-05", "FULL_DAY", 30).await;
    app.book_confirmed(&office, &hbust, &a, "2020-09-07", "FULL_DAY", 55).await;
    app.gql_ok_as(
        &office,
        "mutation($id: ID!) { cancelVisit(id: $id, reason: \"疫情推迟\") { id } }",
        json!({ "id": cancelled }),
    )
    .await;

    app.clock.set(at("2020-03-06T10:00:00+08:00"));
    let (office, station) = (app.login("office").await, app.login("station").await);
    let first = record(&app, &station, &hbust_mon, "2020-03-02", [10, 5, 20]).await;
    let mut fix = json!({ "id": first, "rev": 1, "r": "miscounted", "i": { "visitId": hbust_mon, "date": "2020-03-02", "bags200": 12, "bags300": 5, "bags400": 20, "deferred": 3 } });
    app.gql_ok_as(&station, CORRECT, fix.take()).await;
    record(&app, &station, &hbust_tue, "2020-03-03", [0, 0, 40]).await;
    record(&app, &station, &xianan_mon, "2020-03-02", [20, 0, 10]).await;
    let fixed_site = json!({ "i": { "unitId": xianan, "site": "DONATION_HOUSE", "date": "2020-03-05", "bags200": 5, "bags400": 5 } });
    app.gql_ok_as(&station, RECORD, fixed_site).await;
    let swb_record = record(&app, &station, &swb_wed, "2020-03-04", [0, 0, 4]).await;
    record(&app, &station, &redbull_wed, "2020-03-04", [0, 10, 0]).await;
    let refused = app
        .gql_as(&station, RECORD, crate::collections::visit_input(&cancelled, "2020-03-05", [30, 0, 0], 0))
        .await;
    assert_eq!(error_code(&refused), Some("VISIT_CANCELLED"));
    Year { app, office, station, swb_record, swb_visit: swb_wed }
}

fn unit<'a>(data: &'a Value, name: &str) -> &'a Value {
    data["fulfilment"]["units"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == name)
        .unwrap_or_else(|| panic!("{name} listed"))
}

fn figures(u: &Value) -> Value {
    json!([
        u["quota"],
        u["bookedDonors"],
        u["collectedDonations"],
        u["collectedVolumeMl"],
        u["remaining"],
        u["behindSchedule"]
    ])
}

#[tokio::test]
async fn the_scripted_spring_adds_up_per_holder_section_county_and_city_to_the_millilitre() {
    let Year { app, office, .. } = scripted_year().await;
    let data = app.gql_ok_as(&office, FULFILMENT, json!({ "asOf": null })).await;
    let f = &data["fulfilment"];
    assert_eq!(f["asOf"], "2020-03-06", "default: today");
    // quota, booked, donations, mL, remaining, behind (66/366 of the year gone: 18.0 %).
    assert_eq!(figures(unit(&data, "湖北科技学院")), json!([2800, 55, 77, 27_900, 2723, true]));
    assert_eq!(figures(unit(&data, "咸安")), json!([1600, 0, 40, 11_000, 1560, true]));
    assert_eq!(figures(unit(&data, "市委办")), json!([10, 0, 4, 1_600, 6, false]));
    assert_eq!(figures(unit(&data, "红牛维他命饮料(湖北)有限公司")), json!([100, 0, 10, 3_000, 90, false]));
    assert_eq!(
        figures(unit(&data, "嘉鱼")),
        json!([unit(&data, "嘉鱼")["quota"], 0, 0, 0, unit(&data, "嘉鱼")["quota"], true])
    );
    assert_eq!(
        f["bySection"],
        json!([
            { "kind": "COUNTY", "quota": 10_800, "collectedDonations": 40, "collectedVolumeMl": 11_000 },
            { "kind": "CITY_UNIT", "quota": 8_417, "collectedDonations": 81, "collectedVolumeMl": 29_500 },
            { "kind": "ENTERPRISE", "quota": 1_222, "collectedDonations": 10, "collectedVolumeMl": 3_000 },
        ])
    );
    let counties = f["byCounty"].as_array().unwrap();
    assert_eq!(counties.len(), 6);
    assert_eq!(
        counties[0],
        json!({ "name": "咸安", "quota": 1600, "collectedDonations": 40, "collectedVolumeMl": 11_000 })
    );
    assert_eq!(counties.iter().map(|c| c["quota"].as_i64().unwrap()).sum::<i64>(), 10_800);
    assert_eq!(
        [
            &f["quota"],
            &f["bookedDonors"],
            &f["collectedDonations"],
            &f["collectedVolumeMl"],
            &f["donationTarget"],
            &f["volumeTargetMl"]
        ],
        [&json!(20_439), &json!(55), &json!(131), &json!(43_500), &json!(24_500), &json!(9_000_000)]
    );
    let nodes = f["units"]["nodes"].as_array().unwrap();
    assert_eq!(f["units"]["totalCount"], 157);
    let sum = |field: &str| nodes.iter().map(|u| u[field].as_i64().unwrap()).sum::<i64>();
    assert_eq!((sum("quota"), sum("collectedDonations"), sum("collectedVolumeMl")), (20_439, 131, 43_500));

    let months = app
        .gql_ok_as(&office, "{ fulfilment(year: 2020) { monthly { month donations volumeMl } } }", json!({}))
        .await;
    let months = months["fulfilment"]["monthly"].as_array().unwrap().clone();
    assert_eq!(months.len(), 12);
    assert_eq!(months[2], json!({ "month": 3, "donations": 131, "volumeMl": 43_500 }));
    assert_eq!(months.iter().map(|m| m["donations"].as_i64().unwrap()).sum::<i64>(), 131);
    let hbust = app.unit_id("湖北科技学院").await;
    let own = app
        .gql_ok_as(
            &office,
            "query($u: ID) { fulfilment(year: 2020) { monthly(unitId: $u) { month donations volumeMl } } }",
            json!({ "u": hbust }),
        )
        .await;
    assert_eq!(own["fulfilment"]["monthly"][2], json!({ "month": 3, "donations": 77, "volumeMl": 27_900 }));
    assert_eq!(own["fulfilment"]["monthly"][3], json!({ "month": 4, "donations": 0, "volumeMl": 0 }));
}

#[tokio::test]
async fn as_of_a_date_the_figures_are_those_of_that_date() {
    let Year { app, office, .. } = scripted_year().await;
    let data = app.gql_ok_as(&office, FULFILMENT, json!({ "asOf": "2020-03-02" })).await;
    // Only the records dated 2 March count, the corrected one with its latest figures.
    assert_eq!(figures(unit(&data, "湖北科技学院")), json!([2800, 55, 37, 11_900, 2763, true]));
    assert_eq!(figures(unit(&data, "咸安")), json!([1600, 0, 30, 8_000, 1570, true]));
    assert_eq!(unit(&data, "市委办")["collectedDonations"], 0);
    assert_eq!(
        (&data["fulfilment"]["collectedDonations"], &data["fulfilment"]["collectedVolumeMl"]),
        (&json!(67), &json!(19_900))
    );
    let before = app.gql_ok_as(&office, FULFILMENT, json!({ "asOf": "2020-02-29" })).await;
    assert_eq!(before["fulfilment"]["collectedDonations"], 0);
    let monthly = app
        .gql_ok_as(
            &office,
            "{ fulfilment(year: 2020, asOf: \"2020-03-03\") { monthly { donations } } }",
            json!({}),
        )
        .await;
    assert_eq!(monthly["fulfilment"]["monthly"][2]["donations"], 37 + 40 + 30);
}

#[tokio::test]
async fn behind_schedule_switches_exactly_past_the_10_point_margin() {
    let Year { app, office, station, swb_record, swb_visit } = scripted_year().await;
    let query = "query($d: Date, $b: Boolean) { fulfilment(year: 2020, asOf: $d) { units(first: 500, behindSchedule: $b) { totalCount nodes { name behindSchedule } } } }";
    // 1 July is day 183 of 366: half the year. 4 of 10 is 40 %, exactly 10 points behind.
    let july1 = app.gql_ok_as(&office, query, json!({ "d": "2020-07-01", "b": false })).await;
    assert_eq!(
        july1["fulfilment"]["units"],
        json!({ "totalCount": 1, "nodes": [{ "name": "市委办", "behindSchedule": false }] })
    );
    // A day later the year is 50.27 % gone and 40 % trails it by more than 10 points.
    let july2 = app.gql_ok_as(&office, query, json!({ "d": "2020-07-02", "b": false })).await;
    assert_eq!(july2["fulfilment"]["units"]["totalCount"], 0);
    let behind = app.gql_ok_as(&office, query, json!({ "d": "2020-07-02", "b": true })).await;
    assert_eq!(behind["fulfilment"]["units"]["totalCount"], 157);
    // Corrected down to 3 of 10, 市委办 is behind on 1 July too.
    let vars = json!({ "id": swb_record, "rev": 1, "r": "重复录入一人", "i": { "visitId": swb_visit, "date": "2020-03-04", "bags400": 3 } });
    app.gql_ok_as(&station, CORRECT, vars).await;
    let corrected = app.gql_ok_as(&office, query, json!({ "d": "2020-07-01", "b": false })).await;
    assert_eq!(corrected["fulfilment"]["units"]["totalCount"], 0);
}

#[tokio::test]
async fn holders_sort_filter_and_page_by_share_section_kind_and_name() {
    let Year { app, office, .. } = scripted_year().await;
    let q = "query($o: FulfilmentOrderBy, $s: Section, $k: UnitKind, $n: String, $f: Int, $x: Int) { fulfilment(year: 2020) {
        units(orderBy: $o, section: $s, kind: $k, nameContains: $n, first: $f, offset: $x) { totalCount hasNextPage nodes { name } } } }";
    let names = |v: &Value| -> Vec<String> {
        v["fulfilment"]["units"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let top = app.gql_ok_as(&office, q, json!({ "o": "SHARE_DESC", "f": 4 })).await;
    assert_eq!(names(&top), ["市委办", "红牛维他命饮料(湖北)有限公司", "湖北科技学院", "咸安"]);
    let paged = app.gql_ok_as(&office, q, json!({ "o": "SHARE_DESC", "f": 2, "x": 1 })).await;
    assert_eq!(names(&paged), ["红牛维他命饮料(湖北)有限公司", "湖北科技学院"]);
    assert_eq!(paged["fulfilment"]["units"]["hasNextPage"], true);
    let remaining = app.gql_ok_as(&office, q, json!({ "o": "REMAINING_DESC", "f": 1 })).await;
    assert_eq!(names(&remaining), ["湖北科技学院"], "2,723 still to collect, the most of any holder");
    let enterprises = app.gql_ok_as(&office, q, json!({ "s": "ENTERPRISE", "f": 500 })).await;
    assert_eq!(enterprises["fulfilment"]["units"]["totalCount"], 29);
    let universities = app.gql_ok_as(&office, q, json!({ "k": "UNIVERSITY", "n": "科技", "f": 500 })).await;
    assert_eq!(names(&universities), ["湖北科技学院"]);
    let too_many = app.gql_as(&office, q, json!({ "f": 501 })).await;
    assert_eq!(error_code(&too_many), Some("BAD_INPUT"));
}

#[tokio::test]
async fn a_liaison_sees_their_own_holder_in_full_and_only_the_aggregates_of_others() {
    let Year { app, .. } = scripted_year().await;
    let liaison = app.user_token("hbust", Role::Liaison, Some("湖北科技学院")).await;
    let data = app.gql_ok_as(&liaison, FULFILMENT, json!({ "asOf": null })).await;
    let f = &data["fulfilment"];
    assert_eq!(f["units"]["totalCount"], 1);
    assert_eq!(figures(unit(&data, "湖北科技学院")), json!([2800, 55, 77, 27_900, 2723, true]));
    assert_eq!(f["collectedDonations"], 131, "the city total stays visible");
    assert_eq!(f["bySection"][1]["collectedDonations"], 81);
    let anonymous = app.gql(FULFILMENT, json!({ "asOf": null })).await;
    assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
}

/// The holder rows of every sheet but the summary, by name: [quota, booked, donations, mL, remaining].
fn xlsx_rows(bytes: Vec<u8>) -> (Vec<String>, HashMap<String, Vec<f64>>) {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).expect("a real xlsx");
    let sheets = book.sheet_names().to_vec();
    let mut rows = HashMap::new();
    for sheet in &sheets[1..] {
        let range = book.worksheet_range(sheet).expect("sheet");
        let mut lines = range.rows();
        let header = lines.next().unwrap();
        assert_eq!(header[2], Data::String("单位".into()));
        assert_eq!(header[5], Data::String("已采血人次".into()));
        // The holders, down to the section's totals rows (which have no 序号).
        for r in lines.take_while(|r| r[1] != Data::Empty) {
            let name = r[2].to_string();
            let numbers = [3, 4, 5, 6, 8]
                .iter()
                .map(|&c| match &r[c] {
                    Data::Float(f) => *f,
                    Data::Int(i) => *i as f64,
                    other => panic!("{name} column {c} is not a number: {other:?}"),
                })
                .collect();
            rows.insert(name, numbers);
        }
    }
    (sheets, rows)
}

fn graphql_rows(data: &Value) -> HashMap<String, Vec<f64>> {
    data["fulfilment"]["units"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            let n = |f: &str| u[f].as_f64().unwrap();
            (
                u["name"].as_str().unwrap().to_owned(),
                vec![
                    n("quota"),
                    n("bookedDonors"),
                    n("collectedDonations"),
                    n("collectedVolumeMl"),
                    n("remaining"),
                ],
            )
        })
        .collect()
}

#[tokio::test]
async fn the_xlsx_and_csv_exports_hold_the_numbers_of_the_graphql_answer() {
    let Year { app, office, station, .. } = scripted_year().await;
    let expected = graphql_rows(&app.gql_ok_as(&office, FULFILMENT, json!({ "asOf": "2020-03-06" })).await);
    let url = format!("{}/exports/fulfilment.xlsx?year=2020&asOf=2020-03-06", app.address);
    let response = app.client.get(&url).bearer_auth(&office).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let (sheets, rows) = xlsx_rows(response.bytes().await.unwrap().to_vec());
    assert_eq!(sheets, ["汇总", "各县(市、区)", "市直各单位", "企业"]);
    assert_eq!(rows.len(), 157);
    assert_eq!(rows, expected);
    assert_eq!(rows["湖北科技学院"], [2800.0, 55.0, 77.0, 27_900.0, 2723.0]);

    let csv_url = format!("{}/exports/fulfilment.csv?year=2020&asOf=2020-03-06", app.address);
    let body = app.client.get(&csv_url).bearer_auth(&office).send().await.unwrap().bytes().await.unwrap();
    assert!(body.starts_with(b"\xEF\xBB\xBF"), "a BOM so that Excel reads UTF-8");
    let mut reader = csv::Reader::from_reader(&body[3..]);
    assert_eq!(reader.headers().unwrap().get(2), Some("单位"));
    let mut csv_rows = HashMap::new();
    for record in reader.records() {
        let r = record.unwrap();
        if r[1].is_empty() {
            continue; // a section's totals
        }
        let numbers = [3, 4, 5, 6, 8].iter().map(|&c| r[c].parse::<f64>().unwrap()).collect::<Vec<_>>();
        csv_rows.insert(r[2].to_owned(), numbers);
    }
    assert_eq!(csv_rows, expected);

    let anonymous = app.client.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let forged = app.client.get(&url).bearer_auth("not-a-token").send().await.unwrap();
    assert_eq!(forged.status(), 401);
    let staff = app.client.get(&url).bearer_auth(&station).send().await.unwrap();
    assert_eq!(staff.status(), 403);
    let no_year = app
        .client
        .get(format!("{}/exports/fulfilment.csv", app.address))
        .bearer_auth(&office)
        .send()
        .await
        .unwrap();
    assert_eq!(no_year.status(), 400);
}

#[tokio::test]
async fn the_command_line_writes_the_same_xlsx() {
    let Year { app, office, .. } = scripted_year().await;
    let expected = graphql_rows(&app.gql_ok_as(&office, FULFILMENT, json!({ "asOf": "2020-03-06" })).await);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fulfilment-2020.xlsx");
    let args = [
        "export",
        "fulfilment",
        "--year",
        "2020",
        "--format",
        "xlsx",
        "--out",
        out.to_str().unwrap(),
        "--as-of",
        "2020-03-06",
    ];
    let run = bloodplan_cli(&app.database, &args);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let (_, rows) = xlsx_rows(std::fs::read(&out).unwrap());
    assert_eq!(rows, expected);
}

#[tokio::test]
async fn the_printed_total_and_its_difference_are_in_by_section_and_both_exports_with_totals_rows() {
    let Year { app, office, .. } = scripted_year().await;
    let data = app
        .gql_ok_as(
            &office,
            r#"{ fulfilment(year: 2020, asOf: "2020-03-06") { bySection { kind quota printedTotal difference collectedDonations } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        data["fulfilment"]["bySection"],
        json!([
            { "kind": "COUNTY", "quota": 10_800, "printedTotal": 10_800, "difference": 0, "collectedDonations": 40 },
            { "kind": "CITY_UNIT", "quota": 8_417, "printedTotal": 8_517, "difference": 100, "collectedDonations": 81 },
            { "kind": "ENTERPRISE", "quota": 1_222, "printedTotal": 1_222, "difference": 0, "collectedDonations": 10 },
        ])
    );

    let url = format!("{}/exports/fulfilment.xlsx?year=2020&asOf=2020-03-06", app.address);
    let bytes = app.client.get(&url).bearer_auth(&office).send().await.unwrap().bytes().await.unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let summary = book.worksheet_range("汇总").unwrap();
    let city = summary.rows().find(|r| r[0] == Data::String("市直各单位".into())).unwrap();
    assert_eq!(city[1], Data::Float(8_417.0));
    assert_eq!((&city[8], &city[9]), (&Data::Float(8_517.0), &Data::Float(100.0)));
    let notes: Vec<String> =
        summary.rows().map(|r| r[0].to_string()).filter(|t| t.starts_with("注：")).collect();
    assert_eq!(
        notes,
        ["注：市直各单位各行合计8417人次，通知印刷合计8517人次，相差100人次；本表按各行统计，未作更正。"]
    );
    let sheet = book.worksheet_range("市直各单位").unwrap();
    let rows: Vec<_> = sheet.rows().collect();
    let total = rows.iter().position(|r| r[2] == Data::String("合计".into())).expect("a 合计 row");
    assert_eq!(total, 123, "122 holders under the header");
    assert_eq!((&rows[total][3], &rows[total][5]), (&Data::Float(8_417.0), &Data::Float(81.0)));
    assert_eq!(
        (&rows[total + 1][2], &rows[total + 1][3]),
        (&Data::String("通知印刷合计".into()), &Data::Float(8_517.0))
    );
    assert_eq!(rows[total + 2][3], Data::Float(100.0));
    let county_sheet = book.worksheet_range("各县(市、区)").unwrap();
    let county_total = county_sheet.rows().find(|r| r[2] == Data::String("合计".into())).unwrap();
    assert_eq!((&county_total[3], &county_total[5]), (&Data::Float(10_800.0), &Data::Float(40.0)));

    let csv_url = format!("{}/exports/fulfilment.csv?year=2020&asOf=2020-03-06", app.address);
    let body = app.client.get(&csv_url).bearer_auth(&office).send().await.unwrap().bytes().await.unwrap();
    let mut reader = csv::Reader::from_reader(&body[3..]);
    let totals: Vec<(String, String, String)> = reader
        .records()
        .map(|r| r.unwrap())
        .filter(|r| r[1].is_empty())
        .map(|r| (r[0].to_owned(), r[2].to_owned(), r[3].to_owned()))
        .collect();
    let own = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
    assert_eq!(
        totals,
        [
            own("各县(市、区)", "合计", "10800"),
            own("各县(市、区)", "通知印刷合计", "10800"),
            own("各县(市、区)", "差额(印刷合计−各行合计)", "0"),
            own("市直各单位", "合计", "8417"),
            own("市直各单位", "通知印刷合计", "8517"),
            own("市直各单位", "差额(印刷合计−各行合计)", "100"),
            own("企业", "合计", "1222"),
            own("企业", "通知印刷合计", "1222"),
            own("企业", "差额(印刷合计−各行合计)", "0"),
        ]
    );
}

#[tokio::test]
async fn each_fulfilment_question_asks_the_database_only_what_it_needs() {
    let Year { app, office, .. } = scripted_year().await;
    let touches =
        |ran: &[String], table: &str| ran.iter().filter(|s| s.contains(table)).cloned().collect::<Vec<_>>();
    let listings =
        |ran: &[String]| touches(ran, "plan_quota").into_iter().filter(|s| s.contains("LIMIT")).count();

    // The city and the sections: one GROUP BY over the totals, no holder listed or counted.
    let query = "{ fulfilment(year: 2020) { quota collectedDonations bySection { kind collectedDonations behindCount } } }";
    let (data, ran) = app.statements_of(app.gql_ok_as(&office, query, json!({}))).await;
    assert_eq!(data["fulfilment"]["collectedDonations"], 131);
    assert_eq!(
        data["fulfilment"]["bySection"][1],
        json!({ "kind": "CITY_UNIT", "collectedDonations": 81, "behindCount": 121 })
    );
    let figures = touches(&ran, "holder_month_total");
    assert_eq!(figures.len(), 1, "one statement reads the totals: {ran:#?}");
    assert!(figures[0].contains("GROUP BY"), "{}", figures[0]);
    assert_eq!(listings(&ran), 0, "no holder listed: {ran:#?}");

    // A page sorted by share: cut by the database; counted only when the count is asked for.
    let page = "{ fulfilment(year: 2020) { units(first: 2, orderBy: SHARE_DESC) { hasNextPage nodes { name collectedDonations } } } }";
    let (data, ran) = app.statements_of(app.gql_ok_as(&office, page, json!({}))).await;
    assert_eq!(
        data["fulfilment"]["units"],
        json!({ "hasNextPage": true, "nodes": [
            { "name": "市委办", "collectedDonations": 4 },
            { "name": "红牛维他命饮料(湖北)有限公司", "collectedDonations": 10 },
        ] })
    );
    assert!(touches(&ran, "COUNT(").is_empty(), "nothing counted: {ran:#?}");
    assert_eq!(listings(&ran), 1, "{ran:#?}");
    let counted = "{ fulfilment(year: 2020) { units(first: 2, offset: 155, orderBy: SHARE_DESC) { totalCount hasNextPage nodes { name } } } }";
    let (data, ran) = app.statements_of(app.gql_ok_as(&office, counted, json!({}))).await;
    assert_eq!(data["fulfilment"]["units"]["totalCount"], 157);
    assert_eq!(data["fulfilment"]["units"]["hasNextPage"], false);
    assert_eq!(touches(&ran, "COUNT(").len(), 1, "{ran:#?}");
}

#[tokio::test]
async fn on_postgresql_an_answer_is_kept_per_snapshot_and_any_commit_renews_it() {
    let Year { app, office, .. } = scripted_year().await;
    let as_of = fulfilment::default_as_of(2020, app.clock.today());
    let scope = fulfilment::scope(&app.db, &app.state.answers, 2020, as_of, 10).await.unwrap();
    let first = fulfilment::sections(&app.db, &scope).await.unwrap();
    assert_eq!((first[0].section, first[0].progress.quota), (Section::County, 10_800));

    // A write committed outside every service (a bare SQL statement, as another process or a
    // database client would commit it).
    app.db
        .execute_unprepared("UPDATE plan_quota SET quota = quota + 5 WHERE unit_id = (SELECT id FROM unit WHERE name = '咸安')")
        .await
        .unwrap();

    // The scope names the snapshot it was made under, which does not hold the write: on
    // PostgreSQL the answer kept under it is served again (not recomputed, or it would show
    // the write); SQLite names no snapshot and asks the database again.
    let again = fulfilment::sections(&app.db, &scope).await.unwrap();
    let expected = if app.database.is_postgres() { 10_800 } else { 10_805 };
    assert_eq!(again[0].progress.quota, expected);
    assert_eq!(again[1].progress, first[1].progress);

    // Every request after the commit reads a newer snapshot: the write shows at once.
    let query = "{ fulfilment(year: 2020) { bySection { kind quota } } }";
    let after = app.gql_ok_as(&office, query, json!({})).await;
    assert_eq!(after["fulfilment"]["bySection"][0], json!({ "kind": "COUNTY", "quota": 10_805 }));
}
