//! The domain's enums as column types: entities hold `VisitStatus`, not `String`.
//!
//! Why hand-written impls here, not `DeriveValueType` / `DeriveActiveEnum`: those derives go
//! on the type's own declaration, which would make `src/domain` depend on sea-orm (the
//! layering test forbids it), and mirror enums in `src/db` would need a conversion at every
//! use. The domain enums are types of this crate, so `src/db` may implement sea-orm's traits
//! for them directly: the same four impls `DeriveValueType` generates for an enum stored as a
//! string (`From<T> for Value`, `TryGetable`, `ValueType`, `Nullable`), written once in a
//! macro. The codes themselves come from the enums' strum derives, byte for byte as before.
//!
//! One policy for a stored value that is not a code: reading the row fails with a database
//! error (the client sees `INTERNAL`) and a log line names the table, column and value —
//! never a default, a not-found or a dropped row. The CHECK constraints of migration
//! m20261129_000301 keep such values out; this is what happens if one gets in anyway.
use std::str::FromStr;

use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, StringLen, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, DbErr, QueryResult, TryGetError, TryGetable, Value};

use crate::domain::auth::Role;
use crate::domain::breakdown::BreakdownStatus;
use crate::domain::collection::CollectionSite;
use crate::domain::ids::{SubUnitId, UnitId, UserId, VehicleId, VisitId};
use crate::domain::reminders::{MessageKind, OutboxStatus, ReminderKind};
use crate::domain::visit::{HalfDay, Session, VisitStatus};
use crate::domain::{Section, UnitKind};

/// Implements the column-type traits for a domain enum with `code()` and a strict `FromStr`,
/// given the `table.column`s that store it (named when a stored value is not a code).
macro_rules! stored_as_code {
    ($ty:ty, [$($home:literal),+ $(,)?]) => {
        impl From<$ty> for Value {
            fn from(value: $ty) -> Value {
                Value::String(Some(value.code().to_owned()))
            }
        }

        impl TryGetable for $ty {
            fn try_get_by<I: ColIdx>(res: &QueryResult, idx: I) -> Result<Self, TryGetError> {
                let stored = String::try_get_by(res, idx)?;
                decode(&stored, stringify!($ty), idx.as_str(), &[$($home),+])
            }
        }

        impl ValueType for $ty {
            fn try_from(value: Value) -> Result<Self, ValueTypeErr> {
                <String as ValueType>::try_from(value)?.parse().map_err(|_| ValueTypeErr)
            }

            fn type_name() -> String {
                stringify!($ty).to_owned()
            }

            fn array_type() -> ArrayType {
                ArrayType::String
            }

            fn column_type() -> ColumnType {
                ColumnType::String(StringLen::None)
            }
        }

        impl Nullable for $ty {
            fn null() -> Value {
                Value::String(None)
            }
        }

        impl sea_orm::sea_query::postgres_array::NotU8 for $ty {}
    };
}

stored_as_code!(Section, ["plan_quota.section", "plan_section.section", "plan_warning.section"]);
stored_as_code!(UnitKind, ["unit.kind", "breakdown_row.kind"]);
stored_as_code!(Role, ["app_user.role"]);
stored_as_code!(Session, ["visit.session", "outbox.ref_visit_session"]);
stored_as_code!(HalfDay, ["visit_slot.half_day"]);
stored_as_code!(VisitStatus, ["visit.status"]);
stored_as_code!(CollectionSite, ["collection.site", "collection_revision.site"]);
stored_as_code!(ReminderKind, ["reminder_rule.kind"]);
stored_as_code!(OutboxStatus, ["outbox.status"]);
stored_as_code!(MessageKind, ["outbox.kind"]);
stored_as_code!(BreakdownStatus, ["breakdown.status"]);

/// Parses a stored code; a value that is not one is logged with where it was found and
/// becomes a database error.
fn decode<T: FromStr>(
    stored: &str,
    type_name: &str,
    column: Option<&str>,
    homes: &[&str],
) -> Result<T, TryGetError> {
    stored.parse().map_err(|_| {
        let found = locate(column, homes);
        tracing::error!(
            table_column = %found,
            value = stored,
            "a stored {type_name} is not one of its codes: the row cannot be read"
        );
        TryGetError::DbErr(DbErr::Type(format!("{found} holds {stored:?}, which is not a {type_name} code")))
    })
}

/// The `table.column` a value was read from, from the column name the query used (`status`,
/// or prefixed as in `A_status` when two entities are selected together).
fn locate(column: Option<&str>, homes: &[&str]) -> String {
    let Some(column) = column else { return homes.join(" or ") };
    let name_of = |home: &&str| home.rsplit('.').next().unwrap_or_default().to_owned();
    let exact: Vec<&str> = homes.iter().filter(|h| name_of(h) == column).copied().collect();
    let matching = if exact.is_empty() {
        homes.iter().filter(|h| column.ends_with(&format!("_{}", name_of(h)))).copied().collect()
    } else {
        exact
    };
    match matching.as_slice() {
        [] => format!("column {column} ({})", homes.join(" or ")),
        found => found.join(" or "),
    }
}

/// Ids are stored as the integers they wrap. A column that refers to a holder, a vehicle, a
/// visit or an account holds the id type (`visit.unit_id: UnitId`), so that a swapped id does
/// not compile; primary keys stay `i32`, and `find_by_id` takes an id through
/// `From<UnitId> for i32`.
macro_rules! stored_as_integer {
    ($($ty:ident),+) => {$(
        impl From<$ty> for Value {
            fn from(id: $ty) -> Value {
                Value::Int(Some(id.0))
            }
        }

        impl TryGetable for $ty {
            fn try_get_by<I: ColIdx>(res: &QueryResult, idx: I) -> Result<Self, TryGetError> {
                i32::try_get_by(res, idx).map($ty)
            }
        }

        impl ValueType for $ty {
            fn try_from(value: Value) -> Result<Self, ValueTypeErr> {
                <i32 as ValueType>::try_from(value).map($ty)
            }

            fn type_name() -> String {
                stringify!($ty).to_owned()
            }

            fn array_type() -> ArrayType {
                ArrayType::Int
            }

            fn column_type() -> ColumnType {
                ColumnType::Integer
            }
        }

        impl Nullable for $ty {
            fn null() -> Value {
                Value::Int(None)
            }
        }

        impl sea_orm::sea_query::postgres_array::NotU8 for $ty {}
    )+};
}

stored_as_integer!(UnitId, VehicleId, VisitId, UserId, SubUnitId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_value_is_located_by_its_column() {
        let homes = ["visit.session", "outbox.ref_visit_session"];
        assert_eq!(locate(Some("session"), &homes), "visit.session");
        assert_eq!(locate(Some("ref_visit_session"), &homes), "outbox.ref_visit_session");
        assert_eq!(locate(Some("A_session"), &homes), "visit.session");
        assert_eq!(
            locate(Some("section"), &["plan_quota.section", "plan_section.section"]),
            "plan_quota.section or plan_section.section"
        );
        assert_eq!(locate(None, &["visit.status"]), "visit.status");
    }

    #[test]
    fn codes_go_to_the_database_as_they_always_were() {
        assert_eq!(Value::from(VisitStatus::NoShow), Value::String(Some("NO_SHOW".to_owned())));
        assert_eq!(Value::from(UnitKind::University), Value::String(Some("university".to_owned())));
        assert_eq!(<Session as ValueType>::try_from(Value::from("FULL_DAY")).ok(), Some(Session::FullDay));
        assert!(<Session as ValueType>::try_from(Value::from("full_day")).is_err());
    }
}
