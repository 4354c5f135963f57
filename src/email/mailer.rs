//! Hands one message at a time to the SMTP server and says whether a failure is worth a retry.
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::config::{InvalidSetting, SmtpSecurity, SmtpSettings};
use super::templates::RenderedEmail;

/// A recipient address as sending reads it. Contact forms check with it too, so an address
/// that was saved is one the mailer takes.
pub fn parse_address(text: &str) -> Result<Address, lettre::address::AddressError> {
    text.trim().parse()
}

/// One email to one recipient, as the outbox will store it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub to_name: Option<String>,
    pub to_address: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl OutgoingEmail {
    pub fn new(
        to_name: Option<String>,
        to_address: impl Into<String>,
        rendered: RenderedEmail,
    ) -> OutgoingEmail {
        OutgoingEmail {
            to_name,
            to_address: to_address.into(),
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
        }
    }
}

/// Why a message was not accepted, split by what the caller should do about it.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Try again later: the server was unreachable, timed out, answered 4xx, or refused our
    /// login or TLS (a configuration fix makes the same message deliverable).
    #[error("email not sent, worth retrying: {0}")]
    Transient(String),
    /// Retrying the same message will fail again: the address is malformed, or the server
    /// answered 5xx for it.
    #[error("email rejected permanently: {0}")]
    Permanent(String),
}

impl SendError {
    pub fn is_transient(&self) -> bool {
        matches!(self, SendError::Transient(_))
    }

    fn from_smtp(err: lettre::transport::smtp::Error) -> SendError {
        // 5xx replies to AUTH mean our credentials are wrong, not that this message is:
        // failing it for good would throw away every reminder until someone fixes the config.
        const AUTH_CODES: [u16; 4] = [530, 534, 535, 538];
        let auth_failure = err.status().is_some_and(|code| AUTH_CODES.contains(&u16::from(code)));
        if err.is_permanent() && !auth_failure {
            SendError::Permanent(err.to_string())
        } else {
            // Transient replies (4xx), and also I/O, connection, timeout and TLS errors.
            SendError::Transient(err.to_string())
        }
    }
}

/// An SMTP client. Each `send` opens its own connection, which suits a worker sending a
/// few hundred reminders a week better than a pool of connections gone stale in between.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

impl Mailer {
    /// Fails only when the host is no valid name for TLS certificate checks.
    pub fn new(settings: &SmtpSettings, from: Mailbox) -> Result<Mailer, InvalidSetting> {
        let tls_parameters = || {
            TlsParameters::new(settings.host.clone()).map_err(|e| InvalidSetting {
                name: "SMTP_URL",
                reason: format!("cannot use TLS with host {}: {e}", settings.host),
            })
        };
        let tls = match settings.security {
            SmtpSecurity::Plain => Tls::None,
            SmtpSecurity::StartTlsRequired => Tls::Required(tls_parameters()?),
            SmtpSecurity::StartTlsOpportunistic => Tls::Opportunistic(tls_parameters()?),
            SmtpSecurity::ImplicitTls => Tls::Wrapper(tls_parameters()?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.as_str())
            .port(settings.port)
            .tls(tls)
            .timeout(Some(settings.timeout));
        if let Some(c) = &settings.credentials {
            builder = builder.credentials(Credentials::new(c.user.clone(), c.password.clone()));
        }
        Ok(Mailer { transport: builder.build(), from })
    }

    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    pub async fn send(&self, email: &OutgoingEmail) -> Result<(), SendError> {
        let message = self.build_message(email)?;
        self.transport.send(message).await.map(|_| ()).map_err(SendError::from_smtp)
    }

    /// A `multipart/alternative` of UTF-8 text and HTML; lettre encodes the subject and
    /// display names as RFC 2047 words and the bodies as base64 or quoted-printable.
    fn build_message(&self, email: &OutgoingEmail) -> Result<Message, SendError> {
        let address = parse_address(&email.to_address).map_err(|e| {
            SendError::Permanent(format!("invalid recipient address {:?}: {e}", email.to_address))
        })?;
        let name = email.to_name.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned);
        Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(name, address))
            .subject(email.subject.as_str())
            .message_id(None)
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder().header(ContentType::TEXT_PLAIN).body(email.text.clone()),
                    )
                    .singlepart(
                        SinglePart::builder().header(ContentType::TEXT_HTML).body(email.html.clone()),
                    ),
            )
            .map_err(|e| SendError::Permanent(format!("cannot build the message: {e}")))
    }
}

// The one copy of the test SMTP server, shared with the API tests. It is declared out here
// because a `#[path]` inside an inline module resolves through src/email/mailer/, which
// does not exist.
#[cfg(test)]
#[path = "../../tests/api/smtp_server.rs"]
mod smtp_server;

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::NaiveDate;

    use super::smtp_server::{self, TestSmtpServer};
    use super::*;
    use crate::email::config::OfficeContact;
    use crate::email::templates::{term_reminder, TermReminder};

    fn mailer(port: u16) -> Mailer {
        let mut settings = SmtpSettings::parse(&format!("smtp://127.0.0.1:{port}")).unwrap();
        settings.timeout = Duration::from_secs(5);
        Mailer::new(&settings, "市献血办 <xianning-blood@example.org>".parse().unwrap()).unwrap()
    }

    fn reminder() -> OutgoingEmail {
        let office = OfficeContact {
            name: "咸宁市献血办".into(),
            phone: "0715-8888888".into(),
            email: "xianning-blood@example.org".into(),
        };
        let rendered = term_reminder(
            &TermReminder {
                unit_name: "湖北科技学院".into(),
                liaison_name: Some("张老师".into()),
                term_label: "2020年春季学期".into(),
                term_start: NaiveDate::from_ymd_opt(2020, 2, 24).unwrap(),
                remaining_quota: 2800,
                free_sessions: vec![(
                    NaiveDate::from_ymd_opt(2020, 2, 17).unwrap(),
                    "1号采血车".into(),
                    "上午".into(),
                )],
                booking_hint: "请致电 0715-8888888 预约".into(),
            },
            &office,
        );
        OutgoingEmail::new(Some("张老师".into()), "liaison@hbust.example.edu.cn", rendered)
    }

    #[tokio::test]
    async fn a_term_reminder_arrives_as_utf8_text_and_html_with_a_decodable_chinese_subject() {
        let server = TestSmtpServer::start();
        let email = reminder();
        mailer(server.port).send(&email).await.unwrap();

        let messages = server.messages();
        assert_eq!(messages.len(), 1);
        let received = &messages[0];
        assert_eq!(received.from, "xianning-blood@example.org");
        assert_eq!(received.to, vec!["liaison@hbust.example.edu.cn".to_string()]);
        assert_eq!(received.subject, email.subject);
        assert_eq!(received.subject, "【咸宁市献血办】湖北科技学院：2020年春季学期开学前请预约采血车");
        assert!(
            received.text.contains("湖北科技学院") && received.text.contains("2800"),
            "{}",
            received.text
        );
        assert!(
            received.html.contains("湖北科技学院") && received.html.contains("2800"),
            "{}",
            received.html
        );

        // The raw headers are 7-bit: Chinese only travels as RFC 2047 encoded words.
        let raw = String::from_utf8_lossy(&received.raw);
        let headers = &raw[..raw.find("\r\n\r\n").unwrap()];
        assert!(headers.is_ascii(), "{headers}");
        assert!(headers.contains("multipart/alternative"), "{headers}");
        assert!(headers.contains("=?utf-8?"), "{headers}");
        assert!(headers.contains("Message-ID:"), "{headers}");
        server.stop();
    }

    #[tokio::test]
    async fn a_550_for_the_recipient_is_a_permanent_failure() {
        let server = TestSmtpServer::start_rejecting(550);
        let err = mailer(server.port).send(&reminder()).await.unwrap_err();
        assert!(matches!(err, SendError::Permanent(_)), "{err:?}");
        assert!(server.messages().is_empty());
    }

    #[tokio::test]
    async fn a_535_is_about_our_login_not_the_message_so_it_is_transient() {
        let server = TestSmtpServer::start_rejecting(535);
        let err = mailer(server.port).send(&reminder()).await.unwrap_err();
        assert!(err.is_transient(), "{err:?}");
    }

    #[tokio::test]
    async fn a_451_for_the_recipient_is_a_transient_failure() {
        let server = TestSmtpServer::start_rejecting(451);
        let err = mailer(server.port).send(&reminder()).await.unwrap_err();
        assert!(err.is_transient(), "{err:?}");
    }

    #[tokio::test]
    async fn nobody_listening_is_transient_and_a_server_started_later_gets_the_message() {
        let port = smtp_server::free_port();
        let err = mailer(port).send(&reminder()).await.unwrap_err();
        assert!(err.is_transient(), "{err:?}");

        let server = TestSmtpServer::start_on(port);
        mailer(port).send(&reminder()).await.unwrap();
        assert_eq!(server.messages().len(), 1);
    }

    #[tokio::test]
    async fn a_malformed_address_is_permanent_and_never_reaches_the_server() {
        let server = TestSmtpServer::start();
        let mut email = reminder();
        email.to_address = "liaison at hbust".into();
        let err = mailer(server.port).send(&email).await.unwrap_err();
        assert!(matches!(err, SendError::Permanent(_)), "{err:?}");
        assert!(server.messages().is_empty());
    }

    #[test]
    fn tls_settings_build_a_mailer_without_connecting() {
        for url in [
            "smtp://mail.example.org?tls=required",
            "smtps://u:p@mail.example.org",
            "smtp://mail.example.org?tls=opportunistic",
        ] {
            let settings = SmtpSettings::parse(url).unwrap();
            Mailer::new(&settings, "x@example.org".parse().unwrap()).unwrap();
        }
    }
}
