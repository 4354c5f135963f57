//! Entities, owned by hand: never regenerated over.
pub mod plan;
pub mod plan_quota;
pub mod plan_section;
pub mod plan_warning;
pub mod unit;
