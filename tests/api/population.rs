//! Donations per 1,000 residents and the supply balance (issue 14 items 3 and 4): the office
//! enters the residents of the six counties and the city, the station records collections and
//! the counties' clinical use, and fulfilment shows the rates and the balances.
use std::collections::BTreeMap;

use bloodplan::domain::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app, TestApp};

const SET: &str = "mutation($y: Int!, $u: ID, $p: Int!) { setPopulation(year: $y, unitId: $u, population: $p) { year unitId name population } }";
const USE: &str = "mutation($m: Int!, $u: ID!, $used: Int!, $nv: Int!) { recordClinicalUse(year: 2020, month: $m, unitId: $u, usedMl: $used, nonVoluntaryMl: $nv) { month unitName usedMl nonVoluntaryMl } }";
const RECORD: &str =
    "mutation($i: RecordCollectionInput!) { recordCollection(input: $i) { donations volumeMl } }";
const RATES: &str = "query($d: Date) { fulfilment(year: 2020, asOf: $d) { byCounty { id name quota collectedDonations population donationsPerThousand meetsDonationRateTarget } population donationsPerThousand targetDonationsPerThousand meetsDonationRateTarget } }";
const SUPPLY: &str = "query($d: Date) { fulfilment(year: 2020, asOf: $d) { supplyBalance { throughMonth usedMl nonVoluntaryMl voluntaryShare targetVoluntaryShare meetsVoluntaryTarget counties { county { name } collectedMl usedMl nonVoluntaryMl balanceMl inDeficit months { month collectedMl usedMl nonVoluntaryMl balanceMl } } } } }";

/// Resident populations picked for the tests, close to the 2020 census of Xianning's six
/// county-level divisions; they add up to the city's 2,540,000.
const RESIDENTS: [(&str, i64); 6] = [
    ("咸安", 540_000),
    ("嘉鱼", 320_000),
    ("赤壁", 480_000),
    ("通城", 415_000),
    ("崇阳", 420_000),
    ("通山", 365_000),
];
const CITY_RESIDENTS: i64 = 2_540_000;

/// Donation-house and central-station records of spring 2020: holder, site, date, bags of
/// 200, 300 and 400 mL. 崇阳 collects nothing; 湖北科技学院 (a city-level unit) counts only
/// for the city.
const COLLECTIONS: [(&str, &str, &str, i64, i64, i64); 8] = [
    ("咸安", "DONATION_HOUSE", "2020-03-10", 60, 0, 40),
    ("咸安", "DONATION_HOUSE", "2020-05-12", 0, 0, 77),
    ("嘉鱼", "DONATION_HOUSE", "2020-03-18", 45, 10, 20),
    ("赤壁", "DONATION_HOUSE", "2020-04-02", 100, 0, 20),
    ("赤壁", "DONATION_HOUSE", "2020-04-20", 30, 0, 30),
    ("通城", "DONATION_HOUSE", "2020-06-05", 0, 50, 50),
    ("通山", "DONATION_HOUSE", "2020-04-08", 20, 0, 10),
    ("湖北科技学院", "CENTRAL_STATION", "2020-03-03", 0, 0, 90),
];

struct Setup {
    app: TestApp,
    office: String,
    station: String,
    ids: BTreeMap<&'static str, String>,
}

/// The 2020 plan on 1 July 2020, with the spring's records in.
async fn setup() -> Setup {
    let app = spawn_app().await;
    app.clock
        .set("2020-07-01T09:00:00+08:00".parse::<chrono::DateTime<chrono::FixedOffset>>().unwrap().into());
    let office = app.user_token("office", Role::Office, None).await;
    let station = app.user_token("station", Role::Station, None).await;
    let mut ids = BTreeMap::new();
    for name in RESIDENTS.map(|(n, _)| n).into_iter().chain(["湖北科技学院"]) {
        ids.insert(name, app.unit_id(name).await);
    }
    for (holder, site, date, b200, b300, b400) in COLLECTIONS {
        let input = json!({ "unitId": ids[holder], "site": site, "date": date, "bags200": b200, "bags300": b300, "bags400": b400 });
        app.gql_ok_as(&station, RECORD, json!({ "i": input })).await;
    }
    Setup { app, office, station, ids }
}

/// Donations by holder.
type Donations = BTreeMap<&'static str, i64>;
/// Volume in mL by holder and month.
type Volume = BTreeMap<(&'static str, u32), i64>;

/// Donations and volume as the script records them.
fn scripted() -> (Donations, Volume) {
    let mut donations = BTreeMap::new();
    let mut volume = BTreeMap::new();
    for (holder, _, date, b200, b300, b400) in COLLECTIONS {
        let month: u32 = date[5..7].parse().unwrap();
        *donations.entry(holder).or_insert(0) += b200 + b300 + b400;
        *volume.entry((holder, month)).or_insert(0) += 200 * b200 + 300 * b300 + 400 * b400;
    }
    (donations, volume)
}

/// `answer` is `expected`, as far as the test client's JSON parser reads it: serde_json
/// without `float_roundtrip` may miss the server's shortest representation by an ulp.
fn same_rate(answer: &Value, expected: f64) -> bool {
    answer.as_f64().is_some_and(|a| (a - expected).abs() <= expected.abs() * 4.0 * f64::EPSILON)
}

async fn enter_populations(s: &Setup) {
    for (name, residents) in RESIDENTS {
        let vars = json!({ "y": 2020, "u": s.ids[name], "p": residents });
        let set = s.app.gql_ok_as(&s.office, SET, vars).await;
        assert_eq!(set["setPopulation"]["population"], residents);
        assert_eq!(set["setPopulation"]["name"], name);
    }
    let city = s.app.gql_ok_as(&s.office, SET, json!({ "y": 2020, "u": null, "p": CITY_RESIDENTS })).await;
    assert_eq!(
        city["setPopulation"],
        json!({ "year": 2020, "unitId": null, "name": "全市", "population": CITY_RESIDENTS })
    );
}

#[tokio::test]
async fn with_populations_entered_each_county_and_the_city_show_donations_times_1000_over_population() {
    let s = setup().await;
    let (donations, _) = scripted();

    // Before anything is entered: no population, no rate, but the notice's target.
    let before = s.app.gql_ok_as(&s.office, RATES, json!({ "d": "2020-06-30" })).await;
    let f = &before["fulfilment"];
    assert_eq!((f["population"].clone(), f["donationsPerThousand"].clone()), (Value::Null, Value::Null));
    assert_eq!(f["targetDonationsPerThousand"], 15);
    for county in f["byCounty"].as_array().unwrap() {
        assert_eq!(
            (county["population"].clone(), county["donationsPerThousand"].clone()),
            (Value::Null, Value::Null)
        );
    }

    enter_populations(&s).await;
    // A second entry replaces the first (咸安 corrected from a typo), audited with both.
    s.app.gql_ok_as(&s.office, SET, json!({ "y": 2020, "u": s.ids["咸安"], "p": 450_000 })).await;
    s.app.gql_ok_as(&s.office, SET, json!({ "y": 2020, "u": s.ids["咸安"], "p": 540_000 })).await;
    assert_eq!(s.app.count("county_population").await, 6);
    assert_eq!(s.app.count("city_population").await, 1);
    let audit = s
        .app
        .gql_ok_as(
            &s.office,
            "{ auditLog(entity: \"population\", first: 1) { nodes { entityId action before after } } }",
            json!({}),
        )
        .await;
    let last = &audit["auditLog"]["nodes"][0];
    assert_eq!(last["entityId"], format!("2020/{}", s.ids["咸安"]));
    assert_eq!(
        (last["action"].as_str(), last["before"]["population"].as_i64()),
        (Some("update"), Some(450_000))
    );
    assert_eq!(last["after"]["population"], 540_000);

    // Rates are read with one query of the populations, however many rows.
    let (answer, statements) =
        s.app.statements_of(s.app.gql_ok_as(&s.office, RATES, json!({ "d": "2020-06-30" }))).await;
    let population_reads = statements.iter().filter(|q| q.contains("county_population")).count();
    assert_eq!(population_reads, 1, "{statements:#?}");
    let f = &answer["fulfilment"];
    let counties = f["byCounty"].as_array().unwrap();
    assert_eq!(counties.len(), 6);
    for (county, (name, residents)) in counties.iter().zip(RESIDENTS) {
        let collected = donations.get(name).copied().unwrap_or(0);
        assert_eq!(county["name"], name);
        assert_eq!(county["collectedDonations"], collected, "{name}");
        assert_eq!(county["population"], residents, "{name}");
        let expected = collected as f64 * 1000.0 / residents as f64;
        assert!(same_rate(&county["donationsPerThousand"], expected), "{name}");
        assert_eq!(county["meetsDonationRateTarget"], false, "{name}: far below 15 per 1,000");
    }
    // 咸安: 177 donations among 540,000 residents; 崇阳 collected nothing: 0.
    assert!(same_rate(&counties[0]["donationsPerThousand"], 177.0 * 1000.0 / 540_000.0));
    assert!(same_rate(&counties[4]["donationsPerThousand"], 0.0));

    // The city: every collection of the year (湖北科技学院's 90 at the central station too).
    let city_donations: i64 = donations.values().sum();
    assert_eq!(city_donations, 177 + 75 + 180 + 100 + 30 + 90);
    assert_eq!(f["population"], CITY_RESIDENTS);
    assert!(same_rate(&f["donationsPerThousand"], city_donations as f64 * 1000.0 / CITY_RESIDENTS as f64));
    assert_eq!(f["targetDonationsPerThousand"], 15);
    assert_eq!(f["meetsDonationRateTarget"], false);
    // The target is the notice's, as the plan also states it.
    let plan = s.app.gql_ok("{ plan(year: 2020) { donationRatePerThousand } }", json!({})).await;
    assert_eq!(plan["plan"]["donationRatePerThousand"], f["targetDonationsPerThousand"]);

    // As of an earlier date the rates count the records up to it: 31 March.
    let march = s.app.gql_ok_as(&s.office, RATES, json!({ "d": "2020-03-31" })).await;
    let m = &march["fulfilment"];
    assert!(same_rate(&m["byCounty"][0]["donationsPerThousand"], 100.0 * 1000.0 / 540_000.0));
    assert!(same_rate(&m["donationsPerThousand"], (100.0 + 75.0 + 90.0) * 1000.0 / CITY_RESIDENTS as f64));
}

/// The station's months: (county, month, used mL, of which not voluntary).
const CLINICAL_USE: [(&str, i32, i64, i64); 5] = [
    ("咸安", 3, 30_000, 0),
    ("咸安", 5, 20_000, 0),
    ("赤壁", 4, 60_000, 0),
    ("通山", 4, 50_000, 2_000),
    ("嘉鱼", 6, 10_000, 0),
];

#[tokio::test]
async fn counties_in_supply_deficit_are_listed_first_with_their_exact_balances() {
    let s = setup().await;
    let (_, volume) = scripted();
    // 通山's April first entered wrong, then corrected: one row, both entries audited.
    let first = json!({ "m": 4, "u": s.ids["通山"], "used": 40_000, "nv": 5_000 });
    s.app.gql_ok_as(&s.station, USE, first).await;
    for (county, month, used, nv) in CLINICAL_USE {
        let vars = json!({ "m": month, "u": s.ids[county], "used": used, "nv": nv });
        let saved = s.app.gql_ok_as(&s.station, USE, vars).await;
        assert_eq!(saved["recordClinicalUse"]["unitName"], county);
        assert_eq!(saved["recordClinicalUse"]["usedMl"], used);
    }
    assert_eq!(s.app.count("clinical_use").await, 5);
    let audit = s
        .app
        .gql_ok_as(&s.office, "query($id: String) { auditLog(entity: \"clinical_use\", entityId: $id) { nodes { action before after } } }", json!({ "id": format!("2020-04/{}", s.ids["通山"]) }))
        .await;
    let entries = audit["auditLog"]["nodes"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(
        (entries[0]["action"].as_str(), entries[0]["before"]["usedMl"].as_i64()),
        (Some("update"), Some(40_000))
    );
    assert_eq!(entries[0]["after"]["nonVoluntaryMl"], 2_000);

    let answer = s.app.gql_ok_as(&s.office, SUPPLY, json!({ "d": "2020-06-30" })).await;
    let b = &answer["fulfilment"]["supplyBalance"];
    assert_eq!(b["throughMonth"], 6);
    let counties = b["counties"].as_array().unwrap();
    let order: Vec<&str> = counties.iter().map(|c| c["county"]["name"].as_str().unwrap()).collect();
    // In deficit, in table order: 嘉鱼, 赤壁, 通山; then 咸安 (in surplus), 通城 and 崇阳
    // (nothing recorded).
    assert_eq!(order, ["嘉鱼", "赤壁", "通山", "咸安", "通城", "崇阳"]);
    let deficit: Vec<bool> = counties.iter().map(|c| c["inDeficit"].as_bool().unwrap()).collect();
    assert_eq!(deficit, [true, true, true, false, false, false]);

    // Every recorded month: collected (from the script) − used.
    for c in counties {
        let name = c["county"]["name"].as_str().unwrap();
        let expected: Vec<Value> = CLINICAL_USE
            .iter()
            .filter(|(county, ..)| *county == name)
            .map(|&(_, month, used, nv)| {
                let collected = volume.get(&(name, month as u32)).copied().unwrap_or(0);
                json!({ "month": month, "collectedMl": collected, "usedMl": used, "nonVoluntaryMl": nv, "balanceMl": collected - used })
            })
            .collect();
        assert_eq!(c["months"], Value::Array(expected), "{name}");
    }
    let balances: Vec<(i64, i64, i64)> = counties
        .iter()
        .map(|c| {
            (
                c["collectedMl"].as_i64().unwrap(),
                c["usedMl"].as_i64().unwrap(),
                c["balanceMl"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        balances,
        [
            // 嘉鱼 collected in March, but only June is recorded: 0 − 10,000.
            (0, 10_000, -10_000),
            // 赤壁's April: 28,000 + 18,000 collected against 60,000 used.
            (46_000, 60_000, -14_000),
            (8_000, 50_000, -42_000),
            // 咸安: March −2,000 and May +10,800.
            (58_800, 50_000, 8_800),
            (0, 0, 0),
            (0, 0, 0),
        ]
    );
    // The city: 170,000 mL used, 2,000 of it not from voluntary donation, against 100 %.
    assert_eq!((b["usedMl"].as_i64(), b["nonVoluntaryMl"].as_i64()), (Some(170_000), Some(2_000)));
    assert!(same_rate(&b["voluntaryShare"], 168_000.0 / 170_000.0));
    assert_eq!(
        (b["targetVoluntaryShare"].as_f64(), b["meetsVoluntaryTarget"].as_bool()),
        (Some(1.0), Some(false))
    );

    // As of 31 March only March counts: 咸安 is the one county in deficit.
    let march = s.app.gql_ok_as(&s.office, SUPPLY, json!({ "d": "2020-03-31" })).await;
    let b = &march["fulfilment"]["supplyBalance"];
    assert_eq!(b["counties"][0]["county"]["name"], "咸安");
    assert_eq!(
        (b["counties"][0]["balanceMl"].as_i64(), b["counties"][0]["inDeficit"].as_bool()),
        (Some(-2_000), Some(true))
    );
    assert_eq!(b["counties"][1]["inDeficit"], false);
    assert_eq!((b["usedMl"].as_i64(), b["voluntaryShare"].as_f64()), (Some(30_000), Some(1.0)));
    assert_eq!(b["meetsVoluntaryTarget"], true);
}

#[tokio::test]
async fn refused_populations_and_clinical_use_get_coded_chinese_errors_and_change_nothing() {
    let s = setup().await;
    let liaison = s.app.user_token("xianan", Role::Liaison, Some("咸安")).await;
    let before = s.app.snapshot().await;
    let xianan = s.ids["咸安"].clone();
    let hbust = s.ids["湖北科技学院"].clone();
    let set = |u: Option<&str>, p: i64| json!({ "y": 2020, "u": u, "p": p });
    let cases: Vec<(&str, &str, Value, &str, &str)> = vec![
        ("office", SET, set(Some(xianan.as_str()), -540_000), "POPULATION_OUT_OF_RANGE", "常住人口"),
        ("office", SET, set(None, 0), "POPULATION_OUT_OF_RANGE", "常住人口"),
        ("office", SET, set(None, 100_000_001), "POPULATION_OUT_OF_RANGE", "常住人口"),
        ("office", SET, set(Some(hbust.as_str()), 100_000), "NOT_A_COUNTY", "不是 2020 年计划中的县(市、区)"),
        ("office", SET, set(Some("99999"), 100_000), "NOT_FOUND", "没有编号为 99999 的献血单位"),
        (
            "office",
            SET,
            json!({ "y": 2019, "u": null, "p": 2_540_000 }),
            "NOT_FOUND",
            "没有 2019 年的献血计划",
        ),
        ("liaison", SET, set(Some(xianan.as_str()), 540_000), "FORBIDDEN", "权限"),
        ("station", SET, set(None, 2_540_000), "FORBIDDEN", "权限"),
        (
            "station",
            USE,
            json!({ "m": 3, "u": xianan, "used": -1, "nv": 0 }),
            "VOLUME_OUT_OF_RANGE",
            "临床用血量",
        ),
        (
            "station",
            USE,
            json!({ "m": 3, "u": xianan, "used": 1_000, "nv": 1_001 }),
            "NON_VOLUNTARY_ABOVE_USED",
            "不能超过",
        ),
        ("station", USE, json!({ "m": 13, "u": xianan, "used": 1_000, "nv": 0 }), "BAD_INPUT", "月份"),
        (
            "station",
            USE,
            json!({ "m": 8, "u": xianan, "used": 1_000, "nv": 0 }),
            "MONTH_IN_FUTURE",
            "尚未开始",
        ),
        ("station", USE, json!({ "m": 3, "u": hbust, "used": 1_000, "nv": 0 }), "NOT_A_COUNTY", "县(市、区)"),
        ("station", USE, json!({ "m": 3, "u": "99999", "used": 1_000, "nv": 0 }), "NOT_FOUND", "献血单位"),
        ("liaison", USE, json!({ "m": 3, "u": xianan, "used": 1_000, "nv": 0 }), "FORBIDDEN", "权限"),
    ];
    for (who, document, vars, code, words) in cases {
        let token = match who {
            "office" => &s.office,
            "station" => &s.station,
            _ => &liaison,
        };
        let answer = s.app.gql_as(token, document, vars.clone()).await;
        assert_eq!(error_code(&answer), Some(code), "{who} {vars}: {answer:#}");
        let message = answer["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(words), "{who} {vars}: {message}");
    }
    assert_eq!(s.app.count("county_population").await, 0);
    assert_eq!(s.app.count("city_population").await, 0);
    assert_eq!(s.app.count("clinical_use").await, 0);
    assert_eq!(s.app.snapshot().await, before, "a refused write changes nothing, the audit trail included");
}

#[tokio::test]
async fn the_office_enters_a_population_and_the_station_a_months_clinical_use_by_form_and_graphql_agrees() {
    let Some(browser) = crate::browser::Browser::start().await else { return };
    let s = setup().await;
    s.app.create_user("station1", Role::Station, None).await;
    s.app.create_user("office1", Role::Office, None).await;
    let xianan = s.ids["咸安"].clone();

    let page = browser.session().await;
    page.login(&s.app.address, "office1", "/office/population").await;
    let row = format!("#rate-{xianan}");
    page.fill(&format!("{row} input[name=population]"), "540000").await;
    page.click_and_wait(&format!("{row} button")).await;
    assert_eq!(page.text("#flash").await, "常住人口已保存。");
    page.fill("#rate-city input[name=population]", "0").await;
    page.click_and_wait("#rate-city button").await;
    assert!(page.text("#refusal").await.contains("常住人口须为 1 到"), "a refusal names the rule");
    // 咸安's 177 donations among 540,000 residents: 0.33 per 1,000.
    assert_eq!(page.text(&format!("{row} .per-thousand")).await, "0.33");
    page.screenshots("office-population").await;
    page.close().await;

    let page = browser.session().await;
    page.login(&s.app.address, "station1", "/station/clinical-use").await;
    page.client
        .find(fantoccini::Locator::Css("#use-county"))
        .await
        .unwrap()
        .select_by_value(&xianan)
        .await
        .unwrap();
    page.client
        .find(fantoccini::Locator::Css("#use-month"))
        .await
        .unwrap()
        .select_by_value("3")
        .await
        .unwrap();
    page.fill("#use-used", "30000").await;
    page.fill("#use-non-voluntary", "0").await;
    page.click_and_wait("#use-submit").await;
    assert_eq!(page.text("#flash").await, "临床用血量已保存。");
    // 咸安 used 30,000 mL in March against 28,000 collected: in deficit, listed first.
    assert!(page.text("#supply tbody tr:first-child").await.starts_with("咸安"));
    assert_eq!(page.text("#supply tbody tr:first-child .balance").await, "-2,000");
    page.screenshots("station-clinical-use").await;
    page.close().await;

    let rates = s.app.gql_ok_as(&s.office, RATES, json!({ "d": "2020-06-30" })).await;
    assert_eq!(rates["fulfilment"]["byCounty"][0]["population"], 540_000);
    assert_eq!(rates["fulfilment"]["population"], Value::Null, "the refused city entry wrote nothing");
    let supply = s.app.gql_ok_as(&s.office, SUPPLY, json!({ "d": "2020-06-30" })).await;
    let first = &supply["fulfilment"]["supplyBalance"]["counties"][0];
    assert_eq!(
        first["months"],
        json!([{ "month": 3, "collectedMl": 28_000, "usedMl": 30_000, "nonVoluntaryMl": 0, "balanceMl": -2_000 }])
    );
}
