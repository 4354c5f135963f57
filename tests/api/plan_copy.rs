//! A new year (`bloodplan plan copy`, `copyPlan`): the 2020 plan copied, imported as 2021,
//! equals 2020 holder by holder; importing it again changes nothing; a quota changed in the
//! copy shows year on year with its exact change.
use std::path::Path;

use bloodplan::domain::auth::Role;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};

use crate::helpers::{bloodplan_cli, error_code, spawn_app, TestApp};

const PLAN: &str = "query($y: Int!) { plan(year: $y) { warnings sections { kind printedTotal rowTotal unitCount } units(first: 500) { totalCount nodes { name section seq quota site note kind } } } }";
const SUBMIT: &str = "mutation($u: ID!, $rows: [SubUnitInput!]!) { submitBreakdown(unitId: $u, year: 2020, rows: $rows) { id } }";
const COPY: &str =
    "mutation($f: Int!, $t: Int!) { copyPlan(from: $f, to: $t) { from year files { name content } } }";
const YOY: &str = "query($o: Int) { yearOnYear(year: 2021, previous: 2020, first: 3, offset: $o) { totalCount hasNextPage nodes { unitName section quota previousQuota quotaChange collectedDonations previousCollectedDonations collectedChange } } }";

fn cli(app: &TestApp, args: &[&str]) -> (bool, String) {
    let out = bloodplan_cli(&app.database, args);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

async fn plan_of(app: &TestApp, year: i32) -> Value {
    app.gql_ok(PLAN, json!({ "y": year })).await["plan"].clone()
}

#[tokio::test]
async fn the_2020_plan_copied_and_imported_as_2021_equals_2020_holder_by_holder_and_a_second_import_changes_nothing(
) {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    // 咸安's accepted breakdown and 2020's term dates travel with the copy.
    let xianan = app.unit_id("咸安").await;
    let rows = json!([
        { "name": "咸安区教育局", "quota": 600, "kind": "GOVERNMENT" },
        { "name": "浮山街道", "quota": 1000, "kind": "GOVERNMENT" },
    ]);
    let submitted = app.gql_ok_as(&office, SUBMIT, json!({ "u": xianan, "rows": rows })).await;
    let id = submitted["submitBreakdown"]["id"].clone();
    app.gql_ok_as(&office, "mutation($id: ID!) { acceptBreakdown(id: $id) { id } }", json!({ "id": id }))
        .await;
    app.gql_ok_as(
        &office,
        "mutation { setTermCalendar(input: { year: 2020, springStart: \"2020-02-29\", springEnd: \"2020-07-10\", autumnStart: \"2020-09-01\", autumnEnd: \"2021-01-15\" }) { year } }",
        json!({}),
    )
    .await;

    let dir = tempfile::tempdir().unwrap();
    let draft = dir.path().join("2021");
    let (ok, out) =
        cli(&app, &["plan", "copy", "--from", "2020", "--to", "2021", "--out", draft.to_str().unwrap()]);
    assert!(ok, "{out}");
    let toml = read(&draft, "plan.toml");
    assert!(toml.contains("year = 2021") && toml.contains("CITY_UNIT = 8517"), "{toml}");
    assert!(
        toml.contains("spring_start = \"2021-02-28\"") && toml.contains("autumn_end = \"2022-01-15\""),
        "{toml}"
    );
    assert_eq!(
        read(&draft, "breakdowns.csv"),
        "holder,name,kind,quota\n咸安,咸安区教育局,government,600\n咸安,浮山街道,government,1000\n"
    );

    let (ok, out) = cli(&app, &["import", draft.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(out.contains("新建计划年度 2021") && out.contains("分解计划已导入 (已通过)：咸安"), "{out}");

    let (old, new) = (plan_of(&app, 2020).await, plan_of(&app, 2021).await);
    assert_eq!(new["units"]["totalCount"], 157);
    assert_eq!(new["units"]["nodes"], old["units"]["nodes"], "holder by holder");
    let sums: Vec<(i64, Option<i64>)> = new["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["rowTotal"].as_i64().unwrap(), s["printedTotal"].as_i64()))
        .collect();
    assert_eq!(sums, [(10_800, Some(10_800)), (8_417, Some(8_517)), (1_222, Some(1_222))]);
    assert_eq!(new["sections"], old["sections"]);
    // The printed-vs-rows warning of 2020, word for word.
    assert_eq!(new["warnings"], old["warnings"]);
    assert_eq!(new["warnings"].as_array().map(Vec::len), Some(1));
    assert!(new["warnings"][0].as_str().unwrap().contains("8417"), "{}", new["warnings"]);

    let carried = app
        .gql_ok_as(
            &office,
            "query($u: ID!) { breakdowns(unitId: $u, year: 2021) { version status quota total subUnits { name quota } } }",
            json!({ "u": xianan }),
        )
        .await;
    assert_eq!(
        carried["breakdowns"],
        json!([{ "version": 1, "status": "ACCEPTED", "quota": 1600, "total": 1600,
                 "subUnits": [{ "name": "咸安区教育局", "quota": 600 }, { "name": "浮山街道", "quota": 1000 }] }])
    );
    // Imported as accepted, its names are 咸安's sub-units of 2021, as if the office had
    // accepted it: 2021's fulfilment lists them.
    let subs_2021 = sub_units_of_xianan(&app, &office, 2021).await;
    let named: Vec<(&str, i64)> =
        subs_2021.iter().map(|s| (s["name"].as_str().unwrap(), s["quota"].as_i64().unwrap())).collect();
    assert_eq!(named, [("咸安区教育局", 600), ("浮山街道", 1000)]);
    let ids_2020: Vec<Value> =
        sub_units_of_xianan(&app, &office, 2020).await.iter().map(|s| s["id"].clone()).collect();
    assert!(subs_2021.iter().all(|s| !ids_2020.contains(&s["id"])), "a sub-unit is of one year");
    use bloodplan::db::entities::term_calendar;
    let terms = term_calendar::Entity::find()
        .filter(term_calendar::Column::Year.eq(2021))
        .order_by_asc(term_calendar::Column::UnitId)
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(terms.len(), 1);
    assert_eq!((terms[0].unit_id, terms[0].spring_start.to_string()), (0, "2021-02-28".to_owned()));

    // The copy imported again: nothing changes, not even the audit trail.
    let before = (app.snapshot().await, app.count("breakdown").await, app.count("term_calendar").await);
    let (ok, out) = cli(&app, &["import", draft.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(out.contains("未作任何修改"), "{out}");
    assert_eq!(
        (app.snapshot().await, app.count("breakdown").await, app.count("term_calendar").await),
        before
    );

    // 2021 now holds exactly the copy: copying again is allowed and gives the same folder.
    let again = dir.path().join("again");
    let (ok, out) =
        cli(&app, &["plan", "copy", "--from", "2020", "--to", "2021", "--out", again.to_str().unwrap()]);
    assert!(ok, "{out}");
    for name in ["plan.toml", "units.csv", "breakdowns.csv"] {
        assert_eq!(read(&again, name), read(&draft, name), "{name}");
    }
    // A folder that already holds a plan is not overwritten.
    let (ok, out) =
        cli(&app, &["plan", "copy", "--from", "2020", "--to", "2021", "--out", draft.to_str().unwrap()]);
    assert!(!ok && out.contains("未覆盖"), "{out}");

    // 咸安's liaison books a 2021 visit for 浮山街道: it shows in the sub-unit and in 咸安.
    let liaison = app.user_token("xianan", Role::Liaison, Some("咸安")).await;
    let station = app.user_token("station", Role::Station, None).await;
    let vehicle = app.create_vehicle(&station, "鄂L采血01").await;
    let fushan = subs_2021.iter().find(|s| s["name"] == "浮山街道").unwrap()["id"].clone();
    let booking = json!({ "i": { "unitId": xianan, "vehicleId": vehicle, "date": "2021-03-02",
                                 "session": "FULL_DAY", "expectedDonors": 40, "subUnitId": fushan } });
    let booked = app.gql_ok_as(&liaison, crate::helpers::BOOK, booking).await;
    assert_eq!(booked["bookVisit"]["status"], "REQUESTED");
    let subs = sub_units_of_xianan(&app, &liaison, 2021).await;
    let booked: Vec<(&str, i64)> =
        subs.iter().map(|s| (s["name"].as_str().unwrap(), s["bookedDonors"].as_i64().unwrap())).collect();
    assert_eq!(booked, [("咸安区教育局", 0), ("浮山街道", 40)]);
}

/// 咸安's sub-units in `year`'s fulfilment as of its first day, as `token` reads them.
async fn sub_units_of_xianan(app: &TestApp, token: &str, year: i32) -> Vec<Value> {
    let query = "query($y: Int!, $d: Date!) { fulfilment(year: $y, asOf: $d) { byCounty { name subUnits { id name quota bookedDonors } } } }";
    let data = app.gql_ok_as(token, query, json!({ "y": year, "d": format!("{year}-01-01") })).await;
    let counties = data["fulfilment"]["byCounty"].as_array().unwrap().clone();
    let xianan = counties.into_iter().find(|c| c["name"] == "咸安").expect("咸安 is a county");
    xianan["subUnits"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_quota_changed_in_the_copy_shows_year_on_year_with_its_exact_change() {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let station = app.user_token("station", Role::Station, None).await;
    let xianan = app.unit_id("咸安").await;
    app.gql_ok_as(
        &station,
        "mutation($u: ID!) { recordCollection(input: { unitId: $u, site: DONATION_HOUSE, date: \"2020-01-20\", bags200: 25, bags400: 5 }) { id } }",
        json!({ "u": xianan }),
    )
    .await;

    let copied = app.gql_ok_as(&office, COPY, json!({ "f": 2020, "t": 2021 })).await;
    let copied = &copied["copyPlan"];
    assert_eq!((copied["from"].as_i64(), copied["year"].as_i64()), (Some(2020), Some(2021)));
    let names: Vec<&str> =
        copied["files"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["plan.toml", "units.csv"]);
    let dir = tempfile::tempdir().unwrap();
    for f in copied["files"].as_array().unwrap() {
        let mut content = f["content"].as_str().unwrap().to_owned();
        if f["name"] == "units.csv" {
            assert!(content.contains("COUNTY,1,咸安,1600,"), "{content}");
            content = content.replace("COUNTY,1,咸安,1600,", "COUNTY,1,咸安,1700,");
        }
        std::fs::write(dir.path().join(f["name"].as_str().unwrap()), content).unwrap();
    }
    let (ok, out) = cli(&app, &["import", dir.path().to_str().unwrap()]);
    assert!(ok, "{out}");
    // The county section now adds up to 10,900 against the 10,800 printed in 2020.
    assert!(out.contains("各行计划人数之和为 10900，表中印刷的合计为 10800"), "{out}");

    let page = app.gql_ok_as(&office, YOY, json!({ "o": 0 })).await;
    let page = &page["yearOnYear"];
    assert_eq!((page["totalCount"].as_i64(), page["hasNextPage"].as_bool()), (Some(157), Some(true)));
    assert_eq!(
        page["nodes"][0],
        json!({ "unitName": "咸安", "section": "COUNTY", "quota": 1700, "previousQuota": 1600, "quotaChange": 100,
                "collectedDonations": 0, "previousCollectedDonations": 30, "collectedChange": -30 })
    );
    assert_eq!(
        page["nodes"][1],
        json!({ "unitName": "嘉鱼", "section": "COUNTY", "quota": 1500, "previousQuota": 1500, "quotaChange": 0,
                "collectedDonations": 0, "previousCollectedDonations": 0, "collectedChange": 0 })
    );
    // Every other holder is unchanged: the changes over all pages add up to 咸安's 100.
    let mut change = 0;
    let mut offset = 0;
    loop {
        let page = app.gql_ok_as(&office, YOY, json!({ "o": offset })).await;
        for n in page["yearOnYear"]["nodes"].as_array().unwrap() {
            change += n["quotaChange"].as_i64().unwrap();
        }
        offset += 3;
        if page["yearOnYear"]["hasNextPage"] != true {
            break;
        }
    }
    assert_eq!(change, 100);

    // 2021 now differs from 2020: it is not copied over.
    let refused = app.gql_as(&office, COPY, json!({ "f": 2020, "t": 2021 })).await;
    assert_eq!(error_code(&refused), Some("PLAN_YEAR_EXISTS"), "{refused:#}");
    let missing = app.gql_as(&office, COPY, json!({ "f": 2019, "t": 2022 })).await;
    assert_eq!(error_code(&missing), Some("NOT_FOUND"), "{missing:#}");

    // The office's page shows the same row.
    let page = app.page_as(&office, "/office/year-on-year?year=2021&previous=2020").await;
    assert!(page.contains("<td>咸安</td>") && page.contains("+100"), "{page}");
}
