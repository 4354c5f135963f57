//! Notices to a holder's contact when the office confirms, moves or cancels one of its
//! visits, queued in the outbox in the transaction that made the change.
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use serde_json::json;

use crate::clock::Clock;
use crate::db::entities::{unit, unit_contact, vehicle, visit};
use crate::domain::auth::Actor;
use crate::domain::reminders::MessageKind;
use crate::domain::visit::VisitStatus;
use crate::email::{visit_notice, Arrangement, OfficeContact, VisitChange, VisitNotice};
use crate::services::audit::Change;
use crate::services::outbox::{self, NewMessage};
use crate::services::ServiceError;

/// What happened to the visit, with what the notice needs to say it.
pub enum Notice<'a> {
    Confirmed,
    Moved { before: &'a visit::Model },
    Cancelled,
}

async fn arrangement(txn: &DatabaseTransaction, v: &visit::Model) -> Result<Arrangement, ServiceError> {
    let vehicle_name =
        vehicle::Entity::find_by_id(v.vehicle_id).one(txn).await?.map(|x| x.name).unwrap_or_default();
    Ok(Arrangement {
        date: v.date,
        session_label: v.session.label_zh().to_owned(),
        vehicle_name,
        expected_donors: i64::from(v.expected_donors),
    })
}

/// Queues the notice of `notice` on `after` (the visit as the change left it) for the
/// holder's contact; a holder without a contact gets none. Runs in the change's transaction.
pub async fn visit_changed(
    txn: &DatabaseTransaction,
    clock: &Clock,
    office: &OfficeContact,
    actor: &Actor,
    notice: Notice<'_>,
    after: &visit::Model,
) -> Result<(), ServiceError> {
    let contact =
        unit_contact::Entity::find().filter(unit_contact::Column::UnitId.eq(after.unit_id)).one(txn).await?;
    let Some(contact) = contact else { return Ok(()) };
    let unit_name =
        unit::Entity::find_by_id(after.unit_id).one(txn).await?.map(|u| u.name).unwrap_or_default();
    // One notice per change: the visit's `updated_at` names the change.
    let stamp = after.updated_at.timestamp_micros();
    let (change, key) = match notice {
        Notice::Confirmed => (VisitChange::Confirmed, format!("notice:confirm:{}:{stamp}", after.id)),
        Notice::Moved { before } => (
            VisitChange::Moved { from: arrangement(txn, before).await? },
            format!("notice:move:{}:{stamp}", after.id),
        ),
        Notice::Cancelled => (
            VisitChange::Cancelled { reason: after.cancel_reason.clone().unwrap_or_default() },
            format!("notice:cancel:{}", after.id),
        ),
    };
    let email = visit_notice(
        &VisitNotice {
            unit_name,
            liaison_name: Some(contact.name.clone()),
            visit: arrangement(txn, after).await?,
            change,
        },
        office,
    );
    let message = NewMessage {
        dedup_key: key,
        kind: MessageKind::Notice,
        recipient: contact.email.clone(),
        recipient_name: Some(contact.name.clone()),
        email,
        // A notice of a confirmed arrangement names it: the worker drops it if the visit is
        // cancelled or moved before it goes out (the move or cancel has its own notice).
        visit: (after.status == VisitStatus::Confirmed).then_some((after.id, after.date, after.session)),
    };
    if outbox::enqueue(txn, clock, &message).await? {
        Change::new("outbox", message.dedup_key.clone(), "enqueue", actor)
            .after(json!({ "kind": MessageKind::Notice.code(), "recipient": message.recipient, "subject": message.email.subject }))
            .record(txn, clock)
            .await?;
    }
    Ok(())
}
