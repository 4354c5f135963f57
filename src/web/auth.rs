//! Logging in and out, and changing one's own password.
use askama::Template;
use poem::http::{header, StatusCode};
use poem::web::{Data, Form, Query};
use poem::{handler, IntoResponse, Request, Response};
use serde::Deserialize;

use super::render::{self, Chrome};
use super::session::{self, AnyUser, Session};
use crate::services::accounts;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    message: Option<String>,
    next: String,
    username: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[handler]
pub async fn login_page(Query(q): Query<NextQuery>) -> Response {
    render::page(&LoginPage {
        chrome: Chrome::new(None, "登录"),
        message: None,
        next: session::local_path(q.next.as_deref()).to_owned(),
        username: String::new(),
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

#[handler]
pub async fn login(req: &Request, Data(state): Data<&AppState>, Form(form): Form<LoginForm>) -> Response {
    let next = session::local_path(form.next.as_deref()).to_owned();
    let address = crate::http::security::client_address(req, &state.http.trusted_proxies);
    let (db, clock, auth) = (&state.db, &state.clock, &state.auth);
    match accounts::login(db, clock, auth, &form.username, &form.password, &address).await {
        Ok(issued) => {
            let ttl = (issued.expires_at - state.clock.now()).num_seconds().max(0);
            let mut r = render::redirect(&next);
            if let Ok(v) = session::set_cookie(state, &issued.token, ttl).parse() {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        Err(e) => {
            let mut r = render::page(&LoginPage {
                chrome: Chrome::new(None, "登录"),
                message: Some(render::message_of(&e)),
                next,
                username: form.username,
            });
            // The refusal is the page's content, not a broken page.
            r.set_status(StatusCode::OK);
            r
        }
    }
}

#[handler]
pub async fn logout(req: &Request, Data(state): Data<&AppState>) -> Response {
    if let Ok(Some(s)) = session::session_of(req, state).await {
        if let Err(e) = accounts::logout(&state.db, &state.clock, &s.actor, &s.token_hash).await {
            return render::service_error(e);
        }
    }
    let mut r = render::redirect("/login");
    if let Ok(v) = session::set_cookie(state, "", 0).parse() {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    chrome: Chrome,
    message: Option<String>,
    message_kind: &'static str,
}

fn password_page_with(s: &Session, message: Option<String>, ok: bool) -> Response {
    render::page(&PasswordPage {
        chrome: Chrome::new(Some(s), "修改密码"),
        message,
        message_kind: if ok { "ok" } else { "error" },
    })
}

#[handler]
pub async fn password_page(AnyUser(_, s): AnyUser<'_>) -> Response {
    password_page_with(&s, None, false)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new_password: String,
    repeat: String,
}

#[handler]
pub async fn change_password(Form(form): Form<PasswordForm>, AnyUser(state, s): AnyUser<'_>) -> Response {
    if form.new_password != form.repeat {
        return password_page_with(&s, Some("两次输入的新密码不一致。".into()), false);
    }
    match accounts::change_own_password(
        &state.db,
        &state.clock,
        &s.actor,
        &s.token_hash,
        &form.current,
        &form.new_password,
    )
    .await
    {
        Ok(()) => password_page_with(&s, Some("密码已修改。其他设备上的登录已失效。".into()), true),
        Err(e) => password_page_with(&s, Some(render::message_of(&e)), false),
    }
    .into_response()
}
