//! What a collection (采血记录) says, and the rules that make a record possible.
//!
//! Whole blood is given in bags of 200, 300 or 400 mL; 400 mL is the legal maximum of one
//! donation, so these three sizes are the only ones a record can hold. One bag is one
//! donation (人次).
use chrono::NaiveDate;

use super::code_enum::code_enum;

code_enum! {
    /// Where the blood was given (采血地点). Stored as its code (`AT_UNIT`).
    #[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
    pub enum CollectionSite {
        /// A vehicle at the holder's premises: always tied to a visit.
        AtUnit => "献血单位",
        /// The central blood station (中心血站).
        CentralStation => "中心血站",
        /// A fixed donation house (献血屋), e.g. one in each county.
        DonationHouse => "献血屋",
    }
}

/// ABO and RhD counts of the donations, when the station reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BloodTypes {
    pub a: i32,
    pub b: i32,
    pub o: i32,
    pub ab: i32,
    pub rh_negative: i32,
}

/// The figures of one collection record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub bags200: i32,
    pub bags300: i32,
    pub bags400: i32,
    /// Donors turned away at screening (体检不合格); they gave nothing.
    pub deferred: i32,
    pub blood_types: Option<BloodTypes>,
}

impl Counts {
    /// One bag is one donation.
    pub fn donations(&self) -> i64 {
        i64::from(self.bags200) + i64::from(self.bags300) + i64::from(self.bags400)
    }

    pub fn volume_ml(&self) -> i64 {
        200 * i64::from(self.bags200) + 300 * i64::from(self.bags300) + 400 * i64::from(self.bags400)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CollectionRejection {
    #[error("{0}不能为负数")]
    NegativeCount(&'static str),
    #[error("血型人数合计 {types} 与献血人次 {donations} 不符")]
    BloodTypesDontAddUp { types: i64, donations: i64 },
    #[error("RhD 阴性人数 {rh_negative} 超过献血人次 {donations}")]
    RhNegativeAboveDonations { rh_negative: i64, donations: i64 },
    #[error("献血人次 {donations} 超过采血车当日最大采血量 {capacity} 人次")]
    OverCapacity { donations: i64, capacity: i32 },
    #[error("一条采血记录最多 {ceiling} 人次（最大采血车日采血量的两倍），本条为 {count} 人次，请核对")]
    OverRecordCeiling { count: i64, ceiling: i64 },
    #[error("采血日期 {date} 晚于今天 {today}，不能登记")]
    DateInFuture { date: NaiveDate, today: NaiveDate },
    #[error("该采血活动已取消，不能登记采血记录")]
    VisitCancelled,
    #[error("该采血活动尚未经市献血办确认，不能登记采血记录；请先确认采血活动")]
    VisitNotConfirmed,
    #[error("采血日期 {date} 与采血活动日期 {visit_date} 不一致")]
    DateNotVisitDate { date: NaiveDate, visit_date: NaiveDate },
}

impl CollectionRejection {
    pub fn code(&self) -> &'static str {
        match self {
            CollectionRejection::NegativeCount(_) => "NEGATIVE_COUNT",
            CollectionRejection::BloodTypesDontAddUp { .. }
            | CollectionRejection::RhNegativeAboveDonations { .. } => "COUNTS_DONT_ADD_UP",
            CollectionRejection::OverCapacity { .. } | CollectionRejection::OverRecordCeiling { .. } => {
                "OVER_CAPACITY"
            }
            CollectionRejection::VisitNotConfirmed => "VISIT_NOT_CONFIRMED",
            CollectionRejection::DateInFuture { .. } => "DATE_IN_FUTURE",
            CollectionRejection::VisitCancelled => "VISIT_CANCELLED",
            CollectionRejection::DateNotVisitDate { .. } => "DATE_NOT_VISIT_DATE",
        }
    }
}

/// Checks the figures on their own: nothing negative, blood types that cover every donation.
pub fn check_counts(c: &Counts) -> Result<(), CollectionRejection> {
    let mut named = vec![
        ("200 毫升袋数", c.bags200),
        ("300 毫升袋数", c.bags300),
        ("400 毫升袋数", c.bags400),
        ("暂缓献血人数", c.deferred),
    ];
    if let Some(t) = &c.blood_types {
        named.extend([
            ("A 型人数", t.a),
            ("B 型人数", t.b),
            ("O 型人数", t.o),
            ("AB 型人数", t.ab),
            ("RhD 阴性人数", t.rh_negative),
        ]);
    }
    if let Some((name, _)) = named.iter().find(|(_, n)| *n < 0) {
        return Err(CollectionRejection::NegativeCount(name));
    }
    if let Some(t) = &c.blood_types {
        let types = i64::from(t.a) + i64::from(t.b) + i64::from(t.o) + i64::from(t.ab);
        if types != c.donations() {
            return Err(CollectionRejection::BloodTypesDontAddUp { types, donations: c.donations() });
        }
        if i64::from(t.rh_negative) > c.donations() {
            return Err(CollectionRejection::RhNegativeAboveDonations {
                rh_negative: t.rh_negative.into(),
                donations: c.donations(),
            });
        }
    }
    Ok(())
}

/// Every figure of one record, and their sum, at most `ceiling`: checked before any other
/// arithmetic, so that no figure can overflow a sum, a volume or a column.
pub fn check_ceiling(c: &Counts, ceiling: i64) -> Result<(), CollectionRejection> {
    let t = c.blood_types;
    let figures = [c.bags200, c.bags300, c.bags400, c.deferred]
        .into_iter()
        .chain(t.into_iter().flat_map(|t| [t.a, t.b, t.o, t.ab, t.rh_negative]))
        .map(i64::from);
    let largest = figures.max().unwrap_or(0).max(c.donations());
    if largest > ceiling {
        return Err(CollectionRejection::OverRecordCeiling { count: largest, ceiling });
    }
    Ok(())
}

/// A record is of what happened: never of a day still to come (Asia/Shanghai dates).
pub fn check_date(date: NaiveDate, today: NaiveDate) -> Result<(), CollectionRejection> {
    if date > today {
        return Err(CollectionRejection::DateInFuture { date, today });
    }
    Ok(())
}

/// A vehicle's collection must be dated on its visit's day and fit the vehicle's daily
/// capacity: a vehicle that can bleed 60 donors a day cannot have collected 61 donations.
pub fn check_visit_collection(
    c: &Counts,
    date: NaiveDate,
    visit_date: NaiveDate,
    capacity_per_day: i32,
) -> Result<(), CollectionRejection> {
    if date != visit_date {
        return Err(CollectionRejection::DateNotVisitDate { date, visit_date });
    }
    if c.donations() > i64::from(capacity_per_day) {
        return Err(CollectionRejection::OverCapacity {
            donations: c.donations(),
            capacity: capacity_per_day,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_site_codes_stay_as_they_were() {
        let codes = ["AT_UNIT", "CENTRAL_STATION", "DONATION_HOUSE"];
        assert_eq!(CollectionSite::ALL.map(CollectionSite::code), codes);
        assert_eq!(CollectionSite::parse("献血屋"), Some(CollectionSite::DonationHouse));
    }

    fn counts(b200: i32, b300: i32, b400: i32) -> Counts {
        Counts { bags200: b200, bags300: b300, bags400: b400, deferred: 3, blood_types: None }
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn ten_small_five_middle_and_twenty_large_bags_are_35_donations_of_11_500_ml() {
        let c = counts(10, 5, 20);
        assert_eq!(c.donations(), 35);
        assert_eq!(c.volume_ml(), 2_000 + 1_500 + 8_000);
    }

    #[test]
    fn a_negative_figure_is_rejected_with_its_name() {
        let mut c = counts(10, 0, 0);
        c.deferred = -1;
        let err = check_counts(&c).unwrap_err();
        assert_eq!(err.code(), "NEGATIVE_COUNT");
        assert!(err.to_string().contains("暂缓献血人数"));
        assert_eq!(check_counts(&counts(0, -2, 0)).unwrap_err().code(), "NEGATIVE_COUNT");
    }

    #[test]
    fn blood_types_must_cover_exactly_the_donations() {
        let mut c = counts(10, 5, 20);
        c.blood_types = Some(BloodTypes { a: 10, b: 8, o: 12, ab: 5, rh_negative: 1 });
        assert_eq!(check_counts(&c), Ok(()));
        c.blood_types = Some(BloodTypes { a: 10, b: 8, o: 12, ab: 4, rh_negative: 1 });
        assert_eq!(
            check_counts(&c),
            Err(CollectionRejection::BloodTypesDontAddUp { types: 34, donations: 35 })
        );
        c.blood_types = Some(BloodTypes { a: 10, b: 8, o: 12, ab: 5, rh_negative: 36 });
        assert_eq!(check_counts(&c).unwrap_err().code(), "COUNTS_DONT_ADD_UP");
    }

    #[test]
    fn a_future_date_is_rejected_and_today_is_accepted() {
        assert_eq!(check_date(d("2020-03-02"), d("2020-03-02")), Ok(()));
        assert_eq!(check_date(d("2020-03-03"), d("2020-03-02")).unwrap_err().code(), "DATE_IN_FUTURE");
    }

    #[test]
    fn sixty_donations_fit_a_sixty_donor_vehicle_and_sixty_one_do_not() {
        assert_eq!(check_visit_collection(&counts(20, 20, 20), d("2020-03-02"), d("2020-03-02"), 60), Ok(()));
        let err =
            check_visit_collection(&counts(21, 20, 20), d("2020-03-02"), d("2020-03-02"), 60).unwrap_err();
        assert_eq!(err, CollectionRejection::OverCapacity { donations: 61, capacity: 60 });
        assert_eq!(err.code(), "OVER_CAPACITY");
    }

    #[test]
    fn a_record_over_the_ceiling_is_refused_before_any_sum_overflows() {
        assert_eq!(check_ceiling(&counts(40, 40, 40), 120), Ok(()));
        let err = check_ceiling(&counts(0, 0, 10_737_419), 120).unwrap_err();
        assert_eq!(err, CollectionRejection::OverRecordCeiling { count: 10_737_419, ceiling: 120 });
        assert_eq!(err.code(), "OVER_CAPACITY");
        assert_eq!(
            check_ceiling(&counts(i32::MAX, i32::MAX, i32::MAX), 120).unwrap_err().code(),
            "OVER_CAPACITY"
        );
        let mut c = counts(1, 0, 0);
        c.deferred = 500;
        assert!(check_ceiling(&c, 120).is_err());
    }

    #[test]
    fn a_visit_collection_is_dated_on_the_visit_day() {
        let err = check_visit_collection(&counts(1, 0, 0), d("2020-03-03"), d("2020-03-02"), 60).unwrap_err();
        assert_eq!(err.code(), "DATE_NOT_VISIT_DATE");
    }

    #[test]
    fn sites_parse_from_code_and_label() {
        for s in CollectionSite::ALL {
            assert_eq!(CollectionSite::parse(s.code()), Some(s));
            assert_eq!(CollectionSite::parse(s.label_zh()), Some(s));
        }
        assert_eq!(CollectionSite::parse("HOSPITAL"), None);
    }
}
