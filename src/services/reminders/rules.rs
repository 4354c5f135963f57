//! Term calendars and the reminder rules the office sets.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use serde_json::json;

use crate::clock::Clock;
use crate::db::entities::{reminder_rule, term_calendar, unit};
use crate::domain::auth::{Actor, OFFICE};
use crate::domain::ids::UnitId;
use crate::domain::reminders::{self as rules, ReminderKind, TermDates};
use crate::domain::UnitKind;
use crate::services::audit::Change;
use crate::services::ServiceError;

pub mod codes {
    error_codes! {
        /// Term dates are only for universities and the holders set to be reminded per term.
        NOT_A_UNIVERSITY,
    }
}

#[derive(Debug, Clone)]
pub struct TermCalendarView {
    pub year: i32,
    pub unit_id: Option<UnitId>,
    pub dates: TermDates,
    pub updated_at: DateTime<Utc>,
}

pub(super) fn calendar_view(m: term_calendar::Model) -> TermCalendarView {
    TermCalendarView {
        year: m.year,
        unit_id: (m.unit_id != 0).then_some(UnitId(m.unit_id)),
        dates: TermDates {
            spring_start: m.spring_start,
            spring_end: m.spring_end,
            autumn_start: m.autumn_start,
            autumn_end: m.autumn_end,
        },
        updated_at: m.updated_at,
    }
}

/// Sets a year's default term dates, or one university's own (`unit_id`). Office only.
pub async fn set_term_calendar(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    year: i32,
    unit_id: Option<UnitId>,
    dates: TermDates,
) -> Result<TermCalendarView, ServiceError> {
    actor.require(OFFICE)?;
    dates.check(year).map_err(ServiceError::BadInput)?;
    let txn = crate::db::begin_write(db).await?;
    if let Some(id) = unit_id {
        let found =
            crate::services::find_or_not_found(&txn, unit::Entity, id, crate::services::noun::UNIT).await?;
        if found.kind != UnitKind::University && !found.term_bound {
            return Err(ServiceError::rejected(
                codes::NOT_A_UNIVERSITY,
                format!("{}不是高校，也未设为按学期提醒的单位，不能设置学期日期", found.name),
            ));
        }
    }
    let scope = unit_id.map_or(0, i32::from);
    let before = term_calendar::Entity::find()
        .filter(term_calendar::Column::Year.eq(year))
        .filter(term_calendar::Column::UnitId.eq(scope))
        .one(&txn)
        .await?;
    crate::services::upsert(
        &txn,
        term_calendar::ActiveModel {
            year: Set(year),
            unit_id: Set(scope),
            spring_start: Set(dates.spring_start),
            spring_end: Set(dates.spring_end),
            autumn_start: Set(dates.autumn_start),
            autumn_end: Set(dates.autumn_end),
            updated_at: Set(clock.now()),
            ..Default::default()
        },
        [term_calendar::Column::Year, term_calendar::Column::UnitId],
        [
            term_calendar::Column::SpringStart,
            term_calendar::Column::SpringEnd,
            term_calendar::Column::AutumnStart,
            term_calendar::Column::AutumnEnd,
            term_calendar::Column::UpdatedAt,
        ],
    )
    .await?;
    let as_json = |d: &TermDates| json!({ "springStart": d.spring_start, "springEnd": d.spring_end, "autumnStart": d.autumn_start, "autumnEnd": d.autumn_end });
    Change::new(
        "term_calendar",
        format!("{year}:{scope}"),
        if before.is_some() { "update" } else { "create" },
        actor,
    )
    .before(before.map(|b| as_json(&calendar_view(b).dates)))
    .after(as_json(&dates))
    .record(&txn, clock)
    .await?;
    txn.commit().await?;
    Ok(TermCalendarView { year, unit_id, dates, updated_at: clock.now() })
}

/// The default of a year, then every university's own.
pub async fn term_calendars(
    db: &DatabaseConnection,
    year: i32,
) -> Result<Vec<TermCalendarView>, ServiceError> {
    let rows = term_calendar::Entity::find()
        .filter(term_calendar::Column::Year.eq(year))
        .order_by_asc(term_calendar::Column::UnitId)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(calendar_view).collect())
}

#[derive(Debug, Clone)]
pub struct RuleView {
    pub kind: ReminderKind,
    pub offsets: Vec<i64>,
    pub enabled: bool,
}

pub async fn rules(db: &impl ConnectionTrait) -> Result<Vec<RuleView>, ServiceError> {
    let rows = reminder_rule::Entity::find().order_by_asc(reminder_rule::Column::Id).all(db).await?;
    Ok(rows
        .into_iter()
        .map(|r| RuleView { kind: r.kind, offsets: rules::parse_offsets(&r.offsets), enabled: r.enabled })
        .collect())
}

pub async fn set_rule(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    kind: ReminderKind,
    offsets: &[i64],
    enabled: bool,
) -> Result<RuleView, ServiceError> {
    actor.require(OFFICE)?;
    let offsets = kind.check_offsets(offsets).map_err(ServiceError::BadInput)?;
    let txn = crate::db::begin_write(db).await?;
    let current =
        reminder_rule::Entity::find().filter(reminder_rule::Column::Kind.eq(kind.code())).one(&txn).await?;
    let current =
        current.ok_or_else(|| ServiceError::Internal(format!("reminder rule {} missing", kind.code())))?;
    let mut row: reminder_rule::ActiveModel = current.clone().into();
    row.offsets = Set(rules::format_offsets(&offsets));
    row.enabled = Set(enabled);
    row.updated_at = Set(clock.now());
    row.update(&txn).await?;
    Change::new("reminder_rule", kind.code().to_owned(), "update", actor)
        .before(json!({ "offsets": current.offsets, "enabled": current.enabled }))
        .after(json!({ "offsets": rules::format_offsets(&offsets), "enabled": enabled }))
        .record(&txn, clock)
        .await?;
    txn.commit().await?;
    Ok(RuleView { kind, offsets, enabled })
}
