//! Every error a client can cause has a code and a Chinese message, and the endpoint speaks
//! GraphQL over HTTP: `application/graphql-response+json` with 4xx for requests that fail
//! before execution.
use bloodplan::domain::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app, TestApp};

fn is_chinese(message: &str) -> bool {
    message.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// Posts with an `Accept` header and returns status, content type and body.
async fn post_accepting(
    app: &TestApp,
    accept: &str,
    token: Option<&str>,
    body: Value,
) -> (u16, String, Value) {
    let mut request = app.client.post(app.graphql_url()).header("Accept", accept).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    (status, content_type, response.json().await.unwrap())
}

#[tokio::test]
async fn parse_validation_and_value_errors_carry_a_code_and_a_chinese_message() {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    let cases = [
        ("{ plans { year ", json!({}), "GRAPHQL_PARSE_FAILED"),
        ("{ plans { nope } }", json!({}), "GRAPHQL_VALIDATION_FAILED"),
        (
            "query($f: Date!) { availability(from: $f, to: \"2020-03-31\") { date } }",
            json!({ "f": "2020-13-45" }),
            "BAD_INPUT",
        ),
        ("{ availability(from: \"03/01/2020\", to: \"2020-03-31\") { date } }", json!({}), "BAD_INPUT"),
        ("{ visits(status: [DONE]) { totalCount } }", json!({}), "BAD_INPUT"),
        (
            "query($s: [VisitStatus!]) { visits(status: $s) { totalCount } }",
            json!({ "s": ["DONE"] }),
            "BAD_INPUT",
        ),
    ];
    for (query, variables, code) in cases {
        let answer = app.gql_as(&office, query, variables).await;
        assert_eq!(error_code(&answer), Some(code), "{query}: {answer}");
        let message = answer["errors"][0]["message"].as_str().unwrap();
        assert!(is_chinese(message), "{query}: {message}");
    }
    let mut deep = String::from("name");
    for _ in 0..12 {
        deep = format!("ofType {{ {deep} }}");
    }
    let answer = app.gql(&format!("{{ __type(name: \"Plan\") {{ {deep} }} }}"), json!({})).await;
    assert_eq!(error_code(&answer), Some("DEPTH_LIMIT"), "{answer}");
    assert!(is_chinese(answer["errors"][0]["message"].as_str().unwrap()));
}

#[tokio::test]
async fn the_export_endpoint_answers_bad_parameters_with_a_code() {
    let app = spawn_app().await;
    let office = app.user_token("office", Role::Office, None).await;
    for query in ["year=twenty", "year=2020&asOf=2020-02-30", "asOf=2020-03-01", "year=99999"] {
        let response = app
            .client
            .get(format!("{}/exports/fulfilment.csv?{query}", app.address))
            .bearer_auth(&office)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_code(&body), Some("BAD_INPUT"), "{query}: {body}");
        assert!(is_chinese(body["errors"][0]["message"].as_str().unwrap()));
    }
}

#[tokio::test]
async fn graphql_response_json_is_answered_with_its_own_type_and_4xx_before_execution() {
    let app = spawn_app().await;
    let gr = "application/graphql-response+json";
    let (status, content_type, body) =
        post_accepting(&app, gr, None, json!({ "query": "{ __typename }" })).await;
    assert_eq!((status, content_type.as_str()), (200, "application/graphql-response+json; charset=utf-8"));
    assert_eq!(body["data"]["__typename"], "Query");

    for query in ["{", "{ nope }"] {
        let (status, _, body) = post_accepting(&app, gr, None, json!({ "query": query })).await;
        assert_eq!(status, 400, "{query}");
        assert!(body.get("data").is_none(), "{query}: {body}");
        // With plain JSON the same failure is a 200.
        let (status, content_type, _) =
            post_accepting(&app, "application/json", None, json!({ "query": query })).await;
        assert_eq!((status, content_type.as_str()), (200, "application/json; charset=utf-8"), "{query}");
    }
    let coercion =
        json!({ "query": "query($y: Int!) { plan(year: $y) { year } }", "variables": { "y": "x" } });
    assert_eq!(post_accepting(&app, gr, None, coercion).await.0, 400);
    // A field error is still a 200: data is there.
    let (status, _, body) = post_accepting(&app, gr, None, json!({ "query": "{ me { username } }" })).await;
    assert_eq!(status, 200);
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));
    // Parameters of the wrong type are a bad request.
    for bad in [
        json!({ "qeury": "{ __typename }" }),
        json!({ "query": 1 }),
        json!({ "query": "{ __typename }", "variables": "x" }),
    ] {
        assert_eq!(post_accepting(&app, "application/json", None, bad.clone()).await.0, 400, "{bad}");
    }
    let (status, _, _) = post_accepting(&app, "text/html", None, json!({ "query": "{ __typename }" })).await;
    assert_eq!(status, 406);
}
