use super::code_enum::code_enum;

code_enum! {
    /// What kind of organisation a quota holder is; term reminders and reports group by it.
    /// Stored as its lower-case code (`university`).
    #[strum(serialize_all = "lowercase")]
    pub enum UnitKind {
        University => "高校",
        School => "中小学校",
        Hospital => "医院",
        Government => "机关",
        Military => "部队",
        Bank => "银行",
        Insurer => "保险",
        Enterprise => "企业",
        Hotel => "酒店",
        Retail => "商超",
        Other => "其他",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_parses_in_any_case_and_an_unknown_kind_does_not() {
        assert_eq!(UnitKind::parse("UNIVERSITY"), Some(UnitKind::University));
        assert_eq!(UnitKind::parse("church"), None);
    }

    #[test]
    fn stored_codes_stay_as_they_were() {
        let all = "university school hospital government military bank insurer enterprise hotel retail other";
        assert_eq!(UnitKind::ALL.map(UnitKind::code).join(" "), all);
        assert!("UNIVERSITY".parse::<UnitKind>().is_err(), "a stored code is exact");
    }
}
