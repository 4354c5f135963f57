use super::code_enum::code_enum;

code_enum! {
    /// The three parts (计划安排) of the yearly plan table. Stored as its code (`CITY_UNIT`).
    #[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
    pub enum Section {
        /// 各县(市、区)
        County,
        /// 市直各单位
        CityUnit,
        /// 企业
        Enterprise,
    }
}

impl Section {
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
    fn clerks_short_names_parse_and_others_do_not() {
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
