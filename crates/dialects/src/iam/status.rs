//! Errors of the iam dialect: `google.rpc.Status` JSON `{code, message, details, request_id}` with an
//! `ErrorInfo` (reason, domain `iam`) and, for invalid input, a `BadRequest` with field violations; the HTTP status
//! follows the grpc-gateway table.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use domain::{DomainError, KeyRefusal};
use serde_json::{json, Value};

use crate::common::console_flow_errors;
use crate::common::json::{BodyError, ReadError};
use crate::common::request_id::TracedError;

/// gRPC status codes used here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// 3
    InvalidArgument,
    /// 4, answered with HTTP 408: the request body did not arrive within the body deadline.
    DeadlineExceeded,
    /// 5
    NotFound,
    /// 6
    AlreadyExists,
    /// 7
    PermissionDenied,
    /// 8, answered with HTTP 413: the request body is larger than the dialect accepts.
    ResourceExhausted,
    /// 9
    FailedPrecondition,
    /// 10
    Aborted,
    /// 13
    Internal,
    /// 14
    Unavailable,
    /// 16
    Unauthenticated,
}

impl Code {
    fn number(self) -> u16 {
        match self {
            Self::InvalidArgument => 3,
            Self::DeadlineExceeded => 4,
            Self::NotFound => 5,
            Self::AlreadyExists => 6,
            Self::PermissionDenied => 7,
            Self::ResourceExhausted => 8,
            Self::FailedPrecondition => 9,
            Self::Aborted => 10,
            Self::Internal => 13,
            Self::Unavailable => 14,
            Self::Unauthenticated => 16,
        }
    }

    /// The grpc-gateway HTTP status.
    fn http(self) -> StatusCode {
        match self {
            Self::InvalidArgument | Self::FailedPrecondition => StatusCode::BAD_REQUEST,
            Self::DeadlineExceeded => StatusCode::REQUEST_TIMEOUT,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::AlreadyExists | Self::Aborted => StatusCode::CONFLICT,
            Self::PermissionDenied => StatusCode::FORBIDDEN,
            Self::ResourceExhausted => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
        }
    }
}

/// An iam error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamError {
    code: Code,
    reason: &'static str,
    message: String,
    violations: Vec<(String, String)>,
}

impl IamError {
    /// An error with this code, `ErrorInfo` reason and text.
    pub fn new(code: Code, reason: &'static str, message: impl Into<String>) -> Self {
        Self { code, reason, message: message.into(), violations: Vec::new() }
    }

    /// Code 3 with one field violation.
    pub fn field(field: impl Into<String>, description: impl Into<String>) -> Self {
        let (field, description) = (field.into(), description.into());
        Self {
            code: Code::InvalidArgument,
            reason: "invalidArgument",
            message: format!("{field}: {description}"),
            violations: vec![(field, description)],
        }
    }

    /// Code 16 for a missing or malformed `Authorization` / `X-Date`.
    pub fn unauthenticated(reason: &'static str, message: impl Into<String>) -> Self {
        Self::new(Code::Unauthenticated, reason, message)
    }

    /// Code 5 for an unknown user.
    pub fn user_not_found() -> Self {
        Self::new(Code::NotFound, "userNotFound", "The user does not exist.")
    }

    /// The same error with field names prefixed (`user[3].`).
    pub fn prefixed(mut self, prefix: &str) -> Self {
        for (field, _) in &mut self.violations {
            *field = format!("{prefix}{field}");
        }
        if !self.violations.is_empty() || self.code == Code::AlreadyExists {
            self.message = format!("{prefix}{}", self.message);
        }
        self
    }

    fn body(&self, request_id: &str) -> Value {
        let mut details = vec![json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": self.reason, "domain": "iam", "metadata": {},
        })];
        if !self.violations.is_empty() {
            let violations: Vec<Value> =
                self.violations.iter().map(|(f, d)| json!({"field": f, "description": d})).collect();
            details.push(json!({"@type": "type.googleapis.com/google.rpc.BadRequest", "field_violations": violations}));
        }
        serde_json::to_value(Status { code: self.code.number(), message: &self.message, details, request_id })
            .unwrap_or(Value::Null)
    }
}

/// `google.rpc.Status` with the request id: the iam error answer.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Status<'a> {
    /// The gRPC code (3 invalid argument, 5 not found, 6 already exists, 7 permission denied, 16 unauthenticated, …).
    pub code: u16,
    /// What went wrong, naming the field.
    pub message: &'a str,
    /// A `google.rpc.ErrorInfo` (`reason`, `domain: "iam"`), then a `google.rpc.BadRequest` with
    /// `field_violations` for invalid fields.
    #[schema(value_type = Vec<Object>)]
    pub details: Vec<Value>,
    /// The request id (also in `X-Request-Id`).
    pub request_id: &'a str,
}

impl std::fmt::Display for IamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.code.number(), self.reason, self.message)
    }
}

impl ResponseError for IamError {
    fn status_code(&self) -> StatusCode {
        self.code.http()
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.code.http()).json(self.body(""))
    }
}

impl TracedError for IamError {
    fn render_traced(&self, request_id: &str) -> HttpResponse {
        HttpResponse::build(self.code.http()).json(self.body(request_id))
    }
}

/// Paths and methods the dialect does not serve.
pub async fn unknown_route() -> Result<HttpResponse, IamError> {
    Err(IamError::new(Code::NotFound, "notFound", "No such iam endpoint."))
}

impl From<ReadError> for IamError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::TooLarge => {
                IamError::new(Code::ResourceExhausted, "bodyTooLarge", "The body is larger than the 64 KiB allowed.")
            }
            ReadError::TimedOut => {
                IamError::new(Code::DeadlineExceeded, "bodyTimeout", "The body did not arrive in time.")
            }
            ReadError::Broken => IamError::field("body", "The body could not be read."),
        }
    }
}

impl From<BodyError> for IamError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::Syntax => Self::field("body", "must be a JSON object."),
            BodyError::Field { field, message, .. } => Self::field(field, message),
        }
    }
}

impl From<DomainError> for IamError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid { field, message } => Self::field(field, message),
            DomainError::TooLong { field, max, .. } => Self::field(field, format!("must be at most {max} characters.")),
            DomainError::OutOfRange { field, min, max, .. } => {
                Self::field(field, format!("must be an integer from {min} to {max}."))
            }
            DomainError::InvalidAt { index, field, message } => Self::field(format!("user[{index}].{field}"), message),
            DomainError::NotFound { entity: "account" } => Self::user_not_found(),
            DomainError::NotFound { entity } => {
                Self::new(Code::NotFound, "notFound", format!("The {entity} does not exist."))
            }
            DomainError::Conflict { field } => {
                Self::new(Code::AlreadyExists, "alreadyExists", format!("{field} is already in use."))
            }
            DomainError::ConflictAt { index, field } => {
                Self::new(Code::AlreadyExists, "alreadyExists", format!("user[{index}].{field} is already in use."))
            }
            DomainError::Stale | DomainError::VersionMismatch => Self::new(
                Code::Aborted,
                "concurrentUpdate",
                "The user was changed by someone else at the same time. Please try again.",
            ),
            DomainError::UnknownAccounts(_) => Self::user_not_found(),
            DomainError::OwnsWorkspace { .. } => Self::new(
                Code::FailedPrecondition,
                "ownsWorkspace",
                "The user is the only owner of a workspace; transfer the workspace first.",
            ),
            DomainError::ActiveKeyLimit => Self::new(
                Code::FailedPrecondition,
                "activeKeyLimit",
                "The user already has two active access keys; disable or delete one first.",
            ),
            DomainError::Forbidden(why) => Self::new(Code::PermissionDenied, "permissionDenied", why),
            DomainError::KeyRefused(KeyRefusal::ReplayedNonce) => Self::unauthenticated(
                "replayedSignature",
                "This signature was already used; sign the request again with a new X-Date.",
            ),
            DomainError::KeyRefused(KeyRefusal::ClockSkew) => {
                Self::unauthenticated("dateSkew", "X-Date is more than five minutes from the server's clock.")
            }
            DomainError::KeyRefused(why) => Self::unauthenticated(refusal_reason(why), why.message()),
            DomainError::Unauthenticated(why) => Self::unauthenticated("unauthenticated", why),
            DomainError::Unavailable(source) => {
                tracing::error!(error = %source, "unavailable");
                Self::new(
                    Code::Unavailable,
                    "unavailable",
                    "The service is temporarily unavailable; retry in a moment.",
                )
            }
            DomainError::Internal(source) => {
                tracing::error!(error = %source, "internal error");
                Self::new(Code::Internal, "internal", "Internal error.")
            }
            // the console's own flows, which this dialect does not call: reaching here is a bug, logged and
            // answered as an internal error
            e @ console_flow_errors!() => {
                tracing::error!(error = %e, "a console-only error reached the iam dialect");
                Self::new(Code::Internal, "internal", "Internal error.")
            }
        }
    }
}

/// The `ErrorInfo` reason of each access-key refusal.
fn refusal_reason(why: KeyRefusal) -> &'static str {
    match why {
        KeyRefusal::BadCredentials => "invalidSignature",
        KeyRefusal::KeyDisabled => "accessKeyDisabled",
        KeyRefusal::AccountUnusable => "userDisabled",
        KeyRefusal::OpenApiDisabled => "openApiDisabled",
        KeyRefusal::ReplayedNonce => "replayedSignature",
        KeyRefusal::ClockSkew => "dateSkew",
    }
}
