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

struct Fixture {
    hbust: String,
    victim: String,
}

struct Row {
    field: &'static str,
    mutation: bool,
    document: &'static str,
    variables: fn(&Fixture, &str) -> Value,
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
            field: "updateUnitContact",
            mutation: true,
            document: "mutation($u: ID!) { updateUnitContact(unitId: $u, input: { name: \"张老师\", phone: \"13907151234\", email: \"z@hbust.edu.cn\" }) { id } }",
            variables: |f, _| json!({ "u": f.hbust }),
            expect: [UNAUTH, Allowed, Allowed, FORBID],
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
    let fixture = Fixture { hbust: app.unit_id("湖北科技学院").await, victim };

    let mut failures = Vec::new();
    for row in matrix() {
        for (caller, expected) in CALLERS.into_iter().zip(row.expect) {
            let variables = (row.variables)(&fixture, &format!("{caller:?}").to_lowercase());
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
                        failures.push(format!("{} as {caller:?}: unexpected error {other:?}: {answer}", row.field));
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
    let in_matrix: BTreeSet<String> = matrix().iter().filter(|r| r.mutation).map(|r| r.field.to_owned()).collect();
    assert_eq!(in_schema, in_matrix, "add the new mutation to the access matrix");
}
