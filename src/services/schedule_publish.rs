//! Publishing a schedule: the visits of a (possibly adjusted) proposal become `REQUESTED`
//! visits in one transaction, each through the booking path a single booking takes, and
//! every holder's contact gets one notice listing its visits.
//!
//! All or nothing: the first visit a rule refuses, or whose half-day another visit holds
//! (the unique index on `visit_slot` decides, as for every booking), rolls the whole
//! publish back, and the error names that visit.
use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};
use sea_orm::{ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter};
use serde_json::json;

use crate::clock::Clock;
use crate::db::entities::{unit_contact, visit};
use crate::domain::auth::{Actor, OFFICE};
use crate::domain::ids::{UnitId, VehicleId};
use crate::domain::reminders::MessageKind;
use crate::domain::visit::Session;
use crate::email::{date_weekday_zh, schedule_notice, Arrangement, OfficeContact, ScheduleNotice};
use crate::services::audit::Change;
use crate::services::outbox::{self, NewMessage};
use crate::services::visits::{self, BookingSettings, NewVisit, Overrides, VisitView};
use crate::services::ServiceError;

/// More visits than a city's year needs is a mistake, not a schedule.
pub const MAX_VISITS: usize = 5_000;

/// One visit the office accepts from a proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledVisit {
    pub unit_id: UnitId,
    pub vehicle_id: VehicleId,
    pub date: NaiveDate,
    pub session: Session,
    pub expected_donors: i32,
}

#[derive(Debug, Clone)]
pub struct Published {
    /// The created visits, in vehicle, date and session order.
    pub visits: Vec<VisitView>,
    /// Holders whose contact was sent a notice (holders without a contact get none).
    pub notified_holders: usize,
}

/// Creates `visits` of `year` as `REQUESTED` visits (office only), all or none.
pub async fn publish_schedule(
    db: &DatabaseConnection,
    clock: &Clock,
    settings: &BookingSettings,
    actor: &Actor,
    year: i32,
    mut visits: Vec<ScheduledVisit>,
) -> Result<Published, ServiceError> {
    actor.require(OFFICE)?;
    check_input(year, &visits)?;
    crate::services::check_dates(visits.iter().map(|v| v.date))?;
    // One order for every publish: vehicles are locked in ascending id order (below), and
    // the visits follow it, so two publishes never wait on each other's vehicles.
    visits.sort_by_key(|v| (v.vehicle_id, v.date, v.session, v.unit_id));
    let txn = crate::db::begin_write(db).await?;
    let names = Names::load(&txn, &visits).await?;
    let vehicle_ids: BTreeSet<VehicleId> = visits.iter().map(|v| v.vehicle_id).collect();
    for id in vehicle_ids {
        crate::services::vehicles::lock(&txn, id).await?;
    }
    let mut created = Vec::with_capacity(visits.len());
    for v in &visits {
        let new = NewVisit {
            unit_id: v.unit_id,
            vehicle_id: v.vehicle_id,
            date: v.date,
            session: v.session,
            expected_donors: v.expected_donors,
            site_contact: None,
            note: None,
            client_key: None,
            // A proposal is made per holder: its visits name no sub-unit.
            sub_unit_id: None,
        };
        let audit = ("schedule", json!(year));
        let model =
            visits::insert_visit(&txn, clock, settings, actor, new, &Overrides::default(), Some(audit))
                .await
                .map_err(|e| names.refusal(v, e))?;
        created.push(model);
    }
    let notified_holders = match &settings.office {
        Some(office) => notify_holders(&txn, clock, office, actor, year, &created, &names).await?,
        None => 0,
    };
    let views = created
        .into_iter()
        .map(|m| {
            let unit_name = names.unit(m.unit_id);
            let vehicle_name = names.vehicle(m.vehicle_id);
            visits::view_with(m, unit_name, vehicle_name)
        })
        .collect();
    txn.commit().await?;
    tracing::info!(year, visits = visits.len(), notified_holders, "published a schedule");
    Ok(Published { visits: views, notified_holders })
}

fn check_input(year: i32, visits: &[ScheduledVisit]) -> Result<(), ServiceError> {
    if visits.is_empty() {
        return Err(ServiceError::BadInput("排班中没有采血活动，无可发布".into()));
    }
    if visits.len() > MAX_VISITS {
        return Err(ServiceError::BadInput(format!(
            "一次最多发布 {MAX_VISITS} 次采血活动，本次有 {} 次",
            visits.len()
        )));
    }
    if let Some(v) = visits.iter().find(|v| v.date.year() != year) {
        return Err(ServiceError::BadInput(format!(
            "{} 不在 {year} 年内，排班只能发布同一年的采血活动",
            v.date
        )));
    }
    Ok(())
}

/// The holders' and vehicles' names, read once, for error messages and notices.
struct Names {
    units: HashMap<UnitId, String>,
    vehicles: HashMap<VehicleId, String>,
}

impl Names {
    async fn load(txn: &DatabaseTransaction, visits: &[ScheduledVisit]) -> Result<Names, ServiceError> {
        let unit_ids: BTreeSet<UnitId> = visits.iter().map(|v| v.unit_id).collect();
        let vehicle_ids: BTreeSet<VehicleId> = visits.iter().map(|v| v.vehicle_id).collect();
        let units = crate::services::units::names_of(txn, unit_ids).await?;
        let vehicles = crate::services::vehicles::names_of(txn, vehicle_ids).await?;
        Ok(Names { units, vehicles })
    }

    fn unit(&self, id: UnitId) -> String {
        self.units.get(&id).cloned().unwrap_or_default()
    }

    fn vehicle(&self, id: VehicleId) -> String {
        self.vehicles.get(&id).cloned().unwrap_or_default()
    }

    /// `采血车「1号采血车」2020年3月2日（星期一）上午（湖北科技学院）`
    fn slot(&self, v: &ScheduledVisit) -> String {
        let unit = self.units.get(&v.unit_id).cloned().unwrap_or_else(|| format!("编号 {}", v.unit_id));
        let vehicle =
            self.vehicles.get(&v.vehicle_id).cloned().unwrap_or_else(|| format!("编号 {}", v.vehicle_id));
        format!("采血车「{vehicle}」{}{}（{unit}）", date_weekday_zh(v.date), v.session.label_zh())
    }

    /// A refusal of one visit refuses the publish: the message names the visit.
    fn refusal(&self, v: &ScheduledVisit, e: ServiceError) -> ServiceError {
        let whole = "整个排班未发布，请调整后重试";
        match e {
            ServiceError::Rejected { code, message } => ServiceError::Rejected {
                code,
                message: format!("{}：{}；{whole}", self.slot(v), message.trim_end_matches('。')),
            },
            ServiceError::NotFound(message) => {
                ServiceError::NotFound(format!("{}：{}；{whole}", self.slot(v), message))
            }
            ServiceError::BadInput(message) => {
                ServiceError::BadInput(format!("{}：{}；{whole}", self.slot(v), message))
            }
            other => other,
        }
    }
}

/// One notice per holder with a contact, listing its new visits; the key names the publish
/// (its first visit of the holder), so a holder hears of each publish once.
async fn notify_holders(
    txn: &DatabaseTransaction,
    clock: &Clock,
    office: &OfficeContact,
    actor: &Actor,
    year: i32,
    created: &[visit::Model],
    names: &Names,
) -> Result<usize, ServiceError> {
    let mut by_holder: BTreeMap<UnitId, Vec<&visit::Model>> = BTreeMap::new();
    for v in created {
        by_holder.entry(v.unit_id).or_default().push(v);
    }
    let contacts: HashMap<UnitId, unit_contact::Model> = unit_contact::Entity::find()
        .filter(unit_contact::Column::UnitId.is_in(by_holder.keys().copied()))
        .all(txn)
        .await?
        .into_iter()
        .map(|c| (c.unit_id, c))
        .collect();
    let mut notified = 0;
    for (unit_id, mut list) in by_holder {
        let Some(contact) = contacts.get(&unit_id) else { continue };
        list.sort_by_key(|v| (v.date, v.session, v.id));
        let first_id = list.iter().map(|v| v.id).min().unwrap_or_default();
        let notice = ScheduleNotice {
            unit_name: names.unit(unit_id),
            liaison_name: Some(contact.name.clone()),
            year,
            visits: list
                .iter()
                .map(|v| Arrangement {
                    date: v.date,
                    session_label: v.session.label_zh().to_owned(),
                    vehicle_name: names.vehicle(v.vehicle_id),
                    expected_donors: i64::from(v.expected_donors),
                })
                .collect(),
        };
        let message = NewMessage {
            dedup_key: format!("notice:schedule:{year}:{unit_id}:{first_id}"),
            kind: MessageKind::Notice,
            recipient: contact.email.clone(),
            recipient_name: Some(contact.name.clone()),
            email: schedule_notice(&notice, office),
            visit: None,
        };
        if outbox::enqueue(txn, clock, &message).await? {
            notified += 1;
            Change::new("outbox", message.dedup_key.clone(), "enqueue", actor)
                .after(json!({ "kind": MessageKind::Notice.code(), "recipient": message.recipient, "subject": message.email.subject }))
                .record(txn, clock)
                .await?;
        }
    }
    Ok(notified)
}
