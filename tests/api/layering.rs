//! Imports point down: domain ← db ← services ← graphql / http / web. A path to a layer
//! above, anywhere in a file (a `use` line or inline), fails this test with the file and
//! the line.
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// Every line of `src/<layer>` that names `crate::<m>` (or `bloodplan::<m>`) for a
/// forbidden `m`, or an external crate the layer must not know.
fn violations(layer: &str, forbidden_modules: &[&str], forbidden_crates: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(layer);
    let files = rust_files(&root);
    assert!(!files.is_empty(), "no sources under {}", root.display());
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            let upward = forbidden_modules.iter().any(|m| {
                code.contains(&format!("crate::{m}::"))
                    || code.contains(&format!("crate::{m};"))
                    || code.contains(&format!("crate::{{{m}"))
                    || code.contains(&format!("crate::{m}}}"))
                    || code.contains(&format!("bloodplan::{m}::"))
            });
            let foreign = forbidden_crates
                .iter()
                .any(|c| code.contains(&format!("{c}::")) && !code.contains(&format!("_{c}::")));
            if upward || foreign {
                found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    found
}

const ABOVE_SERVICES: &[&str] = &["graphql", "http", "web", "startup", "state", "config"];

#[test]
fn the_domain_imports_nothing_above_it_and_no_database_or_graphql_crate() {
    let above = [&["db", "services", "email", "error", "clock"][..], ABOVE_SERVICES].concat();
    let v = violations("domain", &above, &["sea_orm", "sea_query", "async_graphql", "poem", "lettre"]);
    assert!(v.is_empty(), "the domain imports upward:\n{}", v.join("\n"));
}

#[test]
fn the_database_layer_imports_only_the_domain() {
    let above = [&["services", "email", "error"][..], ABOVE_SERVICES].concat();
    let v = violations("db", &above, &["async_graphql", "poem"]);
    assert!(v.is_empty(), "src/db imports upward:\n{}", v.join("\n"));
}

#[test]
fn services_import_nothing_from_graphql_http_web_startup_or_config() {
    let v = violations("services", &[&["error"][..], ABOVE_SERVICES].concat(), &["async_graphql", "poem"]);
    assert!(v.is_empty(), "src/services imports upward:\n{}", v.join("\n"));
}

#[test]
fn email_does_not_import_config_or_anything_above_services() {
    let v = violations(
        "email",
        &[&["services", "error"][..], ABOVE_SERVICES].concat(),
        &["async_graphql", "poem"],
    );
    assert!(v.is_empty(), "src/email imports upward:\n{}", v.join("\n"));
}

#[test]
fn the_layering_check_sees_an_upward_import() {
    // The check itself can fail: graphql does import services, so forbidding it is caught.
    assert!(!violations("graphql", &["services"], &[]).is_empty());
}

#[test]
fn http_handlers_never_reach_sideways_into_the_web_pages() {
    // src/http/mod.rs mounts the pages beside /graphql; every other file of src/http is below
    // the pages (they read its tokens and client addresses), so it never names src/web.
    let v: Vec<String> =
        violations("http", &["web"], &[]).into_iter().filter(|l| !l.contains("src/http/mod.rs:")).collect();
    assert!(v.is_empty(), "src/http imports the web pages:\n{}", v.join("\n"));
}
