//! The openapi/v1 error envelope: `{"errcode": <HTTP status>, "errmsg": "<text naming the field>", "data":
//! null}`, with the same HTTP status.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use domain::DomainError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::common::console_flow_errors;
use crate::common::json::{BodyError, ReadError};

/// An openapi/v1 error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenApiError {
    status: StatusCode,
    message: String,
}

impl OpenApiError {
    /// The same error with `prefix` in front of its text (naming the batch item).
    pub fn prefixed(self, prefix: &str) -> Self {
        Self { message: format!("{prefix}{}", self.message), ..self }
    }

    /// An error with this status and text.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }
}

impl std::fmt::Display for OpenApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}

/// `{errcode, errmsg, data: null}`: the openapi/v1 error answer.
#[derive(Serialize, ToSchema)]
pub struct ErrorEnvelope<'a> {
    /// The HTTP status again.
    pub errcode: u16,
    /// What went wrong, naming the field.
    pub errmsg: &'a str,
    /// Always null in an error.
    #[schema(value_type = Option<Object>)]
    pub data: Option<()>,
}

impl ResponseError for OpenApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(ErrorEnvelope {
            errcode: self.status.as_u16(),
            errmsg: &self.message,
            data: None,
        })
    }
}

impl From<ReadError> for OpenApiError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::TooLarge => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "The body is larger than the 2 MiB allowed.")
            }
            ReadError::TimedOut => Self::new(StatusCode::REQUEST_TIMEOUT, "The body did not arrive in time."),
            ReadError::Broken => Self::new(StatusCode::BAD_REQUEST, "The body could not be read."),
        }
    }
}

impl From<BodyError> for OpenApiError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::Syntax => Self::new(StatusCode::BAD_REQUEST, "The body must be a JSON object."),
            BodyError::Field { field, message, missing: true } => {
                Self::new(StatusCode::BAD_REQUEST, format!("{field}: {message}"))
            }
            BodyError::Field { message, .. } => Self::new(StatusCode::BAD_REQUEST, message),
        }
    }
}

/// This dialect's name of a field the domain names.
pub fn field_name(field: &str) -> &str {
    match field {
        "id" => "uid",
        "name" => "nickname",
        "description" => "desc",
        "ids" => "accountUids",
        other => other,
    }
}

impl From<DomainError> for OpenApiError {
    fn from(e: DomainError) -> Self {
        use StatusCode as S;
        match e {
            DomainError::Invalid { field, message } => Self::new(S::BAD_REQUEST, format!("{field}: {message}")),
            DomainError::InvalidAt { index, field, message } => {
                Self::new(S::BAD_REQUEST, format!("accounts[{index}].{field}: {message}"))
            }
            DomainError::OutOfRange { field, min, max, value } => Self::new(
                S::BAD_REQUEST,
                format!("{}: must be an integer from {min} to {max}, not {value:?}.", field_name(field)),
            ),
            DomainError::TooLong { field, max, .. } => {
                Self::new(S::BAD_REQUEST, format!("{}: must be at most {max} characters.", field_name(field)))
            }
            DomainError::NotFound { entity } => Self::new(S::NOT_FOUND, format!("The {entity} does not exist.")),
            DomainError::Conflict { field } => {
                Self::new(S::CONFLICT, format!("{}: already in use.", field_name(field)))
            }
            DomainError::ConflictAt { index, field } => {
                Self::new(S::CONFLICT, format!("accounts[{index}].{}: already in use.", field_name(field)))
            }
            DomainError::Forbidden(why) => Self::new(S::FORBIDDEN, why),
            DomainError::Stale | DomainError::VersionMismatch => {
                Self::new(S::CONFLICT, "The account was changed by someone else at the same time. Please try again.")
            }
            DomainError::Unauthenticated(why) => Self::new(S::UNAUTHORIZED, why),
            DomainError::KeyRefused(why) => Self::new(S::UNAUTHORIZED, why.message()),
            DomainError::UnknownAccounts(ids) => {
                let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
                Self::new(S::NOT_FOUND, format!("Unknown accounts: {}.", ids.join(", ")))
            }
            DomainError::OwnsWorkspace { account_id } => Self::new(
                S::CONFLICT,
                format!("{account_id} is the only owner of a workspace; transfer the workspace before deleting it."),
            ),
            DomainError::Unavailable(source) => {
                tracing::error!(error = %source, "unavailable");
                Self::new(S::SERVICE_UNAVAILABLE, "The service is temporarily unavailable; retry in a moment.")
            }
            DomainError::Internal(source) => {
                tracing::error!(error = %source, "internal error");
                Self::new(S::INTERNAL_SERVER_ERROR, "Internal server error.")
            }
            DomainError::ActiveKeyLimit => {
                Self::new(S::CONFLICT, "The account already has two active access keys; disable or delete one first.")
            }
            // the console's own flows, which this dialect does not call: reaching here is a bug, logged and
            // answered as an internal error
            e @ console_flow_errors!() => {
                tracing::error!(error = %e, "a console-only error reached the openapi/v1 dialect");
                Self::new(S::INTERNAL_SERVER_ERROR, "Internal server error.")
            }
        }
    }
}

/// Paths and methods the dialect does not serve, in its envelope.
pub async fn unknown_route() -> Result<actix_web::HttpResponse, OpenApiError> {
    Err(OpenApiError::new(StatusCode::NOT_FOUND, "No such openapi/v1 endpoint."))
}
