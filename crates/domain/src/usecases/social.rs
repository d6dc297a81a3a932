//! Sign-in through external providers (GitHub, Google, OpenID Connect), and the links between provider
//! identities and accounts.
//!
//! The browser is sent to the provider with a fresh `state`, `nonce` and PKCE verifier. Those three, the provider
//! name, an optional invitation and an expiry are sealed into a cookie that binds the attempt to that browser;
//! the state is also used up in the database when the browser comes back, so a callback works once.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{DomainError, DomainResult, SignInRefusal};
use crate::model::{Account, ExternalIdentity, IdentitySignIn, LinkedIdentity, Registration, TokenPair};
use crate::ports::{AuthorizationRequest, SignInStep, Unlinked};
use crate::values::{email_key, EmailAddress};

use super::UseCases;

/// Context of the sealed sign-in cookie (a sealed value opens only under the context it was sealed with).
const COOKIE_CONTEXT: &str = "sign-in-state";

/// Where to send the browser to sign in, and the cookie that binds the attempt to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocialStart {
    /// The provider's authorization URL.
    pub redirect_url: String,
    /// The sealed attempt, to be kept by the browser until it comes back.
    pub cookie: Vec<u8>,
    /// How long the cookie is good for, in seconds.
    pub max_age_secs: i64,
}

/// What the browser brought back from the provider.
#[derive(Debug, Clone, Default)]
pub struct SocialCallback {
    /// The provider name in the callback path.
    pub provider: String,
    /// The authorization code (absent when the person cancelled).
    pub code: Option<String>,
    /// The `state` parameter.
    pub state: Option<String>,
    /// The sealed attempt from the browser's cookie.
    pub cookie: Option<Vec<u8>>,
    /// Interface language for a new account.
    pub language: &'static str,
    /// Client address.
    pub ip: Option<String>,
}

/// Where a successful sign-in lands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocialLanding {
    /// Signed in.
    Session(TokenPair),
    /// The person came through an invitation for the address the provider vouches for: the identity is linked
    /// to the invited account, which is activated on the console's invitation page.
    Invitation {
        /// The invitation token.
        token: Uuid,
    },
}

/// One sign-in attempt, as sealed in the browser's cookie.
#[derive(Debug, Serialize, Deserialize)]
struct PendingSignIn {
    provider: String,
    state: String,
    nonce: String,
    verifier: String,
    invitation: Option<Uuid>,
    expires: i64,
}

/// Most bytes of the provider's claims kept in an account's attributes, and of any one claim.
const MAX_ATTRIBUTE_BYTES: usize = 16 * 1024;
const MAX_CLAIM_BYTES: usize = 2 * 1024;

/// The provider's claims that fit the attribute bag: claims over [`MAX_CLAIM_BYTES`] are left out, and claims
/// stop being added at [`MAX_ATTRIBUTE_BYTES`] in all.
fn bounded_attributes(identity: &ExternalIdentity) -> serde_json::Map<String, serde_json::Value> {
    let mut kept = serde_json::Map::new();
    let mut total = 0;
    for (key, value) in &identity.attributes {
        let size = key.len() + value.to_string().len();
        if size <= MAX_CLAIM_BYTES && total + size <= MAX_ATTRIBUTE_BYTES {
            total += size;
            kept.insert(key.clone(), value.clone());
        }
    }
    kept
}

/// A provider's sign-in bound for an account: the link, the claims and, when `login` is given, the login.
fn sign_in_of(
    account_id: Uuid,
    identity: &ExternalIdentity,
    at: OffsetDateTime,
    login: Option<Option<String>>,
) -> IdentitySignIn {
    IdentitySignIn {
        identity: LinkedIdentity {
            account_id,
            provider: identity.provider.clone(),
            subject: identity.subject.clone(),
            email: identity.email.clone(),
            created_at: at,
        },
        attributes: bounded_attributes(identity),
        at,
        login,
    }
}

fn refused(reason: SignInRefusal) -> DomainError {
    DomainError::SignInRefused(reason)
}

/// A conflict on the identity link is the person's problem, not the server's.
fn identity_conflict(error: DomainError) -> DomainError {
    match error {
        DomainError::Conflict { field: "identity" } => refused(SignInRefusal::IdentityConflict),
        other => other,
    }
}

impl UseCases {
    /// Whether any sign-in provider is configured (`enable_social_oauth_login`).
    pub fn social_sign_in_enabled(&self) -> bool {
        !self.ports.sign_in.names().is_empty()
    }

    /// Starts a sign-in at `provider`: the URL to send the browser to and the sealed cookie that binds the
    /// attempt to it. An invitation token that is a valid id rides along to the callback.
    ///
    /// # Errors
    /// `SignInRefused` with `UnknownProvider`, or `ProviderFailed` when the provider's metadata cannot be read.
    ///
    /// ```
    /// # use domain::usecases::UseCases;
    /// # async fn demo(use_cases: &UseCases) -> domain::DomainResult<()> {
    /// if use_cases.social_sign_in_enabled() {
    ///     // send the browser to `redirect_url` with `cookie` set; `finish_social_sign_in` takes both back
    ///     let start = use_cases.begin_social_sign_in("github", None).await?;
    ///     println!("{} ({} s)", start.redirect_url, start.max_age_secs);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn begin_social_sign_in(&self, provider: &str, invitation: Option<&str>) -> DomainResult<SocialStart> {
        let request = AuthorizationRequest {
            state: self.ports.secrets.new_refresh_token(),
            nonce: self.ports.secrets.new_refresh_token(),
            pkce_verifier: self.ports.secrets.new_refresh_token(),
        };
        let redirect_url = self
            .ports
            .sign_in
            .authorization_url(provider, &request)
            .await?
            .ok_or(refused(SignInRefusal::UnknownProvider))?;
        let ttl = self.settings.sign_in_state_ttl;
        let pending = PendingSignIn {
            provider: provider.to_owned(),
            state: request.state,
            nonce: request.nonce,
            verifier: request.pkce_verifier,
            invitation: invitation.and_then(|t| Uuid::parse_str(t.trim()).ok()),
            expires: (self.ports.clock.now() + ttl).unix_timestamp(),
        };
        let sealed = serde_json::to_string(&pending).map_err(DomainError::internal)?;
        Ok(SocialStart {
            redirect_url,
            cookie: self.ports.cipher.seal(COOKIE_CONTEXT, &sealed)?,
            max_age_secs: ttl.whole_seconds(),
        })
    }

    /// Finishes a sign-in when the browser comes back from the provider.
    ///
    /// The account is the one linked to the provider identity; else the one holding the address the provider
    /// vouches for (and the identity is linked to it); else a new one, founding its own group, when
    /// registration is open. Each sign-in merges the provider's claims into the account's `attributes` (its
    /// `source` stays: a sign-in link is not an external id); a pending account becomes active.
    ///
    /// # Errors
    /// `SignInRefused` (`UnknownProvider`, `InvalidState`, `ProviderFailed`, `EmailUnverified`, `NoEmail`,
    /// `IdentityConflict`); `InvalidInvitation` when the attempt carried a valid invitation for another
    /// address; `AccountNotFound` when registration is closed; `AccountBanned`, `ConsoleLoginDisabled`,
    /// `NoWorkspace`.
    pub async fn finish_social_sign_in(&self, callback: SocialCallback) -> DomainResult<SocialLanding> {
        if !self.ports.sign_in.names().contains(&callback.provider) {
            return Err(refused(SignInRefusal::UnknownProvider));
        }
        let now = self.ports.clock.now();
        let pending = self.redeem_state(&callback, now).await?;
        let code = callback.code.as_deref().filter(|c| !c.is_empty()).ok_or(refused(SignInRefusal::ProviderFailed))?;
        let request =
            AuthorizationRequest { state: pending.state, nonce: pending.nonce, pkce_verifier: pending.verifier };
        let identity = self.ports.sign_in.identify(&callback.provider, code, &request).await?;
        // only an address the provider vouches for (and that is an address) may find, link or create an account
        let verified = identity
            .email
            .as_deref()
            .filter(|_| identity.email_verified)
            .and_then(|e| EmailAddress::parse("email", e).ok());

        if let Some(token) = pending.invitation {
            if let Some((invitation, _, account)) = self.live_invitation(token, None, None).await? {
                if verified.as_ref().map(EmailAddress::key) != Some(email_key(&invitation.email)) {
                    return Err(DomainError::InvalidInvitation);
                }
                self.check_console_entry(&account, now).await?;
                self.ports
                    .identities
                    .record_identity_sign_in(&sign_in_of(account.id, &identity, now, None))
                    .await
                    .map_err(identity_conflict)?;
                return Ok(SocialLanding::Invitation { token });
            }
        }

        let account = match self.ports.identities.find_live_by_identity(&identity.provider, &identity.subject).await? {
            Some(account) => account,
            None => {
                let Some(email) = verified else {
                    let reason =
                        if identity.email.is_some() { SignInRefusal::EmailUnverified } else { SignInRefusal::NoEmail };
                    return Err(refused(reason));
                };
                match self.ports.accounts.find_live_by_email(&email.key()).await? {
                    Some(account) => account,
                    None => {
                        return self
                            .register_social_account(&identity, &email, &callback, now)
                            .await
                            .map(SocialLanding::Session)
                    }
                }
            }
        };
        self.check_console_entry(&account, now).await?;
        self.ports
            .identities
            .record_identity_sign_in(&sign_in_of(account.id, &identity, now, Some(callback.ip.clone())))
            .await
            .map_err(identity_conflict)?;
        // the provider stands in for the password; the second factor is still asked
        if self.confirmed_factor(account.id).await?.is_some() {
            let token =
                self.ports.tokens.issue_step(SignInStep::SecondFactor, account.id, account.token_generation, now)?;
            return Err(DomainError::SecondFactorRequired { token });
        }
        if account.mfa_enabled {
            let token =
                self.ports.tokens.issue_step(SignInStep::Enrollment, account.id, account.token_generation, now)?;
            return Err(DomainError::EnrollmentRequired { token });
        }
        self.start_session(&account, now, callback.ip).await.map(SocialLanding::Session)
    }

    /// Opens the browser's sealed attempt, checks it against the callback and uses its state up.
    async fn redeem_state(&self, callback: &SocialCallback, now: OffsetDateTime) -> DomainResult<PendingSignIn> {
        let invalid = || refused(SignInRefusal::InvalidState);
        let sealed = callback.cookie.as_deref().ok_or_else(invalid)?;
        let opened = self.ports.cipher.open(COOKIE_CONTEXT, sealed).map_err(|_| invalid())?;
        let pending: PendingSignIn = serde_json::from_str(&opened).map_err(|_| invalid())?;
        let state = callback.state.as_deref().ok_or_else(invalid)?;
        let expires = OffsetDateTime::from_unix_timestamp(pending.expires).map_err(|_| invalid())?;
        if pending.provider != callback.provider
            || !self.ports.verifier.secrets_equal(&pending.state, state)
            || now >= expires
        {
            return Err(invalid());
        }
        let key = format!("sign_in_state:{}", self.ports.secrets.digest(state));
        if !self.ports.throttles.use_once(&key, now, expires).await? {
            return Err(invalid());
        }
        Ok(pending)
    }

    /// Creates an account for a person the provider introduced with a verified address, founding its own group
    /// as a self-registration does, with the identity linked in the same transaction, and signs it in.
    async fn register_social_account(
        &self,
        identity: &ExternalIdentity,
        email: &EmailAddress,
        callback: &SocialCallback,
        now: OffsetDateTime,
    ) -> DomainResult<TokenPair> {
        if !self.settings.allow_register {
            return Err(DomainError::AccountNotFound);
        }
        let mut account = self.self_registered(identity.name.clone(), email.as_str(), callback.language, now);
        account.attributes = bounded_attributes(identity);
        account.last_login_at = Some(now);
        account.last_login_ip = callback.ip.clone();
        let link = sign_in_of(account.id, identity, now, None).identity;
        let registration =
            Registration { founding: self.found_own_group(&account, now), code: None, identity: Some(link) };
        match self.ports.installation.register(&registration).await {
            Ok(_) => {}
            // the same person twice at once (two tabs): the retry finds the account the other one created
            Err(DomainError::Conflict { field: "email" | "identity" }) => {
                return Err(refused(SignInRefusal::InvalidState))
            }
            Err(other) => return Err(other),
        }
        self.start_session(&account, now, callback.ip.clone()).await
    }

    /// The provider identities linked to the account.
    pub async fn linked_identities(&self, account: &Account) -> DomainResult<Vec<LinkedIdentity>> {
        self.ports.identities.identities(account.id).await
    }

    /// Names of the configured sign-in providers.
    pub fn sign_in_providers(&self) -> Vec<String> {
        self.ports.sign_in.names()
    }

    /// Removes the account's link to `provider`.
    ///
    /// # Errors
    /// `NotFound` when the account has no link to it; `Invalid` naming `provider` when the link is the
    /// account's only way to sign in (no password, no other identity).
    pub async fn unlink_identity(&self, account: &Account, provider: &str) -> DomainResult<()> {
        match self.ports.identities.unlink_identity(account.id, provider).await? {
            Unlinked::Removed => Ok(()),
            Unlinked::NotLinked => Err(DomainError::NotFound { entity: "identity" }),
            Unlinked::OnlyWayIn => Err(DomainError::invalid(
                "provider",
                "This is the account's only way to sign in: set a password before removing it.",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;
    use crate::usecases::test_support::*;
    use crate::usecases::Settings;

    fn identity(email: &str, verified: bool) -> ExternalIdentity {
        ExternalIdentity {
            provider: "corp".into(),
            subject: "sub-1".into(),
            email: Some(email.into()),
            email_verified: verified,
            name: Some("Ann".into()),
            attributes: serde_json::json!({"department": "R&D"}).as_object().unwrap().clone(),
        }
    }

    /// A browser comes back with state `s` for `corp`, sealed to expire at `expires`, and the provider says
    /// `who` signed in.
    fn comes_back(m: &mut Mocks, expires: OffsetDateTime, who: ExternalIdentity) {
        m.sign_in.expect_names().returning(|| vec!["corp".into()]);
        let pending = serde_json::json!({
            "provider": "corp", "state": "s", "nonce": "n", "verifier": "v", "invitation": null,
            "expires": expires.unix_timestamp(),
        });
        m.cipher.expect_open().returning(move |_, _| Ok(pending.to_string()));
        m.verifier.expect_secrets_equal().returning(|a, b| a == b);
        m.secrets.expect_digest().returning(|t| format!("d:{t}"));
        m.throttles.expect_use_once().returning(|_, _, _| Ok(true));
        m.sign_in
            .expect_identify()
            .withf(|_, code, request| code == "c" && request.nonce == "n" && request.pkce_verifier == "v")
            .returning(move |_, _, _| Ok(who.clone()));
        m.identities.expect_find_live_by_identity().returning(|_, _| Ok(None));
    }

    fn callback(state: &str) -> SocialCallback {
        SocialCallback {
            provider: "corp".into(),
            code: Some("c".into()),
            state: Some(state.into()),
            cookie: Some(vec![1]),
            language: "en-US",
            ip: None,
        }
    }

    #[tokio::test]
    async fn a_state_other_than_the_sealed_one_or_past_its_time_is_refused_before_the_provider_is_asked() {
        for (state, expires) in [("forged", NOW + Duration::minutes(5)), ("s", NOW)] {
            let mut m = Mocks::new();
            m.sign_in.expect_names().returning(|| vec!["corp".into()]);
            let pending = serde_json::json!({
                "provider": "corp", "state": "s", "nonce": "n", "verifier": "v", "invitation": null,
                "expires": expires.unix_timestamp(),
            });
            m.cipher.expect_open().returning(move |_, _| Ok(pending.to_string()));
            m.verifier.expect_secrets_equal().returning(|a, b| a == b);
            m.sign_in.expect_identify().never();
            let err = m.build().finish_social_sign_in(callback(state)).await.unwrap_err();
            assert!(matches!(err, DomainError::SignInRefused(SignInRefusal::InvalidState)), "{state}: {err:?}");
        }
    }

    #[tokio::test]
    async fn an_unverified_address_neither_finds_nor_links_nor_registers_an_account() {
        let mut m = Mocks::new();
        comes_back(&mut m, NOW + Duration::minutes(5), identity("Ann@Example.com", false));
        m.accounts.expect_find_live_by_email().never();
        m.identities.expect_record_identity_sign_in().never();
        m.installation.expect_register().never();
        let open = Settings { allow_register: true, ..Settings::default() };
        let err = m.build_with(open).finish_social_sign_in(callback("s")).await.unwrap_err();
        assert!(matches!(err, DomainError::SignInRefused(SignInRefusal::EmailUnverified)), "{err:?}");
    }

    #[tokio::test]
    async fn a_verified_address_links_its_account_with_the_claims_after_the_entry_checks() {
        let mut m = Mocks::new();
        m.mfa.expect_totp().returning(|_| Ok(None));
        comes_back(&mut m, NOW + Duration::minutes(5), identity("ann@example.com", true));
        let ann = Account::new(Uuid::new_v4(), "ann".into(), Some("ann@example.com".into()), NOW);
        let id = ann.id;
        m.accounts.expect_find_live_by_email().returning(move |_| Ok(Some(ann.clone())));
        m.workspaces.expect_current_workspace_of().returning(|_| {
            let t = crate::model::Workspace::new(Uuid::new_v4(), "w".into(), None, NOW);
            let j = crate::model::WorkspaceMembership::new(t.id, Uuid::nil(), crate::model::WorkspaceRole::Owner, NOW);
            Ok(Some((t, j)))
        });
        m.identities
            .expect_record_identity_sign_in()
            .withf(move |s| {
                s.identity.account_id == id
                    && s.identity.subject == "sub-1"
                    && s.attributes["department"] == "R&D"
                    && s.login.is_some()
            })
            .times(1)
            .returning(|_| Ok(()));
        m.secrets.expect_new_refresh_token().returning(|| "r".repeat(128));
        m.sessions.expect_start().returning(|_, _, _| Ok(()));
        m.tokens.expect_issue().returning(|_, _, _, _| Ok("jwt".into()));
        let landing = m.build().finish_social_sign_in(callback("s")).await.unwrap();
        assert!(matches!(landing, SocialLanding::Session(ref pair) if pair.access_token == "jwt"), "{landing:?}");
    }

    #[tokio::test]
    async fn strangers_get_in_only_while_registration_is_open() {
        let mut m = Mocks::new();
        comes_back(&mut m, NOW + Duration::minutes(5), identity("new@example.com", true));
        m.accounts.expect_find_live_by_email().returning(|_| Ok(None));
        m.installation.expect_register().never();
        let err = m.build().finish_social_sign_in(callback("s")).await.unwrap_err();
        assert!(matches!(err, DomainError::AccountNotFound), "{err:?}");
    }
}
