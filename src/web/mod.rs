//! The web app: server-rendered Chinese pages for the office, the liaisons and the station.
//!
//! Pages call the same services as the GraphQL resolvers with the same `Actor`; no page
//! runs SQL of its own. Templates (askama, `src/web/templates`) escape every value.
//!
//! Content-Security-Policy these pages are written for: `default-src 'self'` with no inline
//! script and no inline event handler (behaviour lives in `/assets/app.js`, htmx is told not
//! to inject styles or eval), `img-src 'self' data:`; the pages use no inline style attribute
//! except the SVG chart's presentation attributes. GraphiQL (`/graphql`) additionally needs
//! `style-src 'self' 'unsafe-inline'` and `font-src 'self' data:`.
use poem::http::StatusCode;
use poem::{get, handler, post, Endpoint, EndpointExt, IntoResponse, Request, Response, Route};

use crate::domain::auth::Role;
use crate::state::AppState;

mod admin;
pub mod assets;
mod auth;
mod breakdowns;
mod holders;
mod import;
mod liaison;
mod office;
mod plan_years;
pub mod render;
mod schedule;
pub mod session;
mod station;
mod supply;
mod upload;
mod view;

/// The routes of the pages and their assets; `/graphql` and the API stay in `http`.
pub fn routes(state: AppState) -> impl Endpoint<Output = Response> {
    let pages = Route::new()
        .at("/", get(home))
        .at("/login", get(auth::login_page).post(auth::login))
        .at("/logout", post(auth::logout))
        .at("/account/password", get(auth::password_page).post(auth::change_password))
        .at("/liaison", get(liaison::home))
        .at("/book", get(liaison::book_page).post(liaison::book))
        .at("/breakdowns", get(breakdowns::liaison_breakdown).post(breakdowns::submit))
        .at("/breakdowns/upload", post(breakdowns::upload))
        .at("/visits/:id/cancel", post(liaison::cancel))
        .at("/visits/:id/move", post(liaison::reschedule))
        .at("/visits/:id/confirm", post(office::confirm))
        .at("/visits/confirm-many", post(office::confirm_many))
        .at("/holders/:id", get(holders::holder_page))
        .at("/holders/:id/contact", post(holders::update_contact))
        .at("/station", get(station::schedule))
        .at("/station/visits/:id", get(station::visit_page))
        .at("/station/visits/:id/collection", post(station::record))
        .at("/station/collections/:id/correct", post(station::correct))
        .at("/station/fixed-site", get(station::fixed_site_page).post(station::record_fixed_site))
        .at("/station/clinical-use", get(supply::clinical_use_page).post(supply::record_clinical_use))
        .at("/office", get(office::dashboard))
        .at("/office/population", get(supply::population_page).post(supply::set_population))
        .at("/office/calendar", get(office::calendar))
        .at("/office/holders", get(holders::holders_table))
        .at("/office/schedule", get(schedule::schedule_page))
        .at("/office/schedule/publish", post(schedule::publish))
        .at("/office/exports", get(office::exports_page))
        .at("/office/import", get(import::import_page).post(import::preview))
        .at("/office/import/apply", post(import::apply))
        .at("/office/breakdowns", get(breakdowns::overview))
        .at("/office/breakdowns/:id", get(breakdowns::review))
        .at("/office/breakdowns/:id/accept", post(breakdowns::accept))
        .at("/office/breakdowns/:id/return", post(breakdowns::send_back))
        .at("/office/year-on-year", get(plan_years::year_on_year_page))
        .at("/office/outbox", get(admin::outbox_page))
        .at("/office/outbox/:id/resend", post(admin::resend))
        .at("/office/users", get(admin::users_page).post(admin::create_user))
        .at("/office/users/:id/disabled", post(admin::set_disabled))
        .at("/office/users/:id/password", post(admin::reset_password))
        .at("/office/vehicles", get(admin::vehicles_page).post(admin::create_vehicle))
        .at("/office/vehicles/:id/active", post(admin::set_vehicle_active))
        .at("/office/vehicles/:id/blackouts", post(admin::add_blackout))
        .at("/office/blackouts/:id/remove", post(admin::remove_blackout))
        .at("/office/reminders", get(admin::reminders_page))
        .at("/office/reminders/terms", post(admin::set_terms))
        .at("/office/reminders/rules", post(admin::set_rule))
        .at("/assets/:name", get(assets::asset));
    session::CsrfGuard(pages.data(state.clone()), state).map_to_response()
}

/// `/`: the signed-in user's start page; the login page otherwise.
#[handler]
async fn home(req: &Request, poem::web::Data(state): poem::web::Data<&AppState>) -> Response {
    match session::session_of(req, state).await {
        Ok(Some(s)) => render::redirect(match s.actor.role {
            Role::Office => "/office",
            Role::Liaison => "/liaison",
            Role::Station => "/station",
        }),
        Ok(None) => render::redirect("/login"),
        Err(r) => r,
    }
}

/// Unknown paths under the web app: a plain Chinese page.
pub fn not_found() -> Response {
    render::error_page(None, StatusCode::NOT_FOUND, render::NOT_FOUND).into_response()
}
