//! The city's yearly targets besides the group plan's quotas, as the notices set them: the
//! donation rate per 1,000 residents and the share of clinical blood from voluntary donation.
//!
//! Dated configuration, not constants: each notice that sets them is an entry with its
//! document number and the first plan year it applies to; it stays in force for the later
//! years until a newer entry replaces it, and years before the first entry have no target.
//! A new notice is one more entry here; the earlier ones stay as published.

/// The targets one notice set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CityTargets {
    /// The first plan year they apply to.
    pub from_year: i32,
    /// The notice that set them.
    pub document: &'static str,
    pub issued_on: &'static str,
    /// Donations per 1,000 residents the year must exceed (the notice: "千人口>15人次").
    pub donations_per_thousand_above: i64,
    /// Percent of clinical blood that must come from voluntary donation.
    pub voluntary_clinical_percent: i64,
}

/// Every notice's targets, oldest first.
pub const DATED: &[CityTargets] = &[CityTargets {
    from_year: 2020,
    document: "咸政办函〔2019〕83号",
    issued_on: "2019-12-25",
    donations_per_thousand_above: 15,
    voluntary_clinical_percent: 100,
}];

/// The targets in force for plan year `year`: the newest entry from that year or before.
pub fn in_force(year: i32) -> Option<&'static CityTargets> {
    DATED.iter().rev().find(|t| t.from_year <= year)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_2020_notice_asks_more_than_15_per_thousand_and_all_clinical_blood_voluntary() {
        let t = in_force(2020).expect("2020 has targets");
        assert_eq!((t.donations_per_thousand_above, t.voluntary_clinical_percent), (15, 100));
        assert_eq!(t.document, "咸政办函〔2019〕83号");
        // It stays in force until a newer notice; before it there was none.
        assert_eq!(in_force(2021), Some(t));
        assert_eq!(in_force(2019), None);
    }

    #[test]
    fn entries_are_oldest_first_one_per_year() {
        assert!(DATED.windows(2).all(|w| w[0].from_year < w[1].from_year));
    }
}
