//! `GET`/`POST /setup` and `GET /system-features`.

use actix_web::{web, HttpRequest, HttpResponse};
use domain::usecases::SetupCommand;
use domain::values::{DisplayName, EmailAddress, Password};
use domain::DomainError;
use serde::{Deserialize, Serialize};
use time::macros::format_description;
use utoipa::ToSchema;

use super::dto::{Success, SUCCESS};
use super::error::{BadRequestBody, ConsoleError, ErrorBody};
use super::extract::{body_error, client_ip, parse_json};
use crate::common::routes::routes;
use crate::AppState;

routes! {
    get "/setup" => status,
    post "/setup" => setup,
    get "/system-features" => system_features,
}

/// The operations of this module, for the API document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(status, setup, system_features))]
pub(crate) struct ApiPaths;

/// `{"step": "finished", "setup_at": …}` or `{"step": "not_started"}`.
#[derive(Serialize, ToSchema)]
struct SetupStatus {
    /// `finished` or `not_started`.
    step: &'static str,
    /// When setup finished (`YYYY-MM-DDTHH:MM:SS`, no offset); absent before.
    #[serde(skip_serializing_if = "Option::is_none")]
    setup_at: Option<String>,
}

/// `GET /setup`: `{"step":"finished","setup_at":…}` or `{"step":"not_started"}`.
#[utoipa::path(
    get,
    path = "/console/api/setup",
    tag = "setup",
    responses(
        (status = 200, description = "Whether setup has finished, and when.", body = SetupStatus),
        (status = 503, description = "The database is unavailable.", body = ErrorBody),
    )
)]
pub(super) async fn status(state: web::Data<AppState>) -> Result<HttpResponse, ConsoleError> {
    Ok(match state.use_cases.setup_status().await? {
        Some(at) => {
            let iso = at
                .format(format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"))
                .map_err(DomainError::internal)?;
            HttpResponse::Ok().json(SetupStatus { step: "finished", setup_at: Some(iso) })
        }
        None => HttpResponse::Ok().json(SetupStatus { step: "not_started", setup_at: None }),
    })
}

/// `POST /setup` body: the first admin.
#[derive(Deserialize, ToSchema)]
#[schema(as = SetupAdmin)]
pub(super) struct SetupBody {
    email: String,
    name: String,
    /// A new password (the password rules apply).
    password: String,
}

/// `POST /setup`: the first admin, its group and workspace; `201 {"result":"success"}`.
#[utoipa::path(
    post,
    path = "/console/api/setup",
    tag = "setup",
    request_body = SetupBody,
    responses(
        (status = 201, description = "The admin, \"Default Group\" and the admin's workspace exist.", body = Success),
        (status = 400, description = "The body is not JSON, or a field is invalid.", body = BadRequestBody),
        (status = 403, description = "Setup has already been done (`already_setup`).", body = ErrorBody),
        (status = 503, description = "The database is unavailable.", body = ErrorBody),
    )
)]
pub(super) async fn setup(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, ConsoleError> {
    if state.use_cases.is_setup().await? {
        return Err(DomainError::AlreadySetup.into());
    }
    let bytes = body.map_err(body_error)?;
    let body: SetupBody = parse_json(&bytes)?;
    let command = SetupCommand {
        email: EmailAddress::parse("email", &body.email)?,
        name: DisplayName::parse("name", &body.name)?,
        password: Password::parse_new("password", &body.password)?,
        ip: client_ip(&req, state.trust_forwarded_headers),
    };
    state.use_cases.setup(command).await?;
    Ok(HttpResponse::Created().json(SUCCESS))
}

/// `{status, expired_at}` of the console's license (always `none` here).
#[derive(Serialize, ToSchema)]
#[schema(as = SystemFeaturesLicense)]
struct License {
    /// Always `none`.
    status: &'static str,
    /// Always empty.
    expired_at: &'static str,
}

/// The console's feature flags.
#[derive(Serialize, ToSchema)]
#[schema(as = SystemFeatures)]
struct FeatureFlags {
    /// Always `false`.
    sso_enforced_for_signin: bool,
    /// Always empty.
    sso_enforced_for_signin_protocol: &'static str,
    /// Always `false`.
    sso_enforced_for_web: bool,
    /// Always empty.
    sso_enforced_for_web_protocol: &'static str,
    /// Always `false`.
    enable_web_sso_switch_component: bool,
    enable_marketplace: bool,
    /// Bytes.
    max_plugin_package_size: u64,
    enable_email_code_login: bool,
    enable_email_password_login: bool,
    /// A GitHub, Google or OpenID Connect provider is configured.
    enable_social_oauth_login: bool,
    /// Unknown addresses may sign up (by mailed code or through a provider).
    is_allow_register: bool,
    /// Accounts without a workspace may create one.
    is_allow_create_workspace: bool,
    /// Mail really leaves the system.
    is_email_setup: bool,
    license: License,
    /// The self-registration endpoints are open.
    is_public_deployment: bool,
}

/// `GET /system-features`: the console's feature flags.
#[utoipa::path(
    get,
    path = "/console/api/system-features",
    tag = "setup",
    responses((status = 200, description = "The feature flags.", body = FeatureFlags))
)]
pub(super) async fn system_features(state: web::Data<AppState>) -> HttpResponse {
    let f = &state.features;
    HttpResponse::Ok().json(FeatureFlags {
        sso_enforced_for_signin: false,
        sso_enforced_for_signin_protocol: "",
        sso_enforced_for_web: false,
        sso_enforced_for_web_protocol: "",
        enable_web_sso_switch_component: false,
        enable_marketplace: f.enable_marketplace,
        max_plugin_package_size: f.max_plugin_package_size,
        enable_email_code_login: f.enable_email_code_login,
        enable_email_password_login: f.enable_email_password_login,
        enable_social_oauth_login: f.enable_social_oauth_login,
        is_allow_register: f.allow_register,
        is_allow_create_workspace: f.allow_create_workspace,
        is_email_setup: f.is_email_setup,
        license: License { status: "none", expired_at: "" },
        is_public_deployment: f.is_public_deployment,
    })
}
