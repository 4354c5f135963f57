//! Fair booking: how many requested (not yet confirmed) visits one holder may have at once.
//!
//! Without a cap one liaison booked all 380 free sessions of three months in under a second.
//! A holder needs about as many vehicle-days as its quota fills at the vehicle's daily
//! capacity; the office confirms them as it goes, and only unconfirmed requests count. The
//! office itself is exempt: it books for holders on purpose.

/// Never fewer than this, so that a small holder can still ask for a morning and a spare.
pub const MIN_REQUESTED_VISITS: i64 = 2;

/// The cap for a holder with `quota` donors this year booking a vehicle of
/// `capacity_per_day`, unless the office configured one (`BLOODPLAN_MAX_REQUESTED_VISITS`).
pub fn requested_visits_limit(quota: i64, capacity_per_day: i64, configured: Option<i64>) -> i64 {
    if let Some(limit) = configured {
        return limit;
    }
    let days =
        if capacity_per_day > 0 { (quota.max(0) + capacity_per_day - 1) / capacity_per_day } else { 0 };
    days.max(MIN_REQUESTED_VISITS)
}

/// The refusal, with its code and a message the liaison can act on.
pub fn limit_message(limit: i64) -> String {
    format!("本单位已有 {limit} 个待确认的采血预约，已达上限；请等待市献血办确认后再预约，或联系市献血办")
}

pub const BOOKING_LIMIT: &str = "BOOKING_LIMIT";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_is_the_vehicle_days_the_quota_needs_and_at_least_two() {
        assert_eq!(requested_visits_limit(2800, 60, None), 47);
        assert_eq!(requested_visits_limit(120, 60, None), 2);
        assert_eq!(requested_visits_limit(0, 60, None), 2);
        assert_eq!(requested_visits_limit(2800, 60, Some(5)), 5);
        assert_eq!(requested_visits_limit(2800, 0, None), 2);
    }
}
