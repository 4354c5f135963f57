use sea_orm::entity::prelude::*;

use crate::domain::collection::CollectionSite;

/// One version of a collection record, kept forever; the highest number is current.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "collection_revision")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub collection_id: i32,
    pub revision: i32,
    pub site: CollectionSite,
    pub date: Date,
    pub bags200: i32,
    pub bags300: i32,
    pub bags400: i32,
    pub deferred: i32,
    pub type_a: Option<i32>,
    pub type_b: Option<i32>,
    pub type_o: Option<i32>,
    pub type_ab: Option<i32>,
    pub rh_negative: Option<i32>,
    pub note: Option<String>,
    /// Why a correction was made; none for the first revision.
    pub reason: Option<String>,
    pub recorded_by: Option<i32>,
    pub recorded_at: DateTimeUtc,
}

relations!();
