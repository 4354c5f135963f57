//! Email: settings, an SMTP client that tells a retryable failure from a final one, and
//! the Chinese reminders the office sends.
//!
//! No database here: an outbox and a worker that sends from it build on these pieces. A
//! template renders a [`RenderedEmail`]; [`OutgoingEmail::new`] addresses it; and
//! [`Mailer::send`] hands it over, answering [`SendError::Transient`] (retry later) or
//! [`SendError::Permanent`] (give up on this message).
pub mod activity;
pub mod config;
mod format;
pub mod mailer;
pub mod notices;
pub mod templates;

pub use activity::{activity_digest, ActivityDigest, ActivityRow, LiaisonAction};
pub use config::{EmailConfig, OfficeContact, SmtpCredentials, SmtpSecurity, SmtpSettings};
pub use format::{date_weekday_zh, date_zh};
pub use mailer::{parse_address, Mailer, OutgoingEmail, SendError};
pub use notices::{schedule_notice, visit_notice, Arrangement, ScheduleNotice, VisitChange, VisitNotice};
pub use templates::{
    behind_schedule_digest, breakdown_reminder, term_reminder, visit_reminder, BreakdownReminder, Digest,
    DigestRow, DonorAges, RenderedEmail, TermReminder, VisitReminder,
};
