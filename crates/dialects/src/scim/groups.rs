//! `/scim/v2/Groups`: the workspaces of the enterprise group of the access key's account (its current group),
//! with their members: create, get, replace (PUT), PATCH (members added and removed as identity providers send
//! it), delete (archive) and list with `filter`, paging and attribute selection.
//!
//! The mapping: `displayName` is the workspace's name, `members` its members other than its owner (the key's
//! account when created here), each `{value: user id}`. A member outside the group joins it as a normal member.

use std::collections::HashSet;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use domain::model::{Account, PageRequest, Workspace, WorkspaceMembership, WorkspaceRole};
use domain::usecases::WorkspaceChange;
use domain::DomainError;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::ScimCall;
use super::error::{ErrorBody, KeyFailures, ScimError, ScimType};
use super::filter::{self, get_ci};
use super::resource::{self, ListResponse, Meta, Projection};
use super::schema::{GROUP_URN, MAX_RESULTS};
use super::{patch, public_base};
use crate::common::query::QueryParams;
use crate::common::routes::routes;
use crate::AppState;

routes! {
    get "/Groups" => list,
    post "/Groups" => create,
    get "/Groups/{id}" => get,
    put "/Groups/{id}" => replace,
    patch "/Groups/{id}" => update,
    delete "/Groups/{id}" => delete,
}

/// The operations of this module, for the API document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, create, get, replace, update, delete))]
pub(crate) struct ApiPaths;

/// One member of a group.
#[derive(Debug, Serialize, ToSchema)]
pub struct Member {
    /// The user's id.
    pub value: Uuid,
    /// The user's display name.
    pub display: String,
    /// Always `User`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The user's URL.
    #[serde(rename = "$ref")]
    pub reference: String,
}

/// A Group resource.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupResource {
    /// The core Group schema.
    pub schemas: [&'static str; 1],
    /// The workspace's id.
    pub id: Uuid,
    /// The workspace's name.
    pub display_name: String,
    /// The members other than the owner.
    pub members: Vec<Member>,
    /// Times, location and version.
    pub meta: Meta,
}

/// The workspace as a Group resource.
fn group_resource(workspace: &Workspace, members: &[(Account, WorkspaceMembership)], base: &str) -> GroupResource {
    GroupResource {
        schemas: [GROUP_URN],
        id: workspace.id,
        display_name: workspace.name.clone(),
        members: members
            .iter()
            .filter(|(_, m)| m.role != WorkspaceRole::Owner)
            .map(|(a, _)| Member {
                value: a.id,
                display: a.name.clone(),
                kind: "User",
                reference: format!("{base}/Users/{}", a.id),
            })
            .collect(),
        meta: Meta {
            resource_type: "Group",
            created: resource::rfc3339(workspace.created_at),
            last_modified: resource::rfc3339(workspace.updated_at),
            location: format!("{base}/Groups/{}", workspace.id),
            version: resource::version_of(workspace.updated_at),
        },
    }
}

fn as_json(group: &GroupResource) -> Value {
    serde_json::to_value(group).unwrap_or(Value::Null)
}

/// What a Group body says: the name and the member ids.
struct GroupInput {
    display_name: Option<String>,
    members: Vec<Uuid>,
}

fn group_input(object: &Map<String, Value>) -> Result<GroupInput, ScimError> {
    let display_name = match get_ci(object, "displayName") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(name.clone()),
        Some(_) => return Err(ScimError::bad(ScimType::InvalidValue, "displayName must be a string.")),
    };
    let items = match get_ci(object, "members") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(_) => return Err(ScimError::bad(ScimType::InvalidValue, "members must be an array.")),
    };
    let mut members = Vec::with_capacity(items.len());
    for item in &items {
        let raw = match item {
            Value::Object(o) => get_ci(o, "value").and_then(Value::as_str),
            Value::String(s) => Some(s.as_str()),
            _ => None,
        };
        let id = raw.and_then(|r| Uuid::parse_str(r.trim()).ok()).ok_or_else(|| {
            ScimError::bad(ScimType::InvalidValue, format!("members: {item} does not name a user by its id."))
        })?;
        members.push(id);
    }
    Ok(GroupInput { display_name, members })
}

fn group_id(raw: &str) -> Result<Uuid, ScimError> {
    Uuid::parse_str(raw).map_err(|_| ScimError::not_found("Group"))
}

/// Domain errors as this resource answers them: unknown members are a bad value, not a missing group.
fn refused(e: DomainError) -> ScimError {
    match e {
        DomainError::UnknownAccounts(ids) => {
            let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
            ScimError::bad(ScimType::InvalidValue, format!("members: no such users: {}.", ids.join(", ")))
        }
        DomainError::NotFound { entity: "workspace" } => ScimError::not_found("Group"),
        DomainError::Conflict { field: "name" } => ScimError {
            status: StatusCode::CONFLICT,
            scim_type: Some(ScimType::Uniqueness),
            detail: "displayName is already in use in the enterprise group.".into(),
        },
        DomainError::Invalid { field: "name", message } => {
            ScimError::bad(ScimType::InvalidValue, format!("displayName: {message}"))
        }
        other => other.into(),
    }
}

fn answer(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    (workspace, members): &(Workspace, Vec<(Account, WorkspaceMembership)>),
    created: bool,
) -> HttpResponse {
    let group = group_resource(workspace, members, &public_base(state, req));
    resource::answer(req, status, as_json(&group), &group.meta, created)
}

/// Lists groups.
#[utoipa::path(
    get,
    path = "/scim/v2/Groups",
    tag = "Groups",
    params(
        ("filter" = Option<String>, Query, description = "A SCIM filter on `id`, `displayName`, `members`, \
            `members.value` or `meta.*` (evaluated on the group's workspaces, of which 1000 are listed at most)."),
        ("startIndex" = Option<i64>, Query, description = "1-based index of the first result; 1 when absent."),
        ("count" = Option<i64>, Query, description = "Results per page, at most 1000; 100 when absent."),
        ("attributes" = Option<String>, Query, description = "Only these attributes (comma-separated)."),
        ("excludedAttributes" = Option<String>, Query, description = "All but these attributes; `members` \
            saves reading them."),
    ),
    responses(
        (status = 200, description = "A page of groups.", body = ListResponse<GroupResource>,
            content_type = "application/scim+json"),
        (status = 400, description = "`invalidFilter` or `invalidValue`.", body = ErrorBody,
            content_type = "application/scim+json"),
        (status = 403, description = "The key's account does not manage its enterprise group.", body = ErrorBody,
            content_type = "application/scim+json"),
        (status = 404, description = "The key's account has no enterprise group.", body = ErrorBody,
            content_type = "application/scim+json"),
        KeyFailures,
    ),
    security(("access_key" = []))
)]
pub(super) async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    call: ScimCall,
) -> Result<HttpResponse, ScimError> {
    let query = QueryParams::of(&req);
    let filter = query.get("filter").filter(|f| !f.trim().is_empty()).map(filter::parse).transpose()?;
    let (start_index, count) = resource::page(&query)?;
    let projection = Projection::of(&query)?;
    let all = PageRequest { page: 1, limit: u32::try_from(MAX_RESULTS).unwrap_or(u32::MAX) };
    // members are read only when answers or the filter need them (identity providers exclude them)
    let with_members = projection.returns("members") || query.get("filter").is_some_and(|f| f.contains("members"));
    let workspaces =
        state.use_cases.current_group_workspaces(call.actor(), all, with_members).await.map_err(refused)?;
    let base = public_base(&state, &req);
    let mut matching = Vec::new();
    for (workspace, members) in workspaces.items {
        let group = as_json(&group_resource(&workspace, &members, &base));
        if filter.as_ref().is_none_or(|f| filter::matches(f, &group)) {
            matching.push(group);
        }
    }
    let total = i64::try_from(matching.len()).unwrap_or(i64::MAX);
    let skip = usize::try_from(start_index - 1).unwrap_or(usize::MAX);
    let page = matching
        .into_iter()
        .skip(skip)
        .take(usize::try_from(count).unwrap_or_default())
        .map(|g| projection.apply(g))
        .collect();
    Ok(ListResponse::new(page, start_index, total).response())
}

/// Creates a group.
#[utoipa::path(
    post,
    path = "/scim/v2/Groups",
    tag = "Groups",
    request_body(content = Object, content_type = "application/scim+json", description = "A Group resource: \
        `displayName` is required, `members` lists users by `value` (their id)."),
    responses(
        (status = 201, description = "The group, created; `Location` and `ETag` name it.", body = GroupResource,
            content_type = "application/scim+json"),
        (status = 400, description = "`invalidSyntax` or `invalidValue` (also for unknown members).",
            body = ErrorBody, content_type = "application/scim+json"),
        (status = 403, description = "The key's account may not manage its enterprise group.", body = ErrorBody,
            content_type = "application/scim+json"),
        (status = 404, description = "The key's account has no enterprise group.", body = ErrorBody,
            content_type = "application/scim+json"),
        (status = 409, description = "`uniqueness`: the group has a workspace of this name.", body = ErrorBody,
            content_type = "application/scim+json"),
        KeyFailures,
    ),
    security(("access_key" = []))
)]
pub(super) async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    call: ScimCall,
) -> Result<HttpResponse, ScimError> {
    let input = group_input(&resource::body_object(&call.body)?)?;
    let name = input.display_name.ok_or_else(|| ScimError::bad(ScimType::InvalidValue, "displayName is required."))?;
    let created =
        state.use_cases.create_current_group_workspace(call.actor(), &name, input.members).await.map_err(refused)?;
    Ok(answer(&state, &req, StatusCode::CREATED, &created, true))
}

/// Reads a group.
#[utoipa::path(
    get,
    path = "/scim/v2/Groups/{id}",
    tag = "Groups",
    params(
        ("id" = String, Path, description = "The group's id."),
        ("attributes" = Option<String>, Query, description = "Only these attributes (comma-separated)."),
        ("excludedAttributes" = Option<String>, Query, description = "All but these attributes."),
    ),
    responses(
        (status = 200, description = "The group, with its version as `ETag`.", body = GroupResource,
            content_type = "application/scim+json"),
        (status = 304, description = "`If-None-Match` names the current version."),
        (status = 403, description = "The key's account does not manage its enterprise group.", body = ErrorBody,
            content_type = "application/scim+json"),
        (status = 404, description = "No such group.", body = ErrorBody, content_type = "application/scim+json"),
        KeyFailures,
    ),
    security(("access_key" = []))
)]
pub(super) async fn get(
    state: web::Data<AppState>,
    req: HttpRequest,
    call: ScimCall,
    path: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    let found = state.use_cases.current_group_workspace(call.actor(), group_id(&path)?).await.map_err(refused)?;
    let version = resource::version_of(found.0.updated_at);
    Ok(resource::unchanged(&req, &version).unwrap_or_else(|| answer(&state, &req, StatusCode::OK, &found, false)))
}

/// The change that makes the group what `input` says, from `members` as they are.
fn change_to(input: GroupInput, workspace: &Workspace, members: &[(Account, WorkspaceMembership)]) -> WorkspaceChange {
    let listed: HashSet<Uuid> =
        members.iter().filter(|(_, m)| m.role != WorkspaceRole::Owner).map(|(a, _)| a.id).collect();
    let wanted: HashSet<Uuid> = input.members.iter().copied().collect();
    WorkspaceChange {
        name: input.display_name.filter(|n| n.trim() != workspace.name),
        add_members: input.members.iter().copied().filter(|m| !listed.contains(m)).collect(),
        remove_members: listed.into_iter().filter(|m| !wanted.contains(m)).collect(),
        if_updated_at: None,
    }
}

/// Applies what `desired` makes of the group, at the version `If-Match` names when it names one.
async fn write(
    state: &AppState,
    req: &HttpRequest,
    call: &ScimCall,
    id: Uuid,
    desired: impl Fn(&(Workspace, Vec<(Account, WorkspaceMembership)>)) -> Result<GroupInput, ScimError>,
) -> Result<HttpResponse, ScimError> {
    let wanted = resource::if_match(req)?;
    let current = state.use_cases.current_group_workspace(call.actor(), id).await.map_err(refused)?;
    if wanted.is_some_and(|version| version != current.0.updated_at) {
        return Err(DomainError::VersionMismatch.into());
    }
    let input = desired(&current)?;
    if input.display_name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        return Err(ScimError::bad(ScimType::InvalidValue, "displayName is required."));
    }
    let mut change = change_to(input, &current.0, &current.1);
    change.if_updated_at = wanted;
    let changed = state.use_cases.change_current_group_workspace(call.actor(), id, change).await.map_err(refused)?;
    Ok(answer(state, req, StatusCode::OK, &changed, false))
}

/// Replaces a group.
#[utoipa::path(
    put,
    path = "/scim/v2/Groups/{id}",
    tag = "Groups",
    params(("id" = String, Path, description = "The group's id.")),
    request_body(content = Object, content_type = "application/scim+json", description = "The whole Group \
        resource: `displayName` and the complete `members` list."),
    responses(
        (status = 200, description = "The group, replaced.", body = GroupResource,
            content_type = "application/scim+json"),
        (status = 400, description = "`invalidSyntax` or `invalidValue`.", body = ErrorBody,
            content_type = "application/scim+json"),
        (status = 403, description = "The key's account may not manage its enterprise group.", body = ErrorBody,
            content_type = "application/scim+json"),
        (status = 404, description = "No such group.", body = ErrorBody, content_type = "application/scim+json"),
        (status = 409, description = "`uniqueness`, or a concurrent change.", body = ErrorBody,
            content_type = "application/scim+json"),
        (status = 412, description = "`If-Match` names another version.", body = ErrorBody,
            content_type = "application/scim+json"),
        KeyFailures,
    ),
    security(("access_key" = []))
)]
pub(super) async fn replace(
    state: web::Data<AppState>,
    req: HttpRequest,
    call: ScimCall,
    path: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    let id = group_id(&path)?;
    let body = resource::body_object(&call.body)?;
    if get_ci(&body, "displayName").is_none_or(Value::is_null) {
        return Err(ScimError::bad(ScimType::InvalidValue, "displayName is required."));
    }
    write(&state, &req, &call, id, |_| group_input(&body)).await
}

/// Changes a group by PATCH operations.
#[utoipa::path(
    patch,
    path = "/scim/v2/Groups/{id}",
    tag = "Groups",
    params(("id" = String, Path, description = "The group's id.")),
    request_body(content = Object, content_type = "application/scim+json", description = "A PatchOp message: \
        `add` or `remove` on `members` (`{\"value\": id}` lists, or `members[value eq \"id\"]`), `replace` on \
        `displayName` or `members`, in any case."),
    responses(
        (status = 200, description = "The group, changed.", body = GroupResource,
            content_type = "application/scim+json"),
        (status = 400, description = "`invalidSyntax`, `invalidPath`, `noTarget`, `mutability` or `invalidValue`.",
            body = ErrorBody, content_type = "application/scim+json"),
        (status = 403, description = "The key's account may not manage its enterprise group.", body = ErrorBody,
            content_type = "application/scim+json"),
        (status = 404, description = "No such group.", body = ErrorBody, content_type = "application/scim+json"),
        (status = 409, description = "`uniqueness`, or a concurrent change.", body = ErrorBody,
            content_type = "application/scim+json"),
        (status = 412, description = "`If-Match` names another version.", body = ErrorBody,
            content_type = "application/scim+json"),
        KeyFailures,
    ),
    security(("access_key" = []))
)]
pub(super) async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    call: ScimCall,
    path: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    let id = group_id(&path)?;
    let operations = patch::operations(&resource::body_object(&call.body)?)?;
    write(&state, &req, &call, id, |(workspace, members)| {
        let Value::Object(mut document) = as_json(&group_resource(workspace, members, "")) else {
            return Err(ScimError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error."));
        };
        patch::apply(&mut document, &operations, &[])?;
        group_input(&document)
    })
    .await
}

/// Deletes a group: its workspace is archived.
#[utoipa::path(
    delete,
    path = "/scim/v2/Groups/{id}",
    tag = "Groups",
    params(("id" = String, Path, description = "The group's id.")),
    responses(
        (status = 204, description = "Deleted (the workspace is archived)."),
        (status = 403, description = "The key's account may not manage its enterprise group.", body = ErrorBody,
            content_type = "application/scim+json"),
        (status = 404, description = "No such group.", body = ErrorBody, content_type = "application/scim+json"),
        (status = 409, description = "A concurrent change.", body = ErrorBody, content_type = "application/scim+json"),
        (status = 412, description = "`If-Match` names another version.", body = ErrorBody,
            content_type = "application/scim+json"),
        KeyFailures,
    ),
    security(("access_key" = []))
)]
pub(super) async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    call: ScimCall,
    path: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    let id = group_id(&path)?;
    let version = resource::if_match(&req)?;
    state.use_cases.archive_current_group_workspace(call.actor(), id, version).await.map_err(refused)?;
    Ok(HttpResponse::NoContent().finish())
}
