//! Plan reads (issue 13 item 3): the published plan is served from each process's memory,
//! and no process serves it stale after another one imports; the table order comes from the
//! stored section rank, which an index serves.
use std::process::Child;

use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::crash::{add_office_user, post, serve, until_up};
use crate::helpers::{bloodplan_cli, fresh_database, seeds_dir, spawn_app, PASSWORD};

/// Kills the `serve` process when the test ends, also when it fails.
struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

const FIGURES: &str = "{ plan(year: 2020) { sections { kind rowTotal } units(first: 500) { totalCount nodes { name quota kind } } } }";

/// The quota and kind of `name`, and the counties' total, as `url` serves them.
async fn figures(client: &reqwest::Client, url: &str, name: &str) -> (i64, String, i64) {
    let answer = post(client, url, None, FIGURES, json!({})).await.expect("an answer");
    assert!(answer.get("errors").is_none(), "{answer:#}");
    let plan = &answer["data"]["plan"];
    assert_eq!(plan["units"]["totalCount"], 157);
    let nodes = plan["units"]["nodes"].as_array().unwrap();
    let row = nodes.iter().find(|n| n["name"] == name).unwrap_or_else(|| panic!("{name} is in the plan"));
    let counties = &plan["sections"][0];
    assert_eq!(counties["kind"], "COUNTY");
    (
        row["quota"].as_i64().unwrap(),
        row["kind"].as_str().unwrap().to_owned(),
        counties["rowTotal"].as_i64().unwrap(),
    )
}

/// Imports `rows` as the 2020 plan through the web app of the server at `base`, as the
/// office clerk does: sign in, take the page's CSRF token, apply.
async fn import_through_web(base: &str, rows: &str) {
    let client = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
    let r = client
        .post(format!("{base}/login"))
        .form(&[("username", "office"), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "login redirects");
    let set = r.headers().get(SET_COOKIE).expect("a session cookie").to_str().unwrap();
    let cookie = set.split(';').next().unwrap().to_owned();
    let page = client.get(format!("{base}/office/import")).header(COOKIE, &cookie).send().await.unwrap();
    let page = page.text().await.unwrap();
    let at = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + "name=\"csrf\" value=\"".len();
    let csrf = page[at..at + 64].to_owned();
    let r = client
        .post(format!("{base}/office/import/apply"))
        .header(COOKIE, &cookie)
        .form(&[("csrf", csrf.as_str()), ("year", "2020"), ("file_name", "units.csv"), ("rows", rows)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let applied = r.text().await.unwrap();
    assert!(applied.contains("咸安：计划人数 1,600 → 1,700"), "{applied}");
}

/// A plan folder: the 2020 notice's figures with `rows` as its table.
fn plan_folder(rows: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(seeds_dir().join("2020/plan.toml"), dir.path().join("plan.toml")).unwrap();
    std::fs::write(dir.path().join("units.csv"), rows).unwrap();
    dir
}

#[tokio::test]
async fn an_import_committed_by_one_serve_process_is_read_at_once_through_another() {
    let database = fresh_database().await;
    let client = reqwest::Client::new();
    // A migrates and seeds the 2020 plan; B starts on the same database once A is up.
    let (a, url_a) = serve(&database);
    let _a = Serving(a);
    until_up(&client, &url_a).await;
    let (b, url_b) = serve(&database);
    let _b = Serving(b);
    until_up(&client, &url_b).await;
    add_office_user(&database);

    // Both processes have read the plan, so both keep it in memory.
    assert_eq!(figures(&client, &url_a, "咸安").await, (1600, "GOVERNMENT".into(), 10_800));
    assert_eq!(figures(&client, &url_b, "咸安").await, (1600, "GOVERNMENT".into(), 10_800));

    let table = std::fs::read_to_string(seeds_dir().join("2020/units.csv")).unwrap();
    assert!(table.contains("COUNTY,1,咸安,1600,,,government"));
    let raised = table.replace("COUNTY,1,咸安,1600,,,government", "COUNTY,1,咸安,1700,,,government");
    import_through_web(url_a.trim_end_matches("/graphql"), &raised).await;

    // The very next read through B shows the new figures, and so does A.
    assert_eq!(figures(&client, &url_b, "咸安").await, (1700, "GOVERNMENT".into(), 10_900));
    assert_eq!(figures(&client, &url_a, "咸安").await, (1700, "GOVERNMENT".into(), 10_900));

    // A third process (the command line) reclassifies a holder: both servers show it.
    let reclassified =
        raised.replace("湖北科技学院,2800,献血单位,,university", "湖北科技学院,2800,献血单位,,school");
    let folder = plan_folder(&reclassified);
    let out = bloodplan_cli(&database, &["import", folder.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for url in [&url_b, &url_a] {
        assert_eq!(figures(&client, url, "湖北科技学院").await, (2800, "SCHOOL".into(), 10_900));
    }
}

#[tokio::test]
async fn a_preview_or_an_import_that_changes_nothing_keeps_the_plans_version() {
    let app = spawn_app().await;
    let version = || async {
        let row = app
            .db
            .query_one_raw(Statement::from_string(
                app.db.get_database_backend(),
                "SELECT version FROM plan WHERE year = 2020",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "version").unwrap()
    };
    assert_eq!(version().await, 1, "a new plan starts at 1");
    let out = bloodplan_cli(&app.database, &["import", seeds_dir().join("2020").to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(version().await, 1, "the same table again changes nothing");
    let table = std::fs::read_to_string(seeds_dir().join("2020/units.csv")).unwrap();
    let folder = plan_folder(&table.replace("COUNTY,2,嘉鱼,1500,", "COUNTY,2,嘉鱼,1550,"));
    let path = folder.path().to_str().unwrap();
    let out = bloodplan_cli(&app.database, &["import", path, "--dry-run"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(version().await, 1, "a dry run rolls its version back with the rest");
    let out = bloodplan_cli(&app.database, &["import", path]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(version().await, 2);
    let data = app
        .gql_ok(
            "{ plan(year: 2020) { units(section: COUNTY, first: 2) { nodes { name quota } } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["plan"]["units"]["nodes"][1], json!({ "name": "嘉鱼", "quota": 1550 }));
}

/// The rows of the 2020 table as printed: counties, city-level units, enterprises, each by
/// its number, which is also the order of the seed file.
fn printed_order() -> Vec<String> {
    let table = std::fs::read_to_string(seeds_dir().join("2020/units.csv")).unwrap();
    table.lines().skip(1).filter(|l| !l.is_empty()).map(|l| l.split(',').nth(2).unwrap().to_owned()).collect()
}

#[tokio::test]
async fn the_table_order_is_the_stored_section_rank_then_the_sequence_and_an_index_serves_it() {
    let app = spawn_app().await;
    let query = "{ plan(year: 2020) { units(first: 500) { nodes { name section seq } } } }";
    let (answer, ran) = app.statements_of(app.gql(query, json!({}))).await;
    let nodes = answer["data"]["plan"]["units"]["nodes"].as_array().unwrap().clone();
    let names: Vec<String> = nodes.iter().map(|n| n["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(names.len(), 157);
    assert_eq!(names, printed_order());
    assert_eq!(
        (nodes[5]["section"].as_str(), nodes[6]["section"].as_str()),
        (Some("COUNTY"), Some("CITY_UNIT"))
    );
    assert_eq!(
        (nodes[127]["section"].as_str(), nodes[128]["section"].as_str()),
        (Some("CITY_UNIT"), Some("ENTERPRISE"))
    );
    // The rows were read once, ordered by the stored rank: no CASE on the section code.
    let reads: Vec<&String> =
        ran.iter().filter(|s| s.contains("FROM \"plan_quota\"") && s.contains("ORDER BY")).collect();
    assert_eq!(reads.len(), 1, "{ran:#?}");
    assert!(
        reads[0].contains("ORDER BY \"plan_quota\".\"section_rank\" ASC, \"plan_quota\".\"seq\" ASC"),
        "{}",
        reads[0]
    );
    assert!(!ran.iter().any(|s| s.contains("CASE")), "{ran:#?}");
    // Read again, the plan comes from memory: only the plan row (with its version) is read.
    let (again, ran) = app.statements_of(app.gql(query, json!({}))).await;
    assert_eq!(again, answer);
    assert!(!ran.iter().any(|s| s.contains("plan_quota")), "{ran:#?}");

    // Every stored rank is its section's, and the database refuses one that is not.
    let db = &app.db;
    let backend = db.get_database_backend();
    let sql = |s: &str| Statement::from_string(backend, s.to_owned());
    let ranks = db
        .query_all_raw(sql("SELECT section, MIN(section_rank) AS lo, MAX(section_rank) AS hi, COUNT(*) AS n FROM plan_quota GROUP BY section ORDER BY MIN(section_rank)"))
        .await
        .unwrap();
    let ranks: Vec<(String, i64, i64, i64)> = ranks
        .iter()
        .map(|r| {
            let int = |c: &str| {
                r.try_get::<i64>("", c).or_else(|_| r.try_get::<i32>("", c).map(i64::from)).unwrap()
            };
            (r.try_get::<String>("", "section").unwrap(), int("lo"), int("hi"), int("n"))
        })
        .collect();
    assert_eq!(
        ranks,
        [("COUNTY".into(), 1, 1, 6), ("CITY_UNIT".into(), 2, 2, 122), ("ENTERPRISE".into(), 3, 3, 29)]
    );
    let err = db.execute_raw(sql("UPDATE plan_quota SET section_rank = 3 WHERE section = 'COUNTY'")).await;
    let err = err.expect_err("a rank that is not the section's is refused");
    assert!(err.to_string().contains("ck_plan_quota_section_rank"), "{err}");
    let err = db
        .execute_raw(sql(
            "UPDATE plan_quota SET section = 'ENTERPRISE', seq = seq + 1000 WHERE section = 'COUNTY'",
        ))
        .await;
    assert!(err
        .expect_err("a section moved without its rank")
        .to_string()
        .contains("ck_plan_quota_section_rank"));

    // The (plan, rank, seq) index serves the order: no sort step.
    let plan = if app.database.is_postgres() {
        let txn = sea_orm::TransactionTrait::begin(db).await.unwrap();
        txn.execute_raw(sql("SET LOCAL enable_seqscan = off")).await.unwrap();
        let rows = txn
            .query_all_raw(sql(
                "EXPLAIN SELECT id FROM plan_quota WHERE plan_id = 1 ORDER BY section_rank, seq",
            ))
            .await
            .unwrap();
        let lines: Vec<String> = rows.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect();
        txn.rollback().await.unwrap();
        lines.join("\n")
    } else {
        let rows = db
            .query_all_raw(sql(
                "EXPLAIN QUERY PLAN SELECT id FROM plan_quota WHERE plan_id = 1 ORDER BY section_rank, seq",
            ))
            .await
            .unwrap();
        rows.iter().map(|r| r.try_get::<String>("", "detail").unwrap()).collect::<Vec<_>>().join("\n")
    };
    assert!(plan.contains("ix_plan_quota_plan_rank_seq"), "{plan}");
    assert!(!plan.contains("TEMP B-TREE") && !plan.contains("Sort"), "{plan}");
}

#[tokio::test]
async fn the_migration_gives_rows_stored_before_it_their_sections_rank() {
    use bloodplan::db::migrations::Migrator;
    use sea_orm_migration::MigratorTrait;
    let database = fresh_database().await;
    let db = bloodplan::db::connect(&database.url).await.unwrap();
    let position = Migrator::migrations()
        .iter()
        .position(|m| m.name() == "m20261130_000601_plan_rank_version")
        .expect("the migration is registered");
    Migrator::up(&db, Some(position as u32)).await.unwrap();
    let backend = db.get_database_backend();
    for statement in [
        "INSERT INTO unit (name, kind, created_at) VALUES ('甲', 'government', CURRENT_TIMESTAMP), ('乙', 'bank', CURRENT_TIMESTAMP), ('丙', 'retail', CURRENT_TIMESTAMP)",
        "INSERT INTO plan (year, imported_at) VALUES (2020, CURRENT_TIMESTAMP)",
        "INSERT INTO plan_quota (plan_id, unit_id, section, seq, quota) SELECT p.id, u.id, CASE u.name WHEN '甲' THEN 'COUNTY' WHEN '乙' THEN 'CITY_UNIT' ELSE 'ENTERPRISE' END, 1, 10 FROM plan p, unit u",
    ] {
        db.execute_raw(Statement::from_string(backend, statement.to_owned())).await.unwrap();
    }
    Migrator::up(&db, None).await.unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT q.section_rank, p.version FROM plan_quota q JOIN unit u ON u.id = q.unit_id JOIN plan p ON p.id = q.plan_id ORDER BY u.name".to_owned(),
        ))
        .await
        .unwrap();
    let got: Vec<(i64, i64)> = rows
        .iter()
        .map(|r| {
            let int = |i: usize| {
                r.try_get_by_index::<i64>(i).or_else(|_| r.try_get_by_index::<i32>(i).map(i64::from)).unwrap()
            };
            (int(0), int(1))
        })
        .collect();
    // Byte order of the names: 丙 (enterprise), 乙 (city-level unit), 甲 (county).
    assert_eq!(got, [(3, 1), (2, 1), (1, 1)]);
    db.close().await.ok();
}
