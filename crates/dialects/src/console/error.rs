//! The console dialect's errors and its table from domain errors. Bodies follow Dify: `{code, message,
//! status}`, the validation variant `{code: "invalid_param", message, params}`, and a few endpoint-specific
//! bodies (`{result: "fail", data}`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use domain::DomainError;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

/// An error answered by a console endpoint.
#[derive(Debug)]
pub enum ConsoleError {
    /// `{code, message, status}`.
    Standard {
        /// HTTP status.
        status: StatusCode,
        /// Machine code.
        code: &'static str,
        /// Human text.
        message: String,
    },
    /// `{code: "invalid_param", message, params}` with status 400.
    Param {
        /// The offending field.
        field: String,
        /// Why.
        message: String,
    },
    /// Any other body with a status (endpoint-specific shapes).
    Body {
        /// HTTP status.
        status: StatusCode,
        /// The JSON body.
        body: Value,
    },
}

impl ConsoleError {
    /// `{code, message, status}`.
    pub fn standard(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self::Standard { status, code, message: message.into() }
    }

    /// A validation failure naming `field`.
    pub fn param(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Param { field: field.into(), message: message.into() }
    }

    /// The human text of the error (for answers that carry it elsewhere than in a body, such as a redirect).
    pub fn message(&self) -> String {
        match self {
            Self::Standard { message, .. } | Self::Param { message, .. } => message.clone(),
            Self::Body { body, .. } => {
                let text = body.get("message").or_else(|| body.get("error")).or_else(|| body.get("data"));
                text.and_then(Value::as_str).unwrap_or("The request failed.").to_owned()
            }
        }
    }

    /// `{code, message}` without `status`, as some zgi-next endpoints answer.
    pub fn code_message(status: StatusCode, code: &str, message: &str) -> Self {
        Self::body(status, CodeMessage { code, message })
    }

    /// An endpoint-specific body.
    fn body(status: StatusCode, body: impl Serialize) -> Self {
        Self::Body { status, body: serde_json::to_value(body).unwrap_or(Value::Null) }
    }

    /// `200 {"result": "fail", "code", "data": {"mfa_token"}}`: a further sign-in step is due.
    fn next_step(code: &'static str, token: String) -> Self {
        Self::body(StatusCode::OK, StepRequired { result: "fail", code, data: StepToken { mfa_token: token } })
    }

    /// `400 bad_request` for bodies that are not JSON.
    pub fn bad_json() -> Self {
        Self::standard(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "Invalid JSON payload received or JSON payload is empty.",
        )
    }
}

impl std::fmt::Display for ConsoleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Standard { code, message, .. } => write!(f, "{code}: {message}"),
            Self::Param { field, message } => write!(f, "invalid_param {field}: {message}"),
            Self::Body { status, .. } => write!(f, "{status}"),
        }
    }
}

/// `{code, message, status}`: the console's error body.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody<'a> {
    /// Machine code (`not_found`, `unauthorized`, `forbidden`, `conflict`, …; the catalogue is in docs/API.md).
    pub code: &'a str,
    /// Human text.
    pub message: &'a str,
    /// The HTTP status again.
    pub status: u16,
}

/// `{code: "invalid_param", message, params}`: a validation failure (400) naming the field in `params`.
#[derive(Serialize, ToSchema)]
pub struct ParamErrorBody<'a> {
    /// Always `invalid_param`.
    pub code: &'a str,
    /// What is wrong.
    pub message: &'a str,
    /// The offending field.
    pub params: &'a str,
}

/// A 400 answer: a field refused (`invalid_param`, naming it) or a body that is not JSON (`bad_request`).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum BadRequestBody<'a> {
    /// A field refused.
    Param(ParamErrorBody<'a>),
    /// The body is not JSON, or another request-level refusal.
    Standard(ErrorBody<'a>),
}

/// `{"mfa_token": …}`: the token of the second sign-in step.
#[derive(Serialize, ToSchema)]
#[schema(as = SignInStepToken)]
pub struct StepToken {
    /// For `POST /console/api/login/mfa` (`mfa_required`) or `POST /console/api/login/mfa/enrollment`
    /// (`mfa_enrollment_required`).
    pub mfa_token: String,
}

/// `{"result": "fail", "code": "mfa_required" | "mfa_enrollment_required", "data": {"mfa_token"}}`, status 200:
/// the password was right and a second step must follow.
#[derive(Serialize, ToSchema)]
#[schema(as = SignInStepRequired)]
pub struct StepRequired {
    /// Always `fail`.
    pub result: &'static str,
    /// `mfa_required` (enter the second factor) or `mfa_enrollment_required` (enrol one first).
    pub code: &'static str,
    /// The step's token.
    pub data: StepToken,
}

/// A refused sign-in (403): `{code, message, status}`, with `change_token` when `code` is
/// `password_change_required`.
#[derive(Serialize, ToSchema)]
#[schema(as = SignInForbidden)]
pub struct SignInForbidden {
    /// `console_login_disabled` or `password_change_required`.
    pub code: &'static str,
    /// Human text.
    pub message: &'static str,
    /// Always 403.
    pub status: u16,
    /// With `password_change_required`: the token for `POST /console/api/login/password-change`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_token: Option<String>,
}

/// `{code, message}`: a refusal some endpoints answer without `status` (a validation failure adds `params`,
/// a malformed body `status`).
#[derive(Serialize, ToSchema)]
#[schema(as = CodeMessageError)]
pub struct CodeMessage<'a> {
    /// Machine code.
    pub code: &'a str,
    /// Human text.
    pub message: &'a str,
}

/// The answers every console route with a session may give besides its own, for the API document: 401
/// (`unauthorized`: no, a malformed, expired or revoked token, or a banned account) and 503 (the database is
/// unavailable).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code, reason = "describes answers the error table builds, for the API document")]
pub enum SessionFailures {
    /// No valid session.
    #[response(status = 401)]
    Unauthorized(ErrorBody<'static>),
    /// The database is unavailable.
    #[response(status = 503)]
    Unavailable(ErrorBody<'static>),
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Standard { status, .. } | Self::Body { status, .. } => *status,
            Self::Param { .. } => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Standard { status, code, message } => {
                HttpResponse::build(*status).json(ErrorBody { code, message, status: status.as_u16() })
            }
            Self::Param { field, message } => {
                HttpResponse::BadRequest().json(ParamErrorBody { code: "invalid_param", message, params: field })
            }
            Self::Body { status, body } => HttpResponse::build(*status).json(body),
        }
    }
}

/// The console's name of a field the domain names.
fn field_name(field: &str) -> &str {
    match field {
        "system_role" => "role_type",
        other => other,
    }
}

/// The console's table from domain errors to status, code and message.
impl From<DomainError> for ConsoleError {
    fn from(e: DomainError) -> Self {
        use StatusCode as S;
        match e {
            DomainError::Invalid { field, message } | DomainError::InvalidAt { field, message, .. } => {
                Self::param(field_name(field), message)
            }
            DomainError::OutOfRange { field, min, max, value } => Self::param(
                field,
                format!("Invalid argument: {value}. argument must be within the range {min} - {max}"),
            ),
            DomainError::TooLong { field, max, value } => {
                Self::param(field, format!("Invalid argument: {value}. argument cannot exceed length {max}"))
            }
            DomainError::NotFound { entity } => Self::standard(S::NOT_FOUND, "not_found", format!("The {entity} does not exist.")),
            DomainError::Conflict { field } | DomainError::ConflictAt { field, .. } => {
                Self::standard(S::CONFLICT, "conflict", format!("The {field} is already in use."))
            }
            DomainError::Stale | DomainError::VersionMismatch => Self::standard(
                S::CONFLICT,
                "conflict",
                "The account was changed by someone else at the same time. Please try again.",
            ),
            DomainError::CannotOperateSelf => {
                Self::code_message(S::BAD_REQUEST, "cannot-operate-self", "Cannot operate self.")
            }
            DomainError::InvalidInvitation => Self::standard(
                S::FORBIDDEN,
                "already_activate",
                "Auth Token is invalid or account already activated, please check again.",
            ),
            DomainError::Forbidden(why) => Self::standard(S::FORBIDDEN, "forbidden", why),
            DomainError::Unauthenticated(why) => Self::standard(S::UNAUTHORIZED, "unauthorized", why),
            DomainError::KeyRefused(why) => Self::standard(S::UNAUTHORIZED, "unauthorized", why.message()),
            DomainError::AlreadySetup => Self::standard(
                S::FORBIDDEN,
                "already_setup",
                "Dify has been successfully installed. Please refresh the page or return to the dashboard homepage.",
            ),
            DomainError::NotSetup => Self::standard(
                S::UNAUTHORIZED,
                "not_setup",
                "Dify has not been initialized and installed yet. Please proceed with the initialization and installation process first.",
            ),
            DomainError::InvalidCredentials => {
                Self::standard(S::BAD_REQUEST, "email_or_password_mismatch", "The email or password is mismatched.")
            }
            DomainError::AccountNotFound => Self::standard(S::BAD_REQUEST, "account_not_found", "Account not found."),
            DomainError::AccountBanned => Self::standard(S::BAD_REQUEST, "account_banned", "Account is banned."),
            DomainError::ConsoleLoginDisabled => {
                Self::standard(S::FORBIDDEN, "console_login_disabled", "Console login is disabled for this account.")
            }
            DomainError::LoginLocked => Self::standard(
                S::TOO_MANY_REQUESTS,
                "email_code_login_limit",
                "Too many incorrect password attempts. Please try again later.",
            ),
            DomainError::PasswordChangeRequired { token } => Self::body(
                S::FORBIDDEN,
                SignInForbidden {
                    code: "password_change_required",
                    message: "A new password must be set before signing in.",
                    status: 403,
                    change_token: Some(token),
                },
            ),
            DomainError::SecondFactorRequired { token } => Self::next_step("mfa_required", token),
            DomainError::EnrollmentRequired { token } => Self::next_step("mfa_enrollment_required", token),
            DomainError::WrongSecondFactor => Self::standard(
                S::BAD_REQUEST,
                "invalid_mfa_code",
                "The verification code is wrong, expired or was already used.",
            ),
            DomainError::SecondFactorExists => Self::standard(
                S::CONFLICT,
                "mfa_already_enabled",
                "Two-factor authentication is already enabled; remove it before enrolling again.",
            ),
            DomainError::NoWorkspace => Self::standard(
                S::BAD_REQUEST,
                "not_allowed_create_workspace",
                "Workspace not found, please contact system admin to invite you to join in a workspace.",
            ),
            DomainError::InvalidRefreshToken => {
                Self::Body { status: S::UNAUTHORIZED, body: json!({"result": "fail", "data": "Invalid refresh token"}) }
            }
            DomainError::MailIpLimited => Self::standard(
                S::TOO_MANY_REQUESTS,
                "email_send_ip_limit",
                "Too many emails have been sent from this IP address recently. Please try again later.",
            ),
            DomainError::MailRateLimited => Self::standard(
                S::TOO_MANY_REQUESTS,
                "password_reset_rate_limit_exceeded",
                "Too many password reset emails have been sent. Please try again in 1 minutes.",
            ),
            DomainError::CodeAttemptsExceeded => Self::standard(
                S::TOO_MANY_REQUESTS,
                "email_password_reset_limit",
                "Too many failed password reset attempts. Please try again in 24 hours.",
            ),
            DomainError::InvalidCodeToken => {
                Self::standard(S::BAD_REQUEST, "invalid_or_expired_token", "The token is invalid or has expired.")
            }
            DomainError::CodeEmailMismatch => {
                Self::standard(S::BAD_REQUEST, "invalid_email", "The email address is not valid.")
            }
            DomainError::WrongCode => Self::standard(S::BAD_REQUEST, "email_code_error", "Email code is invalid or expired."),
            DomainError::PasswordMismatch => {
                Self::standard(S::BAD_REQUEST, "password_mismatch", "The passwords do not match.")
            }
            DomainError::RegistrationClosed => {
                Self::standard(S::FORBIDDEN, "forbidden", "Registration is not allowed for private deployment.")
            }
            DomainError::EmailAlreadyRegistered => {
                Self::standard(S::BAD_REQUEST, "user_register_failed", "Email already exists.")
            }
            DomainError::ActiveKeyLimit => Self::standard(
                S::BAD_REQUEST,
                "access_key_limit",
                "An account has at most two active access keys. Disable or delete one first.",
            ),
            DomainError::UnknownAccounts(_) => Self::standard(S::NOT_FOUND, "not_found", "The account does not exist."),
            DomainError::OwnsWorkspace { .. } => Self::standard(
                S::CONFLICT,
                "conflict",
                "The account owns a workspace; transfer the workspace first.",
            ),
            // Dify's non-standard body for unknown providers
            DomainError::SignInRefused(domain::SignInRefusal::UnknownProvider) => {
                Self::Body { status: S::BAD_REQUEST, body: json!({"error": "Invalid provider"}) }
            }
            DomainError::SignInRefused(why) => Self::standard(S::BAD_REQUEST, "oauth_failed", why.message()),
            DomainError::Unavailable(source) => {
                tracing::error!(error = %source, "unavailable");
                Self::standard(S::SERVICE_UNAVAILABLE, "service_unavailable", "The service is temporarily unavailable; retry in a moment.")
            }
            DomainError::Internal(source) => {
                tracing::error!(error = %source, "internal error");
                Self::Body { status: S::INTERNAL_SERVER_ERROR, body: json!({"message": "Internal Server Error", "code": "unknown"}) }
            }
        }
    }
}
