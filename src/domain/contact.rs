//! A quota holder's liaison contact (联系人), validated before it is stored.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub name: String,
    pub phone: String,
    pub email: String,
}

impl Contact {
    /// Trims and checks every field; returns each problem as (field, message). `is_address`
    /// is the mailer's own check of a recipient, so that what is saved can be sent.
    pub fn parse(
        name: &str,
        phone: &str,
        email: &str,
        is_address: impl Fn(&str) -> bool,
    ) -> Result<Contact, Vec<(&'static str, String)>> {
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
        if !(is_address(email) && has_dotted_domain(email)) {
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

/// A holder's mailbox is on the internet: `name@localhost` or `name@intranet` parse as
/// addresses, but no liaison has one.
fn has_dotted_domain(email: &str) -> bool {
    email.rsplit_once('@').is_some_and(|(_, domain)| domain.contains('.'))
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
    fn emails_need_a_dotted_domain_besides_being_addresses() {
        assert!(has_dotted_domain("liaison@hbust.edu.cn"));
        assert!(!has_dotted_domain("a@b"));
        assert!(!has_dotted_domain("nobody"));
    }

    #[test]
    fn a_contact_reports_every_bad_field() {
        let problems = Contact::parse(" ", "123", "x", |_| true).unwrap_err();
        assert_eq!(problems.iter().map(|p| p.0).collect::<Vec<_>>(), vec!["name", "phone", "email"]);
        let refused = Contact::parse("张老师", "13907151234", "zhang@hbust.edu.cn", |_| false).unwrap_err();
        assert_eq!(refused, vec![("email", "电子邮箱格式不正确：\"zhang@hbust.edu.cn\"".to_owned())]);
        let c = Contact::parse(" 张老师 ", "139 0715 1234", "zhang@hbust.edu.cn", |_| true).unwrap();
        assert_eq!((c.name.as_str(), c.phone.as_str()), ("张老师", "13907151234"));
    }
}
