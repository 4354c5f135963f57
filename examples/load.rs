//! A load run against the real application on loopback: it starts bloodplan in-process on
//! a fresh SQLite file (or `DATABASE_URL`), loads the 2020 plan, and measures throughput and
//! latency of the plan query, availability, and bookings with and without contention.
//!
//! `cargo run --release --example load` — results go to BENCHMARKS.md by hand.
use std::time::{Duration, Instant};

use bloodplan::clock::Clock;
use bloodplan::config::Config;
use bloodplan::domain::auth::Role;
use bloodplan::services::accounts::{self, NewUser};
use bloodplan::services::audit::Performer;
use bloodplan::startup::Application;
use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};

const PASSWORD: &str = "load-test-password";

struct Report {
    name: &'static str,
    requests: usize,
    concurrency: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    errors: usize,
}

impl Report {
    fn row(&mut self) -> String {
        self.latencies.sort();
        let pct = |p: f64| {
            let i = ((self.latencies.len() as f64 * p).ceil() as usize).clamp(1, self.latencies.len()) - 1;
            self.latencies[i].as_secs_f64() * 1000.0
        };
        format!(
            "| {} | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {} |",
            self.name,
            self.requests,
            self.concurrency,
            self.requests as f64 / self.elapsed.as_secs_f64(),
            pct(0.50),
            pct(0.95),
            pct(0.99),
            self.errors
        )
    }
}

async fn run(
    name: &'static str,
    client: &reqwest::Client,
    url: &str,
    token: &str,
    bodies: Vec<Value>,
    concurrency: usize,
    ok: fn(&Value) -> bool,
) -> Report {
    let requests = bodies.len();
    let started = Instant::now();
    let results: Vec<(Duration, bool)> = stream::iter(bodies)
        .map(|body| {
            let request = client.post(url).bearer_auth(token).json(&body);
            async move {
                let t = Instant::now();
                let answer: Value = request.send().await.expect("answer").json().await.expect("json");
                (t.elapsed(), ok(&answer))
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    Report {
        name,
        requests,
        concurrency,
        elapsed: started.elapsed(),
        errors: results.iter().filter(|r| !r.1).count(),
        latencies: results.into_iter().map(|r| r.0).collect(),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut config = Config::from_env()?;
    if std::env::var("DATABASE_URL").is_err() {
        config.database_url = format!("sqlite://{}?mode=rwc", dir.path().join("load.db").display());
    }
    config.bind = "127.0.0.1:0".parse()?;
    config.seeds_dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let clock = Clock::manual("2020-02-01T01:00:00Z".parse()?);
    let app = Application::build(config, clock.clone()).await?;
    let url = format!("http://{}/graphql", app.address());
    let db = app.state().db.clone();
    tokio::spawn(app.run_until(std::future::pending()));

    let new =
        NewUser { username: "office".into(), password: PASSWORD.into(), role: Role::Office, unit_id: None };
    accounts::create_user(&db, &clock, Performer::System("load"), new).await?;
    let client = reqwest::Client::new();
    let login: Value = client
        .post(&url)
        .json(&json!({ "query": "mutation($p: String!) { login(username: \"office\", password: $p) { token } }", "variables": { "p": PASSWORD } }))
        .send()
        .await?
        .json()
        .await?;
    let token = login["data"]["login"]["token"].as_str().expect("token").to_owned();
    let gql = |query: &str, variables: Value| json!({ "query": query, "variables": variables });

    let mut vehicles = Vec::new();
    for i in 0..10 {
        let v: Value = client
            .post(&url)
            .bearer_auth(&token)
            .json(&gql(
                "mutation($n: String!) { createVehicle(input: { name: $n }) { id } }",
                json!({ "n": format!("鄂L采血{i:02}") }),
            ))
            .send()
            .await?
            .json()
            .await?;
        vehicles.push(v["data"]["createVehicle"]["id"].as_str().expect("vehicle").to_owned());
    }
    let units: Value = client
        .post(&url)
        .json(&gql("{ plan(year: 2020) { units(first: 500) { nodes { id } } } }", json!({})))
        .send()
        .await?
        .json()
        .await?;
    let units: Vec<String> = units["data"]["plan"]["units"]["nodes"]
        .as_array()
        .expect("units")
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect();
    let no_errors: fn(&Value) -> bool = |a| a.get("errors").is_none();
    let book = "mutation($i: BookVisitInput!) { bookVisit(input: $i) { id } }";

    let mut reports = Vec::new();
    let plan = gql("{ plan(year: 2020) { year sections { kind printedTotal rowTotal } units(first: 500) { totalCount nodes { id section seq name quota site note kind } } } }", json!({}));
    reports.push(
        run("plan(year: 2020), all 157 rows", &client, &url, &token, vec![plan; 2000], 32, no_errors).await,
    );
    // The ceiling: the HTTP and GraphQL layers with no resolver work.
    let bare = gql("{ __typename }", json!({}));
    reports.push(run("{ __typename }", &client, &url, &token, vec![bare; 8000], 32, no_errors).await);
    // The plan row alone: the one query every plan read makes (it carries the version).
    let row = gql("{ plan(year: 2020) { year } }", json!({}));
    reports
        .push(run("plan(year: 2020) { year }", &client, &url, &token, vec![row; 8000], 32, no_errors).await);
    // The issue 13 row: every holder's name and quota, nothing else.
    let names = gql("{ plan(year: 2020) { units(first: 500) { nodes { name quota } } } }", json!({}));
    reports.push(
        run(
            "plan.units, every holder's name and quota",
            &client,
            &url,
            &token,
            vec![names; 4000],
            32,
            no_errors,
        )
        .await,
    );
    let filtered = gql(
        "{ plan(year: 2020) { units(nameContains: \"咸宁\", orderBy: QUOTA_DESC, first: 50) { totalCount nodes { name quota } } } }",
        json!({}),
    );
    reports.push(
        run(
            "plan.units, a filtered page of 50 with its count",
            &client,
            &url,
            &token,
            vec![filtered; 4000],
            32,
            no_errors,
        )
        .await,
    );
    let availability =
        gql("{ availability(from: \"2020-03-01\", to: \"2020-03-31\") { date session } }", json!({}));
    reports.push(
        run(
            "availability, 10 vehicles × 31 days",
            &client,
            &url,
            &token,
            vec![availability; 1000],
            32,
            no_errors,
        )
        .await,
    );
    // Distinct slots: every booking succeeds.
    let holidays = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/holidays/2020.toml"),
    )?;
    let calendar =
        bloodplan::domain::work_calendar::WorkCalendar::parse(&holidays).map_err(anyhow::Error::msg)?;
    let working_days: Vec<String> = (0..120)
        .map(|d| chrono::NaiveDate::from_ymd_opt(2020, 3, 2).unwrap() + chrono::Days::new(d))
        .filter(|d| calendar.is_working_day(*d) && d.to_string() != "2020-06-01")
        .map(|d| d.to_string())
        .collect();
    let distinct: Vec<Value> = (0..1000)
        .map(|i| {
            let (vehicle, rest) = (i % vehicles.len(), i / vehicles.len());
            let (day, session) = (rest / 2 % working_days.len(), if rest % 2 == 0 { "MORNING" } else { "AFTERNOON" });
            gql(book, json!({ "i": { "unitId": units[i % units.len()], "vehicleId": vehicles[vehicle], "date": working_days[day], "session": session, "expectedDonors": 20 } }))
        })
        .collect();
    reports.push(run("bookVisit, distinct sessions", &client, &url, &token, distinct, 16, no_errors).await);
    // One contended session: one booking wins, the rest get SLOT_TAKEN.
    let contended: Vec<Value> = (0..500)
        .map(|i| gql(book, json!({ "i": { "unitId": units[i % units.len()], "vehicleId": vehicles[0], "date": "2020-06-01", "session": "FULL_DAY", "expectedDonors": 20 } })))
        .collect();
    let taken: fn(&Value) -> bool =
        |a| a.get("errors").is_none() || a["errors"][0]["extensions"]["code"] == "SLOT_TAKEN";
    reports.push(
        run("bookVisit, 500 racing for one session", &client, &url, &token, contended, 32, taken).await,
    );

    println!("| scenario | requests | concurrency | req/s | p50 ms | p95 ms | p99 ms | unexpected errors |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for mut r in reports {
        println!("{}", r.row());
    }
    Ok(())
}
