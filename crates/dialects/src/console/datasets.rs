//! `/datasets…` (workspace-scoped, Dify-compatible) and `/enterprise-groups/{group_id}/datasets`.

use actix_web::{web, HttpRequest, HttpResponse};
use domain::model::{Dataset, DatasetPermission, DatasetView, WireEnum};
use domain::usecases::DatasetInput;
use domain::values::search_term;
use domain::DomainError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use super::dto::{double_option, Paginated};
use super::error::{BadRequestBody, ConsoleError, ErrorBody, SessionFailures};
use super::extract::{one_of, path_id, value_id, Authenticated, ConsoleJson, ConsoleQuery, QueryParams};
use crate::common::routes::routes;
use crate::AppState;

routes! {
    post "/datasets" => create,
    get "/datasets" => list,
    get "/datasets/{id}" => get,
    patch "/datasets/{id}" => update,
    delete "/datasets/{id}" => delete,
    get "/enterprise-groups/{group_id}/datasets" => group_datasets,
}

/// The operations of this module, for the API document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(create, list, get, update, delete, group_datasets))]
pub(crate) struct ApiPaths;

/// `{name}` objects of the zgi-next listing.
#[derive(Serialize, ToSchema)]
#[schema(as = DatasetNameOnly)]
pub struct NameOnly {
    name: String,
}

/// Dify's `dataset_detail_fields` with zgi-next's additions.
#[derive(Serialize, ToSchema)]
pub struct DatasetDetail {
    id: String,
    name: String,
    description: Option<String>,
    provider: String,
    /// `only_me`, `all_team_members`, `partial_members` or `all_group`.
    permission: &'static str,
    data_source_type: Option<String>,
    /// `high_quality`, `economy` or `null`.
    indexing_technique: Option<String>,
    /// Always 0.
    app_count: i64,
    /// Always 0.
    document_count: i64,
    /// Always 0.
    word_count: i64,
    /// The creator's account id.
    created_by: String,
    /// Unix seconds.
    created_at: i64,
    /// The last editor's account id.
    updated_by: Option<String>,
    /// Unix seconds.
    updated_at: i64,
    embedding_model: String,
    embedding_model_provider: String,
    /// Always `null`.
    embedding_available: Option<bool>,
    /// The stored retrieval settings, or Dify's defaults (`semantic_search`, `top_k` 2, …).
    retrieval_model_dict: Value,
    /// Always empty.
    tags: Vec<Value>,
    doc_form: Option<String>,
    /// Always the four `external_knowledge_*` keys with `null` values.
    #[schema(value_type = Object)]
    external_knowledge_info: Value,
    /// Always `{top_k: 2, score_threshold: 0.0, score_threshold_enabled: false}`.
    #[schema(value_type = Object)]
    external_retrieval_model: Value,
    icon: Option<String>,
    icon_background: Option<String>,
    /// Always `null`.
    owner: Option<String>,
    /// Listings only (`null` when the creator is gone).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<NameOnly>)]
    owner_account: Option<Option<NameOnly>>,
    /// Listings only.
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant: Option<NameOnly>,
    /// The workspace's own views only (not the group listing, which other workspaces' members read).
    #[serde(skip_serializing_if = "Option::is_none")]
    partial_member_list: Option<Vec<String>>,
}

fn default_retrieval_model() -> Value {
    json!({
        "search_method": "semantic_search",
        "reranking_enable": false,
        "reranking_mode": null,
        "reranking_model": {"reranking_provider_name": "", "reranking_model_name": ""},
        "weights": null,
        "top_k": 2,
        "score_threshold_enabled": false,
        "score_threshold": 0.5,
    })
}

/// What a rendering shows besides the dataset's own fields.
enum Extras {
    /// `GET`/`POST`/`PATCH /datasets…`: the partial-member list.
    Workspace,
    /// `GET /datasets` listing: the partial-member list, the creator and the workspace.
    WorkspaceListing { tenant_name: String, creator_name: Option<String> },
    /// The group listing: the creator and the workspace.
    GroupListing { tenant_name: String, creator_name: Option<String> },
}

fn detail(d: &Dataset, extras: Extras) -> DatasetDetail {
    let (listing, partial) = match extras {
        Extras::Workspace => (None, true),
        Extras::WorkspaceListing { tenant_name, creator_name } => (Some((tenant_name, creator_name)), true),
        Extras::GroupListing { tenant_name, creator_name } => (Some((tenant_name, creator_name)), false),
    };
    let (tenant_name, creator_name) = match listing {
        Some((t, c)) => (Some(t), Some(c)),
        None => (None, None),
    };
    DatasetDetail {
        id: d.id.to_string(),
        name: d.name.clone(),
        description: d.description.clone(),
        provider: d.provider.clone(),
        permission: d.permission.as_str(),
        data_source_type: d.data_source_type.clone(),
        indexing_technique: d.indexing_technique.clone(),
        app_count: 0,
        document_count: 0,
        word_count: 0,
        created_by: d.created_by.to_string(),
        created_at: d.created_at.unix_timestamp(),
        updated_by: d.updated_by.map(|u| u.to_string()),
        updated_at: d.updated_at.unix_timestamp(),
        embedding_model: d.embedding_model.clone().unwrap_or_default(),
        embedding_model_provider: d.embedding_model_provider.clone().unwrap_or_default(),
        embedding_available: None,
        retrieval_model_dict: d.retrieval_model.clone().unwrap_or_else(default_retrieval_model),
        tags: Vec::new(),
        doc_form: d.doc_form.clone(),
        external_knowledge_info: json!({
            "external_knowledge_id": null,
            "external_knowledge_api_id": null,
            "external_knowledge_api_name": null,
            "external_knowledge_api_endpoint": null,
        }),
        external_retrieval_model: json!({"top_k": 2, "score_threshold": 0.0, "score_threshold_enabled": false}),
        icon: d.icon.clone(),
        icon_background: d.icon_background.clone(),
        owner: None,
        owner_account: creator_name.map(|c| c.map(|name| NameOnly { name })),
        tenant: tenant_name.map(|name| NameOnly { name }),
        partial_member_list: partial.then(|| d.partial_members.iter().map(Uuid::to_string).collect()),
    }
}

/// A partial member as a plain id or as Dify's `{"user_id": …}` object.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
#[schema(as = DatasetPartialMember)]
pub(super) enum PartialMember {
    /// An account id.
    Id(String),
    /// `{"user_id": account id}`.
    Object { user_id: String },
}

/// `POST /datasets` and `PATCH /datasets/{id}` body: absent fields are left alone, `null` clears.
#[derive(Deserialize, ToSchema)]
#[schema(as = DatasetFields)]
pub(super) struct DatasetBody {
    /// Required on creation.
    name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    description: Option<Option<String>>,
    /// `only_me`, `all_team_members`, `partial_members` or `all_group`.
    permission: Option<String>,
    /// Members of the workspace who may see the dataset with `partial_members`.
    partial_member_list: Option<Vec<PartialMember>>,
    /// `high_quality` or `economy`.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    indexing_technique: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    icon: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    icon_background: Option<Option<String>>,
}

fn input(body: DatasetBody) -> Result<DatasetInput, ConsoleError> {
    if let Some(Some(technique)) = &body.indexing_technique {
        if !matches!(technique.as_str(), "high_quality" | "economy") {
            return Err(ConsoleError::param("indexing_technique", "Invalid indexing technique."));
        }
    }
    let partial_members = body
        .partial_member_list
        .map(|list| {
            list.into_iter()
                .map(|m| {
                    let raw = match m {
                        PartialMember::Id(id) | PartialMember::Object { user_id: id } => id,
                    };
                    value_id("partial_member_list", &raw)
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    Ok(DatasetInput {
        name: body.name,
        description: body.description,
        permission: body.permission.as_deref().map(|p| one_of("permission", p, DatasetPermission::ALL)).transpose()?,
        partial_members,
        indexing_technique: body.indexing_technique,
        icon: body.icon,
        icon_background: body.icon_background,
    })
}

/// Dataset errors in Dify's words.
fn dataset_error(e: DomainError) -> ConsoleError {
    match e {
        DomainError::NotFound { entity: "dataset" } => {
            ConsoleError::standard(actix_web::http::StatusCode::NOT_FOUND, "not_found", "Dataset not found.")
        }
        other => other.into(),
    }
}

fn dataset_id(raw: &str) -> Result<Uuid, ConsoleError> {
    Uuid::parse_str(raw).map_err(|_| dataset_error(DomainError::NotFound { entity: "dataset" }))
}

/// `POST /datasets`: creates a dataset in the current workspace; `201` with the dataset.
#[utoipa::path(
    post,
    path = "/console/api/datasets",
    tag = "datasets",
    request_body = DatasetBody,
    responses(
        (status = 201, description = "The dataset.", body = DatasetDetail),
        (status = 400, description = "A field is invalid.", body = BadRequestBody),
        (status = 403, description = "The caller may not create datasets in the workspace.", body = ErrorBody),
        (status = 404, description = "The caller has no normal workspace.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn create(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    ConsoleJson(body): ConsoleJson<DatasetBody>,
) -> Result<HttpResponse, ConsoleError> {
    let dataset = state.use_cases.create_dataset(&me, input(body)?).await?;
    Ok(HttpResponse::Created().json(detail(&dataset, Extras::Workspace)))
}

/// `GET /datasets?page&limit&keyword`: datasets of the current workspace the caller may see.
#[utoipa::path(
    get,
    path = "/console/api/datasets",
    tag = "datasets",
    params(
        ("page" = Option<u32>, Query, minimum = 1, maximum = 99999, description = "Page number (default 1)."),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size (default 20)."),
        ("keyword" = Option<String>, Query, description = "Only datasets whose name contains it (case-insensitive)."),
    ),
    responses(
        (status = 200, description = "With `owner_account` and `tenant`.", body = Paginated<DatasetDetail>),
        (status = 400, description = "A parameter is invalid.", body = BadRequestBody),
        (status = 404, description = "The caller has no normal workspace.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn list(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let q = QueryParams::of(&req);
    let page = state.use_cases.list_datasets(&me, search_term("keyword", q.get("keyword"))?, q.page()?).await?;
    Ok(HttpResponse::Ok().json(Paginated::from_page(page, |v: DatasetView| {
        detail(&v.dataset, Extras::WorkspaceListing { tenant_name: v.tenant_name, creator_name: v.creator_name })
    })))
}

/// `GET /datasets/{id}`: a dataset the caller may see.
#[utoipa::path(
    get,
    path = "/console/api/datasets/{id}",
    tag = "datasets",
    params(("id" = uuid::Uuid, Path, description = "The dataset's id.")),
    responses(
        (status = 200, description = "The dataset.", body = DatasetDetail),
        (status = 403, description = "The caller may not see the dataset.", body = ErrorBody),
        (status = 404, description = "No such dataset in the caller's workspaces.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn get(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let dataset = state.use_cases.get_dataset(&me, dataset_id(&path)?).await.map_err(dataset_error)?;
    Ok(HttpResponse::Ok().json(detail(&dataset, Extras::Workspace)))
}

/// `PATCH /datasets/{id}`: changes a dataset (its creator and the workspace's editing roles).
#[utoipa::path(
    patch,
    path = "/console/api/datasets/{id}",
    tag = "datasets",
    params(("id" = uuid::Uuid, Path, description = "The dataset's id.")),
    request_body = DatasetBody,
    responses(
        (status = 200, description = "The dataset.", body = DatasetDetail),
        (status = 400, description = "A field is invalid.", body = BadRequestBody),
        (status = 403, description = "The caller may not see or change the dataset.", body = ErrorBody),
        (status = 404, description = "No such dataset in the caller's workspaces.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn update(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    path: web::Path<String>,
    ConsoleJson(body): ConsoleJson<DatasetBody>,
) -> Result<HttpResponse, ConsoleError> {
    let id = dataset_id(&path)?;
    let dataset = state.use_cases.update_dataset(&me, id, input(body)?).await.map_err(dataset_error)?;
    Ok(HttpResponse::Ok().json(detail(&dataset, Extras::Workspace)))
}

/// `DELETE /datasets/{id}`: deletes a dataset (its creator and the workspace's editing roles); `204`.
#[utoipa::path(
    delete,
    path = "/console/api/datasets/{id}",
    tag = "datasets",
    params(("id" = uuid::Uuid, Path, description = "The dataset's id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "The caller may not see or change the dataset.", body = ErrorBody),
        (status = 404, description = "No such dataset in the caller's workspaces.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn delete(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    state.use_cases.delete_dataset(&me, dataset_id(&path)?).await.map_err(dataset_error)?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /enterprise-groups/{group_id}/datasets?page&limit&search`: datasets across a group.
#[utoipa::path(
    get,
    path = "/console/api/enterprise-groups/{group_id}/datasets",
    tag = "datasets",
    params(
        ("group_id" = uuid::Uuid, Path, description = "The group's id."),
        ("page" = Option<u32>, Query, minimum = 1, maximum = 99999, description = "Page number (default 1)."),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size (default 20)."),
        ("search" = Option<String>, Query, description = "Only datasets whose name contains it (case-insensitive)."),
    ),
    responses(
        (
            status = 200,
            description = "All the group's datasets for its super admin, else those the caller may see; with \
                `owner_account` and `tenant`, without `partial_member_list`.",
            body = Paginated<DatasetDetail>
        ),
        (status = 400, description = "A parameter is invalid.", body = BadRequestBody),
        (status = 404, description = "No such group, or not visible to the caller.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn group_datasets(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let q = QueryParams::of(&req);
    let group = path_id(&path, super::groups::GROUP)?;
    let page = state.use_cases.group_datasets(&me, group, search_term("search", q.get("search"))?, q.page()?).await?;
    Ok(HttpResponse::Ok().json(Paginated::from_page(page, |v: DatasetView| {
        detail(&v.dataset, Extras::GroupListing { tenant_name: v.tenant_name, creator_name: v.creator_name })
    })))
}
