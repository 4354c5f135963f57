//! Clinical blood use (临床用血) a county's hospitals report per month, and how it balances
//! against what was collected there (采供平衡).

/// The most millilitres one county may report for one month: 1,000,000 L, far above what a
/// county's hospitals use (the whole city's yearly target is 9,000 L), so only typing errors
/// are refused.
pub const MAX_MONTH_ML: i64 = 1_000_000_000;

/// Why a month's figures were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UseProblem {
    /// A month outside 1–12.
    Month(i32),
    /// A volume below zero or above [`MAX_MONTH_ML`].
    Volume { what: &'static str, ml: i64 },
    /// More blood not from voluntary donation than was used at all.
    NonVoluntaryAboveUsed { used_ml: i64, non_voluntary_ml: i64 },
}

impl UseProblem {
    pub fn message(&self) -> String {
        match self {
            UseProblem::Month(m) => format!("月份须在 1 到 12 之间，读到 {m}。"),
            UseProblem::Volume { what, ml } => {
                format!("{what}须为 0 到 {MAX_MONTH_ML} 毫升之间的整数，读到 {ml}。")
            }
            UseProblem::NonVoluntaryAboveUsed { used_ml, non_voluntary_ml } => format!(
                "非无偿献血来源的用血量（{non_voluntary_ml} 毫升）不能超过临床用血总量（{used_ml} 毫升）。"
            ),
        }
    }
}

/// A month's reported use, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthUse {
    pub month: i32,
    pub used_ml: i64,
    pub non_voluntary_ml: i64,
}

impl MonthUse {
    pub fn parse(month: i32, used_ml: i64, non_voluntary_ml: i64) -> Result<MonthUse, UseProblem> {
        if !(1..=12).contains(&month) {
            return Err(UseProblem::Month(month));
        }
        for (what, ml) in [("临床用血量", used_ml), ("非无偿献血来源的用血量", non_voluntary_ml)]
        {
            if !(0..=MAX_MONTH_ML).contains(&ml) {
                return Err(UseProblem::Volume { what, ml });
            }
        }
        if non_voluntary_ml > used_ml {
            return Err(UseProblem::NonVoluntaryAboveUsed { used_ml, non_voluntary_ml });
        }
        Ok(MonthUse { month, used_ml, non_voluntary_ml })
    }
}

/// Collected − used: below zero the county used more than it collected (a deficit).
pub fn balance(collected_ml: i64, used_ml: i64) -> i64 {
    collected_ml.saturating_sub(used_ml)
}

/// Share of clinical blood from voluntary donation (1.0 = all of it); `None` when nothing was
/// used.
pub fn voluntary_share(used_ml: i64, non_voluntary_ml: i64) -> Option<f64> {
    (used_ml > 0).then(|| (used_ml - non_voluntary_ml) as f64 / used_ml as f64)
}

/// Whether the voluntary share reaches `percent` (whole numbers: no rounding decides).
pub fn voluntary_share_meets(used_ml: i64, non_voluntary_ml: i64, percent: i64) -> bool {
    let voluntary = i128::from(used_ml) - i128::from(non_voluntary_ml);
    used_ml > 0 && voluntary * 100 >= i128::from(percent) * i128::from(used_ml)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_is_1_to_12_and_volumes_are_bounded_and_never_negative() {
        assert_eq!(MonthUse::parse(3, 600_000, 0).map(|m| m.used_ml), Ok(600_000));
        assert_eq!(MonthUse::parse(13, 1, 0), Err(UseProblem::Month(13)));
        assert_eq!(MonthUse::parse(1, -200, 0), Err(UseProblem::Volume { what: "临床用血量", ml: -200 }));
        assert!(matches!(MonthUse::parse(1, MAX_MONTH_ML + 1, 0), Err(UseProblem::Volume { .. })));
        assert_eq!(
            MonthUse::parse(1, 100, 200),
            Err(UseProblem::NonVoluntaryAboveUsed { used_ml: 100, non_voluntary_ml: 200 })
        );
        assert!(UseProblem::Month(0).message().contains("月份"));
    }

    #[test]
    fn the_balance_is_collected_minus_used_and_the_share_is_voluntary_over_used() {
        assert_eq!(balance(400_000, 600_000), -200_000);
        assert_eq!(voluntary_share(1_000, 0), Some(1.0));
        assert_eq!(voluntary_share(1_000, 250), Some(0.75));
        assert_eq!(voluntary_share(0, 0), None);
        assert!(voluntary_share_meets(1_000, 0, 100));
        assert!(!voluntary_share_meets(1_000, 1, 100));
        assert!(!voluntary_share_meets(0, 0, 100));
    }
}
