use std::fmt;

/// What kind of organisation a quota holder is; term reminders and reports group by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
        match self {
            UnitKind::University => "university",
            UnitKind::School => "school",
            UnitKind::Hospital => "hospital",
            UnitKind::Government => "government",
            UnitKind::Military => "military",
            UnitKind::Bank => "bank",
            UnitKind::Insurer => "insurer",
            UnitKind::Enterprise => "enterprise",
            UnitKind::Hotel => "hotel",
            UnitKind::Retail => "retail",
            UnitKind::Other => "other",
        }
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

impl fmt::Display for UnitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
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
}
