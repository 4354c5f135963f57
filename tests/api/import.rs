//! `bloodplan import`: validated first, atomic, idempotent.
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::helpers::{bloodplan_cli, seeds_dir, spawn_app, spawn_empty_app, TestApp};

fn seed_plan() -> PathBuf {
    seeds_dir().join("2020")
}

/// A copy of the 2020 plan folder whose units.csv is `units` (raw bytes).
fn plan_folder_with(units: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(seed_plan().join("plan.toml"), dir.path().join("plan.toml")).unwrap();
    std::fs::write(dir.path().join("units.csv"), units).unwrap();
    dir
}

fn seed_rows() -> String {
    std::fs::read_to_string(seed_plan().join("units.csv")).unwrap()
}

fn import(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let mut all = vec!["import"];
    all.extend_from_slice(args);
    let out = bloodplan_cli(&app.database, &all);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[tokio::test]
async fn each_class_of_bad_input_is_rejected_with_its_line_and_column_and_nothing_changes() {
    let app = spawn_app().await;
    let before = app.snapshot().await;
    let header = "section,seq,name,quota,site,note,kind\n";
    let good = "CITY_UNIT,1,市委办,10,献血单位,,government\n";
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "missing name",
            format!("{header}{good}CITY_UNIT,2,,10,献血单位,,government\n").into_bytes(),
            "第3行 name列",
        ),
        (
            "duplicate name",
            format!("{header}{good}CITY_UNIT,2,市委办,10,献血单位,,government\n").into_bytes(),
            "第3行 name列",
        ),
        (
            "duplicate seq",
            format!("{header}{good}CITY_UNIT,1,市人大办,10,献血单位,,government\n").into_bytes(),
            "第3行 seq列",
        ),
        (
            "zero quota",
            format!("{header}CITY_UNIT,1,市委办,0,献血单位,,government\n").into_bytes(),
            "第2行 quota列",
        ),
        (
            "negative quota",
            format!("{header}CITY_UNIT,1,市委办,-3,献血单位,,government\n").into_bytes(),
            "第2行 quota列",
        ),
        (
            "fractional quota",
            format!("{header}CITY_UNIT,1,市委办,2.5,献血单位,,government\n").into_bytes(),
            "第2行 quota列",
        ),
        (
            "text quota",
            format!("{header}{good}{good}CITY_UNIT,3,市政府办,十,献血单位,,government\n").into_bytes(),
            "第4行 quota列",
        ),
        (
            "unknown section",
            format!("{header}TOWN,1,市委办,10,献血单位,,government\n").into_bytes(),
            "第2行 section列",
        ),
        (
            "unknown kind",
            format!("{header}CITY_UNIT,1,市委办,10,献血单位,,church\n").into_bytes(),
            "第2行 kind列",
        ),
        (
            "wrong column count",
            format!("{header}{good}CITY_UNIT,2,市人大办,10,献血单位,government\n").into_bytes(),
            "第3行: 列数不对",
        ),
        (
            "missing column",
            "section,seq,name,quota\nCITY_UNIT,1,市委办,10\n".as_bytes().to_vec(),
            "第1行 kind列: 缺少此列",
        ),
        (
            "undecodable text",
            [header.as_bytes(), b"CITY_UNIT,1,\xFF\xFE\x80\x80,10,,,government\n"].concat(),
            "无法识别的文字编码",
        ),
    ];
    for (case, units, expected) in cases {
        let folder = plan_folder_with(&units);
        let (ok, stdout, stderr) = import(&app, &[path(folder.path()), "--year", "2021"]);
        assert!(!ok, "{case}: the import must fail");
        assert!(stderr.contains(expected), "{case}: expected «{expected}» in:\n{stderr}");
        assert!(stderr.contains("未写入任何数据"), "{case}: {stderr}");
        assert!(stdout.is_empty(), "{case}: {stdout}");
        assert_eq!(app.snapshot().await, before, "{case}: the database must be unchanged");
    }
}

#[tokio::test]
async fn every_problem_of_a_file_is_listed_at_once() {
    let app = spawn_app().await;
    let folder = plan_folder_with(
        "section,seq,name,quota,site,note,kind\nCITY_UNIT,1,市委办,0,献血单位,,government\nCITY_UNIT,2,,5,献血单位,,robot\n"
            .as_bytes(),
    );
    let (ok, _, stderr) = import(&app, &[path(folder.path())]);
    assert!(!ok);
    assert!(stderr.contains("共 3 处问题"), "{stderr}");
    for expected in ["第2行 quota列", "第3行 name列", "第3行 kind列"] {
        assert!(stderr.contains(expected), "{expected} in {stderr}");
    }
}

#[tokio::test]
async fn importing_the_seed_plan_into_an_empty_database_reports_the_printed_total() {
    let app = spawn_empty_app().await;
    assert_eq!(app.count("plan").await, 0);
    let (ok, stdout, stderr) = import(&app, &[path(&seed_plan())]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("已导入 2020 年计划：157 行"), "{stdout}");
    assert!(stdout.contains("市直各单位：各行合计 8417，印刷合计 8517"), "{stdout}");
    assert!(stdout.contains("警告") && stdout.contains("相差 100"), "{stdout}");
    assert_eq!((app.count("unit").await, app.count("plan_quota").await), (157, 157));
    // PostgreSQL plans the next read from fresh statistics, not from an empty table's.
    assert_eq!(app.never_analyzed(&["unit", "plan", "plan_quota"]).await, Vec::<String>::new());
}

#[tokio::test]
async fn reimporting_the_same_plan_changes_nothing() {
    let app = spawn_app().await;
    let before = app.snapshot().await;
    app.clock.advance(chrono::TimeDelta::days(3));
    for args in [vec![path(&seed_plan())], vec![path(&seed_plan().join("plan.toml"))]] {
        let (ok, stdout, stderr) = import(&app, &args);
        assert!(ok, "{stderr}");
        assert!(stdout.contains("未作任何修改"), "{stdout}");
        assert_eq!(app.snapshot().await, before);
    }
}

#[tokio::test]
async fn a_changed_plan_updates_quotas_and_reports_holders_that_disappeared() {
    let app = spawn_app().await;
    let rows = seed_rows()
        .replace("CITY_UNIT,76,湖北科技学院,2800,", "CITY_UNIT,76,湖北科技学院,3000,")
        .replace("CITY_UNIT,122,市铁塔公司,5,献血单位,,enterprise\n", "");
    let folder = plan_folder_with(rows.as_bytes());
    let (ok, stdout, stderr) = import(&app, &[path(folder.path())]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("湖北科技学院：2800 → 3000"), "{stdout}");
    assert!(stdout.contains("市铁塔公司"), "{stdout}");
    let data = app
        .gql_ok(
            r#"{ plan(year: 2020) { sections { kind rowTotal } units(kind: UNIVERSITY, first: 1, orderBy: QUOTA_DESC) { nodes { name quota } } all: units(first: 1) { totalCount } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["plan"]["units"]["nodes"][0], json!({ "name": "湖北科技学院", "quota": 3000 }));
    assert_eq!(data["plan"]["all"]["totalCount"], 156);
    assert_eq!(data["plan"]["sections"][1], json!({ "kind": "CITY_UNIT", "rowTotal": 8417 + 200 - 5 }));
    // The holder itself stays: it has history, and a later year may list it again.
    assert_eq!(app.count("unit").await, 157);
}

#[tokio::test]
async fn gb18030_and_bom_files_load_as_later_years_without_duplicating_units() {
    let app = spawn_app().await;
    let rows = seed_rows();
    let (gb18030, _, _) = encoding_rs::GB18030.encode(&rows);
    let gb_folder = plan_folder_with(&gb18030);
    let (ok, stdout, stderr) = import(&app, &[path(&gb_folder.path().join("units.csv")), "--year", "2021"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("2021 年计划：157 行"), "{stdout}");
    let bom_folder = plan_folder_with(&[b"\xEF\xBB\xBF".as_slice(), seed_rows().as_bytes()].concat());
    let (ok, _, stderr) = import(&app, &[path(bom_folder.path()), "--year", "2022"]);
    assert!(ok, "{stderr}");
    assert_eq!(app.count("unit").await, 157);
    assert_eq!(app.count("plan_quota").await, 3 * 157);
    let data = app
        .gql_ok(
            r#"{ plan(year: 2021) { documentNumber units(first: 1, kind: UNIVERSITY, orderBy: QUOTA_DESC) { nodes { id name quota } } } }"#,
            json!({}),
        )
        .await;
    // A CSV given alone carries no figures: only what the rows say.
    assert_eq!(data["plan"]["documentNumber"], serde_json::Value::Null);
    let node = &data["plan"]["units"]["nodes"][0];
    assert_eq!(node["name"], "湖北科技学院");
    let unit = app
        .gql_ok("query($id: ID!) { unit(id: $id) { quotas { year quota } } }", json!({ "id": node["id"] }))
        .await;
    assert_eq!(
        unit["unit"]["quotas"],
        json!([{ "year": 2020, "quota": 2800 }, { "year": 2021, "quota": 2800 }, { "year": 2022, "quota": 2800 }])
    );
}

#[tokio::test]
async fn strict_refuses_the_printed_total_warning_and_dry_run_writes_nothing() {
    let app = spawn_app().await;
    let before = app.snapshot().await;
    let (ok, _, stderr) = import(&app, &[path(&seed_plan()), "--strict", "--year", "2021"]);
    assert!(!ok);
    assert!(stderr.contains("8517") && stderr.contains("未写入任何数据"), "{stderr}");
    assert_eq!(app.snapshot().await, before);

    let (ok, stdout, stderr) = import(&app, &[path(&seed_plan()), "--dry-run", "--year", "2021"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("试导入") && stdout.contains("新建计划年度 2021"), "{stdout}");
    assert_eq!(app.snapshot().await, before);
    let answer = app.gql("{ plan(year: 2021) { year } }", json!({})).await;
    assert_eq!(crate::helpers::error_code(&answer), Some("NOT_FOUND"));
}

/// Issue 13, item 6: `bloodplan gen` writes a deterministic synthetic plan folder that
/// `bloodplan import` loads like the real one.
#[tokio::test]
async fn a_generated_plan_folder_is_deterministic_and_imports_every_row() {
    let app = spawn_empty_app().await;
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for dir in [&first, &second] {
        let args = [
            "gen",
            "--cities",
            "3",
            "--units-per-city",
            "40",
            "--year",
            "2021",
            "--seed",
            "9",
            "--out",
            path(dir.path()),
        ];
        let out = bloodplan_cli(&app.database, &args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("已生成 2021 年合成计划：120 行"));
    }
    for file in ["plan.toml", "units.csv"] {
        let read = |dir: &tempfile::TempDir| std::fs::read(dir.path().join(file)).unwrap();
        assert_eq!(read(&first), read(&second), "{file} is the same for the same seed");
    }
    let (ok, stdout, stderr) = import(&app, &[path(first.path())]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("2021 年计划：120 行"), "{stdout}");
    let units = app
        .gql_ok(
            "{ plan(year: 2021) { units(first: 1) { totalCount } sections { kind difference } } }",
            json!({}),
        )
        .await;
    assert_eq!(units["plan"]["units"]["totalCount"], 120);
    for section in units["plan"]["sections"].as_array().unwrap() {
        assert_eq!(section["difference"], 0, "printed totals are the rows' sums: {section}");
    }
}
