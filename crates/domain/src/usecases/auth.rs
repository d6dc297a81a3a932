//! Console sign-in: login with lockout, access-token authentication, refresh-token rotation, logout.

use time::{Duration, OffsetDateTime};

use crate::error::{DomainError, DomainResult};
use crate::model::{Account, AccountStatus, LoginSession, RefreshOutcome, TokenPair};
use crate::ports::{PasswordCheck, SignInStep};
use crate::values::{EmailAddress, Password};

use super::UseCases;

/// Input of [`UseCases::login`].
#[derive(Debug, Clone)]
pub struct LoginCommand {
    /// Email as typed.
    pub email: EmailAddress,
    /// Password as typed.
    pub password: Password,
    /// Client address.
    pub ip: Option<String>,
}

/// `last_active_at` is refreshed at most this often.
const ACTIVE_TOUCH_INTERVAL: Duration = Duration::minutes(10);

/// A stored per-account session limit as a duration, clamped to one minute .. ten years so that no stored
/// value can overflow time arithmetic.
fn session_secs(secs: i64) -> Duration {
    Duration::seconds(secs.clamp(60, 10 * 365 * 24 * 3600))
}

/// A new password is demanded: at the next login, or at the first one.
fn must_change_password(account: &Account) -> bool {
    account.password_change_on_next_login || (account.password_change_on_first_login && account.last_login_at.is_none())
}

pub(super) fn lockout_key(email_key: &str) -> String {
    format!("login_error:{email_key}")
}

impl UseCases {
    /// Signs in with email and password and starts a session.
    ///
    /// Unknown emails cost one password verification like known ones and answer
    /// [`DomainError::InvalidCredentials`] (or `AccountNotFound` under the compatibility switch). The banned
    /// state is only revealed to a caller who gave the right password. Every failure counts toward the lockout.
    ///
    /// # Errors
    /// `LoginLocked`, `InvalidCredentials`, `AccountNotFound`, `AccountBanned`, `ConsoleLoginDisabled`,
    /// `NoWorkspace`.
    ///
    /// ```
    /// # use domain::usecases::{LoginCommand, UseCases};
    /// # use domain::values::{EmailAddress, Password};
    /// # use domain::DomainError;
    /// # async fn demo(use_cases: &UseCases) -> domain::DomainResult<()> {
    /// let cmd = LoginCommand {
    ///     email: EmailAddress::parse("email", "ann@example.com")?,
    ///     password: Password::parse_any("password", "Correct-horse-9")?,
    ///     ip: Some("192.0.2.7".into()),
    /// };
    /// match use_cases.login(cmd).await {
    ///     Ok(tokens) => {
    ///         // the access token authenticates later requests; the refresh token renews it
    ///         let account = use_cases.authenticate(&tokens.access_token).await?;
    ///         println!("signed in as {}", account.name);
    ///     }
    ///     Err(DomainError::PasswordChangeRequired { token }) => println!("a new password first: {token}"),
    ///     Err(DomainError::InvalidCredentials | DomainError::LoginLocked) => println!("refused"),
    ///     Err(other) => return Err(other),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn login(&self, cmd: LoginCommand) -> DomainResult<TokenPair> {
        let result = self.password_sign_in(cmd).await;
        self.report_sign_in(&result);
        result
    }

    /// Reports a refused sign-in to the [`crate::ports::AuthEvents`] port.
    pub(super) fn report_sign_in<T>(&self, result: &DomainResult<T>) {
        match result {
            Err(DomainError::InvalidCredentials | DomainError::AccountNotFound | DomainError::WrongSecondFactor) => {
                self.ports.events.sign_in_failed();
            }
            Err(DomainError::LoginLocked) => self.ports.events.sign_in_locked(),
            _ => {}
        }
    }

    async fn password_sign_in(&self, cmd: LoginCommand) -> DomainResult<TokenPair> {
        let now = self.ports.clock.now();
        let key = lockout_key(&cmd.email.key());
        // Count the attempt before any password work: parallel guesses each take a number, so at most
        // `threshold + 1` of them are ever checked within a window.
        let attempt = self.ports.throttles.hit(&key, now, self.settings.login_lockout_window).await?;
        if attempt > self.settings.login_lockout_threshold + 1 {
            return Err(DomainError::LoginLocked);
        }
        let account = self
            .ports
            .accounts
            .find_live_by_email(&cmd.email.key())
            .await?
            .filter(|a| a.status != AccountStatus::Closed);
        let stored_hash = account.as_ref().and_then(|a| a.password_hash.clone());
        let check = self.ports.hasher.verify(&cmd.password, stored_hash.clone()).await?;
        let (account, needs_rehash) = match (account, check) {
            (Some(account), PasswordCheck::Match { needs_rehash }) => (account, needs_rehash),
            (found, _) => {
                return Err(if found.is_none() && self.settings.reveal_unknown_accounts {
                    DomainError::AccountNotFound
                } else {
                    DomainError::InvalidCredentials
                });
            }
        };
        self.check_console_entry(&account, now).await?;
        if let (true, Some(old)) = (needs_rehash, stored_hash) {
            let fresh = self.ports.hasher.hash(&cmd.password).await?;
            self.ports.accounts.replace_password_hash(account.id, old, fresh).await?;
        }
        if self.confirmed_factor(account.id).await?.is_some() {
            // the lockout counter is cleared only once the second factor is passed: wrong codes count on it
            let token =
                self.ports.tokens.issue_step(SignInStep::SecondFactor, account.id, account.token_generation, now)?;
            return Err(DomainError::SecondFactorRequired { token });
        }
        self.ports.throttles.clear(&key).await?;
        self.continue_sign_in(&account, false, now, cmd.ip).await
    }

    /// After the password (and the second factor, when `has_factor`): the steps still demanded (a new
    /// password, then the enrolment of a mandatory second factor), or the session.
    pub(super) async fn continue_sign_in(
        &self,
        account: &Account,
        has_factor: bool,
        now: OffsetDateTime,
        ip: Option<String>,
    ) -> DomainResult<TokenPair> {
        let generation = account.token_generation;
        if must_change_password(account) {
            let token = self.ports.tokens.issue_step(SignInStep::PasswordChange, account.id, generation, now)?;
            return Err(DomainError::PasswordChangeRequired { token });
        }
        if account.mfa_enabled && !has_factor {
            let token = self.ports.tokens.issue_step(SignInStep::Enrollment, account.id, generation, now)?;
            return Err(DomainError::EnrollmentRequired { token });
        }
        self.enter_console(account, now, ip).await
    }

    /// The second step of a login that answered [`DomainError::PasswordChangeRequired`]: sets the new password
    /// (which clears the demand and ends every other session) and signs in.
    ///
    /// # Errors
    /// `Unauthenticated` for a bad, expired or already used token, or when no change is demanded any more;
    /// `Invalid` naming `new_password` when it equals the current one; `AccountBanned`,
    /// `ConsoleLoginDisabled`, `NoWorkspace`.
    pub async fn change_required_password(
        &self,
        token: &str,
        new_password: &Password,
        ip: Option<String>,
    ) -> DomainResult<TokenPair> {
        const USED: DomainError = DomainError::Unauthenticated("The password-change token is invalid or was used.");
        let now = self.ports.clock.now();
        let claims = self.ports.tokens.verify_step(SignInStep::PasswordChange, token, now)?;
        let account = self.ports.accounts.get(claims.account_id).await?.filter(Account::is_live).ok_or(USED)?;
        if !account.accepts_token(claims.generation, claims.issued_at) || !must_change_password(&account) {
            return Err(USED);
        }
        self.check_console_entry(&account, now).await?;
        if let PasswordCheck::Match { .. } =
            self.ports.hasher.verify(new_password, account.password_hash.clone()).await?
        {
            return Err(DomainError::invalid("new_password", "The new password must differ from the current one."));
        }
        let email_key = account.email_key().unwrap_or_default();
        let reset = crate::ports::PasswordReset {
            account_id: account.id,
            password_hash: self.ports.hasher.hash(new_password).await?,
            at: now,
            changed_by: None,
            code: None,
            lockout_key: lockout_key(&email_key),
            replaces_hash: account.password_hash.clone(),
        };
        if !self.ports.accounts.reset_password(&reset).await? {
            return Err(USED);
        }
        // the new session's token belongs to the generation the reset began (a revocation racing it refuses it)
        let mut account = account;
        account.revoke_tokens(now);
        account.password_change_on_next_login = false;
        account.password_change_on_first_login = false;
        let has_factor = self.confirmed_factor(account.id).await?.is_some();
        self.continue_sign_in(&account, has_factor, now, ip).await
    }

    /// Refuses accounts that may not enter the console now.
    ///
    /// # Errors
    /// `AccountBanned`, `ConsoleLoginDisabled`, `NoWorkspace`.
    pub(super) async fn check_console_entry(&self, account: &Account, now: OffsetDateTime) -> DomainResult<()> {
        if !account.is_usable_at(now) {
            return Err(DomainError::AccountBanned);
        }
        if !account.console_access {
            return Err(DomainError::ConsoleLoginDisabled);
        }
        if self.ports.workspaces.current_workspace_of(account.id).await?.is_none() {
            return Err(DomainError::NoWorkspace);
        }
        Ok(())
    }

    /// Records the login (a pending account becomes active) and starts a session, after
    /// [`Self::check_console_entry`] passed.
    pub(super) async fn enter_console(
        &self,
        account: &Account,
        now: OffsetDateTime,
        ip: Option<String>,
    ) -> DomainResult<TokenPair> {
        self.ports.accounts.record_login(account.id, now, ip.clone()).await?;
        self.start_session(account, now, ip).await
    }

    /// Clears the login lockout of an email address, for the operator (`accountd unlock`); in the console, admins
    /// use [`Self::admin_unlock`], which checks their permission.
    pub async fn operator_unlock_login(&self, email: &EmailAddress) -> DomainResult<()> {
        self.ports.throttles.clear(&lockout_key(&email.key())).await
    }

    fn idle_timeout(&self, account: &Account) -> Duration {
        account.session_policy.idle_timeout_secs.map_or(self.settings.refresh_token_ttl, session_secs)
    }

    fn max_lifetime(&self, account: &Account) -> Duration {
        account.session_policy.max_lifetime_secs.map_or(self.settings.session_max_lifetime, session_secs)
    }

    pub(super) async fn start_session(
        &self,
        account: &Account,
        now: OffsetDateTime,
        ip: Option<String>,
    ) -> DomainResult<TokenPair> {
        let session = LoginSession {
            id: self.ports.ids.new_id(),
            account_id: account.id,
            created_at: now,
            absolute_expires_at: now + self.max_lifetime(account),
            ip,
        };
        let refresh_token = self.ports.secrets.new_refresh_token();
        let expires = (now + self.idle_timeout(account)).min(session.absolute_expires_at);
        self.ports.sessions.start(&session, &self.ports.secrets.digest(&refresh_token), expires).await?;
        let access_token = self.ports.tokens.issue(account.id, account.token_generation, now, expires)?;
        Ok(TokenPair { access_token, refresh_token })
    }

    /// Exchanges a refresh token for a new pair. The old token stops working; presenting it again revokes the
    /// whole session.
    ///
    /// # Errors
    /// [`DomainError::InvalidRefreshToken`] for unknown, expired, reused or revoked tokens, and for accounts
    /// that can no longer sign in.
    pub async fn refresh(&self, refresh_token: &str) -> DomainResult<TokenPair> {
        let now = self.ports.clock.now();
        let digest = self.ports.secrets.digest(refresh_token);
        let session = self.ports.sessions.find_by_token(&digest).await?.ok_or(DomainError::InvalidRefreshToken)?;
        let account = self.ports.accounts.get(session.account_id).await?;
        let Some(account) = account.filter(|a| a.is_usable_at(now) && a.console_access) else {
            self.ports.sessions.revoke_by_token(session.account_id, &digest, now).await?;
            return Err(DomainError::InvalidRefreshToken);
        };
        let new_token = self.ports.secrets.new_refresh_token();
        let expires = (now + self.idle_timeout(&account))
            .min(session.absolute_expires_at)
            .min(session.created_at + self.max_lifetime(&account));
        match self.ports.sessions.rotate(&digest, &self.ports.secrets.digest(&new_token), expires, now).await? {
            RefreshOutcome::Rotated { .. } => Ok(TokenPair {
                access_token: self.ports.tokens.issue(account.id, account.token_generation, now, expires)?,
                refresh_token: new_token,
            }),
            RefreshOutcome::Reused | RefreshOutcome::Invalid => Err(DomainError::InvalidRefreshToken),
        }
    }

    /// Ends a session of the signed-in `account`: the one of `refresh_token` when given (and the account's),
    /// else its most recently used one.
    pub async fn logout(&self, account: &Account, refresh_token: Option<&str>) -> DomainResult<()> {
        let (account_id, now) = (account.id, self.ports.clock.now());
        if let Some(token) = refresh_token {
            if self.ports.sessions.revoke_by_token(account_id, &self.ports.secrets.digest(token), now).await? {
                return Ok(());
            }
        }
        self.ports.sessions.revoke_latest(account_id, now).await?;
        Ok(())
    }

    /// Resolves a console access token to its account.
    ///
    /// # Errors
    /// [`DomainError::Unauthenticated`] for bad or expired tokens, unknown, deleted, banned or closed accounts,
    /// and tokens issued before the account's sessions were revoked.
    pub async fn authenticate(&self, access_token: &str) -> DomainResult<Account> {
        let now = self.ports.clock.now();
        let claims = self.ports.tokens.verify(access_token, now)?;
        let account = self
            .ports
            .accounts
            .get_for_authentication(claims.account_id)
            .await?
            .filter(Account::is_live)
            .ok_or(DomainError::Unauthenticated("Unauthorized."))?;
        if account.status == AccountStatus::Banned {
            return Err(DomainError::Unauthenticated("Account is banned."));
        }
        if !account.is_usable_at(now) {
            return Err(DomainError::Unauthenticated("Unauthorized."));
        }
        if !account.console_access {
            return Err(DomainError::Unauthenticated("Console login is disabled for this account."));
        }
        if !account.accepts_token(claims.generation, claims.issued_at) {
            return Err(DomainError::Unauthenticated("Token has been revoked."));
        }
        if account.last_active_at.is_none_or(|t| now - t > ACTIVE_TOUCH_INTERVAL) {
            self.ports.accounts.touch_active(account.id, now, now - ACTIVE_TOUCH_INTERVAL).await?;
        }
        Ok(account)
    }
}

#[cfg(test)]
mod tests {
    use mockall::predicate::eq;
    use uuid::Uuid;

    use super::*;
    use crate::model::SystemRole;
    use crate::ports::AccessClaims;
    use crate::usecases::test_support::*;

    fn cmd(email: &str) -> LoginCommand {
        LoginCommand {
            email: EmailAddress::parse("email", email).unwrap(),
            password: Password::parse_any("password", "secret123").unwrap(),
            ip: None,
        }
    }

    /// Every account has a current workspace.
    fn has_workspace(m: &mut Mocks) {
        m.workspaces.expect_current_workspace_of().returning(|_| {
            let t = crate::model::Workspace::new(Uuid::new_v4(), "w".into(), None, NOW);
            let j = crate::model::WorkspaceMembership::new(t.id, Uuid::nil(), crate::model::WorkspaceRole::Owner, NOW);
            Ok(Some((t, j)))
        });
    }

    /// A refresh token of `account`'s session started at `created_at`, ending at `absolute_end`, is presented.
    fn presents_refresh_token(
        m: &mut Mocks,
        account: Account,
        created_at: OffsetDateTime,
        absolute_end: OffsetDateTime,
    ) {
        let id = account.id;
        m.secrets.expect_digest().returning(|t| format!("d:{t}"));
        m.secrets.expect_new_refresh_token().returning(|| "n".into());
        m.sessions.expect_find_by_token().returning(move |_| {
            Ok(Some(LoginSession {
                id: Uuid::new_v4(),
                account_id: id,
                created_at,
                absolute_expires_at: absolute_end,
                ip: None,
            }))
        });
        m.accounts.expect_get().returning(move |_| Ok(Some(account.clone())));
    }

    fn alice() -> Account {
        let mut a = Account::new(Uuid::new_v4(), "alice".into(), Some("alice@example.com".into()), NOW);
        a.password_hash = Some("h".into());
        a
    }

    #[tokio::test]
    async fn unknown_email_spends_a_verify_counts_a_failure_and_reveals_nothing() {
        let mut m = Mocks::new();
        m.throttles.expect_count().returning(|_, _| Ok(0));
        m.accounts.expect_find_live_by_email().with(eq("ghost@example.com")).returning(|_| Ok(None));
        m.hasher.expect_verify().withf(|_, h| h.is_none()).times(1).returning(|_, _| Ok(PasswordCheck::Mismatch));
        m.throttles
            .expect_hit()
            .withf(|k, _, _| k == "login_error:ghost@example.com")
            .times(1)
            .returning(|_, _, _| Ok(1));
        let err = m.build().login(cmd("Ghost@Example.com")).await.unwrap_err();
        assert!(matches!(err, DomainError::InvalidCredentials), "{err:?}");
    }

    #[tokio::test]
    async fn locked_address_is_refused_before_any_password_work() {
        let mut m = Mocks::new();
        // six failures were counted; this is the seventh attempt
        m.throttles.expect_hit().returning(|_, _, _| Ok(7));
        m.hasher.expect_verify().never();
        m.accounts.expect_find_live_by_email().never();
        assert!(matches!(m.build().login(cmd("a@example.com")).await, Err(DomainError::LoginLocked)));
    }

    #[tokio::test]
    async fn banned_is_only_told_after_the_right_password() {
        let mut m = Mocks::new();
        m.throttles.expect_hit().returning(|_, _, _| Ok(1));
        m.accounts.expect_find_live_by_email().returning(|_| {
            let mut a = alice();
            a.status = AccountStatus::Banned;
            Ok(Some(a))
        });
        m.hasher.expect_verify().returning(|_, _| Ok(PasswordCheck::Match { needs_rehash: false }));
        assert!(matches!(m.build().login(cmd("alice@example.com")).await, Err(DomainError::AccountBanned)));
    }

    #[tokio::test]
    async fn success_records_login_clears_counter_and_issues_tokens() {
        let mut m = Mocks::new();
        m.mfa.expect_totp().returning(|_| Ok(None));
        m.throttles.expect_hit().returning(|_, _, _| Ok(6));
        m.accounts.expect_find_live_by_email().returning(|_| Ok(Some(alice())));
        m.hasher.expect_verify().returning(|_, _| Ok(PasswordCheck::Match { needs_rehash: true }));
        m.hasher.expect_hash().times(1).returning(|_| Ok("new".into()));
        m.accounts
            .expect_replace_password_hash()
            .withf(|_, old, new| old == "h" && new == "new")
            .times(1)
            .returning(|_, _, _| Ok(()));
        m.workspaces.expect_current_workspace_of().returning(|_| {
            let t = crate::model::Workspace::new(Uuid::new_v4(), "w".into(), None, NOW);
            let j = crate::model::WorkspaceMembership {
                current: true,
                ..crate::model::WorkspaceMembership::new(t.id, Uuid::nil(), crate::model::WorkspaceRole::Owner, NOW)
            };
            Ok(Some((t, j)))
        });
        m.accounts.expect_record_login().times(1).returning(|_, _, _| Ok(()));
        m.throttles.expect_clear().times(1).returning(|_| Ok(()));
        m.secrets.expect_new_refresh_token().returning(|| "r".repeat(128));
        m.secrets.expect_digest().returning(|t| format!("d:{t}"));
        m.sessions
            .expect_start()
            .withf(|s, d, exp| {
                d == format!("d:{}", "r".repeat(128))
                    && *exp == NOW + Duration::days(30)
                    && s.absolute_expires_at == NOW + Duration::days(30)
            })
            .times(1)
            .returning(|_, _, _| Ok(()));
        m.tokens.expect_issue().returning(|_, _, _, _| Ok("jwt".into()));
        let pair = m.build().login(cmd("alice@example.com")).await.unwrap();
        assert_eq!(pair.access_token, "jwt");
        assert_eq!(pair.refresh_token.len(), 128);
    }

    /// The ends a login gives the session of an account with `policy`: (refresh token, session, access token).
    async fn session_ends_at_login(
        policy: crate::model::SessionPolicy,
    ) -> (OffsetDateTime, OffsetDateTime, OffsetDateTime) {
        use std::sync::{Arc, Mutex};
        let mut m = Mocks::new();
        m.mfa.expect_totp().returning(|_| Ok(None));
        let mut account = alice();
        account.session_policy = policy;
        m.throttles.expect_hit().returning(|_, _, _| Ok(1));
        m.accounts.expect_find_live_by_email().returning(move |_| Ok(Some(account.clone())));
        m.hasher.expect_verify().returning(|_, _| Ok(PasswordCheck::Match { needs_rehash: false }));
        has_workspace(&mut m);
        m.accounts.expect_record_login().returning(|_, _, _| Ok(()));
        m.throttles.expect_clear().returning(|_| Ok(()));
        m.secrets.expect_new_refresh_token().returning(|| "r".into());
        m.secrets.expect_digest().returning(|t| t.to_owned());
        let seen = Arc::new(Mutex::new((NOW, NOW, NOW)));
        let (s1, s2) = (seen.clone(), seen.clone());
        m.sessions.expect_start().returning(move |s, _, refresh_ends| {
            let mut seen = s1.lock().unwrap();
            (seen.0, seen.1) = (refresh_ends, s.absolute_expires_at);
            Ok(())
        });
        m.tokens.expect_issue().returning(move |_, _, _, not_after| {
            s2.lock().unwrap().2 = not_after;
            Ok("jwt".into())
        });
        m.build().login(cmd("alice@example.com")).await.unwrap();
        let ends = *seen.lock().unwrap();
        ends
    }

    #[tokio::test]
    async fn the_account_session_policy_bounds_refresh_and_access_tokens() {
        use crate::model::SessionPolicy;
        // idle 30 min, absolute 1 h: the first refresh token and the access token end after 30 min
        let policy = SessionPolicy { idle_timeout_secs: Some(1800), max_lifetime_secs: Some(3600) };
        let ends = session_ends_at_login(policy).await;
        assert_eq!(ends, (NOW + Duration::minutes(30), NOW + Duration::hours(1), NOW + Duration::minutes(30)));
        // absolute 60 s beats idle 30 min: the whole session, access token included, ends after a minute
        let policy = SessionPolicy { idle_timeout_secs: Some(1800), max_lifetime_secs: Some(60) };
        let ends = session_ends_at_login(policy).await;
        assert_eq!(ends, (NOW + Duration::minutes(1), NOW + Duration::minutes(1), NOW + Duration::minutes(1)));
        // unset: the system defaults (30 days both; the access token keeps its own 60 min lifetime)
        let ends = session_ends_at_login(SessionPolicy::default()).await;
        assert_eq!(ends, (NOW + Duration::days(30), NOW + Duration::days(30), NOW + Duration::days(30)));
    }

    #[tokio::test]
    async fn a_refresh_extends_by_the_idle_timeout_but_never_past_the_absolute_end() {
        use crate::model::SessionPolicy;
        for (started_ago, stored_end, expected_end) in [
            // an hour-old session of an account with idle 30 min / absolute 2 h: extended by 30 min
            (Duration::hours(1), NOW + Duration::hours(1), NOW + Duration::minutes(30)),
            // 1 h 50 min old: only 10 min remain
            (Duration::minutes(110), NOW + Duration::minutes(10), NOW + Duration::minutes(10)),
            // the policy was shortened to 2 h after this session began with a 3 h absolute end: the new policy wins
            (Duration::minutes(100), NOW + Duration::minutes(80), NOW + Duration::minutes(20)),
        ] {
            let mut m = Mocks::new();
            let mut a = alice();
            a.session_policy = SessionPolicy { idle_timeout_secs: Some(1800), max_lifetime_secs: Some(7200) };
            presents_refresh_token(&mut m, a, NOW - started_ago, stored_end);
            m.sessions
                .expect_rotate()
                .withf(move |_, _, ends, at| *ends == expected_end && *at == NOW)
                .times(1)
                .returning(|_, _, _, _| Ok(RefreshOutcome::Invalid));
            m.tokens.expect_issue().never();
            assert!(matches!(m.build().refresh("old").await, Err(DomainError::InvalidRefreshToken)));
        }
    }

    #[tokio::test]
    async fn a_demanded_password_change_answers_a_change_token_instead_of_a_session() {
        for (first, next, logged_in_before, demanded) in [
            (true, false, false, true),
            (true, false, true, false),
            (false, true, true, true),
            (false, false, false, false),
        ] {
            let mut m = Mocks::new();
            m.mfa.expect_totp().returning(|_| Ok(None));
            let mut a = alice();
            a.password_change_on_first_login = first;
            a.password_change_on_next_login = next;
            a.last_login_at = logged_in_before.then_some(NOW - Duration::days(1));
            m.throttles.expect_hit().returning(|_, _, _| Ok(1));
            m.accounts.expect_find_live_by_email().returning(move |_| Ok(Some(a.clone())));
            m.hasher.expect_verify().returning(|_, _| Ok(PasswordCheck::Match { needs_rehash: false }));
            has_workspace(&mut m);
            m.throttles.expect_clear().returning(|_| Ok(()));
            m.tokens.expect_issue_step().returning(|_, _, _, _| Ok("change".into()));
            m.accounts.expect_record_login().times(usize::from(!demanded)).returning(|_, _, _| Ok(()));
            m.sessions.expect_start().times(usize::from(!demanded)).returning(|_, _, _| Ok(()));
            m.secrets.expect_new_refresh_token().returning(|| "r".into());
            m.secrets.expect_digest().returning(|t| t.to_owned());
            m.tokens.expect_issue().returning(|_, _, _, _| Ok("jwt".into()));
            let result = m.build().login(cmd("alice@example.com")).await;
            match result {
                Err(DomainError::PasswordChangeRequired { token }) => assert!(demanded && token == "change"),
                Ok(_) => assert!(!demanded),
                Err(other) => panic!("{other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn tokens_issued_before_revocation_are_refused() {
        let mut m = Mocks::new();
        let mut a = alice();
        a.tokens_not_before = Some(NOW - Duration::minutes(5));
        a.last_active_at = Some(NOW);
        a.system_role = Some(SystemRole::Normal);
        let id = a.id;
        m.tokens.expect_verify().returning(move |_, _| {
            Ok(AccessClaims {
                account_id: id,
                issued_at: NOW - Duration::minutes(10),
                expires_at: NOW + Duration::minutes(50),
                generation: None,
            })
        });
        m.accounts.expect_get_for_authentication().returning(move |_| Ok(Some(a.clone())));
        assert!(matches!(m.build().authenticate("t").await, Err(DomainError::Unauthenticated(_))));
    }

    #[tokio::test]
    async fn reused_refresh_token_fails() {
        let mut m = Mocks::new();
        presents_refresh_token(&mut m, alice(), NOW, NOW + Duration::days(1));
        m.sessions.expect_rotate().returning(|_, _, _, _| Ok(RefreshOutcome::Reused));
        assert!(matches!(m.build().refresh("old").await, Err(DomainError::InvalidRefreshToken)));
    }

    #[tokio::test]
    async fn with_a_confirmed_factor_the_password_alone_gives_a_second_factor_token_and_keeps_the_count() {
        let mut m = Mocks::new();
        m.throttles.expect_hit().returning(|_, _, _| Ok(3));
        m.accounts.expect_find_live_by_email().returning(|_| Ok(Some(alice())));
        m.hasher.expect_verify().returning(|_, _| Ok(PasswordCheck::Match { needs_rehash: false }));
        has_workspace(&mut m);
        m.mfa.expect_totp().returning(|id| {
            Ok(Some(crate::model::TotpFactor {
                account_id: id,
                secret_ciphertext: vec![1],
                created_at: NOW,
                confirmed_at: Some(NOW),
                last_used_step: None,
            }))
        });
        m.tokens
            .expect_issue_step()
            .withf(|step, _, _, _| *step == SignInStep::SecondFactor)
            .times(1)
            .returning(|_, _, _, _| Ok("second".into()));
        // neither the lockout counter is cleared nor a session started before the second factor
        m.throttles.expect_clear().never();
        m.sessions.expect_start().never();
        m.accounts.expect_record_login().never();
        let err = m.build().login(cmd("alice@example.com")).await.unwrap_err();
        assert!(matches!(err, DomainError::SecondFactorRequired { ref token } if token == "second"), "{err:?}");
    }
}
