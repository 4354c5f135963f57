//! Limits every stored text obeys on both backends: PostgreSQL refuses a NUL byte and a
//! string longer than its column, SQLite keeps both. Checked before any write, so both
//! answer the same precise error instead of one of them an internal one.

/// Why a text is refused, in words for the person who typed it.
pub fn check_text(value: &str, max_chars: usize) -> Result<(), String> {
    if value.contains('\0') {
        return Err("不能包含 NUL 字符".into());
    }
    let chars = value.chars().count();
    if chars > max_chars {
        return Err(format!("不能超过 {max_chars} 个字（现为 {chars} 个）"));
    }
    Ok(())
}

/// Dates the service deals in: a plan year, a visit, a collection. Anything outside is a
/// typing error (or an attack on the date arithmetic), refused before it reaches a query.
pub const MIN_YEAR: i32 = 1900;
pub const MAX_YEAR: i32 = 2200;

pub fn check_year(year: i32) -> Result<(), String> {
    if (MIN_YEAR..=MAX_YEAR).contains(&year) {
        Ok(())
    } else {
        Err(format!("日期的年份须在 {MIN_YEAR} 到 {MAX_YEAR} 之间，读到 {year}"))
    }
}

/// A date the service deals in (see [`check_year`]).
pub fn check_date(date: chrono::NaiveDate) -> Result<(), String> {
    use chrono::Datelike;
    check_year(date.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_and_overlong_texts_and_far_years_are_refused() {
        assert!(check_text("咸宁市中心血站", 100).is_ok());
        assert!(check_text("a\0b", 100).is_err());
        assert!(check_text(&"站".repeat(101), 100).unwrap_err().contains("100"));
        assert!(check_year(2020).is_ok());
        assert!(check_year(-262_143).is_err());
        assert!(check_year(262_142).is_err());
        assert!(check_date(chrono::NaiveDate::MIN).is_err());
        assert!(check_date(chrono::NaiveDate::from_ymd_opt(2020, 3, 2).unwrap()).is_ok());
    }
}
