//! Shared test helpers: a fresh database per test, the real app on a random port, and a
//! GraphQL client.
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use bloodplan::clock::Clock;
use bloodplan::config::Config;
use bloodplan::startup::Application;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{json, Value};

/// When set (e.g. `postgres://postgres@127.0.0.1:5432/postgres`), every test gets its own
/// fresh PostgreSQL database on that server; otherwise its own SQLite file.
pub const POSTGRES_ENV: &str = "BLOODPLAN_TEST_POSTGRES";

pub struct TestDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    pub fn is_postgres(&self) -> bool {
        self.url.starts_with("postgres")
    }
}

pub async fn fresh_database() -> TestDatabase {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    match std::env::var(POSTGRES_ENV).ok().filter(|v| !v.is_empty()) {
        Some(admin_url) => {
            let name = format!(
                "bloodplan_test_{}_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::SeqCst),
                chrono::Utc::now().timestamp_micros() % 1_000_000_000
            );
            let admin = Database::connect(&admin_url)
                .await
                .unwrap_or_else(|e| panic!("{POSTGRES_ENV} is set but PostgreSQL is unreachable: {e}"));
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create test database");
            admin.close().await.ok();
            let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(base, _)| base);
            TestDatabase { url: format!("{base}/{name}"), _dir: None }
        }
        None => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("bloodplan.db").display());
            TestDatabase { url, _dir: Some(dir) }
        }
    }
}

pub fn seeds_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds")
}

/// 2020-02-01 09:00 in Xianning: before the spring term of the 2020 plan year.
pub fn demo_now() -> chrono::DateTime<chrono::Utc> {
    "2020-02-01T09:00:00+08:00".parse::<chrono::DateTime<chrono::FixedOffset>>().unwrap().into()
}

pub struct TestApp {
    /// The running application's state: tests call services (the outbox worker) with it.
    pub state: bloodplan::state::AppState,
    pub address: String,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    pub clock: Clock,
    pub database: TestDatabase,
    /// Every SQL statement the application ran since it was built (seeding excluded).
    statements: Arc<Mutex<Vec<String>>>,
}

pub struct AppOptions {
    pub seeds: Option<PathBuf>,
    /// Sends email to a test SMTP server on this loopback port.
    pub smtp_port: Option<u16>,
    /// Last changes to the configuration, e.g. the outbox's attempts.
    pub configure: fn(&mut Config),
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions { seeds: Some(seeds_dir()), smtp_port: None, configure: |_| {} }
    }
}

/// The email settings of a test: a plain SMTP server on loopback, a short timeout.
pub fn test_email_config(port: u16) -> bloodplan::email::EmailConfig {
    let url = format!("smtp://127.0.0.1:{port}?timeout=5");
    let vars = move |name: &str| match name {
        "SMTP_URL" => Some(url.clone()),
        "MAIL_FROM" => Some("市献血办 <xianning-blood@example.org>".to_owned()),
        "OFFICE_CONTACT_PHONE" => Some("0715-8888888".to_owned()),
        _ => None,
    };
    bloodplan::email::EmailConfig::from_lookup(vars).expect("email config").expect("SMTP_URL set")
}

/// The real application with the 2020 plan loaded, on a random loopback port.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(AppOptions::default()).await
}

/// The real application on an empty database.
pub async fn spawn_empty_app() -> TestApp {
    spawn_app_with(AppOptions { seeds: None, ..AppOptions::default() }).await
}

pub async fn spawn_app_with(options: AppOptions) -> TestApp {
    logs::init();
    let database = fresh_database().await;
    let mut config = Config::from_lookup(|_| None).expect("default config");
    config.database_url = database.url.clone();
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.seeds_dir = options.seeds.unwrap_or_else(|| PathBuf::from("/nonexistent-seeds"));
    if let Some(port) = options.smtp_port {
        let email = test_email_config(port);
        config.office = email.office.clone();
        config.email = Some(email);
    }
    // Tests drive the outbox worker themselves, with the manual clock: no background loop.
    config.outbox.run_worker = false;
    (options.configure)(&mut config);
    let clock = Clock::manual(demo_now());
    let mut app = Application::build(config, clock.clone()).await.expect("application builds");
    let statements = Arc::new(Mutex::new(Vec::new()));
    let recorder = Arc::clone(&statements);
    app.watch_statements(move |sql| recorder.lock().unwrap().push(sql.to_owned()));
    let address = format!("http://{}", app.address());
    let db = app.state().db.clone();
    let state = app.state().clone();
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp { state, address, client: reqwest::Client::new(), db, clock, database, statements }
}

impl TestApp {
    /// The SQL statements `work` makes the application run (the test itself must not query
    /// the database meanwhile).
    pub async fn statements_of<T>(&self, work: impl std::future::Future<Output = T>) -> (T, Vec<String>) {
        let mark = self.statements.lock().unwrap().len();
        let answer = work.await;
        let ran = self.statements.lock().unwrap()[mark..].to_vec();
        (answer, ran)
    }

    pub fn graphql_url(&self) -> String {
        format!("{}/graphql", self.address)
    }

    /// Posts one GraphQL operation, with a bearer token if given, and returns the answer.
    async fn post(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request =
            self.client.post(self.graphql_url()).json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request reaches the server");
        assert_eq!(response.status(), 200, "GraphQL answers 200");
        response.json().await.expect("JSON answer")
    }

    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.post(None, query, variables).await
    }

    /// Posts and asserts there was no error; returns `data`.
    pub async fn gql_ok(&self, query: &str, variables: Value) -> Value {
        let answer = self.gql(query, variables).await;
        assert!(answer.get("errors").is_none(), "unexpected errors: {answer:#}");
        answer["data"].clone()
    }

    /// Counts the rows of a table.
    pub async fn count(&self, table: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .expect("count query")
            .expect("one row");
        row.try_get::<i64>("", "n").expect("count")
    }

    /// On PostgreSQL, the tables of `tables` that were never analyzed by hand (`ANALYZE`,
    /// not autovacuum); on SQLite, none (it keeps no such statistics).
    pub async fn never_analyzed(&self, tables: &[&str]) -> Vec<String> {
        if !self.database.is_postgres() {
            return Vec::new();
        }
        let rows = self
            .db
            .query_all_raw(Statement::from_string(
                self.db.get_database_backend(),
                "SELECT relname::text AS name FROM pg_stat_user_tables WHERE last_analyze IS NULL",
            ))
            .await
            .expect("pg_stat_user_tables");
        let never: Vec<String> =
            rows.iter().map(|r| r.try_get::<String>("", "name").expect("name")).collect();
        tables.iter().filter(|t| never.iter().any(|n| n == *t)).map(|t| (*t).to_owned()).collect()
    }

    /// Every row of every table, in a stable order, to prove a failed write changed nothing.
    pub async fn snapshot(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for table in [
            "unit",
            "plan",
            "plan_quota",
            "plan_section",
            "plan_warning",
            "app_user",
            "auth_token",
            "unit_contact",
            "audit_log",
        ] {
            let rows = self
                .db
                .query_all_raw(Statement::from_string(
                    self.db.get_database_backend(),
                    format!("SELECT * FROM {table} ORDER BY id"),
                ))
                .await
                .expect("snapshot query");
            for row in rows {
                let columns = row.column_names();
                let values: Vec<String> = columns
                    .iter()
                    .map(|c| {
                        row.try_get::<Option<i64>>("", c)
                            .map(|v| format!("{v:?}"))
                            .or_else(|_| row.try_get::<Option<String>>("", c).map(|v| format!("{v:?}")))
                            .or_else(|_| row.try_get::<Option<i32>>("", c).map(|v| format!("{v:?}")))
                            .or_else(|_| row.try_get::<Option<bool>>("", c).map(|v| format!("{v:?}")))
                            .or_else(|_| {
                                row.try_get::<Option<chrono::DateTime<chrono::Utc>>>("", c)
                                    .map(|v| format!("{v:?}"))
                            })
                            .or_else(|_| {
                                row.try_get::<Option<chrono::NaiveDate>>("", c).map(|v| format!("{v:?}"))
                            })
                            .unwrap_or_else(|e| panic!("cannot read {table}.{c}: {e}"))
                    })
                    .collect();
                lines.push(format!("{table}: {}", values.join(" | ")));
            }
        }
        lines
    }
}

/// The `extensions.code` of the first error of an answer.
pub fn error_code(answer: &Value) -> Option<&str> {
    answer["errors"][0]["extensions"]["code"].as_str()
}

/// Runs the `bloodplan` binary against the test's database.
pub fn bloodplan_cli(database: &TestDatabase, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_bloodplan"))
        .args(args)
        .env("DATABASE_URL", &database.url)
        .env("BLOODPLAN_NOW", "2020-02-01T09:00:00+08:00")
        .env("RUST_LOG", "warn")
        .output()
        .expect("bloodplan binary runs")
}

/// Runs the `bloodplan` binary against the test's database, asserts it succeeded and returns
/// what it printed.
pub fn cli_ok(app: &TestApp, args: &[&str]) -> String {
    let out = bloodplan_cli(&app.database, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The password every test account gets.
pub const PASSWORD: &str = "献血光荣-2020-xianning";

impl TestApp {
    /// Creates an account directly (as the command line would) and returns its id.
    pub async fn create_user(
        &self,
        username: &str,
        role: bloodplan::domain::auth::Role,
        unit: Option<&str>,
    ) -> i32 {
        use bloodplan::services::{accounts, audit::Performer};
        let unit_id = match unit {
            Some(name) => Some(accounts::find_unit_id(&self.db, name).await.expect("unit exists")),
            None => None,
        };
        let new = accounts::NewUser { username: username.into(), password: PASSWORD.into(), role, unit_id };
        accounts::create_user(&self.db, &self.clock, Performer::System("test"), new)
            .await
            .expect("user created")
            .id
    }

    /// A page of the web app as the holder of `token` (a login token is also a session
    /// cookie) sees it; asserts it answered 200.
    pub async fn page_as(&self, token: &str, path: &str) -> String {
        let response = self
            .client
            .get(format!("{}{path}", self.address))
            .header("cookie", format!("bloodplan_session={token}"))
            .send()
            .await
            .expect("request reaches the server");
        assert_eq!(response.status(), 200, "{path}");
        response.text().await.expect("a page")
    }

    /// Logs in over GraphQL and returns the bearer token.
    pub async fn login(&self, username: &str) -> String {
        let data = self
            .gql_ok(
                "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }",
                json!({ "u": username, "p": PASSWORD }),
            )
            .await;
        data["login"]["token"].as_str().expect("token").to_owned()
    }

    /// Creates an account and logs it in.
    pub async fn user_token(
        &self,
        username: &str,
        role: bloodplan::domain::auth::Role,
        unit: Option<&str>,
    ) -> String {
        self.create_user(username, role, unit).await;
        self.login(username).await
    }

    /// Posts one operation with `Authorization: Bearer <token>`.
    pub async fn gql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        self.post(Some(token), query, variables).await
    }

    pub async fn gql_ok_as(&self, token: &str, query: &str, variables: Value) -> Value {
        let answer = self.gql_as(token, query, variables).await;
        assert!(answer.get("errors").is_none(), "unexpected errors: {answer:#}");
        answer["data"].clone()
    }

    /// The id of a quota holder of the 2020 plan, by name.
    pub async fn unit_id(&self, name: &str) -> String {
        bloodplan::services::accounts::find_unit_id(&self.db, name).await.expect("unit exists").to_string()
    }
}

/// The `extensions.reason` of the first error of an answer.
pub fn error_reason(answer: &Value) -> Option<&str> {
    answer["errors"][0]["extensions"]["reason"].as_str()
}

impl TestApp {
    /// Creates a vehicle over GraphQL (as the office or the station) and returns its id.
    pub async fn create_vehicle(&self, token: &str, name: &str) -> String {
        let data = self
            .gql_ok_as(
                token,
                "mutation($n: String!) { createVehicle(input: { name: $n, capacityPerDay: 60 }) { id name } }",
                json!({ "n": name }),
            )
            .await;
        data["createVehicle"]["id"].as_str().expect("vehicle id").to_owned()
    }

    /// Books a visit over GraphQL and returns its id; panics if the booking is refused.
    pub async fn book(
        &self,
        token: &str,
        unit: &str,
        vehicle: &str,
        date: &str,
        session: &str,
        expected: i32,
    ) -> String {
        let data = self.gql_ok_as(token, BOOK, book_vars(unit, vehicle, date, session, expected)).await;
        data["bookVisit"]["id"].as_str().expect("visit id").to_owned()
    }

    /// Books a visit as `office` (an office token) and confirms it: ready for its collection.
    pub async fn book_confirmed(
        &self,
        office: &str,
        unit: &str,
        vehicle: &str,
        date: &str,
        session: &str,
        expected: i32,
    ) -> String {
        let id = self.book(office, unit, vehicle, date, session, expected).await;
        self.gql_ok_as(office, "mutation($id: ID!) { confirmVisit(id: $id) { id } }", json!({ "id": id }))
            .await;
        id
    }
}

pub const BOOK: &str = "mutation($i: BookVisitInput!) { bookVisit(input: $i) { id status warnings } }";

pub fn book_vars(unit: &str, vehicle: &str, date: &str, session: &str, expected: i32) -> Value {
    json!({ "i": { "unitId": unit, "vehicleId": vehicle, "date": date, "session": session, "expectedDonors": expected } })
}

impl TestApp {
    /// Queues one message and marks it FAILED, as the worker does after its last attempt.
    pub async fn failed_message(&self) -> String {
        use bloodplan::db::entities::outbox;
        use sea_orm::{ActiveModelTrait, EntityTrait, Set};
        let txn = bloodplan::db::begin_write(&self.db).await.unwrap();
        bloodplan::services::outbox::enqueue(&txn, &self.clock, &test_message("failed", 0)).await.unwrap();
        txn.commit().await.unwrap();
        let row = outbox::Entity::find().one(&self.db).await.unwrap().unwrap();
        let id = row.id;
        let mut row: outbox::ActiveModel = row.into();
        row.status = Set(bloodplan::domain::reminders::OutboxStatus::Failed);
        row.update(&self.db).await.unwrap();
        id.to_string()
    }
}

/// One holder's booking world: the office, 湖北科技学院's liaison, the station and one
/// vehicle (created by the station), each user signed in.
pub struct Booking {
    pub app: TestApp,
    pub office: String,
    pub liaison: String,
    pub station: String,
    pub hbust: String,
    pub vehicle: String,
}

pub async fn booking_app() -> Booking {
    use bloodplan::domain::auth::Role;
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let liaison = app.user_token("hbust", Role::Liaison, Some("湖北科技学院")).await;
    let station = app.user_token("station", Role::Station, None).await;
    let hbust = app.unit_id("湖北科技学院").await;
    let vehicle = app.create_vehicle(&station, "鄂L采血01").await;
    Booking { app, office, liaison, station, hbust, vehicle }
}

/// An outbox message of a term reminder to liaison `i`, deduplicated by `key:i`.
pub fn test_message(key: &str, i: usize) -> bloodplan::services::outbox::NewMessage {
    bloodplan::services::outbox::NewMessage {
        dedup_key: format!("{key}:{i}"),
        kind: bloodplan::domain::reminders::MessageKind::Term,
        recipient: format!("liaison{i}@example.edu.cn"),
        recipient_name: Some(format!("联络员{i}")),
        email: bloodplan::email::RenderedEmail {
            subject: format!("提醒 {i}"),
            text: format!("正文 {i}"),
            html: format!("<p>正文 {i}</p>"),
        },
        visit: None,
    }
}

/// The log of this test process. Tests share one global subscriber, so a test finds its own
/// lines by something only it uses (a username, an operation name).
pub mod logs {
    use std::io::Write;
    use std::sync::Mutex;

    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{EnvFilter, Layer};

    static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

    /// One formatted event; kept as one line when the formatter is done with it.
    #[derive(Default)]
    struct Line(Vec<u8>);

    impl Write for Line {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Drop for Line {
        fn drop(&mut self) {
            let line = String::from_utf8_lossy(&self.0).trim_end().to_owned();
            if !line.is_empty() {
                LINES.lock().unwrap_or_else(|e| e.into_inner()).push(line);
            }
        }
    }

    /// Warnings and errors go to the test's output (a failing test prints them); everything
    /// the application logs at INFO and above is kept for [`containing`].
    pub fn init() {
        let shown = tracing_subscriber::fmt::layer()
            .with_test_writer()
            .with_filter(EnvFilter::new("warn,sqlx=error"));
        let kept = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(Line::default)
            .with_filter(EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
        let _ = tracing_subscriber::registry().with(shown).with(kept).try_init();
    }

    /// Every line logged so far that contains `needle`.
    pub fn containing(needle: &str) -> Vec<String> {
        LINES
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|l| l.contains(needle))
            .cloned()
            .collect()
    }
}
