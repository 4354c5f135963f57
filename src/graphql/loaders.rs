//! DataLoaders: the lookups a list makes for each of its rows (each visit's vehicle, each
//! user's holder) gathered into one query per list. Built per request (`Loaders::new`, in
//! `http::graphql`), so nothing is cached from one request to the next.
use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use async_graphql::Context;
use sea_orm::DatabaseConnection;

use super::plan::Unit;
use super::vehicles::Vehicle;
use crate::db::entities::vehicle;
use crate::error::{ApiError, ApiResult};
use crate::services::plans::{self, UnitView};
use crate::services::{noun, vehicles, ServiceError};

pub struct VehicleLoader(DatabaseConnection);

impl Loader<i32> for VehicleLoader {
    type Value = vehicle::Model;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[i32]) -> Result<HashMap<i32, vehicle::Model>, Self::Error> {
        Ok(vehicles::find_many(&self.0, ids).await?)
    }
}

pub struct UnitLoader(DatabaseConnection);

impl Loader<i32> for UnitLoader {
    type Value = UnitView;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[i32]) -> Result<HashMap<i32, UnitView>, Self::Error> {
        Ok(plans::units_by_ids(&self.0, ids).await?)
    }
}

/// The loaders of one request, shared by every operation of a batch.
#[derive(Clone)]
pub struct Loaders {
    vehicles: Arc<DataLoader<VehicleLoader, HashMapCache>>,
    units: Arc<DataLoader<UnitLoader, HashMapCache>>,
}

impl Loaders {
    pub fn new(db: &DatabaseConnection) -> Loaders {
        Loaders {
            vehicles: Arc::new(DataLoader::with_cache(
                VehicleLoader(db.clone()),
                tokio::spawn,
                HashMapCache::default(),
            )),
            units: Arc::new(DataLoader::with_cache(
                UnitLoader(db.clone()),
                tokio::spawn,
                HashMapCache::default(),
            )),
        }
    }
}

fn loaders<'a>(ctx: &Context<'a>) -> ApiResult<&'a Loaders> {
    ctx.data::<Loaders>().map_err(|_| ApiError::internal(&"a request without its data loaders").into())
}

/// The vehicle `id`, loaded with every other vehicle the request's rows ask for.
pub async fn vehicle(ctx: &Context<'_>, id: i32) -> ApiResult<Vehicle> {
    let found = loaders(ctx)?.vehicles.load_one(id).await?;
    Ok(Vehicle(found.ok_or_else(|| ServiceError::not_found(noun::VEHICLE, id))?))
}

/// The holder `id`, loaded with every other holder the request's rows ask for.
pub async fn unit(ctx: &Context<'_>, id: i32) -> ApiResult<Unit> {
    let found = loaders(ctx)?.units.load_one(id).await?;
    Ok(Unit::from(found.ok_or_else(|| ServiceError::not_found(noun::UNIT, id))?))
}
