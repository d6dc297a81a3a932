//! `POST /workspaces/current/members/invite-email`, `GET /activate/check`, `POST /activate`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use domain::model::{WireEnum, WorkspaceRole};
use domain::usecases::{Activation, InviteOutcome};
use domain::values::{parse_language, parse_timezone, DisplayName, EmailAddress};
use domain::DomainError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::dto::{SuccessWith, Tokens};
use super::error::{BadRequestBody, CodeMessage, ConsoleError, ErrorBody, SessionFailures};
use super::extract::{client_ip, language_or_default, Authenticated, ConsoleJson, ConsoleQuery, QueryParams};
use crate::common::routes::routes;
use crate::AppState;

routes! {
    post "/workspaces/current/members/invite-email" => invite,
    get "/activate/check" => check,
    post "/activate" => activate,
}

/// The operations of this module, for the API document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(invite, check, activate))]
pub(crate) struct ApiPaths;

/// `POST /workspaces/current/members/invite-email` body.
#[derive(Deserialize, ToSchema)]
#[schema(as = InviteMembers)]
pub(super) struct InviteBody {
    /// 1 to 100 addresses.
    emails: Vec<String>,
    /// The workspace role: `admin`, `editor`, `normal` or `dataset_operator`.
    #[schema(example = "normal")]
    role: String,
    /// The invitation mail's language; `en-US` when absent or empty.
    #[serde(default)]
    language: Option<String>,
}

/// The outcome of one address of an invitation.
#[derive(Serialize, ToSchema)]
struct InvitationResult {
    /// `success` (invited, or an existing account added) or `failed`.
    status: &'static str,
    email: String,
    /// With `success`: the activation link (or the sign-in page for an account that exists).
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    /// With `failed`: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'static str>,
}

/// `{"result": "success", "invitation_results": […]}`.
#[derive(Serialize, ToSchema)]
struct InvitationResults {
    /// Always `success`.
    result: &'static str,
    /// One per distinct address.
    invitation_results: Vec<InvitationResult>,
}

/// `POST /workspaces/current/members/invite-email {emails, role, language}`: `201 {"result":"success",
/// "invitation_results":[{status, email, url}]}`. The activation link is in the answer until invitation mail
/// is sent.
#[utoipa::path(
    post,
    path = "/console/api/workspaces/current/members/invite-email",
    tag = "invitations",
    request_body = InviteBody,
    responses(
        (status = 201, description = "The outcome per address.", body = InvitationResults),
        (
            status = 400,
            description = "A field is invalid (`invalid_param`, with `params`), or the role is (`invalid-role`).",
            body = CodeMessage
        ),
        (
            status = 403,
            description = "Only the workspace's owner or admins invite, and not into an archived group \
                (`forbidden`, without `status`).",
            body = CodeMessage
        ),
        (status = 404, description = "The caller has no current workspace.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
pub(super) async fn invite(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    ConsoleJson(body): ConsoleJson<InviteBody>,
) -> Result<HttpResponse, ConsoleError> {
    let role = WorkspaceRole::parse(&body.role)
        .filter(|r| *r != WorkspaceRole::Owner)
        .ok_or_else(|| ConsoleError::code_message(StatusCode::BAD_REQUEST, "invalid-role", "Invalid role"))?;
    let language = language_or_default(body.language.as_deref())?;
    let emails = body.emails.iter().map(|e| EmailAddress::parse("emails", e)).collect::<Result<Vec<_>, _>>()?;
    let outcomes = state.use_cases.invite_members(&me, &emails, role, language).await.map_err(|e| match e {
        DomainError::Forbidden(why) => ConsoleError::code_message(StatusCode::FORBIDDEN, "forbidden", why),
        other => other.into(),
    })?;
    let results: Vec<_> = outcomes
        .into_iter()
        .map(|o| match o {
            InviteOutcome::Invited { email, url } | InviteOutcome::Added { email, url } => {
                InvitationResult { status: "success", email, url: Some(url), message: None }
            }
            InviteOutcome::Refused { email } => InvitationResult {
                status: "failed",
                email,
                url: None,
                message: Some(
                    "This account is not a member of this workspace's group; a system administrator can add it.",
                ),
            },
        })
        .collect();
    Ok(HttpResponse::Created().json(InvitationResults { result: "success", invitation_results: results }))
}

/// The invitation of a valid activation link.
#[derive(Serialize, ToSchema)]
struct InvitationInfo {
    workspace_name: String,
    workspace_id: Uuid,
    /// The invited address.
    email: String,
}

/// `{"is_valid": true, "data": {…}}` or `{"is_valid": false}`.
#[derive(Serialize, ToSchema)]
struct InvitationCheck {
    is_valid: bool,
    /// With `is_valid` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<InvitationInfo>,
}

/// `GET /activate/check?token&email&workspace_id`: `{"is_valid": true, "data": {workspace_name, workspace_id,
/// email}}` or `{"is_valid": false}`.
#[utoipa::path(
    get,
    path = "/console/api/activate/check",
    tag = "invitations",
    params(
        ("token" = String, Query, description = "The invitation token of the activation link."),
        ("email" = Option<String>, Query, description = "When given, must be the invited address."),
        ("workspace_id" = Option<String>, Query, description = "When given, must be the invitation's workspace."),
    ),
    responses(
        (status = 200, description = "Whether the link is valid, and its invitation.", body = InvitationCheck),
        (status = 400, description = "`token` is missing, or `email` is invalid.", body = BadRequestBody),
        (status = 503, description = "The database is unavailable.", body = ErrorBody),
    )
)]
pub(super) async fn check(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ConsoleError> {
    let q = QueryParams::of(&req);
    let invalid = HttpResponse::Ok().json(InvitationCheck { is_valid: false, data: None });
    let Ok(token) = Uuid::parse_str(q.required("token")?.trim()) else { return Ok(invalid) };
    let email = q.get("email").filter(|e| !e.is_empty()).map(|e| EmailAddress::parse("email", e)).transpose()?;
    let Ok(workspace_id) = q.uuid("workspace_id") else { return Ok(invalid) };
    Ok(match state.use_cases.check_invitation(token, email.as_ref(), workspace_id).await? {
        Some((tenant, email)) => HttpResponse::Ok().json(InvitationCheck {
            is_valid: true,
            data: Some(InvitationInfo { workspace_name: tenant.name, workspace_id: tenant.id, email }),
        }),
        None => invalid,
    })
}

/// `POST /activate` body.
#[derive(Deserialize, ToSchema)]
#[schema(as = ActivateInvitation)]
pub(super) struct ActivateBody {
    /// When given, must be the invitation's workspace.
    #[serde(default)]
    workspace_id: Option<String>,
    /// When given, must be the invited address.
    #[serde(default)]
    email: Option<String>,
    /// The invitation token of the activation link.
    token: String,
    /// The account's display name.
    name: String,
    /// A supported interface language, such as `en-US`.
    interface_language: String,
    /// An IANA timezone, such as `Europe/Berlin`.
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
#[utoipa::path(
    post,
    path = "/console/api/activate",
    tag = "invitations",
    request_body = ActivateBody,
    responses(
        (status = 200, description = "The account is active; its first session's tokens.", body = SuccessWith<Tokens>),
        (status = 400, description = "The body is not JSON, or a field is invalid.", body = BadRequestBody),
        (
            status = 403,
            description = "The token is invalid or expired, or the account is already active (`already_activate`).",
            body = ErrorBody
        ),
        (status = 503, description = "The database is unavailable.", body = ErrorBody),
    )
)]
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
    Ok(HttpResponse::Ok()
        .json(SuccessWith::new(Tokens { access_token: pair.access_token, refresh_token: pair.refresh_token })))
}
