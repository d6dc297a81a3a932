//! `POST /login`, `POST /refresh-token`, `GET`/`POST /logout`.

use actix_web::{web, HttpRequest, HttpResponse};
use domain::model::TokenPair;
use domain::usecases::LoginCommand;
use domain::values::{EmailAddress, Password};
use domain::DomainError;
use serde::Deserialize;
use serde_json::json;

use super::dto::{SuccessWith, Tokens, SUCCESS};
use super::error::ConsoleError;
use super::extract::{body_error, client_ip, parse_json, Authenticated, ConsoleJson};
use crate::AppState;

fn tokens(pair: TokenPair) -> SuccessWith<Tokens> {
    SuccessWith::new(Tokens { access_token: pair.access_token, refresh_token: pair.refresh_token })
}

#[derive(Deserialize)]
pub(super) struct LoginBody {
    email: String,
    password: String,
    #[serde(default)]
    #[expect(dead_code, reason = "sent by the console UI, checked for its type, not used")]
    remember_me: Option<bool>,
    #[serde(default)]
    #[expect(dead_code, reason = "sent by the console UI, checked for its type, not used")]
    invite_token: Option<String>,
    #[serde(default)]
    #[expect(dead_code, reason = "sent by the console UI, checked for its type, not used")]
    language: Option<String>,
}

/// `POST /login`: `{"result":"success","data":{access_token, refresh_token}}`.
pub(super) async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    ConsoleJson(body): ConsoleJson<LoginBody>,
) -> Result<HttpResponse, ConsoleError> {
    state.use_cases.require_setup().await?;
    let command = LoginCommand {
        email: EmailAddress::parse("email", &body.email)?,
        password: Password::parse_any("password", &body.password)?,
        ip: client_ip(&req, state.trust_forwarded_headers),
    };
    match state.use_cases.login(command).await {
        Ok(pair) => Ok(HttpResponse::Ok().json(tokens(pair))),
        Err(DomainError::NoWorkspace) => Ok(HttpResponse::Ok().json(json!({
            "result": "fail",
            "data": "workspace not found, please contact system admin to invite you to join in a workspace",
        }))),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(super) struct PasswordChangeBody {
    change_token: String,
    new_password: String,
    password_confirm: Option<String>,
}

/// `POST /login/password-change {change_token, new_password, password_confirm?}`: the second step of a login
/// that answered `password_change_required` → the tokens of a new session.
pub(super) async fn change_required_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    ConsoleJson(body): ConsoleJson<PasswordChangeBody>,
) -> Result<HttpResponse, ConsoleError> {
    let password = Password::parse_new("new_password", &body.new_password)?;
    if body.password_confirm.as_ref().is_some_and(|c| *c != body.new_password) {
        return Err(DomainError::PasswordMismatch.into());
    }
    let ip = client_ip(&req, state.trust_forwarded_headers);
    let pair = state.use_cases.change_required_password(&body.change_token, &password, ip).await?;
    Ok(HttpResponse::Ok().json(tokens(pair)))
}

#[derive(Deserialize)]
pub(super) struct RefreshBody {
    refresh_token: String,
}

/// `POST /refresh-token`: a new pair; any failure is `401 {"result":"fail","data":…}`.
pub(super) async fn refresh(
    state: web::Data<AppState>,
    ConsoleJson(body): ConsoleJson<RefreshBody>,
) -> Result<HttpResponse, ConsoleError> {
    let pair = state.use_cases.refresh(&body.refresh_token).await?;
    Ok(HttpResponse::Ok().json(tokens(pair)))
}

#[derive(Deserialize, Default)]
pub(super) struct LogoutBody {
    #[serde(default)]
    refresh_token: Option<String>,
}

/// `GET`/`POST /logout`: ends the session of the given refresh token, else the latest one.
pub(super) async fn logout(
    state: web::Data<AppState>,
    Authenticated(account): Authenticated,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, ConsoleError> {
    let bytes = body.map_err(body_error)?;
    let body: LogoutBody =
        if bytes.iter().all(u8::is_ascii_whitespace) { LogoutBody::default() } else { parse_json(&bytes)? };
    state.use_cases.logout(&account, body.refresh_token.as_deref()).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}
