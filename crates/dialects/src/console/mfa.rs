//! Second factors: the account's own TOTP factor (`GET /account/mfa`, `POST /account/mfa/totp`,
//! `POST /account/mfa/totp/confirm`, `DELETE /account/mfa/totp`), the second step of a sign-in
//! (`POST /login/mfa`), enrolment demanded at sign-in (`POST /login/mfa/enrollment`,
//! `POST /login/mfa/enrollment/confirm`) and the admin reset (`POST /account-ex/mfa-reset?id=`).

use actix_web::{web, HttpRequest, HttpResponse};
use domain::model::{TokenPair, TotpEnrollment};
use domain::usecases::{Actor, FactorRemovalProof, SecondFactorCode};
use domain::values::Password;
use domain::DomainError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::{Success, SuccessWith, SUCCESS};
use super::error::{BadRequestBody, ConsoleError, ErrorBody, SessionFailures, SignInForbidden};
use super::extract::{client_ip, Authenticated, ConsoleJson, ConsoleQuery, QueryParams};
use crate::common::request_id::RequestId;
use crate::common::routes::routes;
use crate::AppState;

routes! {
    get "/account/mfa" => status,
    post "/account/mfa/totp" => begin,
    post "/account/mfa/totp/confirm" => confirm,
    delete "/account/mfa/totp" => remove,
    post "/login/mfa" => second_factor,
    post "/login/mfa/enrollment" => begin_at_sign_in,
    post "/login/mfa/enrollment/confirm" => confirm_at_sign_in,
    post "/account-ex/mfa-reset" => admin_reset,
}

/// The operations of this module, for the API document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(status, begin, confirm, remove, second_factor, begin_at_sign_in, confirm_at_sign_in, admin_reset))]
pub(crate) struct ApiPaths;

/// `{secret, otpauth_uri}`: a TOTP factor to confirm, shown this once.
#[derive(Serialize, ToSchema)]
#[schema(as = TotpEnrollment)]
struct Enrollment {
    /// The base32 secret.
    secret: String,
    /// The `otpauth://totp/…` URI (for a QR code).
    otpauth_uri: String,
}

fn enrollment(e: TotpEnrollment) -> HttpResponse {
    HttpResponse::Ok().json(Enrollment { secret: e.secret, otpauth_uri: e.otpauth_uri })
}

/// The tokens of a session a second-factor step started, with the recovery codes after an enrolment.
#[derive(Serialize, ToSchema)]
#[schema(as = SecondFactorTokens)]
struct SignedIn {
    /// JWT.
    access_token: String,
    /// 128 hex characters.
    refresh_token: String,
    /// After an enrolment only: the ten recovery codes, shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    recovery_codes: Option<Vec<String>>,
}

fn signed_in(pair: TokenPair, recovery_codes: Option<Vec<String>>) -> HttpResponse {
    HttpResponse::Ok().json(SuccessWith::new(SignedIn {
        access_token: pair.access_token,
        refresh_token: pair.refresh_token,
        recovery_codes,
    }))
}

/// The caller's second factor.
#[derive(Serialize, ToSchema)]
#[schema(as = SecondFactorStatus)]
struct MfaStatusBody {
    /// A TOTP factor is confirmed.
    totp_enabled: bool,
    /// A TOTP factor is enrolled but not confirmed yet.
    totp_pending: bool,
    /// Unix seconds.
    totp_confirmed_at: Option<i64>,
    /// A second factor is mandatory for the account.
    required: bool,
    /// Recovery codes not used yet (0 without a confirmed factor).
    recovery_codes_left: i64,
}

/// `GET /account/mfa` → `{totp_enabled, totp_pending, totp_confirmed_at, required, recovery_codes_left}`.
#[utoipa::path(
    get,
    path = "/console/api/account/mfa",
    tag = "second factors",
    responses(
        (status = 200, description = "The caller's second factor.", body = MfaStatusBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
async fn status(state: web::Data<AppState>, Authenticated(me): Authenticated) -> Result<HttpResponse, ConsoleError> {
    let status = state.use_cases.mfa_status(&me).await?;
    Ok(HttpResponse::Ok().json(MfaStatusBody {
        totp_enabled: status.totp_confirmed_at.is_some(),
        totp_pending: status.totp_pending,
        totp_confirmed_at: status.totp_confirmed_at.map(time::OffsetDateTime::unix_timestamp),
        required: status.required,
        recovery_codes_left: status.recovery_codes_left,
    }))
}

/// `POST /account/mfa/totp` → `{secret, otpauth_uri}` of a factor to confirm.
#[utoipa::path(
    post,
    path = "/console/api/account/mfa/totp",
    tag = "second factors",
    responses(
        (status = 200, description = "The new factor (it replaces an unconfirmed one).", body = Enrollment),
        (status = 409, description = "A factor is already confirmed (`mfa_already_enabled`).", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
async fn begin(state: web::Data<AppState>, Authenticated(me): Authenticated) -> Result<HttpResponse, ConsoleError> {
    Ok(enrollment(state.use_cases.begin_totp(&me).await?))
}

/// `POST /account/mfa/totp/confirm` body.
#[derive(Deserialize, ToSchema)]
#[schema(as = TotpCode)]
pub(super) struct CodeBody {
    /// The six digits of the authenticator app.
    #[schema(example = "123456")]
    code: String,
}

/// `{"recovery_codes": […]}`.
#[derive(Serialize, ToSchema)]
struct RecoveryCodes {
    /// Ten single-use codes that stand in for the app, shown this once.
    recovery_codes: Vec<String>,
}

/// `POST /account/mfa/totp/confirm {code}` → `{recovery_codes: [10]}`, shown this once.
#[utoipa::path(
    post,
    path = "/console/api/account/mfa/totp/confirm",
    tag = "second factors",
    request_body = CodeBody,
    responses(
        (status = 200, description = "The factor is confirmed; its recovery codes.", body = RecoveryCodes),
        (status = 400, description = "The code is malformed, or wrong (`invalid_mfa_code`).", body = BadRequestBody),
        (status = 404, description = "No factor is being enrolled.", body = ErrorBody),
        (status = 409, description = "A factor is already confirmed (`mfa_already_enabled`).", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
async fn confirm(
    state: web::Data<AppState>,
    Authenticated(me): Authenticated,
    req: HttpRequest,
    ConsoleJson(body): ConsoleJson<CodeBody>,
) -> Result<HttpResponse, ConsoleError> {
    let code = SecondFactorCode::parse("code", &body.code)?;
    let request_id = RequestId::of(&req);
    let codes = state.use_cases.confirm_totp(Actor::session(&me, &request_id), &code).await?;
    Ok(HttpResponse::Ok().json(RecoveryCodes { recovery_codes: codes }))
}

/// `DELETE /account/mfa/totp` body: the password, or a current code.
#[derive(Deserialize, ToSchema)]
#[schema(as = RemoveTotp)]
pub(super) struct RemoveBody {
    /// The account's password (wins when both are given).
    #[serde(default)]
    password: Option<String>,
    /// A code of the authenticator app or a recovery code.
    #[serde(default)]
    code: Option<String>,
}

/// `DELETE /account/mfa/totp {password | code}`: removes the factor and its recovery codes.
#[utoipa::path(
    delete,
    path = "/console/api/account/mfa/totp",
    tag = "second factors",
    request_body = RemoveBody,
    responses(
        (status = 200, description = "Removed.", body = Success),
        (
            status = 400,
            description = "Neither is given or a field is invalid, or the password is wrong \
                (`email_or_password_mismatch`), or the code (`invalid_mfa_code`).",
            body = BadRequestBody
        ),
        (
            status = 403,
            description = "A second factor is mandatory for the account; an administrator can reset it.",
            body = ErrorBody
        ),
        (status = 404, description = "The account has no factor.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
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

/// The body of the sign-in steps `POST /login/mfa`, `/login/mfa/enrollment` and `/login/mfa/enrollment/confirm`.
#[derive(Deserialize, ToSchema)]
#[schema(as = SignInStepCode)]
pub(super) struct StepBody {
    /// The `mfa_token` of the `mfa_required` or `mfa_enrollment_required` answer.
    mfa_token: String,
    /// A code of the authenticator app, or a recovery code at `POST /login/mfa` (not needed to begin an
    /// enrolment).
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
#[utoipa::path(
    post,
    path = "/console/api/login/mfa",
    tag = "second factors",
    request_body = StepBody,
    responses(
        (status = 200, description = "Signed in.", body = SuccessWith<SignedIn>),
        (
            status = 400,
            description = "A field is missing or invalid, or `invalid_mfa_code`, `account_banned`, \
                `not_allowed_create_workspace`.",
            body = BadRequestBody
        ),
        (status = 401, description = "The sign-in token is invalid or has expired.", body = ErrorBody),
        (
            status = 403,
            description = "`console_login_disabled`, or `password_change_required` with a `change_token`.",
            body = SignInForbidden
        ),
        (
            status = 429,
            description = "Too many wrong passwords or codes for this address (`email_code_login_limit`).",
            body = ErrorBody
        ),
        (status = 503, description = "The database is unavailable.", body = ErrorBody),
    )
)]
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
#[utoipa::path(
    post,
    path = "/console/api/login/mfa/enrollment",
    tag = "second factors",
    request_body = StepBody,
    responses(
        (status = 200, description = "The new factor to confirm.", body = Enrollment),
        (
            status = 400,
            description = "A field is invalid, or `account_banned`, `not_allowed_create_workspace`.",
            body = BadRequestBody
        ),
        (status = 401, description = "The sign-in token is invalid or has expired.", body = ErrorBody),
        (status = 403, description = "Console login is disabled for the account.", body = ErrorBody),
        (status = 409, description = "A factor is already confirmed (`mfa_already_enabled`).", body = ErrorBody),
        (status = 503, description = "The database is unavailable.", body = ErrorBody),
    )
)]
async fn begin_at_sign_in(
    state: web::Data<AppState>,
    ConsoleJson(body): ConsoleJson<StepBody>,
) -> Result<HttpResponse, ConsoleError> {
    Ok(enrollment(state.use_cases.begin_sign_in_enrollment(&body.mfa_token).await?))
}

/// `POST /login/mfa/enrollment/confirm {mfa_token, code}` → the tokens with `recovery_codes`.
#[utoipa::path(
    post,
    path = "/console/api/login/mfa/enrollment/confirm",
    tag = "second factors",
    request_body = StepBody,
    responses(
        (status = 200, description = "Signed in; the tokens and the recovery codes.", body = SuccessWith<SignedIn>),
        (
            status = 400,
            description = "A field is missing or invalid, or `invalid_mfa_code`, `account_banned`, \
                `not_allowed_create_workspace`.",
            body = BadRequestBody
        ),
        (status = 401, description = "The sign-in token is invalid or has expired.", body = ErrorBody),
        (status = 403, description = "Console login is disabled for the account.", body = ErrorBody),
        (status = 404, description = "No factor is being enrolled.", body = ErrorBody),
        (status = 409, description = "A factor is already confirmed (`mfa_already_enabled`).", body = ErrorBody),
        (status = 503, description = "The database is unavailable.", body = ErrorBody),
    )
)]
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
#[utoipa::path(
    post,
    path = "/console/api/account-ex/mfa-reset",
    tag = "second factors",
    params(("id" = uuid::Uuid, Query, description = "The account's id.")),
    responses(
        (status = 200, description = "The factor and its recovery codes are removed.", body = Success),
        (status = 400, description = "`id` is missing or not a UUID.", body = BadRequestBody),
        (status = 403, description = "Only platform admins reset second factors.", body = ErrorBody),
        (status = 404, description = "No such account, or it has no factor.", body = ErrorBody),
        SessionFailures,
    ),
    security(("console_session" = []))
)]
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
