//! The GraphQL endpoint against cross-site and oversized requests.
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_mutation_over_get_is_405_and_a_query_over_get_works() {
    let app = spawn_app().await;
    let response =
        app.client.get(app.graphql_url()).query(&[("query", "mutation { logout }")]).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "POST");

    let response = app
        .client
        .get(app.graphql_url())
        .query(&[("query", "{ plan(year: 2020) { year } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["plan"]["year"], 2020);
}

#[tokio::test]
async fn graphiql_is_served_on_a_plain_get() {
    let app = spawn_app().await;
    let response = app.client.get(app.graphql_url()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("graphiql"));
}

/// GraphiQL's introspection nests about fifteen levels, deeper than `/graphql` allows (10):
/// its page reads the schema from here, so documentation and autocomplete work.
#[tokio::test]
async fn graphiql_reads_the_whole_schema_although_its_introspection_is_deeper_than_the_limit() {
    let app = spawn_app().await;
    let url = format!("{}/introspection.json", app.graphql_url());
    let answer: Value = app.client.get(&url).send().await.unwrap().json().await.unwrap();
    let schema = &answer["data"]["__schema"];
    assert_eq!(schema["queryType"]["name"], "Query", "{answer}");
    assert_eq!(schema["mutationType"]["name"], "Mutation");
    let query = schema["types"].as_array().unwrap().iter().find(|t| t["name"] == "Query").unwrap();
    let plans = query["fields"].as_array().unwrap().iter().find(|f| f["name"] == "plans").unwrap();
    // [Plan!]! read through three levels of ofType.
    let t = &plans["type"];
    assert_eq!(
        (
            &t["kind"],
            &t["ofType"]["kind"],
            &t["ofType"]["ofType"]["kind"],
            &t["ofType"]["ofType"]["ofType"]["name"]
        ),
        (&json!("NON_NULL"), &json!("LIST"), &json!("NON_NULL"), &json!("Plan"))
    );
    let page = app.client.get("{}/assets/graphiql-init.js".replace("{}", &app.address)).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("/graphql/introspection.json"), "the page asks for it");
}

#[tokio::test]
async fn bodies_that_are_not_json_get_415_before_any_resolver() {
    let app = spawn_app().await;
    let query = r#"{"query":"{ plan(year: 2020) { year } }"}"#;
    for content_type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
    {
        let response = app
            .client
            .post(app.graphql_url())
            .header("content-type", content_type)
            .body(query)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type}");
        let body: Value = response.json().await.unwrap();
        assert!(body.get("data").is_none(), "no resolver ran for {content_type}");
    }
    let response = app.client.post(app.graphql_url()).body(query).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "no content type");
    let response = app
        .client
        .post(app.graphql_url())
        .header("content-type", "application/json; charset=utf-8")
        .body(query)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn oversized_bodies_and_batches_are_refused() {
    let app = spawn_app().await;
    let huge = json!({ "query": format!("{{ plans {{ year }} }} #{}", "x".repeat(300 * 1024)) });
    let response = app.client.post(app.graphql_url()).json(&huge).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let one = json!({ "query": "{ plans { year } }" });
    let response = app.client.post(app.graphql_url()).json(&vec![one.clone(); 11]).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BATCH_LIMIT");

    let response = app.client.post(app.graphql_url()).json(&vec![one; 2]).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body.as_array().map(Vec::len), Some(2));
    assert_eq!(body[1]["data"]["plans"][0]["year"], 2020);
}

#[tokio::test]
async fn malformed_json_is_a_bad_request() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.graphql_url())
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
