//! How far a quota is fulfilled, and when a holder counts as behind schedule.
//!
//! All arithmetic on shares is done in whole numbers, so that the flag switches exactly at
//! the margin and never one donation early or late because of floating-point rounding.
use chrono::{Datelike, NaiveDate};

/// The default margin: a holder is behind when its collected share trails the elapsed share
/// of the year by more than 10 percentage points.
pub const DEFAULT_BEHIND_MARGIN_POINTS: i64 = 10;

/// Days of `year` elapsed as of `as_of` (the day itself counts), and the days in the year.
pub fn elapsed_days(year: i32, as_of: NaiveDate) -> (i64, i64) {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("valid year");
    let next = NaiveDate::from_ymd_opt(year + 1, 1, 1).expect("valid year");
    let total = (next - first).num_days();
    let elapsed = if as_of < first {
        0
    } else if as_of.year() > year {
        total
    } else {
        i64::from(as_of.ordinal())
    };
    (elapsed, total)
}

/// Elapsed share of the year as a fraction (for display only; decisions use whole numbers).
pub fn elapsed_share(year: i32, as_of: NaiveDate) -> f64 {
    let (elapsed, total) = elapsed_days(year, as_of);
    elapsed as f64 / total as f64
}

/// Whether `collected` of `quota` trails the elapsed share by more than `margin_points`
/// percentage points: collected/quota < elapsed/total − margin/100, cross-multiplied.
pub fn behind_schedule(collected: i64, quota: i64, elapsed: i64, total: i64, margin_points: i64) -> bool {
    if quota <= 0 || total <= 0 {
        return false;
    }
    collected * total * 100 < (elapsed * 100 - margin_points * total) * quota
}

/// What a quota still needs; never negative once it is exceeded.
pub fn remaining(quota: i64, collected: i64) -> i64 {
    (quota - collected).max(0)
}

/// Collected share of a quota (1.0 = fulfilled); 0 for a zero quota.
pub fn share(collected: i64, quota: i64) -> f64 {
    if quota <= 0 {
        0.0
    } else {
        collected as f64 / quota as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn july_first_2020_is_day_183_of_366_exactly_half_the_leap_year() {
        assert_eq!(elapsed_days(2020, d("2020-07-01")), (183, 366));
        assert_eq!(elapsed_share(2020, d("2020-07-01")), 0.5);
        assert_eq!(elapsed_days(2021, d("2021-12-31")), (365, 365));
        assert_eq!(elapsed_days(2020, d("2019-12-31")), (0, 366));
        assert_eq!(elapsed_days(2020, d("2021-03-01")), (366, 366));
    }

    #[test]
    fn at_half_the_year_a_quota_of_10_with_4_collected_is_on_the_margin_and_3_is_behind() {
        // 50 % elapsed − 10 points = 40 %: 4 of 10 is exactly 40 %, not more than 10 behind.
        assert!(!behind_schedule(4, 10, 183, 366, 10));
        assert!(behind_schedule(3, 10, 183, 366, 10));
        // With a 20-point margin 3 of 10 (30 %) is on the margin again.
        assert!(!behind_schedule(3, 10, 183, 366, 20));
    }

    #[test]
    fn a_holder_of_2800_at_mid_year_needs_1120_not_to_be_behind() {
        assert!(!behind_schedule(1_120, 2_800, 183, 366, 10));
        assert!(behind_schedule(1_119, 2_800, 183, 366, 10));
    }

    #[test]
    fn early_in_the_year_nobody_is_behind_and_a_zero_quota_never_is() {
        // 31 Jan: 31/366 ≈ 8.5 % elapsed, within the 10-point margin.
        assert!(!behind_schedule(0, 2_800, 31, 366, 10));
        assert!(!behind_schedule(0, 0, 366, 366, 10));
    }

    #[test]
    fn remaining_stops_at_zero_and_share_is_collected_over_quota() {
        assert_eq!(remaining(1_600, 35), 1_565);
        assert_eq!(remaining(10, 12), 0);
        assert_eq!(share(35, 1_600), 0.021875);
        assert_eq!(share(5, 0), 0.0);
    }
}
