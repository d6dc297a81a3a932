//! Mailed-code flows — `POST /forgot-password`, `/forgot-password/validity`, `/forgot-password/resets`,
//! `POST /register`, `/register/validity`, `/register/finish` — and the admin help for users without mail:
//! `POST /account-ex/reset-password?id=`, `POST /account-ex/unlock?id=`, and the outbox view
//! `GET /mail-outbox`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use domain::model::{CodePurpose, OutboxMail, OutboxState, TokenPair, WireEnum};
use domain::usecases::{Actor, CodeRedemption, CodeRequest};
use domain::values::{DisplayName, EmailAddress, Password};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::{Paginated, Success, SuccessWith, Tokens, SUCCESS};
use super::error::{BadRequestBody, ConsoleError, ErrorBody, SessionFailures};
use super::extract::{client_ip, language_or_default, one_of, Authenticated, ConsoleJson, ConsoleQuery, QueryParams};
use crate::common::request_id::RequestId;
use crate::common::routes::routes;
use crate::AppState;

routes! {
    post "/forgot-password" => forgot_password,
    post "/forgot-password/validity" => forgot_password_validity,
    post "/forgot-password/resets" => forgot_password_resets,
    post "/register" => register,
    post "/register/validity" => register_validity,
    post "/register/finish" => register_finish,
    post "/account-ex/reset-password" => admin_reset_password,
    post "/account-ex/unlock" => admin_unlock,
    get "/mail-outbox" => outbox,
}

/// The operations of this module, for the API document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    forgot_password,
    forgot_password_validity,
    forgot_password_resets,
    register,
    register_validity,
    register_finish,
    admin_reset_password,
    admin_unlock,
    outbox
))]
pub(crate) struct ApiPaths;

fn tokens(pair: TokenPair) -> HttpResponse {
    HttpResponse::Ok()
        .json(SuccessWith::new(Tokens { access_token: pair.access_token, refresh_token: pair.refresh_token }))
}

/// `POST /forgot-password` and `POST /register` body.
#[derive(Deserialize, ToSchema)]
#[schema(as = MailCodeRequest)]
pub(super) struct CodeRequestBody {
    /// Where the code goes.
    email: String,
    /// The mail's language (a supported interface language); `en-US` when absent or empty.
    #[serde(default)]
    language: Option<String>,
}

impl CodeRequestBody {
    /// After the setup check: the address, the mail's language and the client address.
    async fn parse(
        &self,
        state: &AppState,
        req: &HttpRequest,
    ) -> Result<(EmailAddress, &'static str, Option<String>), ConsoleError> {
        state.use_cases.require_setup().await?;
        let email = EmailAddress::parse("email", &self.email)?;
        let language = language_or_default(self.language.as_deref())?;
        Ok((email, language, client_ip(req, state.trust_forwarded_headers)))
    }
}

/// `{"result": "success", "data": "<token>"}`, or under `DANGER_REVEAL_UNKNOWN_ACCOUNTS` for an unknown address
/// `{"result": "fail", "data": "<token>", "code": "account_not_found"}`.
#[derive(Serialize, ToSchema)]
#[schema(as = PasswordResetRequested)]
struct CodeSent {
    /// `success`, or `fail` for an unknown address (revealed).
    result: &'static str,
    /// The token of the code, for the next step.
    data: String,
    /// `account_not_found` with `fail`.
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'static str>,
}

/// `POST /forgot-password`: `{"result":"success","data":"<token>"}`, for known and unknown addresses alike.
#[utoipa::path(
    post,
    path = "/console/api/forgot-password",
    tag = "mail codes",
    request_body = CodeRequestBody,
    responses(
        (status = 200, description = "A code mail is on its way (a notice for unknown addresses).", body = CodeSent),
        (
            status = 400,
            description = "A field is invalid, or `account_not_found` (only under `DANGER_REVEAL_UNKNOWN_ACCOUNTS` \
                with registration closed).",
            body = BadRequestBody
        ),
        (status = 401, description = "Setup has not been done (`not_setup`).", body = ErrorBody),
        (
            status = 429,
            description = "Too many mails from this client (`email_send_ip_limit`) or to this address \
                (`password_reset_rate_limit_exceeded`).",
            body = ErrorBody
        ),
        (status = 503, description = "The database is unavailable.", body = ErrorBody),
    )
)]
async fn forgot_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    ConsoleJson(body): ConsoleJson<CodeRequestBody>,
) -> Result<HttpResponse, ConsoleError> {
    let (email, language, ip) = body.parse(&state, &req).await?;
    Ok(match state.use_cases.request_password_reset(&email, language, ip.as_deref()).await? {
        CodeRequest::Sent { token } => HttpResponse::Ok().json(CodeSent { result: "success", data: token, code: None }),
        CodeRequest::SentToUnknownAccount { token } => {
            HttpResponse::Ok().json(CodeSent { result: "fail", data: token, code: Some("account_not_found") })
        }
    })
}

/// `POST /register`: `{"result":"success","data":"<token>"}` (public deployments only).
#[utoipa::path(
    post,
    path = "/console/api/register",
    tag = "mail codes",
    request_body = CodeRequestBody,
    responses(
        (
            status = 200,
            description = "A code mail is on its way (a notice for taken addresses); `data` is the token.",
            body = SuccessWith<String>
        ),
        (
            status = 400,
            description = "A field is invalid, or `user_register_failed` (a taken address, only under \
                `DANGER_REVEAL_UNKNOWN_ACCOUNTS`).",
            body = BadRequestBody
        ),
        (status = 401, description = "Setup has not been done (`not_setup`).", body = ErrorBody),
        (status = 403, description = "Registration is closed (not a public deployment).", body = ErrorBody),
        (
            status = 429,
            description = "Too many mails from this client (`email_send_ip_limit`) or to this address \
                (`password_reset_rate_limit_exceeded`).",
            body = ErrorBody
        ),
        (status = 503, description = "The database is unavailable.", body = ErrorBody),
    )
)]
async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    ConsoleJson(body): ConsoleJson<CodeRequestBody>,
) -> Result<HttpResponse, ConsoleError> {
    let (email, language, ip) = body.parse(&state, &req).await?;
    let token = state.use_cases.request_registration(&email, language, ip.as_deref()).await?;
    Ok(HttpResponse::Ok().json(SuccessWith::new(token)))
}

/// The body of the code checks `POST /forgot-password/validity` and `POST /register/validity`.
#[derive(Deserialize, ToSchema)]
#[schema(as = MailCodeCheck)]
pub(super) struct ValidityBody {
    /// The address the code went to.
    email: String,
    /// The six digits of the mail.
    #[schema(example = "123456")]
    code: String,
    /// The token of the code request.
    token: String,
}

/// `{"is_valid": true, "email": …}`.
#[derive(Serialize, ToSchema)]
#[schema(as = MailCodeValid)]
struct CodeValid {
    /// Always `true` (a wrong code is an error).
    is_valid: bool,
    /// The address, as the code request stored it.
    email: String,
}

/// Step 2 of both flows: `{"is_valid":true,"email":…}`.
async fn check_code(state: &AppState, purpose: CodePurpose, body: ValidityBody) -> Result<HttpResponse, ConsoleError> {
    state.use_cases.require_setup().await?;
    let email = EmailAddress::parse("email", &body.email)?;
    let code = body.code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ConsoleError::param("code", "The code must be the 6 digits from the mail."));
    }
    let email = state.use_cases.verify_code(purpose, &email, code, &body.token).await?;
    Ok(HttpResponse::Ok().json(CodeValid { is_valid: true, email }))
}

/// `POST /forgot-password/validity`: checks the mailed code of a password reset.
#[utoipa::path(
    post,
    path = "/console/api/forgot-password/validity",
    tag = "mail codes",
    request_body = ValidityBody,
    responses(
        (status = 200, description = "The code is right; the token may now be redeemed.", body = CodeValid),
        (
            status = 400,
            description = "A field is invalid, or the token is invalid or expired (`invalid_or_expired_token`), \
                is for another address (`invalid_email`), or the code is wrong (`email_code_error`).",
            body = BadRequestBody
        ),
        (status = 401, description = "Setup has not been done (`not_setup`).", body = ErrorBody),
        (
            status = 429,
            description = "Too many wrong codes for this address (`email_password_reset_limit`).",
            body = ErrorBody
        ),
        (status = 503, description = "The database is unavailable.", body = ErrorBody),
    )
)]
async fn forgot_password_validity(
    state: web::Data<AppState>,
    ConsoleJson(body): ConsoleJson<ValidityBody>,
) -> Result<HttpResponse, ConsoleError> {
    check_code(&state, CodePurpose::ResetPassword, body).await
}

/// `POST /register/validity`: checks the mailed code of a registration.
#[utoipa::path(
    post,
    path = "/console/api/register/validity",
    tag = "mail codes",
    request_body = ValidityBody,
    responses(
        (status = 200, description = "The code is right; the token may now be redeemed.", body = CodeValid),
        (
            status = 400,
            description = "A field is invalid, or the token is invalid or expired (`invalid_or_expired_token`), \
                is for another address (`invalid_email`), or the code is wrong (`email_code_error`).",
            body = BadRequestBody
        ),
        (status = 401, description = "Setup has not been done (`not_setup`).", body = ErrorBody),
        (
            status = 429,
            description = "Too many wrong codes for this address (`email_password_reset_limit`).",
            body = ErrorBody
        ),
        (status = 503, description = "The database is unavailable.", body = ErrorBody),
    )
)]
async fn register_validity(
    state: web::Data<AppState>,
    ConsoleJson(body): ConsoleJson<ValidityBody>,
) -> Result<HttpResponse, ConsoleError> {
    check_code(&state, CodePurpose::Register, body).await
}

/// The body of `POST /forgot-password/resets` and `POST /register/finish`: the new password as `new_password`
/// or `password`.
#[derive(Deserialize, ToSchema)]
#[schema(as = MailCodeRedemption)]
pub(super) struct RedemptionBody {
    /// The token of the checked code.
    token: String,
    /// When given, must be the code's address.
    #[serde(default)]
    email: Option<String>,
    /// The new account's name (registration; the address's local part when absent).
    #[serde(default)]
    name: Option<String>,
    /// zgi-next's name of the new password.
    #[serde(default)]
    password: Option<String>,
    /// Dify's name of the new password.
    #[serde(default)]
    new_password: Option<String>,
    /// Must equal the new password.
    password_confirm: String,
}

impl RedemptionBody {
    /// After the setup check: the redemption command.
    async fn into_command(self, req: &HttpRequest, state: &AppState) -> Result<CodeRedemption, ConsoleError> {
        state.use_cases.require_setup().await?;
        let (field, raw): (&'static str, String) = match (self.new_password, self.password) {
            (Some(p), _) => ("new_password", p),
            (None, Some(p)) => ("password", p),
            (None, None) => return Err(ConsoleError::param("password", "Missing required parameter in the JSON body")),
        };
        Ok(CodeRedemption {
            password: Password::parse_new(field, &raw)?,
            password_confirm: self.password_confirm,
            email: self.email.filter(|e| !e.is_empty()).map(|e| EmailAddress::parse("email", &e)).transpose()?,
            name: self.name.filter(|n| !n.trim().is_empty()).map(|n| DisplayName::parse("name", &n)).transpose()?,
            token: self.token,
            ip: client_ip(req, state.trust_forwarded_headers),
        })
    }
}

/// `POST /forgot-password/resets`: sets the password and signs in: `{"result":"success","data":{tokens}}`.
#[utoipa::path(
    post,
    path = "/console/api/forgot-password/resets",
    tag = "mail codes",
    request_body = RedemptionBody,
    responses(
        (status = 200, description = "The password is set; the tokens of a new session.", body = SuccessWith<Tokens>),
        (
            status = 400,
            description = "A field is invalid, or `password_mismatch`, `invalid_or_expired_token`, `invalid_email`, \
                `account_banned`, `not_allowed_create_workspace`, `user_register_failed`.",
            body = BadRequestBody
        ),
        (status = 401, description = "Setup has not been done (`not_setup`).", body = ErrorBody),
        (status = 403, description = "Console login is disabled for the account.", body = ErrorBody),
        (status = 503, description = "The database is unavailable.", body = ErrorBody),
    )
)]
async fn forgot_password_resets(
    state: web::Data<AppState>,
    req: HttpRequest,
    ConsoleJson(body): ConsoleJson<RedemptionBody>,
) -> Result<HttpResponse, ConsoleError> {
    let command = body.into_command(&req, &state).await?;
    Ok(tokens(state.use_cases.reset_password_with_code(command).await?))
}

/// `POST /register/finish`: creates the account with its group and workspace and signs in.
#[utoipa::path(
    post,
    path = "/console/api/register/finish",
    tag = "mail codes",
    request_body = RedemptionBody,
    responses(
        (status = 200, description = "The account exists; its first session's tokens.", body = SuccessWith<Tokens>),
        (
            status = 400,
            description = "A field is invalid, or `password_mismatch`, `invalid_or_expired_token`, `invalid_email`, \
                `user_register_failed`.",
            body = BadRequestBody
        ),
        (status = 401, description = "Setup has not been done (`not_setup`).", body = ErrorBody),
        (status = 403, description = "Registration is closed (not a public deployment).", body = ErrorBody),
        (status = 503, description = "The database is unavailable.", body = ErrorBody),
    )
)]
async fn register_finish(
    state: web::Data<AppState>,
    req: HttpRequest,
    ConsoleJson(body): ConsoleJson<RedemptionBody>,
) -> Result<HttpResponse, ConsoleError> {
    let command = body.into_command(&req, &state).await?;
    Ok(tokens(state.use_cases.finish_registration(command).await?))
}

/// `POST /account-ex/reset-password` body.
#[derive(Deserialize, ToSchema)]
#[schema(as = AdminPasswordReset)]
pub(super) struct AdminPasswordBody {
    /// The password rules apply.
    new_password: String,
    /// When given, must equal `new_password`.
    #[serde(default)]
    repeat_new_password: Option<String>,
}

/// `POST /account-ex/reset-password?id=`: an admin sets a member's password; sessions are revoked and the
/// login lockout is cleared.
#[utoipa::path(
    post,
    path = "/console/api/account-ex/reset-password",
    tag = "mail codes",
    params(("id" = uuid::Uuid, Query, description = "The account's id.")),
    request_body = AdminPasswordBody,
    responses(
        (status = 200, description = "The password is set.", body = Success),
        (
            status = 400,
            description = "A field or `id` is invalid, or the passwords differ (`repeat_password_not_match`).",
            body = BadRequestBody
        ),
        (status = 403, description = "The caller may not reset this account's password.", body = ErrorBody),
        (status = 404, description = "No such account (or hidden from the caller).", body = ErrorBody),
        (status = 409, description = "The account was changed at the same time; retry.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
async fn admin_reset_password(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
    ConsoleJson(body): ConsoleJson<AdminPasswordBody>,
) -> Result<HttpResponse, ConsoleError> {
    let id = QueryParams::of(&req).required_uuid("id")?;
    let password = Password::parse_new("new_password", &body.new_password)?;
    if body.repeat_new_password.is_some_and(|r| r != body.new_password) {
        return Err(ConsoleError::standard(
            StatusCode::BAD_REQUEST,
            "repeat_password_not_match",
            "New password and repeat password does not match.",
        ));
    }
    let request_id = RequestId::of(&req);
    state.use_cases.admin_reset_password(Actor::session(&me, &request_id), id, &password).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

/// `POST /account-ex/unlock?id=`: an admin clears a member's login lockout.
#[utoipa::path(
    post,
    path = "/console/api/account-ex/unlock",
    tag = "mail codes",
    params(("id" = uuid::Uuid, Query, description = "The account's id.")),
    responses(
        (status = 200, description = "The lockout is cleared.", body = Success),
        (status = 400, description = "`id` is missing or not a UUID.", body = BadRequestBody),
        (status = 403, description = "The caller may not unlock this account.", body = ErrorBody),
        (status = 404, description = "No such account (or hidden from the caller).", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
async fn admin_unlock(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let id = QueryParams::of(&req).required_uuid("id")?;
    state.use_cases.admin_unlock(&me, id).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

/// A mail in the outbox, without its content.
#[derive(Serialize, ToSchema)]
#[schema(as = OutboxEntry)]
struct OutboxItem {
    id: uuid::Uuid,
    recipient: String,
    /// `invitation`, `password_reset_code`, `registration_code`, `unknown_address_notice`, …
    template: &'static str,
    language: String,
    /// `pending`, `sent` or `failed`.
    status: &'static str,
    /// Delivery attempts so far.
    attempts: i32,
    /// The error of the last failed attempt.
    last_error: Option<String>,
    /// Unix seconds.
    created_at: i64,
    /// Unix seconds: when the next attempt is due.
    due_at: i64,
    /// Unix seconds.
    sent_at: Option<i64>,
    /// Unix seconds: when delivery was given up.
    failed_at: Option<i64>,
}

fn outbox_item(mail: OutboxMail) -> OutboxItem {
    let ts = |t: Option<time::OffsetDateTime>| t.map(time::OffsetDateTime::unix_timestamp);
    let status = mail.state().as_str();
    OutboxItem {
        id: mail.id,
        recipient: mail.mail.to,
        template: mail.mail.message.template(),
        language: mail.mail.language,
        status,
        attempts: mail.attempts,
        last_error: mail.last_error,
        created_at: mail.created_at.unix_timestamp(),
        due_at: mail.due_at.unix_timestamp(),
        sent_at: ts(mail.sent_at),
        failed_at: ts(mail.failed_at),
    }
}

/// `GET /mail-outbox?status=pending|sent|failed&page&limit` (platform admins): the delivery state of mails,
/// without their content.
#[utoipa::path(
    get,
    path = "/console/api/mail-outbox",
    tag = "mail codes",
    params(
        ("status" = Option<String>, Query, description = "`pending`, `sent` or `failed` (default `failed`)."),
        ("page" = Option<u32>, Query, description = "Page number, 1–99999 (default 1)."),
        ("limit" = Option<u32>, Query, description = "Page size, 1–100 (default 20)."),
    ),
    responses(
        (status = 200, description = "A page of mails, newest first.", body = Paginated<OutboxItem>),
        (status = 400, description = "A parameter is invalid.", body = BadRequestBody),
        (status = 403, description = "Only platform admins see the outbox.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
async fn outbox(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let query = QueryParams::of(&req);
    let status = match query.get("status").filter(|s| !s.is_empty()) {
        Some(raw) => one_of("status", raw, OutboxState::ALL)?,
        None => OutboxState::Failed,
    };
    let page = state.use_cases.outbox(&me, status, query.page()?).await?;
    Ok(HttpResponse::Ok().json(Paginated::from_page(page, outbox_item)))
}
