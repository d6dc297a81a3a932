//! Access keys: machine credentials of an account, shared by every machine dialect. At most two are active at
//! a time (one in use, one being rotated in); the secret is shown once and kept sealed (AEAD) because the
//! signing dialects need it to verify requests. Every change, and every use, is an audit event.

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::error::{DomainError, DomainResult};
use crate::model::{AccessKey, AccessKeyStatus, Account, AuditEvent};
use crate::policy::AccountAction;
use crate::values::optional_text;

use super::UseCases;

/// Active keys an account may hold at once.
pub const MAX_ACTIVE_KEYS: i64 = 2;

/// A key's use is recorded at most this often.
pub const KEY_USE_RECORD_INTERVAL: Duration = Duration::minutes(1);

/// Longest key label.
pub const MAX_KEY_NAME_CHARS: usize = 64;

/// A key as listed: never with its secret.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessKeyView {
    /// The key.
    pub key: AccessKey,
    /// Older than the rotation period: the owner should issue a new one and retire this one.
    pub advice_renew: bool,
}

/// Who made a change, for the audit trail.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    /// The acting account.
    pub account: &'a Account,
    /// The access key it acted with (machine requests).
    pub access_key_id: Option<Uuid>,
    /// The HTTP request id.
    pub request_id: Option<&'a str>,
}

impl<'a> Actor<'a> {
    /// An account acting through a console session.
    pub fn session(account: &'a Account, request_id: &'a str) -> Self {
        Self { account, access_key_id: None, request_id: Some(request_id) }
    }
}

impl UseCases {
    fn audit(&self, actor: &Actor<'_>, action: &str, key: &AccessKey, now: OffsetDateTime) -> AuditEvent {
        AuditEvent {
            id: self.ports.ids.new_id(),
            at: now,
            actor_account_id: Some(actor.account.id),
            actor_access_key_id: actor.access_key_id,
            action: action.to_owned(),
            target_type: "access_key".into(),
            target_id: Some(key.id.to_string()),
            request_id: actor.request_id.map(str::to_owned),
            changes: serde_json::json!({"account_id": key.account_id, "access_key": key.access_key, "status": key.status.to_string()}),
        }
    }

    pub(super) fn view(&self, key: AccessKey, now: OffsetDateTime) -> AccessKeyView {
        let advice_renew = now - key.created_at > Duration::days(self.settings.access_key_rotation_days);
        AccessKeyView { key, advice_renew }
    }

    /// The key `id` when the actor may manage its account's keys.
    async fn manageable_key(&self, actor: &Account, id: Uuid) -> DomainResult<AccessKey> {
        let key = self.ports.access_keys.get(id).await?.ok_or(DomainError::NotFound { entity: "access key" })?;
        match self.account_for(actor, key.account_id, AccountAction::ManageAccessKeys).await {
            Ok(_) => Ok(key),
            // keys of accounts the actor cannot see do not exist for it
            Err(DomainError::NotFound { .. }) => Err(DomainError::NotFound { entity: "access key" }),
            Err(other) => Err(other),
        }
    }

    /// Issues a key for `account_id` (default: the actor). Returns the key and its secret, which is never shown
    /// again.
    ///
    /// # Errors
    /// `Invalid` naming `name` when longer than 64 characters; `NotFound`/`Forbidden` for accounts the actor
    /// may not manage; `ActiveKeyLimit` when two keys are active.
    ///
    /// ```
    /// # use domain::usecases::{Actor, UseCases};
    /// # async fn demo(use_cases: &UseCases, bearer: &str) -> domain::DomainResult<()> {
    /// let me = use_cases.authenticate(bearer).await?;
    /// // a key of the caller's own: the secret is in this answer only, and stored sealed
    /// let (view, secret) = use_cases.create_access_key(Actor::session(&me, "request-1"), None, Some("ci".into())).await?;
    /// println!("key {} secret {secret}", view.key.access_key);
    /// # Ok(()) }
    /// ```
    pub async fn create_access_key(
        &self,
        actor: Actor<'_>,
        account_id: Option<Uuid>,
        name: Option<String>,
    ) -> DomainResult<(AccessKeyView, String)> {
        let name = optional_text("name", name.as_deref(), MAX_KEY_NAME_CHARS)?;
        let owner = self
            .account_for(actor.account, account_id.unwrap_or(actor.account.id), AccountAction::ManageAccessKeys)
            .await?;
        let now = self.ports.clock.now();
        let (access_key, secret) = self.ports.secrets.new_access_key();
        let id = self.ports.ids.new_id();
        let key = AccessKey {
            id,
            account_id: owner.id,
            secret_ciphertext: self.ports.cipher.seal(&id.to_string(), &secret)?,
            access_key,
            name,
            status: AccessKeyStatus::Active,
            created_at: now,
            last_used_at: None,
            deleted_at: None,
        };
        self.ports
            .access_keys
            .insert(&key, MAX_ACTIVE_KEYS, &self.audit(&actor, "access_key.create", &key, now))
            .await?;
        Ok((self.view(key, now), secret))
    }

    /// Issues a key for the account with this email, for the operator's command line (audited as the account's
    /// own action, with request id `cli`).
    ///
    /// # Errors
    /// `NotFound` when no live account has the address; `ActiveKeyLimit`.
    pub async fn operator_create_access_key(
        &self,
        email: &crate::values::EmailAddress,
        name: Option<String>,
    ) -> DomainResult<(AccessKeyView, String)> {
        let owner = self
            .ports
            .accounts
            .find_live_by_email(&email.key())
            .await?
            .ok_or(DomainError::NotFound { entity: "account" })?;
        self.create_access_key(Actor { account: &owner, access_key_id: None, request_id: Some("cli") }, None, name)
            .await
    }

    /// The keys of `account_id` (default: the actor), oldest first, without secrets.
    pub async fn list_access_keys(
        &self,
        actor: &Account,
        account_id: Option<Uuid>,
    ) -> DomainResult<Vec<AccessKeyView>> {
        let owner = self.account_for(actor, account_id.unwrap_or(actor.id), AccountAction::ManageAccessKeys).await?;
        let now = self.ports.clock.now();
        Ok(self.ports.access_keys.list(owner.id).await?.into_iter().map(|k| self.view(k, now)).collect())
    }

    /// Enables or disables a key.
    ///
    /// # Errors
    /// `NotFound` for unknown, deleted or invisible keys; `Forbidden`; `ActiveKeyLimit` when enabling a third.
    pub async fn set_access_key_status(
        &self,
        actor: Actor<'_>,
        id: Uuid,
        status: AccessKeyStatus,
    ) -> DomainResult<AccessKeyView> {
        let mut key = self.manageable_key(actor.account, id).await?;
        let now = self.ports.clock.now();
        if key.status != status {
            key.status = status;
            let action = match status {
                AccessKeyStatus::Active => "access_key.enable",
                AccessKeyStatus::Disabled => "access_key.disable",
            };
            self.ports
                .access_keys
                .set_status(id, status, MAX_ACTIVE_KEYS, &self.audit(&actor, action, &key, now))
                .await?;
        }
        Ok(self.view(key, now))
    }

    /// Deletes a key; it stops working at once.
    pub async fn delete_access_key(&self, actor: Actor<'_>, id: Uuid) -> DomainResult<()> {
        let key = self.manageable_key(actor.account, id).await?;
        let now = self.ports.clock.now();
        self.ports.access_keys.delete(id, now, &self.audit(&actor, "access_key.delete", &key, now)).await
    }

    /// Authenticates a machine request by access key and `proof` of its secret (compared in constant time). The
    /// key must be active and its account live, active (not pending, dormant, banned or closed), unexpired and
    /// open-API enabled; a signed request's time must be within its scheme's window and its nonce new. The use
    /// is recorded (last use, audit event).
    ///
    /// # Errors
    /// [`DomainError::KeyRefused`] for every failure, with one reason whether the key is unknown or the secret
    /// or signature wrong.
    pub async fn authenticate_access_key(
        &self,
        access_key: &str,
        proof: KeyProof<'_>,
        request_id: Option<&str>,
    ) -> DomainResult<(Account, AccessKey)> {
        let result = self.check_access_key(access_key, proof, request_id).await;
        if let Err(DomainError::KeyRefused(reason)) = &result {
            self.ports.events.access_key_refused(*reason);
        }
        result
    }

    async fn check_access_key(
        &self,
        access_key: &str,
        proof: KeyProof<'_>,
        request_id: Option<&str>,
    ) -> DomainResult<(Account, AccessKey)> {
        use crate::error::KeyRefusal::{
            AccountUnusable, BadCredentials, ClockSkew, KeyDisabled, OpenApiDisabled, ReplayedNonce,
        };
        let now = self.ports.clock.now();
        if let KeyProof::Signature { signed_at, window, .. } = proof {
            if (now - signed_at).abs() > self.signature_window(window) {
                return Err(DomainError::KeyRefused(ClockSkew));
            }
        }
        let Some(key) = self.ports.access_keys.find_by_access_key(access_key).await? else {
            // spend the decryption an existing key costs, so timing does not tell unknown keys apart
            let _ = self.ports.cipher.open("unknown", &[0u8; 52]);
            return Err(DomainError::KeyRefused(BadCredentials));
        };
        let stored = match self.ports.cipher.open(&key.id.to_string(), &key.secret_ciphertext) {
            Ok(stored) => stored,
            Err(error) => {
                tracing::error!(key = %key.id, %error, "access key secret does not open: was the encryption key changed?");
                return Err(DomainError::KeyRefused(BadCredentials));
            }
        };
        let proven = match &proof {
            KeyProof::Secret(secret) => self.ports.verifier.secrets_equal(&stored, secret),
            KeyProof::Signature { message, signature, .. } => {
                self.ports.verifier.signature_matches(&stored, message, signature)
            }
        };
        if !proven {
            return Err(DomainError::KeyRefused(BadCredentials));
        }
        if key.status != AccessKeyStatus::Active {
            return Err(DomainError::KeyRefused(KeyDisabled));
        }
        // the account as authentication reads it: from memory within AUTH_CACHE_MILLISECONDS (every write through
        // this instance drops it at once); the key itself is read every time, so a revoked key is refused at once
        let account = self
            .ports
            .accounts
            .get_for_authentication(key.account_id)
            .await?
            .filter(|a| a.is_live() && a.is_usable_at(now) && a.status == crate::model::AccountStatus::Active)
            .ok_or(DomainError::KeyRefused(AccountUnusable))?;
        if !account.open_api_access {
            return Err(DomainError::KeyRefused(OpenApiDisabled));
        }
        if let KeyProof::Signature { once: Some(once), signed_at, window, .. } = proof {
            // remembered until the signed time has left the window, after which the request is refused anyway
            let kept_until = signed_at.max(now) + self.signature_window(window);
            let nonce_key = format!("nonce:{}:{}", key.id, self.ports.secrets.digest(once));
            if !self.ports.throttles.use_once(&nonce_key, now, kept_until).await? {
                return Err(DomainError::KeyRefused(ReplayedNonce));
            }
        }
        // A busy key is recorded (last use and audit event) at most once a minute: recording every request would
        // make all of a key's concurrent requests queue on its row.
        if key.last_used_at.is_none_or(|t| now - t >= KEY_USE_RECORD_INTERVAL) {
            let actor = Actor { account: &account, access_key_id: Some(key.id), request_id };
            self.ports.access_keys.record_use(key.id, now, &self.audit(&actor, "access_key.use", &key, now)).await?;
        }
        Ok((account, key))
    }
}

/// How a machine request proves that it holds a key's secret.
#[derive(Debug, Clone, Copy)]
pub enum KeyProof<'a> {
    /// The secret itself (the openapi/v1 bearer credential).
    Secret(&'a str),
    /// An HMAC-SHA256 `signature` of the request's canonical `message`, built by the dialect.
    Signature {
        /// What the client signed.
        message: &'a [u8],
        /// The decoded signature.
        signature: &'a [u8],
        /// The time the client signed (its timestamp or date header).
        signed_at: OffsetDateTime,
        /// Which scheme's time window applies.
        window: SignatureWindow,
        /// What makes the request unique, accepted once while `signed_at` is in the window (stored as a digest,
        /// per key); `None` for requests that may be repeated.
        once: Option<&'a str>,
    },
}

/// The time window of a signing scheme: how far the signed time may be from the server's clock, and so how long
/// a request's nonce is remembered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureWindow {
    /// A unix timestamp with a nonce (account-modify): [`super::Settings::signature_window`], configured.
    Timestamp,
    /// An HTTP date (iam): [`DATE_SIGNATURE_WINDOW`].
    Date,
}

/// How far an HTTP-date-signed request's date may be from the server's clock (the iam seed's five minutes).
pub const DATE_SIGNATURE_WINDOW: Duration = Duration::minutes(5);

impl UseCases {
    /// The length of a signing scheme's window.
    pub fn signature_window(&self, window: SignatureWindow) -> Duration {
        match window {
            SignatureWindow::Timestamp => self.settings.signature_window,
            SignatureWindow::Date => DATE_SIGNATURE_WINDOW,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::KeyRefusal;
    use crate::model::SystemRole;
    use crate::usecases::test_support::*;

    fn person(role: Option<SystemRole>) -> Account {
        let mut a = Account::new(Uuid::new_v4(), "p".into(), Some(format!("{}@example.com", Uuid::new_v4())), NOW);
        a.system_role = role;
        a
    }

    fn key_of(account: &Account, status: AccessKeyStatus) -> AccessKey {
        AccessKey {
            id: Uuid::new_v4(),
            account_id: account.id,
            access_key: "AK1".into(),
            secret_ciphertext: b"sealed".to_vec(),
            name: None,
            status,
            created_at: NOW - Duration::days(91),
            last_used_at: None,
            deleted_at: None,
        }
    }

    fn actor(account: &Account) -> Actor<'_> {
        Actor { account, access_key_id: None, request_id: Some("req-1") }
    }

    #[tokio::test]
    async fn an_account_issues_its_own_key_sealed_and_audited() {
        let mut m = Mocks::new();
        let me = person(None);
        let me2 = me.clone();
        m.accounts.expect_get().returning(move |_| Ok(Some(me2.clone())));
        m.groups.expect_group_memberships().returning(|_| Ok(vec![]));
        m.secrets.expect_new_access_key().returning(|| ("AKID".into(), "s3cret".into()));
        m.cipher.expect_seal().withf(|_, s| s == "s3cret").returning(|_, _| Ok(b"sealed".to_vec()));
        let id = me.id;
        m.access_keys
            .expect_insert()
            .withf(move |k, max, audit| {
                k.account_id == id
                    && k.secret_ciphertext == b"sealed"
                    && *max == 2
                    && audit.action == "access_key.create"
                    && audit.request_id.as_deref() == Some("req-1")
                    && !audit.changes.to_string().contains("s3cret")
            })
            .times(1)
            .returning(|_, _, _| Ok(()));
        let (view, secret) = m.build().create_access_key(actor(&me), None, Some(" ci ".into())).await.unwrap();
        assert_eq!(
            (view.key.access_key.as_str(), secret.as_str(), view.key.name.as_deref()),
            ("AKID", "s3cret", Some("ci"))
        );
        assert!(!view.advice_renew);
    }

    #[tokio::test]
    async fn a_normal_account_cannot_issue_keys_for_others() {
        let mut m = Mocks::new();
        let me = person(None);
        let other = person(None);
        let other2 = other.clone();
        m.accounts.expect_get().returning(move |_| Ok(Some(other2.clone())));
        m.groups.expect_group_memberships().returning(|_| Ok(vec![]));
        m.access_keys.expect_insert().never();
        let err = m.build().create_access_key(actor(&me), Some(other.id), None).await.unwrap_err();
        assert!(matches!(err, DomainError::NotFound { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn a_wrong_secret_and_an_unknown_key_answer_alike() {
        let mut m = Mocks::new();
        let owner = person(None);
        let key = key_of(&owner, AccessKeyStatus::Active);
        m.access_keys.expect_find_by_access_key().returning(move |k| Ok((k == "AK1").then(|| key.clone())));
        m.cipher.expect_open().returning(|context, _| {
            if context == "unknown" {
                Err(DomainError::internal_msg("dummy"))
            } else {
                Ok("right".into())
            }
        });
        m.verifier.expect_secrets_equal().returning(|a, b| a == b);
        m.access_keys.expect_record_use().never();
        let uc = m.build();
        let wrong = uc.authenticate_access_key("AK1", KeyProof::Secret("wrong"), None).await.unwrap_err().to_string();
        let unknown = uc.authenticate_access_key("AK2", KeyProof::Secret("right"), None).await.unwrap_err().to_string();
        assert_eq!(wrong, unknown);
    }

    #[tokio::test]
    async fn keys_stop_with_their_account_or_its_open_api_switch() {
        use crate::model::AccountStatus::{Active, Banned, Dormant, Pending};
        for (status, open_api, disabled_key) in [
            (Banned, true, false),
            (Pending, true, false),
            (Dormant, true, false),
            (Active, false, false),
            (Active, true, true),
        ] {
            let mut m = Mocks::new();
            let mut owner = person(None);
            owner.status = status;
            owner.open_api_access = open_api;
            let status = if disabled_key { AccessKeyStatus::Disabled } else { AccessKeyStatus::Active };
            let key = key_of(&owner, status);
            m.access_keys.expect_find_by_access_key().returning(move |_| Ok(Some(key.clone())));
            m.cipher.expect_open().returning(|_, _| Ok("right".into()));
            m.verifier.expect_secrets_equal().returning(|a, b| a == b);
            m.accounts.expect_get_for_authentication().returning(move |_| Ok(Some(owner.clone())));
            m.access_keys.expect_record_use().never();
            let err = m.build().authenticate_access_key("AK1", KeyProof::Secret("right"), None).await.unwrap_err();
            assert!(matches!(err, DomainError::KeyRefused(_)), "{err:?}");
        }
    }

    #[tokio::test]
    async fn a_good_key_is_recorded_and_old_keys_are_advised_to_renew() {
        let mut m = Mocks::new();
        let owner = person(Some(SystemRole::SystemAdmin));
        let key = key_of(&owner, AccessKeyStatus::Active);
        let owner2 = owner.clone();
        m.access_keys.expect_find_by_access_key().returning(move |_| Ok(Some(key.clone())));
        m.cipher.expect_open().returning(|_, _| Ok("right".into()));
        m.verifier.expect_secrets_equal().returning(|a, b| a == b);
        m.accounts.expect_get_for_authentication().returning(move |_| Ok(Some(owner2.clone())));
        m.access_keys
            .expect_record_use()
            .withf(|_, at, audit| *at == NOW && audit.action == "access_key.use" && audit.actor_access_key_id.is_some())
            .times(1)
            .returning(|_, _, _| Ok(()));
        let uc = m.build();
        let (account, key) = uc.authenticate_access_key("AK1", KeyProof::Secret("right"), Some("r")).await.unwrap();
        assert_eq!(account.id, owner.id);
        assert!(uc.view(key, NOW).advice_renew, "91 days old");
    }

    #[tokio::test]
    async fn a_signed_time_outside_its_window_is_refused_before_the_key_is_looked_up() {
        for (window, skew) in
            [(SignatureWindow::Timestamp, 61), (SignatureWindow::Date, 301), (SignatureWindow::Date, -301)]
        {
            let mut m = Mocks::new();
            m.access_keys.expect_find_by_access_key().never();
            let proof = KeyProof::Signature {
                message: b"m",
                signature: b"s",
                signed_at: NOW + Duration::seconds(skew),
                window,
                once: Some("n"),
            };
            let err = m.build().authenticate_access_key("AK1", proof, None).await.unwrap_err();
            assert!(matches!(err, DomainError::KeyRefused(KeyRefusal::ClockSkew)), "{window:?} {skew}: {err:?}");
        }
    }

    #[tokio::test]
    async fn a_nonce_is_remembered_until_its_signed_time_leaves_the_window() {
        let mut m = Mocks::new();
        let owner = person(Some(SystemRole::SystemAdmin));
        let key = key_of(&owner, AccessKeyStatus::Active);
        m.access_keys.expect_find_by_access_key().returning(move |_| Ok(Some(key.clone())));
        m.cipher.expect_open().returning(|_, _| Ok("right".into()));
        m.verifier.expect_signature_matches().returning(|_, _, _| true);
        m.secrets.expect_digest().returning(|v| format!("d({v})"));
        m.accounts.expect_get_for_authentication().returning(move |_| Ok(Some(owner.clone())));
        m.access_keys.expect_record_use().returning(|_, _, _| Ok(()));
        // signed 200 s ahead of the server (within iam's five minutes): kept until then plus the window
        m.throttles
            .expect_use_once()
            .withf(|key, now, until| key.ends_with(":d(n)") && *now == NOW && *until == NOW + Duration::seconds(500))
            .times(1)
            .returning(|_, _, _| Ok(false));
        let proof = KeyProof::Signature {
            message: b"m",
            signature: b"s",
            signed_at: NOW + Duration::seconds(200),
            window: SignatureWindow::Date,
            once: Some("n"),
        };
        let err = m.build().authenticate_access_key("AK1", proof, None).await.unwrap_err();
        assert!(matches!(err, DomainError::KeyRefused(KeyRefusal::ReplayedNonce)), "{err:?}");
    }
}
