//! `/workspaces…`: the Dify workspace endpoints the console needs around groups: the caller's workspaces,
//! switching, the current workspace, its members, role changes and removal.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use domain::model::{WireEnum, Workspace, WorkspaceMembership, WorkspaceRole};
use domain::DomainError;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::dto::{Render, SUCCESS};
use super::error::ConsoleError;
use super::extract::{Authenticated, ConsoleJson};
use crate::AppState;

/// Registers the routes (under `/console/api`).
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/workspaces", web::get().to(list))
        .route("/workspaces/switch", web::post().to(switch))
        .route("/workspaces/current", web::get().to(current))
        .route("/workspaces/current", web::post().to(current))
        .route("/workspaces/current/members", web::get().to(members))
        .route("/workspaces/current/members/{member_id}/update-role", web::put().to(update_role))
        .route("/workspaces/current/members/{member_id}", web::delete().to(remove));
}

/// Dify's `tenant_info`.
#[derive(Serialize)]
pub struct TenantInfo {
    id: String,
    name: String,
    plan: String,
    status: &'static str,
    created_at: i64,
    role: &'static str,
    in_trial: Option<bool>,
    trial_end_reason: Option<String>,
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

/// `GET /workspaces`: `{"workspaces": [{id, name, plan, status, created_at, current}]}`.
pub(super) async fn list(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
) -> Result<HttpResponse, ConsoleError> {
    let workspaces = state.use_cases.list_workspaces(&me).await?;
    let items: Vec<_> = workspaces
        .iter()
        .map(|(t, m)| {
            json!({"id": t.id, "name": t.name, "plan": t.plan, "status": t.status.as_str(),
                   "created_at": t.created_at.unix_timestamp(), "current": m.current})
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"workspaces": items})))
}

#[derive(Deserialize)]
pub(super) struct SwitchBody {
    tenant_id: String,
}

/// `POST /workspaces/switch {tenant_id}`: `{"result":"success","new_tenant": tenant_info}`.
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
    Ok(HttpResponse::Ok().json(json!({"result": "success", "new_tenant": tenant_info(&tenant, &membership)})))
}

/// `GET`/`POST /workspaces/current`: the current workspace's `tenant_info`.
pub(super) async fn current(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
) -> Result<HttpResponse, ConsoleError> {
    let (tenant, membership) = state.use_cases.current_workspace(&me).await?;
    Ok(HttpResponse::Ok().json(tenant_info(&tenant, &membership)))
}

/// `GET /workspaces/current/members`: `{"result":"success","accounts":[…]}`.
pub(super) async fn members(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
) -> Result<HttpResponse, ConsoleError> {
    let members = state.use_cases.workspace_members(&me).await?;
    let render = Render::new(&state);
    let accounts: Vec<_> = members
        .iter()
        .map(|(a, m)| {
            let f = render.fields(a);
            json!({"id": f.id, "name": f.name, "avatar": f.avatar, "avatar_url": f.avatar_url, "email": f.email,
                   "last_login_at": f.last_login_at, "last_active_at": a.last_active_at.map(|t| t.unix_timestamp()),
                   "created_at": f.created_at, "role": m.role.as_str(), "status": a.status.as_str()})
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"result": "success", "accounts": accounts})))
}

/// Member-management errors as Dify answers them: plain `{code, message}` with hyphenated codes.
fn member_error(e: DomainError) -> ConsoleError {
    let body = |status: StatusCode, code: &str, message: &str| ConsoleError::Body {
        status,
        body: json!({"code": code, "message": message}),
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

#[derive(Deserialize)]
pub(super) struct RoleBody {
    role: String,
}

/// `PUT /workspaces/current/members/{member_id}/update-role {role}`: owner only.
pub(super) async fn update_role(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    path: web::Path<String>,
    ConsoleJson(body): ConsoleJson<RoleBody>,
) -> Result<HttpResponse, ConsoleError> {
    let role = WorkspaceRole::parse(&body.role).ok_or_else(|| ConsoleError::Body {
        status: StatusCode::BAD_REQUEST,
        body: json!({"code": "invalid-role", "message": "Invalid role"}),
    })?;
    state.use_cases.update_member_role(&me, member_id(&path)?, role).await.map_err(member_error)?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

/// `DELETE /workspaces/current/members/{member_id}`: owner only; `204`.
pub(super) async fn remove(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    state.use_cases.remove_member(&me, member_id(&path)?).await.map_err(member_error)?;
    Ok(HttpResponse::NoContent().finish())
}
