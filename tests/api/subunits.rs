//! Sub-units (二级单位) in booking and fulfilment: a visit and its collection for one of
//! 咸安's sub-units show in the sub-unit, in 咸安, in the COUNTY section and in the city, each
//! equal to a recount; another holder's sub-unit is refused; a newer accepted version keeps
//! sub-units by name and shows a dropped one with its figures.
use bloodplan::domain::auth::Role;
use bloodplan::services::totals;
use serde_json::{json, Value};

use crate::breakdowns::xianan_rows;
use crate::collections::{at, RECORD};
use crate::helpers::{bloodplan_cli, error_code, spawn_app, TestApp, BOOK};

const SUBMIT: &str = "mutation($u: ID!, $rows: [SubUnitInput!]!) { submitBreakdown(unitId: $u, year: 2020, rows: $rows) { id } }";
const RETURN: &str = "mutation($id: ID!, $c: String!) { returnBreakdown(id: $id, comment: $c) { status } }";
const ACCEPT: &str = "mutation($id: ID!) { acceptBreakdown(id: $id) { status } }";
/// The issue's contract, as written.
const CONTRACT: &str = "{ fulfilment(year: 2020) { byCounty { name quota collectedDonations subUnits { name quota collectedDonations remaining behindSchedule } } } }";
const FIGURES: &str = "query($d: Date!) { fulfilment(year: 2020, asOf: $d) {
    quota collectedDonations bookedDonors
    bySection { kind quota collectedDonations bookedDonors }
    byCounty { id name quota collectedDonations bookedDonors
               subUnits { id name kind removed quota bookedDonors collectedDonations collectedVolumeMl remaining behindSchedule } }
    units(section: COUNTY, first: 1) { nodes { name subUnits { name collectedDonations } } } } }";

struct World {
    app: TestApp,
    office: String,
    liaison: String,
    xianan: String,
    vehicle: String,
}

async fn world() -> World {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let liaison = app.user_token("xianan", Role::Liaison, Some("咸安")).await;
    let station = app.user_token("station", Role::Station, None).await;
    let xianan = app.unit_id("咸安").await;
    let vehicle = app.create_vehicle(&station, "鄂L采血01").await;
    World { app, office, liaison, xianan, vehicle }
}

/// 咸安 submits `rows`, the office returns the first version with a comment and accepts the
/// second, as the issue tells it.
async fn accept_after_one_return(w: &World, rows: Value) {
    let vars = json!({ "u": w.xianan, "rows": rows });
    let first = w.app.gql_ok_as(&w.liaison, SUBMIT, vars.clone()).await;
    let comment = json!({ "id": first["submitBreakdown"]["id"], "c": "请把各乡镇卫生院单列。" });
    assert_eq!(w.app.gql_ok_as(&w.office, RETURN, comment).await["returnBreakdown"]["status"], "RETURNED");
    accept(w, rows).await;
}

/// 咸安 submits `rows` and the office accepts them.
async fn accept(w: &World, rows: Value) {
    let second = w.app.gql_ok_as(&w.liaison, SUBMIT, json!({ "u": w.xianan, "rows": rows })).await;
    let id = json!({ "id": second["submitBreakdown"]["id"] });
    assert_eq!(w.app.gql_ok_as(&w.office, ACCEPT, id).await["acceptBreakdown"]["status"], "ACCEPTED");
}

async fn figures(w: &World, token: &str, as_of: &str) -> Value {
    w.app.gql_ok_as(token, FIGURES, json!({ "d": as_of })).await["fulfilment"].clone()
}

fn county<'a>(f: &'a Value, name: &str) -> &'a Value {
    f["byCounty"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()
}

fn sub_unit<'a>(county: &'a Value, name: &str) -> &'a Value {
    county["subUnits"].as_array().unwrap().iter().find(|s| s["name"] == name).unwrap()
}

fn section<'a>(f: &'a Value, kind: &str) -> &'a Value {
    f["bySection"].as_array().unwrap().iter().find(|s| s["kind"] == kind).unwrap()
}

fn book_for(unit: &str, vehicle: &str, date: &str, expected: i32, sub_unit: &Value) -> Value {
    json!({ "i": { "unitId": unit, "vehicleId": vehicle, "date": date, "session": "FULL_DAY",
                   "expectedDonors": expected, "subUnitId": sub_unit } })
}

/// The kept totals of 2020 — holders' and sub-units' — equal a recount from the rows, and
/// `bloodplan recount` finds nothing to repair.
async fn assert_equal_to_a_recount(app: &TestApp) {
    let kept = totals::kept_sub_units_year(&app.db, 2020).await.unwrap();
    assert_eq!(kept, totals::count_sub_units_year(&app.db, 2020).await.unwrap());
    assert_eq!(
        totals::kept_year(&app.db, 2020).await.unwrap(),
        totals::count_year(&app.db, 2020).await.unwrap()
    );
    let recount = bloodplan_cli(&app.database, &["recount", "--year", "2020"]);
    assert!(recount.status.success(), "{}", String::from_utf8_lossy(&recount.stderr));
    assert_eq!(String::from_utf8_lossy(&recount.stdout), "", "nothing differed");
}

#[tokio::test]
async fn a_visit_and_its_collection_for_a_xianan_sub_unit_show_in_the_sub_unit_in_xianan_in_the_county_section_and_in_the_city(
) {
    let w = world().await;
    accept_after_one_return(&w, xianan_rows(1650)).await;

    // Before any visit: 咸安's 1,600 and its twelve sub-units' 1,650, in the breakdown's order.
    let before = figures(&w, &w.liaison, "2020-02-01").await;
    let xianan = county(&before, "咸安");
    assert_eq!(xianan["quota"], 1600);
    let subs = xianan["subUnits"].as_array().unwrap();
    assert_eq!(subs.len(), 12);
    assert_eq!(subs.iter().map(|s| s["quota"].as_i64().unwrap()).sum::<i64>(), 1650);
    assert_eq!(subs[0]["name"], "咸安区教育局");
    assert_eq!(subs[11]["name"], "咸安区人民医院");
    assert_eq!((subs[11]["kind"].as_str(), subs[11]["removed"].as_bool()), (Some("HOSPITAL"), Some(false)));
    assert!(county(&before, "嘉鱼")["subUnits"].as_array().unwrap().is_empty(), "no breakdown, no sub-units");
    let bureau = subs[0]["id"].clone();

    // The liaison books 30 donors for the education bureau; the booking shows in the bureau,
    // in 咸安, in the COUNTY section and in the city.
    let booked =
        w.app.gql_ok_as(&w.liaison, BOOK, book_for(&w.xianan, &w.vehicle, "2020-03-02", 30, &bureau)).await;
    let visit = booked["bookVisit"]["id"].as_str().unwrap().to_owned();
    let shown = w
        .app
        .gql_ok_as(
            &w.liaison,
            "query($id: ID!) { visit(id: $id) { subUnitId subUnitName } }",
            json!({ "id": visit }),
        )
        .await;
    assert_eq!(shown["visit"], json!({ "subUnitId": bureau, "subUnitName": "咸安区教育局" }));
    let f = figures(&w, &w.liaison, "2020-02-01").await;
    assert_eq!(sub_unit(county(&f, "咸安"), "咸安区教育局")["bookedDonors"], 30);
    assert_eq!(sub_unit(county(&f, "咸安"), "浮山镇")["bookedDonors"], 0);
    assert_eq!(county(&f, "咸安")["bookedDonors"], 30);
    assert_eq!(section(&f, "COUNTY")["bookedDonors"], 30);
    assert_eq!(f["bookedDonors"], 30);
    assert_equal_to_a_recount(&w.app).await;

    // The office confirms; a move keeps the sub-unit.
    w.app
        .gql_ok_as(&w.office, "mutation($id: ID!) { confirmVisit(id: $id) { id } }", json!({ "id": visit }))
        .await;
    let moved = w
        .app
        .gql_ok_as(
            &w.office,
            "mutation($id: ID!) { rescheduleVisit(id: $id, input: { date: \"2020-03-03\", session: FULL_DAY }) { date subUnitId } }",
            json!({ "id": visit }),
        )
        .await;
    assert_eq!(moved["rescheduleVisit"], json!({ "date": "2020-03-03", "subUnitId": bureau }));

    // On the day the station records 10 + 5 + 20 bags: 35 donations, 11,500 mL, which the
    // record takes from its visit's sub-unit.
    w.app.clock.set(at("2020-03-03T16:00:00+08:00"));
    let station = w.app.login("station").await;
    let input = json!({ "i": { "visitId": visit, "date": "2020-03-03", "bags200": 10, "bags300": 5, "bags400": 20 } });
    let recorded = w.app.gql_ok_as(&station, RECORD, input).await;
    let record = recorded["recordCollection"]["id"].as_str().unwrap().to_owned();
    let named = w
        .app
        .gql_ok_as(
            &station,
            "query($id: ID!) { collection(id: $id) { subUnitId subUnitName } }",
            json!({ "id": record }),
        )
        .await;
    assert_eq!(named["collection"], json!({ "subUnitId": bureau, "subUnitName": "咸安区教育局" }));

    let liaison = w.app.login("xianan").await;
    let f = figures(&w, &liaison, "2020-03-03").await;
    let xianan = county(&f, "咸安");
    let bureau_row = sub_unit(xianan, "咸安区教育局");
    assert_eq!(
        (
            &bureau_row["quota"],
            &bureau_row["bookedDonors"],
            &bureau_row["collectedDonations"],
            &bureau_row["collectedVolumeMl"],
            &bureau_row["remaining"],
        ),
        (&json!(200), &json!(0), &json!(35), &json!(11500), &json!(165))
    );
    // 3 March is day 63 of 366 (17.2 %); less the 10-point margin, a share under 7.2 % is
    // behind: the bureau's 35 of 200 (17.5 %) is not, the hospital's 0 of 150 is, and so is
    // 咸安's 35 of 1,600 (2.2 %) — the holders' own rule.
    assert_eq!(bureau_row["behindSchedule"], false);
    assert_eq!(sub_unit(xianan, "咸安区人民医院")["behindSchedule"], true);
    let others: i64 = xianan["subUnits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["collectedDonations"].as_i64().unwrap())
        .sum();
    assert_eq!(others, 35, "only the bureau collected");
    assert_eq!((&xianan["collectedDonations"], &xianan["bookedDonors"]), (&json!(35), &json!(0)));
    assert_eq!(section(&f, "COUNTY")["collectedDonations"], 35);
    assert_eq!((&f["collectedDonations"], &f["quota"]), (&json!(35), &json!(20439)));
    assert_eq!(
        f["units"]["nodes"][0]["subUnits"][0],
        json!({ "name": "咸安区教育局", "collectedDonations": 35 })
    );
    assert_equal_to_a_recount(&w.app).await;

    // The contract as the issue writes it (as of today, 3 March).
    let contract = w.app.gql_ok_as(&liaison, CONTRACT, json!({})).await;
    let xianan = county(&contract["fulfilment"], "咸安");
    assert_eq!((&xianan["quota"], &xianan["collectedDonations"]), (&json!(1600), &json!(35)));
    assert_eq!(
        xianan["subUnits"][0],
        json!({ "name": "咸安区教育局", "quota": 200, "collectedDonations": 35, "remaining": 165, "behindSchedule": false })
    );

    // A correction keeps the sub-unit; voiding the record takes it out of every level.
    let correct = json!({ "id": record, "rev": 1, "r": "少记了五袋",
        "i": { "visitId": visit, "date": "2020-03-03", "bags200": 15, "bags300": 5, "bags400": 20 } });
    w.app.gql_ok_as(&station, crate::collections::CORRECT, correct).await;
    let f = figures(&w, &liaison, "2020-03-03").await;
    assert_eq!(sub_unit(county(&f, "咸安"), "咸安区教育局")["collectedDonations"], 40);
    assert_eq!(f["collectedDonations"], 40);
    assert_equal_to_a_recount(&w.app).await;
    w.app
        .gql_ok_as(
            &station,
            "mutation($id: ID!) { voidCollection(id: $id, reason: \"录错\") { id } }",
            json!({ "id": record }),
        )
        .await;
    let f = figures(&w, &liaison, "2020-03-03").await;
    assert_eq!(sub_unit(county(&f, "咸安"), "咸安区教育局")["collectedDonations"], 0);
    assert_eq!(section(&f, "COUNTY")["collectedDonations"], 0);
    assert_equal_to_a_recount(&w.app).await;
}

#[tokio::test]
async fn a_sub_unit_of_another_holder_is_refused_and_a_holder_without_a_breakdown_books_as_before() {
    let w = world().await;
    accept(&w, xianan_rows(1600)).await;
    let before = figures(&w, &w.office, "2020-02-01").await;
    let bureau = sub_unit(county(&before, "咸安"), "咸安区教育局")["id"].clone();
    let jiayu = w.app.unit_id("嘉鱼").await;
    let jiayu_liaison = w.app.user_token("jiayu", Role::Liaison, Some("嘉鱼")).await;
    let visits_before = w.app.count("visit").await;

    // 嘉鱼 (no breakdown) cannot book for 咸安's bureau: not its liaison, not the office.
    for token in [&jiayu_liaison, &w.office] {
        let answer = w.app.gql_as(token, BOOK, book_for(&jiayu, &w.vehicle, "2020-03-02", 30, &bureau)).await;
        assert_eq!(error_code(&answer), Some("SUB_UNIT_MISMATCH"), "{answer:#}");
        let message = answer["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("不属于本单位 2020 年") && message.contains('，'), "{message}");
    }
    let unknown = w
        .app
        .gql_as(&w.liaison, BOOK, book_for(&w.xianan, &w.vehicle, "2020-03-02", 30, &json!("99999")))
        .await;
    assert_eq!(error_code(&unknown), Some("SUB_UNIT_MISMATCH"), "{unknown:#}");
    // 咸安's liaison books nothing for 嘉鱼, whatever sub-unit it names.
    let foreign =
        w.app.gql_as(&w.liaison, BOOK, book_for(&jiayu, &w.vehicle, "2020-03-02", 30, &bureau)).await;
    assert_eq!(error_code(&foreign), Some("FORBIDDEN"), "{foreign:#}");
    assert_eq!(w.app.count("visit").await, visits_before, "a refused booking writes nothing");

    // Without a sub-unit 嘉鱼 books and collects exactly as before.
    let visit = w.app.book_confirmed(&w.office, &jiayu, &w.vehicle, "2020-03-02", "FULL_DAY", 30).await;
    w.app.clock.set(at("2020-03-02T16:00:00+08:00"));
    let station = w.app.login("station").await;
    // Nor can its record name 咸安's bureau.
    let input =
        json!({ "i": { "visitId": visit, "date": "2020-03-02", "bags400": 12, "subUnitId": bureau } });
    let answer = w.app.gql_as(&station, RECORD, input).await;
    assert_eq!(error_code(&answer), Some("SUB_UNIT_MISMATCH"), "{answer:#}");
    let input = json!({ "i": { "visitId": visit, "date": "2020-03-02", "bags400": 12 } });
    let recorded = w.app.gql_ok_as(&station, RECORD, input).await;
    assert_eq!(recorded["recordCollection"]["donations"], 12);
    let f = figures(&w, &station, "2020-03-02").await;
    let jiayu_row = county(&f, "嘉鱼");
    assert_eq!((&jiayu_row["collectedDonations"], &jiayu_row["subUnits"]), (&json!(12), &json!([])));
    assert!(county(&f, "咸安")["subUnits"].as_array().unwrap().iter().all(|s| s["collectedDonations"] == 0));
    assert_eq!(f["collectedDonations"], 12);
    assert_eq!(w.app.count("sub_unit_month_total").await, 0, "nothing named a sub-unit");
    assert_equal_to_a_recount(&w.app).await;
}

#[tokio::test]
async fn a_newer_accepted_version_keeps_sub_units_by_name_and_shows_a_dropped_one_with_its_figures() {
    let w = world().await;
    accept(&w, xianan_rows(1650)).await;
    let before = figures(&w, &w.office, "2020-02-01").await;
    let fushan = sub_unit(county(&before, "咸安"), "浮山镇")["id"].clone();
    let bureau = sub_unit(county(&before, "咸安"), "咸安区教育局")["id"].clone();
    let visit =
        w.app.gql_ok_as(&w.liaison, BOOK, book_for(&w.xianan, &w.vehicle, "2020-03-02", 25, &fushan)).await;
    let visit = visit["bookVisit"]["id"].as_str().unwrap().to_owned();

    // Version 2 drops 浮山镇 (its share goes to a new 浮山镇卫生院) and raises the bureau.
    let mut rows = xianan_rows(1650);
    let list = rows.as_array_mut().unwrap();
    list.retain(|r| r["name"] != "浮山镇");
    list.push(json!({ "name": "浮山镇卫生院", "quota": 200, "kind": "HOSPITAL" }));
    list[0]["quota"] = json!(300);
    accept(&w, rows).await;

    let after = figures(&w, &w.office, "2020-02-01").await;
    let xianan = county(&after, "咸安");
    let kept = sub_unit(xianan, "咸安区教育局");
    assert_eq!((&kept["id"], &kept["quota"]), (&bureau, &json!(300)), "same identity, the new quota");
    let dropped = sub_unit(xianan, "浮山镇");
    assert_eq!(
        (&dropped["id"], &dropped["removed"], &dropped["quota"], &dropped["bookedDonors"], &dropped["kind"]),
        (&fushan, &json!(true), &json!(0), &json!(25), &Value::Null),
        "the dropped name keeps its booking, shown last"
    );
    let names: Vec<&str> =
        xianan["subUnits"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!((names.len(), names[11], names[12]), (13, "浮山镇卫生院", "浮山镇"));

    // New bookings cannot name it; the visit that did keeps it when moved.
    let answer =
        w.app.gql_as(&w.liaison, BOOK, book_for(&w.xianan, &w.vehicle, "2020-03-04", 25, &fushan)).await;
    assert_eq!(error_code(&answer), Some("SUB_UNIT_REMOVED"), "{answer:#}");
    let moved = w
        .app
        .gql_ok_as(
            &w.liaison,
            "mutation($id: ID!) { rescheduleVisit(id: $id, input: { date: \"2020-03-05\", session: MORNING }) { subUnitId } }",
            json!({ "id": visit }),
        )
        .await;
    assert_eq!(moved["rescheduleVisit"]["subUnitId"], fushan);
    assert_equal_to_a_recount(&w.app).await;
}

#[tokio::test]
async fn another_countys_liaison_sees_xianans_totals_but_not_its_sub_units() {
    let w = world().await;
    accept(&w, xianan_rows(1650)).await;
    let office_view = figures(&w, &w.office, "2020-02-01").await;
    let bureau = sub_unit(county(&office_view, "咸安"), "咸安区教育局")["id"].clone();
    w.app.gql_ok_as(&w.liaison, BOOK, book_for(&w.xianan, &w.vehicle, "2020-03-02", 30, &bureau)).await;
    let jiayu_liaison = w.app.user_token("jiayu", Role::Liaison, Some("嘉鱼")).await;
    let station = w.app.login("station").await;

    // 咸安's own liaison, the office and the station: the twelve sub-units, their quotas as
    // accepted (200, 130 for 浮山镇 … 150) and the bureau's 30 booked donors.
    let accepted: Vec<(String, i64)> = xianan_rows(1650)
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap().to_owned(), r["quota"].as_i64().unwrap()))
        .collect();
    assert_eq!((accepted.len(), &accepted[1]), (12, &("浮山镇".to_owned(), 130)));
    for token in [&w.liaison, &w.office, &station] {
        let f = figures(&w, token, "2020-02-01").await;
        let xianan = county(&f, "咸安");
        let shown: Vec<(String, i64)> = xianan["subUnits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["name"].as_str().unwrap().to_owned(), s["quota"].as_i64().unwrap()))
            .collect();
        assert_eq!(shown, accepted);
        let bureau_row = sub_unit(xianan, "咸安区教育局");
        assert_eq!((&bureau_row["bookedDonors"], &bureau_row["remaining"]), (&json!(30), &json!(200)));
    }

    // 嘉鱼's liaison: 咸安's totals, as everyone signed in sees every county's, and an empty
    // list of sub-units — they are 咸安's own breakdown.
    let f = figures(&w, &jiayu_liaison, "2020-02-01").await;
    let xianan = county(&f, "咸安");
    assert_eq!(
        (&xianan["quota"], &xianan["bookedDonors"], &xianan["subUnits"]),
        (&json!(1600), &json!(30), &json!([]))
    );
    assert_eq!(county(&f, "嘉鱼")["subUnits"], json!([]));
}

#[tokio::test]
async fn the_migration_gives_a_breakdown_imported_before_the_fix_its_sub_units_once() {
    use bloodplan::db::migrations::Migrator;
    use sea_orm::{ConnectionTrait, Statement};
    use sea_orm_migration::{MigratorTrait, SchemaManager};
    let w = world().await;
    accept(&w, xianan_rows(1650)).await;
    assert_eq!(w.app.count("sub_unit").await, 12);
    // As a plan import used to leave an accepted breakdown: no sub-units.
    let backend = w.app.db.get_database_backend();
    w.app.db.execute_raw(Statement::from_string(backend, "DELETE FROM sub_unit")).await.unwrap();
    assert!(county(&figures(&w, &w.office, "2020-02-01").await, "咸安")["subUnits"] == json!([]));

    let migration = Migrator::migrations()
        .into_iter()
        .find(|m| m.name() == "m20261202_001410_imported_sub_units")
        .expect("the migration is registered");
    let manager = SchemaManager::new(&w.app.db);
    migration.up(&manager).await.unwrap();
    let f = figures(&w, &w.office, "2020-02-01").await;
    let names: Vec<&str> = county(&f, "咸安")["subUnits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    let accepted = xianan_rows(1650);
    let expected: Vec<&str> =
        accepted.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, expected);
    migration.up(&manager).await.unwrap();
    assert_eq!(w.app.count("sub_unit").await, 12, "a name with an identity keeps it");
}
