//! Use cases shared by every dialect. A dialect parses its request into the command types here, calls one
//! method of [`UseCases`], and renders the result; it never talks to a port directly.

mod access_keys;
mod account_lifecycle;
mod accounts;
mod audit;
mod auth;
mod codes;
mod datasets;
mod directory;
mod group_workspaces;
mod groups;
mod housekeeping;
mod invitations;
mod mail;
mod mfa;
mod repairs;
mod setup;
mod social;
mod workspaces;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use crate::error::DomainResult;
use crate::ports::{
    AccessKeyRepository, AccessTokenCodec, AccountRepository, AuditLog, AuthEvents, Clock, CodeRepository,
    DatasetRepository, GroupRepository, Housekeeping, IdGenerator, IdentityRepository, InstallationRepository,
    InvitationRepository, Mailer, MfaRepository, OneTimePasswords, OutboxRepository, PasswordHasher, SecretCipher,
    SecretVerifier, SessionRepository, SignInProviders, ThrottleRepository, TokenFactory, WorkspaceRepository,
};

/// How many times a write that lost a race (`Stale`: the row changed between read and write, or the database
/// rolled the transaction back as a deadlock or serialization failure) is planned again from fresh data before
/// the caller is told. A write fails an attempt only when another write committed between its read and its own
/// write, so up to this many concurrent writers of one account all succeed.
pub(crate) const WRITE_ATTEMPTS: usize = 5;

pub use access_keys::{AccessKeyView, Actor, KeyProof, SignatureWindow, DATE_SIGNATURE_WINDOW, MAX_ACTIVE_KEYS};
pub use account_lifecycle::{NewAccount, WorkspaceRef, MAX_BATCH};
pub use accounts::AccountPatch;
pub use audit::{AuditPage, MAX_AUDIT_PAGE};
pub use auth::LoginCommand;
pub use codes::{CodeRedemption, CodeRequest};
pub use datasets::DatasetInput;
pub use group_workspaces::WorkspaceChange;
pub use housekeeping::{PURGE_BATCH, PURGE_MAX_BATCHES};
pub use invitations::{Activation, InviteOutcome};
pub use mail::DeliveryReport;
pub use mfa::{FactorRemovalProof, SecondFactorCode, RECOVERY_CODES};
pub use repairs::RepairReport;
pub use setup::SetupCommand;
pub use social::{SocialCallback, SocialLanding, SocialStart};

/// The adapters the use cases run on.
#[derive(Clone)]
pub struct Ports {
    /// Accounts.
    pub accounts: Arc<dyn AccountRepository>,
    /// Links to sign-in providers' identities.
    pub identities: Arc<dyn IdentityRepository>,
    /// Installation state.
    pub installation: Arc<dyn InstallationRepository>,
    /// Enterprise groups.
    pub groups: Arc<dyn GroupRepository>,
    /// Workspaces and their members.
    pub workspaces: Arc<dyn WorkspaceRepository>,
    /// Workspace invitations.
    pub invitations: Arc<dyn InvitationRepository>,
    /// Datasets.
    pub datasets: Arc<dyn DatasetRepository>,
    /// Login sessions.
    pub sessions: Arc<dyn SessionRepository>,
    /// Counters.
    pub throttles: Arc<dyn ThrottleRepository>,
    /// One-time codes.
    pub codes: Arc<dyn CodeRepository>,
    /// The mail outbox.
    pub outbox: Arc<dyn OutboxRepository>,
    /// Mail delivery (used by the outbox worker only).
    pub mailer: Arc<dyn Mailer>,
    /// Removal of rows that outlived their use.
    pub housekeeping: Arc<dyn Housekeeping>,
    /// The audit log, for reading.
    pub audit: Arc<dyn AuditLog>,
    /// Access keys.
    pub access_keys: Arc<dyn AccessKeyRepository>,
    /// Second factors and recovery codes.
    pub mfa: Arc<dyn MfaRepository>,
    /// TOTP codes and recovery codes.
    pub otp: Arc<dyn OneTimePasswords>,
    /// External sign-in providers.
    pub sign_in: Arc<dyn SignInProviders>,
    /// Sealing of access-key secrets.
    pub cipher: Arc<dyn SecretCipher>,
    /// Password hashing.
    pub hasher: Arc<dyn PasswordHasher>,
    /// Access tokens.
    pub tokens: Arc<dyn AccessTokenCodec>,
    /// New refresh tokens, access keys and codes, and their digests.
    pub secrets: Arc<dyn TokenFactory>,
    /// Constant-time checks of secrets, codes and request signatures.
    pub verifier: Arc<dyn SecretVerifier>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Ids.
    pub ids: Arc<dyn IdGenerator>,
    /// Where authentication outcomes are reported (metrics).
    pub events: Arc<dyn AuthEvents>,
}

impl Ports {
    /// Ports for a service that provides only some adapters: every port refuses ([`Unsupported`]) except the
    /// two that cannot refuse (`secrets` and `verifier`), with no sign-in provider, the system clock, random ids
    /// and authentication outcomes reported nowhere. Replace the ports your use cases need with struct update syntax:
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use domain::ports::{TokenFactory, SecretVerifier};
    /// use domain::usecases::{Ports, Settings, UseCases};
    /// # struct Secrets;
    /// # impl TokenFactory for Secrets {
    /// #     fn new_refresh_token(&self) -> String { unreachable!() }
    /// #     fn digest(&self, _: &str) -> String { unreachable!() }
    /// #     fn new_access_key(&self) -> (String, String) { unreachable!() }
    /// #     fn new_code(&self) -> String { unreachable!() }
    /// #     fn code_digest(&self, _: &str, _: &str) -> String { unreachable!() }
    /// # }
    /// # impl SecretVerifier for Secrets {
    /// #     fn secrets_equal(&self, _: &str, _: &str) -> bool { false }
    /// #     fn code_matches(&self, _: &str, _: &str, _: &str) -> bool { false }
    /// #     fn signature_matches(&self, _: &str, _: &[u8], _: &[u8]) -> bool { false }
    /// # }
    /// # let (my_secrets, my_verifier) = (Arc::new(Secrets), Arc::new(Secrets));
    /// # let my_datasets = Arc::new(domain::ports::Unsupported);
    ///
    /// let ports = Ports { datasets: my_datasets, ..Ports::minimal(my_secrets, my_verifier) };
    /// let use_cases = UseCases::new(ports, Settings::default());
    /// # let _ = use_cases;
    /// ```
    ///
    /// [`Unsupported`]: crate::ports::Unsupported
    pub fn minimal(secrets: Arc<dyn TokenFactory>, verifier: Arc<dyn SecretVerifier>) -> Self {
        let unsupported = Arc::new(crate::ports::Unsupported);
        Self {
            accounts: unsupported.clone(),
            identities: unsupported.clone(),
            installation: unsupported.clone(),
            groups: unsupported.clone(),
            workspaces: unsupported.clone(),
            invitations: unsupported.clone(),
            datasets: unsupported.clone(),
            sessions: unsupported.clone(),
            throttles: unsupported.clone(),
            codes: unsupported.clone(),
            outbox: unsupported.clone(),
            mailer: unsupported.clone(),
            housekeeping: unsupported.clone(),
            audit: unsupported.clone(),
            access_keys: unsupported.clone(),
            mfa: unsupported.clone(),
            otp: unsupported.clone(),
            sign_in: Arc::new(crate::ports::NoSignInProviders),
            cipher: unsupported.clone(),
            hasher: unsupported.clone(),
            tokens: unsupported,
            secrets,
            verifier,
            clock: Arc::new(crate::ports::SystemClock),
            ids: Arc::new(crate::ports::RandomIds),
            events: Arc::new(crate::ports::NoAuthEvents),
        }
    }
}

/// Policy settings of the use cases (from configuration).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Lifetime of a console access token.
    pub access_token_ttl: Duration,
    /// Idle lifetime of a refresh token when the account sets none.
    pub refresh_token_ttl: Duration,
    /// Absolute lifetime of a session when the account sets none.
    pub session_max_lifetime: Duration,
    /// Failed logins tolerated before the address is locked (locked when the count exceeds it).
    pub login_lockout_threshold: i64,
    /// How long failed logins are remembered.
    pub login_lockout_window: Duration,
    /// How long an invitation link works.
    pub invitation_ttl: Duration,
    /// Compatibility switch: answer `account_not_found` for unknown emails (reveals which emails exist).
    pub reveal_unknown_accounts: bool,
    /// Unknown addresses may sign up (`ALLOW_REGISTER`; with the compatibility switch, forgot-password
    /// registers them).
    pub allow_register: bool,
    /// Self-registration is open (`IS_PUBLIC_DEPLOYMENT`).
    pub public_deployment: bool,
    /// Base of links in mails (`CONSOLE_WEB_URL`).
    pub console_web_url: String,
    /// How long a mailed code works.
    pub code_ttl: Duration,
    /// Entries allowed per code.
    pub code_max_attempts: i32,
    /// Wrong codes tolerated per address and purpose before further entries are refused.
    pub code_error_threshold: i64,
    /// How long wrong codes are remembered.
    pub code_error_window: Duration,
    /// Shortest time between two code mails to one address.
    pub mail_resend_interval: Duration,
    /// Code mails one client address may ask for per minute.
    pub mail_ip_limit_per_minute: i64,
    /// Attempts before the outbox gives a mail up.
    pub mail_max_attempts: i32,
    /// Wait after the first failed attempt; doubled after each further one.
    pub mail_retry_base: Duration,
    /// Access keys older than this many days are advised to be renewed.
    pub access_key_rotation_days: i64,
    /// How far a signed request's timestamp may be from the server's clock (account-modify).
    pub signature_window: Duration,
    /// How long a browser has to come back from a sign-in provider.
    pub sign_in_state_ttl: Duration,
    /// How long ended sessions, expired tokens and codes, and sent mail are kept before housekeeping removes
    /// them.
    pub retention: Duration,
    /// The issuer authenticator apps show next to a TOTP factor (`MFA_ISSUER`).
    pub totp_issuer: String,
    /// Version recorded by setup.
    pub version: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            access_token_ttl: Duration::minutes(60),
            refresh_token_ttl: Duration::days(30),
            session_max_lifetime: Duration::days(30),
            login_lockout_threshold: 5,
            login_lockout_window: Duration::hours(24),
            invitation_ttl: Duration::hours(72),
            reveal_unknown_accounts: false,
            allow_register: false,
            public_deployment: false,
            console_web_url: String::new(),
            code_ttl: Duration::minutes(5),
            code_max_attempts: 5,
            code_error_threshold: 5,
            code_error_window: Duration::hours(24),
            mail_resend_interval: Duration::minutes(1),
            mail_ip_limit_per_minute: 50,
            mail_max_attempts: 8,
            mail_retry_base: Duration::seconds(30),
            access_key_rotation_days: 90,
            signature_window: Duration::seconds(60),
            sign_in_state_ttl: Duration::minutes(10),
            retention: Duration::days(7),
            totp_issuer: "accountd".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// Every use case, over a set of ports.
pub struct UseCases {
    ports: Ports,
    settings: Settings,
    /// Setup never un-happens, so once seen it is remembered.
    setup_seen: AtomicBool,
}

impl UseCases {
    /// Builds the use cases.
    pub fn new(ports: Ports, settings: Settings) -> Self {
        Self { ports, settings, setup_seen: AtomicBool::new(false) }
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The current time of the use cases' clock (for dialects that sign links with it).
    pub fn now(&self) -> OffsetDateTime {
        self.ports.clock.now()
    }

    /// Whether setup has completed.
    pub async fn is_setup(&self) -> DomainResult<bool> {
        if self.setup_seen.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let done = self.ports.installation.setup_completed_at().await?.is_some();
        if done {
            self.setup_seen.store(true, Ordering::Relaxed);
        }
        Ok(done)
    }

    /// Refuses with [`crate::DomainError::NotSetup`] before setup.
    pub async fn require_setup(&self) -> DomainResult<()> {
        if self.is_setup().await? {
            Ok(())
        } else {
            Err(crate::DomainError::NotSetup)
        }
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use std::sync::Arc;

    use time::OffsetDateTime;
    use uuid::Uuid;

    use super::*;
    use crate::ports::*;

    /// Mocks for every port, to be configured by each test and turned into [`UseCases`].
    pub struct Mocks {
        pub accounts: MockAccountRepository,
        pub identities: MockIdentityRepository,
        pub installation: MockInstallationRepository,
        pub groups: MockGroupRepository,
        pub workspaces: MockWorkspaceRepository,
        pub invitations: MockInvitationRepository,
        pub datasets: MockDatasetRepository,
        pub sessions: MockSessionRepository,
        pub throttles: MockThrottleRepository,
        pub codes: MockCodeRepository,
        pub outbox: MockOutboxRepository,
        pub mailer: MockMailer,
        pub housekeeping: MockHousekeeping,
        pub audit: MockAuditLog,
        pub access_keys: MockAccessKeyRepository,
        pub mfa: MockMfaRepository,
        pub otp: MockOneTimePasswords,
        pub sign_in: MockSignInProviders,
        pub cipher: MockSecretCipher,
        pub hasher: MockPasswordHasher,
        pub tokens: MockAccessTokenCodec,
        pub secrets: MockTokenFactory,
        pub verifier: MockSecretVerifier,
    }

    pub const NOW: OffsetDateTime = time::macros::datetime!(2026-01-01 00:00 UTC);

    impl Mocks {
        pub fn new() -> Self {
            Self {
                accounts: MockAccountRepository::new(),
                identities: MockIdentityRepository::new(),
                installation: MockInstallationRepository::new(),
                groups: MockGroupRepository::new(),
                workspaces: MockWorkspaceRepository::new(),
                invitations: MockInvitationRepository::new(),
                datasets: MockDatasetRepository::new(),
                sessions: MockSessionRepository::new(),
                throttles: MockThrottleRepository::new(),
                codes: MockCodeRepository::new(),
                outbox: MockOutboxRepository::new(),
                mailer: MockMailer::new(),
                housekeeping: MockHousekeeping::new(),
                audit: MockAuditLog::new(),
                access_keys: MockAccessKeyRepository::new(),
                mfa: MockMfaRepository::new(),
                otp: MockOneTimePasswords::new(),
                sign_in: MockSignInProviders::new(),
                cipher: MockSecretCipher::new(),
                hasher: MockPasswordHasher::new(),
                tokens: MockAccessTokenCodec::new(),
                secrets: MockTokenFactory::new(),
                verifier: MockSecretVerifier::new(),
            }
        }

        pub fn build(self) -> UseCases {
            self.build_with(Settings::default())
        }

        pub fn build_with(self, settings: Settings) -> UseCases {
            let mut clock = MockClock::new();
            clock.expect_now().return_const(NOW);
            let mut ids = MockIdGenerator::new();
            ids.expect_new_id().returning(Uuid::new_v4);
            UseCases::new(
                Ports {
                    accounts: Arc::new(self.accounts),
                    identities: Arc::new(self.identities),
                    installation: Arc::new(self.installation),
                    groups: Arc::new(self.groups),
                    workspaces: Arc::new(self.workspaces),
                    invitations: Arc::new(self.invitations),
                    datasets: Arc::new(self.datasets),
                    sessions: Arc::new(self.sessions),
                    throttles: Arc::new(self.throttles),
                    codes: Arc::new(self.codes),
                    outbox: Arc::new(self.outbox),
                    mailer: Arc::new(self.mailer),
                    housekeeping: Arc::new(self.housekeeping),
                    audit: Arc::new(self.audit),
                    access_keys: Arc::new(self.access_keys),
                    mfa: Arc::new(self.mfa),
                    otp: Arc::new(self.otp),
                    sign_in: Arc::new(self.sign_in),
                    cipher: Arc::new(self.cipher),
                    hasher: Arc::new(self.hasher),
                    tokens: Arc::new(self.tokens),
                    secrets: Arc::new(self.secrets),
                    verifier: Arc::new(self.verifier),
                    clock: Arc::new(clock),
                    ids: Arc::new(ids),
                    events: Arc::new(NoAuthEvents),
                },
                settings,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::ports::{MockSecretVerifier, MockTokenFactory};
    use crate::DomainError;

    #[tokio::test]
    async fn a_port_left_unsupported_names_itself_when_called() {
        let ports = Ports::minimal(Arc::new(MockTokenFactory::new()), Arc::new(MockSecretVerifier::new()));
        let use_cases = UseCases::new(ports, Settings::default());
        let Err(DomainError::Internal(source)) = use_cases.is_setup().await else { panic!("expected a refusal") };
        assert_eq!(source.to_string(), "InstallationRepository::setup_completed_at is not provided by this service");
    }
}
