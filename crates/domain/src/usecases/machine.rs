//! Account lookups for the machine dialects: a request authenticated by an access key acts with the
//! permissions of the key's account; reading accounts needs a platform role that reads everything
//! (`super_admin`, `system_admin`, `auditor`).

use std::collections::HashMap;

use uuid::Uuid;

use crate::error::{DomainError, DomainResult};
use serde_json::{Map, Value};

use crate::model::{
    Account, AccountFilter, AccountOrder, AccountSource, AccountStatus, AuditEvent, PartnerClass, SessionPolicy,
    SystemRole, Tenant, TenantMembership, WorkspaceRole,
};
use crate::ports::{AccountChange, NewAccountEntry, WantedIdentifiers};
use crate::values::{DisplayName, EmailAddress, Password};

use super::access_keys::{AccessKeyView, Actor};
use super::accounts::new_member_joins;
use super::{UseCases, WRITE_ATTEMPTS};

/// Most accounts in one batch.
pub const MAX_BATCH: usize = 1000;

/// An account to create through a machine dialect, already parsed and checked field by field by the dialect.
#[derive(Debug, Clone)]
pub struct ProvisionedAccount {
    /// Requested id (generated when absent).
    pub id: Option<Uuid>,
    /// Login name (generated when absent).
    pub username: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Email.
    pub email: Option<EmailAddress>,
    /// Display name (the login name when absent).
    pub name: Option<DisplayName>,
    /// Description.
    pub description: Option<String>,
    /// Password; none disables password login.
    pub password: Option<Password>,
    /// Platform role: normal, auditor or system admin.
    pub system_role: SystemRole,
    /// Partner tier (1–3).
    pub tier: i16,
    /// Partner type (0 temporary, 1 regular).
    pub kind: i16,
    /// Initial status.
    pub status: AccountStatus,
    /// Phone country code.
    pub country_code: Option<String>,
    /// Id in the external directory (unique among live accounts).
    pub external_id: Option<String>,
    /// Identity origin; `None` means `local` without an external id and `unknown` with one.
    pub source: Option<AccountSource>,
    /// Interface language tag (the console default when absent).
    pub language: Option<String>,
    /// IdP-owned attributes.
    pub attributes: Map<String, Value>,
    /// Application-owned attributes.
    pub custom_attributes: Map<String, Value>,
    /// Free metadata (`extend`).
    pub extend: Map<String, Value>,
    /// Session limits.
    pub session_policy: SessionPolicy,
    /// The workspace to make the account's current one (besides its group's shadow workspace).
    pub home_tenant: Option<TenantRef>,
    /// Console login allowed.
    pub console_access: bool,
    /// Access keys usable.
    pub open_api_access: bool,
    /// Multi-factor authentication required (stored and reported; not enforced yet).
    pub mfa_enabled: bool,
    /// A new password must be set at the first login.
    pub password_change_on_first_login: bool,
    /// A new password must be set at the next login.
    pub password_change_on_next_login: bool,
}

/// A workspace named by id or by code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TenantRef {
    /// By id.
    Id(Uuid),
    /// By its unique code.
    Code(String),
}

impl Default for ProvisionedAccount {
    fn default() -> Self {
        Self {
            id: None,
            username: None,
            phone: None,
            email: None,
            name: None,
            description: None,
            password: None,
            system_role: SystemRole::Normal,
            tier: PartnerClass::default().tier,
            kind: PartnerClass::default().kind,
            status: AccountStatus::Active,
            country_code: None,
            external_id: None,
            source: None,
            language: None,
            attributes: Map::new(),
            custom_attributes: Map::new(),
            extend: Map::new(),
            session_policy: SessionPolicy::default(),
            home_tenant: None,
            console_access: true,
            open_api_access: true,
            mfa_enabled: false,
            password_change_on_first_login: false,
            password_change_on_next_login: false,
        }
    }
}

/// The source an account may have given its external id: `local` only without one; without one, `local` or
/// `oidc` (an account that signs in through a provider needs no id in a partner's directory).
fn checked_source(source: Option<AccountSource>, has_external_id: bool) -> DomainResult<AccountSource> {
    match (source, has_external_id) {
        (None, false) => Ok(AccountSource::Local),
        (None, true) => Ok(AccountSource::Unknown),
        (Some(AccountSource::Local), true) => {
            Err(DomainError::invalid("source", "An account with an external id cannot have the source local."))
        }
        (Some(s), false) if !matches!(s, AccountSource::Local | AccountSource::Oidc) => {
            Err(DomainError::invalid("source", "An account without an external id has the source local or oidc."))
        }
        (Some(s), _) => Ok(s),
    }
}

impl ProvisionedAccount {
    /// The identifiers that must be unique, as `(field, value)`; emails by their key.
    fn identifiers(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(id) = self.id {
            out.push(("uid", id.to_string()));
        }
        if let Some(u) = &self.username {
            out.push(("username", u.clone()));
        }
        if let Some(p) = &self.phone {
            out.push(("phone", p.clone()));
        }
        if let Some(e) = &self.email {
            out.push(("email", e.key()));
        }
        if let Some(x) = &self.external_id {
            out.push(("external_id", x.clone()));
        }
        out
    }
}

/// Changes to an account through a machine dialect; `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct PartnerUpdate {
    /// Login name.
    pub username: Option<String>,
    /// Phone number.
    pub phone: Option<Option<String>>,
    /// Email.
    pub email: Option<Option<EmailAddress>>,
    /// Display name.
    pub name: Option<DisplayName>,
    /// Description.
    pub description: Option<Option<String>>,
    /// New password (ends the account's sessions).
    pub password: Option<Password>,
    /// Platform role.
    pub system_role: Option<SystemRole>,
    /// Tier.
    pub tier: Option<i16>,
    /// Type.
    pub kind: Option<i16>,
    /// Status (banning ends the account's sessions).
    pub status: Option<AccountStatus>,
    /// Phone country code.
    pub country_code: Option<Option<String>>,
    /// Phone country code to set only when the account has none (after `country_code`).
    pub country_code_if_unset: Option<String>,
    /// Identity origin; `Some(None)` resets it to the default for the account's external id.
    pub source: Option<Option<AccountSource>>,
    /// IdP-owned attributes (replaced whole).
    pub attributes: Option<Map<String, Value>>,
    /// Application-owned attributes (replaced whole).
    pub custom_attributes: Option<Map<String, Value>>,
    /// Idle timeout of the account's console sessions, in seconds.
    pub idle_timeout_secs: Option<i64>,
    /// Absolute lifetime of the account's console sessions, in seconds.
    pub max_lifetime_secs: Option<i64>,
    /// Console login allowed (switching it off ends console sessions at their next request).
    pub console_access: Option<bool>,
    /// Access keys usable.
    pub open_api_access: Option<bool>,
    /// Multi-factor authentication required.
    pub mfa_enabled: Option<bool>,
    /// A new password must be set at the first login.
    pub password_change_on_first_login: Option<bool>,
    /// A new password must be set at the next login.
    pub password_change_on_next_login: Option<bool>,
}

fn require_admin(caller: &Account) -> DomainResult<()> {
    if caller.system_role.is_some_and(|r| r.can_administer()) {
        Ok(())
    } else {
        Err(DomainError::Forbidden("This access key's account may not change accounts."))
    }
}

fn require_reader(caller: &Account) -> DomainResult<()> {
    if caller.system_role.is_some_and(|r| r.can_read_all()) {
        Ok(())
    } else {
        Err(DomainError::Forbidden("This access key's account may not read accounts."))
    }
}

impl UseCases {
    /// Creates accounts for a machine caller, all or nothing: identifiers are checked for duplicates inside the
    /// batch and against live accounts (the index of the first offending item is reported), passwords are
    /// hashed in parallel on the bounded pool, and every account, its memberships (the caller's current group
    /// and its shadow workspace) and its audit event are written in one transaction.
    ///
    /// # Errors
    /// `Forbidden` unless the caller administers accounts; `Invalid` for an empty or oversized batch;
    /// `ConflictAt { index, field }`; `Conflict` when a race took an identifier meanwhile.
    pub async fn machine_create_accounts(
        &self,
        caller: Actor<'_>,
        items: Vec<ProvisionedAccount>,
    ) -> DomainResult<Vec<Account>> {
        require_admin(caller.account)?;
        if items.is_empty() || items.len() > MAX_BATCH {
            return Err(DomainError::invalid("accounts", format!("Between 1 and {MAX_BATCH} accounts are required.")));
        }
        let mut first_holder: HashMap<(&'static str, String), usize> = HashMap::new();
        let mut wanted = WantedIdentifiers::default();
        for (index, item) in items.iter().enumerate() {
            for (field, value) in item.identifiers() {
                if first_holder.insert((field, value.clone()), index).is_some() {
                    return Err(DomainError::ConflictAt { index, field });
                }
                match field {
                    "uid" => wanted.ids.extend(item.id),
                    "username" => wanted.usernames.push(value),
                    "phone" => wanted.phones.push(value),
                    "external_id" => wanted.external_ids.push(value),
                    _ => wanted.email_keys.push(value),
                }
            }
        }
        let taken = self.ports.accounts.taken_identifiers(&wanted).await?;
        if let Some((index, field)) =
            taken.into_iter().filter_map(|(field, value)| first_holder.get(&(field, value)).map(|i| (*i, field))).min()
        {
            return Err(DomainError::ConflictAt { index, field });
        }
        let sources = items
            .iter()
            .map(|i| checked_source(i.source, i.external_id.is_some()))
            .collect::<DomainResult<Vec<_>>>()?;
        // each workspace named by the batch is looked up once
        let mut found: HashMap<TenantRef, Option<Tenant>> = HashMap::new();
        let mut homes = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let Some(wanted) = &item.home_tenant else {
                homes.push(None);
                continue;
            };
            if !found.contains_key(wanted) {
                let tenant = match wanted {
                    TenantRef::Id(id) => self.ports.directory.get_tenant(*id).await?,
                    TenantRef::Code(code) => self.ports.directory.find_tenant_by_code(code).await?,
                };
                found.insert(wanted.clone(), tenant);
            }
            let (field, message) = match wanted {
                TenantRef::Id(_) => ("tenant_id", "No workspace has this id."),
                TenantRef::Code(_) => ("tenant_code", "No workspace has this code."),
            };
            let home = found[wanted].clone().ok_or(DomainError::InvalidAt { index, field, message: message.into() })?;
            homes.push(Some(home));
        }
        let hashes = self.ports.hasher.hash_all(items.iter().map(|i| i.password.clone()).collect()).await?;
        let now = self.ports.clock.now();
        let group_id = self.current_group_id(caller.account.id).await?;
        let mut entries = Vec::with_capacity(items.len());
        let mut audits = Vec::with_capacity(items.len());
        for (((item, hash), source), home) in items.into_iter().zip(hashes).zip(sources).zip(homes) {
            let id = item.id.unwrap_or_else(|| self.ports.ids.new_id());
            let username =
                item.username.unwrap_or_else(|| format!("u{}", &self.ports.ids.new_id().simple().to_string()[..12]));
            let name = item
                .name
                .map_or_else(|| username.chars().take(DisplayName::MAX_CHARS).collect(), DisplayName::into_inner);
            let mut account = Account::new(id, name, item.email.map(|e| e.as_str().to_owned()), now);
            account.username = Some(username);
            account.phone = item.phone;
            account.country_code = item.country_code;
            account.external_id = item.external_id;
            account.source = source;
            account.attributes = item.attributes;
            account.custom_attributes = item.custom_attributes;
            account.extend = item.extend;
            account.session_policy = item.session_policy;
            account.console_access = item.console_access;
            account.open_api_access = item.open_api_access;
            account.mfa_enabled = item.mfa_enabled;
            account.password_change_on_first_login = item.password_change_on_first_login;
            account.password_change_on_next_login = item.password_change_on_next_login;
            if let Some(language) = item.language {
                account.interface_language = language;
            }
            account.description = item.description;
            account.partner = PartnerClass { role: item.system_role.partner_code(), tier: item.tier, kind: item.kind };
            account.change_status(item.status, caller.account.id, now);
            account.system_role = (item.system_role != SystemRole::Normal).then_some(item.system_role);
            account.system_role_assigned_by = account.system_role.map(|_| caller.account.id);
            account.password_changed_at = hash.as_ref().map(|_| now);
            account.password_changed_by = hash.as_ref().map(|_| caller.account.id);
            account.password_hash = hash;
            let (groups, mut tenants) = new_member_joins(group_id, id, caller.account.id, now);
            if let Some(home) = home {
                tenants.retain(|t| t.tenant_id != home.id);
                tenants.iter_mut().for_each(|t| t.current = false);
                tenants.push(TenantMembership {
                    current: true,
                    invited_by: Some(caller.account.id),
                    ..TenantMembership::new(home.id, id, WorkspaceRole::Normal, now)
                });
            }
            audits.push(AuditEvent {
                id: self.ports.ids.new_id(),
                at: now,
                actor_account_id: Some(caller.account.id),
                actor_access_key_id: caller.access_key_id,
                action: "account.create".into(),
                target_type: "account".into(),
                target_id: Some(id.to_string()),
                request_id: caller.request_id.map(str::to_owned),
                changes: serde_json::json!({
                    "username": account.username, "email": account.email, "phone": account.phone,
                    "status": account.status.to_string(), "system_role": account.system_role.map(|r| r.to_string()),
                    "tier": account.partner.tier, "type": account.partner.kind, "password_set": account.password_hash.is_some(),
                }),
            });
            entries.push(NewAccountEntry { account, groups, tenants });
        }
        self.ports.accounts.insert_batch(&entries, &audits).await?;
        Ok(entries.into_iter().map(|e| e.account).collect())
    }

    /// Changes an account for a machine caller, in one transaction with an optimistic version check (a lost race
    /// is planned again from fresh data, up to [`WRITE_ATTEMPTS`] times); a new password or a ban ends the
    /// account's sessions. Returns the account as stored.
    ///
    /// # Errors
    /// `Forbidden` unless the caller administers accounts, for the super admin (unless the caller is it), and
    /// for the caller's own role or status; `NotFound`; `Conflict` naming a taken identifier; `Stale`.
    pub async fn machine_update_account(
        &self,
        caller: Actor<'_>,
        uid: Uuid,
        update: PartnerUpdate,
    ) -> DomainResult<Account> {
        let mut changed = self.machine_update_accounts(caller, vec![(uid, update)]).await?;
        Ok(changed.remove(0))
    }

    /// Changes several accounts for a machine caller, all or nothing, in one transaction (see
    /// [`UseCases::machine_update_account`]); an account may appear once.
    ///
    /// # Errors
    /// As for one account, with `ConflictAt { index, field }` for an account or identifier that two items
    /// name, and `Invalid` for an empty or oversized batch.
    pub async fn machine_update_accounts(
        &self,
        caller: Actor<'_>,
        items: Vec<(Uuid, PartnerUpdate)>,
    ) -> DomainResult<Vec<Account>> {
        require_admin(caller.account)?;
        if items.is_empty() || items.len() > MAX_BATCH {
            return Err(DomainError::invalid("accounts", format!("Between 1 and {MAX_BATCH} accounts are required.")));
        }
        let mut seen: HashMap<(&'static str, String), usize> = HashMap::new();
        for (index, (uid, update)) in items.iter().enumerate() {
            let mut keys = vec![("uid", uid.to_string())];
            keys.extend(update.username.clone().map(|u| ("username", u)));
            keys.extend(update.phone.clone().flatten().map(|p| ("phone", p)));
            keys.extend(update.email.clone().flatten().map(|e| ("email", e.key())));
            for key in keys {
                if let Some(field) = seen.insert(key.clone(), index).map(|_| key.0) {
                    return Err(DomainError::ConflictAt { index, field });
                }
            }
        }
        let hashes = self.ports.hasher.hash_all(items.iter().map(|(_, u)| u.password.clone()).collect()).await?;
        let now = self.ports.clock.now();
        for _ in 0..WRITE_ATTEMPTS {
            let mut changes = Vec::with_capacity(items.len());
            for ((uid, update), hash) in items.iter().zip(&hashes) {
                let target = self.machine_get_account(caller.account, *uid).await?;
                changes.push(self.plan_update(&caller, target, update.clone(), hash.clone(), now)?);
            }
            let audits: Vec<AuditEvent> = changes.iter().map(|c| self.update_audit(&caller, c, now)).collect();
            match self.ports.accounts.update_batch(&changes, &audits).await {
                Err(DomainError::Stale) => continue,
                Err(other) => return Err(other),
                Ok(()) => return Ok(changes.into_iter().map(|c| c.account).collect()),
            }
        }
        Err(DomainError::Stale)
    }

    /// The audit event of a machine caller's change.
    fn update_audit(&self, caller: &Actor<'_>, c: &AccountChange, now: time::OffsetDateTime) -> AuditEvent {
        AuditEvent {
            id: self.ports.ids.new_id(),
            at: now,
            actor_account_id: Some(caller.account.id),
            actor_access_key_id: caller.access_key_id,
            action: "account.update".into(),
            target_type: "account".into(),
            target_id: Some(c.account.id.to_string()),
            request_id: caller.request_id.map(str::to_owned),
            changes: serde_json::json!({
                "username": c.account.username, "email": c.account.email, "phone": c.account.phone,
                "status": c.account.status.to_string(), "system_role": c.account.system_role.map(|r| r.to_string()),
                "tier": c.account.partner.tier, "type": c.account.partner.kind,
                "password_changed": c.account.password_changed_at == Some(now),
                "console_access": c.account.console_access, "open_api_access": c.account.open_api_access,
                "mfa_enabled": c.account.mfa_enabled,
                "password_change_on_first_login": c.account.password_change_on_first_login,
                "password_change_on_next_login": c.account.password_change_on_next_login,
                "sessions_ended": c.revoke_sessions_at.is_some(),
            }),
        }
    }

    /// The stored form of `update` (its new password already hashed as `hash`) applied to `target`, after the
    /// permission rules.
    fn plan_update(
        &self,
        caller: &Actor<'_>,
        mut target: Account,
        update: PartnerUpdate,
        hash: Option<String>,
        now: time::OffsetDateTime,
    ) -> DomainResult<AccountChange> {
        let caller_is_super = caller.account.system_role == Some(SystemRole::SuperAdmin);
        if target.system_role == Some(SystemRole::SuperAdmin) && !caller_is_super {
            return Err(DomainError::Forbidden("The super admin account cannot be changed."));
        }
        let is_self = target.id == caller.account.id;
        if is_self && (update.system_role.is_some() || update.status.is_some()) {
            return Err(DomainError::Forbidden("An access key cannot change its own account's role or status."));
        }
        if target.system_role == Some(SystemRole::SuperAdmin) && update.system_role.is_some() {
            return Err(DomainError::Forbidden("The super admin role cannot be changed."));
        }
        let expected_updated_at = target.updated_at;
        let mut revoke_sessions_at = None;
        if let Some(username) = update.username {
            target.username = Some(username);
        }
        if let Some(phone) = update.phone {
            target.phone = phone;
        }
        if let Some(email) = update.email {
            target.email = email.map(|e| e.as_str().to_owned());
        }
        if let Some(name) = update.name {
            target.name = name.into_inner();
        }
        if let Some(description) = update.description {
            target.description = description;
        }
        if let Some(country_code) = update.country_code {
            target.country_code = country_code;
        }
        if target.country_code.is_none() {
            target.country_code = update.country_code_if_unset;
        }
        if let Some(source) = update.source {
            target.source = checked_source(source, target.external_id.is_some())?;
        }
        if let Some(attributes) = update.attributes {
            target.attributes = attributes;
        }
        if let Some(custom_attributes) = update.custom_attributes {
            target.custom_attributes = custom_attributes;
        }
        if let Some(secs) = update.idle_timeout_secs {
            target.session_policy.idle_timeout_secs = Some(secs);
        }
        if let Some(secs) = update.max_lifetime_secs {
            target.session_policy.max_lifetime_secs = Some(secs);
        }
        if let Some(on) = update.console_access {
            target.console_access = on;
        }
        if let Some(on) = update.open_api_access {
            target.open_api_access = on;
        }
        if let Some(on) = update.mfa_enabled {
            target.mfa_enabled = on;
        }
        if let Some(on) = update.password_change_on_first_login {
            target.password_change_on_first_login = on;
        }
        if let Some(on) = update.password_change_on_next_login {
            target.password_change_on_next_login = on;
        }
        if let Some(hash) = hash {
            target.password_hash = Some(hash);
            target.password_changed_at = Some(now);
            target.password_changed_by = Some(caller.account.id);
            target.tokens_not_before = Some(now);
            revoke_sessions_at = Some(now);
        }
        if let Some(role) = update.system_role {
            let stored = (role != SystemRole::Normal).then_some(role);
            if stored != target.system_role {
                target.system_role = stored;
                target.system_role_assigned_by = Some(caller.account.id);
            }
            target.partner.role = role.partner_code();
        }
        if let Some(tier) = update.tier {
            target.partner.tier = tier;
        }
        if let Some(kind) = update.kind {
            target.partner.kind = kind;
        }
        if let Some(status) = update.status {
            if target.change_status(status, caller.account.id, now) {
                revoke_sessions_at = Some(now);
            }
        }
        target.updated_at = now.max(expected_updated_at + time::Duration::microseconds(1));
        Ok(AccountChange { account: target, expected_updated_at, group_role: None, revoke_sessions_at })
    }

    /// Soft-deletes accounts for a machine caller, all or nothing: their identifiers become free for new
    /// accounts, their sessions and access keys stop at once; each deletion is audited.
    ///
    /// # Errors
    /// `Forbidden` unless the caller administers accounts, or for the super admin and the caller's own account;
    /// `Invalid` for an empty or oversized list; `UnknownAccounts` listing unknown or deleted uids;
    /// `OwnsWorkspace` (a workspace is never orphaned).
    pub async fn machine_delete_accounts(&self, caller: Actor<'_>, uids: Vec<Uuid>) -> DomainResult<()> {
        require_admin(caller.account)?;
        let mut uids = uids;
        uids.sort_unstable();
        uids.dedup();
        if uids.is_empty() || uids.len() > MAX_BATCH {
            return Err(DomainError::invalid("accountUids", format!("Between 1 and {MAX_BATCH} uids are required.")));
        }
        let mut unknown = Vec::new();
        for uid in &uids {
            match self.ports.accounts.get(*uid).await?.filter(Account::is_live) {
                None => unknown.push(*uid),
                Some(a) if a.system_role == Some(SystemRole::SuperAdmin) => {
                    return Err(DomainError::Forbidden("The super admin account cannot be deleted."));
                }
                Some(a) if a.id == caller.account.id => {
                    return Err(DomainError::Forbidden("An access key cannot delete its own account."));
                }
                Some(_) => {}
            }
        }
        if !unknown.is_empty() {
            return Err(DomainError::UnknownAccounts(unknown));
        }
        let now = self.ports.clock.now();
        let audits: Vec<AuditEvent> = uids
            .iter()
            .map(|uid| AuditEvent {
                id: self.ports.ids.new_id(),
                at: now,
                actor_account_id: Some(caller.account.id),
                actor_access_key_id: caller.access_key_id,
                action: "account.delete".into(),
                target_type: "account".into(),
                target_id: Some(uid.to_string()),
                request_id: caller.request_id.map(str::to_owned),
                changes: serde_json::json!({"deleted": true}),
            })
            .collect();
        self.ports.accounts.soft_delete(&uids, now, &audits).await
    }

    /// The live account `uid`, for a machine caller.
    ///
    /// # Errors
    /// `Forbidden` unless the caller reads all accounts; `NotFound` for unknown or deleted accounts.
    pub async fn machine_get_account(&self, caller: &Account, uid: Uuid) -> DomainResult<Account> {
        require_reader(caller)?;
        self.ports.accounts.get(uid).await?.filter(Account::is_live).ok_or(DomainError::NotFound { entity: "account" })
    }

    /// Live accounts matching `query` (substring of login name, nickname, description, phone or email,
    /// case-insensitive), `limit` from `offset`, with the total when `count`.
    ///
    /// # Errors
    /// `Forbidden` unless the caller reads all accounts.
    pub async fn machine_search_accounts(
        &self,
        caller: &Account,
        query: Option<&str>,
        offset: i64,
        limit: i64,
        count: bool,
    ) -> DomainResult<(Vec<Account>, Option<i64>)> {
        require_reader(caller)?;
        let query = query.map(str::trim).filter(|q| !q.is_empty()).map(str::to_owned);
        self.ports.accounts.search(query, offset, limit, count).await
    }

    /// The workspaces of account `uid` (shadow workspaces of groups excluded), optionally only those where it
    /// has `role`, oldest first, `limit` from `offset`, each with its owner; and the total.
    ///
    /// # Errors
    /// `Forbidden` unless the caller reads all accounts; `NotFound` for unknown or deleted accounts.
    pub async fn machine_account_workspaces(
        &self,
        caller: &Account,
        uid: Uuid,
        role: Option<WorkspaceRole>,
        offset: usize,
        limit: usize,
    ) -> DomainResult<(Vec<(Tenant, Option<Account>)>, usize)> {
        let account = self.machine_get_account(caller, uid).await?;
        let joined: Vec<Tenant> = self
            .ports
            .directory
            .account_tenants(account.id)
            .await?
            .into_iter()
            .filter(|(t, m)| t.group_id != Some(t.id) && role.is_none_or(|r| m.role == r))
            .map(|(t, _)| t)
            .collect();
        let total = joined.len();
        let mut page = Vec::new();
        for tenant in joined.into_iter().skip(offset).take(limit) {
            let owner = self
                .ports
                .directory
                .tenant_members(tenant.id)
                .await?
                .into_iter()
                .find(|(a, m)| m.role == WorkspaceRole::Owner && a.is_live())
                .map(|(a, _)| a);
            page.push((tenant, owner));
        }
        Ok((page, total))
    }

    /// Live accounts matching `filter` in `order`, `limit` from `offset`, with the total.
    ///
    /// # Errors
    /// `Forbidden` unless the caller reads all accounts.
    pub async fn machine_list_accounts(
        &self,
        caller: &Account,
        filter: Option<AccountFilter>,
        order: AccountOrder,
        offset: i64,
        limit: i64,
    ) -> DomainResult<(Vec<Account>, i64)> {
        require_reader(caller)?;
        self.ports.accounts.filter(filter, order, offset, limit).await
    }

    /// The access keys of account `uid`, oldest first, without secrets, for a machine caller.
    ///
    /// # Errors
    /// `Forbidden` unless the caller reads all accounts.
    pub async fn machine_access_keys(&self, caller: &Account, uid: Uuid) -> DomainResult<Vec<AccessKeyView>> {
        require_reader(caller)?;
        let now = self.ports.clock.now();
        Ok(self.ports.access_keys.list(uid).await?.into_iter().map(|k| self.view(k, now)).collect())
    }

    /// The current workspace of account `uid` (its home), for a machine caller.
    ///
    /// # Errors
    /// `Forbidden` unless the caller reads all accounts.
    pub async fn machine_home_workspace(&self, caller: &Account, uid: Uuid) -> DomainResult<Option<Tenant>> {
        require_reader(caller)?;
        Ok(self.ports.directory.current_tenant(uid).await?.map(|(tenant, _)| tenant))
    }

    /// The live account with this id in the external directory (`None` when there is none).
    ///
    /// # Errors
    /// `Forbidden` unless the caller reads all accounts.
    pub async fn machine_find_by_external_id(
        &self,
        caller: &Account,
        external_id: &str,
    ) -> DomainResult<Option<Account>> {
        require_reader(caller)?;
        self.ports.accounts.find_live_by_external_id(external_id).await
    }

    /// The live account whose login name, phone or email is `identifier` (`None` when there is none).
    ///
    /// # Errors
    /// `Forbidden` unless the caller reads all accounts.
    pub async fn machine_find_account(&self, caller: &Account, identifier: &str) -> DomainResult<Option<Account>> {
        require_reader(caller)?;
        if identifier.trim().is_empty() {
            return Ok(None);
        }
        self.ports.accounts.find_live_by_login(identifier).await
    }
}
