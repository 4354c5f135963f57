//! Entities, owned by hand: never regenerated over.

/// An entity's relations and what sea-orm needs of them, written once: the `Relation` enum,
/// its `RelationTrait` (what `DeriveRelation` would write), `impl Related` for each related
/// entity, and the default `ActiveModelBehavior`. Each relation is
/// `Variant => belongs_to module (ForeignKeyColumn -> KeyColumn)` or
/// `Variant => has_many module`, the module being a sibling entity; `relations!()` for none.
macro_rules! relations {
    ($($variant:ident => $kind:ident $entity:ident $(($from:ident -> $to:ident))?),* $(,)?) => {
        #[derive(Copy, Clone, Debug, EnumIter)]
        pub enum Relation {
            $($variant),*
        }

        impl RelationTrait for Relation {
            fn def(&self) -> RelationDef {
                match *self {
                    $(Self::$variant => relations!(@def $kind $entity $(($from -> $to))?),)*
                }
            }
        }

        $(
            impl Related<super::$entity::Entity> for Entity {
                fn to() -> RelationDef {
                    Relation::$variant.def()
                }
            }
        )*

        impl ActiveModelBehavior for ActiveModel {}
    };
    (@def belongs_to $entity:ident ($from:ident -> $to:ident)) => {
        Entity::belongs_to(super::$entity::Entity).from(Column::$from).to(super::$entity::Column::$to).into()
    };
    (@def has_many $entity:ident) => {
        Entity::has_many(super::$entity::Entity).into()
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
