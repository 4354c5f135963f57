//! Plain rules of the domain: no database, no GraphQL.
pub mod activity_table;
pub mod auth;
pub mod booking;
pub mod booking_limit;
pub mod breakdown;
pub mod city_targets;
pub mod clinical_use;
pub(crate) mod code_enum;
pub mod collection;
pub mod contact;
pub mod donation_rate;
pub mod fulfilment;
pub mod ics;
pub mod ids;
pub mod plan_draft;
pub mod plan_table;
pub mod reminders;
pub mod schedule;
pub mod section;
pub mod synthetic;
pub mod text;
pub mod unit_kind;
pub mod visit;
pub mod work_calendar;

pub use section::Section;
pub use unit_kind::UnitKind;
