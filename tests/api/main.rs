//! One integration-test binary: each module is an area of the API, driven over HTTP.
mod helpers;

mod backend;
mod http_safety;
mod import;
mod plan;
mod schema;
