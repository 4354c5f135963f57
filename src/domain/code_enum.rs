//! One declaration for the enums the database stores as their codes (`FULL_DAY`, `university`).

/// Declares an enum stored and sent as its strum code: the derives every such enum shares,
/// `ALL` (every value, in declaration order) and `code()`. The strum casing
/// (`#[strum(serialize_all = "…")]`) and the docs are given with the enum.
/// `src/db/codes.rs` makes each of them a column type.
///
/// Variants written `Name => "标签"` also give `label_zh()` (what the pages and emails show)
/// and `parse()`, which accepts the code in any case or the label.
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident => $label:literal,)+
        }
    ) => {
        code_enum! {
            $(#[$meta])*
            pub enum $name {
                $($(#[$variant_meta])* $variant,)+
            }
        }

        impl $name {
            /// The Chinese label the pages, exports and emails show.
            pub fn label_zh(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                }
            }

            /// Accepts the code (any case) or the Chinese label, blanks around it ignored.
            pub fn parse(text: &str) -> Option<$name> {
                let text = text.trim();
                $name::ALL.into_iter().find(|v| v.code().eq_ignore_ascii_case(text) || v.label_zh() == text)
            }
        }
    };
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident,)+
        }
    ) => {
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            strum::EnumString,
            strum::Display,
            strum::IntoStaticStr,
        )]
        $(#[$meta])*
        pub enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [$name; [$(stringify!($variant)),+].len()] = [$($name::$variant),+];

            /// The stable code stored in the database and used in files and the API.
            pub fn code(self) -> &'static str {
                self.into()
            }
        }
    };
}

pub(crate) use code_enum;

#[cfg(test)]
mod tests {
    use crate::domain::breakdown::BreakdownStatus;
    use crate::domain::collection::CollectionSite;
    use crate::domain::visit::{Session, VisitStatus};
    use crate::domain::{Section, UnitKind};

    /// Every value of each enum parses back from its code, in either case, and its label.
    macro_rules! assert_parse_back {
        ($($ty:ident),+) => {$(
            for v in $ty::ALL {
                assert_eq!($ty::parse(v.code()), Some(v));
                assert_eq!($ty::parse(&v.code().to_lowercase()), Some(v));
                assert_eq!($ty::parse(&format!(" {} ", v.label_zh())), Some(v));
            }
        )+};
    }

    #[test]
    fn codes_in_any_case_and_chinese_labels_parse_back() {
        assert_parse_back!(Section, UnitKind, Session, VisitStatus, CollectionSite, BreakdownStatus);
    }
}
