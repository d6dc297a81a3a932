//! `/enterprise-groups…`: the zgi-next enterprise-group endpoints.

use actix_web::{web, HttpRequest, HttpResponse};
use domain::model::{
    EnterpriseGroup, GroupRole, GroupStatus, Page, WireEnum, Workspace, WorkspaceMembership, WorkspacePermission,
    WorkspaceStatus,
};
use domain::DomainError;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::dto::{Paginated, Render};
use super::error::ConsoleError;
use super::extract::{one_of, path_id, value_id, Authenticated, ConsoleJson, ConsoleQuery, QueryParams};
use crate::AppState;

/// Registers the routes (under `/console/api`).
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/enterprise-groups/workspaces/repair-model-providers", web::post().to(repair_model_providers))
        .route("/enterprise-groups/workspaces/repair-system-default", web::post().to(repair_system_default))
        .route("/enterprise-groups/{group_id}/workspace-defaults", web::get().to(workspace_defaults))
        .route("/enterprise-groups/{group_id}/workspace-defaults", web::put().to(set_workspace_defaults))
        .route("/enterprise-groups", web::post().to(create))
        .route("/enterprise-groups", web::get().to(list))
        .route("/enterprise-groups", web::put().to(update))
        .route("/enterprise-groups", web::delete().to(delete))
        .route("/enterprise-groups/info/{group_id}", web::get().to(info))
        .route("/enterprise-groups/joined-groups", web::get().to(joined_groups))
        .route("/enterprise-groups/joined-groups/{account_id}", web::get().to(joined_groups_of))
        .route("/enterprise-groups/current", web::get().to(current))
        .route("/enterprise-groups/current-detail", web::get().to(current_detail))
        .route("/enterprise-groups/{group_id}/tenants", web::get().to(tenants))
        .route("/enterprise-groups/{group_id}/tenants", web::post().to(create_workspace))
        .route("/enterprise-groups/{group_id}/unjoined-tenants/{account_id}", web::get().to(unjoined_tenants))
        .route("/enterprise-groups/{group_id}/joined-tenants/{account_id}", web::get().to(joined_tenants))
        .route("/enterprise-groups/{group_id}/joined-tenants-roles/{account_id}", web::get().to(joined_tenant_roles))
        .route("/enterprise-groups/{group_id}/check-manage-permission", web::get().to(check_manage_permission))
        .route("/enterprise-groups/{group_id}/managed-tenants", web::get().to(managed(None)))
        .route(
            "/enterprise-groups/{group_id}/managed-app-tenants",
            web::get().to(managed(Some(WorkspacePermission::CreateAgent))),
        )
        .route(
            "/enterprise-groups/{group_id}/managed-dataset-tenants",
            web::get().to(managed(Some(WorkspacePermission::CreateKnowledge))),
        )
        .route("/enterprise-groups/{group_id}/members", web::get().to(members))
        .route(
            "/enterprise-groups/{group_id}/check-app-permission",
            web::get().to(check(WorkspacePermission::CreateAgent)),
        )
        .route(
            "/enterprise-groups/{group_id}/check-dataset-permission",
            web::get().to(check(WorkspacePermission::CreateKnowledge)),
        );
}

/// `{id, name, status, created_at}`: a group or workspace in a list.
#[derive(Serialize)]
pub struct ListItem {
    id: String,
    name: String,
    status: &'static str,
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
#[derive(Serialize)]
pub struct GroupInfo {
    id: String,
    name: String,
    short_name: Option<String>,
    status: &'static str,
    created_at: i64,
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

#[derive(Deserialize)]
pub(super) struct CreateBody {
    name: String,
    #[serde(default)]
    short_name: Option<String>,
}

/// `POST /enterprise-groups`: `201 {"message":"success"}`.
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
    Ok(HttpResponse::Created().json(json!({"message": "success"})))
}

/// Turns a name conflict into a readable 400, as the console shows the message.
fn name_conflict(message: &'static str) -> impl Fn(DomainError) -> ConsoleError {
    move |e| match e {
        DomainError::Conflict { field: "name" } => ConsoleError::param("name", message),
        other => other.into(),
    }
}

/// `GET /enterprise-groups?page&limit&status`: the caller's groups.
pub(super) async fn list(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let q = QueryParams::of(&req);
    Ok(groups_page(state.use_cases.joined_groups(&me, None, group_status(&q)?, q.page()?).await?))
}

#[derive(Deserialize)]
pub(super) struct UpdateBody {
    id: String,
    name: String,
    #[serde(default)]
    short_name: Option<String>,
}

/// The caller's first page of groups: what zgi-next answers to `PUT` and `DELETE /enterprise-groups`.
async fn my_groups_page(state: &AppState, me: &domain::model::Account) -> Result<HttpResponse, ConsoleError> {
    let first = domain::model::PageRequest { page: 1, limit: 20 };
    Ok(groups_page(state.use_cases.joined_groups(me, None, None, first).await?))
}

/// `PUT /enterprise-groups {id, name, short_name}`: renames; answers the caller's groups.
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

#[derive(Deserialize)]
pub(super) struct DeleteBody {
    id: String,
}

/// `DELETE /enterprise-groups {id}`: archives; answers the caller's groups.
pub(super) async fn delete(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    ConsoleJson(body): ConsoleJson<DeleteBody>,
) -> Result<HttpResponse, ConsoleError> {
    let id = value_id("id", &body.id)?;
    state.use_cases.archive_group(&me, id).await?;
    my_groups_page(&state, &me).await
}

/// `GET /enterprise-groups/info/{group_id}`.
pub(super) async fn info(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let group = state.use_cases.group_info(&me, path_id(&path, GROUP)?).await?;
    Ok(HttpResponse::Ok().json(group_info(&group, None)))
}

/// `GET /enterprise-groups/joined-groups`: the caller's groups.
pub(super) async fn joined_groups(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let q = QueryParams::of(&req);
    Ok(groups_page(state.use_cases.joined_groups(&me, None, None, q.page()?).await?))
}

/// `GET /enterprise-groups/joined-groups/{account_id}`: another account's groups (platform readers).
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
pub(super) async fn current(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
) -> Result<HttpResponse, ConsoleError> {
    let (group, role, _) = state.use_cases.current_group(&me).await?;
    Ok(HttpResponse::Ok().json(group_info(&group, Some(role))))
}

/// `GET /enterprise-groups/current-detail`: as `current`, with the shadow tenant.
pub(super) async fn current_detail(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
) -> Result<HttpResponse, ConsoleError> {
    let (group, role, shadow) = state.use_cases.current_group(&me).await?;
    Ok(HttpResponse::Ok().json(json!({
        "enterprise_group": group_info(&group, Some(role)),
        "shadow_tenant": tenant_item(&shadow),
    })))
}

/// `GET /enterprise-groups/{group_id}/tenants?page&limit&status`.
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

#[derive(Deserialize)]
pub(super) struct TenantBody {
    name: String,
}

/// `POST /enterprise-groups/{group_id}/tenants {name}`: `201 {"message":"workspace created."}`.
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
    Ok(HttpResponse::Created().json(json!({"message": "workspace created."})))
}

fn group_and_account(path: &(String, String)) -> Result<(Uuid, Uuid), ConsoleError> {
    Ok((path_id(&path.0, GROUP)?, path_id(&path.1, ACCOUNT)?))
}

/// `GET /enterprise-groups/{group_id}/unjoined-tenants/{account_id}`.
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

/// `GET /enterprise-groups/{group_id}/joined-tenants/{account_id}`.
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
#[derive(Serialize)]
pub struct TenantRole {
    tenant_id: String,
    tenant_name: String,
    role: &'static str,
    position: Option<String>,
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

/// `GET /enterprise-groups/{group_id}/joined-tenants-roles/{account_id}`: a plain array.
pub(super) async fn joined_tenant_roles(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let (group, account) = group_and_account(&path)?;
    let roles = state.use_cases.account_group_roles(&me, group, account).await?;
    Ok(HttpResponse::Ok().json(roles.into_iter().map(tenant_role).collect::<Vec<_>>()))
}

fn has_permission(value: bool) -> HttpResponse {
    HttpResponse::Ok().json(json!({"has_permission": value}))
}

/// `GET /enterprise-groups/{group_id}/check-manage-permission?switch_tenant=`: switches into the group unless
/// `switch_tenant` is `false` or `0`.
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

/// `GET /enterprise-groups/{group_id}/managed-tenants` (no permission), `managed-app-tenants`
/// (`create_agent`) and `managed-dataset-tenants` (`create_knowledge`).
fn managed(
    permission: Option<WorkspacePermission>,
) -> impl Fn(
    web::Data<AppState>,
    Authenticated,
    HttpRequest,
    web::Path<String>,
) -> futures_util::future::LocalBoxFuture<'static, Result<HttpResponse, ConsoleError>>
       + Clone
       + 'static {
    move |state, Authenticated(me), req, path| {
        Box::pin(async move {
            let page = QueryParams::of(&req).page()?;
            Ok(tenants_page(state.use_cases.managed_workspaces(&me, path_id(&path, GROUP)?, permission, page).await?))
        })
    }
}

/// `GET /enterprise-groups/{group_id}/members?page&limit`.
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

/// `GET /enterprise-groups/{group_id}/check-app-permission` (`create_agent`) and `check-dataset-permission`
/// (`create_knowledge`): `{"has_permission": bool}`.
fn check(
    permission: WorkspacePermission,
) -> impl Fn(
    web::Data<AppState>,
    Authenticated,
    web::Path<String>,
) -> futures_util::future::LocalBoxFuture<'static, Result<HttpResponse, ConsoleError>>
       + Clone
       + 'static {
    move |state, Authenticated(me), path| {
        Box::pin(async move {
            let Ok(group) = Uuid::parse_str(&path) else { return Ok(has_permission(false)) };
            Ok(has_permission(state.use_cases.check_group_permission(&me, group, permission).await?))
        })
    }
}

/// `GET /enterprise-groups/{group_id}/workspace-defaults`: `{model_providers?, system_default_models?}`.
pub(super) async fn workspace_defaults(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    Ok(HttpResponse::Ok().json(state.use_cases.workspace_defaults(&me, path_id(&path, GROUP)?).await?))
}

/// `PUT /enterprise-groups/{group_id}/workspace-defaults`: replaces the document; answers it.
pub(super) async fn set_workspace_defaults(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    path: web::Path<String>,
    ConsoleJson(body): ConsoleJson<serde_json::Value>,
) -> Result<HttpResponse, ConsoleError> {
    let group = path_id(&path, GROUP)?;
    Ok(HttpResponse::Ok().json(state.use_cases.set_workspace_defaults(&me, group, body).await?))
}

/// `POST /enterprise-groups/workspaces/repair-model-providers {}`: a report object.
pub(super) async fn repair_model_providers(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
) -> Result<HttpResponse, ConsoleError> {
    Ok(HttpResponse::Ok().json(state.use_cases.repair_model_providers(&me).await?.to_json()))
}

/// `POST /enterprise-groups/workspaces/repair-system-default {}`: a report object.
pub(super) async fn repair_system_default(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
) -> Result<HttpResponse, ConsoleError> {
    Ok(HttpResponse::Ok().json(state.use_cases.repair_system_default(&me).await?.to_json()))
}
