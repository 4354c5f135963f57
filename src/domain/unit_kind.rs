/// What kind of organisation a quota holder is; term reminders and reports group by it.
/// Stored as its lower-case code (`university`).
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
#[strum(serialize_all = "lowercase")]
pub enum UnitKind {
    University,
    School,
    Hospital,
    Government,
    Military,
    Bank,
    Insurer,
    Enterprise,
    Hotel,
    Retail,
    Other,
}

impl UnitKind {
    pub const ALL: [UnitKind; 11] = [
        UnitKind::University,
        UnitKind::School,
        UnitKind::Hospital,
        UnitKind::Government,
        UnitKind::Military,
        UnitKind::Bank,
        UnitKind::Insurer,
        UnitKind::Enterprise,
        UnitKind::Hotel,
        UnitKind::Retail,
        UnitKind::Other,
    ];

    pub fn code(self) -> &'static str {
        self.into()
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            UnitKind::University => "高校",
            UnitKind::School => "中小学校",
            UnitKind::Hospital => "医院",
            UnitKind::Government => "机关",
            UnitKind::Military => "部队",
            UnitKind::Bank => "银行",
            UnitKind::Insurer => "保险",
            UnitKind::Enterprise => "企业",
            UnitKind::Hotel => "酒店",
            UnitKind::Retail => "商超",
            UnitKind::Other => "其他",
        }
    }

    /// Accepts the code (any case) or the Chinese label.
    pub fn parse(text: &str) -> Option<UnitKind> {
        let text = text.trim();
        UnitKind::ALL.into_iter().find(|k| k.code().eq_ignore_ascii_case(text) || k.label_zh() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_parses_from_code_and_label() {
        for k in UnitKind::ALL {
            assert_eq!(UnitKind::parse(k.code()), Some(k));
            assert_eq!(UnitKind::parse(k.label_zh()), Some(k));
        }
        assert_eq!(UnitKind::parse("UNIVERSITY"), Some(UnitKind::University));
        assert_eq!(UnitKind::parse("church"), None);
    }

    #[test]
    fn stored_codes_stay_as_they_were() {
        let codes = [
            "university",
            "school",
            "hospital",
            "government",
            "military",
            "bank",
            "insurer",
            "enterprise",
            "hotel",
            "retail",
            "other",
        ];
        assert_eq!(UnitKind::ALL.map(UnitKind::code), codes);
        assert!("UNIVERSITY".parse::<UnitKind>().is_err(), "a stored code is exact");
    }
}
