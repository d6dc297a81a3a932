//! Mailed-code flows — `POST /forgot-password`, `/forgot-password/validity`, `/forgot-password/resets`,
//! `POST /register`, `/register/validity`, `/register/finish` — and the admin help for users without mail:
//! `POST /account-ex/reset-password?id=`, `POST /account-ex/unlock?id=`, and the outbox view
//! `GET /mail-outbox`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use domain::model::{CodePurpose, OutboxMail, OutboxState, TokenPair, WireEnum};
use domain::usecases::{Actor, CodeRedemption, CodeRequest};
use domain::values::{DisplayName, EmailAddress, Password};
use serde::Deserialize;
use serde_json::{json, Value};

use super::dto::{Paginated, SuccessWith, Tokens, SUCCESS};
use super::error::ConsoleError;
use super::extract::{client_ip, language_or_default, one_of, Authenticated, ConsoleJson, ConsoleQuery, QueryParams};
use crate::common::request_id::RequestId;
use crate::AppState;

/// Registers the routes of this module.
pub(super) fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/forgot-password", web::post().to(forgot_password))
        .route("/forgot-password/validity", web::post().to(forgot_password_validity))
        .route("/forgot-password/resets", web::post().to(forgot_password_resets))
        .route("/register", web::post().to(register))
        .route("/register/validity", web::post().to(register_validity))
        .route("/register/finish", web::post().to(register_finish))
        .route("/account-ex/reset-password", web::post().to(admin_reset_password))
        .route("/account-ex/unlock", web::post().to(admin_unlock))
        .route("/mail-outbox", web::get().to(outbox));
}

fn tokens(pair: TokenPair) -> HttpResponse {
    HttpResponse::Ok()
        .json(SuccessWith::new(Tokens { access_token: pair.access_token, refresh_token: pair.refresh_token }))
}

#[derive(Deserialize)]
pub(super) struct CodeRequestBody {
    email: String,
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

/// `POST /forgot-password`: `{"result":"success","data":"<token>"}`, for known and unknown addresses alike.
async fn forgot_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    ConsoleJson(body): ConsoleJson<CodeRequestBody>,
) -> Result<HttpResponse, ConsoleError> {
    let (email, language, ip) = body.parse(&state, &req).await?;
    Ok(match state.use_cases.request_password_reset(&email, language, ip.as_deref()).await? {
        CodeRequest::Sent { token } => HttpResponse::Ok().json(SuccessWith::new(token)),
        CodeRequest::SentToUnknownAccount { token } => {
            HttpResponse::Ok().json(json!({"result": "fail", "data": token, "code": "account_not_found"}))
        }
    })
}

/// `POST /register`: `{"result":"success","data":"<token>"}` (public deployments only).
async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    ConsoleJson(body): ConsoleJson<CodeRequestBody>,
) -> Result<HttpResponse, ConsoleError> {
    let (email, language, ip) = body.parse(&state, &req).await?;
    let token = state.use_cases.request_registration(&email, language, ip.as_deref()).await?;
    Ok(HttpResponse::Ok().json(SuccessWith::new(token)))
}

#[derive(Deserialize)]
pub(super) struct ValidityBody {
    email: String,
    code: String,
    token: String,
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
    Ok(HttpResponse::Ok().json(json!({"is_valid": true, "email": email})))
}

/// `POST /forgot-password/validity`.
async fn forgot_password_validity(
    state: web::Data<AppState>,
    ConsoleJson(body): ConsoleJson<ValidityBody>,
) -> Result<HttpResponse, ConsoleError> {
    check_code(&state, CodePurpose::ResetPassword, body).await
}

/// `POST /register/validity`.
async fn register_validity(
    state: web::Data<AppState>,
    ConsoleJson(body): ConsoleJson<ValidityBody>,
) -> Result<HttpResponse, ConsoleError> {
    check_code(&state, CodePurpose::Register, body).await
}

#[derive(Deserialize)]
pub(super) struct RedemptionBody {
    token: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    name: Option<String>,
    /// zgi-next's name of the new password.
    #[serde(default)]
    password: Option<String>,
    /// Dify's name of the new password.
    #[serde(default)]
    new_password: Option<String>,
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
async fn forgot_password_resets(
    state: web::Data<AppState>,
    req: HttpRequest,
    ConsoleJson(body): ConsoleJson<RedemptionBody>,
) -> Result<HttpResponse, ConsoleError> {
    let command = body.into_command(&req, &state).await?;
    Ok(tokens(state.use_cases.reset_password_with_code(command).await?))
}

/// `POST /register/finish`: creates the account with its group and workspace and signs in.
async fn register_finish(
    state: web::Data<AppState>,
    req: HttpRequest,
    ConsoleJson(body): ConsoleJson<RedemptionBody>,
) -> Result<HttpResponse, ConsoleError> {
    let command = body.into_command(&req, &state).await?;
    Ok(tokens(state.use_cases.finish_registration(command).await?))
}

#[derive(Deserialize)]
pub(super) struct AdminPasswordBody {
    new_password: String,
    #[serde(default)]
    repeat_new_password: Option<String>,
}

/// `POST /account-ex/reset-password?id=`: an admin sets a member's password; sessions are revoked and the
/// login lockout is cleared.
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
async fn admin_unlock(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let id = QueryParams::of(&req).required_uuid("id")?;
    state.use_cases.admin_unlock(&me, id).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

fn outbox_item(mail: OutboxMail) -> Value {
    let ts = |t: Option<time::OffsetDateTime>| t.map(time::OffsetDateTime::unix_timestamp);
    json!({
        "id": mail.id,
        "recipient": mail.mail.to,
        "template": mail.mail.message.template(),
        "language": mail.mail.language,
        "status": mail.state().as_str(),
        "attempts": mail.attempts,
        "last_error": mail.last_error,
        "created_at": mail.created_at.unix_timestamp(),
        "due_at": mail.due_at.unix_timestamp(),
        "sent_at": ts(mail.sent_at),
        "failed_at": ts(mail.failed_at),
    })
}

/// `GET /mail-outbox?status=pending|sent|failed&page&limit` (platform admins): the delivery state of mails,
/// without their content.
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
