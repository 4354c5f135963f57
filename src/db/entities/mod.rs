//! Entities, owned by hand: never regenerated over.

/// `impl Related<entity> for Entity` through `Relation::variant`, for each `variant => entity`:
/// what sea-orm needs to join or load an entity through one of its relations.
macro_rules! related {
    ($($relation:ident => $entity:path),+ $(,)?) => {
        $(
            impl Related<$entity> for Entity {
                fn to() -> RelationDef {
                    Relation::$relation.def()
                }
            }
        )+
    };
}

pub mod app_user;
pub mod audit_log;
pub mod auth_token;
pub mod breakdown;
pub mod breakdown_deadline;
pub mod breakdown_row;
pub mod city_population;
pub mod clinical_use;
pub mod collection;
pub mod collection_revision;
pub mod county_population;
pub mod holder_month_total;
pub mod known_login_address;
pub mod login_address;
pub mod login_throttle;
pub mod outbox;
pub mod plan;
pub mod plan_quota;
pub mod plan_section;
pub mod plan_warning;
pub mod reminder_rule;
pub mod sub_unit;
pub mod sub_unit_month_total;
pub mod term_calendar;
pub mod unit;
pub mod unit_calendar;
pub mod unit_contact;
pub mod vehicle;
pub mod vehicle_blackout;
pub mod visit;
pub mod visit_slot;
