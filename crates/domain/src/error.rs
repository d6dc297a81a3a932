//! The one error type of the domain. Each HTTP dialect maps it to its own envelope with an explicit table;
//! the domain never knows about status codes.

use std::fmt;

/// Result alias for domain operations.
pub type DomainResult<T> = Result<T, DomainError>;

/// Why a use case or port refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// Input failed a rule; `field` names the offending field, `message` says why.
    #[error("invalid {field}: {message}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Why.
        message: String,
    },
    /// Text longer than the field's one limit, in characters; `value` is the text sent (never a secret), for
    /// dialects whose messages echo it.
    #[error("{field} must be at most {max} characters")]
    TooLong {
        /// The field.
        field: &'static str,
        /// Most characters allowed.
        max: usize,
        /// The text sent.
        value: String,
    },
    /// A number outside the field's range, or not a number; `value` is the text sent.
    #[error("{field} must be an integer from {min} to {max}")]
    OutOfRange {
        /// The field.
        field: &'static str,
        /// Smallest value allowed.
        min: i64,
        /// Largest value allowed.
        max: i64,
        /// The text sent.
        value: String,
    },
    /// The entity does not exist (or the caller may not know it exists).
    #[error("{entity} not found")]
    NotFound {
        /// What was looked for (`account`, `workspace`, …).
        entity: &'static str,
    },
    /// Item `index` of a batch failed a rule.
    #[error("item {index}: invalid {field}: {message}")]
    InvalidAt {
        /// The item's position in the batch, from 0.
        index: usize,
        /// The field.
        field: &'static str,
        /// Why.
        message: String,
    },
    /// A unique value is already taken by a live row; `field` names it.
    #[error("{field} already exists")]
    Conflict {
        /// The field.
        field: &'static str,
    },
    /// Item `index` of a batch holds a value that another item or a live account already holds.
    #[error("item {index}: {field} already exists")]
    ConflictAt {
        /// The item's position in the batch, from 0.
        index: usize,
        /// The field.
        field: &'static str,
    },
    /// These accounts do not exist (or are deleted).
    #[error("unknown accounts: {0:?}")]
    UnknownAccounts(Vec<uuid::Uuid>),
    /// The account owns a workspace: deleting it would orphan the workspace.
    #[error("account {account_id} owns a workspace")]
    OwnsWorkspace {
        /// The owner.
        account_id: uuid::Uuid,
    },
    /// The caller is authenticated but may not do this.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// No usable credentials; the text is safe to show.
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),
    /// The entity changed between read and write; the caller may retry with fresh data.
    #[error("stale write")]
    Stale,
    /// The entity changed since the version the caller named (a conditional write).
    #[error("version mismatch")]
    VersionMismatch,
    /// The caller tried to change its own membership (role, removal).
    #[error("cannot operate on self")]
    CannotOperateSelf,
    /// The invitation token is unknown, expired, used, or does not match.
    #[error("invalid invitation")]
    InvalidInvitation,
    /// Setup has already been done.
    #[error("already set up")]
    AlreadySetup,
    /// Setup has not been done yet.
    #[error("not set up")]
    NotSetup,
    /// Email or password wrong (also answered for unknown emails unless the compatibility switch is on).
    #[error("email or password mismatch")]
    InvalidCredentials,
    /// Unknown email, answered only under `DANGER_REVEAL_UNKNOWN_ACCOUNTS`.
    #[error("account not found")]
    AccountNotFound,
    /// The account is banned (answered only to a caller who proved the password).
    #[error("account banned")]
    AccountBanned,
    /// Console login is switched off for this account.
    #[error("console login disabled")]
    ConsoleLoginDisabled,
    /// Too many failed logins for this address; wait or ask an admin to unlock.
    #[error("login locked")]
    LoginLocked,
    /// The right password was given, but the account must set a new one before it may sign in; `token` is
    /// accepted only by [`crate::usecases::UseCases::change_required_password`].
    #[error("password change required")]
    PasswordChangeRequired {
        /// The single-purpose token of the password-change step.
        token: String,
    },
    /// The right password was given, but the account's second factor must be entered; `token` is accepted only
    /// by [`crate::usecases::UseCases::login_second_factor`].
    #[error("second factor required")]
    SecondFactorRequired {
        /// The single-purpose token of the second-factor step.
        token: String,
    },
    /// The right password was given, but a second factor is mandatory for the account and it has none; `token`
    /// allows enrolment only ([`crate::usecases::UseCases::begin_sign_in_enrollment`]).
    #[error("second factor enrollment required")]
    EnrollmentRequired {
        /// The single-purpose token of the enrolment step.
        token: String,
    },
    /// The code is not the second factor's current code (nor an unused recovery code), or was used already.
    #[error("wrong second-factor code")]
    WrongSecondFactor,
    /// The account already has a confirmed second factor; remove it before enrolling another.
    #[error("second factor already enrolled")]
    SecondFactorExists,
    /// The account has no active workspace to enter.
    #[error("no workspace")]
    NoWorkspace,
    /// The refresh token is unknown, expired, revoked or was reused.
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    /// Too many mails were requested from this client address recently.
    #[error("mail throttled for this address")]
    MailIpLimited,
    /// A code mail went to this address less than a minute ago.
    #[error("mail throttled for this recipient")]
    MailRateLimited,
    /// Too many wrong codes were entered for this address; wait.
    #[error("too many wrong codes")]
    CodeAttemptsExceeded,
    /// The code token is unknown, expired, used up, or not yet confirmed with its code.
    #[error("invalid or expired code token")]
    InvalidCodeToken,
    /// The email does not match the code token's address.
    #[error("email does not match the token")]
    CodeEmailMismatch,
    /// The code is wrong.
    #[error("wrong code")]
    WrongCode,
    /// The password and its confirmation differ.
    #[error("passwords do not match")]
    PasswordMismatch,
    /// Self-registration is switched off (`IS_PUBLIC_DEPLOYMENT` is false).
    #[error("registration closed")]
    RegistrationClosed,
    /// The address already has an account (answered only under the compatibility switch).
    #[error("email already registered")]
    EmailAlreadyRegistered,
    /// The account already has the most active access keys allowed (two: one in use, one being rotated in).
    #[error("too many active access keys")]
    ActiveKeyLimit,
    /// A machine request's access key was refused; the reason is safe to show (unknown keys and wrong
    /// secrets or signatures share one).
    #[error("access key refused: {}", .0.message())]
    KeyRefused(KeyRefusal),
    /// A sign-in through an external provider (GitHub, Google, OpenID Connect) was refused; the reason is safe
    /// to show.
    #[error("sign-in refused: {}", .0.message())]
    SignInRefused(SignInRefusal),
    /// A store or service the use case needs cannot be reached right now (no database connection could be had,
    /// or it broke); nothing was written, and the caller may retry shortly. Details are logged.
    #[error("unavailable: {0}")]
    Unavailable(#[source] InternalError),
    /// Unexpected failure in an adapter; details are logged, never sent to clients.
    #[error("internal error: {0}")]
    Internal(#[source] InternalError),
}

impl DomainError {
    /// Shorthand for [`DomainError::Invalid`].
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid { field, message: message.into() }
    }

    /// Wraps an adapter failure.
    pub fn internal(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(InternalError(Box::new(source)))
    }

    /// A store that cannot be reached right now.
    pub fn unavailable(source: impl std::fmt::Display) -> Self {
        Self::Unavailable(InternalError(source.to_string().into()))
    }

    /// Wraps an adapter failure described by text only.
    pub fn internal_msg(message: impl Into<String>) -> Self {
        Self::Internal(InternalError(message.into().into()))
    }
}

/// Why an access key did not authenticate a machine request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRefusal {
    /// Unknown key, wrong secret or wrong signature (one answer, so keys cannot be probed).
    BadCredentials,
    /// The key is disabled.
    KeyDisabled,
    /// The key's account is deleted, not active, banned or expired.
    AccountUnusable,
    /// The key's account has open-API access switched off.
    OpenApiDisabled,
    /// The request's nonce was already used within the signature window (a replay).
    ReplayedNonce,
    /// The request's signed time is further from the server's clock than its scheme's window.
    ClockSkew,
}

impl KeyRefusal {
    /// A stable name of the reason (`bad_credentials`, `key_disabled`, …), for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadCredentials => "bad_credentials",
            Self::KeyDisabled => "key_disabled",
            Self::AccountUnusable => "account_unusable",
            Self::OpenApiDisabled => "open_api_disabled",
            Self::ReplayedNonce => "replayed_nonce",
            Self::ClockSkew => "clock_skew",
        }
    }

    /// Text for the client.
    pub fn message(self) -> &'static str {
        match self {
            Self::BadCredentials => "Invalid access key or secret.",
            Self::KeyDisabled => "The access key is disabled.",
            Self::AccountUnusable => "The account of this access key is disabled.",
            Self::OpenApiDisabled => "Open API access is disabled for this account.",
            Self::ReplayedNonce => "This nonce was already used: every request needs a new one.",
            Self::ClockSkew => "The request's time is too far from the server's clock.",
        }
    }
}

/// Why a sign-in through an external provider did not go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInRefusal {
    /// No provider of this name is configured.
    UnknownProvider,
    /// The callback's state is missing, does not match the browser's, has expired or was already used.
    InvalidState,
    /// The provider refused the code, or its answer failed validation (issuer, audience, expiry, nonce,
    /// signature), or the person cancelled at the provider.
    ProviderFailed,
    /// An account holds the provider's address, but the provider does not vouch for it: no link is made.
    EmailUnverified,
    /// The provider gave no email address, and a new account needs one.
    NoEmail,
    /// The account is already linked to another identity at this provider.
    IdentityConflict,
}

impl SignInRefusal {
    /// Text for the person signing in.
    pub fn message(self) -> &'static str {
        match self {
            Self::UnknownProvider => "Invalid provider",
            Self::InvalidState => "The sign-in request is invalid or has expired. Please try again.",
            Self::ProviderFailed => "OAuth process failed.",
            Self::EmailUnverified => "The provider has not verified this email address.",
            Self::NoEmail => "The provider did not share an email address.",
            Self::IdentityConflict => "This account is already linked to another identity at this provider.",
        }
    }
}

/// An adapter failure; its `Display` is for logs only. Its [`std::error::Error::source`] is the adapter's
/// error's own source, so a chain of causes survives.
pub struct InternalError(Box<dyn std::error::Error + Send + Sync>);

impl fmt::Debug for InternalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for InternalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for InternalError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("pool timed out")]
    struct Cause;

    #[derive(Debug, thiserror::Error)]
    #[error("no database connection")]
    struct AdapterError(#[source] Cause);

    #[test]
    fn an_adapter_failure_keeps_its_chain_of_causes_and_converts_into_boxed_errors() {
        let e = DomainError::internal(AdapterError(Cause));
        assert_eq!(e.to_string(), "internal error: no database connection");
        let inner = std::error::Error::source(&e).expect("the adapter's error");
        assert_eq!(inner.to_string(), "no database connection");
        assert_eq!(inner.source().map(ToString::to_string).as_deref(), Some("pool timed out"));
        let boxed: Box<dyn std::error::Error + Send + Sync> = e.into();
        assert!(boxed.to_string().starts_with("internal error"));
    }
}
