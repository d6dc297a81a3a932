//! `/workspaces…`: the Dify workspace endpoints the console needs around groups: the caller's workspaces,
//! switching, the current workspace, its members, role changes and removal.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use domain::model::{WireEnum, Workspace, WorkspaceMembership, WorkspaceRole};
use domain::DomainError;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::dto::{Render, Success, SUCCESS};
use super::error::{BadRequestBody, ConsoleError, ErrorBody, SessionFailures};
use super::extract::{Authenticated, ConsoleJson};
use crate::common::routes::routes;
use crate::AppState;

routes! {
    get "/workspaces" => list,
    post "/workspaces/switch" => switch,
    get "/workspaces/current" => current,
    post "/workspaces/current" => current,
    get "/workspaces/current/members" => members,
    put "/workspaces/current/members/{member_id}/update-role" => update_role,
    delete "/workspaces/current/members/{member_id}" => remove,
}

/// The operations of this module, for the API document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, switch, current, members, update_role, remove))]
pub(crate) struct ApiPaths;

/// Dify's `tenant_info`.
#[derive(Serialize, ToSchema)]
pub struct TenantInfo {
    id: String,
    name: String,
    plan: String,
    /// `normal` or `archive`.
    status: &'static str,
    /// Unix seconds.
    created_at: i64,
    /// The caller's role: `owner`, `admin`, `editor`, `normal` or `dataset_operator`.
    role: &'static str,
    /// Always `null`.
    in_trial: Option<bool>,
    /// Always `null`.
    trial_end_reason: Option<String>,
    /// Always `{}`.
    #[schema(value_type = Object)]
    custom_config: serde_json::Value,
}

fn tenant_info(t: &Workspace, m: &WorkspaceMembership) -> TenantInfo {
    TenantInfo {
        id: t.id.to_string(),
        name: t.name.clone(),
        plan: t.plan.clone(),
        status: t.status.as_str(),
        created_at: t.created_at.unix_timestamp(),
        role: m.role.as_str(),
        in_trial: None,
        trial_end_reason: None,
        custom_config: json!({}),
    }
}

/// One of the caller's workspaces.
#[derive(Serialize, ToSchema)]
struct WorkspaceItem {
    id: Uuid,
    name: String,
    plan: String,
    /// `normal` or `archive`.
    status: &'static str,
    /// Unix seconds.
    created_at: i64,
    /// The caller's current workspace.
    current: bool,
}

/// `{"workspaces": [workspace, …]}`.
#[derive(Serialize, ToSchema)]
struct WorkspaceList {
    workspaces: Vec<WorkspaceItem>,
}

/// `GET /workspaces`: the caller's workspaces.
#[utoipa::path(
    get,
    path = "/console/api/workspaces",
    tag = "workspaces",
    responses(
        (status = 200, description = "The caller's normal workspaces, oldest first.", body = WorkspaceList),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn list(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
) -> Result<HttpResponse, ConsoleError> {
    let workspaces = state.use_cases.list_workspaces(&me).await?;
    let items = workspaces
        .iter()
        .map(|(t, m)| WorkspaceItem {
            id: t.id,
            name: t.name.clone(),
            plan: t.plan.clone(),
            status: t.status.as_str(),
            created_at: t.created_at.unix_timestamp(),
            current: m.current,
        })
        .collect();
    Ok(HttpResponse::Ok().json(WorkspaceList { workspaces: items }))
}

/// `POST /workspaces/switch` body.
#[derive(Deserialize, ToSchema)]
#[schema(as = SwitchWorkspace)]
pub(super) struct SwitchBody {
    /// The workspace's id.
    tenant_id: String,
}

/// `{"result": "success", "new_tenant": tenant_info}`.
#[derive(Serialize, ToSchema)]
#[schema(as = SwitchedWorkspace)]
struct Switched {
    /// Always `success`.
    result: &'static str,
    /// The new current workspace.
    new_tenant: TenantInfo,
}

/// `POST /workspaces/switch {tenant_id}`: makes a workspace the caller's current one.
#[utoipa::path(
    post,
    path = "/console/api/workspaces/switch",
    tag = "workspaces",
    request_body = SwitchBody,
    responses(
        (status = 200, description = "Switched.", body = Switched),
        (status = 400, description = "`tenant_id` is missing.", body = BadRequestBody),
        (
            status = 403,
            description = "`account_not_link_tenant`: not an id of a normal workspace the caller is a member of.",
            body = ErrorBody
        ),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn switch(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    ConsoleJson(body): ConsoleJson<SwitchBody>,
) -> Result<HttpResponse, ConsoleError> {
    let not_linked =
        || ConsoleError::standard(StatusCode::FORBIDDEN, "account_not_link_tenant", "Account not link tenant.");
    let tenant_id = Uuid::parse_str(body.tenant_id.trim()).map_err(|_| not_linked())?;
    let (tenant, membership) = state.use_cases.switch_workspace(&me, tenant_id).await.map_err(|e| match e {
        DomainError::NotFound { .. } => not_linked(),
        other => other.into(),
    })?;
    Ok(HttpResponse::Ok().json(Switched { result: "success", new_tenant: tenant_info(&tenant, &membership) }))
}

/// `GET`/`POST /workspaces/current`: the current workspace's `tenant_info`.
#[utoipa::path(
    method(get, post),
    path = "/console/api/workspaces/current",
    tag = "workspaces",
    responses(
        (status = 200, description = "The caller's current workspace.", body = TenantInfo),
        (status = 404, description = "The caller has no normal workspace.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn current(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
) -> Result<HttpResponse, ConsoleError> {
    let (tenant, membership) = state.use_cases.current_workspace(&me).await?;
    Ok(HttpResponse::Ok().json(tenant_info(&tenant, &membership)))
}

/// A member of the current workspace.
#[derive(Serialize, ToSchema)]
#[schema(as = WorkspaceMember)]
struct Member {
    id: String,
    name: String,
    avatar: Option<String>,
    avatar_url: Option<String>,
    email: String,
    /// Unix seconds.
    last_login_at: Option<i64>,
    /// Unix seconds.
    last_active_at: Option<i64>,
    /// Unix seconds.
    created_at: i64,
    /// `owner`, `admin`, `editor`, `normal` or `dataset_operator`.
    role: &'static str,
    /// The account's status.
    status: &'static str,
}

/// `{"result": "success", "accounts": [member, …]}`.
#[derive(Serialize, ToSchema)]
#[schema(as = WorkspaceMembers)]
struct Members {
    /// Always `success`.
    result: &'static str,
    accounts: Vec<Member>,
}

/// `GET /workspaces/current/members`: the members of the current workspace.
#[utoipa::path(
    get,
    path = "/console/api/workspaces/current/members",
    tag = "workspaces",
    responses(
        (status = 200, description = "The members.", body = Members),
        (status = 404, description = "The caller has no normal workspace.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn members(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
) -> Result<HttpResponse, ConsoleError> {
    let members = state.use_cases.workspace_members(&me).await?;
    let render = Render::new(&state);
    let accounts = members
        .iter()
        .map(|(a, m)| {
            let f = render.fields(a);
            Member {
                id: f.id,
                name: f.name,
                avatar: f.avatar,
                avatar_url: f.avatar_url,
                email: f.email,
                last_login_at: f.last_login_at,
                last_active_at: a.last_active_at.map(|t| t.unix_timestamp()),
                created_at: f.created_at,
                role: m.role.as_str(),
                status: a.status.as_str(),
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(Members { result: "success", accounts }))
}

/// `{code, message}`: Dify's member-management error body (no `status`; hyphenated codes such as
/// `member-not-found`, `invalid-role`, `cannot-operate-self`). Validation failures of the body also have these
/// two fields.
#[derive(Serialize, ToSchema)]
struct MemberErrorBody<'a> {
    code: &'a str,
    message: &'a str,
}

/// Member-management errors as Dify answers them: plain `{code, message}` with hyphenated codes.
fn member_error(e: DomainError) -> ConsoleError {
    let body = |status: StatusCode, code: &str, message: &str| ConsoleError::Body {
        status,
        body: json!(MemberErrorBody { code, message }),
    };
    match e {
        DomainError::Forbidden(why) => body(StatusCode::FORBIDDEN, "forbidden", why),
        DomainError::NotFound { .. } => body(StatusCode::NOT_FOUND, "member-not-found", "Member not in tenant."),
        other => other.into(),
    }
}

fn member_id(raw: &str) -> Result<Uuid, ConsoleError> {
    Uuid::parse_str(raw).map_err(|_| member_error(DomainError::NotFound { entity: "workspace member" }))
}

/// `PUT /workspaces/current/members/{member_id}/update-role` body.
#[derive(Deserialize, ToSchema)]
#[schema(as = UpdateMemberRole)]
pub(super) struct RoleBody {
    /// `owner` (transfers ownership: the caller becomes `admin`), `admin`, `editor`, `normal` or
    /// `dataset_operator`.
    #[schema(example = "editor")]
    role: String,
}

/// `PUT /workspaces/current/members/{member_id}/update-role {role}`: owner only.
#[utoipa::path(
    put,
    path = "/console/api/workspaces/current/members/{member_id}/update-role",
    tag = "workspaces",
    params(("member_id" = uuid::Uuid, Path, description = "The member's account id.")),
    request_body = RoleBody,
    responses(
        (status = 200, description = "Changed (or already so).", body = Success),
        (
            status = 400,
            description = "`invalid-role`, `cannot-operate-self`, or `invalid_param` for a missing `role`.",
            body = MemberErrorBody
        ),
        (status = 403, description = "Only the workspace owner manages members.", body = MemberErrorBody),
        (
            status = 404,
            description = "`member-not-found`: not a member (or the caller has no workspace).",
            body = MemberErrorBody
        ),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn update_role(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    path: web::Path<String>,
    ConsoleJson(body): ConsoleJson<RoleBody>,
) -> Result<HttpResponse, ConsoleError> {
    let role = WorkspaceRole::parse(&body.role).ok_or_else(|| ConsoleError::Body {
        status: StatusCode::BAD_REQUEST,
        body: json!(MemberErrorBody { code: "invalid-role", message: "Invalid role" }),
    })?;
    state.use_cases.update_member_role(&me, member_id(&path)?, role).await.map_err(member_error)?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

/// `DELETE /workspaces/current/members/{member_id}`: owner only; `204`.
#[utoipa::path(
    delete,
    path = "/console/api/workspaces/current/members/{member_id}",
    tag = "workspaces",
    params(("member_id" = uuid::Uuid, Path, description = "The member's account id.")),
    responses(
        (status = 204, description = "Removed."),
        (status = 400, description = "`cannot-operate-self`.", body = MemberErrorBody),
        (
            status = 403,
            description = "Only the workspace owner, and not from a group's own workspace.",
            body = MemberErrorBody
        ),
        (
            status = 404,
            description = "`member-not-found`: not a member (or the caller has no workspace).",
            body = MemberErrorBody
        ),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn remove(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    state.use_cases.remove_member(&me, member_id(&path)?).await.map_err(member_error)?;
    Ok(HttpResponse::NoContent().finish())
}
