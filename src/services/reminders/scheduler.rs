//! The scheduler: which reminders are due on a day, written to the outbox.
//!
//! Every figure an email quotes (collected, remaining, behind schedule) comes from the
//! fulfilment service for the same day, so the emails and the dashboard never disagree.
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate, NaiveTime, TimeDelta};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};
use serde_json::json;

use super::rules::calendar_view;
use crate::clock::Clock;
use crate::db::entities::{app_user, audit_log, plan_quota, term_calendar, unit, unit_contact, visit};
use crate::domain::auth::Role;
use crate::domain::breakdown as breakdown_rules;
use crate::domain::ics::shanghai_to_utc;
use crate::domain::ids::{UnitId, VehicleId, VisitId};
use crate::domain::reminders::{self as rules, MessageKind, ReminderKind};
use crate::domain::visit::VisitStatus;
use crate::email::{
    activity_digest, behind_schedule_digest, breakdown_reminder, date_weekday_zh, term_reminder,
    visit_reminder, ActivityDigest, ActivityRow, BreakdownReminder, Digest, DigestRow, DonorAges,
    LiaisonAction, OfficeContact, TermReminder, VisitReminder,
};
use crate::services::audit::{Change, Performer};
use crate::services::outbox::{self, NewMessage};
use crate::services::visits::{self, BookingSettings};
use crate::services::{breakdowns, fulfilment, ServiceError};

/// What the scheduler needs besides the database.
#[derive(Debug, Clone)]
pub struct ReminderContext {
    pub booking: BookingSettings,
    pub office: OfficeContact,
    /// Where liaisons book, for the "how to book" line.
    pub public_url: String,
}

/// Reads the facts of `today` and returns the messages due, without writing anything.
pub async fn plan_reminders(
    db: &DatabaseConnection,
    ctx: &ReminderContext,
    today: NaiveDate,
) -> Result<Vec<NewMessage>, ServiceError> {
    let mut planned = Vec::new();
    for rule in super::rules::rules(db).await?.into_iter().filter(|r| r.enabled) {
        match rule.kind {
            ReminderKind::Term => planned.extend(term_reminders(db, ctx, today, &rule.offsets).await?),
            ReminderKind::Visit => planned.extend(visit_reminders(db, ctx, today, &rule.offsets).await?),
            ReminderKind::Digest => planned.extend(digest(db, ctx, today, &rule.offsets).await?),
            ReminderKind::Activity => planned.extend(activity(db, ctx, today, &rule.offsets).await?),
        }
    }
    // Not a rule of the office's: the office sets the year's deadline, and each overdue
    // holder gets one reminder for it.
    planned.extend(breakdown_reminders(db, ctx, today).await?);
    Ok(planned)
}

async fn contacts(db: &DatabaseConnection) -> Result<HashMap<UnitId, unit_contact::Model>, ServiceError> {
    Ok(unit_contact::Entity::find().all(db).await?.into_iter().map(|c| (c.unit_id, c)).collect())
}

/// Each holder's quota in the plan of `year`, with its section.
async fn quotas(
    db: &DatabaseConnection,
    year: i32,
) -> Result<HashMap<UnitId, plan_quota::Model>, ServiceError> {
    let rows = crate::services::plans::quotas_of_year(year).all(db).await?;
    Ok(rows.into_iter().map(|q| (q.unit_id, q)).collect())
}

/// The link opens the web app's booking page (after login, for the liaison's own holder).
fn booking_hint(ctx: &ReminderContext) -> String {
    format!(
        "登录献血计划系统 {}/book 在线预约采血车，或致电 {} 与{}联系。",
        ctx.public_url.trim_end_matches('/'),
        ctx.office.phone,
        ctx.office.name
    )
}

/// How many vehicle-days a term reminder offers per week.
const SESSIONS_PER_WEEK: usize = 3;

async fn term_reminders(
    db: &DatabaseConnection,
    ctx: &ReminderContext,
    today: NaiveDate,
    offsets: &[i64],
) -> Result<Vec<NewMessage>, ServiceError> {
    let calendars = term_calendar::Entity::find()
        .filter(term_calendar::Column::Year.between(today.year() - 1, today.year() + 1))
        .all(db)
        .await?;
    // Nobody reads a reminder on 春节: the next working run sends the one that was due.
    if calendars.is_empty() || ctx.booking.calendar.holiday_name(today).is_some() {
        return Ok(Vec::new());
    }
    let dates_of = |unit_id: UnitId, year: i32| {
        let find = |scope: i32| calendars.iter().find(|c| c.year == year && c.unit_id == scope);
        find(unit_id.0).or_else(|| find(0)).map(|c| calendar_view(c.clone()).dates)
    };
    // Every holder the office marks term-bound (universities by default).
    let universities = unit::Entity::find()
        .filter(unit::Column::TermBound.eq(true))
        .order_by_asc(unit::Column::Id)
        .all(db)
        .await?;
    let contacts = contacts(db).await?;
    // First every term whose reminder is due today, for every term-bound holder.
    let mut due = Vec::new();
    for year in today.year() - 1..=today.year() + 1 {
        let quotas = quotas(db, year).await?;
        for u in &universities {
            let (Some(dates), true, Some(contact)) = (
                dates_of(UnitId(u.id), year),
                quotas.contains_key(&UnitId(u.id)),
                contacts.get(&UnitId(u.id)),
            ) else {
                continue;
            };
            for (term, start, end) in dates.terms() {
                let Some(offset) = rules::due_offset(start, today, offsets) else { continue };
                due.push(DueTerm { unit: u, contact, year, term, start, end, offset });
            }
        }
    }
    if due.is_empty() {
        return Ok(Vec::new());
    }
    // A visit in the week before the term already serves it: one query for all of them.
    let served = served_terms(db, &due).await?;
    let mut figures: HashMap<i32, HashMap<UnitId, fulfilment::UnitProgress>> = HashMap::new();
    let mut planned = Vec::new();
    for d in due.iter().filter(|d| !served.contains(&(UnitId(d.unit.id), d.start))) {
        let DueTerm { unit: u, contact, year, term, start, offset, .. } = *d;
        // Every holder's figures of the year in one call, as the dashboard shows them.
        let holders = match figures.entry(year) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(first) => {
                first.insert(holders_of_year(db, year, today, ctx.booking.behind_margin_points).await?)
            }
        };
        let Some(holder) = holders.get(&UnitId(u.id)) else { continue };
        let remaining = holder.progress.remaining;
        // Two weeks either side of the term start, as this holder could book them
        // today, one line per vehicle-day, a few each week.
        let free = visits::availability(
            db,
            &ctx.booking,
            today,
            start - TimeDelta::days(14),
            start + TimeDelta::days(13),
            None,
            Some(UnitId(u.id)),
        )
        .await?;
        let names: HashMap<VehicleId, String> =
            free.iter().map(|f| (f.vehicle_id, f.vehicle_name.clone())).collect();
        let sessions: Vec<_> = free.iter().map(|f| (f.vehicle_id, f.date, f.session)).collect();
        let free_sessions = rules::spread_vehicle_days(&sessions, SESSIONS_PER_WEEK)
            .into_iter()
            .map(|d| (d.date, names.get(&d.vehicle_id).cloned().unwrap_or_default(), d.label.to_owned()))
            .collect();
        let email = term_reminder(
            &TermReminder {
                unit_name: u.name.clone(),
                liaison_name: Some(contact.name.clone()),
                term_label: term.label_zh(year),
                term_start: start,
                remaining_quota: remaining,
                free_sessions,
                booking_hint: booking_hint(ctx),
            },
            &ctx.office,
        );
        planned.push(NewMessage {
            dedup_key: rules::term_key(UnitId(u.id), year, term, offset),
            kind: MessageKind::Term,
            recipient: contact.email.clone(),
            recipient_name: Some(contact.name.clone()),
            email,
            visit: None,
        });
    }
    Ok(planned)
}

/// A term-bound holder's term whose reminder is due today.
#[derive(Clone, Copy)]
struct DueTerm<'a> {
    unit: &'a unit::Model,
    contact: &'a unit_contact::Model,
    year: i32,
    term: rules::Term,
    start: NaiveDate,
    end: NaiveDate,
    offset: i64,
}

/// The due terms (holder, term start) that a confirmed or completed visit from a week
/// before the start to the end already serves, read in one query for all of them.
async fn served_terms(
    db: &DatabaseConnection,
    due: &[DueTerm<'_>],
) -> Result<HashSet<(UnitId, NaiveDate)>, ServiceError> {
    let window = |d: &DueTerm| (d.start - TimeDelta::days(7), d.end);
    let any_window = due.iter().fold(Condition::any(), |any, d| {
        let (from, to) = window(d);
        any.add(
            Condition::all()
                .add(visit::Column::UnitId.eq(UnitId(d.unit.id)))
                .add(visit::Column::Date.between(from, to)),
        )
    });
    let visited: Vec<(UnitId, NaiveDate)> = visit::Entity::find()
        .select_only()
        .column(visit::Column::UnitId)
        .column(visit::Column::Date)
        .distinct()
        .filter(visit::Column::Status.is_in([VisitStatus::Confirmed.code(), VisitStatus::Completed.code()]))
        .filter(any_window)
        .into_tuple()
        .all(db)
        .await?;
    let mut dates_of: HashMap<UnitId, Vec<NaiveDate>> = HashMap::new();
    for (unit_id, date) in visited {
        dates_of.entry(unit_id).or_default().push(date);
    }
    Ok(due
        .iter()
        .filter(|d| {
            let (from, to) = window(d);
            dates_of
                .get(&UnitId(d.unit.id))
                .is_some_and(|dates| dates.iter().any(|x| (from..=to).contains(x)))
        })
        .map(|d| (UnitId(d.unit.id), d.start))
        .collect())
}

/// Every holder's figures of `year` as of `today`, by holder id, exactly as the dashboard
/// gives them; none when the year has no plan.
async fn holders_of_year(
    db: &DatabaseConnection,
    year: i32,
    today: NaiveDate,
    margin_points: i64,
) -> Result<HashMap<UnitId, fulfilment::UnitProgress>, ServiceError> {
    match fulfilment::fulfilment(db, year, today, margin_points).await {
        Ok(report) => Ok(report.units.into_iter().map(|u| (u.unit_id, u)).collect()),
        Err(ServiceError::NotFound(_)) => Ok(HashMap::new()),
        Err(e) => Err(e),
    }
}

async fn visit_reminders(
    db: &DatabaseConnection,
    ctx: &ReminderContext,
    today: NaiveDate,
    offsets: &[i64],
) -> Result<Vec<NewMessage>, ServiceError> {
    let horizon = offsets.iter().copied().max().unwrap_or(0);
    let upcoming = visit::Entity::find()
        .filter(visit::Column::Status.eq(VisitStatus::Confirmed.code()))
        .filter(visit::Column::Date.gt(today))
        .filter(visit::Column::Date.lte(today + TimeDelta::days(horizon)))
        .order_by_asc(visit::Column::Id)
        .find_also_related(unit::Entity)
        .all(db)
        .await?;
    let contacts = contacts(db).await?;
    let vehicle_ids: Vec<VehicleId> = upcoming.iter().map(|(v, _)| v.vehicle_id).collect();
    let vehicles = crate::services::vehicles::names_of(db, vehicle_ids).await?;
    let mut planned = Vec::new();
    for (v, u) in upcoming {
        let (Some(u), Some(contact)) = (u, contacts.get(&v.unit_id)) else { continue };
        let Some(offset) = rules::due_offset(v.date, today, offsets) else { continue };
        let vehicle_name = vehicles.get(&v.vehicle_id).cloned().unwrap_or_default();
        let session = v.session;
        let email = visit_reminder(
            &VisitReminder {
                unit_name: u.name.clone(),
                liaison_name: Some(contact.name.clone()),
                date: v.date,
                session_label: session.label_zh().to_owned(),
                vehicle_name,
                expected_donors: i64::from(v.expected_donors),
                site_contact: v.site_contact.clone(),
                note: v.note.clone(),
                donor_ages: DonorAges::NOTICE_2020,
                manage_url: format!("{}/liaison", ctx.public_url.trim_end_matches('/')),
            },
            &ctx.office,
        );
        planned.push(NewMessage {
            dedup_key: rules::visit_key(v.unit_id, VisitId(v.id), v.date, v.session.code(), offset),
            kind: MessageKind::Visit,
            recipient: contact.email.clone(),
            recipient_name: Some(contact.name.clone()),
            email,
            visit: Some((v.id, v.date, v.session)),
        });
    }
    Ok(planned)
}

/// On the digest's weekday: the holders the fulfilment flags behind schedule that day (the
/// configured margin included), with the donations they collected.
async fn digest(
    db: &DatabaseConnection,
    ctx: &ReminderContext,
    today: NaiveDate,
    weekdays: &[i64],
) -> Result<Vec<NewMessage>, ServiceError> {
    if !weekdays.contains(&i64::from(today.weekday().number_from_monday())) || ctx.office.email.is_empty() {
        return Ok(Vec::new());
    }
    let year = today.year();
    if quotas(db, year).await?.is_empty() {
        return Ok(Vec::new());
    }
    let margin = ctx.booking.behind_margin_points;
    let report = fulfilment::fulfilment(db, year, today, margin).await?;
    let expected_percent = report.schedule.elapsed_days as f64 / report.schedule.days_in_year as f64 * 100.0;
    let mut rows: Vec<DigestRow> = report
        .units
        .iter()
        .filter(|u| u.progress.behind_schedule)
        .map(|u| DigestRow {
            name: u.name.clone(),
            section_label: u.section.label_zh().to_owned(),
            quota: u.progress.quota,
            collected: u.progress.collected_donations,
            remaining: u.progress.remaining,
            share_percent: u.progress.share * 100.0,
            expected_percent,
        })
        .collect();
    // The largest gap first, then by name so the order is stable.
    rows.sort_by(|a, b| a.share_percent.total_cmp(&b.share_percent).then(a.name.cmp(&b.name)));
    let overdue_breakdowns = breakdowns::overdue(db, year, today)
        .await?
        .map(|(due, holders)| (due, holders.into_iter().map(|h| (h.name, h.quota)).collect()));
    let email = behind_schedule_digest(
        &Digest { as_of: today, year, margin_points: margin, rows, overdue_breakdowns },
        &ctx.office,
    );
    Ok(vec![NewMessage {
        dedup_key: rules::digest_key(today),
        kind: MessageKind::Digest,
        recipient: ctx.office.email.clone(),
        recipient_name: Some(ctx.office.name.clone()),
        email,
        visit: None,
    }])
}

/// Once the deadline of this year's breakdown plans has passed (the day after it, in
/// Shanghai): one reminder to each holder asked for a breakdown that has no submitted or
/// accepted version, if it has a contact. The key names the holder, the year and the
/// deadline, so each gets it once (and once more if the office sets a later deadline).
async fn breakdown_reminders(
    db: &DatabaseConnection,
    ctx: &ReminderContext,
    today: NaiveDate,
) -> Result<Vec<NewMessage>, ServiceError> {
    let year = today.year();
    let Some((due_on, holders)) = breakdowns::overdue(db, year, today).await? else {
        return Ok(Vec::new());
    };
    if holders.is_empty() {
        return Ok(Vec::new());
    }
    let contacts = contacts(db).await?;
    let page_url = format!("{}/liaison", ctx.public_url.trim_end_matches('/'));
    Ok(holders
        .into_iter()
        .filter_map(|h| {
            let contact = contacts.get(&h.unit_id)?;
            let email = breakdown_reminder(
                &BreakdownReminder {
                    unit_name: h.name,
                    liaison_name: Some(contact.name.clone()),
                    year,
                    quota: h.quota,
                    due_on,
                    page_url: page_url.clone(),
                },
                &ctx.office,
            );
            Some(NewMessage {
                dedup_key: breakdown_rules::reminder_key(h.unit_id, year, due_on),
                // NOTICE, not a kind of its own: widening the outbox kind check is left for later.
                kind: MessageKind::Notice,
                recipient: contact.email.clone(),
                recipient_name: Some(contact.name.clone()),
                email,
                visit: None,
            })
        })
        .collect())
}

/// At most this many actions are listed in one activity digest; the rest are counted.
const ACTIVITY_ROWS: u64 = 300;

/// On each of the rule's weekdays that is not a holiday: what liaisons booked, moved and
/// withdrew since the last one went out, from the audit trail (the record of who did what).
async fn activity(
    db: &DatabaseConnection,
    ctx: &ReminderContext,
    today: NaiveDate,
    weekdays: &[i64],
) -> Result<Vec<NewMessage>, ServiceError> {
    let calendar = &ctx.booking.calendar;
    let Some(from) = rules::activity_window(today, weekdays, |day| calendar.holiday_name(day).is_some())
    else {
        return Ok(Vec::new());
    };
    if ctx.office.email.is_empty() {
        return Ok(Vec::new());
    }
    let day_start = |day: NaiveDate| shanghai_to_utc(day.and_time(NaiveTime::MIN));
    let liaisons = app_user::Entity::find()
        .select_only()
        .column(app_user::Column::Id)
        .filter(app_user::Column::Role.eq(Role::Liaison.code()))
        .into_query();
    let actions = audit_log::Entity::find()
        .filter(audit_log::Column::Entity.eq("visit"))
        .filter(audit_log::Column::Action.is_in(["book", "reschedule", "cancel"]))
        .filter(audit_log::Column::At.gte(day_start(from)))
        .filter(audit_log::Column::At.lt(day_start(today)))
        .filter(audit_log::Column::ActorUserId.in_subquery(liaisons));
    let total = actions.clone().count(db).await?;
    if total == 0 {
        return Ok(Vec::new());
    }
    let actions = actions
        .order_by_asc(audit_log::Column::At)
        .order_by_asc(audit_log::Column::Id)
        .limit(ACTIVITY_ROWS)
        .all(db)
        .await?;
    let ids: Vec<i32> = actions.iter().filter_map(|a| a.entity_id.as_deref()?.parse().ok()).collect();
    let visits: HashMap<i32, (visit::Model, Option<unit::Model>)> = visit::Entity::find()
        .filter(visit::Column::Id.is_in(ids))
        .find_also_related(unit::Entity)
        .all(db)
        .await?
        .into_iter()
        .map(|(v, u)| (v.id, (v, u)))
        .collect();
    let vehicle_ids: Vec<VehicleId> = visits.values().map(|(v, _)| v.vehicle_id).collect();
    let vehicles = crate::services::vehicles::names_of(db, vehicle_ids).await?;
    let rows = actions
        .iter()
        .filter_map(|a| {
            let (v, u) = visits.get(&a.entity_id.as_deref()?.parse().ok()?)?;
            let action = match a.action.as_str() {
                "book" => LiaisonAction::Booked,
                "reschedule" => LiaisonAction::Moved,
                _ => LiaisonAction::Withdrew,
            };
            let session = v.session.label_zh();
            Some(ActivityRow {
                at: a.at.with_timezone(&chrono_tz::Asia::Shanghai).format("%-m月%-d日 %H:%M").to_string(),
                action,
                unit_name: u.as_ref().map(|u| u.name.clone()).unwrap_or_default(),
                visit: format!("{}{session}", date_weekday_zh(v.date)),
                vehicle_name: vehicles.get(&v.vehicle_id).cloned().unwrap_or_default(),
                expected_donors: i64::from(v.expected_donors),
                status_label: v.status.label_zh().to_owned(),
                by: a.actor.clone(),
            })
        })
        .collect::<Vec<_>>();
    let email = activity_digest(
        &ActivityDigest {
            from,
            until: today - TimeDelta::days(1),
            omitted: total.saturating_sub(rows.len() as u64),
            rows,
            calendar_url: format!("{}/office/calendar", ctx.public_url.trim_end_matches('/')),
        },
        &ctx.office,
    );
    Ok(vec![NewMessage {
        dedup_key: rules::activity_key(today),
        kind: MessageKind::Activity,
        recipient: ctx.office.email.clone(),
        recipient_name: Some(ctx.office.name.clone()),
        email,
        visit: None,
    }])
}

/// Plans the reminders of today and writes the new ones to the outbox, each in one
/// transaction with its audit record. Returns how many were new.
pub async fn enqueue_due(
    db: &DatabaseConnection,
    clock: &Clock,
    ctx: &ReminderContext,
) -> Result<u32, ServiceError> {
    let mut added = 0;
    for message in plan_reminders(db, ctx, clock.today()).await? {
        let txn = crate::db::begin_write(db).await?;
        if !outbox::enqueue(&txn, clock, &message).await? {
            continue;
        }
        Change::new("outbox", message.dedup_key.clone(), "enqueue", Performer::System("reminders")).after(json!({ "kind": message.kind.code(), "recipient": message.recipient, "subject": message.email.subject })).record(&txn, clock)
        .await?;
        txn.commit().await?;
        added += 1;
    }
    Ok(added)
}
