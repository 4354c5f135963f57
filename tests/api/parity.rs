//! PostgreSQL answers like SQLite: input a column or a date type cannot hold is refused with
//! `BAD_INPUT` (never `INTERNAL`) on both, and nothing is written.
use bloodplan::domain::auth::Role;
use serde_json::json;

use crate::helpers::{bloodplan_cli, book_vars, error_code, spawn_app, BOOK};

#[tokio::test]
async fn long_texts_nul_bytes_far_dates_and_many_offsets_are_bad_input_on_both_backends() {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let liaison = app.user_token("hbust", Role::Liaison, Some("湖北科技学院")).await;
    let hbust = app.unit_id("湖北科技学院").await;
    let vehicle = app.create_vehicle(&office, "鄂L采血01").await;
    let before = app.snapshot().await;
    let offsets: Vec<i64> = (0..=90).collect();
    let mut nul_note = book_vars(&hbust, &vehicle, "2020-03-02", "MORNING", 30);
    nul_note["i"]["note"] = json!("停课\u{0}通知");
    let cases = [
        (
            "mutation($o: [Int!]!) { setReminderRule(kind: VISIT, offsets: $o, enabled: true) { kind } }",
            json!({ "o": offsets }),
        ),
        (
            "mutation($h: String!) { createVehicle(input: { name: \"鄂L采血09\", homeStation: $h }) { id } }",
            json!({ "h": "站".repeat(101) }),
        ),
        (
            "mutation($v: ID!, $r: String!) { addVehicleBlackout(vehicleId: $v, from: \"2020-03-09\", to: \"2020-03-09\", reason: $r) { id } }",
            json!({ "v": vehicle, "r": "修".repeat(201) }),
        ),
        (BOOK, nul_note),
        ("{ availability(from: \"-262143-01-01\", to: \"-262143-01-02\") { date } }", json!({})),
        (
            "query($f: Date!) { visits(from: $f) { totalCount } }",
            json!({ "f": "+262142-12-31" }),
        ),
        (
            "query($n: String) { plan(year: 2020) { units(nameContains: $n) { totalCount } } }",
            json!({ "n": "x".repeat(200_000) }),
        ),
    ];
    for (query, variables) in cases {
        let token = if query == BOOK { &liaison } else { &office };
        let answer = app.gql_as(token, query, variables).await;
        assert_eq!(error_code(&answer), Some("BAD_INPUT"), "{query}: {answer}");
    }
    let long_name = app
        .gql(
            "mutation($u: String!) { login(username: $u, password: \"whatever-it-is\") { token } }",
            json!({ "u": "u".repeat(100) }),
        )
        .await;
    assert_eq!(error_code(&long_name), Some("INVALID_CREDENTIALS"));
    assert_eq!(app.snapshot().await, before, "nothing was written");
}

#[tokio::test]
async fn percent_and_underscore_in_a_name_filter_match_themselves() {
    let app = spawn_app().await;
    let query = "query($n: String) { plan(year: 2020) { units(nameContains: $n) { totalCount } } }";
    for needle in ["%", "_", "学院%"] {
        let data = app.gql_ok(query, json!({ "n": needle })).await;
        assert_eq!(data["plan"]["units"]["totalCount"], 0, "{needle}");
    }
    let data = app.gql_ok(query, json!({ "n": "学院" })).await;
    assert!(data["plan"]["units"]["totalCount"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn a_plan_row_a_column_cannot_hold_is_reported_with_its_line_and_column() {
    let app = spawn_app().await;
    let before = app.snapshot().await;
    let dir = tempfile::tempdir().unwrap();
    let seed = crate::helpers::seeds_dir().join("2020");
    std::fs::copy(seed.join("plan.toml"), dir.path().join("plan.toml")).unwrap();
    let long = "单".repeat(201);
    std::fs::write(
        dir.path().join("units.csv"),
        format!("section,seq,name,quota,site,note,kind\nCITY_UNIT,1,市委办,10,献血单位,,government\nCITY_UNIT,2,{long},10,献血单位,,government\nCITY_UNIT,3,市政府办,10,献血单位,备\u{0}注,government\n"),
    )
    .unwrap();
    let out = bloodplan_cli(&app.database, &["import", dir.path().to_str().unwrap(), "--year", "2021"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("第3行 name列"), "{stderr}");
    assert!(stderr.contains("第4行 note列"), "{stderr}");
    assert!(!stderr.contains("INTERNAL") && !stderr.contains("database"), "{stderr}");
    assert_eq!(app.snapshot().await, before);
}

/// The rules hold below GraphQL: services called directly, as the web pages and the command
/// line call them, refuse a NUL byte and a far year with `BAD_INPUT` on both backends.
#[tokio::test]
async fn services_refuse_nul_bytes_and_far_years_whoever_calls_them() {
    use bloodplan::domain::visit::Session;
    use bloodplan::services::vehicles::{self, BlackoutInput};
    use bloodplan::services::visits::{self, BookingInput};
    use bloodplan::services::{accounts, ServiceError};
    use chrono::NaiveDate;

    let app = spawn_app().await;
    let token = app.user_token("office", Role::Office, None).await;
    let (office, _) = accounts::authenticate(&app.db, &app.clock, &token).await.unwrap().unwrap();
    let vehicle: i32 = app.create_vehicle(&token, "鄂L采血01").await.parse().unwrap();
    let hbust: i32 = app.unit_id("湖北科技学院").await.parse().unwrap();
    let before = app.snapshot().await;
    let far = NaiveDate::from_ymd_opt(-262_143, 1, 1).unwrap();
    let march = NaiveDate::from_ymd_opt(2020, 3, 2).unwrap();
    let booking = |date: NaiveDate, note: &str| BookingInput {
        sub_unit_id: None,
        unit_id: hbust.into(),
        vehicle_id: vehicle.into(),
        date,
        session: Session::Morning,
        expected_donors: 30,
        site_contact: None,
        note: Some(note.to_owned()),
        client_key: None,
        lead_time_override: None,
        day_override: None,
    };
    let s = &app.state;
    let bad_input = |result: Result<(), ServiceError>| match result {
        Err(ServiceError::BadInput(message)) => message,
        other => panic!("expected BAD_INPUT, got {other:?}"),
    };
    for input in [booking(march, "停课\u{0}通知"), booking(far, "")] {
        bad_input(visits::book_visit(&s.db, &s.clock, &s.booking, &office, input).await.map(|_| ()));
    }
    let today = s.clock.today();
    let message =
        bad_input(visits::availability(&s.db, &s.booking, today, far, far, None, None).await.map(|_| ()));
    assert!(message.contains("-262143"), "{message}");
    let blackout = BlackoutInput { from: far, to: march, reason: "检修".into() };
    bad_input(vehicles::add_blackout(&s.db, &s.clock, &office, vehicle.into(), blackout).await.map(|_| ()));
    let filter = visits::VisitFilter { from: Some(far), ..Default::default() };
    let page = bloodplan::services::Page::new(50, 0).unwrap();
    bad_input(visits::list_visits(&s.db, &office, &filter, page).await.map(|_| ()));
    assert_eq!(app.count("visit").await, 0);
    assert_eq!(app.snapshot().await, before, "nothing was written");
}

/// A plan file's own fields obey the same rules as its rows: a NUL byte in the title and a
/// far issue date are reported by field, and nothing is written.
#[tokio::test]
async fn a_plan_file_with_a_nul_in_its_title_and_a_far_issue_date_is_reported_by_field() {
    let app = spawn_app().await;
    let before = app.snapshot().await;
    let dir = tempfile::tempdir().unwrap();
    let seed = crate::helpers::seeds_dir().join("2020");
    std::fs::copy(seed.join("units.csv"), dir.path().join("units.csv")).unwrap();
    let manifest = std::fs::read_to_string(seed.join("plan.toml"))
        .unwrap()
        .replace("year = 2020", "year = 2022")
        .replace("issued_on = \"2019-12-25\"", "issued_on = \"-262143-01-01\"")
        .replace("title = \"2020年", "title = \"2022\\u0000年");
    std::fs::write(dir.path().join("plan.toml"), manifest).unwrap();
    let out = bloodplan_cli(&app.database, &["import", dir.path().to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("plan.toml issued_on列") && stderr.contains("-262143"), "{stderr}");
    assert!(stderr.contains("plan.toml title列: 标题不能包含 NUL 字符"), "{stderr}");
    assert!(!stderr.contains("INTERNAL") && !stderr.contains("database"), "{stderr}");
    assert_eq!(app.snapshot().await, before);
}
