//! Second factors: the account's own TOTP factor (`GET /account/mfa`, `POST /account/mfa/totp`,
//! `POST /account/mfa/totp/confirm`, `DELETE /account/mfa/totp`), the second step of a sign-in
//! (`POST /login/mfa`), enrolment demanded at sign-in (`POST /login/mfa/enrollment`,
//! `POST /login/mfa/enrollment/confirm`) and the admin reset (`POST /account-ex/mfa-reset?id=`).

use actix_web::{web, HttpRequest, HttpResponse};
use domain::model::{TokenPair, TotpEnrollment};
use domain::usecases::{Actor, FactorRemovalProof, SecondFactorCode};
use domain::values::Password;
use domain::DomainError;
use serde::Deserialize;
use serde_json::json;

use super::dto::SUCCESS;
use super::error::ConsoleError;
use super::extract::{client_ip, Authenticated, ConsoleJson, ConsoleQuery, QueryParams};
use crate::common::request_id::RequestId;
use crate::AppState;

/// Registers the routes of this module.
pub(super) fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/account/mfa", web::get().to(status))
        .route("/account/mfa/totp", web::post().to(begin))
        .route("/account/mfa/totp/confirm", web::post().to(confirm))
        .route("/account/mfa/totp", web::delete().to(remove))
        .route("/login/mfa", web::post().to(second_factor))
        .route("/login/mfa/enrollment", web::post().to(begin_at_sign_in))
        .route("/login/mfa/enrollment/confirm", web::post().to(confirm_at_sign_in))
        .route("/account-ex/mfa-reset", web::post().to(admin_reset));
}

fn enrollment(e: TotpEnrollment) -> HttpResponse {
    HttpResponse::Ok().json(json!({"secret": e.secret, "otpauth_uri": e.otpauth_uri}))
}

fn signed_in(pair: TokenPair, recovery_codes: Option<Vec<String>>) -> HttpResponse {
    let mut data = json!({"access_token": pair.access_token, "refresh_token": pair.refresh_token});
    if let Some(codes) = recovery_codes {
        data["recovery_codes"] = json!(codes);
    }
    HttpResponse::Ok().json(json!({"result": "success", "data": data}))
}

/// `GET /account/mfa` → `{totp_enabled, totp_pending, totp_confirmed_at, required, recovery_codes_left}`.
async fn status(state: web::Data<AppState>, Authenticated(me): Authenticated) -> Result<HttpResponse, ConsoleError> {
    let status = state.use_cases.mfa_status(&me).await?;
    Ok(HttpResponse::Ok().json(json!({
        "totp_enabled": status.totp_confirmed_at.is_some(),
        "totp_pending": status.totp_pending,
        "totp_confirmed_at": status.totp_confirmed_at.map(time::OffsetDateTime::unix_timestamp),
        "required": status.required,
        "recovery_codes_left": status.recovery_codes_left,
    })))
}

/// `POST /account/mfa/totp` → `{secret, otpauth_uri}` of a factor to confirm.
async fn begin(state: web::Data<AppState>, Authenticated(me): Authenticated) -> Result<HttpResponse, ConsoleError> {
    Ok(enrollment(state.use_cases.begin_totp(&me).await?))
}

#[derive(Deserialize)]
pub(super) struct CodeBody {
    code: String,
}

/// `POST /account/mfa/totp/confirm {code}` → `{recovery_codes: [10]}`, shown this once.
async fn confirm(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
    ConsoleJson(body): ConsoleJson<CodeBody>,
) -> Result<HttpResponse, ConsoleError> {
    let code = SecondFactorCode::parse("code", &body.code)?;
    let request_id = RequestId::of(&req);
    let codes = state.use_cases.confirm_totp(Actor::session(&me, &request_id), &code).await?;
    Ok(HttpResponse::Ok().json(json!({"recovery_codes": codes})))
}

#[derive(Deserialize)]
pub(super) struct RemoveBody {
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    code: Option<String>,
}

/// `DELETE /account/mfa/totp {password | code}`: removes the factor and its recovery codes.
async fn remove(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
    ConsoleJson(body): ConsoleJson<RemoveBody>,
) -> Result<HttpResponse, ConsoleError> {
    let proof = match (body.password.as_deref(), body.code.as_deref()) {
        (Some(password), _) => FactorRemovalProof::Password(Password::parse_any("password", password)?),
        (None, Some(code)) => FactorRemovalProof::Code(SecondFactorCode::parse("code", code)?),
        (None, None) => return Err(DomainError::invalid("password", "Give the password or a code.").into()),
    };
    let request_id = RequestId::of(&req);
    state.use_cases.remove_totp(Actor::session(&me, &request_id), proof).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

#[derive(Deserialize)]
pub(super) struct StepBody {
    mfa_token: String,
    #[serde(default)]
    code: Option<String>,
}

impl StepBody {
    fn code(&self) -> Result<SecondFactorCode, ConsoleError> {
        let raw = self.code.as_deref().ok_or_else(|| DomainError::invalid("code", "Missing required parameter."))?;
        Ok(SecondFactorCode::parse("code", raw)?)
    }
}

/// `POST /login/mfa {mfa_token, code}`: the second step of a login that answered `mfa_required` → the tokens
/// (or the next demanded step, such as `password_change_required`).
async fn second_factor(
    state: web::Data<AppState>,
    req: HttpRequest,
    ConsoleJson(body): ConsoleJson<StepBody>,
) -> Result<HttpResponse, ConsoleError> {
    let code = body.code()?;
    let ip = client_ip(&req, state.trust_forwarded_headers);
    let pair = state.use_cases.login_second_factor(&body.mfa_token, &code, ip).await?;
    Ok(signed_in(pair, None))
}

/// `POST /login/mfa/enrollment {mfa_token}` → `{secret, otpauth_uri}`, after `mfa_enrollment_required`.
async fn begin_at_sign_in(
    state: web::Data<AppState>,
    ConsoleJson(body): ConsoleJson<StepBody>,
) -> Result<HttpResponse, ConsoleError> {
    Ok(enrollment(state.use_cases.begin_sign_in_enrollment(&body.mfa_token).await?))
}

/// `POST /login/mfa/enrollment/confirm {mfa_token, code}` → the tokens with `recovery_codes`.
async fn confirm_at_sign_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    ConsoleJson(body): ConsoleJson<StepBody>,
) -> Result<HttpResponse, ConsoleError> {
    let code = body.code()?;
    let ip = client_ip(&req, state.trust_forwarded_headers);
    let (codes, pair) = state.use_cases.confirm_sign_in_enrollment(&body.mfa_token, &code, ip).await?;
    Ok(signed_in(pair, Some(codes)))
}

/// `POST /account-ex/mfa-reset?id=`: a platform admin removes an account's second factor.
async fn admin_reset(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let id = QueryParams::of(&req).required_uuid("id")?;
    let request_id = RequestId::of(&req);
    state.use_cases.reset_second_factor(Actor::session(&me, &request_id), id).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}
