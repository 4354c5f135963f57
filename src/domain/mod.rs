//! Plain rules of the domain: no database, no GraphQL.
pub mod auth;
pub mod contact;
pub mod plan_table;
pub mod section;
pub mod unit_kind;

pub use section::Section;
pub use unit_kind::UnitKind;
