//! Second factors: a TOTP factor (RFC 6238) with ten recovery codes, enrolled and removed by the account
//! itself; the second step of a sign-in once a factor is confirmed; enrolment demanded at sign-in when the
//! account's `mfa_state` makes a factor mandatory; and the reset of an account's factor by a platform admin or
//! the operator. Wrong codes count towards the login lockout of the account's address, and no code is accepted
//! twice (a TOTP code's time step is recorded, a recovery code is used up).

use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{DomainError, DomainResult};
use crate::model::{Account, AuditEvent, MfaStatus, TokenPair, TotpEnrollment, TotpFactor};
use crate::policy;
use crate::ports::{PasswordCheck, SignInStep};
use crate::values::{EmailAddress, Password};

use super::access_keys::Actor;
use super::auth::lockout_key;
use super::UseCases;

/// Recovery codes given at enrolment.
pub const RECOVERY_CODES: usize = 10;

/// The sealing context of an account's TOTP secret (a sealed secret opens only for its own account).
fn sealing_context(account_id: Uuid) -> String {
    format!("totp:{account_id}")
}

/// A second-factor code as entered: the current code of the authenticator app, or a recovery code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondFactorCode {
    /// Six digits.
    Totp(String),
    /// Ten letters and digits, lowercased, without the hyphen.
    Recovery(String),
}

impl SecondFactorCode {
    /// Parses a code as typed: spaces and hyphens are ignored, letters are not case-sensitive.
    ///
    /// # Errors
    /// `Invalid` naming `field` for anything that is neither six digits nor ten letters and digits.
    pub fn parse(field: &'static str, raw: &str) -> DomainResult<Self> {
        let compact: String =
            raw.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_lowercase()).collect();
        if compact.len() == 6 && compact.chars().all(|c| c.is_ascii_digit()) {
            Ok(Self::Totp(compact))
        } else if compact.len() == 10 && compact.chars().all(|c| c.is_ascii_alphanumeric()) {
            Ok(Self::Recovery(compact))
        } else {
            Err(DomainError::invalid(field, "Enter the six-digit code of your authenticator app or a recovery code."))
        }
    }
}

/// What the holder of a factor shows to remove it.
#[derive(Debug, Clone)]
pub enum FactorRemovalProof {
    /// The account's password.
    Password(Password),
    /// A code of the factor (or a recovery code).
    Code(SecondFactorCode),
}

impl UseCases {
    fn mfa_audit(&self, actor: Option<&Actor<'_>>, action: &str, target: Uuid, now: OffsetDateTime) -> AuditEvent {
        AuditEvent {
            id: self.ports.ids.new_id(),
            at: now,
            actor_account_id: actor.map(|a| a.account.id),
            actor_access_key_id: actor.and_then(|a| a.access_key_id),
            action: action.to_owned(),
            target_type: "account".into(),
            target_id: Some(target.to_string()),
            request_id: actor.and_then(|a| a.request_id.map(str::to_owned)),
            changes: serde_json::json!({"factor": "totp"}),
        }
    }

    /// The account's confirmed TOTP factor.
    pub(super) async fn confirmed_factor(&self, account_id: Uuid) -> DomainResult<Option<TotpFactor>> {
        Ok(self.ports.mfa.totp(account_id).await?.filter(|f| f.confirmed_at.is_some()))
    }

    /// What the account's sign-in asks besides the password.
    pub async fn mfa_status(&self, actor: &Account) -> DomainResult<MfaStatus> {
        let factor = self.ports.mfa.totp(actor.id).await?;
        let confirmed_at = factor.as_ref().and_then(|f| f.confirmed_at);
        Ok(MfaStatus {
            totp_confirmed_at: confirmed_at,
            totp_pending: factor.is_some() && confirmed_at.is_none(),
            required: actor.mfa_enabled,
            recovery_codes_left: if confirmed_at.is_some() {
                self.ports.mfa.recovery_codes_left(actor.id).await?
            } else {
                0
            },
        })
    }

    /// Starts enrolling a TOTP factor for the actor: a new secret (replacing one not yet confirmed) and its
    /// `otpauth://` URI. It protects nothing until [`Self::confirm_totp`].
    ///
    /// # Errors
    /// `SecondFactorExists` when the actor has a confirmed factor.
    pub async fn begin_totp(&self, actor: &Account) -> DomainResult<TotpEnrollment> {
        if self.confirmed_factor(actor.id).await?.is_some() {
            return Err(DomainError::SecondFactorExists);
        }
        let secret = self.ports.otp.new_totp_secret()?;
        let label = actor.email.clone().unwrap_or_else(|| actor.name.clone());
        let otpauth_uri = self.ports.otp.totp_uri(&secret, &self.settings.totp_issuer, &label)?;
        let factor = TotpFactor {
            account_id: actor.id,
            secret_ciphertext: self.ports.cipher.seal(&sealing_context(actor.id), &secret)?,
            created_at: self.ports.clock.now(),
            confirmed_at: None,
            last_used_step: None,
        };
        self.ports.mfa.begin_totp(&factor).await?;
        Ok(TotpEnrollment { secret, otpauth_uri })
    }

    /// Confirms the actor's enrolled factor with its current code and returns ten recovery codes, shown this once
    /// (only their digests are kept).
    ///
    /// # Errors
    /// `NotFound { entity: "totp enrollment" }` without an enrolment in progress; `WrongSecondFactor` for a
    /// code that is not the factor's current one; `SecondFactorExists` once confirmed.
    pub async fn confirm_totp(&self, actor: Actor<'_>, code: &SecondFactorCode) -> DomainResult<Vec<String>> {
        let factor = self.ports.mfa.totp(actor.account.id).await?;
        let factor = match factor {
            Some(f) if f.confirmed_at.is_some() => return Err(DomainError::SecondFactorExists),
            Some(f) => f,
            None => return Err(DomainError::NotFound { entity: "totp enrollment" }),
        };
        let now = self.ports.clock.now();
        let SecondFactorCode::Totp(digits) = code else { return Err(DomainError::WrongSecondFactor) };
        let secret = self.ports.cipher.open(&sealing_context(factor.account_id), &factor.secret_ciphertext)?;
        let step = self.ports.otp.totp_step(&secret, digits, now).ok_or(DomainError::WrongSecondFactor)?;
        let codes =
            (0..RECOVERY_CODES).map(|_| self.ports.otp.new_recovery_code()).collect::<DomainResult<Vec<_>>>()?;
        let digests: Vec<String> = codes.iter().map(|c| self.recovery_digest(factor.account_id, c)).collect();
        let audit = self.mfa_audit(Some(&actor), "mfa.totp.enable", factor.account_id, now);
        let confirmed = self
            .ports
            .mfa
            .confirm_totp(factor.account_id, &factor.secret_ciphertext, step, now, &digests, &audit)
            .await?;
        if !confirmed {
            // enrolled again (or removed) meanwhile
            return Err(DomainError::NotFound { entity: "totp enrollment" });
        }
        Ok(codes)
    }

    /// Removes the actor's factor after it proved it holds the account (its password, or a code).
    ///
    /// # Errors
    /// `NotFound { entity: "totp factor" }` without a factor; `Forbidden` when a factor is mandatory for the
    /// account (an admin resets it instead); `InvalidCredentials` for a wrong password, `WrongSecondFactor` for a
    /// wrong code.
    pub async fn remove_totp(&self, actor: Actor<'_>, proof: FactorRemovalProof) -> DomainResult<()> {
        let account = actor.account;
        let Some(factor) = self.ports.mfa.totp(account.id).await? else {
            return Err(DomainError::NotFound { entity: "totp factor" });
        };
        if account.mfa_enabled && factor.confirmed_at.is_some() {
            return Err(DomainError::Forbidden(
                "A second factor is required for this account; an administrator can reset it.",
            ));
        }
        let now = self.ports.clock.now();
        match proof {
            FactorRemovalProof::Password(password) => {
                if self.ports.hasher.verify(&password, account.password_hash.clone()).await? == PasswordCheck::Mismatch
                {
                    return Err(DomainError::InvalidCredentials);
                }
            }
            FactorRemovalProof::Code(code) => {
                if factor.confirmed_at.is_none() || !self.accept_code(&factor, &code, now).await? {
                    return Err(DomainError::WrongSecondFactor);
                }
            }
        }
        let audit = self.mfa_audit(Some(&actor), "mfa.totp.remove", account.id, now);
        self.ports.mfa.remove_totp(account.id, &audit).await?;
        Ok(())
    }

    fn recovery_digest(&self, account_id: Uuid, code: &str) -> String {
        let compact: String = code.chars().filter(|c| *c != '-').collect();
        self.ports.secrets.digest(&format!("recovery:{account_id}:{compact}"))
    }

    /// Whether `code` is the confirmed factor's code of this moment (±1 step) not used before, or an unused
    /// recovery code; a code accepted here is used up.
    async fn accept_code(
        &self,
        factor: &TotpFactor,
        code: &SecondFactorCode,
        now: OffsetDateTime,
    ) -> DomainResult<bool> {
        match code {
            SecondFactorCode::Totp(digits) => {
                let secret = self.ports.cipher.open(&sealing_context(factor.account_id), &factor.secret_ciphertext)?;
                match self.ports.otp.totp_step(&secret, digits, now) {
                    Some(step) => self.ports.mfa.use_totp_step(factor.account_id, step).await,
                    None => Ok(false),
                }
            }
            SecondFactorCode::Recovery(compact) => {
                let digest = self.recovery_digest(factor.account_id, compact);
                self.ports.mfa.use_recovery_code(factor.account_id, &digest, now).await
            }
        }
    }

    /// The account of a sign-in step's token, if it may still sign in.
    async fn step_account(&self, step: SignInStep, token: &str, now: OffsetDateTime) -> DomainResult<Account> {
        const USED: DomainError = DomainError::Unauthenticated("The sign-in token is invalid or has expired.");
        let claims = self.ports.tokens.verify_step(step, token, now).map_err(|_| USED)?;
        let account = self.ports.accounts.get(claims.account_id).await?.filter(Account::is_live).ok_or(USED)?;
        if !account.accepts_token(claims.generation, claims.issued_at) {
            return Err(USED);
        }
        self.check_console_entry(&account, now).await?;
        Ok(account)
    }

    /// The second step of a login that answered [`DomainError::SecondFactorRequired`]: the code of the account's
    /// factor, or one of its recovery codes, then the tokens of a new session (or the next demanded step).
    ///
    /// # Errors
    /// `Unauthenticated` for a bad or expired token; `LoginLocked` once too many wrong passwords and codes were
    /// entered for the address; `WrongSecondFactor` (counted towards that lockout); `PasswordChangeRequired`;
    /// `AccountBanned`, `ConsoleLoginDisabled`, `NoWorkspace`.
    ///
    /// ```
    /// # use domain::usecases::{LoginCommand, SecondFactorCode, UseCases};
    /// # use domain::DomainError;
    /// # async fn demo(use_cases: &UseCases, login: LoginCommand, typed: &str) -> domain::DomainResult<()> {
    /// let tokens = match use_cases.login(login).await {
    ///     Err(DomainError::SecondFactorRequired { token }) => {
    ///         // the code the person typed: six digits from the app, or a recovery code
    ///         let code = SecondFactorCode::parse("code", typed)?;
    ///         use_cases.login_second_factor(&token, &code, None).await?
    ///     }
    ///     other => other?,
    /// };
    /// # let _ = tokens;
    /// # Ok(()) }
    /// ```
    pub async fn login_second_factor(
        &self,
        token: &str,
        code: &SecondFactorCode,
        ip: Option<String>,
    ) -> DomainResult<TokenPair> {
        let result = self.second_factor_sign_in(token, code, ip).await;
        self.report_sign_in(&result);
        result
    }

    async fn second_factor_sign_in(
        &self,
        token: &str,
        code: &SecondFactorCode,
        ip: Option<String>,
    ) -> DomainResult<TokenPair> {
        let now = self.ports.clock.now();
        let account = self.step_account(SignInStep::SecondFactor, token, now).await?;
        let key = lockout_key(&account.email_key().unwrap_or_default());
        let attempt = self.ports.throttles.hit(&key, now, self.settings.login_lockout_window).await?;
        if attempt > self.settings.login_lockout_threshold + 1 {
            return Err(DomainError::LoginLocked);
        }
        let Some(factor) = self.confirmed_factor(account.id).await? else {
            // reset meanwhile: the password step must be passed again
            return Err(DomainError::Unauthenticated("The sign-in token is invalid or has expired."));
        };
        if !self.accept_code(&factor, code, now).await? {
            return Err(DomainError::WrongSecondFactor);
        }
        self.ports.throttles.clear(&key).await?;
        self.continue_sign_in(&account, true, now, ip).await
    }

    /// Enrolment demanded at sign-in ([`DomainError::EnrollmentRequired`]): as [`Self::begin_totp`], for the
    /// holder of the enrolment token.
    ///
    /// # Errors
    /// `Unauthenticated` for a bad or expired token; as [`Self::begin_totp`].
    pub async fn begin_sign_in_enrollment(&self, token: &str) -> DomainResult<TotpEnrollment> {
        let account = self.step_account(SignInStep::Enrollment, token, self.ports.clock.now()).await?;
        self.begin_totp(&account).await
    }

    /// Confirms the factor enrolled at sign-in and finishes the sign-in: the recovery codes (shown once) and the
    /// tokens of a new session.
    ///
    /// # Errors
    /// `Unauthenticated` for a bad or expired token; as [`Self::confirm_totp`].
    pub async fn confirm_sign_in_enrollment(
        &self,
        token: &str,
        code: &SecondFactorCode,
        ip: Option<String>,
    ) -> DomainResult<(Vec<String>, TokenPair)> {
        let now = self.ports.clock.now();
        let account = self.step_account(SignInStep::Enrollment, token, now).await?;
        let actor = Actor { account: &account, access_key_id: None, request_id: None };
        let codes = self.confirm_totp(actor, code).await?;
        let tokens = self.enter_console(&account, now, ip).await?;
        Ok((codes, tokens))
    }

    /// Removes an account's second factor and recovery codes (it lost its device): platform admins only. When a
    /// factor is mandatory, the account enrols a new one at its next sign-in.
    ///
    /// # Errors
    /// `Forbidden` unless a platform admin; `NotFound` for unknown accounts and accounts without a factor.
    pub async fn reset_second_factor(&self, actor: Actor<'_>, target: Uuid) -> DomainResult<()> {
        if !policy::may_reset_second_factors(actor.account) {
            return Err(DomainError::Forbidden("Only system administrators can reset a second factor."));
        }
        let account = self.ports.accounts.get(target).await?.filter(Account::is_live);
        let account = account.ok_or(DomainError::NotFound { entity: "account" })?;
        let audit = self.mfa_audit(Some(&actor), "mfa.totp.reset", account.id, self.ports.clock.now());
        if !self.ports.mfa.remove_totp(account.id, &audit).await? {
            return Err(DomainError::NotFound { entity: "totp factor" });
        }
        Ok(())
    }

    /// As [`Self::reset_second_factor`], for the operator (`accountd mfa reset`), by email.
    ///
    /// # Errors
    /// `NotFound` for unknown addresses and accounts without a factor.
    pub async fn operator_reset_second_factor(&self, email: &EmailAddress) -> DomainResult<()> {
        let account = self.ports.accounts.find_live_by_email(&email.key()).await?;
        let account = account.ok_or(DomainError::NotFound { entity: "account" })?;
        let audit = self.mfa_audit(None, "mfa.totp.reset", account.id, self.ports.clock.now());
        if !self.ports.mfa.remove_totp(account.id, &audit).await? {
            return Err(DomainError::NotFound { entity: "totp factor" });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_parsed_as_typed() {
        assert_eq!(SecondFactorCode::parse("code", " 123 456 ").unwrap(), SecondFactorCode::Totp("123456".into()));
        assert_eq!(
            SecondFactorCode::parse("code", "AB12C-D34EF").unwrap(),
            SecondFactorCode::Recovery("ab12cd34ef".into())
        );
        for bad in ["", "12345", "1234567", "abcde-fghi!", "ünïcödé12"] {
            let err = SecondFactorCode::parse("code", bad).unwrap_err();
            assert!(matches!(err, DomainError::Invalid { field: "code", .. }), "{bad}: {err:?}");
        }
    }
}
