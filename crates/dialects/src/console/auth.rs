//! `POST /login`, `POST /refresh-token`, `GET`/`POST /logout`.

use actix_web::{web, HttpRequest, HttpResponse};
use domain::model::TokenPair;
use domain::usecases::LoginCommand;
use domain::values::{EmailAddress, Password};
use domain::DomainError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::{Success, SuccessWith, Tokens, SUCCESS};
use super::error::{BadRequestBody, ConsoleError, ErrorBody, SessionFailures, SignInForbidden, StepRequired};
use super::extract::{body_error, client_ip, parse_json, Authenticated, ConsoleJson};
use crate::common::routes::routes;
use crate::AppState;

routes! {
    post "/login" => login,
    post "/login/password-change" => change_required_password,
    post "/refresh-token" => refresh,
    get "/logout" => logout,
    post "/logout" => logout,
}

/// The operations of this module, for the API document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(login, change_required_password, refresh, logout))]
pub(crate) struct ApiPaths;

/// `{"result": "fail", "data": "<why>"}`: a refused sign-in step (no workspace, a bad refresh token).
#[derive(Serialize, ToSchema)]
#[schema(as = FailResult)]
struct Fail {
    /// Always `fail`.
    result: &'static str,
    /// Why.
    data: &'static str,
}

/// What `POST /login` answers with status 200.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[schema(as = LoginAnswer)]
#[allow(dead_code, reason = "describes the handler's answers, for the API document")]
enum LoginAnswer {
    /// Signed in: `{"result": "success", "data": {access_token, refresh_token}}`.
    SignedIn(SuccessWith<Tokens>),
    /// A second factor must be entered or enrolled first.
    NextStep(StepRequired),
    /// The account has no workspace to enter.
    NoWorkspace(Fail),
}

/// What a sign-in step answers with status 200: the tokens, or the next step to take.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[schema(as = SignInAnswer)]
#[allow(dead_code, reason = "describes the handler's answers, for the API document")]
enum SignInAnswer {
    /// Signed in: `{"result": "success", "data": {access_token, refresh_token}}`.
    SignedIn(SuccessWith<Tokens>),
    /// A second factor must be enrolled first.
    NextStep(StepRequired),
}

fn tokens(pair: TokenPair) -> SuccessWith<Tokens> {
    SuccessWith::new(Tokens { access_token: pair.access_token, refresh_token: pair.refresh_token })
}

/// `POST /login` body.
#[derive(Deserialize, ToSchema)]
#[schema(as = Login)]
pub(super) struct LoginBody {
    email: String,
    password: String,
    /// Accepted and ignored.
    #[serde(default)]
    #[expect(dead_code, reason = "sent by the console UI, checked for its type, not used")]
    remember_me: Option<bool>,
    /// Accepted and ignored.
    #[serde(default)]
    #[expect(dead_code, reason = "sent by the console UI, checked for its type, not used")]
    invite_token: Option<String>,
    /// Accepted and ignored.
    #[serde(default)]
    #[expect(dead_code, reason = "sent by the console UI, checked for its type, not used")]
    language: Option<String>,
}

/// `POST /login`: `{"result":"success","data":{access_token, refresh_token}}`, or the next sign-in step.
#[utoipa::path(
    post,
    path = "/console/api/login",
    tag = "sign-in",
    request_body = LoginBody,
    responses(
        (
            status = 200,
            description = "The tokens; or `mfa_required` / `mfa_enrollment_required` with a token for the second \
                step; or `{\"result\": \"fail\", \"data\": …}` when the account has no workspace.",
            body = LoginAnswer
        ),
        (
            status = 400,
            description = "A field is invalid, or `email_or_password_mismatch`, `account_not_found`, \
                `account_banned`.",
            body = BadRequestBody
        ),
        (status = 401, description = "Setup has not been done (`not_setup`).", body = ErrorBody),
        (
            status = 403,
            description = "`console_login_disabled`, or `password_change_required` with a `change_token`.",
            body = SignInForbidden
        ),
        (
            status = 429,
            description = "Too many wrong passwords for this address (`email_code_login_limit`).",
            body = ErrorBody
        ),
        (status = 503, description = "The database is unavailable.", body = ErrorBody),
    )
)]
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
        Err(DomainError::NoWorkspace) => Ok(HttpResponse::Ok().json(Fail {
            result: "fail",
            data: "workspace not found, please contact system admin to invite you to join in a workspace",
        })),
        Err(e) => Err(e.into()),
    }
}

/// `POST /login/password-change` body.
#[derive(Deserialize, ToSchema)]
#[schema(as = RequiredPasswordChange)]
pub(super) struct PasswordChangeBody {
    /// The `change_token` of the `password_change_required` answer.
    change_token: String,
    /// The new password (the password rules apply; it must differ from the current one).
    new_password: String,
    /// When given, must equal `new_password`.
    password_confirm: Option<String>,
}

/// `POST /login/password-change {change_token, new_password, password_confirm?}`: the second step of a login
/// that answered `password_change_required` → the tokens of a new session.
#[utoipa::path(
    post,
    path = "/console/api/login/password-change",
    tag = "sign-in",
    request_body = PasswordChangeBody,
    responses(
        (
            status = 200,
            description = "The tokens, or `mfa_enrollment_required` when a second factor must be enrolled first.",
            body = SignInAnswer
        ),
        (
            status = 400,
            description = "A field is invalid, or `password_mismatch`, `account_banned`, \
                `not_allowed_create_workspace`.",
            body = BadRequestBody
        ),
        (status = 401, description = "The change token is invalid, expired or was used.", body = ErrorBody),
        (status = 403, description = "Console login is disabled for the account.", body = ErrorBody),
        (status = 503, description = "The database is unavailable.", body = ErrorBody),
    )
)]
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

/// `POST /refresh-token` body.
#[derive(Deserialize, ToSchema)]
#[schema(as = RefreshToken)]
pub(super) struct RefreshBody {
    /// The refresh token of the session.
    refresh_token: String,
}

/// `POST /refresh-token`: a new pair; a refused token is `401 {"result":"fail","data":…}`.
#[utoipa::path(
    post,
    path = "/console/api/refresh-token",
    tag = "sign-in",
    request_body = RefreshBody,
    responses(
        (status = 200, description = "A new token pair (the old refresh token is spent).", body = SuccessWith<Tokens>),
        (status = 400, description = "The body is not JSON, or a field is invalid.", body = BadRequestBody),
        (
            status = 401,
            description = "The refresh token is unknown, expired, revoked or was reused (`Invalid refresh token`).",
            body = Fail
        ),
        (status = 503, description = "The database is unavailable.", body = ErrorBody),
    )
)]
pub(super) async fn refresh(
    state: web::Data<AppState>,
    ConsoleJson(body): ConsoleJson<RefreshBody>,
) -> Result<HttpResponse, ConsoleError> {
    let pair = state.use_cases.refresh(&body.refresh_token).await?;
    Ok(HttpResponse::Ok().json(tokens(pair)))
}

/// `GET`/`POST /logout` body (optional).
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = Logout)]
pub(super) struct LogoutBody {
    /// The session to end; the latest session of the caller when absent or unknown.
    #[serde(default)]
    refresh_token: Option<String>,
}

/// `GET`/`POST /logout`: ends the session of the given refresh token, else the latest one.
#[utoipa::path(
    method(get, post),
    path = "/console/api/logout",
    tag = "sign-in",
    request_body = Option<LogoutBody>,
    responses(
        (status = 200, description = "The session has ended.", body = Success),
        (status = 400, description = "The body is not valid JSON or a field is invalid.", body = BadRequestBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
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
