//! Holding up under overload: slow clients, slow SMTP servers, oversized queries.
use std::collections::HashMap;
use std::time::Duration;

use bloodplan::email::Mailer;
use bloodplan::services::outbox as outbox_service;
use chrono::TimeDelta;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{spawn_app_with, test_message, AppOptions};
use crate::smtp_server::TestSmtpServer;

/// With an SMTP server that takes a second per message and a lease of four seconds, a
/// worker that claimed a batch would still be sending when its lease ran out, and the other
/// worker would send the rest again. Claimed one at a time, each goes out once.
#[tokio::test]
async fn two_workers_and_a_slow_smtp_server_deliver_each_message_exactly_once() {
    let smtp = TestSmtpServer::start_slow(Duration::from_secs(1));
    let app = spawn_app_with(AppOptions {
        smtp_port: Some(smtp.port),
        configure: |c| {
            c.outbox.lease = TimeDelta::seconds(4);
            c.outbox.send_timeout = Duration::from_secs(3);
        },
        ..AppOptions::default()
    })
    .await;
    let txn = bloodplan::db::begin_write(&app.db).await.unwrap();
    for i in 0..6 {
        assert!(outbox_service::enqueue(&txn, &app.clock, &test_message("slow", i)).await.unwrap());
    }
    txn.commit().await.unwrap();

    // The service clock follows real time here, so that leases run out as they would.
    let ticker = {
        let clock = app.clock.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(50)).await;
                clock.advance(TimeDelta::milliseconds(50));
            }
        })
    };
    let mut workers = Vec::new();
    for name in ["worker-a", "worker-b"] {
        let db = bloodplan::db::connect(&app.database.url).await.unwrap();
        let (clock, settings) = (app.clock.clone(), app.state.outbox.clone());
        let mailer = Mailer::new(
            &crate::helpers::test_email_config(smtp.port).smtp,
            "市献血办 <xianning-blood@example.org>".parse().unwrap(),
        )
        .unwrap();
        // Each polls like the loop in `serve`, until the queue has been empty for a while.
        workers.push(tokio::spawn(async move {
            let mut sent = 0;
            let mut idle_rounds = 0;
            while idle_rounds < 15 {
                let r = outbox_service::run_once(&db, &clock, &mailer, &settings, name).await.unwrap();
                sent += r.sent;
                idle_rounds = if r.sent + r.retrying == 0 { idle_rounds + 1 } else { 0 };
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            sent
        }));
    }
    let finished = tokio::time::timeout(Duration::from_secs(60), async {
        let mut total = 0;
        for w in workers {
            total += w.await.unwrap();
        }
        total
    })
    .await;
    ticker.abort();
    let total = finished.expect("the workers finish");
    let mut seen: HashMap<String, usize> = HashMap::new();
    for m in smtp.messages() {
        *seen.entry(m.subject).or_default() += 1;
    }
    assert!(seen.values().all(|n| *n == 1), "a message went out twice: {seen:?}");
    assert_eq!(seen.len(), 6);
    assert_eq!(total, 6);
}

/// A client that sends its request head a byte at a time is cut off once the header
/// timeout has passed, instead of holding a connection for ever.
#[tokio::test]
async fn a_client_sending_its_headers_slowly_is_disconnected() {
    let app = spawn_app_with(AppOptions {
        configure: |c| {
            c.http.header_timeout = Duration::from_secs(1);
            c.http.max_connections = 4;
        },
        ..AppOptions::default()
    })
    .await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    let mut slow = Vec::new();
    for _ in 0..8 {
        let addr = addr.clone();
        slow.push(tokio::spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
            stream.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n").await.unwrap();
            // One header byte every 200 ms: never idle, never complete.
            for _ in 0..150 {
                tokio::time::sleep(Duration::from_millis(200)).await;
                if stream.write_all(b"X").await.is_err() {
                    return true;
                }
                let mut buf = [0u8; 64];
                match tokio::time::timeout(Duration::from_millis(1), stream.read(&mut buf)).await {
                    Ok(Ok(0)) | Ok(Err(_)) => return true,
                    _ => {}
                }
            }
            false
        }));
    }
    // With 8 slow clients and room for 4, the health check still gets its turn.
    let health = tokio::time::timeout(
        Duration::from_secs(25),
        app.client.get(format!("{}/health", app.address)).send(),
    )
    .await
    .expect("/health answers while slow clients hold connections")
    .unwrap();
    assert_eq!(health.status(), 200);
    for s in slow {
        assert!(s.await.unwrap(), "the server closed the slow connection");
    }
}

/// Half a request head and then silence: the connection is closed once the configured
/// header timeout (1 s here, 10 s by default) has passed, without an answer, and `/health`
/// answers meanwhile.
#[tokio::test]
async fn half_a_request_head_and_then_silence_is_closed_after_the_header_timeout() {
    let app = spawn_app_with(AppOptions {
        configure: |c| c.http.header_timeout = Duration::from_secs(1),
        ..AppOptions::default()
    })
    .await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Half: ").await.unwrap();
    let health = app.client.get(format!("{}/health", app.address)).send().await.unwrap();
    assert_eq!(health.status(), 200);
    // Well under the 10 s default: it is the configured timeout that closed it.
    let mut buf = [0u8; 256];
    let read = tokio::time::timeout(Duration::from_secs(8), stream.read(&mut buf))
        .await
        .expect("the server closed the connection before the default timeout");
    assert!(matches!(read, Ok(0) | Err(_)), "closed without an answer: {read:?}");
}

/// 400 aliases of a three-month availability would read every free session 400 times: the
/// complexity limit counts days × vehicles, so the query is refused before anything runs.
#[tokio::test]
async fn an_alias_bomb_of_availability_is_refused_before_it_runs() {
    let app = crate::helpers::spawn_app().await;
    let office = app.user_token("office", bloodplan::domain::auth::Role::Office, None).await;
    let aliases: String = (0..400)
        .map(|i| format!("a{i}: availability(from: \"2020-03-01\", to: \"2020-05-31\") {{ date session vehicle {{ id }} }} "))
        .collect();
    let query = format!("{{ {aliases} }}");
    assert!(query.len() > 30_000);
    let (answer, ran) = app.statements_of(app.gql_as(&office, &query, serde_json::json!({}))).await;
    assert_eq!(crate::helpers::error_code(&answer), Some("COMPLEXITY_LIMIT"), "{answer}");
    assert!(answer.get("data").is_none_or(|d| d.is_null()));
    // Refused before it ran: the token was checked, and not one vehicle or session was read.
    let reads_fleet = |sql: &String| sql.contains("vehicle") || sql.contains("visit_slot");
    assert!(!ran.is_empty() && ran.len() <= 3, "{ran:#?}");
    assert!(!ran.iter().any(reads_fleet), "{ran:#?}");
    // One three-month availability is within the limit, and does read them.
    let (_, ran) = app
        .statements_of(app.gql_ok_as(
            &office,
            "{ availability(from: \"2020-03-01\", to: \"2020-05-31\") { date session vehicle { id } } }",
            serde_json::json!({}),
        ))
        .await;
    assert!(ran.iter().any(reads_fleet), "{ran:#?}");
    // Paged lists count their page: 500 visits with their holder cost more than 20 rows.
    let wide: String = (0..10)
        .map(|i| format!("v{i}: visits(first: 500) {{ nodes {{ id date unit {{ name }} }} }} "))
        .collect();
    let answer = app.gql_as(&office, &format!("{{ {wide} }}"), serde_json::json!({})).await;
    assert_eq!(crate::helpers::error_code(&answer), Some("COMPLEXITY_LIMIT"), "{answer}");
}

/// A body that never finishes arriving is answered once the request time is up, and the
/// connection is freed instead of waiting for ever.
#[tokio::test]
async fn a_body_that_never_arrives_is_answered_503_when_the_request_time_is_up() {
    let app = spawn_app_with(AppOptions {
        configure: |c| c.http.request_timeout = Duration::from_secs(1),
        ..AppOptions::default()
    })
    .await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stream
        .write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"query\":")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), async {
        let mut buf = [0u8; 1024];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    answer.extend_from_slice(&buf[..n]);
                    if answer.windows(15).any(|w| w == b"REQUEST_TIMEOUT") {
                        break;
                    }
                }
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server answered");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains("REQUEST_TIMEOUT"), "{text}");
}

/// A list's per-row lookups go through DataLoaders: two visits or twelve with their
/// vehicles, two users or six with their holders, cost the same number of queries.
#[tokio::test]
async fn a_list_costs_the_same_queries_for_two_rows_or_twelve_with_their_vehicles_and_holders() {
    use bloodplan::domain::auth::Role;
    use serde_json::json;
    let app = crate::helpers::spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let hbust = app.unit_id("湖北科技学院").await;
    let mut vehicles = Vec::new();
    for name in ["鄂L采血01", "鄂L采血02", "鄂L采血03"] {
        vehicles.push(app.create_vehicle(&office, name).await);
    }
    for day in ["2020-03-02", "2020-03-03", "2020-03-04", "2020-03-05"] {
        for vehicle in &vehicles {
            app.book(&office, &hbust, vehicle, day, "MORNING", 30).await;
        }
    }
    let visits =
        "query($n: Int) { visits(first: $n) { totalCount hasNextPage nodes { id vehicle { name } } } }";
    let (two, ran_two) = app.statements_of(app.gql_ok_as(&office, visits, json!({ "n": 2 }))).await;
    let (all, ran_all) = app.statements_of(app.gql_ok_as(&office, visits, json!({ "n": 12 }))).await;
    assert_eq!(
        (two["visits"]["totalCount"].as_i64(), two["visits"]["hasNextPage"].as_bool()),
        (Some(12), Some(true))
    );
    assert_eq!(all["visits"]["hasNextPage"], false);
    let names: std::collections::BTreeSet<&str> = all["visits"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["vehicle"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.into_iter().collect::<Vec<_>>(), ["鄂L采血01", "鄂L采血02", "鄂L采血03"]);
    assert_eq!(ran_two.len(), ran_all.len(), "{ran_two:#?}\n{ran_all:#?}");
    let by_id = |sql: &&String| sql.contains("FROM \"vehicle\" WHERE \"vehicle\".\"id\" IN");
    assert_eq!(ran_all.iter().filter(by_id).count(), 1, "the three vehicles in one query: {ran_all:#?}");

    for (i, holder) in ["市公安局", "湖北科技学院", "咸宁职业技术学院", "市教育局", "赤壁"].iter().enumerate()
    {
        app.create_user(&format!("liaison{i}"), Role::Liaison, Some(holder)).await;
    }
    let users =
        "query($n: Int) { users(first: $n) { totalCount nodes { username unit { name quotas { year } } } } }";
    let (_, ran_two) = app.statements_of(app.gql_ok_as(&office, users, json!({ "n": 2 }))).await;
    let (all, ran_all) = app.statements_of(app.gql_ok_as(&office, users, json!({ "n": 6 }))).await;
    let holders: Vec<&str> =
        all["users"]["nodes"].as_array().unwrap().iter().filter_map(|u| u["unit"]["name"].as_str()).collect();
    assert_eq!(holders.len(), 5, "{all}");
    assert_eq!(ran_two.len(), ran_all.len(), "{ran_two:#?}\n{ran_all:#?}");
}

/// A failure that every row of a list meets is logged once for the request, then one line
/// counts the repeats: one request once wrote 57–184 MB of log, a line per row.
#[tokio::test]
async fn an_error_every_row_of_a_list_meets_is_logged_once_per_request() {
    use bloodplan::domain::auth::Role;
    use sea_orm::ConnectionTrait;
    let app = crate::helpers::spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let hbust = app.unit_id("湖北科技学院").await;
    let vehicle = app.create_vehicle(&office, "鄂L采血01").await;
    for day in ["2020-03-02", "2020-03-03", "2020-03-04", "2020-03-05"] {
        app.book(&office, &hbust, &vehicle, day, "MORNING", 30).await;
    }
    // The page's histories are read in one batch, and the table it reads goes missing: every
    // row meets the one failure.
    app.db.execute_unprepared("ALTER TABLE audit_log RENAME TO audit_log_moved_away").await.unwrap();
    let query = "query EveryRowMeetsOneFault { visits { nodes { id history { action } } } }";
    let answer = app.gql_as(&office, query, serde_json::json!({})).await;
    let errors = answer["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 4, "{answer}");
    assert!(errors.iter().all(|e| e["extensions"]["code"] == "INTERNAL"), "{answer}");
    let causes = crate::helpers::logs::containing("audit_log");
    assert_eq!(causes.len(), 1, "{causes:#?}");
    assert!(causes[0].contains("internal error while serving a request"), "{}", causes[0]);
    let repeats = crate::helpers::logs::containing("EveryRowMeetsOneFault");
    assert_eq!(repeats.len(), 1, "{repeats:#?}");
    assert!(repeats[0].contains("repeats=3") && repeats[0].contains("INTERNAL"), "{}", repeats[0]);
}
