//! Rows as the templates show them: labels in Chinese, dates with their weekday.
use chrono::NaiveDate;

use super::render::{percent, thousands};
use crate::domain::ids::UnitId;
use crate::domain::work_calendar::weekday_zh;
use crate::services::fulfilment::Progress;
use crate::services::visits::VisitView;

pub fn day_label(d: NaiveDate) -> String {
    format!("{}（{}）", d.format("%Y-%m-%d"), weekday_zh(d))
}

pub fn short_day(d: NaiveDate) -> String {
    format!("{}（{}）", d.format("%m-%d"), weekday_zh(d))
}

pub struct VisitRow {
    pub id: i32,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub vehicle_name: String,
    pub date: String,
    pub date_iso: String,
    pub session: &'static str,
    pub status: &'static str,
    pub status_code: &'static str,
    pub expected: i32,
    pub live: bool,
    pub note: String,
}

impl From<&VisitView> for VisitRow {
    fn from(v: &VisitView) -> Self {
        VisitRow {
            id: v.id,
            unit_id: v.unit_id,
            unit_name: v.unit_name.clone(),
            vehicle_name: v.vehicle_name.clone(),
            date: day_label(v.date),
            date_iso: v.date.to_string(),
            session: v.session.label_zh(),
            status: v.status.label_zh(),
            status_code: v.status.code(),
            expected: v.expected_donors,
            live: matches!(v.status.code(), "REQUESTED" | "CONFIRMED"),
            note: v.cancel_reason.clone().or_else(|| v.note.clone()).unwrap_or_default(),
        }
    }
}

/// A level's figures as a page shows them, with bar widths for quota, booked and collected.
pub struct Figures {
    pub quota: String,
    pub booked: String,
    pub collected: String,
    pub volume_ml: String,
    pub share: String,
    pub remaining: String,
    pub behind: bool,
    pub collected_width: i64,
    pub booked_width: i64,
}

impl From<&Progress> for Figures {
    fn from(p: &Progress) -> Self {
        let (share, collected_width) = percent(p.collected_donations, p.quota);
        let booked_width = percent(p.collected_donations + p.booked_donors, p.quota).1.max(collected_width);
        Figures {
            quota: thousands(p.quota),
            booked: thousands(p.booked_donors),
            collected: thousands(p.collected_donations),
            volume_ml: thousands(p.collected_volume_ml),
            share,
            remaining: thousands(p.remaining),
            behind: p.behind_schedule,
            collected_width,
            booked_width,
        }
    }
}
