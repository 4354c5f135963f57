//! One integration-test binary: each module is an area of the API, driven over HTTP.
mod helpers;

mod access_matrix;
mod accounts;
mod audit;
mod backend;
mod browser;
mod collections;
mod contacts;
mod figures;
mod fulfilment;
mod http_safety;
mod import;
mod layering;
mod notices;
mod plan;
mod readme;
mod reminders;
mod schema;
mod serve;
mod smtp_server;
mod visit_concurrency;
mod visit_properties;
mod visits;
mod web_flow;
mod web_security;
