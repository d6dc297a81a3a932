//! `GET`/`POST /setup` and `GET /system-features`.

use actix_web::{web, HttpRequest, HttpResponse};
use domain::usecases::SetupCommand;
use domain::values::{DisplayName, EmailAddress, Password};
use domain::DomainError;
use serde::Deserialize;
use serde_json::json;
use time::macros::format_description;

use super::dto::SUCCESS;
use super::error::ConsoleError;
use super::extract::{body_error, client_ip, parse_json};
use crate::AppState;

/// `GET /setup`: `{"step":"finished","setup_at":…}` or `{"step":"not_started"}`.
pub(super) async fn status(state: web::Data<AppState>) -> Result<HttpResponse, ConsoleError> {
    Ok(match state.use_cases.setup_status().await? {
        Some(at) => {
            let iso = at
                .format(format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"))
                .map_err(DomainError::internal)?;
            HttpResponse::Ok().json(json!({"step": "finished", "setup_at": iso}))
        }
        None => HttpResponse::Ok().json(json!({"step": "not_started"})),
    })
}

#[derive(Deserialize)]
pub(super) struct SetupBody {
    email: String,
    name: String,
    password: String,
}

/// `POST /setup`: the first admin, its group and workspace; `201 {"result":"success"}`.
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

/// `GET /system-features`: the console's feature flags.
pub(super) async fn system_features(state: web::Data<AppState>) -> HttpResponse {
    let f = &state.features;
    HttpResponse::Ok().json(json!({
        "sso_enforced_for_signin": false,
        "sso_enforced_for_signin_protocol": "",
        "sso_enforced_for_web": false,
        "sso_enforced_for_web_protocol": "",
        "enable_web_sso_switch_component": false,
        "enable_marketplace": f.enable_marketplace,
        "max_plugin_package_size": f.max_plugin_package_size,
        "enable_email_code_login": f.enable_email_code_login,
        "enable_email_password_login": f.enable_email_password_login,
        "enable_social_oauth_login": f.enable_social_oauth_login,
        "is_allow_register": f.allow_register,
        "is_allow_create_workspace": f.allow_create_workspace,
        "is_email_setup": f.is_email_setup,
        "license": {"status": "none", "expired_at": ""},
        "is_public_deployment": f.is_public_deployment,
    }))
}
