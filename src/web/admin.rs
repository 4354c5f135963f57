//! The office's administration pages: the outbox and the user accounts.
use askama::Template;
use poem::web::{Form, Path, Query};
use poem::{handler, Response};
use serde::Deserialize;

use super::render::{self, Chrome};
use super::session::{OfficeUser, StaffUser};
use super::view::local_time;
use crate::domain::auth::Role;
use crate::domain::ids::{UserId, VehicleId};
use crate::domain::reminders::{OutboxStatus, ReminderKind, TermDates};
use crate::services::accounts::{self, NewUser};
use crate::services::audit::Performer;
use crate::services::{outbox, reminders, vehicles, Page};

fn status_zh(s: OutboxStatus) -> &'static str {
    match s {
        OutboxStatus::Pending => "待发送",
        OutboxStatus::Sending => "发送中",
        OutboxStatus::Sent => "已发送",
        OutboxStatus::Failed => "发送失败",
        OutboxStatus::Cancelled => "已撤回",
    }
}

struct MessageRow {
    id: i32,
    recipient: String,
    subject: String,
    status: &'static str,
    failed: bool,
    attempts: i32,
    last_error: String,
    created: String,
}

#[derive(Template)]
#[template(path = "outbox.html")]
struct OutboxPage {
    chrome: Chrome,
    flash: Option<String>,
    total: u64,
    rows: Vec<MessageRow>,
    statuses: Vec<(&'static str, &'static str, bool)>,
}

#[derive(Deserialize)]
pub struct OutboxQuery {
    status: Option<String>,
    done: Option<String>,
}

#[handler]
pub async fn outbox_page(Query(q): Query<OutboxQuery>, OfficeUser(state, s): OfficeUser<'_>) -> Response {
    let status = q.status.as_deref().and_then(OutboxStatus::parse);
    let (total, rows) = match outbox::list(&state.db, status, Page { first: 200, offset: 0 }).await {
        Ok(x) => x,
        Err(e) => return render::service_error_for(&s, e),
    };
    let all = [
        OutboxStatus::Pending,
        OutboxStatus::Sending,
        OutboxStatus::Sent,
        OutboxStatus::Failed,
        OutboxStatus::Cancelled,
    ];
    render::page(&OutboxPage {
        chrome: Chrome::new(Some(&s), "邮件发送"),
        flash: (q.done.as_deref() == Some("resent")).then(|| "邮件已重新排队发送。".to_owned()),
        total,
        rows: rows
            .into_iter()
            .map(|m| MessageRow {
                id: m.id,
                recipient: m.recipient,
                subject: m.subject,
                status: status_zh(m.status),
                failed: m.status == OutboxStatus::Failed,
                attempts: m.attempts,
                last_error: m.last_error.unwrap_or_default(),
                created: local_time(m.created_at),
            })
            .collect(),
        statuses: all.iter().map(|x| (x.code(), status_zh(*x), Some(*x) == status)).collect(),
    })
}

#[handler]
pub async fn resend(Path(id): Path<i32>, OfficeUser(state, s): OfficeUser<'_>) -> Response {
    match outbox::resend(&state.db, &state.clock, &s.actor, id).await {
        Ok(_) => render::redirect("/office/outbox?done=resent"),
        Err(e) => render::refusal(&s, e, "/office/outbox"),
    }
}

struct UserRow {
    id: i32,
    username: String,
    role: &'static str,
    unit: String,
    disabled: bool,
    created: String,
    me: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    flash: Option<String>,
    rows: Vec<UserRow>,
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

#[handler]
pub async fn users_page(Query(q): Query<DoneQuery>, OfficeUser(state, s): OfficeUser<'_>) -> Response {
    let (_, users) = match accounts::list_users(&state.db, Page { first: 500, offset: 0 }).await {
        Ok(x) => x,
        Err(e) => return render::service_error_for(&s, e),
    };
    render::page(&UsersPage {
        chrome: Chrome::new(Some(&s), "用户"),
        flash: match q.done.as_deref() {
            Some("created") => Some("账号已创建。".to_owned()),
            Some("changed") => Some("账号状态已更改。".to_owned()),
            Some("reset") => Some("密码已重置，该用户原有的登录已全部失效。".to_owned()),
            _ => None,
        },
        rows: users
            .into_iter()
            .map(|u| UserRow {
                me: u.id == s.actor.user_id.0,
                id: u.id,
                username: u.username,
                role: render::role_label(u.role),
                unit: u.unit_name.unwrap_or_default(),
                disabled: u.disabled,
                created: local_time(u.created_at),
            })
            .collect(),
    })
}

#[derive(Deserialize)]
pub struct NewUserForm {
    username: String,
    password: String,
    role: String,
    unit: Option<String>,
}

#[handler]
pub async fn create_user(Form(form): Form<NewUserForm>, OfficeUser(state, s): OfficeUser<'_>) -> Response {
    let Some(role) = Role::parse(&form.role) else {
        return render::refusal_page(&s, "请选择角色。", "/office/users");
    };
    let unit_id = match form.unit.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => match accounts::find_unit_id(&state.db, u).await {
            Ok(id) => Some(id),
            Err(e) => return render::refusal(&s, e, "/office/users"),
        },
        None => None,
    };
    let new = NewUser { username: form.username, password: form.password, role, unit_id };
    match accounts::create_user(&state.db, &state.clock, Performer::User(&s.actor), new).await {
        Ok(_) => render::redirect("/office/users?done=created"),
        Err(e) => render::refusal(&s, e, "/office/users"),
    }
}

#[derive(Deserialize)]
pub struct DisableForm {
    disabled: String,
}

#[handler]
pub async fn set_disabled(
    Path(id): Path<UserId>,
    Form(form): Form<DisableForm>,
    OfficeUser(state, s): OfficeUser<'_>,
) -> Response {
    let disabled = form.disabled == "true";
    match accounts::set_user_disabled(&state.db, &state.clock, &s.actor, id, disabled).await {
        Ok(_) => render::redirect("/office/users?done=changed"),
        Err(e) => render::refusal(&s, e, "/office/users"),
    }
}

#[derive(Deserialize)]
pub struct ResetForm {
    password: String,
}

/// The office sets a new password for a user who forgot theirs.
#[handler]
pub async fn reset_password(
    Path(id): Path<UserId>,
    Form(form): Form<ResetForm>,
    OfficeUser(state, s): OfficeUser<'_>,
) -> Response {
    match accounts::reset_user_password(&state.db, &state.clock, &s.actor, id, &form.password).await {
        Ok(_) => render::redirect("/office/users?done=reset"),
        Err(e) => render::refusal(&s, e, "/office/users"),
    }
}

struct BlackoutRow {
    id: i32,
    from: String,
    to: String,
    reason: String,
}

struct VehicleRow {
    id: i32,
    name: String,
    capacity: i32,
    home: String,
    active: bool,
    blackouts: Vec<BlackoutRow>,
}

#[derive(Template)]
#[template(path = "vehicles.html")]
struct VehiclesPage {
    chrome: Chrome,
    flash: Option<String>,
    rows: Vec<VehicleRow>,
}

#[handler]
pub async fn vehicles_page(Query(q): Query<DoneQuery>, StaffUser(state, s): StaffUser<'_>) -> Response {
    let vehicles = match vehicles::list(&state.db).await {
        Ok(v) => v,
        Err(e) => return render::service_error_for(&s, e),
    };
    let ids: Vec<VehicleId> = vehicles.iter().map(|v| VehicleId(v.id)).collect();
    let mut blackouts_of = match vehicles::blackouts_of_many(&state.db, &ids).await {
        Ok(b) => b,
        Err(e) => return render::service_error_for(&s, e),
    };
    let mut rows = Vec::new();
    for v in vehicles {
        let blackouts = blackouts_of.remove(&VehicleId(v.id)).unwrap_or_default();
        rows.push(VehicleRow {
            id: v.id,
            name: v.name,
            capacity: v.capacity_per_day,
            home: v.home_station,
            active: v.active,
            blackouts: blackouts
                .into_iter()
                .map(|b| BlackoutRow {
                    id: b.id,
                    from: b.from_date.to_string(),
                    to: b.to_date.to_string(),
                    reason: b.reason,
                })
                .collect(),
        });
    }
    render::page(&VehiclesPage {
        chrome: Chrome::new(Some(&s), "采血车"),
        flash: q.done.is_some().then(|| "已保存。".to_owned()),
        rows,
    })
}

#[derive(Deserialize)]
pub struct VehicleForm {
    name: String,
    capacity: String,
    home: Option<String>,
}

#[handler]
pub async fn create_vehicle(Form(form): Form<VehicleForm>, StaffUser(state, s): StaffUser<'_>) -> Response {
    let Ok(capacity) = form.capacity.trim().parse::<i32>() else {
        return render::refusal_page(&s, "每日采血人数必须是整数。", "/office/vehicles");
    };
    let home = form.home.filter(|h| !h.trim().is_empty());
    let input =
        vehicles::VehicleInput { name: form.name, capacity_per_day: Some(capacity), home_station: home };
    match vehicles::create_vehicle(&state.db, &state.clock, &s.actor, input).await {
        Ok(_) => render::redirect("/office/vehicles?done=1"),
        Err(e) => render::refusal(&s, e, "/office/vehicles"),
    }
}

#[derive(Deserialize)]
pub struct ActiveForm {
    active: String,
}

#[handler]
pub async fn set_vehicle_active(
    Path(id): Path<VehicleId>,
    Form(form): Form<ActiveForm>,
    StaffUser(state, s): StaffUser<'_>,
) -> Response {
    let changes = vehicles::VehicleChanges {
        name: None,
        capacity_per_day: None,
        home_station: None,
        active: Some(form.active == "true"),
    };
    match vehicles::update_vehicle(&state.db, &state.clock, &s.actor, id, changes).await {
        Ok(_) => render::redirect("/office/vehicles?done=1"),
        Err(e) => render::refusal(&s, e, "/office/vehicles"),
    }
}

#[derive(Deserialize)]
pub struct BlackoutForm {
    from: String,
    to: String,
    reason: String,
}

#[handler]
pub async fn add_blackout(
    Path(id): Path<VehicleId>,
    Form(form): Form<BlackoutForm>,
    StaffUser(state, s): StaffUser<'_>,
) -> Response {
    let parse = |t: &str| chrono::NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").ok();
    let (Some(from), Some(to)) = (parse(&form.from), parse(&form.to)) else {
        return render::refusal_page(&s, "请填写有效的停用起止日期。", "/office/vehicles");
    };
    let input = vehicles::BlackoutInput { from, to, reason: form.reason };
    match vehicles::add_blackout(&state.db, &state.clock, &s.actor, id, input).await {
        Ok(_) => render::redirect("/office/vehicles?done=1"),
        Err(e) => render::refusal(&s, e, "/office/vehicles"),
    }
}

#[handler]
pub async fn remove_blackout(Path(id): Path<i32>, StaffUser(state, s): StaffUser<'_>) -> Response {
    match vehicles::remove_blackout(&state.db, &state.clock, &s.actor, id).await {
        Ok(()) => render::redirect("/office/vehicles?done=1"),
        Err(e) => render::refusal(&s, e, "/office/vehicles"),
    }
}

struct RuleRow {
    kind: &'static str,
    label: &'static str,
    offsets: String,
    enabled: bool,
    hint: &'static str,
}

#[derive(Template)]
#[template(path = "reminders.html")]
struct RemindersPage {
    chrome: Chrome,
    flash: Option<String>,
    year: i32,
    terms: Vec<(String, String, String, String, String)>,
    rules: Vec<RuleRow>,
}

fn rule_label(kind: ReminderKind) -> (&'static str, &'static str) {
    match kind {
        ReminderKind::Term => ("开学前预约提醒", "开学前多少天提醒（逗号分隔，例如 21,7）"),
        ReminderKind::Visit => ("采血活动前提醒", "采血前多少天提醒（例如 3）"),
        ReminderKind::Digest => ("每周进度汇总", "星期几发送（1 = 星期一）"),
        ReminderKind::Activity => {
            ("联络员预约动态日报", "星期几发送（逗号分隔，1 = 星期一，例如 1,2,3,4,5）")
        }
    }
}

#[handler]
pub async fn reminders_page(Query(q): Query<DoneQuery>, OfficeUser(state, s): OfficeUser<'_>) -> Response {
    let year = chrono::Datelike::year(&state.clock.today());
    let terms = match reminders::term_calendars(&state.db, year).await {
        Ok(t) => t,
        Err(e) => return render::service_error_for(&s, e),
    };
    let rules = match reminders::rules(&state.db).await {
        Ok(r) => r,
        Err(e) => return render::service_error_for(&s, e),
    };
    let mut names = std::collections::HashMap::new();
    for t in &terms {
        if let Some(id) = t.unit_id {
            if let Ok(u) = crate::services::plans::unit_by_id(&state.db, id).await {
                names.insert(id, u.name);
            }
        }
    }
    render::page(&RemindersPage {
        chrome: Chrome::new(Some(&s), "学期与提醒"),
        flash: q.done.is_some().then(|| "已保存。".to_owned()),
        year,
        terms: terms
            .iter()
            .map(|t| {
                let scope = t
                    .unit_id
                    .map_or_else(|| "全市高校".to_owned(), |id| names.get(&id).cloned().unwrap_or_default());
                let d = &t.dates;
                (
                    scope,
                    d.spring_start.to_string(),
                    d.spring_end.to_string(),
                    d.autumn_start.to_string(),
                    d.autumn_end.to_string(),
                )
            })
            .collect(),
        rules: rules
            .into_iter()
            .map(|r| {
                let (label, hint) = rule_label(r.kind);
                RuleRow {
                    kind: r.kind.code(),
                    label,
                    offsets: r.offsets.iter().map(i64::to_string).collect::<Vec<_>>().join(","),
                    enabled: r.enabled,
                    hint,
                }
            })
            .collect(),
    })
}

#[derive(Deserialize)]
pub struct TermForm {
    unit: Option<String>,
    spring_start: String,
    spring_end: String,
    autumn_start: String,
    autumn_end: String,
}

#[handler]
pub async fn set_terms(Form(form): Form<TermForm>, OfficeUser(state, s): OfficeUser<'_>) -> Response {
    let parse = |t: &str| chrono::NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").ok();
    let (Some(spring_start), Some(spring_end), Some(autumn_start), Some(autumn_end)) = (
        parse(&form.spring_start),
        parse(&form.spring_end),
        parse(&form.autumn_start),
        parse(&form.autumn_end),
    ) else {
        return render::refusal_page(&s, "请填写四个有效的日期。", "/office/reminders");
    };
    let unit_id = match form.unit.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => match accounts::find_unit_id(&state.db, u).await {
            Ok(id) => Some(id),
            Err(e) => return render::refusal(&s, e, "/office/reminders"),
        },
        None => None,
    };
    let year = chrono::Datelike::year(&spring_start);
    let dates = TermDates { spring_start, spring_end, autumn_start, autumn_end };
    match reminders::set_term_calendar(&state.db, &state.clock, &s.actor, year, unit_id, dates).await {
        Ok(_) => render::redirect("/office/reminders?done=1"),
        Err(e) => render::refusal(&s, e, "/office/reminders"),
    }
}

#[derive(Deserialize)]
pub struct RuleForm {
    kind: String,
    offsets: String,
    enabled: Option<String>,
}

#[handler]
pub async fn set_rule(Form(form): Form<RuleForm>, OfficeUser(state, s): OfficeUser<'_>) -> Response {
    let Some(kind) = ReminderKind::parse(&form.kind) else {
        return render::refusal_page(&s, "没有这种提醒。", "/office/reminders");
    };
    let offsets = crate::domain::reminders::parse_offsets(&form.offsets.replace('，', ","));
    let enabled = form.enabled.is_some();
    match reminders::set_rule(&state.db, &state.clock, &s.actor, kind, &offsets, enabled).await {
        Ok(_) => render::redirect("/office/reminders?done=1"),
        Err(e) => render::refusal(&s, e, "/office/reminders"),
    }
}
