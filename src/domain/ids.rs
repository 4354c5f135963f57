//! Ids of the main objects, each its own type: passing a holder's id where a visit's is
//! expected does not compile. The database stores them as the integers they wrap.
//!
//! ```compile_fail
//! use bloodplan::domain::ids::{UnitId, VisitId};
//! fn cancel(_visit: VisitId) {}
//! cancel(UnitId(7));
//! ```
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i32);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<i32> for $name {
            fn from(id: i32) -> $name {
                $name(id)
            }
        }

        impl From<$name> for i32 {
            fn from(id: $name) -> i32 {
                id.0
            }
        }
    };
}

id_type!(
    /// A quota holder (献血单位).
    UnitId
);
id_type!(
    /// A collection vehicle (采血车).
    VehicleId
);
id_type!(
    /// A visit of a vehicle to a holder (采血活动).
    VisitId
);
id_type!(
    /// An account.
    UserId
);
id_type!(
    /// A sub-unit (二级单位) of a holder in one year: one name of its accepted breakdown.
    SubUnitId
);
