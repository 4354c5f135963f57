//! A new year's plan drafted from the last one (`bloodplan plan copy`): the same holders,
//! quotas, sections and printed totals, the accepted breakdown plans and the term dates moved
//! on by the years between, written as a plan folder that `bloodplan import` reads back
//! (`plan.toml`, `units.csv`, `breakdowns.csv`). The office edits it, then imports it.
use chrono::{Datelike, NaiveDate};

use super::breakdown::SubUnitRow;
use super::plan_table::{PlanManifest, PlanRow, TermEntry, BREAKDOWN_HEADER};
use super::reminders::TermDates;

pub const PLAN_FILE: &str = "plan.toml";
pub const UNITS_FILE: &str = "units.csv";
pub const BREAKDOWNS_FILE: &str = "breakdowns.csv";

/// What a draft is made of, read from the year it copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub from: i32,
    pub to: i32,
    /// The copied year's figures (targets, printed totals); the draft's year is `to`.
    pub manifest: PlanManifest,
    /// The copied year's rows in table order.
    pub rows: Vec<PlanRow>,
    /// Each holder's accepted breakdown of the copied year, by holder name.
    pub breakdowns: Vec<(String, Vec<SubUnitRow>)>,
    /// The copied year's term dates (`unit`: a university's own).
    pub terms: Vec<TermEntry>,
}

/// One file of a draft folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftFile {
    pub name: &'static str,
    pub content: String,
}

/// A date moved on by `years`; 29 February becomes 28 February in a common year.
pub fn shift(date: NaiveDate, years: i32) -> Option<NaiveDate> {
    let year = date.year().checked_add(years)?;
    date.with_year(year).or_else(|| NaiveDate::from_ymd_opt(year, date.month(), 28))
}

/// Term dates moved on by `years` (none if a date would leave the calendar).
pub fn shift_terms(d: TermDates, years: i32) -> Option<TermDates> {
    Some(TermDates {
        spring_start: shift(d.spring_start, years)?,
        spring_end: shift(d.spring_end, years)?,
        autumn_start: shift(d.autumn_start, years)?,
        autumn_end: shift(d.autumn_end, years)?,
    })
}

fn quoted(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// The draft's files: `plan.toml`, `units.csv` and, when a holder had an accepted breakdown,
/// `breakdowns.csv`.
pub fn render(draft: &Draft) -> Result<Vec<DraftFile>, String> {
    let m = &draft.manifest;
    let years = draft.to - draft.from;
    let mut toml = format!(
        "# The {to} group blood-donation plan: a draft copied from the {from} plan by `bloodplan plan copy`.\n\
         # Edit the quotas in units.csv (and the breakdowns in breakdowns.csv), set this year's notice\n\
         # below, then load it with `bloodplan import <this folder>`.\n\
         year = {to}\n",
        from = draft.from,
        to = draft.to
    );
    toml.push_str("# document_number = \"\"   # this year's notice (文号)\n");
    if let Some(title) = &m.title {
        let title = title.replace(&draft.from.to_string(), &draft.to.to_string());
        toml.push_str(&format!("title = {}\n", quoted(&title)));
    }
    for (key, value) in [
        ("donation_target", m.donation_target),
        ("volume_target_ml", m.volume_target_ml),
        ("donation_rate_per_thousand", m.donation_rate_per_thousand),
    ] {
        if let Some(v) = value {
            toml.push_str(&format!("{key} = {v}\n"));
        }
    }
    toml.push_str(&format!("units = {}\n", quoted(UNITS_FILE)));
    if !draft.breakdowns.is_empty() {
        toml.push_str(&format!("breakdowns = {}\n", quoted(BREAKDOWNS_FILE)));
    }
    if !m.printed_totals.is_empty() {
        toml.push_str(&format!(
            "\n# Section totals as printed in {}: update them to this year's notice.\n[printed_totals]\n",
            draft.from
        ));
        for (section, total) in &m.printed_totals {
            toml.push_str(&format!("{} = {total}\n", section.code()));
        }
    }
    for t in &draft.terms {
        let Some(d) = shift_terms(t.dates, years) else { continue };
        toml.push_str("\n[[terms]]\n");
        if let Some(unit) = &t.unit {
            toml.push_str(&format!("unit = {}\n", quoted(unit)));
        }
        for (key, date) in [
            ("spring_start", d.spring_start),
            ("spring_end", d.spring_end),
            ("autumn_start", d.autumn_start),
            ("autumn_end", d.autumn_end),
        ] {
            toml.push_str(&format!("{key} = \"{date}\"\n"));
        }
    }
    let mut units = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| e.to_string();
    units.write_record(["section", "seq", "name", "quota", "site", "note", "kind"]).map_err(fail)?;
    for r in &draft.rows {
        units
            .write_record([
                r.section.code(),
                &r.seq.to_string(),
                &r.name,
                &r.quota.to_string(),
                r.site.as_deref().unwrap_or(""),
                r.note.as_deref().unwrap_or(""),
                &r.kind.code().to_ascii_lowercase(),
            ])
            .map_err(fail)?;
    }
    let text = |w: csv::Writer<Vec<u8>>| -> Result<String, String> {
        String::from_utf8(w.into_inner().map_err(|e| e.to_string())?).map_err(|e| e.to_string())
    };
    let mut files = vec![
        DraftFile { name: PLAN_FILE, content: toml },
        DraftFile { name: UNITS_FILE, content: text(units)? },
    ];
    if !draft.breakdowns.is_empty() {
        let mut out = csv::Writer::from_writer(Vec::new());
        out.write_record(BREAKDOWN_HEADER).map_err(fail)?;
        for (holder, rows) in &draft.breakdowns {
            for r in rows {
                out.write_record([
                    holder.as_str(),
                    &r.name,
                    &r.kind.code().to_ascii_lowercase(),
                    &r.quota.to_string(),
                ])
                .map_err(fail)?;
            }
        }
        files.push(DraftFile { name: BREAKDOWNS_FILE, content: text(out)? });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::plan_table::{self, parse_manifest};
    use crate::domain::{Section, UnitKind};

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn dates_move_on_by_the_years_between_and_a_leap_day_lands_on_the_28th() {
        assert_eq!(shift(date(2020, 2, 29), 1), Some(date(2021, 2, 28)));
        assert_eq!(shift(date(2020, 9, 1), 1), Some(date(2021, 9, 1)));
    }

    #[test]
    fn a_draft_reads_back_as_the_same_rows_figures_breakdowns_and_moved_terms() {
        let manifest = PlanManifest {
            year: Some(2020),
            title: Some("2020年咸宁市团体无偿献血计划表".into()),
            donation_target: Some(24500),
            printed_totals: [(Section::County, 1700)].into_iter().collect(),
            ..Default::default()
        };
        let rows = vec![PlanRow {
            line: 2,
            section: Section::County,
            seq: 1,
            name: "咸安, \"区\"".into(),
            quota: 1600,
            site: None,
            note: Some("含二级单位".into()),
            kind: UnitKind::Government,
        }];
        let terms = TermDates {
            spring_start: date(2020, 2, 29),
            spring_end: date(2020, 7, 10),
            autumn_start: date(2020, 9, 1),
            autumn_end: date(2021, 1, 15),
        };
        let draft = Draft {
            from: 2020,
            to: 2021,
            manifest,
            rows: rows.clone(),
            breakdowns: vec![(
                "咸安, \"区\"".into(),
                vec![SubUnitRow { name: "浮山".into(), kind: UnitKind::Government, quota: 1600 }],
            )],
            terms: vec![TermEntry { unit: None, dates: terms }],
        };
        let files = render(&draft).unwrap();
        let names: Vec<_> = files.iter().map(|f| f.name).collect();
        assert_eq!(names, [PLAN_FILE, UNITS_FILE, BREAKDOWNS_FILE]);
        let manifest = parse_manifest("plan.toml", &files[0].content).unwrap();
        assert_eq!(manifest.year, Some(2021));
        assert_eq!(manifest.title.as_deref(), Some("2021年咸宁市团体无偿献血计划表"));
        assert_eq!(manifest.printed_totals[&Section::County], 1700);
        assert_eq!(manifest.breakdowns_file.as_deref(), Some(BREAKDOWNS_FILE));
        assert_eq!(manifest.terms[0].dates.spring_start, date(2021, 2, 28));
        assert_eq!(manifest.terms[0].dates.autumn_end, date(2022, 1, 15));
        let (parsed, problems) = plan_table::parse_rows(UNITS_FILE, &files[1].content);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(parsed, rows);
        let mut table = plan_table::check_plan(UNITS_FILE, manifest, parsed, None).unwrap();
        assert_eq!(table.warnings.len(), 1, "{:?}", table.warnings);
        let (lines, problems) = plan_table::parse_breakdown_rows(BREAKDOWNS_FILE, &files[2].content, true);
        assert!(problems.is_empty(), "{problems:?}");
        plan_table::attach_breakdowns(&mut table, BREAKDOWNS_FILE, lines).unwrap();
        assert_eq!(table.breakdowns[0].holder, "咸安, \"区\"");
        assert_eq!(table.breakdowns[0].rows, draft.breakdowns[0].1);
    }
}
