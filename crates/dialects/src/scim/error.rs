//! SCIM errors (RFC 7644 §3.12): `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "400",
//! "scimType": "invalidValue", "detail": "…"}` with `Content-Type: application/scim+json`, and the table from
//! every domain error to one of them.

use actix_web::http::header::{HeaderValue, WWW_AUTHENTICATE};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use domain::DomainError;
use serde::Serialize;
use utoipa::ToSchema;

use super::CONTENT_TYPE;
use crate::common::console_flow_errors;
use crate::common::json::ReadError;

/// The schema URN of an error body.
pub const ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The `scimType` of a 400 or 409 answer (RFC 7644, table 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimType {
    /// The filter is malformed or names an attribute that cannot be filtered.
    InvalidFilter,
    /// A value is not acceptable (wrong type, fails a rule, missing where required).
    InvalidValue,
    /// The body is not valid JSON or not a valid SCIM message.
    InvalidSyntax,
    /// A PATCH path is malformed or names an attribute it cannot reach.
    InvalidPath,
    /// A PATCH operation names no target.
    NoTarget,
    /// An attribute that cannot change was given a new value.
    Mutability,
    /// A unique value is taken.
    Uniqueness,
    /// The filter or page asks for more than the server returns.
    TooMany,
}

impl ScimType {
    fn as_str(self) -> &'static str {
        match self {
            Self::InvalidFilter => "invalidFilter",
            Self::InvalidValue => "invalidValue",
            Self::InvalidSyntax => "invalidSyntax",
            Self::InvalidPath => "invalidPath",
            Self::NoTarget => "noTarget",
            Self::Mutability => "mutability",
            Self::Uniqueness => "uniqueness",
            Self::TooMany => "tooMany",
        }
    }
}

/// A refusal or failure of the SCIM dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The detail error keyword, for 400 and 409 answers.
    pub scim_type: Option<ScimType>,
    /// What went wrong, in words.
    pub detail: String,
}

/// The body of every SCIM error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Always `["urn:ietf:params:scim:api:messages:2.0:Error"]`.
    pub schemas: [&'static str; 1],
    /// The HTTP status, as a string.
    #[schema(example = "400")]
    pub status: String,
    /// The detail error keyword of a 400 or 409 answer.
    #[serde(rename = "scimType", skip_serializing_if = "Option::is_none")]
    #[schema(example = "invalidValue")]
    pub scim_type: Option<&'static str>,
    /// What went wrong, in words.
    pub detail: String,
}

/// The answers every authenticated SCIM operation may give besides its own: 401 (no usable access key) and 503
/// (the database is unavailable; nothing was written).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code, reason = "describes answers the error table builds, for the API document")]
pub enum KeyFailures {
    /// The access key is missing or refused.
    #[response(status = 401, content_type = "application/scim+json")]
    Unauthorized(ErrorBody),
    /// The database is unavailable.
    #[response(status = 503, content_type = "application/scim+json")]
    Unavailable(ErrorBody),
}

impl ScimError {
    /// An error with this status and no `scimType`.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self { status, scim_type: None, detail: detail.into() }
    }

    /// A 400 with this `scimType`.
    pub fn bad(scim_type: ScimType, detail: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, scim_type: Some(scim_type), detail: detail.into() }
    }

    /// A 404 for an unknown resource.
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{what} not found."))
    }

    fn body(&self) -> ErrorBody {
        ErrorBody {
            schemas: [ERROR_URN],
            status: self.status.as_u16().to_string(),
            scim_type: self.scim_type.map(ScimType::as_str),
            detail: self.detail.clone(),
        }
    }
}

impl std::fmt::Display for ScimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.detail)
    }
}

impl ResponseError for ScimError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.content_type(CONTENT_TYPE);
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"scim\"")));
        }
        response.json(self.body())
    }
}

/// Paths and methods the dialect does not serve.
pub async fn unknown_route() -> Result<HttpResponse, ScimError> {
    Err(ScimError::new(StatusCode::NOT_FOUND, "No such SCIM endpoint."))
}

impl From<ReadError> for ScimError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::TooLarge => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "The body is larger than the 64 KiB allowed.")
            }
            ReadError::TimedOut => Self::new(StatusCode::REQUEST_TIMEOUT, "The body did not arrive in time."),
            ReadError::Broken => Self::bad(ScimType::InvalidSyntax, "The body could not be read."),
        }
    }
}

/// The SCIM name of a domain field, for messages.
pub fn attribute_name(field: &str) -> &str {
    match field {
        "username" => "userName",
        "email" => "emails",
        "phone" => "phoneNumbers",
        "external_id" => "externalId",
        "name" => "displayName",
        other => other,
    }
}

impl From<DomainError> for ScimError {
    fn from(e: DomainError) -> Self {
        use StatusCode as S;
        match e {
            DomainError::Invalid { field, message } | DomainError::InvalidAt { field, message, .. } => {
                Self::bad(ScimType::InvalidValue, format!("{}: {message}", attribute_name(field)))
            }
            DomainError::TooLong { field, max, .. } => Self::bad(
                ScimType::InvalidValue,
                format!("{}: must be at most {max} characters.", attribute_name(field)),
            ),
            DomainError::OutOfRange { field, min, max, .. } => Self::bad(
                ScimType::InvalidValue,
                format!("{}: must be an integer from {min} to {max}.", attribute_name(field)),
            ),
            DomainError::NotFound { entity: "account" } | DomainError::UnknownAccounts(_) => Self::not_found("User"),
            DomainError::NotFound { entity } => Self::not_found(entity),
            DomainError::Conflict { field } | DomainError::ConflictAt { field, .. } => Self {
                status: S::CONFLICT,
                scim_type: Some(ScimType::Uniqueness),
                detail: format!("{} is already in use.", attribute_name(field)),
            },
            DomainError::Stale => {
                Self::new(S::CONFLICT, "The resource was changed by someone else at the same time; try again.")
            }
            DomainError::VersionMismatch => Self::new(
                S::PRECONDITION_FAILED,
                "The resource changed since the version named by If-Match; read it again.",
            ),
            DomainError::OwnsWorkspace { .. } => {
                Self::new(S::CONFLICT, "The user is the only owner of a workspace; transfer the workspace first.")
            }
            DomainError::ActiveKeyLimit => {
                Self::new(S::CONFLICT, "The user already has two active access keys; disable or delete one first.")
            }
            DomainError::Forbidden(why) => Self::new(S::FORBIDDEN, why),
            DomainError::KeyRefused(why) => Self::new(S::UNAUTHORIZED, why.message()),
            DomainError::Unauthenticated(why) => Self::new(S::UNAUTHORIZED, why),
            DomainError::Unavailable(source) => {
                tracing::error!(error = %source, "unavailable");
                Self::new(S::SERVICE_UNAVAILABLE, "The service is temporarily unavailable; retry in a moment.")
            }
            DomainError::Internal(source) => {
                tracing::error!(error = %source, "internal error");
                Self::new(S::INTERNAL_SERVER_ERROR, "Internal error.")
            }
            // the console's own flows, which this dialect does not call: reaching here is a bug, logged and
            // answered as an internal error
            e @ console_flow_errors!() => {
                tracing::error!(error = %e, "a console-only error reached the SCIM dialect");
                Self::new(S::INTERNAL_SERVER_ERROR, "Internal error.")
            }
        }
    }
}
