//! Codes and Chinese messages for the errors async-graphql raises itself, before or while
//! reading a request: parse errors, validation, depth and complexity limits, and values that
//! do not fit their type (a bad date, an unknown enum value). Resolver errors already carry
//! their code (see `crate::error`); these are given one here, with the library's English
//! text kept in `extensions.detail` for the developer who wrote the query.
use async_graphql::{ErrorExtensionValues, ServerError};

pub const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
pub const DEPTH_LIMIT: &str = "DEPTH_LIMIT";
pub const COMPLEXITY_LIMIT: &str = "COMPLEXITY_LIMIT";
pub const BAD_INPUT: &str = crate::error::code::BAD_INPUT;

fn has_code(e: &ServerError) -> bool {
    e.extensions.as_ref().is_some_and(|ext| ext.get("code").is_some())
}

/// The code and message for an error async-graphql raised without one.
pub fn classify(message: &str) -> (&'static str, &'static str) {
    if message.contains("nested too deep") {
        (DEPTH_LIMIT, "查询嵌套层数过多，请减少嵌套后重试")
    } else if message.contains("too complex") {
        (COMPLEXITY_LIMIT, "查询过于复杂（别名、字段或分页数量过多），请拆分为几个较小的查询")
    } else if message.contains("\"Date\"") || message.contains("NaiveDate") || message.contains("DateTime") {
        (BAD_INPUT, "日期格式不正确，日期应写作 YYYY-MM-DD（例如 2020-03-06）")
    } else if message.contains("enumeration type") || message.contains("enum") {
        (BAD_INPUT, "取值不在允许的范围内，请查看接口文档中的可选值")
    } else if message.contains("Failed to parse")
        || message.contains("Invalid value")
        || message.contains("Variable")
        || message.contains("expected type")
    {
        (BAD_INPUT, "参数的值与接口定义的类型不符")
    } else {
        (VALIDATION_FAILED, "查询不符合接口定义（字段、参数或片段有误）")
    }
}

/// Gives every error without a code its code and a Chinese message.
pub fn add_codes(errors: &mut [ServerError]) {
    for e in errors.iter_mut().filter(|e| !has_code(e)) {
        let (code, message) = classify(&e.message);
        let detail = std::mem::replace(&mut e.message, message.to_owned());
        let ext = e.extensions.get_or_insert_with(ErrorExtensionValues::default);
        ext.set("code", code);
        ext.set("detail", detail);
    }
}

/// The error for a document that does not parse.
pub fn parse_error(detail: &str) -> serde_json::Value {
    serde_json::json!({
        "message": "查询语句有语法错误，无法解析",
        "extensions": { "code": PARSE_FAILED, "detail": detail }
    })
}

#[cfg(test)]
mod tests {
    use super::classify;

    #[test]
    fn library_errors_get_codes() {
        assert_eq!(classify("Query is nested too deep.").0, "DEPTH_LIMIT");
        assert_eq!(classify("Query is too complex.").0, "COMPLEXITY_LIMIT");
        assert_eq!(
            classify("Invalid value for argument \"from\", expected type \"NaiveDate\"").0,
            "BAD_INPUT"
        );
        assert_eq!(classify("Unknown field \"nope\" on type \"QueryRoot\".").0, "GRAPHQL_VALIDATION_FAILED");
    }
}

/// The first text in a request that no backend should see: a NUL byte (PostgreSQL refuses
/// it), or a date whose year is out of range (chrono reads year −262143; PostgreSQL cannot
/// store it). Checked over every string of the variables and every string literal of the
/// query, before anything runs, so both backends answer `BAD_INPUT` alike.
pub fn unfit_text(query: &str, variables: &serde_json::Value) -> Option<String> {
    string_literals(query).iter().map(String::as_str).chain(strings(variables)).find_map(check_one)
}

fn check_one(text: &str) -> Option<String> {
    if text.contains('\0') {
        return Some("文本中不能包含 NUL 字符".into());
    }
    let year = date_year(text)?;
    let year = i32::try_from(year).unwrap_or(i32::MIN);
    crate::domain::text::check_year(year).err()
}

/// The year of a text shaped like `YYYY-MM-DD` (with an optional sign, more digits, a time).
fn date_year(text: &str) -> Option<i64> {
    let t = text.trim();
    let (sign, rest) = match t.as_bytes().first()? {
        b'-' => (-1, &t[1..]),
        b'+' => (1, &t[1..]),
        _ => (1, t),
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let tail = &rest.as_bytes()[digits..];
    let shaped = digits >= 4
        && tail.len() >= 6
        && tail[0] == b'-'
        && tail[1..3].iter().all(u8::is_ascii_digit)
        && tail[3] == b'-'
        && tail[4..6].iter().all(u8::is_ascii_digit)
        && (tail.len() == 6 || matches!(tail[6], b'T' | b't' | b' '));
    if !shaped {
        return None;
    }
    Some(sign * rest[..digits].parse::<i64>().unwrap_or(i64::MAX))
}

fn strings(value: &serde_json::Value) -> Box<dyn Iterator<Item = &str> + '_> {
    match value {
        serde_json::Value::String(s) => Box::new(std::iter::once(s.as_str())),
        serde_json::Value::Array(items) => Box::new(items.iter().flat_map(strings)),
        serde_json::Value::Object(map) => Box::new(map.values().flat_map(strings)),
        _ => Box::new(std::iter::empty()),
    }
}

/// The string literals of a GraphQL document, unescaped enough to check them.
fn string_literals(query: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut chars = query.chars();
    while let Some(c) = chars.next() {
        match c {
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '"' => {
                let mut literal = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some('u') => {
                                let hex: String = chars.by_ref().take(4).collect();
                                if let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                                    literal.push(c);
                                }
                            }
                            Some(other) => literal.push(other),
                            None => break,
                        },
                        other => literal.push(other),
                    }
                }
                found.push(literal);
            }
            _ => {}
        }
    }
    found
}

#[cfg(test)]
mod scan_tests {
    use super::unfit_text;
    use serde_json::json;

    #[test]
    fn nul_bytes_and_far_years_are_found_in_variables_and_literals() {
        assert_eq!(unfit_text("{ a(d: \"2020-03-01\") }", &json!({ "x": ["2020-03-01T08:00:00Z"] })), None);
        assert!(unfit_text("{ a(d: \"-262143-01-01\") }", &json!({})).is_some());
        assert!(unfit_text("{ a }", &json!({ "i": { "d": "+262142-12-31" } })).is_some());
        assert!(unfit_text("{ a }", &json!({ "i": { "note": "a\u{0}b" } })).is_some());
        assert!(unfit_text("{ a(n: \"x\\u0000y\") }", &json!({})).is_some());
        assert_eq!(unfit_text("{ a(n: \"2020年3月1日\") } # \"-99999-01-01\"", &json!({ "n": 5 })), None);
    }
}
