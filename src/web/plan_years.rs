//! The office's year-on-year page (同比): each holder's quota and collected donations in a
//! year beside the year before, from `services::year_on_year`.
use askama::Template;
use chrono::Datelike;
use poem::web::Query;
use poem::{handler, Response};
use serde::Deserialize;

use super::render::{self, thousands, Chrome};
use super::session::StaffUser;
use super::view::Pager;
use crate::services::year_on_year;

const PAGE_SIZE: u64 = 50;

#[derive(Deserialize, Default)]
pub struct YearOnYearQuery {
    year: Option<i32>,
    previous: Option<i32>,
    page: Option<u64>,
}

struct Line {
    name: String,
    section: String,
    quota: String,
    previous_quota: String,
    quota_change: String,
    collected: String,
    previous_collected: String,
    collected_change: String,
}

#[derive(Template)]
#[template(path = "year_on_year.html")]
struct YearOnYearPage {
    chrome: Chrome,
    year: i32,
    previous: i32,
    total: u64,
    pager: Pager,
    rows: Vec<Line>,
}

fn signed(n: i64) -> String {
    if n > 0 {
        format!("+{}", thousands(n))
    } else {
        thousands(n)
    }
}

#[handler]
pub async fn year_on_year_page(
    Query(q): Query<YearOnYearQuery>,
    StaffUser(state, s): StaffUser<'_>,
) -> Response {
    let year = q.year.unwrap_or_else(|| state.clock.today().year());
    let previous = q.previous.unwrap_or(year - 1);
    let (page, cut) = Pager::asked(q.page, PAGE_SIZE);
    let (total, rows) = match year_on_year::compare(&state.db, &s.actor, year, previous, cut).await {
        Ok(found) => found,
        Err(e) => return render::service_error_for(&s, e),
    };
    let figure = |n: Option<i64>| n.map_or_else(|| "—".to_owned(), thousands);
    render::page(&YearOnYearPage {
        chrome: Chrome::new(Some(&s), "年度同比"),
        year,
        previous,
        total,
        pager: Pager::new(page, total, PAGE_SIZE, |n| {
            format!("/office/year-on-year?year={year}&previous={previous}&page={n}")
        }),
        rows: rows
            .into_iter()
            .map(|r| Line {
                section: render::zh(r.section.label_zh()),
                quota: figure(r.quota),
                previous_quota: figure(r.previous_quota),
                quota_change: r.quota_change().map_or_else(|| "—".to_owned(), signed),
                collected: thousands(r.collected),
                previous_collected: thousands(r.previous_collected),
                collected_change: signed(r.collected_change()),
                name: r.name,
            })
            .collect(),
    })
}
