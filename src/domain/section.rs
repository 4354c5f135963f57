/// The three parts (计划安排) of the yearly plan table. Stored as its code (`CITY_UNIT`).
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
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum Section {
    /// 各县(市、区)
    County,
    /// 市直各单位
    CityUnit,
    /// 企业
    Enterprise,
}

impl Section {
    pub const ALL: [Section; 3] = [Section::County, Section::CityUnit, Section::Enterprise];

    /// The stable code used in files, the database and the API.
    pub fn code(self) -> &'static str {
        self.into()
    }

    /// The section's place in the printed table (一、二、三): the table's order, stored beside
    /// each row (`plan_quota.section_rank`) so that an index serves it.
    pub fn rank(self) -> i32 {
        match self {
            Section::County => 1,
            Section::CityUnit => 2,
            Section::Enterprise => 3,
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Section::County => "各县(市、区)",
            Section::CityUnit => "市直各单位",
            Section::Enterprise => "企业",
        }
    }

    /// Accepts the code (any case) or the Chinese label an office clerk would type.
    pub fn parse(text: &str) -> Option<Section> {
        let text = text.trim();
        Section::ALL.into_iter().find(|s| {
            s.code().eq_ignore_ascii_case(text)
                || s.label_zh() == text
                || match s {
                    Section::County => matches!(text, "县" | "县市区" | "县(市、区)"),
                    Section::CityUnit => matches!(text, "市直" | "市直单位"),
                    Section::Enterprise => false,
                }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_chinese_labels_parse_back() {
        for s in Section::ALL {
            assert_eq!(Section::parse(s.code()), Some(s));
            assert_eq!(Section::parse(s.label_zh()), Some(s));
        }
        assert_eq!(Section::parse("city_unit"), Some(Section::CityUnit));
        assert_eq!(Section::parse("市直"), Some(Section::CityUnit));
        assert_eq!(Section::parse("乡镇"), None);
    }

    #[test]
    fn stored_codes_stay_as_they_were() {
        assert_eq!(Section::ALL.map(Section::code), ["COUNTY", "CITY_UNIT", "ENTERPRISE"]);
        assert_eq!("CITY_UNIT".parse(), Ok(Section::CityUnit));
        assert!("city_unit".parse::<Section>().is_err(), "a stored code is exact");
        assert_eq!(Section::CityUnit.to_string(), "CITY_UNIT");
    }
}
