//! Use cases shared by every dialect. A dialect parses its request into the command types here, calls one
//! method of [`UseCases`], and renders the result; it never talks to a port directly.

mod accounts;
mod auth;
mod datasets;
mod groups;
mod invitations;
mod repairs;
mod setup;
mod workspaces;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use time::Duration;

use crate::error::DomainResult;
use crate::ports::{
    AccessTokenCodec, AccountRepository, Clock, DatasetRepository, DirectoryRepository, IdGenerator, PasswordHasher,
    SecretTokens, SessionRepository, ThrottleRepository,
};

pub use accounts::{AccountUpdate, NewAccount};
pub use auth::LoginCommand;
pub use datasets::DatasetInput;
pub use invitations::{Activation, InviteOutcome};
pub use repairs::{parse_workspace_defaults, RepairReport};
pub use setup::SetupCommand;

/// The adapters the use cases run on.
#[derive(Clone)]
pub struct Ports {
    /// Accounts.
    pub accounts: Arc<dyn AccountRepository>,
    /// Installation, groups, workspaces.
    pub directory: Arc<dyn DirectoryRepository>,
    /// Datasets.
    pub datasets: Arc<dyn DatasetRepository>,
    /// Login sessions.
    pub sessions: Arc<dyn SessionRepository>,
    /// Counters.
    pub throttles: Arc<dyn ThrottleRepository>,
    /// Password hashing.
    pub hasher: Arc<dyn PasswordHasher>,
    /// Access tokens.
    pub tokens: Arc<dyn AccessTokenCodec>,
    /// Refresh tokens.
    pub secrets: Arc<dyn SecretTokens>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Ids.
    pub ids: Arc<dyn IdGenerator>,
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

    /// The ports (for adapters that need the clock or ids).
    pub fn ports(&self) -> &Ports {
        &self.ports
    }

    /// Whether setup has completed.
    pub async fn is_setup(&self) -> DomainResult<bool> {
        if self.setup_seen.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let done = self.ports.directory.setup_completed_at().await?.is_some();
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
        pub directory: MockDirectoryRepository,
        pub datasets: MockDatasetRepository,
        pub sessions: MockSessionRepository,
        pub throttles: MockThrottleRepository,
        pub hasher: MockPasswordHasher,
        pub tokens: MockAccessTokenCodec,
        pub secrets: MockSecretTokens,
    }

    pub const NOW: OffsetDateTime = time::macros::datetime!(2026-01-01 00:00 UTC);

    impl Mocks {
        pub fn new() -> Self {
            Self {
                accounts: MockAccountRepository::new(),
                directory: MockDirectoryRepository::new(),
                datasets: MockDatasetRepository::new(),
                sessions: MockSessionRepository::new(),
                throttles: MockThrottleRepository::new(),
                hasher: MockPasswordHasher::new(),
                tokens: MockAccessTokenCodec::new(),
                secrets: MockSecretTokens::new(),
            }
        }

        pub fn build(self) -> UseCases {
            let mut clock = MockClock::new();
            clock.expect_now().return_const(NOW);
            let mut ids = MockIdGenerator::new();
            ids.expect_new_id().returning(Uuid::new_v4);
            UseCases::new(
                Ports {
                    accounts: Arc::new(self.accounts),
                    directory: Arc::new(self.directory),
                    datasets: Arc::new(self.datasets),
                    sessions: Arc::new(self.sessions),
                    throttles: Arc::new(self.throttles),
                    hasher: Arc::new(self.hasher),
                    tokens: Arc::new(self.tokens),
                    secrets: Arc::new(self.secrets),
                    clock: Arc::new(clock),
                    ids: Arc::new(ids),
                },
                Settings::default(),
            )
        }
    }
}
