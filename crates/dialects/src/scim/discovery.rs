//! Discovery (RFC 7644 §4): `/ServiceProviderConfig`, `/ResourceTypes` and `/Schemas`, describing exactly what
//! this server supports. They hold no data, so they answer without credentials, as the RFC allows.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

use super::error::{ErrorBody, ScimError};
use super::resource::ListResponse;
use super::{public_base, schema, CONTENT_TYPE};
use crate::common::routes::routes;
use crate::AppState;

routes! {
    get "/ServiceProviderConfig" => service_provider_config,
    get "/ResourceTypes" => resource_types,
    get "/ResourceTypes/{id}" => resource_type,
    get "/Schemas" => schemas,
    get "/Schemas/{id}" => schema_definition,
}

/// The operations of this module, for the API document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(service_provider_config, resource_types, resource_type, schemas, schema_definition))]
pub(crate) struct ApiPaths;

fn document(body: &Value) -> HttpResponse {
    HttpResponse::Ok().content_type(CONTENT_TYPE).json(body)
}

/// The one of `all` whose `id` is `id`.
fn by_id(all: Vec<Value>, id: &str, what: &str) -> Result<HttpResponse, ScimError> {
    all.into_iter()
        .find(|d| d["id"].as_str().is_some_and(|d| d.eq_ignore_ascii_case(id)))
        .map(|d| document(&d))
        .ok_or_else(|| ScimError::not_found(what))
}

/// What the server supports: PATCH, filters (up to 1000 results), sorting, ETags and password changes; no bulk
/// operations.
#[utoipa::path(
    get,
    path = "/scim/v2/ServiceProviderConfig",
    tag = "discovery",
    responses(
        (status = 200, description = "The service provider configuration (RFC 7643 §5).", body = Object,
            content_type = "application/scim+json"),
    )
)]
pub(super) async fn service_provider_config(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    document(&schema::service_provider_config(&public_base(&state, &req)))
}

/// The resource types served.
#[utoipa::path(
    get,
    path = "/scim/v2/ResourceTypes",
    tag = "discovery",
    responses(
        (status = 200, description = "Every resource type (RFC 7643 §6), as a list.", body = ListResponse<Object>,
            content_type = "application/scim+json"),
    )
)]
pub(super) async fn resource_types(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let all = schema::resource_types(&public_base(&state, &req));
    let total = i64::try_from(all.len()).unwrap_or_default();
    ListResponse::new(all, 1, total).response()
}

/// One resource type.
#[utoipa::path(
    get,
    path = "/scim/v2/ResourceTypes/{id}",
    tag = "discovery",
    params(("id" = String, Path, description = "The resource type's name, such as `User`.")),
    responses(
        (status = 200, description = "The resource type.", body = Object, content_type = "application/scim+json"),
        (status = 404, description = "No such resource type.", body = ErrorBody, content_type = "application/scim+json"),
    )
)]
pub(super) async fn resource_type(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    by_id(schema::resource_types(&public_base(&state, &req)), &id, "ResourceType")
}

/// The schemas served, with exactly the attributes this server keeps.
#[utoipa::path(
    get,
    path = "/scim/v2/Schemas",
    tag = "discovery",
    responses(
        (status = 200, description = "Every schema (RFC 7643 §7), as a list.", body = ListResponse<Object>,
            content_type = "application/scim+json"),
    )
)]
pub(super) async fn schemas(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let all = schema::definitions(&public_base(&state, &req));
    let total = i64::try_from(all.len()).unwrap_or_default();
    ListResponse::new(all, 1, total).response()
}

/// One schema, by its URN.
#[utoipa::path(
    get,
    path = "/scim/v2/Schemas/{id}",
    tag = "discovery",
    params(("id" = String, Path, description = "The schema's URN.")),
    responses(
        (status = 200, description = "The schema.", body = Object, content_type = "application/scim+json"),
        (status = 404, description = "No such schema.", body = ErrorBody, content_type = "application/scim+json"),
    )
)]
pub(super) async fn schema_definition(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    by_id(schema::definitions(&public_base(&state, &req)), &id, "Schema")
}
