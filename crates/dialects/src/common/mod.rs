//! What every dialect shares, written once: JSON bodies parsed with the path of the offending field
//! ([`json`]) and read within a deadline ([`connection`]), query parameters ([`query`]), the caller of the machine dialects authenticated by an access key
//! ([`caller`]), request ids ([`request_id`]) and the route declarations ([`routes`]). A dialect renders their failures in its own envelope.

pub mod caller;
pub mod connection;
pub mod json;
pub mod query;
pub mod request_id;
pub mod routes;

/// The domain errors of the console's own flows (setup, sign-in, registration, invitations, mail codes), as one
/// pattern. The machine dialects never call those use cases; their error tables list these with this pattern,
/// so that each table still names every variant and a new one does not compile until every table answers it.
macro_rules! console_flow_errors {
    () => {
        domain::DomainError::AlreadySetup
            | domain::DomainError::NotSetup
            | domain::DomainError::CannotOperateSelf
            | domain::DomainError::InvalidInvitation
            | domain::DomainError::InvalidCredentials
            | domain::DomainError::AccountNotFound
            | domain::DomainError::AccountBanned
            | domain::DomainError::ConsoleLoginDisabled
            | domain::DomainError::LoginLocked
            | domain::DomainError::PasswordChangeRequired { .. }
            | domain::DomainError::SecondFactorRequired { .. }
            | domain::DomainError::EnrollmentRequired { .. }
            | domain::DomainError::WrongSecondFactor
            | domain::DomainError::SecondFactorExists
            | domain::DomainError::NoWorkspace
            | domain::DomainError::InvalidRefreshToken
            | domain::DomainError::MailIpLimited
            | domain::DomainError::MailRateLimited
            | domain::DomainError::CodeAttemptsExceeded
            | domain::DomainError::InvalidCodeToken
            | domain::DomainError::CodeEmailMismatch
            | domain::DomainError::WrongCode
            | domain::DomainError::PasswordMismatch
            | domain::DomainError::RegistrationClosed
            | domain::DomainError::EmailAlreadyRegistered
            | domain::DomainError::SignInRefused(_)
    };
}
pub(crate) use console_flow_errors;
