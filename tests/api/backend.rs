//! CI runs the suite once per backend and asks each run to prove which one it used.
use crate::helpers::fresh_database;

#[tokio::test]
async fn the_suite_runs_on_the_backend_ci_asked_for() {
    let database = fresh_database().await;
    let actual = if database.is_postgres() { "postgres" } else { "sqlite" };
    if let Ok(expected) = std::env::var("BLOODPLAN_TEST_EXPECT_BACKEND") {
        assert_eq!(actual, expected, "CI asked for {expected} but the tests ran on {actual}");
    }
}
