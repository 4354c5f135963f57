//! Resident population (常住人口) and the donation rate per 1,000 residents (千人口献血率).
//!
//! The rate is donations × 1000 / population; whether it meets a target "more than N per
//! 1,000" is decided in whole numbers (donations × 1000 > N × population), so the flag never
//! flips on rounding.

/// The largest population bloodplan accepts for a county or the city: no city of China has
/// more residents, so a bigger figure is a typing error.
pub const MAX_POPULATION: i64 = 100_000_000;

/// A resident population: a whole number of people from 1 to [`MAX_POPULATION`].
pub fn check_population(population: i64) -> Result<i64, String> {
    if (1..=MAX_POPULATION).contains(&population) {
        Ok(population)
    } else {
        Err(format!("常住人口须为 1 到 {MAX_POPULATION} 之间的整数，读到 {population}。"))
    }
}

/// Donations per 1,000 residents; `None` without a population.
pub fn per_thousand(donations: i64, population: i64) -> Option<f64> {
    (population > 0).then(|| donations as f64 * 1000.0 / population as f64)
}

/// Whether `donations` among `population` residents are more than `above` per 1,000.
pub fn exceeds(donations: i64, population: i64, above: i64) -> bool {
    population > 0 && i128::from(donations) * 1000 > i128::from(above) * i128::from(population)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_donations_times_1000_over_population() {
        assert_eq!(per_thousand(38_100, 2_540_000), Some(15.0));
        assert_eq!(per_thousand(27, 540_000), Some(0.05));
        assert_eq!(per_thousand(5, 0), None);
    }

    #[test]
    fn exactly_15_per_thousand_is_not_more_than_15() {
        assert!(!exceeds(38_100, 2_540_000, 15));
        assert!(exceeds(38_101, 2_540_000, 15));
        assert!(!exceeds(10, 0, 15));
    }

    #[test]
    fn a_population_is_positive_and_bounded() {
        assert_eq!(check_population(2_540_000), Ok(2_540_000));
        for bad in [0, -5, MAX_POPULATION + 1] {
            assert!(check_population(bad).unwrap_err().contains("常住人口"), "{bad}");
        }
    }
}
