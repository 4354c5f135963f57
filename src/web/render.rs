//! The page chrome, redirects, and errors said as plain Chinese sentences.
use askama::Template;
use poem::http::{header, StatusCode};
use poem::{IntoResponse, Response};

use super::session::Session;
use crate::domain::auth::Role;
use crate::services::ServiceError;

pub const FORBIDDEN: &str = "您没有权限查看或修改这项内容。";
pub const CSRF_REFUSED: &str = "这个表单已失效或来自其他网站，已被拒绝。请返回上一页，刷新后重新提交。";
pub const NOT_FOUND: &str = "您要找的页面不存在。";
pub const INTERNAL: &str = "服务器内部出错了，请稍后再试；如果问题持续，请联系市献血办。";

pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
}

/// What the layout shows around every page: who is signed in, their menu, the CSRF token.
pub struct Chrome {
    pub title: String,
    pub username: Option<String>,
    pub role_label: &'static str,
    pub csrf: String,
    pub nav: Vec<NavLink>,
}

/// A role as the pages name it.
pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::Office => "市献血办",
        Role::Liaison => "单位联络员",
        Role::Station => "血站工作人员",
    }
}

fn nav_of(role: Role) -> Vec<NavLink> {
    let links: &[(&str, &str)] = match role {
        Role::Office => &[
            ("/office", "总览"),
            ("/office/calendar", "采血日程"),
            ("/office/schedule", "排班建议"),
            ("/office/holders", "献血单位"),
            ("/office/population", "人口与采供"),
            ("/office/exports", "导出"),
            ("/office/import", "导入计划"),
            ("/office/breakdowns", "分解计划"),
            ("/office/year-on-year", "年度同比"),
            ("/office/vehicles", "采血车"),
            ("/office/reminders", "学期与提醒"),
            ("/office/outbox", "邮件"),
            ("/office/users", "用户"),
        ],
        Role::Liaison => &[("/liaison", "本单位"), ("/book", "预约采血车")],
        Role::Station => &[
            ("/station", "今日与本周"),
            ("/station/fixed-site", "固定点采血"),
            ("/station/clinical-use", "临床用血"),
            ("/office/vehicles", "采血车"),
        ],
    };
    links.iter().map(|(href, label)| NavLink { href, label }).collect()
}

impl Chrome {
    pub fn new(session: Option<&Session>, title: impl Into<String>) -> Chrome {
        Chrome {
            title: title.into(),
            username: session.map(|s| s.actor.username.clone()),
            role_label: session.map_or("", |s| role_label(s.actor.role)),
            csrf: session.map(|s| s.csrf.clone()).unwrap_or_default(),
            nav: session.map(|s| nav_of(s.actor.role)).unwrap_or_default(),
        }
    }
}

pub fn html(status: StatusCode, body: String) -> Response {
    Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .body(body)
}

/// Renders a page, or the internal-error page when the template fails.
pub fn page(t: &impl Template) -> Response {
    match t.render() {
        Ok(body) => html(StatusCode::OK, body),
        Err(e) => {
            tracing::error!(error = %e, "a page template failed to render");
            html(StatusCode::INTERNAL_SERVER_ERROR, INTERNAL.to_owned())
        }
    }
}

pub fn redirect(to: &str) -> Response {
    Response::builder().status(StatusCode::SEE_OTHER).header(header::LOCATION, to).finish()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    message: String,
}

pub fn error_page(session: Option<&Session>, status: StatusCode, message: &str) -> Response {
    let mut response =
        page(&ErrorPage { chrome: Chrome::new(session, "出错了"), message: message.to_owned() });
    response.set_status(status);
    response
}

#[derive(Template)]
#[template(path = "refusal.html")]
struct RefusalPage {
    chrome: Chrome,
    message: String,
    back: String,
}

/// A rule refused a well-formed request: the page says which rule, and leads back.
pub fn refusal_page(session: &Session, message: &str, back: &str) -> Response {
    page(&RefusalPage {
        chrome: Chrome::new(Some(session), "未能完成"),
        message: message.to_owned(),
        back: back.to_owned(),
    })
}

/// A rule refused the request (not found, bad input, rejected): said on the page, not an
/// error page. Database and internal errors and a missing permission are not refusals.
pub fn is_refusal(err: &ServiceError) -> bool {
    !matches!(err, ServiceError::Database(_) | ServiceError::Internal(_) | ServiceError::Forbidden)
}

/// A refusal as the refusal page leading back to `back`; any other error as its error page.
pub fn refusal(session: &Session, err: ServiceError, back: &str) -> Response {
    if is_refusal(&err) {
        refusal_page(session, &message_of(&err), back)
    } else {
        service_error_for(session, err)
    }
}

/// The services write messages with ASCII commas and semicolons; pages use full-width ones.
pub fn zh(message: &str) -> String {
    message.replace(", ", "，").replace("; ", "；").replace(": ", "：").replace('(', "（").replace(')', "）")
}

/// A refusal said in the words of the rule that refused; never a database error.
pub fn message_of(err: &ServiceError) -> String {
    match err {
        ServiceError::NotFound(m) | ServiceError::BadInput(m) => ensure_stop(&zh(m)),
        ServiceError::Rejected { message, .. } => ensure_stop(&zh(message)),
        ServiceError::Forbidden => FORBIDDEN.to_owned(),
        ServiceError::Database(e) => {
            tracing::error!(error = %e, "database error while serving a page");
            INTERNAL.to_owned()
        }
        ServiceError::Internal(e) => {
            tracing::error!(error = %e, "internal error while serving a page");
            INTERNAL.to_owned()
        }
    }
}

fn ensure_stop(m: &str) -> String {
    if m.ends_with(['。', '！', '？']) {
        m.to_owned()
    } else {
        format!("{m}。")
    }
}

/// A service error as a whole page, for GET handlers.
pub fn service_error(err: ServiceError) -> Response {
    let status = match &err {
        ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
        ServiceError::BadInput(_) | ServiceError::Rejected { .. } => StatusCode::BAD_REQUEST,
        ServiceError::Forbidden => StatusCode::FORBIDDEN,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    error_page(None, status, &message_of(&err))
}

pub fn service_error_for(session: &Session, err: ServiceError) -> Response {
    let mut r = service_error(err);
    if r.status() == StatusCode::FORBIDDEN {
        r = error_page(Some(session), StatusCode::FORBIDDEN, FORBIDDEN);
    }
    r.into_response()
}

/// Formats a count with thousands separators, as the notice prints them (8,417).
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// A share as a percentage with one decimal, and its width for a progress bar (0–100).
pub fn percent(part: i64, whole: i64) -> (String, i64) {
    if whole <= 0 {
        return ("—".to_owned(), 0);
    }
    let p = part as f64 * 100.0 / whole as f64;
    (format!("{p:.1}%"), p.clamp(0.0, 100.0).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_as_the_notice_prints_them() {
        assert_eq!(thousands(8417), "8,417");
        assert_eq!(thousands(9_000_000), "9,000,000");
        assert_eq!(thousands(-1222), "-1,222");
        assert_eq!(thousands(0), "0");
        assert_eq!(percent(1, 3).0, "33.3%");
        assert_eq!(percent(5, 0), ("—".to_owned(), 0));
    }

    #[test]
    fn service_messages_get_full_width_punctuation_and_a_full_stop() {
        let e = ServiceError::rejected("SLOT_TAKEN", "该车该时段刚刚已被预约，请另选时段或车辆");
        assert_eq!(message_of(&e), "该车该时段刚刚已被预约，请另选时段或车辆。");
    }
}
