//! Collections: recording what was collected, correcting it, reading it and its history.
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::auth;
use super::guards::{role, ANY_ROLE, STAFF};
use super::page::{requested_page, PageOf};
use super::plan::parse_id;
use super::scalars::Date;
use super::types::CollectionSiteGql;
use crate::domain::collection::{BloodTypes, CollectionSite, Counts};
use crate::error::{ApiError, ApiResult};
use crate::services::collections::{
    self, CollectionFilter, CollectionInput, CollectionView, RevisionView, Source,
};

#[derive(InputObject)]
pub struct BloodTypeCountsInput {
    a: i32,
    b: i32,
    o: i32,
    ab: i32,
    rh_negative: i32,
}

/// What was collected. A vehicle visit's record names `visitId`; donors of a holder who
/// gave at a fixed site (the central station or a donation house) name `unitId` and `site`.
#[derive(InputObject)]
pub struct RecordCollectionInput {
    visit_id: Option<ID>,
    unit_id: Option<ID>,
    /// Default AT_UNIT with a visit; CENTRAL_STATION or DONATION_HOUSE without.
    site: Option<CollectionSiteGql>,
    date: Date,
    /// Donations of 200 mL (one bag is one donation, 人次).
    #[graphql(default)]
    bags200: i32,
    #[graphql(default)]
    bags300: i32,
    /// 400 mL is the legal maximum of one donation: no larger bag exists here.
    #[graphql(default)]
    bags400: i32,
    /// Donors deferred at screening.
    #[graphql(default)]
    deferred: i32,
    blood_types: Option<BloodTypeCountsInput>,
    note: Option<String>,
    /// A sub-unit (二级单位) of the holder whose donors these were. Omitted: the visit's,
    /// or, in a correction, what the record named before.
    sub_unit_id: Option<ID>,
}

impl RecordCollectionInput {
    fn into_service(self) -> ApiResult<CollectionInput> {
        let site = self.site.map(CollectionSite::from);
        let source = match (self.visit_id.as_ref(), self.unit_id.as_ref()) {
            (Some(visit), None) if site.is_none_or(|s| s == CollectionSite::AtUnit) => {
                Source::Visit(parse_id(visit)?)
            }
            (None, Some(unit)) => match site {
                Some(site) if site != CollectionSite::AtUnit => {
                    Source::FixedSite { unit_id: parse_id(unit)?, site }
                }
                _ => {
                    return Err(ApiError::bad_input(
                        "没有采血活动的记录须注明采血地点：CENTRAL_STATION 或 DONATION_HOUSE",
                    )
                    .into())
                }
            },
            _ => {
                return Err(ApiError::bad_input(
                    "请指定采血活动 (visitId)，或指定单位 (unitId) 和固定采血地点 (site)，二者选一",
                )
                .into())
            }
        };
        Ok(CollectionInput {
            sub_unit_id: self.sub_unit_id.as_ref().map(parse_id).transpose()?,
            source,
            date: self.date.into(),
            counts: Counts {
                bags200: self.bags200,
                bags300: self.bags300,
                bags400: self.bags400,
                deferred: self.deferred,
                blood_types: self.blood_types.map(|t| BloodTypes {
                    a: t.a,
                    b: t.b,
                    o: t.o,
                    ab: t.ab,
                    rh_negative: t.rh_negative,
                }),
            },
            note: self.note,
        })
    }
}

#[derive(Default)]
pub struct CollectionQuery;

#[Object]
impl CollectionQuery {
    /// One collection record with its revisions: staff any, a liaison their own holder's.
    #[graphql(guard = "role(ANY_ROLE)")]
    async fn collection(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Collection> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        Ok(Collection(collections::collection_by_id(&state.db, actor, parse_id(&id)?).await?))
    }

    /// Collection records in date order; a liaison sees only their own holder's.
    #[graphql(guard = "role(ANY_ROLE)", complexity = "crate::graphql::list_cost(first, child_complexity)")]
    async fn collections(
        &self,
        ctx: &Context<'_>,
        year: Option<i32>,
        unit_id: Option<ID>,
        visit_id: Option<ID>,
        first: Option<i64>,
        offset: Option<i64>,
    ) -> ApiResult<PageOf<Collection>> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let page = requested_page(first, offset)?;
        let filter = CollectionFilter {
            year,
            unit_id: unit_id.as_ref().map(parse_id).transpose()?,
            visit_id: visit_id.as_ref().map(parse_id).transpose()?,
        };
        Ok(PageOf::listed(page, collections::list_collections(&state.db, actor, &filter, page).await?))
    }
}

#[derive(Default)]
pub struct CollectionMutation;

#[Object]
impl CollectionMutation {
    /// Records what a visit (or a fixed site) collected; a visit becomes COMPLETED (station,
    /// office).
    #[graphql(guard = "role(STAFF)")]
    async fn record_collection(
        &self,
        ctx: &Context<'_>,
        input: RecordCollectionInput,
    ) -> ApiResult<Collection> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let input = input.into_service()?;
        Ok(Collection(
            collections::record_collection(&state.db, &state.clock, &state.collections, actor, input).await?,
        ))
    }

    /// Replaces a record's figures with a new revision, giving the reason; only the latest
    /// revision counts, earlier ones stay readable (station, office). `expectedRevision` is
    /// the revision being corrected: if the record changed since, the answer is
    /// `COLLECTION_CHANGED` and nothing is written.
    #[graphql(guard = "role(STAFF)")]
    async fn correct_collection(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_revision: i32,
        reason: String,
        input: RecordCollectionInput,
    ) -> ApiResult<Collection> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        let input = input.into_service()?;
        let id = parse_id(&id)?;
        Ok(Collection(
            collections::correct_collection(
                &state.db,
                &state.clock,
                &state.collections,
                actor,
                id,
                expected_revision,
                reason,
                input,
            )
            .await?,
        ))
    }

    /// Voids a record entered by mistake (e.g. against the wrong visit), giving the reason:
    /// it stays readable but counts nowhere, and its visit is CONFIRMED again, ready for its
    /// right record (station, office).
    #[graphql(guard = "role(STAFF)")]
    async fn void_collection(&self, ctx: &Context<'_>, id: ID, reason: String) -> ApiResult<Collection> {
        let (actor, state) = auth::signed_in_with_state(ctx)?;
        Ok(Collection(
            collections::void_collection(&state.db, &state.clock, actor, parse_id(&id)?, reason).await?,
        ))
    }
}

#[derive(SimpleObject)]
pub struct BloodTypeCounts {
    a: i32,
    b: i32,
    o: i32,
    ab: i32,
    rh_negative: i32,
}

/// What a record (or one of its revisions) counted, flattened into both types.
#[derive(SimpleObject)]
#[graphql(name = "CollectionCounts")]
pub struct CountsGql {
    bags200: i32,
    bags300: i32,
    bags400: i32,
    /// 人次: one per bag.
    donations: i64,
    volume_ml: i64,
    deferred: i32,
    blood_types: Option<BloodTypeCounts>,
}

impl From<&Counts> for CountsGql {
    fn from(c: &Counts) -> Self {
        CountsGql {
            bags200: c.bags200,
            bags300: c.bags300,
            bags400: c.bags400,
            donations: c.donations(),
            volume_ml: c.volume_ml(),
            deferred: c.deferred,
            blood_types: c.blood_types.map(|t| BloodTypeCounts {
                a: t.a,
                b: t.b,
                o: t.o,
                ab: t.ab,
                rh_negative: t.rh_negative,
            }),
        }
    }
}

/// The figures a record and each of its revisions share.
#[derive(SimpleObject)]
pub struct CollectionRevision {
    revision: i32,
    site: CollectionSiteGql,
    date: Date,
    #[graphql(flatten)]
    counts: CountsGql,
    note: Option<String>,
    /// Why this revision replaced the one before; none for the first.
    reason: Option<String>,
    recorded_at: DateTime<Utc>,
}

impl From<RevisionView> for CollectionRevision {
    fn from(r: RevisionView) -> Self {
        CollectionRevision {
            revision: r.revision,
            site: r.site.into(),
            date: r.date.into(),
            counts: CountsGql::from(&r.counts),
            note: r.note,
            reason: r.reason,
            recorded_at: r.recorded_at,
        }
    }
}

/// A collection record (采血记录) with the figures of its latest revision.
pub struct Collection(CollectionView);

impl From<CollectionView> for Collection {
    fn from(view: CollectionView) -> Collection {
        Collection(view)
    }
}

#[Object]
impl Collection {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn unit_id(&self) -> ID {
        ID(self.0.unit_id.to_string())
    }
    async fn unit_name(&self) -> &str {
        &self.0.unit_name
    }
    /// The holder's sub-unit whose donors these were, if it names one.
    async fn sub_unit_id(&self) -> Option<ID> {
        self.0.sub_unit_id.map(|s| ID(s.to_string()))
    }
    async fn sub_unit_name(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        let Some(id) = self.0.sub_unit_id else { return Ok(None) };
        super::loaders::sub_unit_name(ctx, id).await
    }
    async fn visit_id(&self) -> Option<ID> {
        self.0.visit_id.map(|v| ID(v.to_string()))
    }
    async fn site(&self) -> CollectionSiteGql {
        self.0.site.into()
    }
    async fn date(&self) -> Date {
        self.0.date.into()
    }
    #[graphql(flatten)]
    async fn counts(&self) -> CountsGql {
        CountsGql::from(&self.0.counts)
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// The latest revision's number (1 = never corrected).
    async fn revision(&self) -> i32 {
        self.0.revision
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// When the record was voided (`voidCollection`); a voided record counts nowhere.
    async fn voided_at(&self) -> Option<DateTime<Utc>> {
        self.0.voided_at
    }
    async fn void_reason(&self) -> Option<&str> {
        self.0.void_reason.as_deref()
    }
    /// Every revision, oldest first.
    async fn revisions(&self, ctx: &Context<'_>) -> ApiResult<Vec<CollectionRevision>> {
        Ok(super::loaders::revisions(ctx, self.0.id).await?.into_iter().map(Into::into).collect())
    }
}
