//! Reminders: the term calendars and rules the office sets (`rules`), and the scheduler
//! that decides which reminders are due on a day and writes them to the outbox
//! (`scheduler`).
mod rules;
mod scheduler;

pub use rules::{rules, set_rule, set_term_calendar, term_calendars, RuleView, TermCalendarView};
pub use scheduler::{enqueue_due, plan_reminders, ReminderContext};
