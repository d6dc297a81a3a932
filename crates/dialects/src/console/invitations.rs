//! `POST /workspaces/current/members/invite-email`, `GET /activate/check`, `POST /activate`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use domain::model::{WireEnum, WorkspaceRole};
use domain::usecases::{Activation, InviteOutcome};
use domain::values::{parse_language, parse_timezone, DisplayName, EmailAddress};
use domain::DomainError;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::error::ConsoleError;
use super::extract::{client_ip, language_or_default, ConsoleJson, ConsoleQuery, QueryParams};
use super::{dto, extract::Authenticated};
use crate::AppState;

/// Registers the routes (under `/console/api`).
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/workspaces/current/members/invite-email", web::post().to(invite))
        .route("/activate/check", web::get().to(check))
        .route("/activate", web::post().to(activate));
}

#[derive(Deserialize)]
pub(super) struct InviteBody {
    emails: Vec<String>,
    role: String,
    #[serde(default)]
    language: Option<String>,
}

/// `POST /workspaces/current/members/invite-email {emails, role, language}`: `201 {"result":"success",
/// "invitation_results":[{status, email, url}]}`. The activation link is in the answer until invitation mail
/// is sent.
pub(super) async fn invite(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    ConsoleJson(body): ConsoleJson<InviteBody>,
) -> Result<HttpResponse, ConsoleError> {
    let role =
        WorkspaceRole::parse(&body.role).filter(|r| *r != WorkspaceRole::Owner).ok_or_else(|| ConsoleError::Body {
            status: StatusCode::BAD_REQUEST,
            body: json!({"code": "invalid-role", "message": "Invalid role"}),
        })?;
    let language = language_or_default(body.language.as_deref())?;
    let emails = body.emails.iter().map(|e| EmailAddress::parse("emails", e)).collect::<Result<Vec<_>, _>>()?;
    let outcomes = state.use_cases.invite_members(&me, &emails, role, language).await.map_err(|e| match e {
        DomainError::Forbidden(why) => {
            ConsoleError::Body { status: StatusCode::FORBIDDEN, body: json!({"code": "forbidden", "message": why}) }
        }
        other => other.into(),
    })?;
    let results: Vec<_> = outcomes
        .iter()
        .map(|o| match o {
            InviteOutcome::Invited { email, url } | InviteOutcome::Added { email, url } => {
                json!({"status": "success", "email": email, "url": url})
            }
            InviteOutcome::Refused { email } => json!({
                "status": "failed",
                "email": email,
                "message": "This account is not a member of this workspace's group; a system administrator can add it.",
            }),
        })
        .collect();
    Ok(HttpResponse::Created().json(json!({"result": "success", "invitation_results": results})))
}

/// `GET /activate/check?token&email&workspace_id`: `{"is_valid": true, "data": {workspace_name, workspace_id,
/// email}}` or `{"is_valid": false}`, always 200.
pub(super) async fn check(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ConsoleError> {
    let q = QueryParams::of(&req);
    let invalid = HttpResponse::Ok().json(json!({"is_valid": false}));
    let Ok(token) = Uuid::parse_str(q.required("token")?.trim()) else { return Ok(invalid) };
    let email = q.get("email").filter(|e| !e.is_empty()).map(|e| EmailAddress::parse("email", e)).transpose()?;
    let Ok(workspace_id) = q.uuid("workspace_id") else { return Ok(invalid) };
    Ok(match state.use_cases.check_invitation(token, email.as_ref(), workspace_id).await? {
        Some((tenant, email)) => HttpResponse::Ok().json(json!({
            "is_valid": true,
            "data": {"workspace_name": tenant.name, "workspace_id": tenant.id, "email": email},
        })),
        None => invalid,
    })
}

#[derive(Deserialize)]
pub(super) struct ActivateBody {
    #[serde(default)]
    workspace_id: Option<String>,
    #[serde(default)]
    email: Option<String>,
    token: String,
    name: String,
    interface_language: String,
    timezone: String,
}

fn already_activated() -> ConsoleError {
    ConsoleError::standard(
        StatusCode::FORBIDDEN,
        "already_activate",
        "Auth Token is invalid or account already activated, please check again.",
    )
}

/// `POST /activate`: activates the invited account and signs it in.
pub(super) async fn activate(
    state: web::Data<AppState>,
    req: HttpRequest,
    ConsoleJson(body): ConsoleJson<ActivateBody>,
) -> Result<HttpResponse, ConsoleError> {
    let name = DisplayName::parse("name", &body.name)?;
    let language = parse_language("interface_language", &body.interface_language)?;
    let timezone = parse_timezone("timezone", &body.timezone)?;
    let token = Uuid::parse_str(body.token.trim()).map_err(|_| already_activated())?;
    let email = body.email.as_deref().filter(|e| !e.is_empty()).map(|e| EmailAddress::parse("email", e)).transpose()?;
    let workspace_id = match body.workspace_id.as_deref().filter(|w| !w.is_empty()) {
        Some(w) => Some(Uuid::parse_str(w.trim()).map_err(|_| already_activated())?),
        None => None,
    };
    let command = Activation {
        token,
        email,
        workspace_id,
        name,
        language,
        timezone,
        ip: client_ip(&req, state.trust_forwarded_headers),
    };
    let pair = state.use_cases.activate(command).await.map_err(|e| match e {
        DomainError::InvalidInvitation => already_activated(),
        other => other.into(),
    })?;
    Ok(HttpResponse::Ok().json(dto::SuccessWith::new(dto::Tokens {
        access_token: pair.access_token,
        refresh_token: pair.refresh_token,
    })))
}
