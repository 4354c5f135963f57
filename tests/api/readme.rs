//! What the README says about the code is true of the code.
use bloodplan::domain::auth::LockoutPolicy;
use bloodplan::domain::ics::session_times;
use bloodplan::domain::visit::Session;
use bloodplan::domain::{Section, UnitKind};
use chrono::NaiveDate;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

#[test]
fn the_readme_lists_every_kind_and_section_with_its_chinese_label() {
    let text = readme();
    for k in UnitKind::ALL {
        let entry = format!("`{}` {}", k.code(), k.label_zh());
        assert!(text.contains(&entry), "README lacks {entry}");
    }
    for s in Section::ALL {
        let entry = format!("`{}` ({}", s.code(), s.label_zh());
        assert!(text.contains(&entry), "README lacks {entry}");
    }
}

#[test]
fn the_readme_states_the_throttling_the_session_hours_and_no_promises_already_kept() {
    let text = readme();
    let free = LockoutPolicy::default().free_failures;
    let claim = format!("the first {free} failures cost\n  nothing; from the {}th on", free + 1);
    assert!(text.contains(&claim), "README lacks: {claim}");
    let day = NaiveDate::from_ymd_opt(2020, 3, 2).unwrap();
    for session in Session::ALL {
        let (from, to) = session_times(day, session);
        let hours = format!(
            "`{}` ({}, {}–{})",
            session.code(),
            session.label_zh(),
            from.format("%H:%M"),
            to.format("%H:%M")
        );
        assert!(text.contains(&hours), "README lacks {hours}");
    }
    for stale in ["(and later, bookings)", "will replace the estimate", "for now, quota"] {
        assert!(!text.contains(stale), "README still says {stale:?}");
    }
}
