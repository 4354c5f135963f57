//! bloodplan: the yearly group blood-donation plan of a city, its quota holders, the
//! collection-vehicle visits booked against the quotas, and their fulfilment.
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod email;
pub mod error;
pub mod graphql;
pub mod http;
pub mod services;
pub mod startup;
pub mod state;
pub mod web;
