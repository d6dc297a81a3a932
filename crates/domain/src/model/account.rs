use serde_json::{Map, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use super::wire_enum;

wire_enum! {
    /// Lifecycle of an account.
    AccountStatus {
        /// Invited or provisioned, never signed in; becomes active on first login or activation.
        Pending = "pending",
        /// Created but not yet initialised by its owner.
        Uninitialized = "uninitialized",
        /// Normal.
        Active = "active",
        /// Inactive for a long time (partner dialects); may still sign in.
        Dormant = "dormant",
        /// Blocked by an administrator: no login, tokens stop working.
        Banned = "banned",
        /// Closed by its owner or an administrator.
        Closed = "closed",
    }
}

wire_enum! {
    /// Platform-wide role. `super_admin` exists exactly once (created by setup).
    SystemRole {
        /// The installation owner.
        SuperAdmin = "super_admin",
        /// Administers accounts and groups.
        SystemAdmin = "system_admin",
        /// Reads everything an administrator reads, changes nothing.
        Auditor = "auditor",
        /// No platform privilege (an explicit row, shown as `{"role_type":"normal"}`).
        Normal = "normal",
    }
}

impl SystemRole {
    /// May read any account.
    pub fn can_read_all(self) -> bool {
        matches!(self, Self::SuperAdmin | Self::SystemAdmin | Self::Auditor)
    }

    /// May change any account other than the super admin.
    pub fn can_administer(self) -> bool {
        matches!(self, Self::SuperAdmin | Self::SystemAdmin)
    }
}

wire_enum! {
    /// Where the account's identity comes from.
    AccountSource {
        /// Created here.
        Local = "local",
        /// Imported without a known origin.
        Unknown = "unknown",
        /// Linked to an OpenID Connect provider.
        Oidc = "oidc",
        /// Synchronised from LDAP / Active Directory.
        Ldap = "ldap",
    }
}

/// How an integration partner classifies the account (provisioned through openapi/v1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartnerClass {
    /// 1 to 3.
    pub tier: i16,
    /// 0 temporary, 1 regular.
    pub kind: i16,
}

impl Default for PartnerClass {
    fn default() -> Self {
        Self { tier: 3, kind: 1 }
    }
}

/// Per-account limits on console sessions; `None` means the system default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionPolicy {
    /// Idle timeout of a session, in seconds.
    pub idle_timeout_secs: Option<i64>,
    /// Absolute lifetime of a session, in seconds.
    pub max_lifetime_secs: Option<i64>,
}

/// Contact details of the zgi-next `extension` object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountExtension {
    /// Mobile number.
    pub mobile: Option<String>,
    /// WeChat id.
    pub wechat: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// Free-text gender.
    pub gender: Option<String>,
}

impl AccountExtension {
    /// True when no field is set (rendered as `null`).
    pub fn is_empty(&self) -> bool {
        self.mobile.is_none() && self.wechat.is_none() && self.address.is_none() && self.gender.is_none()
    }
}

/// A person or machine identity that can sign in, own workspaces and hold access keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// Stable id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Login name, unique among live accounts when present.
    pub username: Option<String>,
    /// Email as given (trimmed), unique case-insensitively among live accounts when present.
    pub email: Option<String>,
    /// Phone number (local part), unique among live accounts when present.
    pub phone: Option<String>,
    /// Phone country code, e.g. `86`.
    pub country_code: Option<String>,
    /// Avatar: an uploaded file id or a URL.
    pub avatar: Option<String>,
    /// Password hash (bcrypt, or an imported PBKDF2 hash); `None` disables password login.
    pub password_hash: Option<String>,
    /// Lifecycle state.
    pub status: AccountStatus,
    /// Interface language tag.
    pub interface_language: String,
    /// `light` or `dark`.
    pub interface_theme: String,
    /// IANA timezone.
    pub timezone: String,
    /// Last successful login.
    pub last_login_at: Option<OffsetDateTime>,
    /// Client address of the last successful login.
    pub last_login_ip: Option<String>,
    /// Last authenticated request (updated at most every ten minutes).
    pub last_active_at: Option<OffsetDateTime>,
    /// When the account was first initialised by its owner.
    pub initialized_at: Option<OffsetDateTime>,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Last change.
    pub updated_at: OffsetDateTime,
    /// Free-text description.
    pub description: Option<String>,
    /// Partner classification (openapi/v1).
    pub partner: PartnerClass,
    /// Identity origin.
    pub source: AccountSource,
    /// Id in the external directory, unique among live accounts when present.
    pub external_id: Option<String>,
    /// IdP-owned attributes (replaced by SSO logins).
    pub attributes: Map<String, Value>,
    /// Application-owned attributes (changed only through the admin APIs).
    pub custom_attributes: Map<String, Value>,
    /// Session limits.
    pub session_policy: SessionPolicy,
    /// Console login allowed.
    pub console_access: bool,
    /// Access keys usable.
    pub open_api_access: bool,
    /// Multi-factor authentication required.
    pub mfa_enabled: bool,
    /// A new password must be set at the first login.
    pub password_change_on_first_login: bool,
    /// A new password must be set at the next login.
    pub password_change_on_next_login: bool,
    /// When the password was last set.
    pub password_changed_at: Option<OffsetDateTime>,
    /// Who last set the password.
    pub password_changed_by: Option<Uuid>,
    /// After this time the account cannot sign in.
    pub expires_at: Option<OffsetDateTime>,
    /// Who last changed the status (a ban by a platform admin can only be lifted by one).
    pub status_changed_by: Option<Uuid>,
    /// Soft-deletion time; a deleted account frees its identifiers.
    pub deleted_at: Option<OffsetDateTime>,
    /// When the account's access tokens were last revoked (password change, ban, closure).
    pub tokens_not_before: Option<OffsetDateTime>,
    /// How many times the account's access tokens were revoked. A token carries the generation it was issued
    /// under and is refused once the account's has moved past it (see [`Account::accepts_token`]).
    pub token_generation: i64,
    /// Platform role; `None` shows as `account_role: null`.
    pub system_role: Option<SystemRole>,
    /// Who assigned the platform role.
    pub system_role_assigned_by: Option<Uuid>,
    /// Contact details.
    pub extension: AccountExtension,
    /// Free-form metadata a provisioning client keeps with the account, set once at creation (account-modify
    /// `extend`). Not to be confused with [`Account::extension`], the console's profile extension.
    pub metadata: Map<String, Value>,
}

impl Account {
    /// A new active local account with console defaults for `language`.
    pub fn new(id: Uuid, name: String, email: Option<String>, now: OffsetDateTime) -> Self {
        Self {
            id,
            name,
            username: None,
            email,
            phone: None,
            country_code: None,
            avatar: None,
            password_hash: None,
            status: AccountStatus::Active,
            interface_language: "en-US".into(),
            interface_theme: "light".into(),
            timezone: "America/New_York".into(),
            last_login_at: None,
            last_login_ip: None,
            last_active_at: None,
            initialized_at: None,
            created_at: now,
            updated_at: now,
            description: None,
            partner: PartnerClass::default(),
            source: AccountSource::Local,
            external_id: None,
            attributes: Map::new(),
            custom_attributes: Map::new(),
            session_policy: SessionPolicy::default(),
            console_access: true,
            open_api_access: true,
            mfa_enabled: false,
            password_change_on_first_login: false,
            password_change_on_next_login: false,
            password_changed_at: None,
            password_changed_by: None,
            expires_at: None,
            status_changed_by: None,
            deleted_at: None,
            tokens_not_before: None,
            token_generation: 0,
            system_role: None,
            system_role_assigned_by: None,
            extension: AccountExtension::default(),
            metadata: Map::new(),
        }
    }

    /// The name the account goes by for provisioning clients (SCIM `userName`): its login name, else its email,
    /// else its id. Filters compare the same ([`super::TextAttribute::UserName`]).
    pub fn user_name(&self) -> String {
        self.username.clone().or_else(|| self.email.clone()).unwrap_or_else(|| self.id.to_string())
    }

    /// Not soft-deleted.
    pub fn is_live(&self) -> bool {
        self.deleted_at.is_none()
    }

    /// Sets the status on behalf of `by`. Returns true when the account's sessions and tokens must end (a ban or
    /// a closure), in which case tokens issued before `now` are refused from now on.
    pub fn change_status(&mut self, status: AccountStatus, by: Uuid, now: OffsetDateTime) -> bool {
        if status == self.status {
            return false;
        }
        self.status = status;
        self.status_changed_by = Some(by);
        let ends_sessions = matches!(status, AccountStatus::Banned | AccountStatus::Closed);
        if ends_sessions {
            self.revoke_tokens(now);
        }
        ends_sessions
    }

    /// Refuses every access token issued so far, from `now` on.
    pub fn revoke_tokens(&mut self, now: OffsetDateTime) {
        self.tokens_not_before = Some(now);
        self.token_generation += 1;
    }

    /// Whether an access token issued under `generation` at `issued_at` survived the account's revocations.
    ///
    /// A token with a generation is accepted exactly when no revocation came after it was issued, whatever the
    /// clocks say. A token without one was issued before generations existed, or under generation 0; it is
    /// accepted while the account was never revoked since, and not issued in a second before its last
    /// revocation.
    pub fn accepts_token(&self, generation: Option<i64>, issued_at: OffsetDateTime) -> bool {
        match generation {
            Some(generation) => generation >= self.token_generation,
            None => {
                self.token_generation == 0
                    && self.tokens_not_before.is_none_or(|t| issued_at.unix_timestamp() >= t.unix_timestamp())
            }
        }
    }

    /// Can present tokens and sign in (live, not banned or closed, not expired at `now`).
    pub fn is_usable_at(&self, now: OffsetDateTime) -> bool {
        self.is_live()
            && !matches!(self.status, AccountStatus::Banned | AccountStatus::Closed)
            && self.expires_at.is_none_or(|t| t > now)
    }

    /// The lower-case email key of the unique index.
    pub fn email_key(&self) -> Option<String> {
        self.email.as_deref().map(crate::values::email_key)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-01-01 12:00:00.700 UTC);

    #[test]
    fn a_revocation_refuses_every_earlier_token_even_within_its_second() {
        let mut account = Account::new(Uuid::nil(), "Alice".into(), None, NOW);
        let before = (Some(account.token_generation).filter(|g| *g > 0), NOW - time::Duration::milliseconds(300));
        assert!(account.accepts_token(before.0, before.1));
        account.revoke_tokens(NOW);
        assert!(!account.accepts_token(before.0, before.1), "issued 300 ms before, in the same second");
        assert!(account.accepts_token(Some(1), NOW), "issued after it, in the same second");
        assert!(account.accepts_token(Some(1), NOW - time::Duration::seconds(5)), "whatever the issuer's clock said");
        account.revoke_tokens(NOW);
        assert!(!account.accepts_token(Some(1), NOW + time::Duration::seconds(5)));
    }

    #[test]
    fn tokens_without_a_generation_follow_the_time_of_the_last_revocation() {
        let mut account = Account::new(Uuid::nil(), "Alice".into(), None, NOW);
        account.tokens_not_before = Some(NOW);
        assert!(!account.accepts_token(None, NOW - time::Duration::seconds(1)));
        assert!(account.accepts_token(None, NOW + time::Duration::seconds(1)));
        account.token_generation = 1;
        assert!(!account.accepts_token(None, NOW + time::Duration::seconds(1)));
    }
}
