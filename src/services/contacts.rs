//! Quota holders' liaison contacts: editable by the office and the holder's own liaisons.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Set,
};
use serde_json::json;

use super::audit::Change;
use super::{Page, ServiceError};
use crate::clock::Clock;
use crate::db::entities::{unit, unit_contact};
use crate::domain::auth::Actor;
use crate::domain::contact::Contact;
use crate::domain::ids::UnitId;

#[derive(Debug, Clone)]
pub struct ContactView {
    pub unit_id: UnitId,
    pub unit_name: String,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub updated_at: DateTime<Utc>,
}

/// The mailer sends to it: the same parser decides at send time.
fn is_address(email: &str) -> bool {
    crate::email::parse_address(email).is_ok()
}

fn view(c: unit_contact::Model, unit_name: String) -> ContactView {
    ContactView {
        unit_id: c.unit_id,
        unit_name,
        name: c.name,
        phone: c.phone,
        email: c.email,
        updated_at: c.updated_at,
    }
}

pub async fn contact_of(
    db: &DatabaseConnection,
    actor: &Actor,
    unit_id: UnitId,
) -> Result<Option<ContactView>, ServiceError> {
    actor.may_read_holder(unit_id)?;
    let found = unit_contact::Entity::find()
        .filter(unit_contact::Column::UnitId.eq(unit_id))
        .find_also_related(unit::Entity)
        .one(db)
        .await?;
    Ok(found.map(|(c, u)| view(c, u.map(|u| u.name).unwrap_or_default())))
}

/// The contacts of the holders `unit_ids`, in one query however many; a holder without a
/// contact is left out. Refused unless the caller may read every one of them: a list that
/// mixes holders checks each row with [`Actor::may_read_holder`] before it asks.
pub async fn contacts_of(
    db: &DatabaseConnection,
    actor: &Actor,
    unit_ids: &[UnitId],
) -> Result<HashMap<UnitId, ContactView>, ServiceError> {
    for unit_id in unit_ids {
        actor.may_read_holder(*unit_id)?;
    }
    let found = unit_contact::Entity::find()
        .filter(unit_contact::Column::UnitId.is_in(unit_ids.iter().copied()))
        .find_also_related(unit::Entity)
        .all(db)
        .await?;
    Ok(found.into_iter().map(|(c, u)| (c.unit_id, view(c, u.map(|u| u.name).unwrap_or_default()))).collect())
}

/// Every contact the caller may see, by holder id.
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    page: Page,
) -> Result<(u64, Vec<ContactView>), ServiceError> {
    let query = unit_contact::Entity::find()
        .apply_if(actor.holder_scope()?, |q, own| q.filter(unit_contact::Column::UnitId.eq(own)));
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_asc(unit_contact::Column::UnitId)
        .offset(page.offset)
        .limit(page.first)
        .find_also_related(unit::Entity)
        .all(db)
        .await?;
    Ok((total, rows.into_iter().map(|(c, u)| view(c, u.map(|u| u.name).unwrap_or_default())).collect()))
}

pub struct ContactInput {
    pub name: String,
    pub phone: String,
    pub email: String,
}

pub async fn update_unit_contact(
    db: &DatabaseConnection,
    clock: &Clock,
    actor: &Actor,
    unit_id: UnitId,
    input: ContactInput,
) -> Result<ContactView, ServiceError> {
    // Checked before anything is looked up, so a liaison learns nothing about other ids.
    actor.may_manage_holder(unit_id)?;
    let contact =
        Contact::parse(&input.name, &input.phone, &input.email, is_address).map_err(|problems| {
            ServiceError::BadInput(problems.into_iter().map(|(_, m)| m).collect::<Vec<_>>().join("; "))
        })?;
    let txn = crate::db::begin_write(db).await?;
    let holder = super::find_or_not_found(&txn, unit::Entity, unit_id, super::noun::UNIT).await?;
    let before =
        unit_contact::Entity::find().filter(unit_contact::Column::UnitId.eq(unit_id)).one(&txn).await?;
    let now = clock.now();
    super::upsert(
        &txn,
        unit_contact::ActiveModel {
            unit_id: Set(unit_id),
            name: Set(contact.name.clone()),
            phone: Set(contact.phone.clone()),
            email: Set(contact.email.clone()),
            updated_at: Set(now),
            ..Default::default()
        },
        [unit_contact::Column::UnitId],
        [
            unit_contact::Column::Name,
            unit_contact::Column::Phone,
            unit_contact::Column::Email,
            unit_contact::Column::UpdatedAt,
        ],
    )
    .await?;
    let as_json =
        |name: &str, phone: &str, email: &str| json!({ "name": name, "phone": phone, "email": email });
    Change::new("unit_contact", unit_id, if before.is_some() { "update" } else { "create" }, actor)
        .before(before.as_ref().map(|b| as_json(&b.name, &b.phone, &b.email)))
        .after(as_json(&contact.name, &contact.phone, &contact.email))
        .record(&txn, clock)
        .await?;
    txn.commit().await?;
    Ok(ContactView {
        unit_id,
        unit_name: holder.name,
        name: contact.name,
        phone: contact.phone,
        email: contact.email,
        updated_at: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contact_email_is_one_the_mailer_can_send_to() {
        for ok in ["liaison@hbust.edu.cn", "x.y+z@qq.com"] {
            assert!(Contact::parse("张老师", "13907151234", ok, is_address).is_ok(), "{ok}");
        }
        for bad in ["nobody", "a@b", "@qq.com", "a..b@qq.com", "a@-qq.com", "a b@qq.com", "a@qq..com"] {
            assert!(Contact::parse("张老师", "13907151234", bad, is_address).is_err(), "{bad}");
        }
    }
}
