//! The checked-in SDL must match the code.

#[test]
fn the_checked_in_schema_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/schema.graphql");
    let checked_in = std::fs::read_to_string(&path).expect("schema/schema.graphql exists");
    let current = bloodplan::graphql::sdl();
    assert!(
        checked_in == current,
        "schema/schema.graphql is out of date: run `cargo run -- export-schema` and commit the result"
    );
}
