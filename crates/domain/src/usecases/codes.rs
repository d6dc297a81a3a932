//! Flows that prove control of an address with a mailed six-digit code — forgot-password and self-registration
//! — and the admin help for users without mail (password reset, lockout clearing).
//!
//! A code request answers the same way, with the same database work, whether or not the address has an
//! account: a known address gets a code, an unknown one a notice saying someone tried to use it. Only the
//! compatibility switch `reveal_unknown_accounts` restores Dify's `account_not_found` answers.

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::error::{DomainError, DomainResult};
use crate::model::{
    Account, AccountStatus, CodePurpose, MailMessage, Registration, TokenPair, VerificationCode, WireEnum,
};
use crate::policy::AccountAction;
use crate::ports::PasswordReset;
use crate::values::{default_timezone, email_key, DisplayName, EmailAddress, Password};

use super::access_keys::Actor;
use super::auth::lockout_key;
use super::{AccountPatch, UseCases};

/// The window of the per-client mail throttle.
const MAIL_IP_WINDOW: Duration = Duration::minutes(1);

/// How a code request went, for the dialect to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeRequest {
    /// A mail is on its way; the token names the code.
    Sent {
        /// The token the client sends back with the code.
        token: String,
    },
    /// Compatibility answer: the address has no account, but registration is open, so a code was sent anyway.
    SentToUnknownAccount {
        /// The token the client sends back with the code.
        token: String,
    },
}

/// Input of [`UseCases::reset_password_with_code`] and [`UseCases::finish_registration`].
#[derive(Debug, Clone)]
pub struct CodeRedemption {
    /// The token from the code request.
    pub token: String,
    /// The address, when the client repeats it (must match).
    pub email: Option<EmailAddress>,
    /// The display name (registration only; default: the address's local part).
    pub name: Option<DisplayName>,
    /// The new password.
    pub password: Password,
    /// Its confirmation.
    pub password_confirm: String,
    /// Client address.
    pub ip: Option<String>,
}

/// Who a code mail goes to.
struct Recipient<'a> {
    /// The address as requested (throttles are kept per address).
    email: &'a EmailAddress,
    /// The address to write to: the account's own when it has one.
    to: &'a str,
    /// Language of the mail.
    language: &'a str,
    /// The account, when the address has one.
    account_id: Option<Uuid>,
}

fn code_error_key(purpose: CodePurpose, email: &EmailAddress) -> String {
    format!("code_error:{}:{}", purpose.as_str(), email.key())
}

impl UseCases {
    /// Forgot-password, step 1: mails a code to a known address, a notice to an unknown one.
    ///
    /// # Errors
    /// `MailIpLimited`, `MailRateLimited`; `AccountNotFound` for unknown addresses under the compatibility
    /// switch when registration is closed.
    ///
    /// ```
    /// # use domain::model::CodePurpose;
    /// # use domain::usecases::{CodeRedemption, CodeRequest, UseCases};
    /// # use domain::values::EmailAddress;
    /// # async fn demo(use_cases: &UseCases, code_from_the_mail: &str) -> domain::DomainResult<()> {
    /// let email = EmailAddress::parse("email", "ann@example.com")?;
    /// // the same answer whether or not the address has an account (no enumeration)
    /// let (CodeRequest::Sent { token } | CodeRequest::SentToUnknownAccount { token }) =
    ///     use_cases.request_password_reset(&email, "en-US", Some("192.0.2.7")).await?;
    /// // the mailed code confirms the token; the confirmed token then sets the new password
    /// let token = use_cases.verify_code(CodePurpose::ResetPassword, &email, code_from_the_mail, &token).await?;
    /// # let _ = token;
    /// # Ok(()) }
    /// ```
    pub async fn request_password_reset(
        &self,
        email: &EmailAddress,
        language: &str,
        ip: Option<&str>,
    ) -> DomainResult<CodeRequest> {
        self.throttle_mail_sender(ip).await?;
        let account =
            self.ports.accounts.find_live_by_email(&email.key()).await?.filter(|a| a.status != AccountStatus::Closed);
        let reveal = self.settings.reveal_unknown_accounts;
        if account.is_none() && reveal && !self.settings.allow_register {
            return Err(DomainError::AccountNotFound);
        }
        let send_code = account.is_some() || reveal;
        // a known address is written to as the account stores it
        let to = account.as_ref().and_then(|a| a.email.clone()).unwrap_or_else(|| email.as_str().to_owned());
        let recipient = Recipient { email, to: &to, language, account_id: account.as_ref().map(|a| a.id) };
        let token = self
            .send_code(CodePurpose::ResetPassword, recipient, send_code, || MailMessage::UnknownAddressNotice)
            .await?;
        Ok(if account.is_none() && reveal {
            CodeRequest::SentToUnknownAccount { token }
        } else {
            CodeRequest::Sent { token }
        })
    }

    /// Registration, step 1: mails a code to a new address, a notice to an address that has an account.
    ///
    /// # Errors
    /// `RegistrationClosed` unless the deployment is public; `MailIpLimited`, `MailRateLimited`;
    /// `EmailAlreadyRegistered` under the compatibility switch.
    pub async fn request_registration(
        &self,
        email: &EmailAddress,
        language: &str,
        ip: Option<&str>,
    ) -> DomainResult<String> {
        if !self.settings.public_deployment {
            return Err(DomainError::RegistrationClosed);
        }
        self.throttle_mail_sender(ip).await?;
        let taken = self.ports.accounts.find_live_by_email(&email.key()).await?.is_some();
        if taken && self.settings.reveal_unknown_accounts {
            return Err(DomainError::EmailAlreadyRegistered);
        }
        let signin_link = format!("{}/signin", self.settings.console_web_url.trim_end_matches('/'));
        let recipient = Recipient { email, to: email.as_str(), language, account_id: None };
        self.send_code(CodePurpose::Register, recipient, !taken, || MailMessage::ExistingAccountNotice { signin_link })
            .await
    }

    /// Step 2 of both flows: checks the code and marks the token confirmed. Returns the address.
    ///
    /// # Errors
    /// `CodeAttemptsExceeded` after too many wrong codes for the address; `InvalidCodeToken`,
    /// `CodeEmailMismatch`, `WrongCode`.
    pub async fn verify_code(
        &self,
        purpose: CodePurpose,
        email: &EmailAddress,
        code: &str,
        token: &str,
    ) -> DomainResult<String> {
        let now = self.ports.clock.now();
        let error_key = code_error_key(purpose, email);
        if self.ports.throttles.count(&error_key, now).await? > self.settings.code_error_threshold {
            return Err(DomainError::CodeAttemptsExceeded);
        }
        let digest = self.ports.secrets.digest(token);
        let found = self.live_code(purpose, &digest, now).await?;
        if email_key(&found.email) != email.key() {
            return Err(DomainError::CodeEmailMismatch);
        }
        // Count the entry before comparing: parallel guesses each take a number.
        let attempts = self.ports.codes.count_attempt(&digest, now).await?.ok_or(DomainError::InvalidCodeToken)?;
        if attempts > self.settings.code_max_attempts {
            return Err(DomainError::InvalidCodeToken);
        }
        let matches = found.code_digest.as_deref().is_some_and(|d| self.ports.verifier.code_matches(&digest, code, d));
        if !matches {
            self.ports.throttles.hit(&error_key, now, self.settings.code_error_window).await?;
            return Err(DomainError::WrongCode);
        }
        self.ports.throttles.clear(&error_key).await?;
        // the confirmed token gets a fresh lifetime for the last step
        self.ports.codes.mark_verified(&digest, now, now + self.settings.code_ttl).await?;
        Ok(found.email)
    }

    /// Forgot-password, step 3: sets the new password with a confirmed token, revokes the account's sessions,
    /// clears its login lockout, and signs it in. Under the compatibility switch with registration open, a
    /// token for an unknown address registers it instead.
    ///
    /// # Errors
    /// `PasswordMismatch`, `InvalidCodeToken`, `CodeEmailMismatch`; `AccountBanned`, `ConsoleLoginDisabled`,
    /// `NoWorkspace` (checked before anything is written).
    pub async fn reset_password_with_code(&self, cmd: CodeRedemption) -> DomainResult<TokenPair> {
        let (digest, code) = self.confirmed_code(CodePurpose::ResetPassword, &cmd).await?;
        let Some(account_id) = code.account_id else {
            if self.settings.reveal_unknown_accounts && self.settings.allow_register {
                return self.register_with_code(digest, &code, cmd).await;
            }
            return Err(DomainError::InvalidCodeToken);
        };
        let now = self.ports.clock.now();
        let account = self
            .ports
            .accounts
            .get(account_id)
            .await?
            .filter(|a| a.is_live() && a.status != AccountStatus::Closed)
            .ok_or(DomainError::InvalidCodeToken)?;
        // refuse before anything is written: the code stays usable if the account is let in later
        self.check_console_entry(&account, now).await?;
        self.set_password(&account, &cmd.password, Some(digest), now).await?;
        // the new session's token belongs to the generation the reset began (a revocation racing it refuses it)
        let mut account = account;
        account.revoke_tokens(now);
        self.enter_console(&account, now, cmd.ip).await
    }

    /// Registration, step 3: creates the account with its own group, shadow workspace and "`<name>`'s Workspace"
    /// in one transaction with the redemption of the confirmed token, and signs it in.
    ///
    /// # Errors
    /// `RegistrationClosed`, `PasswordMismatch`, `InvalidCodeToken`, `CodeEmailMismatch`,
    /// `EmailAlreadyRegistered`.
    pub async fn finish_registration(&self, cmd: CodeRedemption) -> DomainResult<TokenPair> {
        if !self.settings.public_deployment {
            return Err(DomainError::RegistrationClosed);
        }
        let (digest, code) = self.confirmed_code(CodePurpose::Register, &cmd).await?;
        self.register_with_code(digest, &code, cmd).await
    }

    /// Sets another account's password (admin help): the account change every dialect makes with a new
    /// password ([`UseCases::update_account`]: sessions revoked, lockout cleared, audited).
    ///
    /// # Errors
    /// As [`UseCases::update_account`]: `NotFound` when the account is unknown or hidden from the actor;
    /// `Forbidden` unless the actor may reset its credentials (platform admin, or a manager of every one of its
    /// groups) and it is not the actor.
    pub async fn admin_reset_password(&self, actor: Actor<'_>, target: Uuid, password: &Password) -> DomainResult<()> {
        let patch = AccountPatch { password: Some(password.clone()), ..AccountPatch::default() };
        self.update_account(actor, target, patch).await.map(drop)
    }

    /// Clears another account's login lockout (admin help), with the same permission as
    /// [`UseCases::admin_reset_password`].
    pub async fn admin_unlock(&self, actor: &Account, target: Uuid) -> DomainResult<()> {
        let account = self.account_for(actor, target, AccountAction::ResetCredentials).await?;
        match account.email.as_deref() {
            Some(email) => self.ports.throttles.clear(&lockout_key(&email_key(email))).await,
            None => Ok(()),
        }
    }

    /// Sets the password of the account with this email, for the operator's command line.
    ///
    /// # Errors
    /// `NotFound` when no live account has the address.
    pub async fn operator_reset_password(&self, email: &EmailAddress, password: &Password) -> DomainResult<()> {
        let account = self
            .ports
            .accounts
            .find_live_by_email(&email.key())
            .await?
            .ok_or(DomainError::NotFound { entity: "account" })?;
        self.set_password(&account, password, None, self.ports.clock.now()).await
    }

    /// Hashes and stores a new password the holder chose (by code, or through the operator's command line),
    /// redeeming `code`, revoking sessions and clearing the lockout, in one transaction.
    async fn set_password(
        &self,
        account: &Account,
        password: &Password,
        code: Option<String>,
        now: OffsetDateTime,
    ) -> DomainResult<()> {
        let password_hash = self.ports.hasher.hash(password).await?;
        let reset = PasswordReset {
            account_id: account.id,
            password_hash,
            at: now,
            changed_by: None,
            code,
            lockout_key: lockout_key(&email_key(account.email.as_deref().unwrap_or_default())),
            replaces_hash: None,
        };
        if self.ports.accounts.reset_password(&reset).await? {
            Ok(())
        } else {
            Err(DomainError::InvalidCodeToken)
        }
    }

    /// Checks the mail throttle of the client address.
    async fn throttle_mail_sender(&self, ip: Option<&str>) -> DomainResult<()> {
        if let Some(ip) = ip {
            let now = self.ports.clock.now();
            let sent = self.ports.throttles.hit(&format!("mail_ip:{ip}"), now, MAIL_IP_WINDOW).await?;
            if sent > self.settings.mail_ip_limit_per_minute {
                return Err(DomainError::MailIpLimited);
            }
        }
        Ok(())
    }

    /// Issues a code for `purpose` and writes the mail carrying it in one transaction: the code itself when
    /// `with_code`, else the notice `notice()` (and a code no entry can match). One mail per address per resend interval.
    async fn send_code(
        &self,
        purpose: CodePurpose,
        recipient: Recipient<'_>,
        with_code: bool,
        notice: impl FnOnce() -> MailMessage,
    ) -> DomainResult<String> {
        let Recipient { email, to, language, account_id } = recipient;
        let now = self.ports.clock.now();
        let key = format!("mail_to:{}", email.key());
        let sent = self.ports.throttles.hit(&key, now, self.settings.mail_resend_interval).await?;
        if sent > 1 {
            return Err(DomainError::MailRateLimited);
        }
        let token = self.ports.ids.new_id().to_string();
        let token_digest = self.ports.secrets.digest(&token);
        let minutes = self.settings.code_ttl.whole_minutes();
        let (message, code_digest) = if with_code {
            let code = self.ports.secrets.new_code();
            let digest = self.ports.secrets.code_digest(&token_digest, &code);
            let message = match purpose {
                CodePurpose::ResetPassword => MailMessage::PasswordResetCode { code, minutes },
                CodePurpose::Register => MailMessage::RegistrationCode { code, minutes },
            };
            (message, Some(digest))
        } else {
            (notice(), None)
        };
        let code = VerificationCode {
            token_digest,
            purpose,
            account_id,
            email: to.to_owned(),
            code_digest,
            language: language.to_owned(),
            attempts: 0,
            created_at: now,
            expires_at: now + self.settings.code_ttl,
            verified_at: None,
            consumed_at: None,
        };
        let mail = self.outbox_mail(to, language, message, now);
        self.ports.codes.issue(&code, &mail).await?;
        Ok(token)
    }

    /// The unexpired, unredeemed code of `purpose` named by a token digest.
    async fn live_code(
        &self,
        purpose: CodePurpose,
        digest: &str,
        now: OffsetDateTime,
    ) -> DomainResult<VerificationCode> {
        self.ports
            .codes
            .find(digest)
            .await?
            .filter(|c| c.purpose == purpose && c.is_live_at(now))
            .ok_or(DomainError::InvalidCodeToken)
    }

    /// The confirmed code a redemption names, after the password confirmation and address checks.
    async fn confirmed_code(
        &self,
        purpose: CodePurpose,
        cmd: &CodeRedemption,
    ) -> DomainResult<(String, VerificationCode)> {
        if cmd.password.expose() != cmd.password_confirm {
            return Err(DomainError::PasswordMismatch);
        }
        let now = self.ports.clock.now();
        let digest = self.ports.secrets.digest(&cmd.token);
        let code = self.live_code(purpose, &digest, now).await?;
        if code.verified_at.is_none() {
            return Err(DomainError::InvalidCodeToken);
        }
        if cmd.email.as_ref().is_some_and(|e| e.key() != email_key(&code.email)) {
            return Err(DomainError::CodeEmailMismatch);
        }
        Ok((digest, code))
    }

    /// A new, initialized account of someone who signed up for `email` (named `name`, else after the address's
    /// local part), in `language` with its default timezone.
    pub(super) fn self_registered(
        &self,
        name: Option<String>,
        email: &str,
        language: &'static str,
        now: OffsetDateTime,
    ) -> Account {
        let name = name
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_owned())
            .chars()
            .take(DisplayName::MAX_CHARS)
            .collect();
        let mut account = Account::new(self.ports.ids.new_id(), name, Some(email.to_owned()), now);
        account.initialized_at = Some(now);
        account.interface_language = language.to_owned();
        account.timezone = default_timezone(language).to_owned();
        account
    }

    /// The group a self-registered account founds, named after it with a random suffix.
    pub(super) fn found_own_group(&self, account: &Account, now: OffsetDateTime) -> crate::model::GroupFounding {
        let suffix = self.ports.ids.new_id().simple().to_string();
        let group_name = format!("{}'s group {}", account.name, &suffix[..8]);
        self.found_group(account.clone(), group_name, now)
    }

    /// Creates the account of a confirmed address with its own group, redeeming the code, and signs it in.
    async fn register_with_code(
        &self,
        digest: String,
        code: &VerificationCode,
        cmd: CodeRedemption,
    ) -> DomainResult<TokenPair> {
        let now = self.ports.clock.now();
        let language = crate::values::parse_language("language", &code.language).unwrap_or("en-US");
        let mut account = self.self_registered(cmd.name.map(DisplayName::into_inner), &code.email, language, now);
        account.password_hash = Some(self.ports.hasher.hash(&cmd.password).await?);
        account.password_changed_at = Some(now);
        let registration =
            Registration { founding: self.found_own_group(&account, now), code: Some(digest), identity: None };
        match self.ports.installation.register(&registration).await {
            Ok(true) => {}
            Ok(false) => return Err(DomainError::InvalidCodeToken),
            Err(DomainError::Conflict { field: "email" }) => return Err(DomainError::EmailAlreadyRegistered),
            Err(other) => return Err(other),
        }
        self.enter_console(&account, now, cmd.ip).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecases::test_support::*;
    use crate::usecases::Settings;

    fn email(raw: &str) -> EmailAddress {
        EmailAddress::parse("email", raw).unwrap()
    }

    fn stored(purpose: CodePurpose, expires_in: Duration) -> VerificationCode {
        VerificationCode {
            token_digest: "d:tok".into(),
            purpose,
            account_id: None,
            email: "ann@example.com".into(),
            code_digest: Some("cd".into()),
            language: "en-US".into(),
            attempts: 0,
            created_at: NOW,
            expires_at: NOW + expires_in,
            verified_at: None,
            consumed_at: None,
        }
    }

    fn quiet_throttles(m: &mut Mocks) {
        m.throttles.expect_hit().returning(|_, _, _| Ok(1));
        m.throttles.expect_count().returning(|_, _| Ok(0));
    }

    #[tokio::test]
    async fn an_unknown_address_gets_a_notice_and_a_token_no_code_matches() {
        let mut m = Mocks::new();
        quiet_throttles(&mut m);
        m.accounts.expect_find_live_by_email().returning(|_| Ok(None));
        m.secrets.expect_digest().returning(|t| format!("d:{t}"));
        m.secrets.expect_new_code().never();
        m.codes
            .expect_issue()
            .withf(|code, mail| {
                code.code_digest.is_none()
                    && code.account_id.is_none()
                    && mail.mail.message == MailMessage::UnknownAddressNotice
                    && mail.mail.to == "ghost@example.com"
            })
            .times(1)
            .returning(|_, _| Ok(()));
        let answer = m.build().request_password_reset(&email("ghost@example.com"), "en-US", Some("10.0.0.1")).await;
        assert!(matches!(answer, Ok(CodeRequest::Sent { .. })), "{answer:?}");
    }

    #[tokio::test]
    async fn a_second_mail_within_the_interval_is_refused_before_anything_is_written() {
        let mut m = Mocks::new();
        m.throttles.expect_hit().withf(|k, _, _| k.starts_with("mail_ip:")).returning(|_, _, _| Ok(1));
        m.throttles.expect_hit().withf(|k, _, _| k == "mail_to:ann@example.com").returning(|_, _, _| Ok(2));
        m.accounts.expect_find_live_by_email().returning(|_| Ok(None));
        m.codes.expect_issue().never();
        let err = m.build().request_password_reset(&email("ann@example.com"), "en-US", Some("10.0.0.1")).await;
        assert!(matches!(err, Err(DomainError::MailRateLimited)), "{err:?}");
    }

    #[tokio::test]
    async fn an_expired_code_is_refused_without_counting_an_attempt() {
        let mut m = Mocks::new();
        quiet_throttles(&mut m);
        m.secrets.expect_digest().returning(|t| format!("d:{t}"));
        m.codes.expect_find().returning(|_| Ok(Some(stored(CodePurpose::ResetPassword, Duration::seconds(-1)))));
        m.codes.expect_count_attempt().never();
        let err = m.build().verify_code(CodePurpose::ResetPassword, &email("ann@example.com"), "123456", "tok").await;
        assert!(matches!(err, Err(DomainError::InvalidCodeToken)), "{err:?}");
    }

    #[tokio::test]
    async fn a_code_of_the_other_flow_is_refused() {
        let mut m = Mocks::new();
        quiet_throttles(&mut m);
        m.secrets.expect_digest().returning(|t| format!("d:{t}"));
        m.codes.expect_find().returning(|_| Ok(Some(stored(CodePurpose::Register, Duration::minutes(5)))));
        let err = m.build().verify_code(CodePurpose::ResetPassword, &email("ann@example.com"), "123456", "tok").await;
        assert!(matches!(err, Err(DomainError::InvalidCodeToken)), "{err:?}");
    }

    #[tokio::test]
    async fn a_wrong_code_counts_against_the_address() {
        let mut m = Mocks::new();
        m.throttles.expect_count().returning(|_, _| Ok(2));
        m.throttles
            .expect_hit()
            .withf(|k, _, w| k == "code_error:reset_password:ann@example.com" && *w == Duration::hours(24))
            .times(1)
            .returning(|_, _, _| Ok(3));
        m.secrets.expect_digest().returning(|t| format!("d:{t}"));
        m.verifier.expect_code_matches().returning(|_, _, _| false);
        m.codes.expect_find().returning(|_| Ok(Some(stored(CodePurpose::ResetPassword, Duration::minutes(5)))));
        m.codes.expect_count_attempt().returning(|_, _| Ok(Some(1)));
        m.codes.expect_mark_verified().never();
        let err = m.build().verify_code(CodePurpose::ResetPassword, &email("Ann@Example.com"), "000000", "tok").await;
        assert!(matches!(err, Err(DomainError::WrongCode)), "{err:?}");
    }

    #[tokio::test]
    async fn registration_is_closed_unless_the_deployment_is_public() {
        let mut m = Mocks::new();
        m.throttles.expect_hit().never();
        let err = m.build().request_registration(&email("new@example.com"), "en-US", None).await;
        assert!(matches!(err, Err(DomainError::RegistrationClosed)), "{err:?}");

        let mut m = Mocks::new();
        quiet_throttles(&mut m);
        m.accounts
            .expect_find_live_by_email()
            .returning(|_| Ok(Some(Account::new(Uuid::new_v4(), "a".into(), None, NOW))));
        m.secrets.expect_digest().returning(|t| format!("d:{t}"));
        m.codes
            .expect_issue()
            .withf(|code, mail| {
                code.code_digest.is_none() && matches!(mail.mail.message, MailMessage::ExistingAccountNotice { .. })
            })
            .times(1)
            .returning(|_, _| Ok(()));
        let open = Settings { public_deployment: true, ..Settings::default() };
        assert!(m.build_with(open).request_registration(&email("taken@example.com"), "en-US", None).await.is_ok());
    }
}
