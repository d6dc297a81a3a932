//! `/enterprise-groups…`: the zgi-next enterprise-group endpoints.

use actix_web::{web, HttpRequest, HttpResponse};
use domain::model::{
    Account, EnterpriseGroup, GroupRole, GroupStatus, Page, WireEnum, Workspace, WorkspaceMembership,
    WorkspacePermission, WorkspaceStatus,
};
use domain::usecases::RepairReport;
use domain::DomainError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::dto::{AccountEx, Paginated, Render};
use super::error::{BadRequestBody, ConsoleError, ErrorBody, SessionFailures};
use super::extract::{one_of, path_id, value_id, Authenticated, ConsoleJson, ConsoleQuery, QueryParams};
use crate::common::routes::routes;
use crate::AppState;

routes! {
    post "/enterprise-groups/workspaces/repair-model-providers" => repair_model_providers,
    post "/enterprise-groups/workspaces/repair-system-default" => repair_system_default,
    get "/enterprise-groups/{group_id}/workspace-defaults" => workspace_defaults,
    put "/enterprise-groups/{group_id}/workspace-defaults" => set_workspace_defaults,
    post "/enterprise-groups" => create,
    get "/enterprise-groups" => list,
    put "/enterprise-groups" => update,
    delete "/enterprise-groups" => delete,
    get "/enterprise-groups/info/{group_id}" => info,
    get "/enterprise-groups/joined-groups" => joined_groups,
    get "/enterprise-groups/joined-groups/{account_id}" => joined_groups_of,
    get "/enterprise-groups/current" => current,
    get "/enterprise-groups/current-detail" => current_detail,
    get "/enterprise-groups/{group_id}/tenants" => tenants,
    post "/enterprise-groups/{group_id}/tenants" => create_workspace,
    get "/enterprise-groups/{group_id}/unjoined-tenants/{account_id}" => unjoined_tenants,
    get "/enterprise-groups/{group_id}/joined-tenants/{account_id}" => joined_tenants,
    get "/enterprise-groups/{group_id}/joined-tenants-roles/{account_id}" => joined_tenant_roles,
    get "/enterprise-groups/{group_id}/check-manage-permission" => check_manage_permission,
    get "/enterprise-groups/{group_id}/managed-tenants" => managed_tenants,
    get "/enterprise-groups/{group_id}/managed-app-tenants" => managed_app_tenants,
    get "/enterprise-groups/{group_id}/managed-dataset-tenants" => managed_dataset_tenants,
    get "/enterprise-groups/{group_id}/members" => members,
    get "/enterprise-groups/{group_id}/check-app-permission" => check_app_permission,
    get "/enterprise-groups/{group_id}/check-dataset-permission" => check_dataset_permission,
}

/// The operations of this module, for the API document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    repair_model_providers,
    repair_system_default,
    workspace_defaults,
    set_workspace_defaults,
    create,
    list,
    update,
    delete,
    info,
    joined_groups,
    joined_groups_of,
    current,
    current_detail,
    tenants,
    create_workspace,
    unjoined_tenants,
    joined_tenants,
    joined_tenant_roles,
    check_manage_permission,
    managed_tenants,
    managed_app_tenants,
    managed_dataset_tenants,
    members,
    check_app_permission,
    check_dataset_permission,
))]
pub(crate) struct ApiPaths;

/// `{id, name, status, created_at}`: a group or workspace in a list.
#[derive(Serialize, ToSchema)]
#[schema(as = GroupListItem)]
pub struct ListItem {
    id: String,
    name: String,
    /// A group's `active` or `archived`; a workspace's `normal` or `archive`.
    status: &'static str,
    /// Unix seconds.
    created_at: i64,
}

fn group_item(g: &EnterpriseGroup) -> ListItem {
    ListItem {
        id: g.id.to_string(),
        name: g.name.clone(),
        status: g.status.as_str(),
        created_at: g.created_at.unix_timestamp(),
    }
}

fn tenant_item(t: &Workspace) -> ListItem {
    ListItem {
        id: t.id.to_string(),
        name: t.name.clone(),
        status: t.status.as_str(),
        created_at: t.created_at.unix_timestamp(),
    }
}

/// `{id, name, short_name, status, created_at[, group_role]}`.
#[derive(Serialize, ToSchema)]
#[schema(as = EnterpriseGroupInfo)]
pub struct GroupInfo {
    id: String,
    name: String,
    short_name: Option<String>,
    /// `active` or `archived`.
    status: &'static str,
    /// Unix seconds.
    created_at: i64,
    /// The caller's role in the group (`super_admin`, `admin` or `normal`); only in the current-group answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    group_role: Option<&'static str>,
}

fn group_info(g: &EnterpriseGroup, role: Option<GroupRole>) -> GroupInfo {
    GroupInfo {
        id: g.id.to_string(),
        name: g.name.clone(),
        short_name: g.short_name.clone(),
        status: g.status.as_str(),
        created_at: g.created_at.unix_timestamp(),
        group_role: role.map(GroupRole::as_str),
    }
}

/// The entity name of groups in not-found answers.
pub(super) const GROUP: &str = "enterprise group";
const ACCOUNT: &str = "account";

fn group_status(q: &QueryParams) -> Result<Option<GroupStatus>, ConsoleError> {
    q.get("status").filter(|s| !s.is_empty()).map(|s| one_of("status", s, GroupStatus::ALL)).transpose()
}

fn tenant_status(q: &QueryParams) -> Result<Option<WorkspaceStatus>, ConsoleError> {
    q.get("status").filter(|s| !s.is_empty()).map(|s| one_of("status", s, WorkspaceStatus::ALL)).transpose()
}

fn groups_page(page: Page<(EnterpriseGroup, GroupRole)>) -> HttpResponse {
    HttpResponse::Ok().json(Paginated::from_page(page, |(g, _)| group_item(&g)))
}

fn tenants_page(page: Page<Workspace>) -> HttpResponse {
    HttpResponse::Ok().json(Paginated::from_page(page, |t| tenant_item(&t)))
}

/// `{"message": …}`: the answer of a creation.
#[derive(Serialize, ToSchema)]
#[schema(as = GroupCreatedMessage)]
struct Message {
    /// `success` for a group, `workspace created.` for a workspace.
    message: &'static str,
}

/// `POST /enterprise-groups` body.
#[derive(Deserialize, ToSchema)]
#[schema(as = CreateGroup)]
pub(super) struct CreateBody {
    /// Unique name, at most 255 characters.
    name: String,
    /// At most 100 characters.
    #[serde(default)]
    short_name: Option<String>,
}

/// `POST /enterprise-groups`: creates a group (platform admins).
#[utoipa::path(
    post,
    path = "/console/api/enterprise-groups",
    tag = "enterprise groups",
    request_body = CreateBody,
    responses(
        (status = 201, description = "Created: `{\"message\": \"success\"}`.", body = Message),
        (status = 400, description = "A field is invalid, or the name is taken.", body = BadRequestBody),
        (status = 403, description = "Only platform admins create groups.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn create(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    ConsoleJson(body): ConsoleJson<CreateBody>,
) -> Result<HttpResponse, ConsoleError> {
    state
        .use_cases
        .create_group(&me, &body.name, body.short_name.as_deref())
        .await
        .map_err(name_conflict("Enterprise group name already exists."))?;
    Ok(HttpResponse::Created().json(Message { message: "success" }))
}

/// Turns a name conflict into a readable 400, as the console shows the message.
fn name_conflict(message: &'static str) -> impl Fn(DomainError) -> ConsoleError {
    move |e| match e {
        DomainError::Conflict { field: "name" } => ConsoleError::param("name", message),
        other => other.into(),
    }
}

/// `GET /enterprise-groups?page&limit&status`: the caller's groups.
#[utoipa::path(
    get,
    path = "/console/api/enterprise-groups",
    tag = "enterprise groups",
    params(
        ("page" = Option<u32>, Query, minimum = 1, maximum = 99999, description = "Page number (default 1)."),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size (default 20)."),
        ("status" = Option<String>, Query, description = "`active` or `archived` (archived: platform readers only)."),
    ),
    responses(
        (status = 200, description = "A page of the caller's groups.", body = Paginated<ListItem>),
        (status = 400, description = "A parameter is invalid.", body = BadRequestBody),
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
    Ok(groups_page(state.use_cases.joined_groups(&me, None, group_status(&q)?, q.page()?).await?))
}

/// `PUT /enterprise-groups` body.
#[derive(Deserialize, ToSchema)]
#[schema(as = UpdateGroup)]
pub(super) struct UpdateBody {
    /// The group's id.
    id: String,
    /// New name, at most 255 characters.
    name: String,
    /// At most 100 characters; cleared when absent or blank.
    #[serde(default)]
    short_name: Option<String>,
}

/// The caller's first page of groups: what zgi-next answers to `PUT` and `DELETE /enterprise-groups`.
async fn my_groups_page(state: &AppState, me: &domain::model::Account) -> Result<HttpResponse, ConsoleError> {
    let first = domain::model::PageRequest { page: 1, limit: 20 };
    Ok(groups_page(state.use_cases.joined_groups(me, None, None, first).await?))
}

/// `PUT /enterprise-groups {id, name, short_name}`: renames; answers the caller's groups.
#[utoipa::path(
    put,
    path = "/console/api/enterprise-groups",
    tag = "enterprise groups",
    request_body = UpdateBody,
    responses(
        (status = 200, description = "Renamed; the first page of the caller's groups.", body = Paginated<ListItem>),
        (status = 400, description = "A field is invalid, or the name is taken.", body = BadRequestBody),
        (status = 403, description = "Only the group's super admin or a platform admin renames it.", body = ErrorBody),
        (status = 404, description = "No such group, or not visible to the caller.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn update(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    ConsoleJson(body): ConsoleJson<UpdateBody>,
) -> Result<HttpResponse, ConsoleError> {
    let id = value_id("id", &body.id)?;
    state
        .use_cases
        .rename_group(&me, id, &body.name, body.short_name.as_deref())
        .await
        .map_err(name_conflict("Enterprise group name already exists."))?;
    my_groups_page(&state, &me).await
}

/// `DELETE /enterprise-groups` body.
#[derive(Deserialize, ToSchema)]
#[schema(as = DeleteGroup)]
pub(super) struct DeleteBody {
    /// The group's id.
    id: String,
}

/// `DELETE /enterprise-groups {id}`: archives; answers the caller's groups.
#[utoipa::path(
    delete,
    path = "/console/api/enterprise-groups",
    tag = "enterprise groups",
    request_body = DeleteBody,
    responses(
        (status = 200, description = "Archived; the first page of the caller's groups.", body = Paginated<ListItem>),
        (status = 400, description = "`id` is missing or not a UUID.", body = BadRequestBody),
        (status = 403, description = "Only the group's super admin or a platform admin archives it.", body = ErrorBody),
        (status = 404, description = "No such group, or not visible to the caller.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn delete(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    ConsoleJson(body): ConsoleJson<DeleteBody>,
) -> Result<HttpResponse, ConsoleError> {
    let id = value_id("id", &body.id)?;
    state.use_cases.archive_group(&me, id).await?;
    my_groups_page(&state, &me).await
}

/// `GET /enterprise-groups/info/{group_id}`: a group the caller may see.
#[utoipa::path(
    get,
    path = "/console/api/enterprise-groups/info/{group_id}",
    tag = "enterprise groups",
    params(("group_id" = uuid::Uuid, Path, description = "The group's id.")),
    responses(
        (status = 200, description = "The group (without `group_role`).", body = GroupInfo),
        (status = 404, description = "No such group, or not visible to the caller.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn info(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let group = state.use_cases.group_info(&me, path_id(&path, GROUP)?).await?;
    Ok(HttpResponse::Ok().json(group_info(&group, None)))
}

/// `GET /enterprise-groups/joined-groups?page&limit`: the caller's groups.
#[utoipa::path(
    get,
    path = "/console/api/enterprise-groups/joined-groups",
    tag = "enterprise groups",
    params(
        ("page" = Option<u32>, Query, minimum = 1, maximum = 99999, description = "Page number (default 1)."),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size (default 20)."),
    ),
    responses(
        (status = 200, description = "A page of the caller's groups.", body = Paginated<ListItem>),
        (status = 400, description = "A parameter is out of range.", body = BadRequestBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn joined_groups(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let q = QueryParams::of(&req);
    Ok(groups_page(state.use_cases.joined_groups(&me, None, None, q.page()?).await?))
}

/// `GET /enterprise-groups/joined-groups/{account_id}`: another account's groups (platform readers).
#[utoipa::path(
    get,
    path = "/console/api/enterprise-groups/joined-groups/{account_id}",
    tag = "enterprise groups",
    params(
        ("account_id" = uuid::Uuid, Path, description = "The account's id."),
        ("page" = Option<u32>, Query, minimum = 1, maximum = 99999, description = "Page number (default 1)."),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size (default 20)."),
    ),
    responses(
        (status = 200, description = "A page of the account's groups.", body = Paginated<ListItem>),
        (status = 400, description = "A parameter is out of range.", body = BadRequestBody),
        (status = 403, description = "Another account's groups need a platform reader.", body = ErrorBody),
        (status = 404, description = "`account_id` is not a UUID.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn joined_groups_of(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let q = QueryParams::of(&req);
    let account = path_id(&path, ACCOUNT)?;
    Ok(groups_page(state.use_cases.joined_groups(&me, Some(account), None, q.page()?).await?))
}

/// `GET /enterprise-groups/current`: the group of the caller's current workspace with the caller's role.
#[utoipa::path(
    get,
    path = "/console/api/enterprise-groups/current",
    tag = "enterprise groups",
    responses(
        (status = 200, description = "The group, with the caller's `group_role`.", body = GroupInfo),
        (status = 404, description = "The current workspace belongs to no active group.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn current(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
) -> Result<HttpResponse, ConsoleError> {
    let (group, role, _) = state.use_cases.current_group(&me).await?;
    Ok(HttpResponse::Ok().json(group_info(&group, Some(role))))
}

/// `{enterprise_group, shadow_tenant}`: the current group and its own workspace.
#[derive(Serialize, ToSchema)]
#[schema(as = CurrentGroupDetail)]
struct CurrentDetail {
    /// The group, with the caller's `group_role`.
    enterprise_group: GroupInfo,
    /// The group's shadow workspace (same id as the group).
    shadow_tenant: ListItem,
}

/// `GET /enterprise-groups/current-detail`: as `current`, with the shadow tenant.
#[utoipa::path(
    get,
    path = "/console/api/enterprise-groups/current-detail",
    tag = "enterprise groups",
    responses(
        (status = 200, description = "The group and its shadow workspace.", body = CurrentDetail),
        (status = 404, description = "The current workspace belongs to no active group.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn current_detail(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
) -> Result<HttpResponse, ConsoleError> {
    let (group, role, shadow) = state.use_cases.current_group(&me).await?;
    let enterprise_group = group_info(&group, Some(role));
    Ok(HttpResponse::Ok().json(CurrentDetail { enterprise_group, shadow_tenant: tenant_item(&shadow) }))
}

/// `GET /enterprise-groups/{group_id}/tenants?page&limit&status`: the group's workspaces.
#[utoipa::path(
    get,
    path = "/console/api/enterprise-groups/{group_id}/tenants",
    tag = "enterprise groups",
    params(
        ("group_id" = uuid::Uuid, Path, description = "The group's id."),
        ("page" = Option<u32>, Query, minimum = 1, maximum = 99999, description = "Page number (default 1)."),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size (default 20)."),
        ("status" = Option<String>, Query, description = "`normal` or `archive`."),
    ),
    responses(
        (
            status = 200,
            description = "All the group's workspaces for its managers and platform readers, the joined ones for \
                members.",
            body = Paginated<ListItem>
        ),
        (status = 400, description = "A parameter is invalid.", body = BadRequestBody),
        (status = 404, description = "No such group, or not visible to the caller.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn tenants(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let q = QueryParams::of(&req);
    let group = path_id(&path, GROUP)?;
    Ok(tenants_page(state.use_cases.group_workspaces(&me, group, tenant_status(&q)?, q.page()?).await?))
}

/// `POST /enterprise-groups/{group_id}/tenants` body.
#[derive(Deserialize, ToSchema)]
#[schema(as = CreateGroupWorkspace)]
pub(super) struct TenantBody {
    /// Unique in the group, at most 255 characters.
    name: String,
}

/// `POST /enterprise-groups/{group_id}/tenants {name}`: creates a workspace in the group (its managers).
#[utoipa::path(
    post,
    path = "/console/api/enterprise-groups/{group_id}/tenants",
    tag = "enterprise groups",
    params(("group_id" = uuid::Uuid, Path, description = "The group's id.")),
    request_body = TenantBody,
    responses(
        (status = 201, description = "Created: `{\"message\": \"workspace created.\"}`.", body = Message),
        (status = 400, description = "A field is invalid, or the name is taken in the group.", body = BadRequestBody),
        (status = 403, description = "Only the group's managers create workspaces.", body = ErrorBody),
        (status = 404, description = "No such group, or not visible to the caller.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn create_workspace(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    path: web::Path<String>,
    ConsoleJson(body): ConsoleJson<TenantBody>,
) -> Result<HttpResponse, ConsoleError> {
    let group = path_id(&path, GROUP)?;
    state
        .use_cases
        .create_group_workspace(&me, group, &body.name)
        .await
        .map_err(name_conflict("A workspace with this name already exists in the group."))?;
    Ok(HttpResponse::Created().json(Message { message: "workspace created." }))
}

fn group_and_account(path: &(String, String)) -> Result<(Uuid, Uuid), ConsoleError> {
    Ok((path_id(&path.0, GROUP)?, path_id(&path.1, ACCOUNT)?))
}

/// `GET /enterprise-groups/{group_id}/unjoined-tenants/{account_id}`: the group's workspaces the account is not in.
#[utoipa::path(
    get,
    path = "/console/api/enterprise-groups/{group_id}/unjoined-tenants/{account_id}",
    tag = "enterprise groups",
    params(
        ("group_id" = uuid::Uuid, Path, description = "The group's id."),
        ("account_id" = uuid::Uuid, Path, description = "The account's id."),
        ("page" = Option<u32>, Query, minimum = 1, maximum = 99999, description = "Page number (default 1)."),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size (default 20)."),
    ),
    responses(
        (status = 200, description = "Normal workspaces the account has not joined.", body = Paginated<ListItem>),
        (status = 400, description = "A parameter is out of range.", body = BadRequestBody),
        (status = 403, description = "Only the account itself, group managers and platform readers.", body = ErrorBody),
        (status = 404, description = "No such group, or not visible to the caller.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn unjoined_tenants(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let (group, account) = group_and_account(&path)?;
    let page = QueryParams::of(&req).page()?;
    Ok(tenants_page(state.use_cases.account_group_workspaces(&me, group, account, false, page).await?))
}

/// `GET /enterprise-groups/{group_id}/joined-tenants/{account_id}`: the group's workspaces the account is in.
#[utoipa::path(
    get,
    path = "/console/api/enterprise-groups/{group_id}/joined-tenants/{account_id}",
    tag = "enterprise groups",
    params(
        ("group_id" = uuid::Uuid, Path, description = "The group's id."),
        ("account_id" = uuid::Uuid, Path, description = "The account's id."),
        ("page" = Option<u32>, Query, minimum = 1, maximum = 99999, description = "Page number (default 1)."),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size (default 20)."),
    ),
    responses(
        (status = 200, description = "A page of normal workspaces the account has joined.", body = Paginated<ListItem>),
        (status = 400, description = "A parameter is out of range.", body = BadRequestBody),
        (status = 403, description = "Only the account itself, group managers and platform readers.", body = ErrorBody),
        (status = 404, description = "No such group, or not visible to the caller.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn joined_tenants(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let (group, account) = group_and_account(&path)?;
    let page = QueryParams::of(&req).page()?;
    Ok(tenants_page(state.use_cases.account_group_workspaces(&me, group, account, true, page).await?))
}

/// One entry of `joined-tenants-roles`.
#[derive(Serialize, ToSchema)]
#[schema(as = GroupTenantRole)]
pub struct TenantRole {
    tenant_id: String,
    tenant_name: String,
    /// `owner`, `admin`, `editor`, `normal` or `dataset_operator`.
    role: &'static str,
    position: Option<String>,
    /// Extra rights: `create_agent`, `create_knowledge`.
    permissions: Vec<&'static str>,
}

fn tenant_role((tenant, m): (Workspace, WorkspaceMembership)) -> TenantRole {
    TenantRole {
        tenant_id: tenant.id.to_string(),
        tenant_name: tenant.name,
        role: m.role.as_str(),
        position: m.position,
        permissions: m.permissions.iter().map(|p| p.as_str()).collect(),
    }
}

/// `GET /enterprise-groups/{group_id}/joined-tenants-roles/{account_id}`: the account's roles in the group's
/// workspaces.
#[utoipa::path(
    get,
    path = "/console/api/enterprise-groups/{group_id}/joined-tenants-roles/{account_id}",
    tag = "enterprise groups",
    params(
        ("group_id" = uuid::Uuid, Path, description = "The group's id."),
        ("account_id" = uuid::Uuid, Path, description = "The account's id."),
    ),
    responses(
        (status = 200, description = "A plain array of the account's memberships.", body = Vec<TenantRole>),
        (status = 403, description = "Only the account itself, group managers and platform readers.", body = ErrorBody),
        (status = 404, description = "No such group, or not visible to the caller.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn joined_tenant_roles(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let (group, account) = group_and_account(&path)?;
    let roles = state.use_cases.account_group_roles(&me, group, account).await?;
    Ok(HttpResponse::Ok().json(roles.into_iter().map(tenant_role).collect::<Vec<_>>()))
}

/// `{"has_permission": bool}`.
#[derive(Serialize, ToSchema)]
#[schema(as = GroupPermissionCheck)]
struct HasPermission {
    has_permission: bool,
}

fn has_permission(value: bool) -> HttpResponse {
    HttpResponse::Ok().json(HasPermission { has_permission: value })
}

/// `GET /enterprise-groups/{group_id}/check-manage-permission?switch_tenant=`: whether the caller manages the
/// group; switches into it unless `switch_tenant` is `false` or `0`.
#[utoipa::path(
    get,
    path = "/console/api/enterprise-groups/{group_id}/check-manage-permission",
    tag = "enterprise groups",
    params(
        ("group_id" = String, Path, description = "The group's id (anything else answers `false`)."),
        (
            "switch_tenant" = Option<String>,
            Query,
            description = "`false` or `0`: do not make the group's workspace the caller's current one (default: do)."
        ),
        ("switch" = Option<String>, Query, description = "The same as `switch_tenant`, read when that is absent."),
    ),
    responses(
        (status = 200, description = "Whether the caller manages the group (else `false`).", body = HasPermission),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn check_manage_permission(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let q = QueryParams::of(&req);
    let switch = q
        .get("switch_tenant")
        .or_else(|| q.get("switch"))
        .is_none_or(|v| !matches!(v.trim().to_ascii_lowercase().as_str(), "false" | "0"));
    let Ok(group) = Uuid::parse_str(&path) else { return Ok(has_permission(false)) };
    Ok(has_permission(state.use_cases.check_manage_permission(&me, group, switch).await?))
}

/// The workspaces of the group the caller manages, with `permission` when given.
async fn managed(
    state: web::Data<AppState>,
    me: &Account,
    req: &HttpRequest,
    path: &str,
    permission: Option<WorkspacePermission>,
) -> Result<HttpResponse, ConsoleError> {
    let page = QueryParams::of(req).page()?;
    Ok(tenants_page(state.use_cases.managed_workspaces(me, path_id(path, GROUP)?, permission, page).await?))
}

/// `GET /enterprise-groups/{group_id}/managed-tenants?page&limit`: the group's workspaces the caller manages.
#[utoipa::path(
    get,
    path = "/console/api/enterprise-groups/{group_id}/managed-tenants",
    tag = "enterprise groups",
    params(
        ("group_id" = uuid::Uuid, Path, description = "The group's id."),
        ("page" = Option<u32>, Query, minimum = 1, maximum = 99999, description = "Page number (default 1)."),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size (default 20)."),
    ),
    responses(
        (
            status = 200,
            description = "Normal workspaces: all for the group's managers and platform admins, else those the caller \
                owns or administers.",
            body = Paginated<ListItem>
        ),
        (status = 400, description = "A parameter is out of range.", body = BadRequestBody),
        (status = 404, description = "No such group, or not visible to the caller.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
async fn managed_tenants(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    managed(state, &me, &req, &path, None).await
}

/// `GET /enterprise-groups/{group_id}/managed-app-tenants?page&limit`: those where the caller may create agents.
#[utoipa::path(
    get,
    path = "/console/api/enterprise-groups/{group_id}/managed-app-tenants",
    tag = "enterprise groups",
    params(
        ("group_id" = uuid::Uuid, Path, description = "The group's id."),
        ("page" = Option<u32>, Query, minimum = 1, maximum = 99999, description = "Page number (default 1)."),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size (default 20)."),
    ),
    responses(
        (
            status = 200,
            description = "Normal workspaces: all for the group's managers and platform admins, else those the caller \
                owns, administers or holds `create_agent` in.",
            body = Paginated<ListItem>
        ),
        (status = 400, description = "A parameter is out of range.", body = BadRequestBody),
        (status = 404, description = "No such group, or not visible to the caller.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
async fn managed_app_tenants(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    managed(state, &me, &req, &path, Some(WorkspacePermission::CreateAgent)).await
}

/// `GET /enterprise-groups/{group_id}/managed-dataset-tenants?page&limit`: those where the caller may create
/// knowledge bases.
#[utoipa::path(
    get,
    path = "/console/api/enterprise-groups/{group_id}/managed-dataset-tenants",
    tag = "enterprise groups",
    params(
        ("group_id" = uuid::Uuid, Path, description = "The group's id."),
        ("page" = Option<u32>, Query, minimum = 1, maximum = 99999, description = "Page number (default 1)."),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size (default 20)."),
    ),
    responses(
        (
            status = 200,
            description = "Normal workspaces: all for the group's managers and platform admins, else those the caller \
                owns, administers or holds `create_knowledge` in.",
            body = Paginated<ListItem>
        ),
        (status = 400, description = "A parameter is out of range.", body = BadRequestBody),
        (status = 404, description = "No such group, or not visible to the caller.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
async fn managed_dataset_tenants(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    managed(state, &me, &req, &path, Some(WorkspacePermission::CreateKnowledge)).await
}

/// `GET /enterprise-groups/{group_id}/members?page&limit`: the group's members (its managers and platform readers).
#[utoipa::path(
    get,
    path = "/console/api/enterprise-groups/{group_id}/members",
    tag = "enterprise groups",
    params(
        ("group_id" = uuid::Uuid, Path, description = "The group's id."),
        ("page" = Option<u32>, Query, minimum = 1, maximum = 99999, description = "Page number (default 1)."),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size (default 20)."),
    ),
    responses(
        (status = 200, description = "A page of members, newest first.", body = Paginated<AccountEx>),
        (status = 400, description = "A parameter is out of range.", body = BadRequestBody),
        (status = 403, description = "Only the group's managers and platform readers list members.", body = ErrorBody),
        (status = 404, description = "No such group, or not visible to the caller.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn members(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let page = QueryParams::of(&req).page()?;
    let result = state.use_cases.group_members(&me, path_id(&path, GROUP)?, page).await?;
    let render = Render::new(&state);
    Ok(HttpResponse::Ok().json(Paginated::from_page(result, |(a, _)| render.ex(&a, None))))
}

/// `{"has_permission": bool}` for `permission` in the group (false for a malformed group id).
async fn check(
    state: web::Data<AppState>,
    me: &Account,
    path: &str,
    permission: WorkspacePermission,
) -> Result<HttpResponse, ConsoleError> {
    let Ok(group) = Uuid::parse_str(path) else { return Ok(has_permission(false)) };
    Ok(has_permission(state.use_cases.check_group_permission(me, group, permission).await?))
}

/// `GET /enterprise-groups/{group_id}/check-app-permission`: may the caller create agents in the group.
#[utoipa::path(
    get,
    path = "/console/api/enterprise-groups/{group_id}/check-app-permission",
    tag = "enterprise groups",
    params(("group_id" = String, Path, description = "The group's id (anything else answers `false`).")),
    responses(
        (
            status = 200,
            description = "Whether the caller manages the group or holds `create_agent` in one of its workspaces \
                (`false` for unknown groups).",
            body = HasPermission
        ),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
async fn check_app_permission(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    check(state, &me, &path, WorkspacePermission::CreateAgent).await
}

/// `GET /enterprise-groups/{group_id}/check-dataset-permission`: may the caller create knowledge bases in the group.
#[utoipa::path(
    get,
    path = "/console/api/enterprise-groups/{group_id}/check-dataset-permission",
    tag = "enterprise groups",
    params(("group_id" = String, Path, description = "The group's id (anything else answers `false`).")),
    responses(
        (
            status = 200,
            description = "Whether the caller manages the group or holds `create_knowledge` in one of its workspaces \
                (`false` for unknown groups).",
            body = HasPermission
        ),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
async fn check_dataset_permission(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    check(state, &me, &path, WorkspacePermission::CreateKnowledge).await
}

/// `GET /enterprise-groups/{group_id}/workspace-defaults`: `{model_providers?, system_default_models?}`.
#[utoipa::path(
    get,
    path = "/console/api/enterprise-groups/{group_id}/workspace-defaults",
    tag = "enterprise groups",
    params(("group_id" = uuid::Uuid, Path, description = "The group's id.")),
    responses(
        (
            status = 200,
            description = "The group's workspace defaults: an object with at most `model_providers` (a list of \
                `{provider, …}` objects) and `system_default_models` (an object).",
            body = Object
        ),
        (status = 403, description = "Only the group's managers and platform readers.", body = ErrorBody),
        (status = 404, description = "No such group, or not visible to the caller.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn workspace_defaults(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    Ok(HttpResponse::Ok().json(state.use_cases.workspace_defaults(&me, path_id(&path, GROUP)?).await?))
}

/// `PUT /enterprise-groups/{group_id}/workspace-defaults`: replaces the document; answers it.
#[utoipa::path(
    put,
    path = "/console/api/enterprise-groups/{group_id}/workspace-defaults",
    tag = "enterprise groups",
    params(("group_id" = uuid::Uuid, Path, description = "The group's id.")),
    request_body(
        content = Object,
        description = "An object with at most `model_providers` (a list of objects with a non-empty `provider`) \
            and `system_default_models` (an object)."
    ),
    responses(
        (status = 200, description = "The stored workspace defaults.", body = Object),
        (status = 400, description = "The document is not as described.", body = BadRequestBody),
        (status = 403, description = "Only the group's super admin or a platform admin.", body = ErrorBody),
        (status = 404, description = "No such group, or not visible to the caller.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn set_workspace_defaults(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    path: web::Path<String>,
    ConsoleJson(body): ConsoleJson<serde_json::Value>,
) -> Result<HttpResponse, ConsoleError> {
    let group = path_id(&path, GROUP)?;
    Ok(HttpResponse::Ok().json(state.use_cases.set_workspace_defaults(&me, group, body).await?))
}

/// What a repair did, across every active group.
#[derive(Serialize, ToSchema)]
#[schema(as = GroupRepairReport)]
struct RepairReportBody {
    /// Groups looked at.
    groups: usize,
    /// Shadow workspaces created.
    shadow_tenants_created: usize,
    /// Memberships added (members missing from their group's shadow workspace).
    members_added: usize,
    /// Workspaces that got an owner.
    owners_assigned: usize,
    /// Workspaces without any member (no owner can be chosen).
    workspaces_without_members: usize,
    /// Workspaces whose settings changed.
    workspaces_updated: usize,
    /// Accounts that got a current workspace.
    current_workspaces_set: usize,
    /// Groups whose repair failed; a second run retries them.
    groups_failed: usize,
}

impl From<RepairReport> for RepairReportBody {
    fn from(r: RepairReport) -> Self {
        Self {
            groups: r.groups,
            shadow_tenants_created: r.shadow_tenants_created,
            members_added: r.members_added,
            owners_assigned: r.owners_assigned,
            workspaces_without_members: r.workspaces_without_members,
            workspaces_updated: r.workspaces_updated,
            current_workspaces_set: r.current_workspaces_set,
            groups_failed: r.groups_failed,
        }
    }
}

/// `POST /enterprise-groups/workspaces/repair-model-providers {}`: gives every group workspace its group's model
/// providers (platform admins).
#[utoipa::path(
    post,
    path = "/console/api/enterprise-groups/workspaces/repair-model-providers",
    tag = "enterprise groups",
    responses(
        (status = 200, description = "What the repair did.", body = RepairReportBody),
        (status = 403, description = "Only platform admins.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn repair_model_providers(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
) -> Result<HttpResponse, ConsoleError> {
    Ok(HttpResponse::Ok().json(RepairReportBody::from(state.use_cases.repair_model_providers(&me).await?)))
}

/// `POST /enterprise-groups/workspaces/repair-system-default {}`: restores every group's shadow workspace,
/// memberships, owners and default models (platform admins).
#[utoipa::path(
    post,
    path = "/console/api/enterprise-groups/workspaces/repair-system-default",
    tag = "enterprise groups",
    responses(
        (status = 200, description = "What the repair did.", body = RepairReportBody),
        (status = 403, description = "Only platform admins.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn repair_system_default(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
) -> Result<HttpResponse, ConsoleError> {
    Ok(HttpResponse::Ok().json(RepairReportBody::from(state.use_cases.repair_system_default(&me).await?)))
}
