//! Every mutation (and every non-public query) × every role, with the exact answer each gets.
//! A mutation added to the schema without a row here fails `every_mutation_is_in_the_matrix`.
use std::collections::BTreeSet;

use bloodplan::domain::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app, TestApp, PASSWORD};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Allowed,
    Refused(&'static str),
}
use Outcome::{Allowed, Refused};

const UNAUTH: Outcome = Refused("UNAUTHENTICATED");
const FORBID: Outcome = Refused("FORBIDDEN");

/// Who asks: no token, or a fresh token of a user of this role.
#[derive(Clone, Copy, Debug)]
enum Caller {
    Anonymous,
    Office,
    Liaison,
    Station,
}
const CALLERS: [Caller; 4] = [Caller::Anonymous, Caller::Office, Caller::Liaison, Caller::Station];

/// Objects made beforehand, one per caller (indexed like `CALLERS`) where a row consumes one.
struct Fixture {
    hbust: String,
    victim: String,
    vehicle: String,
    to_cancel: Vec<String>,
    to_confirm: Vec<String>,
    to_reschedule: Vec<String>,
    to_mark_no_show: Vec<String>,
    blackouts: Vec<String>,
    to_record: Vec<String>,
    to_correct: Vec<String>,
    to_void: Vec<String>,
    /// A FAILED outbox message for the office to re-send.
    failed_message: String,
    /// Breakdown plans waiting for the office: one to accept (咸安's), one to return (嘉鱼's).
    to_accept: String,
    to_return: String,
    /// 通城, a county: asked for a breakdown.
    county: String,
}

/// A working day in March 2020 for each caller: week `week`, weekday `caller` (Mon–Thu).
fn day(week: u32, caller: usize) -> String {
    let start = chrono::NaiveDate::from_ymd_opt(2020, 3, 2).unwrap();
    (start + chrono::Days::new(u64::from(week) * 7 + caller as u64)).to_string()
}

struct Row {
    field: &'static str,
    mutation: bool,
    document: &'static str,
    variables: fn(&Fixture, usize) -> Value,
    /// Anonymous, office, liaison (of 湖北科技学院), station.
    expect: [Outcome; 4],
}

fn matrix() -> Vec<Row> {
    vec![
        Row {
            field: "login",
            mutation: true,
            document: "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }",
            variables: |_, _| json!({ "u": "matrix", "p": PASSWORD }),
            expect: [Allowed, Allowed, Allowed, Allowed],
        },
        Row {
            field: "logout",
            mutation: true,
            document: "mutation { logout }",
            variables: |_, _| json!({}),
            expect: [UNAUTH, Allowed, Allowed, Allowed],
        },
        Row {
            field: "createUser",
            mutation: true,
            document: "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
            variables: |_, who| json!({ "i": { "username": format!("made-by-{who}"), "password": PASSWORD, "role": "STATION" } }),
            expect: [UNAUTH, Allowed, FORBID, FORBID],
        },
        Row {
            field: "setUserDisabled",
            mutation: true,
            document: "mutation($id: ID!) { setUserDisabled(id: $id, disabled: false) { id } }",
            variables: |f, _| json!({ "id": f.victim }),
            expect: [UNAUTH, Allowed, FORBID, FORBID],
        },
        Row {
            field: "resetUserPassword",
            mutation: true,
            document: "mutation($id: ID!, $p: String!) { resetUserPassword(id: $id, password: $p) { id } }",
            variables: |f, _| json!({ "id": f.victim, "p": PASSWORD }),
            expect: [UNAUTH, Allowed, FORBID, FORBID],
        },
        Row {
            field: "updateUnitContact",
            mutation: true,
            document: "mutation($u: ID!) { updateUnitContact(unitId: $u, input: { name: \"张老师\", phone: \"13907151234\", email: \"z@hbust.edu.cn\" }) { id } }",
            variables: |f, _| json!({ "u": f.hbust }),
            expect: [UNAUTH, Allowed, Allowed, FORBID],
        },
        Row {
            field: "createVehicle",
            mutation: true,
            document: "mutation($n: String!) { createVehicle(input: { name: $n, capacityPerDay: 60 }) { id } }",
            variables: |_, who| json!({ "n": format!("鄂L矩阵{who}") }),
            expect: [UNAUTH, Allowed, FORBID, Allowed],
        },
        Row {
            field: "updateVehicle",
            mutation: true,
            document: "mutation($id: ID!) { updateVehicle(id: $id, input: { capacityPerDay: 60 }) { id } }",
            variables: |f, _| json!({ "id": f.vehicle }),
            expect: [UNAUTH, Allowed, FORBID, Allowed],
        },
        Row {
            field: "addVehicleBlackout",
            mutation: true,
            document: "mutation($v: ID!, $d: Date!) { addVehicleBlackout(vehicleId: $v, from: $d, to: $d, reason: \"保养\") { id } }",
            variables: |f, who| json!({ "v": f.vehicle, "d": day(30, who) }),
            expect: [UNAUTH, Allowed, FORBID, Allowed],
        },
        Row {
            field: "removeVehicleBlackout",
            mutation: true,
            document: "mutation($id: ID!) { removeVehicleBlackout(id: $id) }",
            variables: |f, who| json!({ "id": f.blackouts[who] }),
            expect: [UNAUTH, Allowed, FORBID, Allowed],
        },
        Row {
            field: "bookVisit",
            mutation: true,
            document: "mutation($u: ID!, $v: ID!, $d: Date!) { bookVisit(input: { unitId: $u, vehicleId: $v, date: $d, session: MORNING, expectedDonors: 20 }) { id } }",
            variables: |f, who| json!({ "u": f.hbust, "v": f.vehicle, "d": day(2, who) }),
            expect: [UNAUTH, Allowed, Allowed, FORBID],
        },
        Row {
            field: "publishSchedule",
            mutation: true,
            document: "mutation($u: ID!, $v: ID!, $d: Date!) { publishSchedule(input: { year: 2020, visits: [{ unitId: $u, vehicleId: $v, date: $d, session: AFTERNOON, expectedDonors: 20 }] }) { notifiedHolders } }",
            variables: |f, who| json!({ "u": f.hbust, "v": f.vehicle, "d": day(10, who) }),
            expect: [UNAUTH, Allowed, FORBID, FORBID],
        },
        Row {
            field: "confirmVisit",
            mutation: true,
            document: "mutation($id: ID!) { confirmVisit(id: $id) { id } }",
            variables: |f, who| json!({ "id": f.to_confirm[who] }),
            expect: [UNAUTH, Allowed, FORBID, FORBID],
        },
        Row {
            field: "cancelVisit",
            mutation: true,
            document: "mutation($id: ID!) { cancelVisit(id: $id, reason: \"改期\") { id } }",
            variables: |f, who| json!({ "id": f.to_cancel[who] }),
            expect: [UNAUTH, Allowed, Allowed, FORBID],
        },
        Row {
            field: "rescheduleVisit",
            mutation: true,
            document: "mutation($id: ID!, $d: Date!) { rescheduleVisit(id: $id, input: { date: $d, session: AFTERNOON }) { id } }",
            variables: |f, who| json!({ "id": f.to_reschedule[who], "d": day(7, who) }),
            expect: [UNAUTH, Allowed, Allowed, FORBID],
        },
        Row {
            field: "markVisitNoShow",
            mutation: true,
            document: "mutation($id: ID!) { markVisitNoShow(id: $id) { id } }",
            variables: |f, who| json!({ "id": f.to_mark_no_show[who] }),
            expect: [UNAUTH, Allowed, FORBID, Allowed],
        },
        Row {
            field: "recordCollection",
            mutation: true,
            document: "mutation($v: ID!, $d: Date!) { recordCollection(input: { visitId: $v, date: $d, bags200: 10, bags300: 5, bags400: 20, deferred: 3 }) { id } }",
            variables: |f, who| json!({ "v": f.to_record[who], "d": day(0, who) }),
            expect: [UNAUTH, Allowed, FORBID, Allowed],
        },
        Row {
            field: "correctCollection",
            mutation: true,
            document: "mutation($id: ID!, $u: ID!) { correctCollection(id: $id, expectedRevision: 1, reason: \"miscounted\", input: { unitId: $u, site: CENTRAL_STATION, date: \"2020-03-05\", bags200: 12 }) { id } }",
            variables: |f, who| json!({ "id": f.to_correct[who], "u": f.hbust }),
            expect: [UNAUTH, Allowed, FORBID, Allowed],
        },
        Row {
            field: "setUnitBookingOptions",
            mutation: true,
            document: "mutation($u: ID!) { setUnitBookingOptions(unitId: $u, acceptsWeekendVisits: true) { id } }",
            variables: |f, _| json!({ "u": f.hbust }),
            expect: [UNAUTH, Allowed, FORBID, FORBID],
        },
        Row {
            // 通城's breakdown: the liaison of 湖北科技学院 may not submit it.
            field: "submitBreakdown",
            mutation: true,
            document: "mutation($u: ID!) { submitBreakdown(unitId: $u, year: 2020, rows: [{ name: \"隽水镇\", quota: 2100, kind: GOVERNMENT }]) { id } }",
            variables: |f, _| json!({ "u": f.county }),
            expect: [UNAUTH, Allowed, FORBID, FORBID],
        },
        Row {
            // 通城's resident population: the office only.
            field: "setPopulation",
            mutation: true,
            document: "mutation($u: ID!) { setPopulation(year: 2020, unitId: $u, population: 415000) { population } }",
            variables: |f, _| json!({ "u": f.county }),
            expect: [UNAUTH, Allowed, FORBID, FORBID],
        },
        Row {
            // 通城's clinical use of January 2020: the office and the station.
            field: "recordClinicalUse",
            mutation: true,
            document: "mutation($u: ID!) { recordClinicalUse(year: 2020, month: 1, unitId: $u, usedMl: 600000, nonVoluntaryMl: 0) { usedMl } }",
            variables: |f, _| json!({ "u": f.county }),
            expect: [UNAUTH, Allowed, FORBID, Allowed],
        },
        Row {
            // 通城's breakdown as a file ("隽水镇,government,2100" in base64).
            field: "submitBreakdownFile",
            mutation: true,
            document: "mutation($u: ID!, $c: String!) { submitBreakdownFile(unitId: $u, year: 2020, fileName: \"通城.csv\", contentBase64: $c) { id } }",
            variables: |f, _| {
                use base64::Engine;
                let csv = "name,kind,quota\n隽水镇,government,2100\n";
                json!({ "u": f.county, "c": base64::engine::general_purpose::STANDARD.encode(csv) })
            },
            expect: [UNAUTH, Allowed, FORBID, FORBID],
        },
        Row {
            field: "acceptBreakdown",
            mutation: true,
            document: "mutation($id: ID!) { acceptBreakdown(id: $id) { id } }",
            variables: |f, _| json!({ "id": f.to_accept }),
            expect: [UNAUTH, Allowed, FORBID, FORBID],
        },
        Row {
            field: "returnBreakdown",
            mutation: true,
            document: "mutation($id: ID!) { returnBreakdown(id: $id, comment: \"请补充\") { id } }",
            variables: |f, _| json!({ "id": f.to_return }),
            expect: [UNAUTH, Allowed, FORBID, FORBID],
        },
        Row {
            field: "breakdowns",
            mutation: false,
            document: "query($u: ID!) { breakdowns(unitId: $u, year: 2020) { id } }",
            variables: |f, _| json!({ "u": f.hbust }),
            expect: [UNAUTH, Allowed, Allowed, Allowed],
        },
        Row {
            field: "setBreakdownDeadline",
            mutation: true,
            document: "mutation { setBreakdownDeadline(year: 2020, date: \"2020-03-31\") { dueOn } }",
            variables: |_, _| json!({}),
            expect: [UNAUTH, Allowed, FORBID, FORBID],
        },
        Row {
            field: "breakdownDeadline",
            mutation: false,
            document: "{ breakdownDeadline(year: 2020) { dueOn } }",
            variables: |_, _| json!({}),
            expect: [UNAUTH, Allowed, Allowed, Allowed],
        },
        Row {
            field: "breakdownOverview",
            mutation: false,
            document: "{ breakdownOverview(year: 2020) { totalCount } }",
            variables: |_, _| json!({}),
            expect: [UNAUTH, Allowed, FORBID, Allowed],
        },
        Row {
            // A draft of 2021 from 2020: it writes nothing, so every caller that may gets it.
            field: "copyPlan",
            mutation: true,
            document: "mutation { copyPlan(from: 2020, to: 2021) { year } }",
            variables: |_, _| json!({}),
            expect: [UNAUTH, Allowed, FORBID, FORBID],
        },
        Row {
            field: "yearOnYear",
            mutation: false,
            document: "{ yearOnYear(year: 2020, previous: 2020, first: 1) { totalCount } }",
            variables: |_, _| json!({}),
            expect: [UNAUTH, Allowed, FORBID, Allowed],
        },
        Row {
            field: "voidCollection",
            mutation: true,
            document: "mutation($id: ID!) { voidCollection(id: $id, reason: \"记错了单位\") { id } }",
            variables: |f, who| json!({ "id": f.to_void[who] }),
            expect: [UNAUTH, Allowed, FORBID, Allowed],
        },
        Row {
            field: "proposeSchedule",
            mutation: false,
            document: "{ proposeSchedule(year: 2020, from: \"2020-03-01\", to: \"2020-03-31\") { unplacedDonations } }",
            variables: |_, _| json!({}),
            expect: [UNAUTH, Allowed, FORBID, FORBID],
        },
        Row {
            field: "fulfilment",
            mutation: false,
            document: "{ fulfilment(year: 2020) { collectedDonations units { totalCount } } }",
            variables: |_, _| json!({}),
            expect: [UNAUTH, Allowed, Allowed, Allowed],
        },
        Row {
            field: "collections",
            mutation: false,
            document: "{ collections { totalCount } }",
            variables: |_, _| json!({}),
            expect: [UNAUTH, Allowed, Allowed, Allowed],
        },
        Row {
            field: "setTermCalendar",
            mutation: true,
            document: "mutation { setTermCalendar(input: { year: 2020, springStart: \"2020-02-24\", springEnd: \"2020-07-10\", autumnStart: \"2020-09-01\", autumnEnd: \"2021-01-15\" }) { year } }",
            variables: |_, _| json!({}),
            expect: [UNAUTH, Allowed, FORBID, FORBID],
        },
        Row {
            field: "setReminderRule",
            mutation: true,
            document: "mutation { setReminderRule(kind: TERM, offsets: [21, 7], enabled: true) { kind } }",
            variables: |_, _| json!({}),
            expect: [UNAUTH, Allowed, FORBID, FORBID],
        },
        Row {
            field: "resendMessage",
            mutation: true,
            document: "mutation($id: ID!) { resendMessage(id: $id) { id status } }",
            variables: |f, _| json!({ "id": f.failed_message }),
            expect: [UNAUTH, Allowed, FORBID, FORBID],
        },
        Row {
            field: "outbox",
            mutation: false,
            document: "{ outbox(first: 50, status: FAILED) { totalCount } }",
            variables: |_, _| json!({}),
            expect: [UNAUTH, Allowed, FORBID, FORBID],
        },
        Row {
            field: "reminderRules",
            mutation: false,
            document: "{ reminderRules { kind } }",
            variables: |_, _| json!({}),
            expect: [UNAUTH, Allowed, FORBID, FORBID],
        },
        Row {
            field: "termCalendar",
            mutation: false,
            document: "{ termCalendar(year: 2020) { year } }",
            variables: |_, _| json!({}),
            expect: [UNAUTH, Allowed, FORBID, FORBID],
        },
        Row {
            field: "visits",
            mutation: false,
            document: "{ visits { totalCount } }",
            variables: |_, _| json!({}),
            expect: [UNAUTH, Allowed, Allowed, Allowed],
        },
        Row {
            field: "availability",
            mutation: false,
            document: "{ availability(from: \"2020-03-02\", to: \"2020-03-06\") { date } }",
            variables: |_, _| json!({}),
            expect: [UNAUTH, Allowed, Allowed, Allowed],
        },
        Row {
            field: "rotateUnitCalendarUrl",
            mutation: true,
            document: "mutation($u: ID!) { rotateUnitCalendarUrl(unitId: $u) }",
            variables: |f, _| json!({ "u": f.hbust }),
            expect: [UNAUTH, Allowed, Allowed, FORBID],
        },
        Row {
            field: "rotateVehicleCalendarUrl",
            mutation: true,
            document: "mutation($v: ID!) { rotateVehicleCalendarUrl(vehicleId: $v) }",
            variables: |f, _| json!({ "v": f.vehicle }),
            expect: [UNAUTH, Allowed, FORBID, Allowed],
        },
        Row {
            field: "me",
            mutation: false,
            document: "{ me { id } }",
            variables: |_, _| json!({}),
            expect: [UNAUTH, Allowed, Allowed, Allowed],
        },
        Row {
            field: "users",
            mutation: false,
            document: "{ users { totalCount } }",
            variables: |_, _| json!({}),
            expect: [UNAUTH, Allowed, FORBID, FORBID],
        },
        Row {
            field: "unitContacts",
            mutation: false,
            document: "{ unitContacts { totalCount } }",
            variables: |_, _| json!({}),
            expect: [UNAUTH, Allowed, Allowed, Allowed],
        },
        Row {
            field: "auditLog",
            mutation: false,
            document: "{ auditLog { totalCount } }",
            variables: |_, _| json!({}),
            expect: [UNAUTH, Allowed, FORBID, FORBID],
        },
    ]
}

async fn token_for(app: &TestApp, caller: Caller) -> Option<String> {
    let username = match caller {
        Caller::Anonymous => return None,
        Caller::Office => "office",
        Caller::Liaison => "liaison",
        Caller::Station => "station",
    };
    Some(app.login(username).await)
}

#[tokio::test]
async fn every_mutation_and_private_query_answers_each_role_as_specified() {
    let app = spawn_app().await;
    app.create_user("office", Role::Office, None).await;
    app.create_user("liaison", Role::Liaison, Some("湖北科技学院")).await;
    app.create_user("station", Role::Station, None).await;
    app.create_user("matrix", Role::Station, None).await;
    let victim = app.create_user("victim", Role::Station, None).await.to_string();
    let office = app.login("office").await;
    let hbust = app.unit_id("湖北科技学院").await;
    let vehicle = app.create_vehicle(&office, "鄂L采血01").await;
    let book = |week: u32, who: usize| {
        let (app, office, hbust, vehicle) = (&app, &office, &hbust, &vehicle);
        async move { app.book(office, hbust, vehicle, &day(week, who), "MORNING", 20).await }
    };
    let mut fixture = Fixture {
        hbust: hbust.clone(),
        victim,
        vehicle: vehicle.clone(),
        to_cancel: Vec::new(),
        to_confirm: Vec::new(),
        to_reschedule: Vec::new(),
        to_mark_no_show: Vec::new(),
        blackouts: Vec::new(),
        to_record: Vec::new(),
        to_correct: Vec::new(),
        to_void: Vec::new(),
        failed_message: app.failed_message().await,
        to_accept: submitted_breakdown(&app, &office, "咸安", 1600).await,
        to_return: submitted_breakdown(&app, &office, "嘉鱼", 1500).await,
        county: app.unit_id("通城").await,
    };
    for who in 0..CALLERS.len() {
        fixture.to_cancel.push(book(3, who).await);
        fixture.to_confirm.push(book(4, who).await);
        fixture.to_reschedule.push(book(6, who).await);
        let no_show = book(0, who).await;
        app.gql_ok_as(
            &office,
            "mutation($id: ID!) { confirmVisit(id: $id) { id } }",
            json!({ "id": no_show }),
        )
        .await;
        fixture.to_mark_no_show.push(no_show);
        let to_record = app.book(&office, &hbust, &vehicle, &day(0, who), "AFTERNOON", 20).await;
        app.gql_ok_as(
            &office,
            "mutation($id: ID!) { confirmVisit(id: $id) { id } }",
            json!({ "id": to_record }),
        )
        .await;
        fixture.to_record.push(to_record);
        let blackout = app
            .gql_ok_as(
                &office,
                "mutation($v: ID!, $d: Date!) { addVehicleBlackout(vehicleId: $v, from: $d, to: $d, reason: \"年检\") { id } }",
                json!({ "v": vehicle, "d": day(31, who) }),
            )
            .await;
        fixture.blackouts.push(blackout["addVehicleBlackout"]["id"].as_str().unwrap().to_owned());
    }
    // The no-show visits (2020-03-02 to 05) are due once the clock reaches 03-06; every other
    // visit is still weeks away, beyond the liaison's cut-off.
    app.clock
        .set("2020-03-06T10:00:00+08:00".parse::<chrono::DateTime<chrono::FixedOffset>>().unwrap().into());
    let office = app.login("office").await;
    for _ in CALLERS {
        let made = app
            .gql_ok_as(
                &office,
                "mutation($u: ID!) { recordCollection(input: { unitId: $u, site: CENTRAL_STATION, date: \"2020-03-05\", bags200: 10 }) { id } }",
                json!({ "u": hbust }),
            )
            .await;
        fixture.to_correct.push(made["recordCollection"]["id"].as_str().unwrap().to_owned());
        let made = app
            .gql_ok_as(
                &office,
                "mutation($u: ID!) { recordCollection(input: { unitId: $u, site: DONATION_HOUSE, date: \"2020-03-05\", bags200: 3 }) { id } }",
                json!({ "u": hbust }),
            )
            .await;
        fixture.to_void.push(made["recordCollection"]["id"].as_str().unwrap().to_owned());
    }

    let mut failures = Vec::new();
    for row in matrix() {
        for (caller, expected) in CALLERS.into_iter().zip(row.expect) {
            let who = CALLERS.iter().position(|c| format!("{c:?}") == format!("{caller:?}")).unwrap();
            let variables = (row.variables)(&fixture, who);
            let answer = match token_for(&app, caller).await {
                Some(token) => app.gql_as(&token, row.document, variables).await,
                None => app.gql(row.document, variables).await,
            };
            let actual = match answer.get("errors") {
                None => Allowed,
                Some(_) => Refused(match error_code(&answer) {
                    Some("UNAUTHENTICATED") => "UNAUTHENTICATED",
                    Some("FORBIDDEN") => "FORBIDDEN",
                    other => {
                        failures.push(format!(
                            "{} as {caller:?}: unexpected error {other:?}: {answer}",
                            row.field
                        ));
                        continue;
                    }
                }),
            };
            if actual != expected {
                failures.push(format!("{} as {caller:?}: expected {expected:?}, got {actual:?}", row.field));
            }
        }
    }
    assert!(failures.is_empty(), "access matrix broken:\n{}", failures.join("\n"));
}

#[tokio::test]
async fn every_mutation_is_in_the_matrix() {
    let app = spawn_app().await;
    let schema = app.gql_ok("{ __schema { mutationType { fields { name } } } }", json!({})).await;
    let in_schema: BTreeSet<String> = schema["__schema"]["mutationType"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect();
    let in_matrix: BTreeSet<String> =
        matrix().iter().filter(|r| r.mutation).map(|r| r.field.to_owned()).collect();
    assert_eq!(in_schema, in_matrix, "add the new mutation to the access matrix");
}

/// A breakdown of `holder`'s `quota` submitted by the office, waiting for a decision.
async fn submitted_breakdown(app: &TestApp, office: &str, holder: &str, quota: i64) -> String {
    let unit = app.unit_id(holder).await;
    let made = app
        .gql_ok_as(
            office,
            "mutation($u: ID!, $q: Int!) { submitBreakdown(unitId: $u, year: 2020, rows: [{ name: \"一镇\", quota: $q, kind: GOVERNMENT }]) { id } }",
            json!({ "u": unit, "q": quota }),
        )
        .await;
    made["submitBreakdown"]["id"].as_str().unwrap().to_owned()
}
