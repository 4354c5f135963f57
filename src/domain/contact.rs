//! A quota holder's liaison contact (联系人), validated before it is stored.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub name: String,
    pub phone: String,
    pub email: String,
}

impl Contact {
    /// Trims and checks every field; returns each problem as (field, message).
    pub fn parse(name: &str, phone: &str, email: &str) -> Result<Contact, Vec<(&'static str, String)>> {
        let name = name.trim();
        let phone: String = phone.trim().chars().filter(|c| *c != ' ').collect();
        let email = email.trim();
        let mut problems = Vec::new();
        if name.is_empty() || super::text::check_text(name, 50).is_err() {
            problems.push(("name", "联系人姓名不能为空，且不超过 50 个字".to_owned()));
        }
        if !is_phone(&phone) {
            problems.push((
                "phone",
                format!("电话号码格式不正确：\"{phone}\" (手机 11 位，或座机如 0715-8123456)"),
            ));
        }
        if !is_email(email) {
            problems.push(("email", format!("电子邮箱格式不正确：\"{email}\"")));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Contact { name: name.to_owned(), phone, email: email.to_owned() })
    }
}

/// A mainland mobile number (11 digits starting 1[3-9]) or a landline with area code
/// (0xx-xxxxxxxx, the dash optional, an extension after a second dash allowed).
fn is_phone(phone: &str) -> bool {
    let phone = phone.strip_prefix("+86").unwrap_or(phone);
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if phone.len() == 11 && digits(phone) && phone.starts_with('1') {
        return matches!(phone.as_bytes()[1], b'3'..=b'9');
    }
    let mut parts = phone.split('-');
    let (Some(first), second, ext, None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let (area, local) = match second {
        Some(local) => (first, local),
        None if first.len() >= 10 => {
            first.split_at(if first.starts_with("01") || first.starts_with("02") { 3 } else { 4 })
        }
        None => return false,
    };
    area.starts_with('0')
        && (3..=4).contains(&area.len())
        && digits(area)
        && (7..=8).contains(&local.len())
        && digits(local)
        && ext.is_none_or(|e| digits(e) && e.len() <= 6)
}

fn is_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else { return false };
    let domain_ok = domain.split('.').count() >= 2
        && domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    email.len() <= 254 && local_ok && domain_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_and_landline_numbers_are_accepted() {
        for ok in [
            "13907151234",
            "+8618607150000",
            "0715-8123456",
            "07158123456",
            "027-87654321",
            "0715-8123456-801",
        ] {
            assert!(is_phone(ok), "{ok}");
        }
        for bad in ["12345", "12907151234", "1390715123", "715-8123456", "0715-81234", "abc", ""] {
            assert!(!is_phone(bad), "{bad}");
        }
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        for ok in ["liaison@hbust.edu.cn", "x.y+z@qq.com"] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in ["nobody", "a@b", "@qq.com", "a..b@qq.com", "a@-qq.com", "a b@qq.com"] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn a_contact_reports_every_bad_field() {
        let problems = Contact::parse(" ", "123", "x").unwrap_err();
        assert_eq!(problems.iter().map(|p| p.0).collect::<Vec<_>>(), vec!["name", "phone", "email"]);
        let c = Contact::parse(" 张老师 ", "139 0715 1234", "zhang@hbust.edu.cn").unwrap();
        assert_eq!((c.name.as_str(), c.phone.as_str()), ("张老师", "13907151234"));
    }
}
