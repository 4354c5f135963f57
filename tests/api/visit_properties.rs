//! Property: whatever sequence of bookings, cancellations, moves and confirmations happens,
//! no vehicle ends up with two live visits whose sessions overlap.
use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use bloodplan::domain::auth::{Actor, Role};
use bloodplan::domain::ids::VisitId;
use bloodplan::domain::visit::{Session, VisitStatus};
use bloodplan::domain::work_calendar::WorkCalendar;
use bloodplan::services::visits::{self, BookingInput, BookingSettings, RescheduleInput, VisitFilter};
use bloodplan::services::{vehicles, Page};
use chrono::NaiveDate;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::helpers::{seeds_dir, spawn_app, TestApp};

#[derive(Debug, Clone)]
enum Op {
    Book { unit: usize, day: usize, session: usize },
    Cancel { pick: usize },
    Reschedule { pick: usize, day: usize, session: usize },
    Confirm { pick: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3usize, 0..4usize, 0..3usize).prop_map(|(unit, day, session)| Op::Book { unit, day, session }),
        2 => (0..16usize).prop_map(|pick| Op::Cancel { pick }),
        2 => (0..16usize, 0..4usize, 0..3usize).prop_map(|(pick, day, session)| Op::Reschedule { pick, day, session }),
        1 => (0..16usize).prop_map(|pick| Op::Confirm { pick }),
    ]
}

/// Four working days in March 2020: few enough that operations collide often.
fn day(i: usize) -> NaiveDate {
    [(3, 2), (3, 3), (3, 4), (3, 5)].map(|(m, d)| NaiveDate::from_ymd_opt(2020, m, d).unwrap())[i]
}

struct World {
    app: TestApp,
    office: Actor,
    settings: BookingSettings,
    units: Vec<i32>,
}

async fn world() -> World {
    let app = spawn_app().await;
    let user_id = app.create_user("office", Role::Office, None).await;
    let office =
        Actor { user_id: user_id.into(), username: "office".into(), role: Role::Office, unit_id: None };
    let text = std::fs::read_to_string(seeds_dir().join("holidays/2020.toml")).unwrap();
    let settings = BookingSettings {
        policy: Default::default(),
        calendar: Arc::new(WorkCalendar::parse(&text).unwrap()),
        behind_margin_points: 10,
        max_requested_visits: None,
        office: None,
    };
    let mut units = Vec::new();
    for name in ["湖北科技学院", "市中心医院", "咸安"] {
        units.push(app.unit_id(name).await.parse().unwrap());
    }
    World { app, office, settings, units }
}

/// Runs one sequence on a fresh vehicle and returns the live visits' half-days, and the
/// slots the database holds for that vehicle.
async fn run(w: &World, vehicle_name: String, ops: Vec<Op>) -> (Vec<(NaiveDate, String)>, usize) {
    let (db, clock) = (&w.app.db, &w.app.clock);
    let input = vehicles::VehicleInput { name: vehicle_name, capacity_per_day: Some(60), home_station: None };
    let vehicle = vehicles::create_vehicle(db, clock, &w.office, input).await.unwrap().id;
    let mut booked: Vec<i32> = Vec::new();
    for op in ops {
        let pick = |i: usize| booked.get(i % booked.len().max(1)).copied();
        // Refusals (SLOT_TAKEN, INVALID_TRANSITION, …) are part of the game; only the end state is judged.
        match op {
            Op::Book { unit, day: d, session } => {
                let input = BookingInput {
                    sub_unit_id: None,
                    unit_id: w.units[unit].into(),
                    vehicle_id: vehicle.into(),
                    date: day(d),
                    session: Session::ALL[session],
                    expected_donors: 20,
                    site_contact: None,
                    note: None,
                    client_key: None,
                    lead_time_override: None,
                    day_override: None,
                };
                if let Ok(v) = visits::book_visit(db, clock, &w.settings, &w.office, input).await {
                    booked.push(v.id);
                }
            }
            Op::Cancel { pick: i } => {
                if let Some(id) = pick(i) {
                    let _ =
                        visits::cancel_visit(db, clock, &w.settings, &w.office, VisitId(id), "测试".into())
                            .await;
                }
            }
            Op::Reschedule { pick: i, day: d, session } => {
                if let Some(id) = pick(i) {
                    let input = RescheduleInput {
                        date: day(d),
                        session: Session::ALL[session],
                        vehicle_id: None,
                        expected_donors: None,
                        lead_time_override: None,
                        day_override: None,
                    };
                    let _ =
                        visits::reschedule_visit(db, clock, &w.settings, &w.office, VisitId(id), input).await;
                }
            }
            Op::Confirm { pick: i } => {
                if let Some(id) = pick(i) {
                    let _ = visits::confirm_visit(db, clock, &w.settings, &w.office, VisitId(id)).await;
                }
            }
        }
    }
    let filter = VisitFilter { vehicle_id: Some(vehicle.into()), ..Default::default() };
    let (_, all) = visits::list_visits(db, &w.office, &filter, Page { first: 500, offset: 0 }).await.unwrap();
    let halves = all
        .iter()
        .filter(|v| v.status != VisitStatus::Cancelled)
        .flat_map(|v| v.session.halves().iter().map(move |h| (v.date, h.code().to_owned())))
        .collect();
    let slots = w.app.count(&format!("visit_slot WHERE vehicle_id = {vehicle}")).await as usize;
    (halves, slots)
}

#[test]
fn no_sequence_of_changes_leaves_a_vehicle_double_booked() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let w = runtime.block_on(world());
    let vehicles = AtomicU32::new(0);
    let mut runner = TestRunner::new(Config { cases: 24, failure_persistence: None, ..Config::default() });
    let result = runner.run(&proptest::collection::vec(op(), 1..30), |ops| {
        let name = format!("鄂L性质{}", vehicles.fetch_add(1, Ordering::SeqCst));
        let (halves, slots) = runtime.block_on(run(&w, name, ops));
        let distinct: HashSet<_> = halves.iter().collect();
        prop_assert_eq!(distinct.len(), halves.len(), "two live visits share a half-day: {:?}", halves);
        prop_assert_eq!(slots, halves.len(), "the slot rows match the live visits");
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Property: every session `availability` offers a liaison on a day, that liaison can book
/// on that day — whatever the day (holidays, make-up days, year ends, the lead time), with
/// a blackout and a taken half-day in the window.
#[test]
fn every_session_availability_offers_can_be_booked_by_the_same_caller() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let w = runtime.block_on(world());
    let hbust = w.units[0];
    let liaison = runtime.block_on(async {
        let user_id = w.app.create_user("hbust", Role::Liaison, Some("湖北科技学院")).await;
        Actor {
            user_id: user_id.into(),
            username: "hbust".into(),
            role: Role::Liaison,
            unit_id: Some(hbust.into()),
        }
    });
    let vehicles = AtomicU32::new(0);
    let mut runner = TestRunner::new(Config { cases: 12, failure_persistence: None, ..Config::default() });
    let strategy = (0..366u64, 0..12u64, 0..12u64, 0..12u64);
    let result = runner.run(&strategy, |(day, window, blackout, taken)| {
        let name = format!("鄂L可订{}", vehicles.fetch_add(1, Ordering::SeqCst));
        let offered = runtime.block_on(async {
            let (db, clock) = (&w.app.db, &w.app.clock);
            let today = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new(day);
            let (from, to) = (today - chrono::Days::new(2), today + chrono::Days::new(window));
            let noon = today.and_hms_opt(1, 0, 0).unwrap().and_utc();
            clock.set(noon);
            let input = vehicles::VehicleInput { name, capacity_per_day: Some(60), home_station: None };
            let vehicle = vehicles::create_vehicle(db, clock, &w.office, input).await.unwrap().id;
            let off = from + chrono::Days::new(blackout);
            let blackout = vehicles::BlackoutInput { from: off, to: off, reason: "年检".into() };
            let _ = vehicles::add_blackout(db, clock, &w.office, vehicle.into(), blackout).await;
            let office_booking = BookingInput {
                sub_unit_id: None,
                unit_id: w.units[1].into(),
                vehicle_id: vehicle.into(),
                date: from + chrono::Days::new(taken),
                session: Session::Morning,
                expected_donors: 10,
                site_contact: None,
                note: None,
                client_key: None,
                lead_time_override: Some("测试".into()),
                day_override: None,
            };
            let _ = visits::book_visit(db, clock, &w.settings, &w.office, office_booking).await;
            let free = visits::availability(
                db,
                &w.settings,
                today,
                from,
                to,
                Some(vehicle.into()),
                Some(hbust.into()),
            )
            .await
            .unwrap();
            let mut refused = Vec::new();
            for f in &free {
                let input = BookingInput {
                    sub_unit_id: None,
                    unit_id: hbust.into(),
                    vehicle_id: vehicle.into(),
                    date: f.date,
                    session: f.session,
                    expected_donors: 10,
                    site_contact: None,
                    note: None,
                    client_key: None,
                    lead_time_override: None,
                    day_override: None,
                };
                match visits::book_visit(db, clock, &w.settings, &liaison, input).await {
                    Ok(v) => {
                        visits::cancel_visit(db, clock, &w.settings, &w.office, VisitId(v.id), "测试".into())
                            .await
                            .unwrap();
                    }
                    Err(e) => refused.push(format!("{} {:?}: {e:?}", f.date, f.session)),
                }
            }
            refused
        });
        prop_assert!(offered.is_empty(), "offered but refused: {:?}", offered);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
