//! One integration-test binary: each module is an area of the API, driven over HTTP.
mod helpers;

mod access_matrix;
mod accounts;
mod attack;
mod audit;
mod backend;
mod collections;
mod contacts;
mod error_codes;
mod fair_booking;
mod feeds;
mod fulfilment;
mod http_safety;
mod import;
mod layering;
mod numbers;
mod overload;
mod parity;
mod plan;
mod reminders;
mod schema;
mod serve;
mod smtp_server;
mod visit_concurrency;
mod visit_properties;
mod visits;
