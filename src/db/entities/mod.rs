//! Entities, owned by hand: never regenerated over.
pub mod app_user;
pub mod audit_log;
pub mod collection;
pub mod collection_revision;
pub mod auth_token;
pub mod login_throttle;
pub mod plan;
pub mod plan_quota;
pub mod plan_section;
pub mod plan_warning;
pub mod unit;
pub mod unit_calendar;
pub mod unit_contact;
pub mod vehicle;
pub mod vehicle_blackout;
pub mod visit;
pub mod visit_slot;
