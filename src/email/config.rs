//! Email settings, read from `SMTP_URL`, `MAIL_FROM` and `OFFICE_CONTACT_*`.
//!
//! A password lives in `SMTP_URL`, so neither an error nor `Debug` output ever shows it.
use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use lettre::message::Mailbox;
use percent_encoding::percent_decode_str;
use url::{Host, Url};

/// A setting the email layer cannot use; the message names the variable, never its secret.
#[derive(Debug, thiserror::Error)]
#[error("{name} is not valid: {reason}")]
pub struct InvalidSetting {
    pub name: &'static str,
    pub reason: String,
}

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_OFFICE_NAME: &str = "咸宁市献血办";

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// No TLS at all: only for a relay on loopback or a test server.
    Plain,
    /// STARTTLS, and fail rather than send in the clear.
    StartTlsRequired,
    /// STARTTLS when the server offers it, otherwise in the clear.
    StartTlsOpportunistic,
    /// TLS from the first byte (`smtps://`, usually port 465).
    ImplicitTls,
}

#[derive(Clone, PartialEq, Eq)]
pub struct SmtpCredentials {
    pub user: String,
    pub password: String,
}

impl fmt::Debug for SmtpCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpCredentials").field("user", &self.user).field("password", &"<redacted>").finish()
    }
}

/// Where and how to hand over outgoing mail. The derived `Debug` is safe to log because
/// [`SmtpCredentials`] redacts its password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub credentials: Option<SmtpCredentials>,
    /// For connecting and for each SMTP command: a hung relay must not stall the sender.
    pub timeout: Duration,
}

impl SmtpSettings {
    /// Parses `smtp://host[:port][?tls=required|opportunistic][&timeout=SECONDS]` or
    /// `smtps://[user:password@]host[:port]`; user and password are percent-decoded.
    pub fn parse(text: &str) -> Result<SmtpSettings, InvalidSetting> {
        let invalid = |reason: String| InvalidSetting { name: "SMTP_URL", reason };
        // url's messages never quote the input, so they cannot leak the password.
        let url = Url::parse(text.trim()).map_err(|e| invalid(format!("not a URL ({e})")))?;
        let implicit_tls = match url.scheme() {
            "smtp" => false,
            "smtps" => true,
            other => return Err(invalid(format!("the scheme must be smtp or smtps, not {other}"))),
        };
        let host = match url.host() {
            Some(Host::Domain(name)) if !name.is_empty() => name.to_owned(),
            Some(Host::Ipv4(ip)) => ip.to_string(),
            Some(Host::Ipv6(ip)) => ip.to_string(),
            _ => return Err(invalid("has no host".into())),
        };
        if !matches!(url.path(), "" | "/") || url.fragment().is_some() {
            return Err(invalid("must not have a path or a fragment".into()));
        }

        let mut tls = None;
        let mut timeout = DEFAULT_TIMEOUT;
        for (key, value) in url.query_pairs() {
            match &*key {
                "tls" => tls = Some(value.into_owned()),
                "timeout" => {
                    timeout = value
                        .parse::<u64>()
                        .ok()
                        .filter(|s| (1..=600).contains(s))
                        .map(Duration::from_secs)
                        .ok_or_else(|| invalid(format!("timeout must be 1 to 600 seconds, not {value}")))?;
                }
                // A typo such as `tsl=required` must not quietly mean "no TLS".
                other => return Err(invalid(format!("unknown parameter {other}; known: tls, timeout"))),
            }
        }
        let security = match (implicit_tls, tls.as_deref()) {
            (true, None) => SmtpSecurity::ImplicitTls,
            (true, Some(_)) => {
                return Err(invalid("smtps:// always uses TLS; tls= is only for smtp://".into()))
            }
            (false, None) => SmtpSecurity::Plain,
            (false, Some("required")) => SmtpSecurity::StartTlsRequired,
            (false, Some("opportunistic")) => SmtpSecurity::StartTlsOpportunistic,
            (false, Some(other)) => {
                return Err(invalid(format!("tls must be required or opportunistic, not {other}")));
            }
        };
        let port = url.port().unwrap_or(match security {
            SmtpSecurity::Plain => 25,
            SmtpSecurity::StartTlsRequired | SmtpSecurity::StartTlsOpportunistic => 587,
            SmtpSecurity::ImplicitTls => 465,
        });

        let credentials = match (url.username(), url.password()) {
            ("", None) => None,
            ("", Some(_)) => return Err(invalid("has a password but no user name".into())),
            (_, None | Some("")) => return Err(invalid("has a user name but no password".into())),
            (user, Some(password)) => Some(SmtpCredentials {
                user: decode(user)
                    .map_err(|_| invalid("the user name is not valid percent-encoded UTF-8".into()))?,
                password: decode(password)
                    .map_err(|_| invalid("the password is not valid percent-encoded UTF-8".into()))?,
            }),
        };
        // Opportunistic STARTTLS still logs in when a server (or a man in the middle) does
        // not offer TLS, so it is no safer for a password than no TLS at all.
        let may_log_in_clear = matches!(security, SmtpSecurity::Plain | SmtpSecurity::StartTlsOpportunistic);
        if credentials.is_some() && may_log_in_clear && !is_loopback(&host) {
            return Err(invalid(format!(
                "could send the password to {host} without TLS; use smtps:// or ?tls=required"
            )));
        }
        Ok(SmtpSettings { host, port, security, credentials, timeout })
    }
}

/// The URL again with the password masked: what a log line may show.
impl fmt::Display for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.security == SmtpSecurity::ImplicitTls { "smtps" } else { "smtp" };
        write!(f, "{scheme}://")?;
        if let Some(c) = &self.credentials {
            write!(f, "{}:***@", c.user)?;
        }
        match self.host.parse::<IpAddr>() {
            Ok(IpAddr::V6(ip)) => write!(f, "[{ip}]:{}", self.port)?,
            _ => write!(f, "{}:{}", self.host, self.port)?,
        }
        match self.security {
            SmtpSecurity::StartTlsRequired => write!(f, "?tls=required"),
            SmtpSecurity::StartTlsOpportunistic => write!(f, "?tls=opportunistic"),
            SmtpSecurity::Plain | SmtpSecurity::ImplicitTls => Ok(()),
        }
    }
}

fn decode(text: &str) -> Result<String, std::str::Utf8Error> {
    percent_decode_str(text).decode_utf8().map(|s| s.into_owned())
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Who answers questions about a reminder: shown in the footer of every email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeContact {
    pub name: String,
    pub phone: String,
    pub email: String,
}

/// Everything the email layer needs from the environment.
#[derive(Debug, Clone)]
pub struct EmailConfig {
    pub smtp: SmtpSettings,
    /// `MAIL_FROM`, e.g. `市献血办 <xianning-blood@example.org>`
    pub from: Mailbox,
    pub office: OfficeContact,
}

impl EmailConfig {
    /// `None` when `SMTP_URL` is unset: the service then runs without sending email.
    ///
    /// `OFFICE_CONTACT_PHONE` is required, since a reminder without a number to call is of
    /// little use; `OFFICE_CONTACT_NAME` defaults to 咸宁市献血办 and `OFFICE_CONTACT_EMAIL`
    /// to the address of `MAIL_FROM`.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Option<EmailConfig>, InvalidSetting> {
        let Some(url) = get("SMTP_URL") else { return Ok(None) };
        let smtp = SmtpSettings::parse(&url)?;
        let from = parse_mailbox("MAIL_FROM", get("MAIL_FROM"))?;
        let phone = get("OFFICE_CONTACT_PHONE").map(|p| p.trim().to_owned()).filter(|p| !p.is_empty());
        let Some(phone) = phone else {
            return Err(InvalidSetting {
                name: "OFFICE_CONTACT_PHONE",
                reason: "is required when SMTP_URL is set".into(),
            });
        };
        let email = match get("OFFICE_CONTACT_EMAIL") {
            Some(text) => parse_mailbox("OFFICE_CONTACT_EMAIL", Some(text))?.email.to_string(),
            None => from.email.to_string(),
        };
        let name = get("OFFICE_CONTACT_NAME")
            .map_or_else(|| DEFAULT_OFFICE_NAME.to_owned(), |n| n.trim().to_owned());
        Ok(Some(EmailConfig { smtp, from, office: OfficeContact { name, phone, email } }))
    }
}

fn parse_mailbox(name: &'static str, text: Option<String>) -> Result<Mailbox, InvalidSetting> {
    let text = text.ok_or(InvalidSetting { name, reason: "is required when SMTP_URL is set".into() })?;
    text.trim().parse::<Mailbox>().map_err(|e| InvalidSetting {
        name,
        reason: format!("{e}: expected an address like 市献血办 <office@example.org>, got {text}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(text: &str) -> SmtpSettings {
        SmtpSettings::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn reason(text: &str) -> String {
        match SmtpSettings::parse(text) {
            Ok(s) => panic!("{text} should be rejected, got {s:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn plain_smtp_is_for_a_loopback_relay_and_defaults_to_port_25() {
        let s = parse("smtp://127.0.0.1:2525");
        assert_eq!((s.host.as_str(), s.port, s.security), ("127.0.0.1", 2525, SmtpSecurity::Plain));
        assert_eq!(s.credentials, None);
        assert_eq!(s.timeout, DEFAULT_TIMEOUT);
        assert_eq!(parse("smtp://relay.internal").port, 25);
    }

    #[test]
    fn tls_required_and_opportunistic_mean_starttls_on_port_587() {
        let s = parse("smtp://mail.example.org?tls=required");
        assert_eq!((s.port, s.security), (587, SmtpSecurity::StartTlsRequired));
        let s = parse("smtp://mail.example.org:2587?tls=opportunistic");
        assert_eq!((s.port, s.security), (2587, SmtpSecurity::StartTlsOpportunistic));
    }

    #[test]
    fn smtps_is_implicit_tls_with_percent_decoded_credentials() {
        let s = parse("smtps://blood%40example.org:p%40ss%3Aw%2Fo%20rd%E5%AF%86@smtp.example.org");
        assert_eq!(
            (s.host.as_str(), s.port, s.security),
            ("smtp.example.org", 465, SmtpSecurity::ImplicitTls)
        );
        let c = s.credentials.unwrap();
        assert_eq!(c.user, "blood@example.org");
        assert_eq!(c.password, "p@ss:w/o rd密");
    }

    #[test]
    fn a_timeout_parameter_overrides_the_ten_second_default() {
        assert_eq!(parse("smtp://127.0.0.1:25?timeout=3").timeout, Duration::from_secs(3));
        assert!(reason("smtp://127.0.0.1:25?timeout=0").contains("timeout"));
        assert!(reason("smtp://127.0.0.1:25?timeout=soon").contains("timeout"));
    }

    #[test]
    fn ipv6_hosts_lose_their_brackets() {
        let s = parse("smtp://[::1]:2525");
        assert_eq!(s.host, "::1");
        assert_eq!(s.to_string(), "smtp://[::1]:2525");
    }

    #[test]
    fn malformed_urls_are_rejected_with_the_variable_named() {
        for (text, expected) in [
            ("mail.example.org:25", "scheme"),
            ("http://mail.example.org", "scheme must be smtp or smtps"),
            ("smtp://", "host"),
            ("smtp://mail.example.org:99999", "not a URL"),
            ("smtp://mail.example.org?tls=yes", "tls must be required or opportunistic"),
            ("smtp://mail.example.org?tsl=required", "unknown parameter tsl"),
            ("smtps://mail.example.org?tls=required", "smtps:// always uses TLS"),
            ("smtp://mail.example.org/outbox", "path"),
            ("smtps://user@mail.example.org", "no password"),
            ("smtps://:secret@mail.example.org", "no user name"),
        ] {
            let reason = reason(text);
            assert!(reason.starts_with("SMTP_URL is not valid"), "{text}: {reason}");
            assert!(reason.contains(expected), "{text}: {reason}");
        }
    }

    #[test]
    fn a_password_is_never_sent_in_the_clear_to_a_remote_host() {
        for text in [
            "smtp://user:hunter2@mail.example.org:25",
            "smtp://user:hunter2@mail.example.org?tls=opportunistic",
        ] {
            let reason = reason(text);
            assert!(reason.contains("without TLS"), "{reason}");
            assert!(!reason.contains("hunter2"), "{reason}");
        }
        assert!(parse("smtp://user:hunter2@mail.example.org?tls=required").credentials.is_some());
        // A local relay on the same machine is fine.
        assert!(parse("smtp://user:hunter2@localhost:25").credentials.is_some());
    }

    #[test]
    fn no_error_and_no_debug_output_shows_the_password() {
        for text in [
            "smtps://user:hunter2@mail.example.org?tls=required",
            "smtps://user:hunter2@mail.example.org?timeout=later",
            "smtps://user:hunter2@mail.example.org/hunter2",
            "smtps://user:hunter2%FF@mail.example.org",
            "smtps://user:hunter2@mail.example.org:hunter2",
            "smtps://user:hunter2@",
        ] {
            assert!(!reason(text).contains("hunter2"), "{text}");
        }
        let s = parse("smtps://user:hunter2@mail.example.org");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(format!("{s:?}").contains("<redacted>"));
        assert_eq!(s.to_string(), "smtps://user:***@mail.example.org:465");
    }

    fn email_config(vars: &[(&str, &str)]) -> Result<Option<EmailConfig>, InvalidSetting> {
        let vars: HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        EmailConfig::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn without_smtp_url_email_is_off() {
        assert!(email_config(&[("MAIL_FROM", "x@example.org")]).unwrap().is_none());
    }

    #[test]
    fn mail_from_takes_a_chinese_display_name_and_office_email_defaults_to_it() {
        let c = email_config(&[
            ("SMTP_URL", "smtp://127.0.0.1:2525"),
            ("MAIL_FROM", "市献血办 <xianning-blood@example.org>"),
            ("OFFICE_CONTACT_PHONE", "0715-8888888"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(c.from.name.as_deref(), Some("市献血办"));
        assert_eq!(c.from.email.to_string(), "xianning-blood@example.org");
        assert_eq!(
            c.office,
            OfficeContact {
                name: DEFAULT_OFFICE_NAME.into(),
                phone: "0715-8888888".into(),
                email: "xianning-blood@example.org".into()
            }
        );
    }

    #[test]
    fn a_bad_mail_from_or_a_missing_phone_names_the_variable() {
        let err = email_config(&[
            ("SMTP_URL", "smtp://127.0.0.1:2525"),
            ("MAIL_FROM", "市献血办"),
            ("OFFICE_CONTACT_PHONE", "0715-8888888"),
        ])
        .unwrap_err();
        assert!(err.to_string().starts_with("MAIL_FROM is not valid"), "{err}");
        let err = email_config(&[("SMTP_URL", "smtp://127.0.0.1:2525"), ("MAIL_FROM", "a@example.org")])
            .unwrap_err();
        assert!(err.to_string().starts_with("OFFICE_CONTACT_PHONE"), "{err}");
    }
}
