//! The account-modify envelope: `{code, content, pageInfo?, errorCode, message, success, traceId}` with `code`
//! equal to the HTTP status, and the `ft.*` error catalogue.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use domain::{DomainError, KeyRefusal};
use serde::Serialize;
use utoipa::ToSchema;

use crate::common::console_flow_errors;
use crate::common::json::{BodyError, ReadError};
use crate::common::request_id::TracedError;

/// A successful answer: `content`, and `pageInfo` for lists.
pub fn success<T: Serialize>(trace_id: &str, content: T, page_info: Option<PageInfo>) -> HttpResponse {
    HttpResponse::Ok().json(SuccessEnvelope {
        code: 200,
        content,
        error_code: "",
        message: "",
        success: true,
        trace_id,
        page_info,
    })
}

/// `{code: 200, content, errorCode: "", message: "", success: true, traceId, pageInfo?}`: the account-modify
/// success answer.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SuccessEnvelope<'a, T> {
    /// Always 200.
    pub code: u16,
    /// The answer.
    pub content: T,
    /// Always `""`.
    pub error_code: &'static str,
    /// Always `""`.
    pub message: &'static str,
    /// Always true.
    pub success: bool,
    /// The request id (also in `X-Request-Id`).
    pub trace_id: &'a str,
    /// The page, in lists only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_info: Option<PageInfo>,
}

/// The `pageInfo` of a list.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    /// Items on this page.
    pub count: usize,
    /// The page, from 1.
    pub page_index: i64,
    /// Items per page asked for.
    pub page_size: i64,
    /// Items across pages.
    pub total_count: i64,
}

/// An account-modify error answer; the trace id is added by [`crate::common::request_id::trace_errors`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModifyError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ModifyError {
    /// An error with this status, `ft.*` code and text.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }

    /// `400 ft.ParamError` naming `field`.
    pub fn param(field: &str, message: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "ft.ParamError", format!("{field}: {message}"))
    }

    /// `401 ft.MissingAuthHeaderInfo`: a signing header is missing or malformed, or the timestamp is stale.
    pub fn auth_header(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "ft.MissingAuthHeaderInfo", message)
    }

    /// `404 ft.AccountNotFound`.
    pub fn account_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "ft.AccountNotFound", "The account does not exist.")
    }

    /// The error code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    fn render(&self, trace_id: &str) -> HttpResponse {
        HttpResponse::build(self.status).json(ErrorEnvelope {
            code: self.status.as_u16(),
            content: None,
            error_code: self.code,
            message: &self.message,
            success: false,
            trace_id,
        })
    }
}

/// `{code, content: null, errorCode, message, success: false, traceId}`: the account-modify error answer.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorEnvelope<'a> {
    /// The HTTP status again.
    pub code: u16,
    /// Always null in an error.
    #[schema(value_type = Option<Object>)]
    pub content: Option<()>,
    /// `ft.ParamError`, `ft.MissingAuthHeaderInfo`, `ft.AccountNotFound`, … (docs/API.md).
    pub error_code: &'a str,
    /// What went wrong, naming the field.
    pub message: &'a str,
    /// Always false in an error.
    pub success: bool,
    /// The request id (also in `X-Request-Id`).
    pub trace_id: &'a str,
}

impl std::fmt::Display for ModifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.message)
    }
}

impl TracedError for ModifyError {
    fn render_traced(&self, request_id: &str) -> HttpResponse {
        self.render(request_id)
    }
}

impl ResponseError for ModifyError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        self.render("")
    }
}

/// Paths and methods the dialect does not serve.
pub async fn unknown_route() -> Result<HttpResponse, ModifyError> {
    Err(ModifyError::new(StatusCode::NOT_FOUND, "ft.NotFound", "No such account-modify endpoint."))
}

/// The dialect's name of a domain field.
pub fn field_name(field: &str) -> &str {
    match field {
        "external_id" => "exterId",
        "phone" => "mobile",
        "country_code" => "countryCode",
        "accounts" | "ids" => "accountUUIDs",
        "id" => "accountUUID",
        other => other,
    }
}

impl From<ReadError> for ModifyError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::TooLarge => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "ft.BodyTooLarge",
                "The body is larger than the 64 KiB allowed.",
            ),
            ReadError::TimedOut => {
                Self::new(StatusCode::REQUEST_TIMEOUT, "ft.RequestTimeout", "The body did not arrive in time.")
            }
            ReadError::Broken => Self::param("body", "could not be read."),
        }
    }
}

impl From<BodyError> for ModifyError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::Syntax => Self::param("body", "must be a JSON object."),
            BodyError::Field { field, message, .. } => Self::param(&field, message),
        }
    }
}

impl From<DomainError> for ModifyError {
    fn from(e: DomainError) -> Self {
        use StatusCode as S;
        match e {
            DomainError::Invalid { field, message } | DomainError::InvalidAt { field, message, .. } => {
                Self::param(field_name(field), message)
            }
            DomainError::OutOfRange { field, min, max, .. } => {
                Self::param(field_name(field), format!("must be an integer from {min} to {max}."))
            }
            DomainError::TooLong { field, max, .. } => {
                Self::param(field_name(field), format!("must be at most {max} characters."))
            }
            DomainError::NotFound { entity: "account" } => Self::account_not_found(),
            DomainError::NotFound { entity } => {
                Self::new(S::NOT_FOUND, "ft.NotFound", format!("The {entity} does not exist."))
            }
            DomainError::Conflict { field } | DomainError::ConflictAt { field, .. } => {
                Self::new(S::CONFLICT, "ft.AccountConflict", format!("{} is already in use.", field_name(field)))
            }
            DomainError::Stale | DomainError::VersionMismatch => Self::new(
                S::CONFLICT,
                "ft.AccountConflict",
                "The account was changed by someone else at the same time. Please try again.",
            ),
            DomainError::UnknownAccounts(ids) => {
                let ids: Vec<String> = ids.iter().map(|id| super::accounts::render_id(*id)).collect();
                Self::new(S::NOT_FOUND, "ft.AccountNotFound", format!("Unknown accounts: {}.", ids.join(", ")))
            }
            DomainError::OwnsWorkspace { account_id } => Self::new(
                S::CONFLICT,
                "ft.AccountOwnsWorkspace",
                format!(
                    "{} is the only owner of a workspace; transfer the workspace before deleting it.",
                    super::accounts::render_id(account_id)
                ),
            ),
            DomainError::Forbidden(why) => Self::new(S::FORBIDDEN, "ft.PermissionDenied", why),
            DomainError::KeyRefused(why) => Self::new(S::UNAUTHORIZED, refusal_code(why), why.message()),
            DomainError::Unauthenticated(why) => Self::new(S::UNAUTHORIZED, "ft.InvalidSignature", why),
            DomainError::Unavailable(source) => {
                tracing::error!(error = %source, "unavailable");
                Self::new(
                    S::SERVICE_UNAVAILABLE,
                    "ft.ServiceUnavailable",
                    "The service is temporarily unavailable; retry in a moment.",
                )
            }
            DomainError::Internal(source) => {
                tracing::error!(error = %source, "internal error");
                Self::new(S::INTERNAL_SERVER_ERROR, "ft.InternalError", "Internal server error.")
            }
            DomainError::ActiveKeyLimit => Self::new(
                S::CONFLICT,
                "ft.ActiveKeyLimit",
                "The account already has two active access keys; disable or delete one first.",
            ),
            // the console's own flows, which this dialect does not call: reaching here is a bug, logged and
            // answered as an internal error
            e @ console_flow_errors!() => {
                tracing::error!(error = %e, "a console-only error reached the account-modify dialect");
                Self::new(S::INTERNAL_SERVER_ERROR, "ft.InternalError", "Internal server error.")
            }
        }
    }
}

/// The `ft.*` code of each access-key refusal.
fn refusal_code(why: KeyRefusal) -> &'static str {
    match why {
        KeyRefusal::BadCredentials => "ft.InvalidSignature",
        KeyRefusal::KeyDisabled => "ft.AccessKeyDisabled",
        KeyRefusal::AccountUnusable => "ft.AccountDisabled",
        KeyRefusal::OpenApiDisabled => "ft.OpenApiDisabled",
        KeyRefusal::ReplayedNonce => "ft.NonceUsed",
        KeyRefusal::ClockSkew => "ft.MissingAuthHeaderInfo",
    }
}
